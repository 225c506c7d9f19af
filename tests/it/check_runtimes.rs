//! The container runtimes' own configuration (containerd, podman/CRI-O, dockerd flags outside
//! daemon.json), from fixture trees under `fixtures/roots/`: each broken tree puts the right
//! category first with the exact edit, the healthy tree raises nothing, and no file is
//! written. All of these checks read files only.

use std::path::{Path, PathBuf};

use crate::support::cmd::Regdoctor;
use crate::support::report::top;

const OFFLINE: &str = "daemon-config,dockerd-flags,containerd,containers";

fn root(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/roots")
        .join(name)
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

/// Every runtime path of the tree at `r`, as overrides.
fn overrides(r: &Path) -> Vec<String> {
    let p = |rel: &str| r.join(rel).to_str().unwrap().to_string();
    [
        ("--daemon-config", "etc/docker/daemon.json"),
        ("--systemd-dir", "etc/systemd/system/docker.service.d"),
        ("--docker-unit", "etc/systemd/system/docker.service"),
        ("--docker-unit", "lib/systemd/system/docker.service"),
        ("--docker-defaults", "etc/default/docker"),
        ("--docker-sysconfig", "etc/sysconfig/docker"),
        ("--containerd-config", "etc/containerd/config.toml"),
        ("--containerd-certs-dir", "etc/containerd/certs.d"),
        ("--registries-conf", "etc/containers/registries.conf"),
        ("--policy-json", "etc/containers/policy.json"),
        ("--docker-config", "home/.docker"),
        ("--profile-file", "etc/profile"),
    ]
    .iter()
    .flat_map(|(flag, rel)| [flag.to_string(), p(rel)])
    .collect()
}

fn check_at(r: &Path, target: &str, only: &str) -> (i32, serde_json::Value) {
    let run = Regdoctor::new()
        .args(["check", target, "--json", "--only", only])
        .args(overrides(r))
        .run();
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    (run.code, run.json())
}

/// The tree copied to a temporary directory first, so paths in the report are the copy's.
fn check(tree: &str, target: &str) -> (tempfile::TempDir, serde_json::Value) {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&root(tree), copy.path());
    let (_, report) = check_at(copy.path(), target, OFFLINE);
    (copy, report)
}

/// The fix that writes a file: (file, snippet).
fn file_fix(finding: &serde_json::Value) -> (String, String) {
    let fix = finding["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].is_string())
        .unwrap_or_else(|| panic!("no file fix in {finding:#}"));
    (
        fix["file"].as_str().unwrap().to_string(),
        fix["snippet"].as_str().unwrap_or_default().to_string(),
    )
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

fn summary_of<'a>(report: &'a serde_json::Value, id: &str) -> &'a str {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["summary"].as_str())
        .unwrap_or_default()
}

#[test]
fn healthy_runtime_tree_raises_nothing_and_writes_nothing() {
    let before = hash_tree(&root("runtimes-good"));
    for target in [
        "nginx",
        "registry.example.com/team/app:1",
        "quay.io/prometheus/node-exporter",
    ] {
        let (code, report) = check_at(&root("runtimes-good"), target, OFFLINE);
        assert_eq!(
            report["findings"].as_array().map(Vec::len),
            Some(0),
            "{target}: {report:#}"
        );
        assert_eq!(code, 0);
        assert!(
            summary_of(&report, "containerd").contains("hosts.toml"),
            "{report:#}"
        );
        assert!(
            summary_of(&report, "dockerd-flags").contains("docker.service"),
            "{report:#}"
        );
    }
    assert_eq!(before, hash_tree(&root("runtimes-good")));
}

#[test]
fn no_runtime_fixture_file_is_modified() {
    let all = root("");
    let before = hash_tree(&all);
    for e in std::fs::read_dir(&all).unwrap() {
        let tree = e.unwrap().path();
        for target in ["nginx", "http://registry.example.com:5000"] {
            check_at(&tree, target, OFFLINE);
        }
    }
    assert_eq!(before, hash_tree(&all));
}

