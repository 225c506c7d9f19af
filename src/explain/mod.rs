//! `explain`: stream text, find every line a rule recognises, group repeats, rank the causes.

pub mod chain;
pub mod extract;
pub mod facts;
pub mod lines;
pub mod unwrap;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use crate::i18n::Lang;
use crate::report::{Finding, MatchedLine};
use crate::rules::RuleSet;
use crate::rules::diagnose;
use crate::rules::matcher::Matcher;

/// How many example lines each finding keeps; repeats of the same text are counted, not kept.
const EXAMPLES_PER_RULE: usize = 3;

pub struct Explained {
    pub findings: Vec<Finding>,
    pub extracted: BTreeMap<String, String>,
    pub lines_read: u64,
    /// Lines that clearly report a registry failure that no rule explains: never dropped.
    pub unrecognised: Vec<Unrecognised>,
}

/// A registry failure read from the text that fits no rule, with what the reader made of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unrecognised {
    pub line: u64,
    pub text: String,
    pub facts: BTreeMap<String, String>,
}

/// How many unrecognised lines are kept (distinct texts).
const UNRECOGNISED_KEPT: usize = 5;

#[derive(Default)]
struct Hits {
    /// Lines where this rule was the most specific match.
    primary: u64,
    /// Lines where a more specific rule matched as well.
    secondary: u64,
    /// The highest priority this rule reached on a line: its own, raised when the reader of
    /// error chains found the protocol stage agreeing with it.
    priority: u8,
    first_line: u64,
    examples: Vec<MatchedLine>,
}

/// One rule's claim on one line.
#[derive(Clone, Copy)]
struct Claim {
    rule: usize,
    priority: u8,
    /// Only an alternative reading: never the line's primary cause.
    alternative: bool,
}

