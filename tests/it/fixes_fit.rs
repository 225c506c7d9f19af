//! Fixes fit what was observed (check) or read (explain): the cases of issue 14, end to end.

use crate::support::cmd::Regdoctor;
use crate::support::dns_server;
use crate::support::registry::{Registry, RegistryOpts};

/// Causes and fixes of every finding, as one text to search.
fn advice(report: &serde_json::Value) -> String {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| format!("{}\n{}\n", f["causes"], f["fixes"]))
        .collect()
}

#[test]
fn a_plain_distribution_registry_gets_no_cloud_console_fixes() {
    let reg = Registry::start(RegistryOpts::default());
    let run = Regdoctor::new()
        .args(["check", &format!("{}/team/missing:1.0", reg.addr), "--json"])
        .run();
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"RD-REPO-001"), "{report:#}");
    // What the fixes were fitted to: a plain registry (the API answered, Harbor's did not).
    assert_eq!(report["facts"]["product"], "distribution", "{report:#}");
    assert_eq!(report["facts"]["host"], "loopback", "{report:#}");
    let text = advice(&report);
    for word in ["ACR", "Harbor", "aws ecr", "ECR"] {
        assert!(!text.contains(word), "{word} on a plain registry:\n{text}");
    }
}

#[test]
fn a_refused_loopback_port_gets_no_firewall_or_cloud_advice() {
    let report = Regdoctor::new()
        .args(["check", "127.0.0.1:1", "--json"])
        .run()
        .json();
    assert_eq!(report["findings"][0]["code"], "RD-NET-001", "{report:#}");
    let text = advice(&report);
    for word in ["firewall-cmd", "security group", "grep ':"] {
        assert!(!text.contains(word), "{word} for 127.0.0.1:1:\n{text}");
    }
}

#[test]
fn nxdomain_for_docker_hub_names_the_resolver_not_a_typo() {
    // This machine's resolver "filters" Docker Hub: every name is NXDOMAIN.
    let dns = dns_server::start(&[]);
    let report = Regdoctor::new()
        .args([
            "check",
            "registry-1.docker.io",
            "--nameserver",
            &dns.addr,
            "--json",
            "--timeout",
            "4",
        ])
        .run()
        .json();
    let top = &report["findings"][0];
    assert_eq!(top["category"], "dns_resolution", "{report:#}");
    let text = format!("{}\n{}", top["causes"], top["fixes"]);
    assert!(text.contains("resolver"), "{text}");
    assert!(
        !text.contains("misspel") && !text.contains("docker login"),
        "{text}"
    );
    // The same text pasted into explain says the same.
    let pasted = Regdoctor::new()
        .args([
            "explain",
            "--json",
            "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 127.0.0.53:53: no such host",
        ])
        .run()
        .json();
    let text = advice(&pasted);
    assert!(
        !text.contains("misspel") && !text.contains("docker login"),
        "{text}"
    );
}

#[test]
fn a_podman_error_gets_the_podman_fix_first() {
    let report = Regdoctor::new()
        .args([
            "explain",
            "--json",
            "Error: initializing source docker://10.0.0.7:5000/app:1: pinging container registry 10.0.0.7:5000: Get \"https://10.0.0.7:5000/v2/\": http: server gave HTTP response to HTTPS client",
        ])
        .run()
        .json();
    assert_eq!(report["extracted"]["client"], "podman", "{report:#}");
    assert_eq!(report["facts"]["client"], "podman", "{report:#}");
    assert_eq!(report["facts"]["host"], "private", "{report:#}");
    let fixes = report["findings"][0]["fixes"].as_array().unwrap();
    assert!(
        fixes[0].to_string().contains("registries.conf"),
        "{:#}",
        report["findings"][0]["fixes"]
    );
    assert!(
        !fixes.iter().any(|f| f["file"] == "/etc/docker/daemon.json"),
        "{fixes:#?}"
    );
}
