//! Matching `explain` patterns against text without compiling all of them. Every pattern's
//! required literals (see `literals`) go into one Aho-Corasick automaton: it finds candidate
//! lines in a large block, and, on a line, names the few patterns worth running. Each pattern's
//! regex is compiled the first time it is a candidate, so a one-line paste compiles a handful
//! instead of hundreds (a `RegexSet` of all of them cost ~33 ms of start-up).

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};

use super::RuleSet;

pub struct Matcher {
    /// Built on first use.
    prefilter: OnceLock<Prefilter>,
    /// Each pattern's required literals, `None` for those without.
    literals: Vec<Option<Vec<Vec<u8>>>>,
    /// Pattern sources, with ASCII word boundaries.
    sources: Vec<String>,
    /// Parallel to `sources`.
    entries: Vec<Entry>,
}

/// The automaton over all required literals (with, for each literal, its pattern), plus one
/// regex alternation of the few patterns that have none.
struct Prefilter {
    /// A contiguous NFA: quick to build, for single lines.
    literals: Option<aho_corasick::AhoCorasick>,
    /// The same literals as a DFA, for scanning large blocks (twice as fast to run, four times
    /// slower to build: only when a large input needs it).
    block_literals: OnceLock<Option<aho_corasick::AhoCorasick>>,
    /// The literals, for building `block_literals`.
    all: Vec<Vec<u8>>,
    /// Literal index → pattern index.
    owner: Vec<usize>,
    residual: Option<Regex>,
    /// Patterns without literals: candidates on every line.
    always: Vec<usize>,
    /// Building failed: every pattern is a candidate everywhere (slow, never wrong).
    broken: bool,
}

struct Entry {
    rule: usize,
    regex: OnceLock<Option<Regex>>,
    also: Vec<Regex>,
}

fn automaton<P: AsRef<[u8]>>(
    literals: &[P],
    dfa: bool,
) -> Result<Option<aho_corasick::AhoCorasick>, aho_corasick::BuildError> {
    if literals.is_empty() {
        return Ok(None);
    }
    let kind = if dfa {
        aho_corasick::AhoCorasickKind::DFA
    } else {
        aho_corasick::AhoCorasickKind::ContiguousNFA
    };
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(kind))
        .build(literals)
        .map(Some)
}

