//! All `explain` patterns compiled once into a `RegexSet`: one pass per line finds every rule
//! whose text appears, and only those rules' `also` conditions run afterwards.

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use super::RuleSet;

pub struct Matcher {
    set: RegexSet,
    /// Finds the next candidate line in a block of thousands without looking at each line
    /// (explain's hot path): built on first use.
    prefilter: std::sync::OnceLock<Prefilter>,
    /// Each pattern's required literals (see `literals`), `None` for those without.
    literals: Vec<Option<Vec<Vec<u8>>>>,
    sources: Vec<String>,
    /// Parallel to the set's patterns.
    entries: Vec<Entry>,
}

/// An Aho-Corasick scan for the patterns' required literals, plus one regex alternation of
/// the few patterns that have none; either can flag a candidate.
struct Prefilter {
    literals: Option<aho_corasick::AhoCorasick>,
    residual: Option<Regex>,
    /// Building failed: every line is a candidate (slow, never wrong).
    broken: bool,
}

struct Entry {
    rule: usize,
    also: Vec<Regex>,
}

impl Matcher {
    pub fn new(rules: &RuleSet) -> Result<Matcher, regex::Error> {
        let mut sources = Vec::new();
        let mut entries = Vec::new();
        for (i, rule) in rules.rules().iter().enumerate() {
            if rule.status != super::RuleStatus::Active {
                continue;
            }
            for p in &rule.patterns {
                sources.push(ascii_word_boundaries(&p.regex));
                let also = p
                    .also
                    .iter()
                    .map(|a| {
                        RegexBuilder::new(&ascii_word_boundaries(a))
                            .unicode(false)
                            .case_insensitive(true)
                            .build()
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                entries.push(Entry { rule: i, also });
            }
        }
        let literals = sources
            .iter()
            .map(|s| super::literals::required(s))
            .collect();
        // ASCII mode: compiling hundreds of patterns with Unicode case folding cost
        // over 100 ms of start-up; error messages are ASCII, and non-ASCII literals (Chinese
        // console messages) still match byte for byte.
        let set = RegexSetBuilder::new(&sources)
            .case_insensitive(true)
            .unicode(false)
            // Hundreds of case-insensitive patterns exceed the default limits.
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()?;
        Ok(Matcher {
            set,
            prefilter: std::sync::OnceLock::new(),
            literals,
            sources,
            entries,
        })
    }

    /// How many patterns the set holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A position, from `at`, inside the next text some pattern matches (the end of the
    /// shortest match: cheaper than the start, which needs a reverse scan).
    ///
    /// Built on first use: a one-line paste never needs it, and it costs start-up time.
    /// `None` (every line is a candidate) if it cannot be built.
    pub fn next_candidate(&self, block: &[u8], at: usize) -> Option<usize> {
        if at >= block.len() {
            return None;
        }
        let pf = self.prefilter.get_or_init(|| self.build_prefilter());
        if pf.broken {
            return Some(at);
        }
        let by_literal = pf.literals.as_ref().and_then(|ac| {
            ac.find(aho_corasick::Input::new(block).span(at..block.len()))
                .map(|m| m.start())
        });
        // The residual regex need not look past the literal hit.
        let limit = by_literal.map_or(block.len(), |p| (p + 1).min(block.len()));
        let by_regex = pf.residual.as_ref().and_then(|re| {
            re.shortest_match_at(&block[..limit], at)
                .map(|end| end.saturating_sub(1).max(at))
        });
        match (by_literal, by_regex) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn build_prefilter(&self) -> Prefilter {
        let mut lits: Vec<&[u8]> = Vec::new();
        let mut residual: Vec<String> = Vec::new();
        for (source, l) in self.sources.iter().zip(&self.literals) {
            match l {
                Some(set) => lits.extend(set.iter().map(Vec::as_slice)),
                None => residual.push(format!("(?:{source})")),
            }
        }
        let literals = if lits.is_empty() {
            Ok(None)
        } else {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&lits)
                .map(Some)
        };
        let residual = if residual.is_empty() {
            Ok(None)
        } else {
            RegexBuilder::new(&residual.join("|"))
                .case_insensitive(true)
                // Rules anchor with ^ and $ per line; in a block those are line boundaries.
                .multi_line(true)
                .unicode(false)
                .size_limit(64 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .map(Some)
        };
        match (literals, residual) {
            (Ok(literals), Ok(residual)) => Prefilter {
                literals,
                residual,
                broken: false,
            },
            _ => Prefilter {
                literals: None,
                residual: None,
                broken: true,
            },
        }
    }

    /// Small inputs go line by line: cheaper than building the block search.
    pub fn worth_block_search(&self, block: &[u8]) -> bool {
        block.len() > 16 * 1024
    }

    /// Indices (into `RuleSet::rules`) of the rules matching this line, each once, in rule order.
    pub fn match_line(&self, line: &str, out: &mut Vec<usize>) {
        out.clear();
        let line = line.as_bytes();
        if !self.set.is_match(line) {
            return;
        }
        for i in self.set.matches(line).iter() {
            let entry = &self.entries[i];
            if entry.also.iter().all(|re| re.is_match(line)) {
                out.push(entry.rule);
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// A Unicode `\b` makes the lazy DFA give up on the first non-ASCII byte and hand the line to
/// the much slower NFA simulation: on Chinese text or binary junk that made explain 10x slower.
/// Error messages put word boundaries between ASCII words, so an ASCII `\b` means the same here.
fn ascii_word_boundaries(re: &str) -> String {
    let mut out = String::with_capacity(re.len() + 16);
    let mut chars = re.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(b @ ('b' | 'B')) => {
                    out.push_str("(?-u:\\");
                    out.push(b);
                    out.push(')');
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_boundaries_become_ascii_and_escapes_survive() {
        assert_eq!(
            ascii_word_boundaries(r"\bno such host\b"),
            r"(?-u:\b)no such host(?-u:\b)"
        );
        assert_eq!(ascii_word_boundaries(r"a\\b\.c"), r"a\\b\.c");
        assert_eq!(ascii_word_boundaries(r"\Bx"), r"(?-u:\B)x");
    }

    #[test]
    fn every_built_in_pattern_compiles_into_one_set() {
        let rules = RuleSet::embedded().unwrap();
        let m = Matcher::new(&rules).unwrap();
        assert!(m.len() > 100);
    }
}
