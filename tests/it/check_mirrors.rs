//! `registry-mirrors` against real local registries: one that holds the image, one that does
//! not (the daemon would fall back to Docker Hub), and one that wants a login Docker never sends
//! to a mirror unless it sits under the Docker Hub key (seed case S10).

use std::path::Path;

use crate::support::cmd::{Regdoctor, Run};
use crate::support::registry::{Registry, RegistryOpts};
use crate::support::report::{check, evidence_text, finding};

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn check_mirrors(dir: &Path, mirrors: &[String], config_json: &str) -> Run {
    let daemon = dir.join("daemon.json");
    std::fs::write(
        &daemon,
        serde_json::json!({ "registry-mirrors": mirrors }).to_string(),
    )
    .unwrap();
    let docker = dir.join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let config = docker.join("config.json");
    std::fs::write(&config, config_json).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    Regdoctor::new()
        .args(["check", "app:1", "--json", "--only", "mirrors"])
        .args(["--daemon-config", daemon.to_str().unwrap()])
        .args(["--docker-config", docker.to_str().unwrap()])
        .run()
}

#[test]
fn a_mirror_without_the_image_is_told_apart_from_one_that_serves_it() {
    let good = Registry::start(RegistryOpts::default());
    good.push_tiny_image("library/app", "1", None);
    let empty = Registry::start(RegistryOpts::default());
    let dir = tempfile::tempdir().unwrap();
    let run = check_mirrors(dir.path(), &[good.url(), empty.url()], "{}");
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    let summary = check(&report, "mirrors")["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!(
            "{}: 200, serves library/app/manifests/1",
            good.url()
        )),
        "{summary}"
    );
    let f = finding(&report, "RD-MIR-009").expect("the empty mirror is named");
    assert_eq!(f["category"], "mirror_misconfig");
    assert!(evidence_text(f).contains(&empty.addr), "{f:#}");
    assert!(!evidence_text(f).contains(&good.addr), "{f:#}");
    assert!(f["fixes"].to_string().contains("remoteurl"), "{f:#}");
}

#[test]
fn a_mirror_login_stored_only_under_the_mirror_is_never_sent() {
    let mirror = Registry::start(RegistryOpts {
        htpasswd: Some(("mirror-user".into(), "Mirr0r-Pass!".into())),
        ..RegistryOpts::default()
    });
    let auth = b64("mirror-user:Mirr0r-Pass!");
    let dir = tempfile::tempdir().unwrap();
    let only_mirror = format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, mirror.addr);
    let run = check_mirrors(dir.path(), &[mirror.url()], &only_mirror);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    let f = &report["findings"][0];
    assert_eq!(f["code"], "RD-MIR-003", "{report:#}");
    assert_eq!(f["category"], "mirror_misconfig");
    assert!(
        evidence_text(f).contains("login for the mirror only"),
        "{f:#}"
    );
    let fixes = f["fixes"].to_string();
    assert!(
        fixes.contains("https://index.docker.io/v1/") && fixes.contains(&mirror.addr),
        "the exact config.json edit: {fixes}"
    );
    assert!(!run.stdout.contains(&auth) && !run.stdout.contains("Mirr0r-Pass!"));

    // With the same login under the Docker Hub key, Docker does send it: nothing to report.
    let both = format!(
        r#"{{"auths":{{"{}":{{"auth":"{auth}"}},"https://index.docker.io/v1/":{{"auth":"{auth}"}}}}}}"#,
        mirror.addr
    );
    let run = check_mirrors(dir.path(), &[mirror.url()], &both);
    let report = run.json();
    assert!(finding(&report, "RD-MIR-003").is_none(), "{report:#}");
}

/// Docker Hub unreachable (its address refuses connections), as in networks where only the
/// mirror gets through: `check app:1` with every check, judged for Docker.
fn check_hub_behind(dir: &Path, mirrors: &[String]) -> serde_json::Value {
    let daemon = dir.join("daemon.json");
    std::fs::write(
        &daemon,
        serde_json::json!({ "registry-mirrors": mirrors }).to_string(),
    )
    .unwrap();
    Regdoctor::new()
        .args(["check", "app:1", "--json", "--client", "docker"])
        .args(["--daemon-config", daemon.to_str().unwrap()])
        .args(["--systemd-dir", dir.to_str().unwrap()])
        .args(["--resolve", "registry-1.docker.io:443:127.0.0.1"])
        .args(["--resolve", "index.docker.io:443:127.0.0.1"])
        .run()
        .json()
}

fn docker_verdict(report: &serde_json::Value) -> &serde_json::Value {
    report["clients"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["client"] == "docker"))
        .expect("a verdict for docker")
}

#[test]
fn docker_hub_unreachable_behind_a_mirror_that_serves_the_image_works() {
    let good = Registry::start(RegistryOpts::default());
    good.push_tiny_image("library/app", "1", None);
    let dir = tempfile::tempdir().unwrap();
    let report = check_hub_behind(dir.path(), &[good.url()]);
    assert_eq!(docker_verdict(&report)["verdict"], "works", "{report:#}");
    let errors: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(
        errors.is_empty(),
        "Docker Hub's refusal is no error here: {errors:#?}"
    );
}

#[test]
fn docker_hub_unreachable_behind_a_mirror_without_the_image_names_the_mirror_first() {
    let empty = Registry::start(RegistryOpts::default());
    let dir = tempfile::tempdir().unwrap();
    let report = check_hub_behind(dir.path(), &[empty.url()]);
    let v = docker_verdict(&report);
    assert_eq!(v["verdict"], "fails", "{report:#}");
    assert_eq!(v["category"], "mirror_misconfig", "{report:#}");
    let top = &report["findings"][0];
    assert_eq!(top["category"], "mirror_misconfig", "{report:#}");
    assert!(evidence_text(top).contains(&empty.addr), "{top:#}");
}