fn build(source: &str) -> Result<Regex, regex::Error> {
    // ASCII mode: Unicode case folding made compiling hundreds of patterns cost over 100 ms;
    // error messages are ASCII, and non-ASCII literals (Chinese console messages) still match
    // byte for byte.
    RegexBuilder::new(source)
        .case_insensitive(true)
        .unicode(false)
        .size_limit(16 << 20)
        .build()
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
                    .map(|a| build(&ascii_word_boundaries(a)))
                    .collect::<Result<Vec<_>, _>>()?;
                entries.push(Entry {
                    rule: i,
                    regex: OnceLock::new(),
                    also,
                });
            }
        }
        let literals = sources
            .iter()
            .map(|s| super::literals::required(s))
            .collect();
        Ok(Matcher {
            prefilter: OnceLock::new(),
            literals,
            sources,
            entries,
        })
    }

    /// Compiles every pattern now: for `rules` validation and tests (explain never needs to).
    pub fn compile_all(&self) -> Result<(), (usize, regex::Error)> {
        for (i, s) in self.sources.iter().enumerate() {
            build(s).map_err(|e| (i, e))?;
        }
        Ok(())
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
        let pf = self.prefilter();
        if pf.broken {
            return Some(at);
        }
        let block_ac = pf
            .block_literals
            .get_or_init(|| automaton(&pf.all, true).ok().flatten());
        let by_literal = block_ac.as_ref().and_then(|ac| {
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

    fn prefilter(&self) -> &Prefilter {
        self.prefilter.get_or_init(|| self.build_prefilter())
    }

    fn build_prefilter(&self) -> Prefilter {
        let mut lits: Vec<&[u8]> = Vec::new();
        let mut owner = Vec::new();
        let mut residual: Vec<String> = Vec::new();
        let mut always = Vec::new();
        for (i, (source, l)) in self.sources.iter().zip(&self.literals).enumerate() {
            match l {
                Some(set) => {
                    for lit in set {
                        lits.push(lit);
                        owner.push(i);
                    }
                }
                None => {
                    residual.push(format!("(?:{source})"));
                    always.push(i);
                }
            }
        }
        let literals = automaton(&lits, false);
        let residual = if residual.is_empty() {
            Ok(None)
        } else {
            RegexBuilder::new(&residual.join("|"))
                .case_insensitive(true)
                // Rules anchor with ^ and $ per line; in a block those are line boundaries.
                .multi_line(true)
                // ... and a line of a CRLF log ends before its `\r`, as line by line.
                .crlf(true)
                .unicode(false)
                .size_limit(16 << 20)
                .build()
                .map(Some)
        };
        match (literals, residual) {
            (Ok(literals), Ok(residual)) => Prefilter {
                literals,
                block_literals: OnceLock::new(),
                all: lits.iter().map(|l| l.to_vec()).collect(),
                owner,
                residual,
                always,
                broken: false,
            },
            _ => Prefilter {
                literals: None,
                block_literals: OnceLock::new(),
                all: Vec::new(),
                owner: Vec::new(),
                residual: None,
                always: (0..self.sources.len()).collect(),
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
        let pf = self.prefilter();
        let mut candidates: Vec<usize> = pf.always.clone();
        if let Some(ac) = &pf.literals {
            candidates.extend(
                ac.find_overlapping_iter(line)
                    .map(|m| pf.owner[m.pattern().as_usize()]),
            );
        }
        candidates.sort_unstable();
        candidates.dedup();
        for i in candidates {
            let entry = &self.entries[i];
            let Some(re) = entry.regex.get_or_init(|| build(&self.sources[i]).ok()) else {
                continue;
            };
            if re.is_match(line) && entry.also.iter().all(|a| a.is_match(line)) {
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
    fn every_built_in_pattern_compiles() {
        let rules = RuleSet::embedded().unwrap();
        let m = Matcher::new(&rules).unwrap();
        assert!(m.len() > 100);
        m.compile_all().unwrap();
    }

    /// The prefilter never hides a match: every line a pattern matches is found with it, both
    /// line by line and by the block search.
    #[test]
    fn prefiltered_matching_agrees_with_plain_regexes() {
        let rules = RuleSet::embedded().unwrap();
        let m = Matcher::new(&rules).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/errors");
        let mut lines = Vec::new();
        for cat in std::fs::read_dir(dir).unwrap() {
            for f in std::fs::read_dir(cat.unwrap().path()).unwrap() {
                let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
                lines.extend(text.lines().map(str::to_string));
            }
        }
        let plain: Vec<Regex> = m.sources.iter().map(|s| build(s).unwrap()).collect();
        let mut out = Vec::new();
        for line in &lines {
            let mut want: Vec<usize> = plain
                .iter()
                .enumerate()
                .filter(|(i, re)| {
                    re.is_match(line.as_bytes())
                        && m.entries[*i]
                            .also
                            .iter()
                            .all(|a| a.is_match(line.as_bytes()))
                })
                .map(|(i, _)| m.entries[i].rule)
                .collect();
            want.sort_unstable();
            want.dedup();
            m.match_line(line, &mut out);
            assert_eq!(out, want, "{line}");
            if !want.is_empty() {
                let block = format!("padding line\n{line}\nmore padding\n");
                let hit = m.next_candidate(block.as_bytes(), 0);
                assert!(
                    hit.is_some_and(|h| h >= 13 && h <= 13 + line.len()),
                    "block search missed {line:?}: {hit:?}"
                );
            }
        }
        assert!(lines.len() > 300);
    }
}
