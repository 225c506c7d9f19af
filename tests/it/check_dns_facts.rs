//! DNS facts beyond "does it resolve": a hosts-file entry that hides what DNS says, cloud
//! names that resolve only to intranet addresses, and near misses of cloud registry names.

use crate::support::dns_server::{self, Answer};
use crate::support::report::evidence_value;

/// `check_dns::check` without its timing.
fn check_dns(target: &str, nameserver: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let (code, _, report) = crate::check_dns::check(target, nameserver, extra);
    (code, report)
}

#[test]
fn hosts_file_entry_that_overrides_dns_is_a_warning_with_both_answers() {
    let server =
        dns_server::start(&[("reg.example.test", Answer::A("192.0.2.10".parse().unwrap()))]);
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n10.9.8.7 reg.example.test\n").unwrap();
    let (code, report) = check_dns(
        "reg.example.test",
        &server.addr,
        &["--hosts-file", hosts.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["category"], "dns_resolution", "{report:#}");
    assert_eq!(top["code"], "RD-DNS-007", "{report:#}");
    assert_eq!(top["severity"], "warning", "{report:#}");
    let hosts_ev = evidence_value(top, "hosts file").unwrap_or_default();
    let dns_ev = evidence_value(top, "DNS answer").unwrap_or_default();
    assert!(hosts_ev.contains("10.9.8.7"), "{report:#}");
    assert!(
        dns_ev.contains("192.0.2.10") && dns_ev.contains(&server.addr),
        "the DNS answer names its server: {report:#}"
    );
    assert!(
        top["fixes"].to_string().contains(hosts.to_str().unwrap()),
        "{report:#}"
    );

    // The same entry agreeing with DNS is no finding.
    std::fs::write(&hosts, "192.0.2.10 reg.example.test\n").unwrap();
    let (code, report) = check_dns(
        "reg.example.test",
        &server.addr,
        &["--hosts-file", hosts.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
}

#[test]
fn vpc_endpoint_resolving_to_private_addresses_is_a_note_naming_the_public_endpoint() {
    let server = dns_server::start(&[(
        "registry-vpc.cn-shenzhen.aliyuncs.com",
        Answer::A("100.103.7.1".parse().unwrap()),
    )]);
    let (code, report) = check_dns("registry-vpc.cn-shenzhen.aliyuncs.com", &server.addr, &[]);
    assert_eq!(code, 0, "a note is not a problem: {report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["code"], "RD-DNS-008", "{report:#}");
    assert_eq!(top["severity"], "info", "{report:#}");
    assert!(
        evidence_value(top, "addresses")
            .unwrap_or_default()
            .contains("100.103.7.1"),
        "{report:#}"
    );
    assert!(
        top["fixes"]
            .to_string()
            .contains("docker login registry.cn-shenzhen.aliyuncs.com"),
        "{report:#}"
    );
}

#[test]
fn vpc_endpoint_that_does_not_resolve_points_to_the_public_endpoint() {
    let server = dns_server::start(&[]);
    let (code, report) = check_dns("registry-vpc.cn-hangzhou.aliyuncs.com", &server.addr, &[]);
    assert_eq!(code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["category"], "dns_resolution", "{report:#}");
    assert_eq!(top["code"], "RD-DNS-006", "{report:#}");
    assert_eq!(
        evidence_value(top, "did you mean"),
        Some("registry.cn-hangzhou.aliyuncs.com"),
        "{report:#}"
    );
    assert!(
        top["fixes"]
            .to_string()
            .contains("docker login registry.cn-hangzhou.aliyuncs.com"),
        "{report:#}"
    );
}

#[test]
fn near_misses_of_cloud_registry_names_get_the_right_name() {
    let server = dns_server::start(&[]);
    for (typo, meant) in [
        (
            "swr.cn-north4.myhuaweicloud.com",
            "swr.cn-north-4.myhuaweicloud.com",
        ),
        (
            "registry.cn-hangzou.aliyuncs.com",
            "registry.cn-hangzhou.aliyuncs.com",
        ),
        (
            "registry.cn-hangzhou.aliyun.com",
            "registry.cn-hangzhou.aliyuncs.com",
        ),
        ("abc123.mirorr.aliyuncs.com", "abc123.mirror.aliyuncs.com"),
    ] {
        let (code, report) = check_dns(typo, &server.addr, &[]);
        assert_eq!(code, 1, "{typo}: {report:#}");
        let top = &report["findings"][0];
        assert_eq!(top["category"], "dns_resolution", "{typo}: {report:#}");
        assert_eq!(
            evidence_value(top, "did you mean"),
            Some(meant),
            "{typo}: {report:#}"
        );
        assert!(
            evidence_value(top, "DNS servers")
                .unwrap_or_default()
                .contains(&server.addr),
            "{typo}: {report:#}"
        );
    }
}

/// With two nameservers that disagree, the evidence says which said what.
#[test]
fn each_nameserver_answer_is_named_when_there_are_several() {
    let failing = dns_server::start(&[("split.example.test", Answer::ServFail)]);
    let empty = dns_server::start(&[]);
    let (code, report) = check_dns(
        "split.example.test",
        &failing.addr,
        &["--nameserver", &empty.addr, "--timeout", "6"],
    );
    assert_eq!(code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["category"], "dns_resolution", "{report:#}");
    let each = evidence_value(top, "answer of each server").unwrap_or_default();
    assert!(
        each.contains(&format!("{}: SERVFAIL", failing.addr))
            && each.contains(&format!("{}: NXDOMAIN", empty.addr)),
        "{report:#}"
    );
}
