//! Bad input everywhere: `explain` fed binary data, invalid UTF-8 and a 210 MB single line;
//! rule packs that are malformed, binary, of the wrong type, or not files; config.json and
//! daemon.json that are empty, huge, binary, a device, the wrong JSON type, or a directory.
//! Each gives a clear message and the documented exit code (0 nothing wrong, 1 problems found,
//! 2 usage error), never a panic, in bounded time and memory.
//!
//! Unreadable files (permission denied) are not tested: the tests run as root, which reads any
//! file whatever its mode, so `chmod 000` proves nothing here.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::cmd::Regdoctor;

/// A named bad file: how to make it at a path, and what the report must say about it.
type Case = (&'static str, Box<dyn Fn(&std::path::Path)>, &'static str);

const X509: &str = "Error response from daemon: Get \"https://r.example/v2/\": x509: certificate signed by unknown authority";

/// A peak RSS far above regdoctor's usual 20-30 MB means something was read whole.
const RSS_LIMIT_KIB: u64 = 150 * 1024;

fn assert_bounded(what: &str, run: &crate::support::cmd::Run) {
    if let Some(kib) = run.peak_rss_kib {
        assert!(kib < RSS_LIMIT_KIB, "{what}: peak RSS {kib} KiB");
    }
}

fn rng_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

#[test]
fn explain_binary_and_invalid_utf8() {
    // Random bytes: not text, and nothing in them to explain (exit 5, said plainly).
    let run = Regdoctor::new()
        .args(["explain", "--json"])
        .stdin(rng_bytes(2 << 20, 7))
        .run();
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(run.json()["input"]["problem"], "binary");
    assert_eq!(run.json()["findings"].as_array().map(Vec::len), Some(0));

    // The same bytes with a real error line in the middle, invalid UTF-8 on the line itself,
    // NULs and terminal escapes around it: the error is still found.
    let mut input = rng_bytes(200_000, 11);
    input.extend_from_slice(b"\n\x1b[31m\xff\xfe\x00 ");
    input.extend_from_slice(X509.as_bytes());
    input.extend_from_slice(b" \xc3\x28\x1b[0m\n");
    input.extend_from_slice(&rng_bytes(200_000, 13));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ci.log");
    std::fs::write(&file, &input).unwrap();
    for run in [
        Regdoctor::new()
            .args(["explain", "--json"])
            .stdin(input.clone())
            .run(),
        Regdoctor::new()
            .args(["explain", "--json", "--file"])
            .arg(file.to_str().unwrap())
            .run(),
    ] {
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        assert_eq!(report["findings"][0]["code"], "RD-TLS-001", "{report:#}");
    }

    // A file that does not exist, and a directory: usage errors that say so.
    for path in ["/nonexistent/ci.log", dir.path().to_str().unwrap()] {
        let run = Regdoctor::new().args(["explain", "--file", path]).run();
        assert_eq!(run.code, 2, "{path}: {run:?}");
        assert!(run.stderr.contains(path), "{path}: {}", run.stderr);
    }
}

#[test]
fn explain_a_210_megabyte_single_line_from_a_pipe() {
    // Written by a child process straight into regdoctor's stdin: never in this test's memory.
    let mut writer = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "head -c 210000000 /dev/zero | tr '\\0' a; printf '\\n%s\\n' '{X509}'"
        ))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the writer");
    let pipe = writer.stdout.take().expect("the writer's stdout");
    // About 20 s in a debug build on a busy 2-core machine (regex is not optimised there);
    // well under a second per 10 MB in release.
    let run = Regdoctor::new()
        .args(["explain", "--json"])
        .stdin_from(pipe)
        .timeout(Duration::from_secs(150))
        .run();
    let _ = writer.wait();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_bounded("210 MB line", &run);
    assert!(run.peak_rss_kib.is_some());
    let report = run.json();
    assert_eq!(report["findings"][0]["code"], "RD-TLS-001", "{report:#}");
    assert!(run.stdout.len() < 100_000, "the long line was echoed");
}

