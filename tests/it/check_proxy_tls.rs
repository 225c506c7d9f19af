//! A proxy that intercepts TLS: the chain through the CONNECT tunnel is compared with the one
//! the registry presents directly, and judged against Docker's roots.

use crate::support::cmd::Regdoctor;
use crate::support::intercept_proxy::InterceptProxy;
use crate::support::pki::{self, Ca, LeafOpts};
use crate::support::report::evidence_value;
use crate::support::servers::{self, Behaviour};

struct Setup {
    dir: tempfile::TempDir,
    registry_port: u16,
}

impl Setup {
    /// certs.d trusting `cas` for registry.test:<port>, and a drop-in giving the daemon
    /// `proxy` with NO_PROXY `localhost,.internal.example`.
    fn new(registry_port: u16, cas: &[&str], proxy: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let certs = dir
            .path()
            .join("certs.d")
            .join(format!("registry.test:{registry_port}"));
        std::fs::create_dir_all(&certs).unwrap();
        for (i, ca) in cas.iter().enumerate() {
            pki::write(&certs, &format!("ca{i}.crt"), ca);
        }
        let dropins = dir.path().join("systemd");
        std::fs::create_dir_all(&dropins).unwrap();
        std::fs::write(
            dropins.join("http-proxy.conf"),
            format!("[Service]\nEnvironment=\"HTTPS_PROXY={proxy}\" \"NO_PROXY=localhost,.internal.example\"\n"),
        )
        .unwrap();
        Setup { dir, registry_port }
    }

    fn check(&self) -> (i32, serde_json::Value) {
        let p = self.dir.path();
        let run = Regdoctor::new()
            .args([
                "check",
                &format!("registry.test:{}", self.registry_port),
                "--json",
                "--only",
                "proxy",
            ])
            .arg("--certs-dir")
            .arg(p.join("certs.d").to_str().unwrap())
            .arg("--systemd-dir")
            .arg(p.join("systemd").to_str().unwrap())
            .arg("--daemon-config")
            .arg(p.join("none.json").to_str().unwrap())
            .arg("--resolve")
            .arg(format!("registry.test:{}:127.0.0.1", self.registry_port))
            .run();
        let json = run.json();
        (run.code, json)
    }
}

#[test]
fn intercepting_proxy_is_named_with_its_issuer_and_both_fixes() {
    let ca = Ca::new("Registry Own CA");
    let leaf = ca.leaf(LeafOpts {
        common_name: "registry.test".into(),
        dns_names: vec!["registry.test".into()],
        ips: vec![],
        ..LeafOpts::for_localhost()
    });
    let registry = servers::start(Behaviour::Tls {
        chain_pem: leaf.chain_pem,
        key_pem: leaf.key_pem,
        response: servers::registry_ok(),
    });
    let proxy = InterceptProxy::start("Corp Inspection CA", &["registry.test"]);
    let setup = Setup::new(registry.port, &[&ca.cert_pem], &proxy.url());
    let (code, report) = setup.check();
    assert_eq!(code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["category"], "proxy_misconfig", "{report:#}");
    assert_eq!(top["code"], "RD-PRX-005", "{report:#}");
    assert_eq!(top["severity"], "error", "{report:#}");
    assert!(
        evidence_value(top, "issuer through the proxy")
            .unwrap_or_default()
            .contains("Corp Inspection CA"),
        "{report:#}"
    );
    assert!(
        evidence_value(top, "direct")
            .unwrap_or_default()
            .contains("Registry Own CA"),
        "the direct chain is shown for comparison: {report:#}"
    );
    let fixes = top["fixes"].to_string();
    assert!(
        fixes.contains(&format!(
            "/etc/docker/certs.d/registry.test:{}/ca.crt",
            registry.port
        )),
        "{report:#}"
    );
    assert!(
        fixes.contains("NO_PROXY=localhost,.internal.example,registry.test"),
        "the exact NO_PROXY line, current entries kept: {report:#}"
    );
}

#[test]
fn interception_with_the_proxy_ca_installed_is_only_a_note() {
    let ca = Ca::new("Registry Own CA");
    let leaf = ca.leaf(LeafOpts {
        common_name: "registry.test".into(),
        dns_names: vec!["registry.test".into()],
        ips: vec![],
        ..LeafOpts::for_localhost()
    });
    let registry = servers::start(Behaviour::Tls {
        chain_pem: leaf.chain_pem,
        key_pem: leaf.key_pem,
        response: servers::registry_ok(),
    });
    let proxy = InterceptProxy::start("Corp Inspection CA", &["registry.test"]);
    let setup = Setup::new(registry.port, &[&ca.cert_pem, &proxy.ca_pem], &proxy.url());
    let (code, report) = setup.check();
    assert_eq!(code, 0, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["code"], "RD-PRX-005", "{report:#}");
    assert_eq!(top["severity"], "info", "{report:#}");
}

#[test]
fn a_proxy_that_passes_tls_through_is_no_finding() {
    let ca = Ca::new("Registry Own CA");
    let leaf = ca.leaf(LeafOpts {
        common_name: "registry.test".into(),
        dns_names: vec!["registry.test".into()],
        ips: vec![],
        ..LeafOpts::for_localhost()
    });
    let registry = servers::start(Behaviour::Tls {
        chain_pem: leaf.chain_pem,
        key_pem: leaf.key_pem,
        response: servers::registry_ok(),
    });
    let proxy = InterceptProxy::tunnel_to(registry.addr.parse().unwrap());
    let setup = Setup::new(registry.port, &[&ca.cert_pem], &proxy.url());
    let (code, report) = setup.check();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["checks"][0]["status"], "pass", "{report:#}");
    // Only the (expected) note that the shell has no proxy: no interception claimed.
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["RD-PRX-006"], "{report:#}");
}

/// No direct path to compare with: the issuer is still shown, and said to be trusted nowhere.
#[test]
fn interception_without_a_direct_path_names_an_issuer_trusted_nowhere() {
    let closed = crate::support::registry::free_port();
    let proxy = InterceptProxy::start("Corp Inspection CA", &["registry.test"]);
    let other = Ca::new("Registry Own CA");
    let setup = Setup::new(closed, &[&other.cert_pem], &proxy.url());
    let (code, report) = setup.check();
    assert_eq!(code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["code"], "RD-PRX-005", "{report:#}");
    let direct = evidence_value(top, "direct").unwrap_or_default();
    assert!(direct.contains("could not be compared"), "{report:#}");
    let trust = evidence_value(top, "trust").unwrap_or_default();
    assert!(
        trust.contains("Corp Inspection CA") && trust.contains("neither"),
        "{report:#}"
    );
}

/// The direct path stalls (as where the proxy is mandatory): the comparison gives up in time,
/// and the interception is still reported, not mistaken for an unreachable proxy.
#[test]
fn a_stalling_direct_path_does_not_hide_the_interception() {
    let stalling = servers::start(Behaviour::Stall);
    let proxy = InterceptProxy::start("Corp Inspection CA", &["registry.test"]);
    let other = Ca::new("Registry Own CA");
    let setup = Setup::new(stalling.port, &[&other.cert_pem], &proxy.url());
    let started = std::time::Instant::now();
    let (code, report) = setup.check();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{report:#}"
    );
    assert_eq!(code, 1, "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["code"], "RD-PRX-005", "{report:#}");
    assert!(
        evidence_value(top, "direct")
            .unwrap_or_default()
            .contains("could not be compared"),
        "{report:#}"
    );
}
