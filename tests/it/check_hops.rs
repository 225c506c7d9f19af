//! Hops beyond the registry host: the token realm (`realm-path`) and each mirror
//! (`mirror-path`) get the same DNS → TCP → TLS examination, and a failure names its hop.

use crate::support::cmd::Regdoctor;
use crate::support::dns_server::{self, Answer};
use crate::support::pki::{self, Ca, LeafOpts};
use crate::support::registry::free_port;
use crate::support::report::evidence_value;
use crate::support::servers::{self, Behaviour, Server};

fn leaf_for(name: &str) -> LeafOpts {
    LeafOpts {
        common_name: name.into(),
        dns_names: vec![name.into()],
        ips: vec![],
        ..LeafOpts::for_localhost()
    }
}

/// A registry on `registry.test` (trusted through certs.d) whose `/v2/` asks for a Bearer
/// token from `realm`.
struct TokenRegistry {
    server: Server,
    certs: tempfile::TempDir,
}

impl TokenRegistry {
    fn start(realm: &str) -> TokenRegistry {
        let ca = Ca::new("Registry Test CA");
        let leaf = ca.leaf(leaf_for("registry.test"));
        let challenge = format!("Bearer realm=\"{realm}\",service=\"registry.test\"");
        let server = servers::start(Behaviour::Tls {
            chain_pem: leaf.chain_pem,
            key_pem: leaf.key_pem,
            response: servers::http_response(
                "401 Unauthorized",
                &[
                    ("WWW-Authenticate", challenge.as_str()),
                    ("Docker-Distribution-Api-Version", "registry/2.0"),
                    ("Content-Type", "application/json"),
                ],
                r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
            ),
        });
        let certs = tempfile::tempdir().unwrap();
        let dir = certs.path().join(format!("registry.test:{}", server.port));
        std::fs::create_dir_all(&dir).unwrap();
        pki::write(&dir, "ca.crt", &ca.cert_pem);
        TokenRegistry { server, certs }
    }

    fn target(&self) -> String {
        format!("registry.test:{}", self.server.port)
    }

    fn check(&self, extra: &[String]) -> serde_json::Value {
        Regdoctor::new()
            .args(["check", &self.target(), "--json", "--only", "realm-path"])
            .arg("--certs-dir")
            .arg(self.certs.path().to_str().unwrap())
            .arg("--resolve")
            .arg(format!("registry.test:{}:127.0.0.1", self.server.port))
            .args(extra.iter().cloned())
            .run()
            .json()
    }
}

fn check_of<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}: {report:#}"))
}

fn fixes(finding: &serde_json::Value) -> String {
    finding["fixes"].to_string()
}

#[test]
fn realm_with_an_untrusted_certificate_is_located_on_the_realm_hop() {
    let other = Ca::new("Unrelated Auth CA");
    let realm_leaf = other.leaf(leaf_for("auth.test"));
    let realm = servers::start(Behaviour::Tls {
        chain_pem: realm_leaf.chain_pem,
        key_pem: realm_leaf.key_pem,
        response: servers::http_response("200 OK", &[], r#"{"token":"x"}"#),
    });
    let reg = TokenRegistry::start(&format!("https://auth.test:{}/token", realm.port));
    let report = reg.check(&[
        "--resolve".into(),
        format!("auth.test:{}:127.0.0.1", realm.port),
    ]);
    assert_eq!(check_of(&report, "ping")["status"], "pass", "{report:#}");
    assert_eq!(check_of(&report, "tls")["status"], "pass", "{report:#}");
    assert_eq!(
        check_of(&report, "realm-path")["status"],
        "fail",
        "{report:#}"
    );
    let top = &report["findings"][0];
    assert_eq!(top["category"], "tls_unknown_authority", "{report:#}");
    assert_eq!(top["check"], "realm-path", "{report:#}");
    assert_eq!(
        evidence_value(top, "hop"),
        Some(format!("realm auth.test:{}", realm.port).as_str()),
        "{report:#}"
    );
    assert!(
        top["evidence"].to_string().contains("Unrelated Auth CA"),
        "{report:#}"
    );
    // Docker fetches tokens with the registry's TLS settings: the CA goes in its folder.
    assert!(
        fixes(top).contains(&format!(
            "/etc/docker/certs.d/registry.test:{}/ca.crt",
            reg.server.port
        )),
        "{report:#}"
    );
    assert!(
        fixes(top).contains(&format!("-connect auth.test:{}", realm.port)),
        "{report:#}"
    );
}

#[test]
fn realm_on_a_closed_port_is_a_refused_connection_on_the_realm_hop() {
    let closed = free_port();
    let reg = TokenRegistry::start(&format!("https://auth.test:{closed}/token"));
    let report = reg.check(&["--resolve".into(), format!("auth.test:{closed}:127.0.0.1")]);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "network_unreachable", "{report:#}");
    assert_eq!(top["check"], "realm-path", "{report:#}");
    assert_eq!(
        evidence_value(top, "hop"),
        Some(format!("realm auth.test:{closed}").as_str()),
        "{report:#}"
    );
    assert!(
        top["evidence"].to_string().contains("refused"),
        "{report:#}"
    );
}

