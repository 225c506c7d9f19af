//! The client's own configuration, from fixture trees under `fixtures/roots/`: each broken tree
//! puts the right category first with the exact edit; the good tree raises nothing; no file is
//! changed.

use std::path::{Path, PathBuf};

use crate::support::cmd::Regdoctor;
use crate::support::report::top;

fn root(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/roots")
        .join(name)
}

/// Only the offline checks, with every path pointed into a copy of the fixture tree (git does
/// not keep file modes, so the copy's config.json is made 0600 as `docker login` leaves it).
fn check(tree: &str, target: &str) -> serde_json::Value {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&root(tree), copy.path());
    let config = copy.path().join("home/.docker/config.json");
    if config.exists() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    check_at(copy.path(), target)
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

fn check_at(r: &Path, target: &str) -> serde_json::Value {
    let run = Regdoctor::new()
        .args([
            "check",
            target,
            "--json",
            "--only",
            "daemon-config,auths,content-trust",
        ])
        .arg("--daemon-config")
        .arg(r.join("etc/docker/daemon.json").to_str().unwrap())
        .arg("--docker-config")
        .arg(r.join("home/.docker").to_str().unwrap())
        .arg("--profile-file")
        .arg(r.join("etc/profile").to_str().unwrap())
        .run();
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    run.json()
}

fn hash_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn good_tree_raises_nothing_and_names_the_credential_source() {
    let report = check("good", "registry.example.com/team/app:1");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
    let auths = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "auths")
        .unwrap();
    assert!(
        auths["summary"].as_str().unwrap().contains("\"bob\""),
        "{report:#}"
    );
    assert!(!report.to_string().contains("hunter2"), "password leaked");
}

#[test]
fn broken_daemon_json_is_located_by_line() {
    let report = check("broken-json", "nginx");
    assert_eq!(top(&report)["category"], "client_setup", "{report:#}");
    assert!(
        top(&report)["evidence"].to_string().contains("line 3"),
        "{report:#}"
    );
}

#[test]
fn misspelt_key_names_the_right_one() {
    let report = check("misspelt-key", "nginx");
    let evidence = top(&report)["evidence"].to_string();
    assert!(
        evidence.contains("registry-mirror\"") || evidence.contains("registry-mirror\\\""),
        "{evidence}"
    );
    assert!(evidence.contains("registry-mirrors"), "{evidence}");
}

#[test]
fn mirror_with_a_path_is_a_mirror_misconfig() {
    let report = check("mirror-with-path", "nginx");
    assert_eq!(top(&report)["category"], "mirror_misconfig", "{report:#}");
    assert!(
        top(&report)["evidence"]
            .to_string()
            .contains("path, query, or fragment"),
        "{report:#}"
    );
}

#[test]
fn credentials_under_another_key_are_found() {
    let report = check("auth-key-mismatch", "registry.example.com/team/app:1");
    assert_eq!(top(&report)["category"], "config_json", "{report:#}");
    let fixes = top(&report)["fixes"].to_string();
    assert!(
        fixes.contains("docker login registry.example.com"),
        "{fixes}"
    );
}

#[test]
fn missing_credential_helper_is_named() {
    let report = check("helper-missing", "nginx");
    assert_eq!(top(&report)["category"], "credential_helper", "{report:#}");
    assert!(
        top(&report)["evidence"]
            .to_string()
            .contains("docker-credential-desktop"),
        "{report:#}"
    );
}

#[test]
fn content_trust_in_a_profile_file_is_reported_where_it_is_set() {
    let report = check("trust-on", "nginx");
    assert_eq!(top(&report)["category"], "content_trust", "{report:#}");
    assert!(
        top(&report)["evidence"]
            .to_string()
            .contains("etc/profile:2"),
        "{report:#}"
    );
}

#[test]
fn no_fixture_file_is_modified() {
    let before = hash_tree(&root(""));
    for tree in [
        "good",
        "broken-json",
        "misspelt-key",
        "mirror-with-path",
        "auth-key-mismatch",
        "helper-missing",
        "trust-on",
    ] {
        check_at(&root(tree), "registry.example.com/team/app:1");
    }
    assert_eq!(before, hash_tree(&root("")));
}

#[test]
fn credentials_readable_by_others_are_a_warning() {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&root("good"), copy.path());
    let config = copy.path().join("home/.docker/config.json");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let report = check_at(copy.path(), "registry.example.com/team/app:1");
    assert_eq!(top(&report)["category"], "config_json", "{report:#}");
    assert_eq!(top(&report)["severity"], "warning");
    assert!(top(&report)["fixes"].to_string().contains("chmod 600"));
}