// ---- containerd

#[test]
fn malformed_containerd_config_is_located_by_line() {
    let (_d, report) = check("containerd-broken-toml", "nginx");
    assert_eq!(top(&report)["category"], "client_setup", "{report:#}");
    assert_eq!(top(&report)["code"], "RD-RT-001");
    let evidence = top(&report)["evidence"].to_string();
    assert!(evidence.contains("line 6"), "{evidence}");
    assert!(
        top(&report)["fixes"].to_string().contains("line 6"),
        "{report:#}"
    );
}

#[test]
fn legacy_mirrors_next_to_config_path_is_a_mirror_misconfig_with_the_hosts_toml() {
    let (d, report) = check("containerd-legacy-conflict", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "mirror_misconfig", "{report:#}");
    assert_eq!(f["code"], "RD-RT-005");
    assert_eq!(f["severity"], "error");
    assert!(
        f["evidence"]
            .to_string()
            .contains("`mirrors` cannot be set when `config_path` is provided"),
        "{report:#}"
    );
    let (file, snippet) = file_fix(f);
    assert_eq!(
        file,
        d.path()
            .join("etc/containerd/certs.d/docker.io/hosts.toml")
            .to_str()
            .unwrap()
    );
    assert_eq!(
        snippet,
        "server = \"https://registry-1.docker.io\"\n\n[host.\"https://abc123.mirror.aliyuncs.com\"]\n  capabilities = [\"pull\", \"resolve\"]"
    );
}

#[test]
fn legacy_mirror_without_scheme_gets_https() {
    let (_d, report) = check("containerd-mirror-no-scheme", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "mirror_misconfig", "{report:#}");
    assert_eq!(f["code"], "RD-RT-006");
    let (_, snippet) = file_fix(f);
    assert_eq!(
        snippet,
        "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://abc123.mirror.aliyuncs.com\"]"
    );
}

#[test]
fn hub_mirror_with_a_path_in_hosts_toml_is_named() {
    let (_d, report) = check("containerd-hub-mirror-path", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "mirror_misconfig", "{report:#}");
    assert!(
        f["evidence"].to_string().contains("/dockerhub/v2"),
        "{report:#}"
    );
    let (_, snippet) = file_fix(f);
    assert!(
        snippet.starts_with("[host.\"https://harbor.corp.example\"]"),
        "{snippet}"
    );
    // The same tree is fine for another registry: Docker Hub's hosts.toml does not apply.
    let (_d, other) = check("containerd-hub-mirror-path", "registry.example.com/a/b:1");
    assert_eq!(
        other["findings"].as_array().map(Vec::len),
        Some(0),
        "{other:#}"
    );
}

#[test]
fn skip_verify_for_the_target_is_a_warning() {
    let (_d, report) = check(
        "containerd-skip-verify",
        "registry.example.com:5000/team/app:1",
    );
    let f = top(&report);
    assert_eq!(f["category"], "http_vs_https", "{report:#}");
    assert_eq!(f["code"], "RD-RT-007");
    assert_eq!(f["severity"], "warning");
    assert!(f["evidence"].to_string().contains("skip_verify = true"));
}

#[test]
fn missing_ca_file_is_an_unknown_authority_error() {
    let (_d, report) = check(
        "containerd-ca-missing",
        "registry.example.com:5000/team/app:1",
    );
    let f = top(&report);
    assert_eq!(f["category"], "tls_unknown_authority", "{report:#}");
    assert_eq!(f["code"], "RD-RT-008");
    assert!(
        f["evidence"]
            .to_string()
            .contains("corp-ca.crt: no such file")
    );
    assert!(
        f["fixes"].to_string().contains(
            "sudo cp ca.crt /etc/containerd/certs.d/registry.example.com:5000/corp-ca.crt"
        ),
        "{report:#}"
    );
}

