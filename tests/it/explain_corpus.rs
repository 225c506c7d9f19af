//! Every file under `fixtures/errors/<category>/` is real error text; its folder is the
//! category `explain` must rank first. `none/` holds ordinary logs that must match nothing.

use std::path::{Path, PathBuf};

use regdoctor::i18n::Lang;
use regdoctor::rules::RuleSet;
use regdoctor::rules::matcher::Matcher;

fn fixtures() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/errors");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("fixtures/errors") {
        let dir = dir.expect("entry").path();
        let category = dir.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&dir).expect("category dir") {
            out.push((category.clone(), file.expect("file").path()));
        }
    }
    out.sort();
    out
}

#[test]
fn every_fixture_ranks_its_category_first_and_clean_logs_match_nothing() {
    let rules = RuleSet::embedded().expect("built-in rules load");
    let matcher = Matcher::new(&rules).expect("patterns compile");
    let mut failures = Vec::new();
    let mut top3 = 0;
    let all = fixtures();
    assert!(
        all.len() > 100,
        "the corpus is missing: {} files",
        all.len()
    );
    for (category, path) in &all {
        let text = std::fs::read(path).expect("fixture");
        let got = regdoctor::explain::explain(&rules, &matcher, text.as_slice(), Lang::En)
            .expect("explain");
        let cats: Vec<&str> = got.findings.iter().map(|f| f.category.id()).collect();
        if category == "none" {
            if !cats.is_empty() {
                failures.push(format!(
                    "{}: expected no match, got {cats:?}",
                    path.display()
                ));
            }
            continue;
        }
        if cats.iter().take(3).any(|c| c == category) {
            top3 += 1;
        }
        if cats.first() != Some(&category.as_str()) {
            failures.push(format!(
                "{}: expected {category} first, got {cats:?}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures misranked:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    assert!(top3 > 0);
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
