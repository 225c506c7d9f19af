//! Weak and legacy TLS parameters, judged as Docker's Go verifier judges them: SHA-1
//! signatures (refused since Go 1.18), RSA keys under 2048 bits (accepted by Docker, weak), and
//! servers that only speak TLS older than 1.2.

use crate::support::cmd::Regdoctor;
use crate::support::openssl::{LegacyPki, SServer};
use crate::support::pki;
use crate::support::servers::{self, Behaviour};

fn check(host_port: &str, ca_pem: &str, port: u16, host: &str) -> (i32, serde_json::Value) {
    let certs = tempfile::tempdir().unwrap();
    let dir = certs.path().join(host_port);
    std::fs::create_dir_all(&dir).unwrap();
    pki::write(&dir, "ca.crt", ca_pem);
    let run = Regdoctor::new()
        .args(["check", host_port, "--json", "--only", "tls", "--certs-dir"])
        .arg(certs.path().to_str().unwrap())
        .arg("--resolve")
        .arg(format!("{host}:{port}:127.0.0.1"))
        .run();
    let json = run.json();
    (run.code, json)
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn sha1_signed_certificate_is_refused_as_go_refuses_it() {
    let legacy = LegacyPki::new("SHA1 Test CA", "sha1.test", 2048, "sha1");
    let srv = servers::start(Behaviour::Tls {
        chain_pem: legacy.cert_pem.clone(),
        key_pem: legacy.key_pem.clone(),
        response: servers::registry_ok(),
    });
    let target = format!("sha1.test:{}", srv.port);
    let (code, report) = check(&target, &legacy.ca_pem, srv.port, "sha1.test");
    assert_eq!(code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["category"], "tls_unknown_authority", "{report:#}");
    assert_eq!(top["code"], "RD-TLS-015", "{report:#}");
    assert!(
        top["evidence"].to_string().contains("SHA1-RSA"),
        "{report:#}"
    );
    // Said once, by its name: not also as a generic unknown authority.
    assert!(
        !codes(&report).contains(&"RD-TLS-001".to_string()),
        "{report:#}"
    );
}

#[test]
fn same_chain_signed_with_sha256_passes() {
    let modern = LegacyPki::new("SHA256 Test CA", "modern.test", 2048, "sha256");
    let srv = servers::start(Behaviour::Tls {
        chain_pem: modern.cert_pem.clone(),
        key_pem: modern.key_pem.clone(),
        response: servers::registry_ok(),
    });
    let target = format!("modern.test:{}", srv.port);
    let (code, report) = check(&target, &modern.ca_pem, srv.port, "modern.test");
    assert_eq!(code, 0, "{report:#}");
    assert!(codes(&report).is_empty(), "{report:#}");
}

#[test]
fn rsa_1024_key_is_a_warning_because_docker_still_accepts_it() {
    let weak = LegacyPki::new("Weak Key CA", "weak.test", 1024, "sha256");
    let srv = SServer::start(&weak);
    let target = format!("weak.test:{}", srv.port);
    let (_, report) = check(&target, &weak.ca_pem, srv.port, "weak.test");
    let top = &report["findings"][0];
    assert_eq!(top["code"], "RD-TLS-016", "{report:#}");
    assert_eq!(top["severity"], "warning", "{report:#}");
    assert!(
        top["evidence"].to_string().contains("RSA key of 1024 bits"),
        "{report:#}"
    );
    assert_eq!(report["summary"]["errors"], 0, "{report:#}");
}

#[test]
fn server_speaking_only_old_tls_is_a_legacy_version() {
    // What a TLS 1.0-only server answers a ClientHello offering 1.2 and 1.3: a fatal
    // protocol_version alert in a TLS 1.0 record.
    let srv = servers::start(Behaviour::Respond(vec![
        0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46,
    ]));
    let target = format!("old.test:{}", srv.port);
    let (code, report) = check(&target, "", srv.port, "old.test");
    assert_eq!(code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["code"], "RD-TLS-017", "{report:#}");
    assert_eq!(top["category"], "network_unreachable", "{report:#}");
    assert!(
        top["evidence"].to_string().contains("TLS 1.2 and 1.3"),
        "{report:#}"
    );
}