#[test]
fn plain_http_registry_gets_the_hosts_toml_to_write() {
    let (d, report) = check("containerd-plain-http", "http://registry.example.com:5000");
    let f = top(&report);
    assert_eq!(f["category"], "http_vs_https", "{report:#}");
    assert_eq!(f["code"], "RD-RT-009");
    let (file, snippet) = file_fix(f);
    assert_eq!(
        file,
        d.path()
            .join("etc/containerd/certs.d/registry.example.com:5000/hosts.toml")
            .to_str()
            .unwrap()
    );
    assert_eq!(
        snippet,
        "server = \"http://registry.example.com:5000\"\n\n[host.\"http://registry.example.com:5000\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]"
    );
    // An https target needs nothing.
    let (_d, ok) = check("containerd-plain-http", "registry.example.com:5000");
    assert_eq!(ok["findings"].as_array().map(Vec::len), Some(0), "{ok:#}");
}

// ---- podman / CRI-O

#[test]
fn blocked_registry_is_an_error_with_the_drop_in_to_change() {
    let (d, report) = check("containers-blocked", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "client_setup", "{report:#}");
    assert_eq!(f["code"], "RD-RT-011");
    let (file, snippet) = file_fix(f);
    assert_eq!(
        file,
        d.path()
            .join("etc/containers/registries.conf.d/10-block-hub.conf")
            .to_str()
            .unwrap()
    );
    assert_eq!(
        snippet,
        "[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\nblocked = false"
    );
}

#[test]
fn mirror_location_with_a_scheme_is_rewritten_without_it() {
    let (_d, report) = check("containers-mirror-scheme", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "mirror_misconfig", "{report:#}");
    assert_eq!(f["code"], "RD-RT-010");
    assert!(
        f["evidence"]
            .to_string()
            .contains("URI schemes are not supported")
    );
    let (_, snippet) = file_fix(f);
    assert_eq!(
        snippet,
        "[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\n\n[[registry.mirror]]\nlocation = \"abc123.mirror.aliyuncs.com\""
    );
}

#[test]
fn malformed_registries_conf_is_located_by_line() {
    let (_d, report) = check("containers-broken-toml", "nginx");
    assert_eq!(top(&report)["category"], "mirror_misconfig", "{report:#}");
    assert_eq!(top(&report)["code"], "RD-MIR-006");
    assert!(
        top(&report)["evidence"]
            .to_string()
            .contains("registries.conf")
    );
    assert!(
        top(&report)["evidence"].to_string().contains("line "),
        "{report:#}"
    );
}

#[test]
fn policy_reject_is_a_content_trust_error() {
    let (d, report) = check(
        "containers-policy-reject",
        "registry.example.com/team/app:1",
    );
    let f = top(&report);
    assert_eq!(f["category"], "content_trust", "{report:#}");
    assert_eq!(f["code"], "RD-RT-012");
    assert!(
        f["evidence"].to_string().contains("\\\"default\\\""),
        "{report:#}"
    );
    let (file, snippet) = file_fix(f);
    assert_eq!(
        file,
        d.path()
            .join("etc/containers/policy.json")
            .to_str()
            .unwrap()
    );
    assert!(
        snippet.contains("\"registry.example.com\": [{ \"type\": \"insecureAcceptAnything\" }]")
    );
    // quay.io is allowed by its own scope.
    let (_d, ok) = check(
        "containers-policy-reject",
        "quay.io/prometheus/node-exporter:v1",
    );
    assert_eq!(ok["findings"].as_array().map(Vec::len), Some(0), "{ok:#}");
}

#[test]
fn signed_by_scope_is_a_content_trust_note() {
    let (_d, report) = check(
        "containers-policy-signed",
        "registry.example.com/team/app:1",
    );
    let f = top(&report);
    assert_eq!(f["category"], "content_trust", "{report:#}");
    assert_eq!(f["code"], "RD-RT-013");
    assert_eq!(f["severity"], "info");
    assert!(
        f["evidence"]
            .to_string()
            .contains("registry.example.com/team")
    );
    let (_d, other) = check(
        "containers-policy-signed",
        "registry.example.com/other/app:1",
    );
    assert_eq!(
        other["findings"].as_array().map(Vec::len),
        Some(0),
        "{other:#}"
    );
}

