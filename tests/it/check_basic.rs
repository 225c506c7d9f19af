//! `regdoctor check` end to end against Debian's real `docker-registry` (CNCF distribution).

use std::time::Duration;

use crate::support::cmd::Regdoctor;
use crate::support::pki::{self, Ca, LeafOpts};
use crate::support::registry::{Registry, RegistryOpts, free_port};
use crate::support::report::check_status;

fn evidence_text(finding: &serde_json::Value) -> String {
    finding["evidence"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|e| format!("{}: {}\n", e["label"], e["value"]))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn plain_http_registry_is_healthy() {
    let reg = Registry::start(RegistryOpts::default());
    let run = Regdoctor::new().args(["check", &reg.addr, "--json"]).run();
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    for id in ["dns", "tcp", "ping"] {
        assert_eq!(check_status(&report, id), "pass", "{report:#}");
    }
    assert_eq!(report["target"]["registry"], reg.addr);
    // Plain HTTP is allowed for loopback, and the report says so instead of hiding it.
    let tls = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "tls")
        .unwrap();
    let tls_summary = tls["summary"].as_str().unwrap_or_default();
    assert!(tls_summary.contains("plain HTTP"), "{report:#}");
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0);
}

#[test]
fn untrusted_ca_is_reported_with_subject_and_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("regdoctor Test Root CA");
    let leaf = ca.leaf(LeafOpts::for_localhost());
    let cert = pki::write(dir.path(), "server.crt", &leaf.chain_pem);
    let key = pki::write(dir.path(), "server.key", &leaf.key_pem);
    let reg = Registry::start(RegistryOpts {
        tls: Some((cert, key)),
        ..RegistryOpts::default()
    });
    let empty_certs = tempfile::tempdir().unwrap();
    let run = Regdoctor::new()
        .args([
            "check",
            &reg.addr,
            "--json",
            "--client",
            "docker,containers",
        ])
        .arg("--certs-dir")
        .arg(empty_certs.path().to_str().unwrap())
        .arg("--containers-certs-dir")
        .arg(empty_certs.path().to_str().unwrap())
        .run();
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["category"], "tls_unknown_authority", "{report:#}");
    assert_eq!(top["check"], "tls");
    assert_eq!(
        top["clients"],
        serde_json::json!(["containers"]),
        "{report:#}"
    );
    // Docker skips verification on loopback and pulls; podman and skopeo refuse the CA.
    let verdict = |c: &str| {
        report["clients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["client"] == c)
            .cloned()
            .unwrap_or_else(|| panic!("no verdict for {c}: {report:#}"))
    };
    assert_eq!(verdict("docker")["verdict"], "works", "{report:#}");
    assert_eq!(verdict("containers")["verdict"], "fails", "{report:#}");
    assert_eq!(verdict("containers")["category"], "tls_unknown_authority");
    assert_eq!(verdict("containers")["stage"], "tls");
    // The fix is podman's own CA folder, not Docker's certs.d (Docker is not concerned).
    let fixes = top["fixes"].to_string();
    assert!(
        fixes.contains(&format!("{}/{}", empty_certs.path().display(), reg.addr)),
        "{fixes}"
    );
    assert!(!fixes.contains("/etc/docker/certs.d"), "{fixes}");
    let evidence = evidence_text(top);
    assert!(
        evidence.contains("regdoctor-test-registry"),
        "subject missing: {evidence}"
    );
    assert!(
        evidence.contains("regdoctor Test Root CA"),
        "issuer missing: {evidence}"
    );
    // The checks follow Docker's path, which goes on to the registry.
    assert_eq!(check_status(&report, "tls"), "warn");
    assert_eq!(check_status(&report, "ping"), "pass");

    // With the CA where Docker looks for it, the same registry is trusted.
    let certs = tempfile::tempdir().unwrap();
    let host_dir = certs.path().join(&reg.addr);
    std::fs::create_dir_all(&host_dir).unwrap();
    std::fs::write(host_dir.join("ca.crt"), &ca.cert_pem).unwrap();
    let run = Regdoctor::new()
        .args(["check", &reg.addr, "--json", "--certs-dir"])
        .arg(certs.path().to_str().unwrap())
        .run();
    let report = run.json();
    assert_eq!(check_status(&report, "tls"), "pass", "{report:#}");
    assert_eq!(check_status(&report, "ping"), "pass", "{report:#}");
    assert_eq!(run.code, 0, "{report:#}");
}

