//! A default `check` only reads: against the real distribution registry, its access log shows
//! no POST, PUT, PATCH or DELETE from regdoctor, whatever the image's state. (Hashing the
//! files regdoctor reads is in check_config.rs.)

use crate::support::cmd::Regdoctor;
use crate::support::registry::{Registry, RegistryOpts};

/// The HTTP methods of the access-log lines in `log` (distribution writes them even at the
/// `warn` level): `... "GET /v2/ HTTP/1.1" 200 ...`.
fn methods(log: &str) -> Vec<(String, String)> {
    log.lines()
        .filter_map(|l| {
            let start = l.find('"')?;
            let mut parts = l[start + 1..].split_whitespace();
            let method = parts.next()?.to_string();
            let path = parts.next()?.to_string();
            method
                .chars()
                .all(|c| c.is_ascii_uppercase())
                .then_some((method, path))
        })
        .collect()
}

#[test]
fn a_default_check_sends_no_write_request() {
    let reg = Registry::start(RegistryOpts::default());
    reg.push_tiny_image("team/app", "1.0", None);
    let before = reg.log().len();
    for image in ["team/app:1.0", "team/app:2.0", "team/nope:1.0", ""] {
        let target = if image.is_empty() {
            reg.addr.clone()
        } else {
            format!("{}/{image}", reg.addr)
        };
        for extra in [&[][..], &["-v"][..]] {
            let run = Regdoctor::new()
                .args(["check", &target, "--json"])
                .args(extra.iter().copied())
                .run();
            assert!(run.code == 0 || run.code == 1, "{run:?}");
        }
    }
    let log = reg.log();
    let seen = methods(&log[before..]);
    assert!(
        seen.iter()
            .any(|(m, p)| m == "HEAD" && p.contains("/manifests/")),
        "the checks reached the manifest (else this proves nothing): {seen:?}\n{log}"
    );
    let writes: Vec<_> = seen
        .iter()
        .filter(|(m, _)| matches!(m.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"))
        .collect();
    assert!(writes.is_empty(), "write requests: {writes:?}");
    // The same parser sees the push that set the registry up: it can tell a write.
    assert!(
        methods(&log[..before]).iter().any(|(m, _)| m == "PUT"),
        "{log}"
    );
}

/// `--offline` opens no socket, the local daemon's included: a `docker` on PATH (which would
/// talk to the daemon) is not run unless `--docker-info` asks for it, and the report says so.
#[test]
fn offline_does_not_run_docker_info_unless_asked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let marker = dir.path().join("docker-was-run");
    let docker = bin.join("docker");
    std::fs::write(
        &docker,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\nexit 1\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());

    let run = Regdoctor::new()
        .args(["check", "--offline", "nginx:1.25", "--json"])
        .env("PATH", path.clone())
        .run();
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    assert!(!marker.exists(), "docker was run: {run:?}");
    let report = run.json();
    let info = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "docker-info")
        .cloned()
        .unwrap();
    assert_eq!(info["status"], "skipped", "{info:#}");
    assert!(
        info["skip_reason"]
            .as_str()
            .unwrap()
            .contains("--docker-info"),
        "{info:#}"
    );

    // Asked for: it runs.
    let run = Regdoctor::new()
        .args([
            "check",
            "--offline",
            "--docker-info",
            "nginx:1.25",
            "--json",
        ])
        .env("PATH", path)
        .run();
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    let args = std::fs::read_to_string(&marker).unwrap_or_default();
    assert!(args.starts_with("info"), "docker was not asked: {args:?}");
}
