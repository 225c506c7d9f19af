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

/// Sample values for every placeholder a command may hold: known ones look like what a check
/// fills in; any other `{name}` becomes `sample-name`.
fn sample_vars(command: &str) -> std::collections::BTreeMap<String, String> {
    let mut vars: std::collections::BTreeMap<String, String> = [
        ("registry", "registry.example.com:5000"),
        ("host", "registry.example.com"),
        ("port", "5000"),
        ("repository", "team/app"),
        ("tag", "1.0"),
        ("image", "registry.example.com:5000/team/app:1.0"),
        ("full_reference", "docker.io/library/app:1.0"),
        ("realm_host", "auth.example.com"),
        ("mirror", "https://mirror.example.com"),
        ("public_host", "registry.cn-hangzhou.aliyuncs.com"),
        ("suggested_host", "swr.cn-north-4.myhuaweicloud.com"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let re = regex::Regex::new(r"\{([a-z_]+)\}").expect("regex");
    for c in re.captures_iter(command) {
        vars.entry(c[1].to_string())
            .or_insert_with(|| format!("sample-{}", c[1].replace('_', "-")));
    }
    vars
}

/// Every fix command of every pack parses as shell once its placeholders are filled, and no
/// `<placeholder>` is left in it that the filling cannot reach (bash would read it as a
/// redirection).
#[test]
fn every_fix_command_parses_as_shell() {
    let mut checked = 0;
    let mut bad = Vec::new();
    let bare_placeholder = regex::Regex::new(r"<[a-z][a-z0-9_-]*>").expect("regex");
    for r in rules().active() {
        for (i, f) in r.fixes.iter().enumerate() {
            let Some(cmd) = &f.command else { continue };
            let filled = super::diagnose::fill_placeholders(cmd, &sample_vars(cmd));
            if bare_placeholder.is_match(&filled) {
                bad.push(format!(
                    "{} fix {}: a literal <placeholder>: {filled}",
                    r.code,
                    i + 1
                ));
                continue;
            }
            let out = std::process::Command::new("bash")
                .args(["-n", "-c", &filled])
                .output()
                .expect("bash runs");
            if !out.status.success() {
                bad.push(format!(
                    "{} fix {}: {filled}\n  {}",
                    r.code,
                    i + 1,
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            checked += 1;
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(checked > 100, "only {checked} commands");
}

/// Conditions name only known products, clients, host classes and OS families, and a fix that
/// is shown everywhere never names a product's console in its command.
#[test]
fn fixes_fit_the_facts_of_the_issue_cases() {
    use super::facts::{Facts, fit};
    use crate::i18n::Lang;
    let set = rules();
    let facts = |product: Option<&str>, client: Option<&str>, host: Option<&str>| Facts {
        product: product.map(str::to_string),
        client: client.map(str::to_string),
        host: host.map(str::to_string),
        os: Some("linux".into()),
    };
    let fixes_of = |code: &str, f: &Facts| -> String {
        let rule = set.get(code).expect("rule");
        let mut findings = vec![super::diagnose::finding(rule, Lang::En, &sample_vars(""))];
        fit(&mut findings, f);
        let finding = &findings[0];
        serde_json::to_string(&(&finding.causes, &finding.fixes)).expect("json")
    };
    // A plain distribution registry: no console of a cloud product, no ECR command.
    let plain = fixes_of(
        "RD-REPO-001",
        &facts(Some("distribution"), None, Some("private")),
    );
    for word in ["ACR", "Harbor", "aws ecr"] {
        assert!(!plain.contains(word), "{word} for distribution: {plain}");
    }
    // Loopback: no firewall, no security group, no MTU probe.
    let refused = fixes_of("RD-NET-001", &facts(None, None, Some("loopback")));
    for word in ["firewall-cmd", "security group", "grep ':"] {
        assert!(!refused.contains(word), "{word} for loopback: {refused}");
    }
    let stalled = fixes_of("RD-NET-007", &facts(None, None, Some("loopback")));
    assert!(!stalled.contains("MTU"), "{stalled}");
    let refused_remote = fixes_of("RD-NET-001", &facts(None, None, Some("public")));
    assert!(refused_remote.contains("firewall-cmd"), "{refused_remote}");
    // podman: its own fix first, no daemon.json.
    let rule = set.get("RD-HTTP-001").expect("rule");
    let mut f = vec![super::diagnose::finding(rule, Lang::En, &sample_vars(""))];
    fit(&mut f, &facts(None, Some("podman"), None));
    assert!(f[0].fixes[0].text.contains("podman"), "{:?}", f[0].fixes);
    assert!(
        f[0].fixes
            .iter()
            .all(|x| x.file.as_deref() != Some("/etc/docker/daemon.json")),
        "{:?}",
        f[0].fixes
    );
    // NXDOMAIN for Docker Hub: a resolver problem, never a typo, no docker login.
    let hub = fixes_of(
        "RD-DNS-001",
        &facts(Some("dockerhub"), None, Some("public")),
    );
    assert!(
        !hub.contains("misspel") && !hub.contains("docker login"),
        "{hub}"
    );
    assert!(hub.contains("resolver"), "{hub}");
    let unknown = fixes_of("RD-DNS-001", &facts(None, None, None));
    assert!(unknown.contains("misspel"), "{unknown}");
    // One secret name per finding: `regcred` throughout, and CCE's `default-secret` only in
    // the fix that says it is for CCE (last), or alone when the registry is SWR.
    let rule = set.get("RD-K8S-001").expect("rule");
    for product in [None, Some("swr")] {
        let mut f = vec![super::diagnose::finding(rule, Lang::En, &sample_vars(""))];
        fit(&mut f, &facts(product, Some("kubelet"), None));
        let texts: Vec<String> = f[0]
            .fixes
            .iter()
            .map(|x| serde_json::to_string(x).expect("json"))
            .collect();
        let with_default: Vec<&String> = texts
            .iter()
            .filter(|t| t.contains("default-secret"))
            .collect();
        assert!(
            with_default.iter().all(|t| t.contains("CCE")),
            "{product:?}: {texts:#?}"
        );
        if product.is_some() {
            assert!(texts.iter().all(|t| !t.contains("regcred")), "{texts:#?}");
        } else {
            assert!(
                texts.last().is_some_and(|t| t.contains("CCE")),
                "{texts:#?}"
            );
        }
    }
}

/// Conditions never leave a finding without any cause or fix, whatever the facts.
#[test]
fn no_facts_leave_a_rule_without_advice() {
    use super::facts::{CLIENTS, Facts, HOST_CLASSES, PRODUCTS, applies};
    let clients = std::iter::once(None).chain(CLIENTS.iter().map(|c| Some(*c)));
    let combos: Vec<Facts> = clients
        .flat_map(|client| {
            PRODUCTS.iter().flat_map(move |product| {
                std::iter::once(None)
                    .chain(HOST_CLASSES.iter().map(|h| Some(*h)))
                    .map(move |host| Facts {
                        product: Some(product.to_string()),
                        client: client.map(str::to_string),
                        host: host.map(str::to_string),
                        os: Some("linux".into()),
                    })
            })
        })
        .collect();
    let mut bare = Vec::new();
    for r in rules().active() {
        for facts in &combos {
            let fixes = r
                .fixes
                .iter()
                .filter(|f| applies(f.when.as_ref(), f.unless.as_ref(), facts))
                .count();
            let causes = r
                .causes
                .iter()
                .filter(|c| applies(c.when.as_ref(), c.unless.as_ref(), facts))
                .count();
            if (fixes == 0 && !r.fixes.is_empty()) || (causes == 0 && !r.causes.is_empty()) {
                bare.push(format!("{} under {facts:?}", r.code));
                break;
            }
        }
    }
    assert!(bare.is_empty(), "{}", bare.join("\n"));
}
