//! The TLS verdicts, each against an in-process server presenting a generated certificate.

use std::time::Duration;

use crate::support::cmd::{Regdoctor, Run};
use crate::support::pki::{self, Ca, LeafOpts};
use crate::support::report::top;
use crate::support::servers::{self, Behaviour, Server};

fn tls_server(chain_pem: &str, key_pem: &str) -> Server {
    servers::start(Behaviour::Tls {
        chain_pem: chain_pem.to_string(),
        key_pem: key_pem.to_string(),
        response: servers::registry_ok(),
    })
}

/// A certs.d tree trusting `ca_pem` for `host_port`.
fn certs_dir(host_port: &str, ca_pem: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join(host_port);
    std::fs::create_dir_all(&host).unwrap();
    pki::write(&host, "ca.crt", ca_pem);
    dir
}

fn check(target: &str, certs: &tempfile::TempDir, extra: &[String]) -> (Run, serde_json::Value) {
    let run = Regdoctor::new()
        // podman verifies what Docker skips on loopback, and reads Docker's certs.d when it
        // has no folder of its own for the host.
        .args([
            "check",
            target,
            "--json",
            "--client",
            "containers",
            "--certs-dir",
        ])
        .arg(certs.path().to_str().unwrap())
        .args(extra.iter().map(String::as_str))
        .run();
    let json = run.json();
    (run, json)
}