#[test]
fn library_on_acr_is_a_reference_problem_with_the_corrected_reference() {
    let run = Regdoctor::new()
        .args([
            "check",
            "registry.cn-hangzhou.aliyuncs.com/library/node:18-alpine",
            "--json",
            "--only",
            "reference",
        ])
        .run();
    let report = run.json();
    assert_eq!(run.code, 1);
    assert_eq!(
        top(&report)["category"],
        "image_reference_invalid",
        "{report:#}"
    );
    assert!(
        top(&report)["evidence"]
            .to_string()
            .contains("node:18-alpine (from Docker Hub"),
        "{report:#}"
    );
    assert!(
        top(&report)["fixes"]
            .to_string()
            .contains("registry-mirrors"),
        "{report:#}"
    );
}

#[test]
fn swr_organisation_rules_are_checked() {
    let bad = Regdoctor::new()
        .args([
            "check",
            "swr.cn-north-4.myhuaweicloud.com/9org/app:1",
            "--json",
            "--only",
            "reference",
        ])
        .run();
    assert_eq!(
        bad.json()["findings"][0]["category"],
        "image_reference_invalid"
    );
    let good = Regdoctor::new()
        .args([
            "check",
            "swr.cn-north-4.myhuaweicloud.com/my-org/app:1",
            "--json",
            "--only",
            "reference",
        ])
        .run();
    assert_eq!(good.code, 0, "{}", good.stdout);
}

#[test]
fn disk_space_and_kubernetes_node_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let kubelet = dir.path().join("config.yaml");
    std::fs::write(&kubelet, "kind: KubeletConfiguration\n").unwrap();
    let run = Regdoctor::new()
        .args([
            "check",
            "registry.example.com/team/app:1",
            "--json",
            "--only",
            "host",
            "--data-root",
        ])
        .arg(dir.path().to_str().unwrap())
        .arg("--kubelet-config")
        .arg(kubelet.to_str().unwrap())
        .run();
    let report = run.json();
    let host = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "host")
        .unwrap();
    assert!(
        host["summary"].as_str().unwrap().contains("GiB free under"),
        "{report:#}"
    );
    let k8s = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "k8s_pull_secret")
        .unwrap();
    assert_eq!(k8s["severity"], "info");
    assert!(
        k8s["fixes"].to_string().contains("imagePullSecrets"),
        "{report:#}"
    );
}

#[test]
fn mirrors_are_checked_live_and_a_registry_is_not_a_mirror() {
    use crate::support::registry::{Registry, RegistryOpts, free_port};
    let reg = Registry::start(RegistryOpts::default());
    let dead = format!("http://127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let daemon = dir.path().join("daemon.json");
    std::fs::write(
        &daemon,
        format!(r#"{{"registry-mirrors": ["http://{}", "{dead}", "https://registry.cn-hangzhou.aliyuncs.com"]}}"#, reg.addr),
    )
    .unwrap();
    let run = Regdoctor::new()
        .args([
            "check",
            "nginx:1.25",
            "--json",
            "--only",
            "mirrors",
            "--daemon-config",
        ])
        .arg(daemon.to_str().unwrap())
        .run();
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(
        top(&report)["code"],
        "RD-MIR-007",
        "the wrong mirror first: {report:#}"
    );
    let all = report["findings"].to_string();
    assert!(all.contains(&dead), "the dead mirror is named: {report:#}");
    let summary = report["checks"][0]["summary"].as_str().unwrap().to_string();
    assert!(
        summary.contains(&format!("http://{}: 200", reg.addr)),
        "{summary}"
    );

    // For a private registry the mirrors do not apply at all, and the report says so.
    let run = Regdoctor::new()
        .args([
            "check",
            "registry.example.com/team/app:1",
            "--json",
            "--only",
            "mirrors",
            "--daemon-config",
        ])
        .arg(daemon.to_str().unwrap())
        .run();
    assert!(run.json()["findings"].to_string().contains("RD-MIR-008"));
}

/// With content trust on in this shell, the Notary server the CLI would ask is tried: one that
/// does not answer fails every pull, and the report names it and why it is that server.
#[test]
fn content_trust_with_an_unreachable_notary_names_the_server() {
    let closed = crate::support::registry::free_port();
    let server = format!("https://127.0.0.1:{closed}");
    let run = Regdoctor::new()
        .args([
            "check",
            "127.0.0.1:5000/team/app:1",
            "--json",
            "--only",
            "content-trust",
        ])
        .env("DOCKER_CONTENT_TRUST", "1")
        .env("DOCKER_CONTENT_TRUST_SERVER", server.clone())
        .run();
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "RD-TRUST-002")
        .unwrap_or_else(|| panic!("no notary finding: {report:#}"));
    assert_eq!(f["category"], "content_trust");
    let ev = crate::support::report::evidence_text(f);
    assert!(
        ev.contains(&format!("GET {server}/_notary_server/health"))
            && ev.contains("DOCKER_CONTENT_TRUST_SERVER")
            && ev.to_lowercase().contains("refused"),
        "{ev}"
    );
}