#[test]
fn broken_rule_packs_are_usage_errors_naming_the_file() {
    let cases: Vec<Case> = vec![
        (
            "malformed TOML",
            Box::new(|p| std::fs::write(p, "[[rule]] code = ").unwrap()),
            "TOML parse error",
        ),
        (
            "binary",
            Box::new(|p| std::fs::write(p, rng_bytes(4000, 3)).unwrap()),
            "UTF-8",
        ),
        (
            "wrong type",
            Box::new(|p| std::fs::write(p, "rule = 5").unwrap()),
            "invalid type",
        ),
        (
            "a directory named like a pack",
            Box::new(|p| std::fs::create_dir(p).unwrap()),
            "directory",
        ),
        (
            "larger than any pack",
            Box::new(|p| std::fs::write(p, vec![b'#'; 9 << 20]).unwrap()),
            "larger than",
        ),
        (
            "an invalid regex",
            Box::new(|p| {
                // The first built-in rule, renumbered, with its last pattern cut open.
                let pack = include_str!("../../checks/network.toml");
                let cut = pack.find("target machine").unwrap();
                let rule = pack[..cut].replace("RD-NET-001", "RD-ZZZ-901")
                    + "(unclosed'\nclient = \"docker\"\n";
                std::fs::write(p, rule).unwrap();
            }),
            "RD-ZZZ-901",
        ),
    ];
    for (what, make, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let pack = dir.path().join("extra.toml");
        make(&pack);
        let run = Regdoctor::new()
            .args(["explain", X509, "--rules"])
            .arg(dir.path().to_str().unwrap())
            .run();
        assert_eq!(run.code, 2, "{what}: {run:?}");
        assert!(
            run.stderr.contains("extra.toml") && run.stderr.contains(says),
            "{what}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{what}: {}", run.stdout);
    }
    // An empty pack is a pack with no rules: fine.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.toml"), "").unwrap();
    let run = Regdoctor::new()
        .args(["explain", X509, "--rules"])
        .arg(dir.path().to_str().unwrap())
        .run();
    assert_eq!(run.code, 1, "{run:?}");
}

/// The config files' bad shapes: (name, how to make it, what the report must say), for a
/// file whose cap is refused with `larger` ("larger than 4 MiB").
fn bad_files(larger: &'static str) -> Vec<Case> {
    vec![
        (
            "empty",
            Box::new(|p| std::fs::write(p, "").unwrap()),
            "EOF while parsing",
        ),
        (
            "binary",
            Box::new(|p| std::fs::write(p, rng_bytes(3000, 5)).unwrap()),
            "column",
        ),
        (
            "an array",
            Box::new(|p| std::fs::write(p, "[]").unwrap()),
            "must be a JSON object",
        ),
        (
            "a string",
            Box::new(|p| std::fs::write(p, "\"x\"").unwrap()),
            "must be a JSON object",
        ),
        (
            "50 MB",
            Box::new(|p| {
                // Written by a child process: the test does not hold 50 MB either.
                let ok = Command::new("sh")
                    .arg("-c")
                    .arg(format!(
                        "head -c 52428800 /dev/zero | tr '\\0' ' ' > '{}'",
                        p.display()
                    ))
                    .status()
                    .unwrap()
                    .success();
                assert!(ok);
            }),
            larger,
        ),
        (
            "/dev/zero (endless, length 0)",
            Box::new(|p| std::os::unix::fs::symlink("/dev/zero", p).unwrap()),
            larger,
        ),
        (
            "a directory",
            Box::new(|p| std::fs::create_dir(p).unwrap()),
            "directory",
        ),
    ]
}