/// Read all of `input` (any size: memory is bounded by the line cap, not the input) and rank
/// the rules that match.
pub fn explain(
    rules: &RuleSet,
    matcher: &Matcher,
    input: impl Read,
    lang: Lang,
) -> std::io::Result<Explained> {
    let mut hits: HashMap<usize, Hits> = HashMap::new();
    let mut extractor = extract::Extractor::default();
    let mut unrecognised: Vec<Unrecognised> = Vec::new();
    let mut matched = Vec::new();
    let mut claims: Vec<Claim> = Vec::new();
    let mut reader = lines::BoundedLines::new(input);
    let mut lines_read = 0u64;
    let mut scratch = String::new();
    // Built on the first large block: a one-line paste never needs it.
    let mut colour: Option<Option<regex::bytes::Regex>> = None;
    let mut registry_api_seen = false;
    let mut unescaped = String::new();
    // `whole`: every line of a short paste is read in full; in a large log only lines that a
    // phrase pattern or a trigger of the reader selected are (CI logs are mostly noise, and a
    // colour code makes a line a candidate too).
    let mut on_line = |line_no: u64, raw_line: &str, whole: bool| {
        let triggered = whole || chain::next_trigger(raw_line.as_bytes(), 0).is_some();
        let line = chain::unescape_logfmt(raw_line, &mut unescaped);
        matcher.match_line(line, &mut matched);
        if matched.is_empty() && !triggered {
            return;
        }
        let read = chain::read(line);
        let lower = line.to_ascii_lowercase();
        // curl is how people test a registry by hand: once the text has asked a registry's
        // API (`curl https://host/v2/`), curl's own errors are about that registry.
        registry_api_seen |= chain::asks_registry_api(&lower);
        let tested_by_hand = registry_api_seen && lower.contains("curl: (");
        if !read.registry_context && !tested_by_hand && chain::foreign(&lower) {
            // Another tool's download failing: its DNS errors and 403s are not ours.
            return;
        }
        let readings = facts::readings(&read);
        claims.clear();
        for &i in &matched {
            claims.push(Claim {
                rule: i,
                priority: rules.rules()[i].priority,
                alternative: false,
            });
        }
        // Alternatives rank in the reader's order, below the reading they stand beside.
        let mut alternative_ceiling = u8::MAX;
        for r in &readings {
            let Some(i) = rules.observation_index(r.key) else {
                continue;
            };
            let mut base = rules.rules()[i].priority;
            if r.weight == facts::Weight::Alternative {
                base = base.min(alternative_ceiling);
                alternative_ceiling = base.saturating_sub(1);
            } else {
                alternative_ceiling = alternative_ceiling.min(base.saturating_sub(1));
            }
            // The stage lifts a reading over generic phrases (rules less specific than its
            // own), never over a phrase rule that is more specific.
            let outranked = matched.iter().any(|&m| rules.rules()[m].priority > base);
            let priority = if outranked {
                base
            } else {
                base.saturating_add(r.weight.bonus())
            };
            let alternative = r.weight == facts::Weight::Alternative;
            match claims.iter_mut().find(|c| c.rule == i) {
                Some(c) => {
                    c.priority = c.priority.max(priority);
                    c.alternative &= alternative;
                }
                None => claims.push(Claim {
                    rule: i,
                    priority,
                    alternative,
                }),
            }
        }
        if claims.is_empty() {
            if unexplained_failure(&read, line) {
                note_unrecognised(&mut unrecognised, line_no, line, &read);
            }
            return;
        }
        if claims.iter().all(|c| c.alternative) {
            // Only alternatives: the firmest of them is still the best reading of this line.
            for c in &mut claims {
                c.alternative = false;
            }
        }
        extractor.scan(line);
        extractor.chain(&read);
        let best = claims
            .iter()
            .filter(|c| !c.alternative)
            .map(|c| c.priority)
            .max()
            .unwrap_or(0);
        for c in &claims {
            let h = hits.entry(c.rule).or_default();
            if h.primary + h.secondary == 0 {
                h.first_line = line_no;
            }
            h.priority = h.priority.max(c.priority);
            if !c.alternative && c.priority == best {
                h.primary += 1;
            } else {
                h.secondary += 1;
            }
            record_example(h, line_no, line);
        }
    };
    while let Some(block) = reader.next_block()? {
        let newlines = count_newlines(block);
        let lines_in_block = newlines + u64::from(!block.ends_with(b"\n"));
        if !matcher.worth_block_search(block) {
            // A short paste is cheaper line by line: every line is cleaned and tried, after
            // the lines a terminal wrapped are joined again.
            let mut text = String::with_capacity(block.len());
            for raw in block.split(|&b| b == b'\n').take(lines_in_block as usize) {
                text.push_str(lines::decode_line(raw, &mut scratch));
                text.push('\n');
            }
            text.pop();
            for (n, line) in unwrap::logical_lines(&text) {
                on_line(lines_read + n as u64 + 1, &line, true);
            }
        } else {
            // Jump from candidate to candidate; only their lines are decoded and matched. A
            // line with a colour code is a candidate too: the codes can split a phrase, so the
            // raw bytes may hide it. (Before, one colour code anywhere sent the whole block line
            // by line, and CI logs have one in nearly every block.)
            let esc = colour.get_or_insert_with(colour_finder);
            let (mut pos, mut counted, mut before) = (0usize, 0usize, 0u64);
            // Both searches report the first hit at or after `pos`; a hit still ahead of `pos`
            // stays valid, so each is only run again once it falls behind.
            let find_esc = |pos: usize| {
                esc.as_ref()
                    .map_or(Some(pos), |re| re.find_at(block, pos).map(|m| m.start()))
            };
            let (mut next_lit, mut next_esc) = (matcher.next_candidate(block, 0), find_esc(0));
            // Lines the reader of error chains can read: registry requests, client wrappers
            // and error codes that no phrase pattern names.
            let mut next_chain = chain::next_trigger(block, 0);
            loop {
                if next_lit.is_some_and(|p| p < pos) {
                    next_lit = matcher.next_candidate(block, pos);
                }
                if next_esc.is_some_and(|p| p < pos) {
                    next_esc = find_esc(pos);
                }
                if next_chain.is_some_and(|p| p < pos) {
                    next_chain = chain::next_trigger(block, pos);
                }
                let hit = match [next_lit, next_esc, next_chain].into_iter().flatten().min() {
                    Some(hit) => hit,
                    None => break,
                };
                let start = block[..hit]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
                let end = block[hit..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(block.len(), |p| hit + p);
                before += count_newlines(&block[counted..start]);
                counted = start;
                on_line(
                    lines_read + before + 1,
                    lines::decode_line(&block[start..end], &mut scratch),
                    false,
                );
                pos = end + 1;
                if pos >= block.len() {
                    break;
                }
            }
        }
        lines_read += lines_in_block;
    }

    let extracted = extractor.finish();
    let vars = extract::fix_vars(&extracted);
    let mut scored: Vec<(u32, u64, Finding)> = hits
        .into_iter()
        .map(|(i, h)| {
            let rule = &rules.rules()[i];
            let mut f = diagnose::finding(rule, lang, &vars);
            let score = score(h.priority, h.primary, h.secondary);
            f.score = Some(score);
            f.lines = h.examples;
            (score, h.first_line, f)
        })
        .collect();
    // Highest score first; on a tie the lower layer (category order), then the earlier line:
    // in a log the first error is usually the cause of the ones after it.
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.2.category.cmp(&b.2.category))
            .then(a.1.cmp(&b.1))
    });
    // Alternatives are worth most as other causes: a second rule of a category already shown
    // waits until every category has had its first.
    let mut seen = std::collections::HashSet::new();
    let (firsts, repeats): (Vec<Finding>, Vec<Finding>) = scored
        .into_iter()
        .map(|(_, _, f)| f)
        .partition(|f| seen.insert(f.category));
    Ok(Explained {
        findings: firsts.into_iter().chain(repeats).collect(),
        extracted,
        lines_read,
        unrecognised,
    })
}

fn note_unrecognised(out: &mut Vec<Unrecognised>, line_no: u64, line: &str, read: &chain::Chain) {
    let text = shorten(line.trim());
    if out.len() >= UNRECOGNISED_KEPT
        || out
            .iter()
            .any(|u| extract::without_timestamp(&u.text) == extract::without_timestamp(&text))
    {
        return;
    }
    out.push(Unrecognised {
        line: line_no,
        text,
        facts: extract::chain_facts(read),
    });
}

