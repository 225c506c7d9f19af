//! The order of the fixes a user reads: for a private CA they control, installing it in
//! certs.d comes first and insecure-registries last, as a fallback that says what it gives up.

use crate::support::cmd::Regdoctor;
use crate::support::pki::{self, Ca, LeafOpts};
use crate::support::servers::{self, Behaviour};

fn human(chain_pem: &str, key_pem: &str) -> String {
    let srv = servers::start(Behaviour::Tls {
        chain_pem: chain_pem.to_string(),
        key_pem: key_pem.to_string(),
        response: servers::registry_ok(),
    });
    let empty = tempfile::tempdir().unwrap();
    let run = Regdoctor::new()
        .args([
            "check",
            &format!("registry.test:{}", srv.port),
            "--only",
            "tls",
        ])
        .arg("--certs-dir")
        .arg(empty.path().to_str().unwrap())
        .arg("--resolve")
        .arg(format!("registry.test:{}:127.0.0.1", srv.port))
        .run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.stdout
}

fn leaf_opts() -> LeafOpts {
    LeafOpts {
        common_name: "registry.test".into(),
        dns_names: vec!["registry.test".into()],
        ips: vec![],
        ..LeafOpts::for_localhost()
    }
}

/// Position of `needle` in `text`, failing the test when it is missing.
fn at(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{text}"))
}

fn assert_certs_d_leads(out: &str) {
    let certs_d = at(out, "/etc/docker/certs.d/registry.test:");
    let insecure = at(out, "\"insecure-registries\": [\"registry.test:");
    assert!(certs_d < insecure, "certs.d must come first:\n{out}");
    let fallback = &out[..insecure];
    assert!(
        (fallback.contains("Fallback") && fallback.contains("gives up"))
            || fallback.contains("checks no certificate"),
        "the insecure-registries fix says what it gives up:\n{out}"
    );
    // The distribution variants of the fallback are there, with their exact files.
    at(out, "/etc/default/docker");
    at(out, "DOCKER_OPTS=\"--insecure-registry registry.test:");
    at(out, "/etc/sysconfig/docker");
    at(out, "INSECURE_REGISTRY='--insecure-registry registry.test:");
}

#[test]
fn private_ca_fixes_lead_with_certs_d_and_end_with_insecure_registries() {
    let ca = Ca::new("Example Private CA");
    let leaf = ca.leaf(leaf_opts());
    let out = human(&leaf.chain_pem, &leaf.key_pem);
    at(&out, "RD-TLS-001");
    assert_certs_d_leads(&out);
    at(&out, "sudo cp ca.crt /etc/docker/certs.d/registry.test:");
}

#[test]
fn self_signed_fixes_lead_with_certs_d_and_end_with_insecure_registries() {
    let leaf = pki::self_signed(leaf_opts());
    let out = human(&leaf.chain_pem, &leaf.key_pem);
    at(&out, "RD-TLS-002");
    assert_certs_d_leads(&out);
}
