//! Credentials, login and the image itself, against the real distribution registry:
//! htpasswd with right and wrong passwords, a credential helper, --password-stdin, and
//! repositories and tags that exist or not.

use std::path::Path;

use crate::support::cmd::Regdoctor;
use crate::support::pki::{self, Ca, LeafOpts};
use crate::support::registry::{Registry, RegistryOpts};

const USER: &str = "ci-bot";
const PASSWORD: &str = "S3cret-Passw0rd!";

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A TLS registry with htpasswd auth, and a certs.d tree trusting its CA.
fn tls_htpasswd_registry() -> (Registry, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Registry Test CA");
    let leaf = ca.leaf(LeafOpts::for_localhost());
    let cert = pki::write(dir.path(), "server.crt", &leaf.chain_pem);
    let key = pki::write(dir.path(), "server.key", &leaf.key_pem);
    let reg = Registry::start(RegistryOpts {
        tls: Some((cert, key)),
        htpasswd: Some((USER.into(), PASSWORD.into())),
        ..RegistryOpts::default()
    });
    let certs = dir.path().join("certs.d").join(&reg.addr);
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ca.crt"), &ca.cert_pem).unwrap();
    (reg, dir)
}

fn docker_config(dir: &Path, json: &str) -> String {
    let d = dir.join("docker");
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("config.json");
    std::fs::write(&f, json).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    d.to_str().unwrap().to_string()
}

fn check(
    reg: &Registry,
    dir: &Path,
    config: &str,
    extra: &[&str],
) -> (i32, String, serde_json::Value) {
    let run = Regdoctor::new()
        .args(["check", &reg.addr, "--json", "--certs-dir"])
        .arg(dir.join("certs.d").to_str().unwrap())
        .arg("--docker-config")
        .arg(config)
        .args(extra.iter().copied())
        .run();
    let json = run.json();
    (run.code, run.stdout, json)
}

fn status<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    &report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()["status"]
}

#[test]
fn right_and_wrong_passwords_are_told_apart_and_never_printed() {
    let (reg, dir) = tls_htpasswd_registry();
    let good = docker_config(
        dir.path(),
        &format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            reg.addr,
            b64(&format!("{USER}:{PASSWORD}"))
        ),
    );
    let (code, stdout, report) = check(&reg, dir.path(), &good, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status(&report, "auth"), "pass", "{report:#}");
    assert!(!stdout.contains(PASSWORD) && !stdout.contains(&b64(&format!("{USER}:{PASSWORD}"))));

    let bad_dir = tempfile::tempdir().unwrap();
    let bad = docker_config(
        bad_dir.path(),
        &format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            reg.addr,
            b64(&format!("{USER}:wrong-password"))
        ),
    );
    let (code, stdout, report) = check(&reg, dir.path(), &bad, &[]);
    assert_eq!(code, 1);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "auth_bad_credentials", "{report:#}");
    assert!(
        top["evidence"].to_string().contains(USER),
        "names the user: {report:#}"
    );
    assert!(!stdout.contains("wrong-password"), "{stdout}");

    let none_dir = tempfile::tempdir().unwrap();
    let none = docker_config(none_dir.path(), "{}");
    let (_, _, report) = check(&reg, dir.path(), &none, &[]);
    assert_eq!(
        report["findings"][0]["category"], "auth_bad_credentials",
        "{report:#}"
    );
    assert!(
        report["findings"][0]["evidence"]
            .to_string()
            .contains("no auths entry"),
        "{report:#}"
    );
}

#[test]
fn password_stdin_is_used_and_never_printed() {
    let (reg, dir) = tls_htpasswd_registry();
    let none = docker_config(dir.path(), "{}");
    let run = Regdoctor::new()
        .args([
            "check",
            &reg.addr,
            "--json",
            "--username",
            USER,
            "--password-stdin",
            "--certs-dir",
        ])
        .arg(dir.path().join("certs.d").to_str().unwrap())
        .arg("--docker-config")
        .arg(&none)
        .stdin(format!("{PASSWORD}\n").into_bytes())
        .run();
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    assert!(
        report.to_string().contains("--password-stdin"),
        "says which source: {report:#}"
    );
    assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD));
}

#[test]
fn a_credential_helper_is_run_with_a_timeout() {
    let (reg, dir) = tls_htpasswd_registry();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-test");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread server\necho '{{\"ServerURL\":\"'$server'\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n"),
    )
    .unwrap();
    let hang = bin.join("docker-credential-hang");
    std::fs::write(&hang, "#!/bin/sh\nsleep 30\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    for f in [&helper, &hang] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let config = docker_config(dir.path(), r#"{"credsStore":"test"}"#);
    let run = Regdoctor::new()
        .args(["check", &reg.addr, "--json", "--certs-dir"])
        .arg(dir.path().join("certs.d").to_str().unwrap())
        .arg("--docker-config")
        .arg(&config)
        .env("PATH", &path)
        .run();
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    assert!(
        report.to_string().contains("docker-credential-test"),
        "{report:#}"
    );
    assert!(!run.stdout.contains(PASSWORD));

    let hang_dir = tempfile::tempdir().unwrap();
    let config = docker_config(hang_dir.path(), r#"{"credsStore":"hang"}"#);
    let run = Regdoctor::new()
        .args([
            "check",
            &reg.addr,
            "--json",
            "--timeout",
            "8",
            "--certs-dir",
        ])
        .arg(dir.path().join("certs.d").to_str().unwrap())
        .arg("--docker-config")
        .arg(&config)
        .env("PATH", &path)
        .run();
    assert!(run.elapsed.as_secs() < 8, "{:?}", run.elapsed);
    let report = run.json();
    assert!(report.to_string().contains("did not answer"), "{report:#}");
}

#[test]
fn repository_and_tag_are_told_apart() {
    let reg = Registry::start(RegistryOpts::default());
    reg.push_tiny_image("team/app", "1.0", None);
    let run = |image: &str| {
        let run = Regdoctor::new()
            .args(["check", &format!("{}/{image}", reg.addr), "--json"])
            .run();
        (run.code, run.json())
    };
    let (code, report) = run("team/app:1.0");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status(&report, "manifest"), "pass");

    let (code, report) = run("team/app:2.0");
    assert_eq!(code, 1);
    assert_eq!(
        report["findings"][0]["category"], "manifest_unknown",
        "{report:#}"
    );
    assert!(
        report["findings"][0]["evidence"]
            .to_string()
            .contains("1.0"),
        "lists the tags there are: {report:#}"
    );

    let (_, report) = run("team/nope:1.0");
    assert_eq!(
        report["findings"][0]["category"], "repo_not_found",
        "{report:#}"
    );
}

#[test]
fn credentials_are_not_sent_over_plain_http() {
    let reg = Registry::start(RegistryOpts {
        htpasswd: Some((USER.into(), PASSWORD.into())),
        ..RegistryOpts::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let config = docker_config(
        dir.path(),
        &format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            reg.addr,
            b64(&format!("{USER}:{PASSWORD}"))
        ),
    );
    let run = Regdoctor::new()
        .args(["check", &reg.addr, "--json", "--docker-config", &config])
        .run();
    let report = run.json();
    let codes: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert!(codes.contains(&"RD-AUTH-017".to_string()), "{report:#}");
    assert!(
        !reg.log().contains(USER),
        "the registry saw no login attempt"
    );
}