#[test]
fn plain_http_registry_needs_insecure_for_podman() {
    let (d, report) = check("containers-plain-http", "http://registry.example.com:5000");
    let f = top(&report);
    assert_eq!(f["category"], "http_vs_https", "{report:#}");
    let (file, snippet) = file_fix(f);
    assert_eq!(
        file,
        d.path()
            .join("etc/containers/registries.conf.d/50-insecure-registry.example.com_5000.conf")
            .to_str()
            .unwrap()
    );
    assert_eq!(
        snippet,
        "[[registry]]\nlocation = \"registry.example.com:5000\"\ninsecure = true"
    );
}

// ---- dockerd flags

#[test]
fn host_flag_and_hosts_key_conflict_stops_dockerd() {
    let (d, report) = check("dockerd-hosts-conflict", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "client_setup", "{report:#}");
    assert_eq!(f["code"], "RD-RT-002");
    assert!(
        f["evidence"].to_string().contains(
            "specified both as a flag and in the configuration file: hosts: (from flag: [fd://]"
        ),
        "{report:#}"
    );
    let (file, snippet) = file_fix(f);
    assert_eq!(
        file,
        d.path()
            .join("etc/systemd/system/docker.service.d/override.conf")
            .to_str()
            .unwrap()
    );
    assert_eq!(
        snippet,
        "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --containerd=/run/containerd/containerd.sock"
    );
}

#[test]
fn sysconfig_insecure_registry_conflicts_with_daemon_json() {
    let (d, report) = check("dockerd-opts-conflict", "registry.example.com:5000");
    let f = top(&report);
    assert_eq!(f["category"], "client_setup", "{report:#}");
    assert_eq!(f["code"], "RD-RT-002");
    assert!(
        f["evidence"].to_string().contains("etc/sysconfig/docker:3"),
        "{report:#}"
    );
    let (file, snippet) = file_fix(f);
    assert_eq!(
        file,
        d.path().join("etc/sysconfig/docker").to_str().unwrap()
    );
    assert_eq!(snippet, "INSECURE_REGISTRY=\"\"");
}

#[test]
fn drop_in_without_service_header_is_ignored_by_systemd() {
    let (d, report) = check("dockerd-dropin-no-service", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "client_setup", "{report:#}");
    assert_eq!(f["code"], "RD-RT-003");
    let (file, snippet) = file_fix(f);
    assert_eq!(
        file,
        d.path()
            .join("etc/systemd/system/docker.service.d/mirror.conf")
            .to_str()
            .unwrap()
    );
    assert!(
        snippet.starts_with("[Service]\nExecStart=\nExecStart=/usr/bin/dockerd"),
        "{snippet}"
    );
    // The mirror in the ignored drop-in is not one the daemon uses.
    assert!(
        summary_of(&report, "dockerd-flags").contains("0 mirror(s)"),
        "{report:#}"
    );
}

#[test]
fn second_exec_start_without_reset_is_an_error() {
    let (_d, report) = check("dockerd-exec-twice", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "client_setup", "{report:#}");
    assert_eq!(f["code"], "RD-RT-004");
    let (_, snippet) = file_fix(f);
    assert_eq!(
        snippet,
        "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://127.0.0.1:2375 --containerd=/run/containerd/containerd.sock"
    );
}

#[test]
fn docker_opts_that_the_unit_never_reads_are_reported() {
    let (_d, report) = check("dockerd-default-unused", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "client_setup", "{report:#}");
    assert_eq!(f["code"], "RD-RT-003");
    assert!(
        f["evidence"].to_string().contains("no EnvironmentFile="),
        "{report:#}"
    );
    let (_, snippet) = file_fix(f);
    assert!(snippet.contains("EnvironmentFile=-/etc/default/docker\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS"), "{snippet}");
}