/// The observation keys the rule behind a finding explains (from `regdoctor rules CODE`).
fn observes(finding: &serde_json::Value) -> Vec<String> {
    let code = finding["code"].as_str().unwrap_or_default();
    let rule = Regdoctor::new()
        .args(["rules", code, "--json"])
        .run()
        .json();
    rule["observations"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn evidence(f: &serde_json::Value) -> String {
    f["evidence"].to_string()
}

#[test]
fn expired_certificate_is_expired_or_clock() {
    let ca = Ca::new("Expired Test CA");
    let leaf = ca.leaf(LeafOpts {
        not_before: -30,
        not_after: -1,
        ..LeafOpts::for_localhost()
    });
    let srv = tls_server(&leaf.chain_pem, &leaf.key_pem);
    let certs = certs_dir(&srv.addr, &ca.cert_pem);
    let (run, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(
        top(&report)["category"],
        "tls_expired_or_clock",
        "{report:#}"
    );
    assert!(evidence(top(&report)).contains("expired on"), "{report:#}");
    assert!(observes(top(&report)).contains(&"tls.expired".to_string()));
}

#[test]
fn not_yet_valid_certificate_names_the_clock() {
    let ca = Ca::new("Future Test CA");
    let leaf = ca.leaf(LeafOpts {
        not_before: 10,
        not_after: 40,
        ..LeafOpts::for_localhost()
    });
    let srv = tls_server(&leaf.chain_pem, &leaf.key_pem);
    let certs = certs_dir(&srv.addr, &ca.cert_pem);
    let (_, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(
        top(&report)["category"],
        "tls_expired_or_clock",
        "{report:#}"
    );
    assert!(evidence(top(&report)).contains("clock"), "{report:#}");
    assert!(observes(top(&report)).contains(&"tls.not_yet_valid".to_string()));
}

#[test]
fn certificate_for_another_name_is_a_hostname_mismatch() {
    let ca = Ca::new("Mismatch Test CA");
    let leaf = ca.leaf(LeafOpts {
        dns_names: vec!["other.example".into()],
        ips: vec![],
        ..LeafOpts::for_localhost()
    });
    let srv = tls_server(&leaf.chain_pem, &leaf.key_pem);
    let target = format!("registry.test:{}", srv.port);
    let certs = certs_dir(&target, &ca.cert_pem);
    let (run, report) = check(
        &target,
        &certs,
        &[
            "--resolve".into(),
            format!("registry.test:{}:127.0.0.1", srv.port),
        ],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        top(&report)["category"],
        "tls_hostname_mismatch",
        "{report:#}"
    );
    assert!(
        evidence(top(&report)).contains("other.example"),
        "{report:#}"
    );
    assert!(observes(top(&report)).contains(&"tls.hostname_mismatch".to_string()));
}

#[test]
fn ip_without_ip_san_is_named_as_such() {
    let ca = Ca::new("No IP SAN CA");
    let leaf = ca.leaf(LeafOpts {
        ips: vec![],
        ..LeafOpts::for_localhost()
    });
    let srv = tls_server(&leaf.chain_pem, &leaf.key_pem);
    let certs = certs_dir(&srv.addr, &ca.cert_pem);
    let (_, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(
        top(&report)["category"],
        "tls_hostname_mismatch",
        "{report:#}"
    );
    assert!(evidence(top(&report)).contains("no IP SANs"), "{report:#}");
    assert!(observes(top(&report)).contains(&"tls.ip_not_in_sans".to_string()));
}

#[test]
fn self_signed_leaf_not_trusted_is_unknown_authority() {
    let leaf = pki::self_signed(LeafOpts::for_localhost());
    let srv = tls_server(&leaf.chain_pem, &leaf.key_pem);
    let certs = tempfile::tempdir().unwrap();
    let (_, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(
        top(&report)["category"],
        "tls_unknown_authority",
        "{report:#}"
    );
    assert!(
        observes(top(&report)).contains(&"tls.self_signed".to_string()),
        "{report:#}"
    );
}

/// Go (and so Docker) trusts a server certificate that is itself in the pool, even with
/// CA:TRUE; rustls refuses it. The report must predict Docker.
#[test]
fn self_signed_ca_true_cert_installed_in_certs_d_passes_like_docker() {
    let leaf = pki::self_signed(LeafOpts {
        is_ca: true,
        ..LeafOpts::for_localhost()
    });
    let srv = tls_server(&leaf.chain_pem, &leaf.key_pem);
    let certs = certs_dir(&srv.addr, &leaf.cert_pem);
    let (run, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(run.code, 0, "{report:#}");
    for id in ["tls", "ping"] {
        let c = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap();
        assert_eq!(c["status"], "pass", "{report:#}");
    }
}

#[test]
fn chain_without_its_intermediate_is_named() {
    let root = Ca::new("Chain Test Root");
    let inter = root.intermediate("Chain Test Intermediate");
    let leaf = inter.leaf(LeafOpts::for_localhost());
    // The server sends the leaf alone.
    let srv = tls_server(&leaf.cert_pem, &leaf.key_pem);
    let certs = certs_dir(&srv.addr, &root.cert_pem);
    let (_, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(
        top(&report)["category"],
        "tls_unknown_authority",
        "{report:#}"
    );
    assert!(
        observes(top(&report)).contains(&"tls.missing_intermediate".to_string()),
        "{report:#}"
    );

    // With the full chain sent, the same root is enough.
    let srv = tls_server(&leaf.chain_pem, &leaf.key_pem);
    let certs = certs_dir(&srv.addr, &root.cert_pem);
    let (run, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(run.code, 0, "{report:#}");
}

#[test]
fn stalled_handshake_ends_inside_the_deadline() {
    let srv = servers::start(Behaviour::Stall);
    let certs = tempfile::tempdir().unwrap();
    let (run, report) = check(&srv.addr, &certs, &["--timeout".into(), "3".into()]);
    assert!(
        run.elapsed < Duration::from_millis(4500),
        "took {:?}",
        run.elapsed
    );
    assert_eq!(run.code, 1);
    assert_eq!(top(&report)["check"], "tls", "{report:#}");
    assert!(
        observes(top(&report)).contains(&"tls.handshake_stalled".to_string()),
        "{report:#}"
    );
}

#[test]
fn accept_then_close_is_reported_on_the_tls_step() {
    let srv = servers::start(Behaviour::AcceptClose);
    let certs = tempfile::tempdir().unwrap();
    let (run, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(run.code, 1);
    assert_eq!(top(&report)["check"], "tls", "{report:#}");
    assert!(evidence(top(&report)).contains("closed"), "{report:#}");
}

#[test]
fn healthy_tls_registry_has_no_false_alarm() {
    let ca = Ca::new("Healthy CA");
    let leaf = ca.leaf(LeafOpts::for_localhost());
    let srv = tls_server(&leaf.chain_pem, &leaf.key_pem);
    let certs = certs_dir(&srv.addr, &ca.cert_pem);
    let (run, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(run.code, 0, "{report:#}");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
}

/// Expired by our clock, valid by the server's: the report says the clocks disagree.
#[test]
fn expired_by_a_clock_the_server_disagrees_with_is_called_a_clock_problem() {
    let ca = Ca::new("Clock Test CA");
    let leaf = ca.leaf(LeafOpts {
        not_before: -30,
        not_after: -1,
        ..LeafOpts::for_localhost()
    });
    let ten_days_ago = time::OffsetDateTime::now_utc() - time::Duration::days(10);
    let date = format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        &ten_days_ago.weekday().to_string()[..3],
        ten_days_ago.day(),
        &ten_days_ago.month().to_string()[..3],
        ten_days_ago.year(),
        ten_days_ago.hour(),
        ten_days_ago.minute(),
        ten_days_ago.second()
    );
    let response = servers::http_response(
        "200 OK",
        &[
            ("Date", &date),
            ("Docker-Distribution-Api-Version", "registry/2.0"),
        ],
        "{}",
    );
    let srv = servers::start(Behaviour::Tls {
        chain_pem: leaf.chain_pem.clone(),
        key_pem: leaf.key_pem.clone(),
        response,
    });
    let certs = certs_dir(&srv.addr, &ca.cert_pem);
    let (_, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(
        top(&report)["category"],
        "tls_expired_or_clock",
        "{report:#}"
    );
    let all = report["findings"].to_string();
    assert!(all.contains("Date header"), "{report:#}");
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| observes(f).contains(&"tls.clock_skew".to_string())),
        "{report:#}"
    );
}

/// A certificate that expires in five days still works today: a warning with the date, not an
/// error, and nothing else wrong.
#[test]
fn a_certificate_expiring_within_fourteen_days_is_a_warning_with_its_date() {
    let ca = Ca::new("Expiring Test CA");
    let leaf = ca.leaf(LeafOpts {
        not_after: 5,
        ..LeafOpts::for_localhost()
    });
    let srv = tls_server(&leaf.chain_pem, &leaf.key_pem);
    let certs = certs_dir(&srv.addr, &ca.cert_pem);
    let (run, report) = check(&srv.addr, &certs, &[]);
    assert_eq!(run.code, 1, "{report:#}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    let f = &findings[0];
    assert_eq!(f["severity"], "warning", "{report:#}");
    assert_eq!(f["category"], "tls_expired_or_clock", "{report:#}");
    assert!(observes(f).contains(&"tls.expiring_soon".to_string()));
    let year = time::OffsetDateTime::now_utc().year().to_string();
    assert!(
        f["evidence"].to_string().contains(&year)
            || f["evidence"]
                .to_string()
                .contains(&(time::OffsetDateTime::now_utc().year() + 1).to_string()),
        "shows the date: {f:#}"
    );
}