/// A finding's evidence values, as plain text.
fn evidence_text(finding: &serde_json::Value) -> String {
    finding["evidence"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|x| x["value"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[test]
fn bad_config_json_files() {
    let mut cases = bad_files("larger than 4 MiB");
    cases.push((
        "auths is a number",
        Box::new(|p| std::fs::write(p, r#"{"auths": 5}"#).unwrap()),
        "\"auths\" is a number",
    ));
    cases.push((
        "credHelpers holds a list",
        Box::new(|p| std::fs::write(p, r#"{"credHelpers": {"r.example": ["x"]}}"#).unwrap()),
        "an array",
    ));
    for (what, make, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        make(&dir.path().join("config.json"));
        let run = Regdoctor::new()
            .args(["check", "127.0.0.1:1", "--json", "--only", "auths"])
            .arg("--docker-config")
            .arg(dir.path().to_str().unwrap())
            .run();
        assert_eq!(run.code, 1, "{what}: {run:?}");
        assert_bounded(what, &run);
        let report = run.json();
        let top = &report["findings"][0];
        assert_eq!(top["category"], "config_json", "{what}: {report:#}");
        assert!(
            evidence_text(top).contains(says),
            "{what}: evidence should say {says:?}: {report:#}"
        );
    }
}

#[test]
fn bad_daemon_json_files() {
    let mut cases = bad_files("larger than 1 MiB");
    cases.push((
        "registry-mirrors is a string",
        Box::new(|p| std::fs::write(p, r#"{"registry-mirrors": "https://m.example"}"#).unwrap()),
        "\"registry-mirrors\" is a string",
    ));
    cases.push((
        "insecure-registries holds a number",
        Box::new(|p| std::fs::write(p, r#"{"insecure-registries": ["a:5000", 5]}"#).unwrap()),
        "an entry of \"insecure-registries\" is a number",
    ));
    for (what, make, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("daemon.json");
        make(&file);
        let run = Regdoctor::new()
            .args(["check", "127.0.0.1:1", "--json", "--only", "daemon-config"])
            .arg("--daemon-config")
            .arg(file.to_str().unwrap())
            .run();
        assert_bounded(what, &run);
        let report = run.json();
        let shown = format!(
            "{} {}",
            evidence_text(&report["findings"][0]),
            report["checks"][0]["skip_reason"]
                .as_str()
                .unwrap_or_default()
        );
        assert!(
            shown.contains(says),
            "{what}: should say {says:?}: {report:#}"
        );
        // A file dockerd cannot parse stops the daemon: a finding. One regdoctor cannot read
        // (a directory, an oversized file) is a skipped check that says why (exit 0): dockerd
        // may well be able to, and regdoctor does not guess.
        match run.code {
            1 => assert_eq!(
                report["findings"][0]["code"], "RD-CFG-007",
                "{what}: {report:#}"
            ),
            0 => assert_eq!(
                report["checks"][0]["status"], "skipped",
                "{what}: {report:#}"
            ),
            other => panic!("{what}: exit {other}: {report:#}"),
        }
    }
}

#[test]
fn other_local_files_that_are_devices_or_binary() {
    // hosts file, resolv.conf, a shell profile and a systemd drop-in that are endless devices
    // or binary: each check ends quickly with a bounded read.
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("binary");
    std::fs::write(&binary, rng_bytes(100_000, 9)).unwrap();
    let dropins = dir.path().join("docker.service.d");
    std::fs::create_dir(&dropins).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dropins.join("zero.conf")).unwrap();
    std::fs::write(dropins.join("binary.conf"), rng_bytes(10_000, 10)).unwrap();
    for source in ["/dev/zero", binary.to_str().unwrap()] {
        let run = Regdoctor::new()
            .args([
                "check",
                "registry.example.invalid:443",
                "--json",
                "--timeout",
                "5",
                "--only",
                "dns,content-trust,proxy",
                "--hosts-file",
                source,
                "--resolv-conf",
                source,
                "--profile-file",
                source,
                "--systemd-dir",
            ])
            .arg(dropins.to_str().unwrap())
            .timeout(Duration::from_secs(20))
            .run();
        assert!(run.code == 0 || run.code == 1, "{source}: {run:?}");
        assert!(
            run.elapsed < Duration::from_secs(7),
            "{source}: {:?}",
            run.elapsed
        );
        assert_bounded(source, &run);
        let report = run.json();
        assert!(
            report.to_string().contains("cannot read"),
            "{source}: the DNS check says resolv.conf could not be read: {report:#}"
        );
    }
}

#[test]
fn a_credential_helper_that_prints_without_end() {
    // `yes` as a helper: gigabytes a second on stdout. The read is capped, the helper stopped.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-endless");
    std::fs::write(&helper, "#!/bin/sh\nexec yes '{\"Secret\":\"x\"}'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The realm refuses: its finding then shows what came of the credentials lookup.
    let realm = crate::support::servers::start(crate::support::servers::Behaviour::Respond(
        crate::support::servers::http_response("401 Unauthorized", &[], "{}"),
    ));
    let registry =
        crate::support::servers::start(crate::hostile_matrix::bearer_registry(&[&format!(
            "Bearer realm=\"http://{}/token\",service=\"s\"",
            realm.addr
        )]));
    let config = dir.path().join("docker");
    std::fs::create_dir_all(&config).unwrap();
    crate::hostile_matrix::write_config(
        &config,
        &format!(r#"{{"credHelpers":{{"{}":"endless"}}}}"#, registry.addr),
    );
    let run = Regdoctor::new()
        .args([
            "check",
            &format!("{}/team/app:1", registry.addr),
            "--json",
            "--timeout",
            "8",
            "--docker-config",
        ])
        .arg(config.to_str().unwrap())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    assert_bounded("endless helper", &run);
    assert!(run.elapsed < Duration::from_secs(9), "{:?}", run.elapsed);
    let report = run.json();
    assert!(
        report
            .to_string()
            .contains("docker-credential-endless get was stopped"),
        "the report says what the helper did: {report:#}"
    );
    assert!(
        run.stdout.len() < 60_000,
        "the helper's output was echoed whole"
    );
}

#[test]
fn odd_references_and_urls_are_usage_errors() {
    let long = "a".repeat(5000);
    for (target, says) in [
        ("https://", "host is empty"),
        ("a b", "invalid repository path component"),
        ("http://[::1", "missing ']'"),
        ("registry.example.com:99999", "invalid port"),
        ("UPPER/Case:tag", "must be lowercase"),
        ("r.example/a//b", "empty path component"),
        ("ftp://r.example/x", "unsupported scheme"),
        ("r.example/x@sha256:zz", "invalid digest"),
        ("r.example/x\u{7}", "control character"),
        ("r\u{e9}gistry.example/x", "plain ASCII"),
        (long.as_str(), "5000 bytes long"),
    ] {
        let run = Regdoctor::new()
            .args(["check", target, "--json", "--timeout", "3"])
            .run();
        assert_eq!(run.code, 2, "{target:?}: {run:?}");
        assert!(
            run.stderr.to_lowercase().contains(&says.to_lowercase()),
            "{target:?}: stderr should say {says:?}: {}",
            run.stderr
        );
        assert!(run.stderr.len() < 2000, "{target:?}: {}", run.stderr);
        // --json: stdout holds an error document, never a half report.
        assert_eq!(run.json()["error"]["kind"], "usage", "{target:?}");
    }
}
