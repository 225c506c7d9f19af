//! Conventions: exit codes, usage errors, help, plain output when not a terminal.

use crate::support::cmd::Regdoctor;

#[test]
fn invalid_reference_is_a_usage_error_naming_the_rule() {
    let run = Regdoctor::new()
        .args(["check", "Registry.example.com/Foo/Bar:tag"])
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.to_lowercase().contains("lowercase"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
}

#[test]
fn unknown_check_and_bad_flags_exit_2() {
    let run = Regdoctor::new()
        .args(["check", "127.0.0.1:1", "--only", "dsn"])
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("dns"),
        "lists the known checks: {}",
        run.stderr
    );
    let run = Regdoctor::new().args(["check", "--no-such-flag"]).run();
    assert_eq!(run.code, 2);
    let run = Regdoctor::new()
        .args(["check", "x", "--resolve", "nonsense"])
        .run();
    assert_eq!(run.code, 2);
}

#[test]
fn help_has_examples_and_version_works() {
    let run = Regdoctor::new().args(["check", "--help"]).run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Examples:"));
    let run = Regdoctor::new().arg("--version").run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("regdoctor "));
}

#[test]
fn output_is_plain_when_not_a_terminal() {
    let run = Regdoctor::new()
        .args(["explain", "x509: certificate signed by unknown authority"])
        .run();
    assert!(
        !run.stdout.contains('\x1b'),
        "no colour codes in a pipe: {:?}",
        run.stdout
    );
    assert!(
        run.stderr.is_empty(),
        "no progress line when stderr is not a terminal: {}",
        run.stderr
    );
}

#[test]
fn checks_lists_every_check() {
    let run = Regdoctor::new().args(["checks"]).run();
    for id in ["dns", "tcp", "tls", "ping"] {
        assert!(run.stdout.contains(id), "{}", run.stdout);
    }
}

#[test]
fn markdown_report_is_ready_for_a_ticket() {
    let run = Regdoctor::new()
        .args([
            "explain",
            "--format",
            "markdown",
            "toomanyrequests: You have reached your pull rate limit",
        ])
        .run();
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with("## regdoctor explain report"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("`RD-"), "{}", run.stdout);
    assert!(run.stdout.contains("rate_limited"), "{}", run.stdout);
}

#[test]
fn verbose_check_output_keeps_config_secrets_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let docker = dir.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    // bob:hunter2-very-secret, and an identity token.
    std::fs::write(
        docker.join("config.json"),
        r#"{"auths":{"127.0.0.1:1":{"auth":"Ym9iOmh1bnRlcjItdmVyeS1zZWNyZXQ="},"other.example":{"identitytoken":"idtok-5e3cr3t-value"}}}"#,
    )
    .unwrap();
    for format in ["human", "json", "markdown"] {
        let run = Regdoctor::new()
            .args([
                "check",
                "127.0.0.1:1",
                "-v",
                "--format",
                format,
                "--docker-config",
            ])
            .arg(docker.to_str().unwrap())
            .run();
        for secret in [
            "hunter2-very-secret",
            "Ym9iOmh1bnRlcjItdmVyeS1zZWNyZXQ=",
            "idtok-5e3cr3t-value",
        ] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{format} leaked {secret}"
            );
        }
    }
}

/// `--offline` reads local files only: a registry, a mirror and a daemon proxy that listen on
/// loopback are never connected to, and the live checks say why they did not run.
#[test]
fn offline_makes_no_connection_at_all() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let daemon = dir.path().join("daemon.json");
    std::fs::write(
        &daemon,
        format!(
            r#"{{"registry-mirrors":["http://{addr}"],"proxies":{{"https-proxy":"http://{addr}"}}}}"#
        ),
    )
    .unwrap();
    let run = Regdoctor::new()
        .args(["check", "nginx:1", "--offline", "--json", "--daemon-config"])
        .arg(daemon.to_str().unwrap())
        .run();
    let report = run.json();
    assert!(run.code == 0 || run.code == 1, "{report:#}");
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "something connected to {addr}"
    );
    for id in ["dns", "tcp", "tls", "ping", "auth", "manifest"] {
        let c = crate::support::report::check(&report, id);
        assert_eq!(c["status"], "skipped", "{c:#}");
        assert!(c["skip_reason"].as_str().unwrap().contains("--offline"));
    }
    assert!(
        crate::support::report::check(&report, "mirrors")["summary"]
            .as_str()
            .unwrap()
            .contains("not contacted (--offline)")
    );
}

/// An empty or blank target (an unset variable, `"$REGISTRY"`) is a usage error, not a
/// silent check of Docker Hub.
#[test]
fn a_blank_target_is_a_usage_error() {
    for blank in ["", " ", "\t"] {
        let run = Regdoctor::new().args(["check", blank, "--offline"]).run();
        assert_eq!(run.code, 2, "{blank:?}: {run:?}");
        assert!(run.stderr.contains("the target is empty"), "{run:?}");
    }
}

#[test]
fn completions_and_man_page_come_from_the_argument_definitions() {
    let bash = Regdoctor::new().args(["completions", "bash"]).run();
    assert_eq!(bash.code, 0, "{}", bash.stderr);
    assert!(bash.stdout.contains("explain") && bash.stdout.contains("--timeout"));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("regdoctor.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    let parsed = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(
        parsed.success(),
        "the bash completion script does not parse"
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let run = Regdoctor::new().args(["completions", shell]).run();
        assert_eq!(run.code, 0, "{shell}");
        assert!(run.stdout.contains("regdoctor"), "{shell}");
    }
    let man = Regdoctor::new().arg("man").run();
    assert_eq!(man.code, 0);
    assert!(man.stdout.contains(".TH regdoctor 1"), "{}", man.stdout);
    assert!(man.stdout.contains("explain"), "{}", man.stdout);
}