/// A line that reports a failure of a registry request (it names a stage of the protocol or a
/// distribution error code, and something went wrong) although no rule claims it.
fn unexplained_failure(read: &chain::Chain, line: &str) -> bool {
    if read.stage.is_none() && read.codes.is_empty() {
        return false;
    }
    if read.has_failure() {
        return true;
    }
    let lower = line.to_ascii_lowercase();
    ["error", "failed", "fatal", "denied", "refused", "invalid"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Finds the escape byte that starts a colour code (a one-byte literal: the regex crate runs
/// `memchr` for it). `None` if it cannot be built: then every line is a candidate, slow but
/// never wrong.
fn colour_finder() -> Option<regex::bytes::Regex> {
    regex::bytes::Regex::new(r"\x1b").ok()
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Priority dominates (the specific beats the generic); how often a rule matched adds a little,
/// on a log scale so that one noisy retry loop cannot outvote a rarer, more specific line. A rule
/// that only ever matched beside a more specific one is demoted.
fn score(priority: u8, primary: u64, secondary: u64) -> u32 {
    let base = u32::from(priority) * 100;
    let count = primary.max(1);
    let frequency = (64 - count.leading_zeros()) * 5; // ~5 points per doubling
    if primary == 0 && secondary > 0 {
        base / 2 + frequency
    } else {
        base + frequency
    }
}

fn record_example(h: &mut Hits, line_no: u64, line: &str) {
    let text = shorten(line.trim());
    let key = extract::without_timestamp(&text);
    if let Some(ex) = h
        .examples
        .iter_mut()
        .find(|e| extract::without_timestamp(&e.text) == key)
    {
        ex.repeats += 1;
    } else if h.examples.len() < EXAMPLES_PER_RULE {
        h.examples.push(MatchedLine {
            line: line_no,
            text,
            repeats: 0,
        });
    }
}

/// Keep report lines readable: a 10 KB minified log line is cut, on a character boundary.
fn shorten(line: &str) -> String {
    const MAX: usize = 400;
    if line.len() <= MAX {
        return line.to_string();
    }
    let mut end = MAX;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specific_priority_beats_frequency() {
        // One line of a priority-60 rule beats a thousand of a priority-30 one.
        assert!(score(60, 1, 0) > score(30, 1000, 0));
        assert!(score(50, 8, 0) > score(50, 1, 0));
        assert!(score(50, 0, 3) < score(50, 1, 0));
    }

    /// The block search (a large input, candidates by literal or by colour code) reports the
    /// same rules on the same line numbers as trying every line, including phrases that colour
    /// codes split and lines with invalid UTF-8 or CRLF endings.
    #[test]
    fn block_search_finds_the_same_lines_as_every_line() {
        let rules = RuleSet::embedded().unwrap();
        let matcher = Matcher::new(&rules).unwrap();
        let specials: &[&[u8]] = &[
            b"\x1b[31mError:\x1b[0m x509: certificate signed by unknown authority",
            b"toomanyrequests: You have reached your pull rate limit\r",
            b"x509: \x1b[1mcertificate has\x1b[0m expired or is not yet valid \xff",
            b"\x1b[32mStep 3/9 : RUN make\x1b[0m",
            b"dial tcp: lookup reg.example on 10.0.0.2:53: no such host",
        ];
        let mut input = Vec::new();
        for i in 0..6000 {
            if i % 1500 == 700 {
                input.extend_from_slice(specials[(i / 1500) % specials.len()]);
            } else if i % 977 == 5 {
                input.extend_from_slice(b"\x1b[33mwarning\x1b[0m: unused variable");
            } else {
                input.extend_from_slice(format!("   Compiling crate-{i} v0.{i}.0").as_bytes());
            }
            input.push(b'\n');
        }
        input.extend_from_slice(specials[4]);
        assert!(matcher.worth_block_search(&input));

        let mut want: Vec<(String, u64)> = Vec::new();
        let (mut scratch, mut out) = (String::new(), Vec::new());
        for (n, raw) in input.split(|&b| b == b'\n').enumerate() {
            matcher.match_line(lines::decode_line(raw, &mut scratch), &mut out);
            for &i in &out {
                want.push((rules.rules()[i].code.clone(), n as u64 + 1));
            }
        }
        want.sort();
        assert!(want.len() >= 5, "{want:?}");

        let got = explain(&rules, &matcher, input.as_slice(), Lang::En).unwrap();
        let mut got_lines: Vec<(String, u64)> = got
            .findings
            .iter()
            .flat_map(|f| f.lines.iter().map(|l| (f.code.clone(), l.line)))
            .collect();
        got_lines.sort();
        assert_eq!(got_lines, want);
        assert_eq!(got.lines_read, 6001);
    }

    #[test]
    fn long_lines_are_cut_on_char_boundaries() {
        let s = "错".repeat(300);
        let out = shorten(&s);
        assert!(out.ends_with('…'));
        assert!(out.len() < s.len());
    }
}
