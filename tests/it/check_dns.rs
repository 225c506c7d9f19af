//! The `dns` check against a DNS server on loopback that answers what each test wants.

use std::time::Duration;

use crate::support::cmd::Regdoctor;
use crate::support::dns_server::{self, Answer};

pub(crate) fn check(
    target: &str,
    nameserver: &str,
    extra: &[&str],
) -> (i32, Duration, serde_json::Value) {
    let run = Regdoctor::new()
        .args([
            "check",
            target,
            "--json",
            "--only",
            "dns",
            "--nameserver",
            nameserver,
        ])
        .args(extra.iter().copied())
        .run();
    let json = run.json();
    (run.code, run.elapsed, json)
}

fn dns_check(report: &serde_json::Value) -> &serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "dns")
        .unwrap()
}

fn dns_evidence(report: &serde_json::Value) -> String {
    report["findings"][0]["evidence"].to_string()
}

#[test]
fn nxdomain_servfail_and_timeout_are_told_apart() {
    let server = dns_server::start(&[
        ("broken.test", Answer::ServFail),
        ("slow.test", Answer::Silent),
        ("refusing.test", Answer::Refused),
    ]);
    let cases = [
        ("missing.test", "NXDOMAIN"),
        ("broken.test", "SERVFAIL"),
        ("refusing.test", "REFUSED"),
        ("slow.test", "no answer"),
    ];
    for (name, expected) in cases {
        let (code, elapsed, report) = check(name, &server.addr, &["--timeout", "6"]);
        assert_eq!(code, 1, "{name}: {report:#}");
        assert_eq!(
            report["findings"][0]["category"], "dns_resolution",
            "{name}: {report:#}"
        );
        assert!(
            dns_evidence(&report).contains(expected),
            "{name}: {report:#}"
        );
        assert!(
            dns_evidence(&report).contains(&server.addr),
            "names the server asked: {report:#}"
        );
        assert!(elapsed < Duration::from_secs(6), "{name} took {elapsed:?}");
    }
}

#[test]
fn answers_and_hosts_file_entries_are_shown_with_their_source() {
    let server = dns_server::start(&[("reg.test", Answer::A("127.0.0.9".parse().unwrap()))]);
    let (code, _, report) = check("reg.test:5000", &server.addr, &[]);
    assert_eq!(code, 0, "{report:#}");
    let summary = dns_check(&report)["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        summary.contains("127.0.0.9") && summary.contains(&server.addr),
        "{summary}"
    );

    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "10.9.8.7 pinned.test\n").unwrap();
    let (code, _, report) = check(
        "pinned.test",
        &server.addr,
        &["--hosts-file", hosts.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{report:#}");
    let summary = dns_check(&report)["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        summary.contains("10.9.8.7") && summary.contains("hosts"),
        "{summary}"
    );
}

#[test]
fn a_provider_name_that_does_not_resolve_gets_its_address_format() {
    let server = dns_server::start(&[]);
    let (_, _, report) = check("swr.myhuaweicloud.com", &server.addr, &[]);
    assert_eq!(
        report["findings"][0]["category"], "dns_resolution",
        "{report:#}"
    );
    assert!(
        dns_evidence(&report).contains("swr.<region>.myhuaweicloud.com"),
        "{report:#}"
    );
}