/// The seeds' case: the registry answers, its realm `dockerauth.<region>.aliyuncs.com` does
/// not resolve here.
#[test]
fn realm_that_does_not_resolve_is_a_dns_failure_on_the_realm_hop() {
    let dns = dns_server::start(&[("dockerauth.cn-hangzhou.aliyuncs.com", Answer::ServFail)]);
    let reg = TokenRegistry::start("https://dockerauth.cn-hangzhou.aliyuncs.com/auth");
    let report = reg.check(&["--nameserver".into(), dns.addr.clone()]);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "dns_resolution", "{report:#}");
    assert_eq!(top["code"], "RD-DNS-002", "{report:#}");
    assert_eq!(
        evidence_value(top, "hop"),
        Some("realm dockerauth.cn-hangzhou.aliyuncs.com:443"),
        "{report:#}"
    );
    assert!(
        top["evidence"].to_string().contains(&dns.addr),
        "names the server asked: {report:#}"
    );
    assert!(
        fixes(top).contains("dig dockerauth.cn-hangzhou.aliyuncs.com"),
        "{report:#}"
    );
}

#[test]
fn mirror_with_an_expired_certificate_is_located_on_the_mirror_hop() {
    let ca = Ca::new("Mirror Test CA");
    let leaf = ca.leaf(LeafOpts {
        not_before: -30,
        not_after: -2,
        ..leaf_for("mirror.test")
    });
    let mirror = servers::start(Behaviour::Tls {
        chain_pem: leaf.chain_pem,
        key_pem: leaf.key_pem,
        response: servers::registry_ok(),
    });
    let dir = tempfile::tempdir().unwrap();
    let host_port = format!("mirror.test:{}", mirror.port);
    let certs = dir.path().join("certs.d");
    std::fs::create_dir_all(certs.join(&host_port)).unwrap();
    pki::write(&certs.join(&host_port), "ca.crt", &ca.cert_pem);
    let daemon = dir.path().join("daemon.json");
    std::fs::write(
        &daemon,
        format!(r#"{{"registry-mirrors": ["https://{host_port}"]}}"#),
    )
    .unwrap();
    let run = Regdoctor::new()
        .args(["check", "nginx", "--json", "--only", "mirror-path"])
        .arg("--daemon-config")
        .arg(daemon.to_str().unwrap())
        .arg("--certs-dir")
        .arg(certs.to_str().unwrap())
        .arg("--resolve")
        .arg(format!("mirror.test:{}:127.0.0.1", mirror.port))
        .run();
    let report = run.json();
    assert_eq!(
        check_of(&report, "mirror-path")["status"],
        "warn",
        "{report:#}"
    );
    let top = &report["findings"][0];
    assert_eq!(top["category"], "tls_expired_or_clock", "{report:#}");
    assert_eq!(top["check"], "mirror-path", "{report:#}");
    // Docker falls back past a broken mirror.
    assert_eq!(top["severity"], "warning", "{report:#}");
    assert_eq!(
        evidence_value(top, "hop"),
        Some(format!("mirror {host_port}").as_str()),
        "{report:#}"
    );
    assert!(
        top["evidence"].to_string().contains("expired on"),
        "{report:#}"
    );
}

#[test]
fn healthy_mirror_passes_without_findings() {
    let ca = Ca::new("Mirror OK CA");
    let leaf = ca.leaf(leaf_for("mirror.test"));
    let mirror = servers::start(Behaviour::Tls {
        chain_pem: leaf.chain_pem,
        key_pem: leaf.key_pem,
        response: servers::registry_ok(),
    });
    let dir = tempfile::tempdir().unwrap();
    let host_port = format!("mirror.test:{}", mirror.port);
    let certs = dir.path().join("certs.d");
    std::fs::create_dir_all(certs.join(&host_port)).unwrap();
    pki::write(&certs.join(&host_port), "ca.crt", &ca.cert_pem);
    let daemon = dir.path().join("daemon.json");
    std::fs::write(
        &daemon,
        format!(r#"{{"registry-mirrors": ["https://{host_port}"]}}"#),
    )
    .unwrap();
    let run = Regdoctor::new()
        .args(["check", "nginx", "--json", "--only", "mirror-path"])
        .arg("--daemon-config")
        .arg(daemon.to_str().unwrap())
        .arg("--certs-dir")
        .arg(certs.to_str().unwrap())
        .arg("--resolve")
        .arg(format!("mirror.test:{}:127.0.0.1", mirror.port))
        .run();
    let report = run.json();
    assert_eq!(
        check_of(&report, "mirror-path")["status"],
        "pass",
        "{report:#}"
    );
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(run.code, 0);
}

/// A realm the daemon reaches through its proxy is not dialled by Docker: a direct failure
/// there is only a note, and says so.
#[test]
fn realm_reached_through_the_daemon_proxy_is_only_a_note() {
    let closed = free_port();
    let reg = TokenRegistry::start(&format!("https://auth.test:{closed}/token"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("http-proxy.conf"),
        format!(
            "[Service]\nEnvironment=\"HTTPS_PROXY=http://127.0.0.1:{}\" \"NO_PROXY=registry.test\"\n",
            free_port()
        ),
    )
    .unwrap();
    let report = reg.check(&[
        "--resolve".into(),
        format!("auth.test:{closed}:127.0.0.1"),
        "--systemd-dir".into(),
        dir.path().to_str().unwrap().into(),
        "--daemon-config".into(),
        dir.path().join("none.json").to_str().unwrap().into(),
    ]);
    let realm = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "realm-path")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(realm["severity"], "info", "{report:#}");
    assert!(
        evidence_value(realm, "daemon's path")
            .unwrap_or_default()
            .contains("through the proxy http://127.0.0.1:"),
        "{report:#}"
    );
    assert_eq!(
        check_of(&report, "realm-path")["status"],
        "warn",
        "{report:#}"
    );
}
