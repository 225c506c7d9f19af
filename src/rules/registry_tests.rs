//! The rule registry tested as data (as ruff, cargo-deny and rustc's tidy do): every rule is
//! complete, codes are unique and stable in form, every seed row is carried.

use std::collections::HashSet;

use super::{RuleSet, is_valid_code};

fn rules() -> RuleSet {
    RuleSet::embedded().expect("built-in rules load")
}

#[test]
fn every_rule_is_complete_in_both_languages() {
    for r in rules().active() {
        let ctx = &r.code;
        assert!(is_valid_code(&r.code), "{ctx}");
        for (what, t) in [("title", &r.title), ("why", &r.why)] {
            assert!(
                !t.en.trim().is_empty() && !t.zh.trim().is_empty(),
                "{ctx}: {what} in both languages"
            );
        }
        for c in &r.causes {
            assert!(
                !c.en.trim().is_empty() && !c.zh.trim().is_empty(),
                "{ctx}: cause"
            );
        }
        for f in &r.fixes {
            assert!(
                !f.en.trim().is_empty() && !f.zh.trim().is_empty(),
                "{ctx}: fix"
            );
        }
        assert!(!r.source.trim().is_empty(), "{ctx}: source");
        assert!(
            !r.patterns.is_empty() || !r.observations.is_empty(),
            "{ctx}: nothing triggers it"
        );
        for banned in ["use-", "avoid-", "prefer-", "do-not-", "fix-"] {
            assert!(
                !r.name.starts_with(banned),
                "{ctx}: name {} names the fix, not the problem",
                r.name
            );
        }
    }
}

#[test]
fn codes_are_unique_and_match_their_pack() {
    let mut seen = HashSet::new();
    for (file, text) in super::embedded::PACKS {
        let pack = super::parse_pack(file, text).expect("pack parses");
        let mut previous = String::new();
        for r in pack {
            assert!(seen.insert(r.code.clone()), "duplicate {}", r.code);
            assert!(r.code > previous, "{file}: {} is out of order", r.code);
            previous = r.code.clone();
        }
    }
}

#[test]
fn every_seed_row_is_carried_by_a_rule() {
    let carried: HashSet<String> = rules().active().flat_map(|r| r.seeds.clone()).collect();
    for n in 1..=33 {
        let id = format!("S{n:02}");
        assert!(carried.contains(&id), "{id} has no rule");
    }
}

#[test]
fn every_observation_key_has_exactly_one_rule() {
    let mut seen = HashSet::new();
    for r in rules().active() {
        for key in &r.observations {
            assert!(seen.insert(key.clone()), "{key} is explained by two rules");
            let check = key.split('.').next().unwrap_or_default();
            assert!(
                crate::probe::find(check).is_some(),
                "{}: observation {key} names no check",
                r.code
            );
        }
    }
    for key in crate::probe::EMITTED_KEYS {
        assert!(
            seen.contains(*key),
            "probes emit {key}, and no rule explains it"
        );
    }
}

#[test]
fn every_cause_names_real_checks() {
    for r in rules().active() {
        for c in &r.causes {
            for id in &c.checks {
                assert!(
                    crate::probe::find(id).is_some(),
                    "{}: cause names unknown check {id:?}",
                    r.code
                );
            }
        }
    }
}
