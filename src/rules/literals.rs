//! The literal text every match of a pattern must contain, for `explain`'s prefilter: an
//! Aho-Corasick scan for these finds candidate lines far faster than running hundreds of
//! case-insensitive regexes over a whole log. The regex crate does this itself for small sets,
//! but gives up its prefilter for an alternation of hundreds of patterns; this walk keeps one
//! literal set per pattern instead, so the prefilter always applies.

use regex_syntax::hir::{Hir, HirKind};

/// Shorter literals would flag nearly every line of a log: such patterns are searched with
/// the regex instead.
const MIN_LEN: usize = 4;

/// Lower-cased literals such that every match of `pattern` contains at least one of them (as
/// ASCII case-insensitive text), or `None` when no useful set is known.
pub fn required(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let set = walk(&hir)?;
    (set.iter().all(|l| l.len() >= MIN_LEN) && !set.is_empty()).then_some(set)
}

/// Text that turns up on ordinary CI log lines (URLs, proxy settings): a literal made of it
/// would send thousands of harmless lines to the regexes, so another part of the pattern is
/// preferred when there is one.
const COMMON: &[&[u8]] = &[
    b"https://",
    b"http://",
    b"/v2/",
    b"/token",
    b"roxy",
    b"docker",
    b"error",
    b"image",
    b"registry",
    b"pull",
    b"push",
    b"level=",
    b"info",
    b"warn",
];

/// How well a literal set filters: its shortest literal's length, or almost nothing when one of
/// its literals is common log text.
fn selectivity(set: &[Vec<u8>]) -> usize {
    let contains = |hay: &[u8], needle: &[u8]| {
        !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
    };
    // A long literal is selective even when it holds a common word.
    let common = set.iter().any(|l| {
        COMMON
            .iter()
            .any(|c| contains(c, l) || (contains(l, c) && l.len() < c.len() + 6))
    });
    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
    if shortest < MIN_LEN {
        0
    } else if common {
        1
    } else {
        shortest
    }
}

fn walk(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_ascii_lowercase()]),
        HirKind::Capture(c) => walk(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => walk(&r.sub),
        HirKind::Alternation(subs) => {
            let mut all = Vec::new();
            for s in subs {
                all.extend(walk(s)?);
            }
            Some(all)
        }
        // Any child's set will do; pick the one that flags the fewest ordinary log lines.
        HirKind::Concat(subs) => subs
            .iter()
            .filter_map(walk)
            .max_by_key(|set| selectivity(set)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(p: &str) -> Option<Vec<String>> {
        required(p).map(|v| {
            v.into_iter()
                .map(|b| String::from_utf8(b).unwrap())
                .collect()
        })
    }

    #[test]
    fn literals_are_the_mandatory_text() {
        assert_eq!(req(r"\bno such host\b"), Some(vec!["no such host".into()]));
        assert_eq!(
            req(r"x509: certificate (has expired|is not yet valid)"),
            Some(vec!["x509: certificate ".into()])
        );
        assert_eq!(
            req(r"(?:TOOMANYREQUESTS|rate limit)"),
            Some(vec!["toomanyrequests".into(), "rate limit".into()])
        );
        // A concatenation keeps its best piece.
        assert_eq!(
            req(r"dial tcp \S+: i/o timeout"),
            Some(vec![": i/o timeout".into()])
        );
        // Optional text is not required.
        assert_eq!(req(r"(?:unauthorized)?"), None);
        // Common log text is avoided when the pattern has something rarer.
        assert_eq!(
            req(r#""?https://\S+"?: EOF\s*$"#),
            Some(vec![": eof".into()])
        );
        // Too short to filter.
        assert_eq!(req(r"\b40[13]\b"), None);
        // Non-ASCII literals are bytes.
        assert_eq!(req("证书已过期"), Some(vec!["证书已过期".into()]));
    }

    #[test]
    fn every_match_contains_one_of_the_literals() {
        let rules = crate::rules::RuleSet::embedded().unwrap();
        let mut with = 0;
        let mut without = Vec::new();
        for rule in rules.rules() {
            for p in &rule.patterns {
                match required(&p.regex) {
                    Some(_) => with += 1,
                    None => without.push(p.regex.clone()),
                }
            }
        }
        // Most patterns must be filterable, or the prefilter is pointless.
        assert!(
            without.len() * 10 < with,
            "{} of {} patterns have no literal: {without:#?}",
            without.len(),
            with + without.len()
        );
    }
}