/// A mirror given only in DOCKER_OPTS reaches the live mirrors check (a closed loopback port,
/// so it fails fast and never leaves the machine).
#[test]
fn mirror_from_docker_opts_is_checked_live() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&root("dockerd-opts-mirror"), copy.path());
    let defaults = copy.path().join("etc/default/docker");
    std::fs::write(
        &defaults,
        format!("DOCKER_OPTS=\"--dns 10.0.0.2 --registry-mirror=http://127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let (_, report) = check_at(copy.path(), "nginx", "mirrors,dockerd-flags");
    let f = top(&report);
    assert_eq!(f["category"], "mirror_misconfig", "{report:#}");
    assert_eq!(f["check"], "mirrors");
    assert!(
        f["evidence"]
            .to_string()
            .contains(&format!("127.0.0.1:{port}")),
        "{report:#}"
    );
    assert!(
        summary_of(&report, "dockerd-flags").contains("1 mirror(s)"),
        "{report:#}"
    );
}

// ---- docker info

/// A fake `docker` on PATH that prints `json` (or runs `body`), as the real CLI would.
fn fake_docker(body: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().unwrap();
    let path = bin.path().join("docker");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn with_docker_info(bin: &Path, target: &str) -> (serde_json::Value, std::time::Duration) {
    let run = Regdoctor::new()
        .args(["check", target, "--json", "--only", "docker-info"])
        .args(overrides(&root("runtimes-good")))
        .env("PATH", bin.to_str().unwrap())
        .run();
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    (run.json(), run.elapsed)
}

fn info_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/docker-info")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn daemon_not_restarted_after_the_mirror_change_is_reported() {
    let bin = fake_docker(&format!("exec /bin/cat '{}'", info_fixture("stale.json")));
    let (report, _) = with_docker_info(bin.path(), "nginx");
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"RD-RT-014") && codes.contains(&"RD-RT-016"),
        "{report:#}"
    );
    let mirror = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "RD-RT-014")
        .unwrap();
    assert_eq!(mirror["category"], "mirror_misconfig");
    assert!(
        mirror["evidence"]
            .to_string()
            .contains("https://abc123.mirror.aliyuncs.com")
    );
    assert!(
        mirror["fixes"]
            .to_string()
            .contains("sudo systemctl restart docker")
    );
}

#[test]
fn daemon_matching_the_files_raises_nothing() {
    let bin = fake_docker(&format!("exec /bin/cat '{}'", info_fixture("current.json")));
    let (report, _) = with_docker_info(bin.path(), "nginx");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
    assert!(
        summary_of(&report, "docker-info").contains("1 mirror(s)"),
        "{report:#}"
    );
}

#[test]
fn no_docker_cli_is_only_noted() {
    let empty = tempfile::tempdir().unwrap();
    let (report, _) = with_docker_info(empty.path(), "nginx");
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0));
    assert!(
        summary_of(&report, "docker-info").contains("no docker CLI"),
        "{report:#}"
    );
}

#[test]
fn docker_cli_that_hangs_is_cut_after_three_seconds() {
    let bin = fake_docker("exec /bin/sleep 20");
    let (report, elapsed) = with_docker_info(bin.path(), "nginx");
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "docker-info")
        .unwrap();
    assert_eq!(check["status"], "skipped", "{report:#}");
    assert!(elapsed < std::time::Duration::from_secs(8), "{elapsed:?}");
}

/// Listed only in Docker's insecure-registries, the registry may be HTTPS with a private CA:
/// offline that is a note for containerd and podman, not a warning, and the exit code stays 0.
#[test]
fn docker_insecure_registry_is_only_a_note_for_the_runtimes() {
    for tree in ["containerd-plain-http", "containers-plain-http"] {
        let copy = tempfile::tempdir().unwrap();
        copy_tree(&root(tree), copy.path());
        std::fs::create_dir_all(copy.path().join("etc/docker")).unwrap();
        std::fs::write(
            copy.path().join("etc/docker/daemon.json"),
            r#"{"insecure-registries": ["registry.example.com:5000"]}"#,
        )
        .unwrap();
        let (code, report) = check_at(copy.path(), "registry.example.com:5000", OFFLINE);
        let f = top(&report);
        assert_eq!(f["code"], "RD-RT-009", "{tree}: {report:#}");
        assert_eq!(f["severity"], "info", "{tree}: {report:#}");
        assert!(f["evidence"].to_string().contains("insecure-registries"));
        assert_eq!(code, 0, "{tree}: {report:#}");
    }
}

