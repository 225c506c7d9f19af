//! Every file under `fixtures/errors/<category>/` is real error text; its folder is the
//! category `explain` must name. `none/` holds ordinary logs that must match nothing.
//! `fixtures/errors-index.tsv` says where each came from: `hand` (written down by the project:
//! the category must come first), `captured` (what a real client printed against a broken
//! registry built by `scripts/capture-fixtures`) and `collected` (copied from a public issue
//! thread). Captured and collected text includes cases the words cannot decide (distribution
//! answers `manifest unknown` both for a missing tag and a missing repository): there the
//! category must be among the first three, and the share ranked first is measured.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use regdoctor::i18n::Lang;
use regdoctor::rules::RuleSet;
use regdoctor::rules::matcher::Matcher;

fn fixtures() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/errors");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("fixtures/errors") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        let category = dir.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&dir).expect("category dir") {
            out.push((category.clone(), file.expect("file").path()));
        }
    }
    out.sort();
    out
}

/// `category/file` → origin, from the index.
fn origins() -> HashMap<String, String> {
    let index = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/errors-index.tsv");
    let text = std::fs::read_to_string(index).expect("fixtures/errors-index.tsv");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((cols.next()?.to_string(), cols.next()?.to_string()))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    n: usize,
    first: usize,
    top3: usize,
}

#[test]
fn every_fixture_is_explained_and_clean_logs_match_nothing() {
    let rules = RuleSet::embedded().expect("built-in rules load");
    let matcher = Matcher::new(&rules).expect("patterns compile");
    let origins = origins();
    let mut failures = Vec::new();
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    let all = fixtures();
    assert!(
        all.len() > 600,
        "the corpus is missing: {} files",
        all.len()
    );
    for (category, path) in &all {
        let name = format!("{category}/{}", path.file_name().unwrap().to_string_lossy());
        let Some(origin) = origins.get(&name) else {
            failures.push(format!("{name}: not in fixtures/errors-index.tsv"));
            continue;
        };
        let text = std::fs::read(path).expect("fixture");
        let got = regdoctor::explain::explain(&rules, &matcher, text.as_slice(), Lang::En)
            .expect("explain");
        let cats: Vec<&str> = got.findings.iter().map(|f| f.category.id()).collect();
        if category == "none" {
            if !cats.is_empty() || !got.unrecognised.is_empty() {
                failures.push(format!("{name}: expected nothing, got {cats:?}"));
            }
            continue;
        }
        let t = tallies.entry(origin.clone()).or_default();
        t.n += 1;
        let first = cats.first() == Some(&category.as_str());
        let top3 = cats.iter().take(3).any(|c| c == category);
        t.first += usize::from(first);
        t.top3 += usize::from(top3);
        // Text written down by the project must come first; a real client's capture must at
        // least be among the first three. Text from threads is measured (floors below): some
        // of it names its cause nowhere in the words.
        if (origin == "hand" && !first) || (origin == "captured" && !top3) {
            failures.push(format!(
                "{name} ({origin}): expected {category}, got {cats:?}"
            ));
        }
    }
    for (origin, t) in &tallies {
        eprintln!(
            "explain on {origin} fixtures: {}/{} first ({:.1}%), {}/{} in the first three",
            t.first,
            t.n,
            100.0 * t.first as f64 / t.n as f64,
            t.top3,
            t.n
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures misranked:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    // Floors under what is measured today (see the closing note of issue 12): a change that
    // loses ground on real text fails here.
    for (origin, floor, floor3) in [
        ("captured", 0.97, 1.0),
        ("collected", 0.65, 0.80),
        ("hand", 1.0, 1.0),
    ] {
        let t = &tallies[origin];
        assert!(
            t.first as f64 >= floor * t.n as f64 && t.top3 as f64 >= floor3 * t.n as f64,
            "{origin}: {}/{} ranked first (floor {floor}), {}/{} in the first three (floor {floor3})",
            t.first,
            t.n,
            t.top3,
            t.n
        );
    }
}

#[test]
fn every_rule_is_ranked_first_by_some_fixture() {
    let rules = RuleSet::embedded().expect("rules");
    let matcher = Matcher::new(&rules).expect("patterns");
    let mut first: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (_, path) in fixtures() {
        let text = std::fs::read(&path).expect("fixture");
        let got = regdoctor::explain::explain(&rules, &matcher, text.as_slice(), Lang::En)
            .expect("explain");
        if let Some(f) = got.findings.first() {
            first.insert(f.code.clone());
        }
    }
    let missing: Vec<&str> = rules
        .active()
        .filter(|r| !r.patterns.is_empty() && !first.contains(&r.code))
        .map(|r| r.code.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "rules no fixture ranks first: {missing:?}"
    );
}