#[test]
fn unresolvable_host_is_a_dns_finding_and_nothing_pretends_to_run() {
    let run = Regdoctor::new()
        .args([
            "check",
            "does-not-exist.invalid",
            "--json",
            "--timeout",
            "8",
        ])
        .run();
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(
        report["findings"][0]["category"], "dns_resolution",
        "{report:#}"
    );
    assert!(
        run.elapsed < Duration::from_secs(7),
        "took {:?}",
        run.elapsed
    );
    assert_eq!(check_status(&report, "dns"), "fail");
    for id in ["tcp", "tls", "ping"] {
        assert_eq!(check_status(&report, id), "skipped", "{report:#}");
        assert!(
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["check"] != id)
        );
    }
}

#[test]
fn a_closed_port_is_network_unreachable() {
    let port = free_port();
    let run = Regdoctor::new()
        .args(["check", &format!("127.0.0.1:{port}"), "--json"])
        .run();
    let report = run.json();
    assert_eq!(run.code, 1);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "network_unreachable", "{report:#}");
    assert_eq!(
        top["code"].as_str().map(|c| c.starts_with("RD-NET-")),
        Some(true),
        "{report:#}"
    );
    assert!(evidence_text(top).contains("refused"), "{report:#}");
}

#[test]
fn plain_http_on_a_non_insecure_host_is_http_vs_https() {
    // A plain-HTTP registry reached by a name that is not loopback by Docker's rules:
    // pin a made-up name to 127.0.0.1 with --resolve.
    let reg = Registry::start(RegistryOpts::default());
    let target = format!("registry.test:{}", reg.port);
    let run = Regdoctor::new()
        .args(["check", &target, "--json", "--resolve"])
        .arg(format!("registry.test:{}:127.0.0.1", reg.port))
        .run();
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["category"], "http_vs_https", "{report:#}");
    let fixes = top["fixes"].to_string();
    assert!(
        fixes.contains("insecure-registries") && fixes.contains(&target),
        "{fixes}"
    );

    // Listed in insecure-registries, Docker falls back to HTTP: healthy.
    let dir = tempfile::tempdir().unwrap();
    let daemon = dir.path().join("daemon.json");
    std::fs::write(
        &daemon,
        format!(r#"{{"insecure-registries": ["{target}"]}}"#),
    )
    .unwrap();
    let run = Regdoctor::new()
        .args(["check", &target, "--json", "--resolve"])
        .arg(format!("registry.test:{}:127.0.0.1", reg.port))
        .arg("--daemon-config")
        .arg(daemon.to_str().unwrap())
        .run();
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    assert_eq!(check_status(&report, "ping"), "pass");
}

/// The human report opens with one line per client, in English and in Chinese.
#[test]
fn the_human_report_starts_with_one_verdict_per_client() {
    let reg = Registry::start(RegistryOpts::default());
    let empty = tempfile::tempdir().unwrap();
    let conf = empty.path().join("registries.conf");
    std::fs::write(&conf, "").unwrap();
    let run = |lang: &str| {
        Regdoctor::new()
            .args([
                "check",
                &reg.addr,
                "--client",
                "docker,containers",
                "--lang",
                lang,
            ])
            .args(["--registries-conf", conf.to_str().unwrap()])
            .run()
            .stdout
    };
    let en = run("en");
    let block: Vec<&str> = en
        .lines()
        .skip_while(|l| !l.starts_with("Per client"))
        .collect();
    assert!(block.len() > 2, "{en}");
    assert_eq!(block[1].trim(), "docker (dockerd): works", "{en}");
    assert!(
        block[2].contains("podman, skopeo, buildah, CRI-O: fails at tls")
            && block[2].contains("http_vs_https"),
        "{en}"
    );
    let zh = run("zh");
    assert!(
        zh.contains("各客户端结论") && zh.contains("可以正常使用"),
        "{zh}"
    );
}

/// Docker's default insecure range is 127.0.0.0/8 for the addresses a NAME resolves to too
/// (here through the hosts file): plain HTTP works for Docker, not for podman.
#[test]
fn a_name_that_resolves_to_loopback_is_insecure_for_docker_only() {
    let reg = Registry::start(RegistryOpts::default());
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1 registry.lab\n").unwrap();
    let conf = dir.path().join("registries.conf");
    std::fs::write(&conf, "").unwrap();
    let target = format!("registry.lab:{}", reg.port);
    let report = Regdoctor::new()
        .args(["check", &target, "--json", "--client", "docker,containers"])
        .args(["--hosts-file", hosts.to_str().unwrap()])
        .args(["--registries-conf", conf.to_str().unwrap()])
        .run()
        .json();
    let verdicts: Vec<(String, String)> = report["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["verdict"].as_str().unwrap().to_string(),
                v["category"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("works".to_string(), String::new()),
            ("fails".to_string(), "http_vs_https".to_string())
        ],
        "{report:#}"
    );
}
