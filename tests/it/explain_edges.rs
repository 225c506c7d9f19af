//! explain's edges: what is wrong with the input itself is said plainly, with its own exit code.

use crate::support::cmd::Regdoctor;

fn explain_stdin(bytes: &[u8], extra: &[&str]) -> crate::support::cmd::Run {
    Regdoctor::new()
        .arg("explain")
        .args(extra.iter().copied())
        .stdin(bytes.to_vec())
        .run()
}

#[test]
fn an_empty_pipe_says_so_with_the_stderr_hint() {
    let run = explain_stdin(b"", &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.stdout.contains("Nothing arrived"), "{}", run.stdout);
    assert!(run.stdout.contains("2>&1"), "{}", run.stdout);
    let json = explain_stdin(b"\n\n", &["--json"]).json();
    assert_eq!(json["input"]["problem"], "empty", "{json:#}");
}

#[test]
fn stdout_without_stderr_is_told_from_an_unknown_error() {
    // `docker pull x | regdoctor explain`: only the progress lines arrive.
    let run = explain_stdin(
        b"Using default tag: latest\nlatest: Pulling from library/nginx\n",
        &[],
    );
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(run.stdout.contains("2>&1"), "{}", run.stdout);
    // An error message regdoctor does not know is still exit 0, "no known error".
    let unknown = explain_stdin(b"Error: the flux capacitor is misaligned\n", &[]);
    assert_eq!(unknown.code, 0, "{}", unknown.stdout);
    assert!(!unknown.stdout.contains("2>&1"), "{}", unknown.stdout);
}

#[test]
fn a_zero_byte_file_and_a_binary_file_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, b"").unwrap();
    let run = Regdoctor::new()
        .args(["explain", "--file", empty.to_str().unwrap()])
        .run();
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.stdout.contains("empty.log is empty"), "{}", run.stdout);

    // The binary itself: one clear message, not a hundred findings.
    let run = Regdoctor::new()
        .args(["explain", "--file", env!("CARGO_BIN_EXE_regdoctor")])
        .run();
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert!(run.stdout.contains("ELF executable"), "{}", run.stdout);
    assert!(run.stdout.lines().count() < 5, "{}", run.stdout);
    let zh = Regdoctor::new()
        .args([
            "explain",
            "--lang",
            "zh",
            "--json",
            "--file",
            env!("CARGO_BIN_EXE_regdoctor"),
        ])
        .run()
        .json();
    assert_eq!(zh["input"]["problem"], "binary");
    assert!(
        zh["input"]["message"]
            .as_str()
            .unwrap()
            .contains("不是文本"),
        "{zh:#}"
    );
}

#[test]
fn utf16_from_powershell_is_read() {
    let text = "Error response from daemon: Get \"https://reg.example:5000/v2/\": x509: certificate signed by unknown authority\r\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    for (name, bytes) in [
        ("utf-16le with bom", [&b"\xff\xfe"[..], &le].concat()),
        ("utf-16le", le.clone()),
        ("utf-16be with bom", [&b"\xfe\xff"[..], &be].concat()),
        ("utf-16be", be.clone()),
        (
            "utf-8 with bom",
            [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat(),
        ),
    ] {
        let json = explain_stdin(&bytes, &["--json"]).json();
        assert_eq!(
            json["findings"][0]["category"], "tls_unknown_authority",
            "{name}: {json:#}"
        );
        assert_eq!(json["extracted"]["registry"], "reg.example:5000", "{name}");
    }
}

#[test]
fn file_and_text_together_is_a_usage_error_and_json_errors_are_documents() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(&log, b"x509: certificate signed by unknown authority\n").unwrap();
    let run = Regdoctor::new()
        .args(["explain", "--file", log.to_str().unwrap(), "more text"])
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not both"), "{}", run.stderr);
    let run = Regdoctor::new()
        .args([
            "explain",
            "--json",
            "--file",
            log.to_str().unwrap(),
            "more text",
        ])
        .run();
    assert_eq!(run.code, 2);
    let doc = run.json();
    assert_eq!(doc["error"]["kind"], "usage", "{doc:#}");
    // A clap error too.
    let doc = Regdoctor::new()
        .args(["check", "--json", "--no-such-flag"])
        .run()
        .json();
    assert_eq!(doc["exit_code"], 2, "{doc:#}");
}

#[test]
fn a_long_log_is_capped_with_a_count_of_the_rest() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/errors");
    let mut log = String::new();
    for category in std::fs::read_dir(corpus).unwrap() {
        for file in std::fs::read_dir(category.unwrap().path()).unwrap().take(1) {
            log.push_str(&std::fs::read_to_string(file.unwrap().path()).unwrap());
            log.push('\n');
        }
    }
    let json = explain_stdin(log.as_bytes(), &["--json"]).json();
    let total = json["findings"].as_array().unwrap().len();
    assert!(total > 10, "{total}");
    let human = explain_stdin(log.as_bytes(), &[]);
    assert!(
        human.stdout.contains(&format!("and {} more", total - 10)),
        "{}",
        human.stdout
    );
}

#[test]
fn explain_check_without_a_host_says_so_in_every_format() {
    for format in ["human", "markdown", "json"] {
        let run = Regdoctor::new()
            .args([
                "explain",
                "--check",
                "--format",
                format,
                "x509: certificate signed by unknown authority",
            ])
            .run();
        assert_eq!(run.code, 1, "{format}: {}", run.stdout);
        assert!(
            run.stdout.contains("names no registry host"),
            "{format}: {}",
            run.stdout
        );
    }
}

#[test]
fn explain_check_prints_its_verdict_per_cause_in_every_format() {
    use crate::support::pki::{Ca, LeafOpts};
    use crate::support::servers::{self, Behaviour};
    let ca = Ca::new("regdoctor Verdict Test CA");
    let leaf = ca.leaf(LeafOpts::for_localhost());
    let server = servers::start(Behaviour::Tls {
        chain_pem: leaf.chain_pem.clone(),
        key_pem: leaf.key_pem.clone(),
        response: servers::registry_ok(),
    });
    // podman's words: Docker would not verify a loopback registry at all, so its text could not
    // be confirmed there.
    let text = format!(
        "Error: initializing source docker://localhost:{0}/a/b:1: pinging container registry localhost:{0}: Get \"https://localhost:{0}/v2/\": x509: certificate signed by unknown authority",
        server.port
    );
    for (format, says) in [
        ("human", "live check: confirmed"),
        ("markdown", "live check: confirmed"),
        ("json", "\"confirmed\""),
    ] {
        let run = Regdoctor::new()
            .args([
                "explain",
                "--check",
                "--timeout",
                "5",
                "--format",
                format,
                &text,
            ])
            .run();
        assert_eq!(run.code, 1, "{format}: {}", run.stdout);
        assert!(run.stdout.contains(says), "{format}: {}", run.stdout);
    }
}
