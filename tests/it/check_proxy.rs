//! The daemon's proxy, as Go reads it, against a real tinyproxy: CONNECT allowed, refused,
//! wanting credentials; an unreachable proxy; and the shell/daemon difference.

use crate::support::cmd::Regdoctor;
use crate::support::proxy::{ProxyOpts, TinyProxy};
use crate::support::registry::free_port;
use crate::support::report::top;

/// The registry is reached by a name (loopback is never proxied by Go), pinned to 127.0.0.1.
fn check_with_daemon_proxy(
    proxy_url: &str,
    registry_port: u16,
    shell_env: &[(&str, &str)],
) -> (i32, String, serde_json::Value) {
    let dropins = tempfile::tempdir().unwrap();
    std::fs::write(
        dropins.path().join("http-proxy.conf"),
        format!("[Service]\nEnvironment=\"HTTPS_PROXY={proxy_url}\" \"NO_PROXY=localhost,.internal.example\"\n"),
    )
    .unwrap();
    let mut cmd = Regdoctor::new()
        .args([
            "check",
            &format!("registry.test:{registry_port}"),
            "--json",
            "--only",
            "proxy",
        ])
        .arg("--systemd-dir")
        .arg(dropins.path().to_str().unwrap())
        .arg("--daemon-config")
        .arg(dropins.path().join("none.json").to_str().unwrap());
    for (k, v) in shell_env {
        cmd = cmd.env(k, *v);
    }
    let run = cmd.run();
    let json = run.json();
    (run.code, run.stdout, json)
}

/// The proxy is really asked: it answers from its own vantage point, where registry.test does
/// not resolve, and the finding says so (not "refused", not "unreachable proxy").
#[test]
fn connect_goes_through_the_proxy_and_its_answer_is_reported() {
    let proxy = TinyProxy::start(ProxyOpts::default());
    let target = free_port();
    let (code, _, report) =
        check_with_daemon_proxy(&proxy.url(), target, &[("HTTPS_PROXY", &proxy.url())]);
    assert_eq!(code, 1);
    let summary = report["checks"][0]["summary"].as_str().unwrap().to_string();
    assert!(summary.contains("via http://127.0.0.1"), "{summary}");
    assert_eq!(
        top(&report)["category"],
        "network_unreachable",
        "{report:#}"
    );
    let evidence = top(&report)["evidence"].to_string();
    assert!(
        evidence.contains(&format!("CONNECT registry.test:{target}")),
        "{evidence}"
    );
}

#[test]
fn a_refused_connect_is_proxy_misconfig() {
    let proxy = TinyProxy::start(ProxyOpts {
        connect_ports: vec![1],
        ..ProxyOpts::default()
    });
    let (code, _, report) =
        check_with_daemon_proxy(&proxy.url(), 8443, &[("HTTPS_PROXY", &proxy.url())]);
    assert_eq!(code, 1);
    assert_eq!(top(&report)["category"], "proxy_misconfig", "{report:#}");
    assert!(
        top(&report)["evidence"]
            .to_string()
            .contains("CONNECT registry.test:8443"),
        "{report:#}"
    );
}

#[test]
fn proxy_credentials_are_used_and_never_printed() {
    let proxy = TinyProxy::start(ProxyOpts {
        basic_auth: Some(("bob".into(), "pr0xy-s3cret".into())),
        ..ProxyOpts::default()
    });
    // Without credentials: 407.
    let (code, _, report) = check_with_daemon_proxy(&proxy.url(), 8443, &[]);
    assert_eq!(code, 1);
    assert_eq!(top(&report)["category"], "proxy_misconfig", "{report:#}");
    assert!(
        top(&report)["evidence"].to_string().contains("407"),
        "{report:#}"
    );
    // With them, in the URL: the proxy lets us through (no more 407), and the password
    // appears nowhere.
    let with_creds = format!("http://bob:pr0xy-s3cret@127.0.0.1:{}", proxy.port);
    let (_, stdout, report) =
        check_with_daemon_proxy(&with_creds, 8443, &[("HTTPS_PROXY", &with_creds)]);
    let findings = report["findings"].to_string();
    assert!(
        !findings.contains("407"),
        "credentials were not accepted: {report:#}"
    );
    assert!(
        findings.contains("CONNECT registry.test:8443"),
        "{report:#}"
    );
    assert!(!stdout.contains("pr0xy-s3cret"), "{stdout}");
}

#[test]
fn an_unreachable_proxy_is_named() {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let (code, _, report) = check_with_daemon_proxy(&dead, 8443, &[("HTTPS_PROXY", &dead)]);
    assert_eq!(code, 1);
    assert_eq!(top(&report)["category"], "proxy_misconfig", "{report:#}");
    assert!(
        top(&report)["evidence"]
            .to_string()
            .to_lowercase()
            .contains("refused"),
        "{report:#}"
    );
}

#[test]
fn shell_proxy_the_daemon_does_not_have_is_pointed_out() {
    let dir = tempfile::tempdir().unwrap();
    let run = Regdoctor::new()
        .args(["check", "registry.example.com", "--json", "--only", "proxy"])
        .arg("--systemd-dir")
        .arg(dir.path().to_str().unwrap())
        .arg("--daemon-config")
        .arg(dir.path().join("none.json").to_str().unwrap())
        .env("HTTPS_PROXY", "http://proxy.corp.example:3128")
        .run();
    let report = run.json();
    let f = &report["findings"][0];
    assert_eq!(f["category"], "proxy_misconfig", "{report:#}");
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("daemon") && evidence.contains("direct"),
        "{evidence}"
    );
    assert!(
        evidence.contains("via http://proxy.corp.example:3128"),
        "{evidence}"
    );
}

/// A proxy setting Go cannot parse makes every pull fail before any connection: the report
/// quotes the setting and where it came from.
#[test]
fn an_unparseable_daemon_proxy_is_a_proxy_misconfig_naming_the_setting() {
    let (code, _, report) =
        check_with_daemon_proxy("http://proxy.corp.example:80:80", free_port(), &[]);
    assert_eq!(code, 1, "{report:#}");
    let f = top(&report);
    assert_eq!(f["category"], "proxy_misconfig", "{report:#}");
    let ev = f["evidence"].to_string();
    assert!(
        ev.contains("proxy.corp.example:80:80") && ev.contains(".conf"),
        "{report:#}"
    );
}