#[test]
fn short_name_that_podman_sends_elsewhere_is_named_with_the_full_reference() {
    let (_d, report) = check("containers-short-name", "redis:7");
    let f = top(&report);
    assert_eq!(f["category"], "image_reference_invalid", "{report:#}");
    assert_eq!(f["code"], "RD-RT-017");
    assert_eq!(f["severity"], "info");
    assert!(
        f["evidence"].to_string().contains("quay.io/redis"),
        "{report:#}"
    );
    let fixes = f["fixes"].to_string();
    assert!(
        fixes.contains("podman pull docker.io/library/redis:7"),
        "{fixes}"
    );
    let (_, snippet) = file_fix(f);
    assert_eq!(
        snippet,
        "[aliases]\n\"redis\" = \"docker.io/library/redis\""
    );
    // A full name is never resolved: nothing to say.
    let (_d, full) = check("containers-short-name", "docker.io/library/redis:7");
    assert_eq!(
        full["findings"].as_array().map(Vec::len),
        Some(0),
        "{full:#}"
    );
    // Several search registries in enforcing mode: a note (CI without a terminal fails).
    let (_code, note) = check_at(&root("runtimes-good"), "redis:7", OFFLINE);
    assert_eq!(top(&note)["code"], "RD-RT-017", "{note:#}");
    assert_eq!(top(&note)["severity"], "info");
}

/// With `--offline` and no `--only`, every file check runs (the network ones are skipped) and
/// the healthy tree gives nothing from the runtime checks.
#[test]
fn healthy_tree_under_offline_runs_the_runtime_checks() {
    let run = Regdoctor::new()
        .args(["check", "nginx", "--json", "--offline"])
        .args(overrides(&root("runtimes-good")))
        .run();
    let report = run.json();
    for id in ["dockerd-flags", "containerd", "containers", "daemon-config"] {
        let c = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap();
        assert_eq!(c["status"], "pass", "{id}: {report:#}");
    }
    let ours: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            [
                "dockerd-flags",
                "containerd",
                "containers",
                "daemon-config",
                "docker-info",
            ]
            .contains(&f["check"].as_str().unwrap_or_default())
        })
        .collect();
    assert!(ours.is_empty(), "{report:#}");
}

#[test]
fn v1_tables_next_to_v2_entries_are_refused_by_podman() {
    let (_d, report) = check("containers-v1-v2-mixed", "nginx");
    let f = top(&report);
    assert_eq!(f["category"], "mirror_misconfig", "{report:#}");
    assert_eq!(f["code"], "RD-MIR-006");
    assert!(
        f["evidence"]
            .to_string()
            .contains("mixing sysregistry v1/v2"),
        "{report:#}"
    );
    let (_, snippet) = file_fix(f);
    assert!(
        snippet.contains("location = \"abc123.mirror.aliyuncs.com\""),
        "{snippet}"
    );
}

#[test]
fn malformed_policy_json_is_located_by_line() {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&root("containers-policy-signed"), copy.path());
    std::fs::write(
        copy.path().join("etc/containers/policy.json"),
        "{\n  \"default\": [{ \"type\": \"insecureAcceptAnything\" }],\n}\n",
    )
    .unwrap();
    let (_, report) = check_at(copy.path(), "nginx", OFFLINE);
    let f = top(&report);
    assert_eq!(f["category"], "client_setup", "{report:#}");
    assert_eq!(f["code"], "RD-RT-001");
    assert!(f["evidence"].to_string().contains("line 3"), "{report:#}");
}
