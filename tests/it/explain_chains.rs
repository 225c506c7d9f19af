//! `explain` reads error chains the way clients build them: text no phrase was written for.

use crate::support::cmd::Regdoctor;

fn categories(text: &str) -> (i32, Vec<String>, serde_json::Value) {
    let run = Regdoctor::new().args(["explain", "--json", text]).run();
    let report = run.json();
    let cats = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["category"].as_str().unwrap_or_default().to_string())
        .collect();
    (run.code, cats, report)
}

#[test]
fn a_proxy_refusal_in_its_own_words_is_the_proxy() {
    // Go keeps only the proxy's reason phrase, whatever the proxy calls it.
    for phrase in ["Access denied", "Forbidden", "Filtered by policy"] {
        let text = format!(
            "Error: initializing source docker://r.example:5000/a/b:1: pinging container registry r.example:5000: Get \"https://r.example:5000/v2/\": {phrase}"
        );
        let (code, cats, report) = categories(&text);
        assert_eq!(code, 1);
        assert_eq!(cats[0], "proxy_misconfig", "{phrase}: {report:#}");
        assert_eq!(report["extracted"]["stage"], "proxy_connect");
        assert_eq!(report["extracted"]["client"], "podman");
    }
}

#[test]
fn the_token_stage_decides_between_a_dead_realm_and_a_dead_registry() {
    let realm = "Error response from daemon: Get \"https://h.example/v2/\": Get \"https://auth.example/service/token?account=bob&scope=repository%3Aa%3Apull&service=harbor-registry\": dial tcp 10.0.0.9:443: connect: connection refused";
    let (_, cats, report) = categories(realm);
    assert_eq!(cats[0], "auth_token_endpoint", "{report:#}");
    assert_eq!(report["extracted"]["realm_host"], "auth.example");
    assert!(cats.iter().take(3).any(|c| c == "network_unreachable"));

    let registry = "Error response from daemon: Get \"https://h.example/v2/\": dial tcp 10.0.0.9:443: connect: connection refused";
    let (_, cats, _) = categories(registry);
    assert_eq!(cats[0], "network_unreachable");
}

#[test]
fn look_alikes_come_with_their_alternatives() {
    // distribution says `manifest unknown` for a missing tag and a missing repository alike.
    let text = "time=\"2026-12-07T14:24:27Z\" level=fatal msg=\"initializing source docker://127.0.0.1:5000/nobody/here:1: reading manifest 1 in 127.0.0.1:5000/nobody/here: manifest unknown: manifest unknown\"";
    let (_, cats, report) = categories(text);
    assert_eq!(cats[0], "manifest_unknown", "{report:#}");
    assert_eq!(cats[1], "repo_not_found", "{report:#}");
}

#[test]
fn statuses_in_parentheses_and_wrapped_pastes_are_read() {
    let (_, cats, _) = categories(
        "FATA[0036] trying to reuse blob sha256:e00f at destination: failed to read from destination repository svc: 500 (Internal Server Error)",
    );
    assert_eq!(cats[0], "registry_server_error");
    // A terminal wrapped the line after `x509: `.
    let (_, cats, _) = categories(
        "Get https://index.docker.io/v1/repositories/library/centos/images: x509: \ncertificate signed by unknown authority",
    );
    assert_eq!(cats[0], "tls_unknown_authority");
}

#[test]
fn a_registry_failure_no_rule_explains_is_reported_not_dropped() {
    let text = "Error response from daemon: Head \"https://r.example/v2/a/manifests/1\": something nobody has seen before happened";
    let run = Regdoctor::new().args(["explain", text]).run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("no rule explains"), "{}", run.stdout);
    assert!(
        run.stdout.contains("regdoctor check r.example"),
        "{}",
        run.stdout
    );
    let (code, cats, report) = categories(text);
    assert_eq!(code, 1);
    assert!(cats.is_empty());
    assert_eq!(report["unrecognised"][0]["facts"]["stage"], "manifest");
}

#[test]
fn other_tools_failing_their_own_downloads_get_nothing() {
    let text = "warning: spurious network error (2 tries remaining): [6] Could not resolve hostname (Could not resolve host: index.crates.io)\ngo: github.com/a/b@v1.0.0: Get \"https://proxy.golang.org/github.com/a/b/@v/v1.0.0.zip\": dial tcp 142.250.74.49:443: i/o timeout\nnpm ERR! 403 403 Forbidden - GET https://registry.npmjs.org/left-pad";
    let (code, cats, report) = categories(text);
    assert!(cats.is_empty(), "{report:#}");
    assert!(report["unrecognised"].is_null(), "{report:#}");
    assert_eq!(code, 0);
}
