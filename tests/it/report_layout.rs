//! The report a person reads: on an 80x40 terminal the cause and its first fix are on the first
//! screen, for every broken case regdoctor knows how to make on loopback and for every pasted
//! error of the corpus.

use std::time::Duration;

use crate::support::cmd::{Regdoctor, Run};
use crate::support::dns_server::{self, Answer};
use crate::support::pki::{Ca, LeafOpts};
use crate::support::servers::{self, Behaviour, http_response};

const COLS: usize = 80;
const ROWS: usize = 40;

fn display_width(s: &str) -> usize {
    // Enough for the test: CJK ideographs and full-width punctuation take two columns.
    s.chars()
        .map(|c| {
            if ('\u{1100}'..='\u{ffdc}').contains(&c) && !('\u{2000}'..='\u{303e}').contains(&c)
                || ('\u{3000}'..='\u{303e}').contains(&c)
            {
                2
            } else {
                1
            }
        })
        .sum()
}

/// The text an 80x40 terminal shows first: long lines take several rows.
fn first_screen(stdout: &str) -> String {
    let mut rows = 0;
    let mut shown = Vec::new();
    for line in stdout.lines() {
        rows += display_width(line).div_ceil(COLS).max(1);
        if rows > ROWS {
            break;
        }
        shown.push(line.trim());
    }
    squash(&shown.join(" "))
}

fn squash(s: &str) -> String {
    // Without any spaces: wrapping adds line breaks, and Chinese breaks between characters.
    s.split_whitespace().collect::<String>()
}

/// The human report at 80 columns and the JSON one of the same run arguments: the top
/// finding's title and first fix (its text and its command) must be on the first screen.
fn assert_cause_first(human: &Run, json: &serde_json::Value, case: &str) {
    let top = &json["findings"][0];
    let title = top["title"]
        .as_str()
        .unwrap_or_else(|| panic!("{case}: no finding: {json:#}"));
    let screen = first_screen(&human.stdout);
    assert!(
        screen.contains(&squash(title)),
        "{case}: the top finding {title:?} is not on the first screen:\n{}",
        human.stdout
    );
    if let Some(fix) = top["fixes"].get(0) {
        let text = squash(fix["text"].as_str().unwrap_or_default());
        assert!(
            screen.contains(&text),
            "{case}: the first fix {text:?} is not on the first screen:\n{}",
            human.stdout
        );
        if let Some(cmd) = fix["command"].as_str() {
            let first = squash(cmd.lines().next().unwrap_or_default());
            assert!(
                screen.contains(&first),
                "{case}: the first fix's command is not on the first screen:\n{}",
                human.stdout
            );
        }
    }
    // Prose fits the width; only commands and file snippets (which must paste as printed) may
    // be longer.
    let verbatim: Vec<String> = json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["fixes"].as_array().into_iter().flatten())
        .flat_map(|fix| {
            [fix["snippet"].as_str(), fix["command"].as_str()]
                .into_iter()
                .flatten()
                .flat_map(|t| t.lines().map(|l| l.trim().to_string()).collect::<Vec<_>>())
        })
        .collect();
    for line in human.stdout.lines() {
        let t = line.trim_start();
        let pasted = verbatim
            .iter()
            .any(|v| t == v || t.strip_prefix("$ ") == Some(v.as_str()));
        assert!(
            display_width(line) <= COLS || pasted,
            "{case}: a line wider than {COLS} columns: {line:?}"
        );
    }
}

fn check_both(args: &[&str], case: &str) {
    let human = Regdoctor::new()
        .args(args.iter().copied())
        .env("COLUMNS", "80")
        .timeout(Duration::from_secs(40))
        .run();
    assert_eq!(human.code, 1, "{case}: {}", human.stdout);
    let json = Regdoctor::new()
        .args(args.iter().copied())
        .arg("--json")
        .timeout(Duration::from_secs(40))
        .run()
        .json();
    assert_cause_first(&human, &json, case);
    // The verdict is the first line after the target.
    let second = human.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        second.contains("Not working"),
        "{case}: no verdict on line 2:\n{}",
        human.stdout
    );
}

#[test]
fn broken_registries_show_cause_and_fix_on_the_first_screen() {
    let dns = dns_server::start(&[
        ("broken.test", Answer::ServFail),
        ("slow.test", Answer::Silent),
    ]);
    let ca = Ca::new("regdoctor Layout Test CA");
    let leaf = ca.leaf(LeafOpts::for_localhost());
    let untrusted = servers::start(Behaviour::Tls {
        chain_pem: leaf.chain_pem.clone(),
        key_pem: leaf.key_pem.clone(),
        response: servers::registry_ok(),
    });
    let html = servers::start(Behaviour::Respond(http_response(
        "200 OK",
        &[("Content-Type", "text/html")],
        "<html><body>Welcome to nginx!</body></html>",
    )));
    let error500 = servers::start(Behaviour::Respond(http_response(
        "500 Internal Server Error",
        &[("Docker-Distribution-Api-Version", "registry/2.0")],
        "{}",
    )));
    let stall = servers::start(Behaviour::Stall);
    let closer = servers::start(Behaviour::AcceptClose);
    let empty_certs = tempfile::tempdir().unwrap();
    let certs = empty_certs.path().to_str().unwrap();
    let cases: Vec<(String, Vec<String>)> = vec![
        ("refused".into(), vec!["127.0.0.1:1".into()]),
        (
            "nxdomain".into(),
            vec![
                "missing.test:5000".into(),
                "--nameserver".into(),
                dns.addr.clone(),
            ],
        ),
        (
            "servfail".into(),
            vec![
                "broken.test:5000".into(),
                "--nameserver".into(),
                dns.addr.clone(),
            ],
        ),
        (
            "dns timeout".into(),
            vec![
                "slow.test:5000".into(),
                "--nameserver".into(),
                dns.addr.clone(),
            ],
        ),
        (
            "unknown CA".into(),
            // podman's view: Docker does not verify a registry on loopback at all.
            vec![
                format!("localhost:{}", untrusted.port),
                "--certs-dir".into(),
                certs.into(),
                "--client".into(),
                "containers".into(),
            ],
        ),
        ("html".into(), vec![format!("127.0.0.1:{}", html.port)]),
        ("500".into(), vec![format!("127.0.0.1:{}", error500.port)]),
        ("stall".into(), vec![format!("127.0.0.1:{}", stall.port)]),
        (
            "accept-close".into(),
            vec![format!("127.0.0.1:{}", closer.port)],
        ),
    ];
    for (case, extra) in cases {
        let mut args = vec!["check".to_string()];
        args.extend(extra);
        args.extend(["--timeout".into(), "4".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check_both(&args, &case);
    }
}

#[test]
fn every_corpus_error_shows_cause_and_fix_on_the_first_screen() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/errors");
    let mut seen = 0;
    // Every category, its first files (sorted) in English and the first in Chinese too: the
    // whole corpus would take minutes of process starts for little more assurance.
    for category in std::fs::read_dir(&root).unwrap() {
        let mut files: Vec<_> = std::fs::read_dir(category.unwrap().path())
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        files.sort();
        for (i, path) in files.iter().take(3).enumerate() {
            let p = path.to_str().unwrap();
            let langs: &[&str] = if i == 0 { &["en", "zh"] } else { &["en"] };
            for &lang in langs {
                let human = Regdoctor::new()
                    .args(["explain", "--lang", lang, "--file", p])
                    .env("COLUMNS", "80")
                    .run();
                let json = Regdoctor::new()
                    .args(["explain", "--lang", lang, "--json", "--file", p])
                    .run()
                    .json();
                if json["findings"].as_array().is_some_and(|f| !f.is_empty()) {
                    assert_cause_first(&human, &json, &format!("{p} ({lang})"));
                }
            }
            seen += 1;
        }
    }
    assert!(seen > 40, "the corpus went missing: {seen} files");
}

#[test]
fn a_terminal_report_folds_passed_checks_but_a_pipe_keeps_them() {
    // A pipe (the test harness) keeps every check, one line each, with no table border.
    let run = Regdoctor::new().args(["check", "127.0.0.1:1"]).run();
    assert!(run.stdout.contains("daemon-config"), "{}", run.stdout);
    assert!(!run.stdout.contains("+---"), "{}", run.stdout);
    // No line is padded to the widest one (the old table made every row 145 columns).
    assert!(
        run.stdout.lines().all(|l| l == l.trim_end()),
        "{}",
        run.stdout
    );
    let check_line = run
        .stdout
        .lines()
        .find(|l| l.contains("content-trust"))
        .unwrap();
    assert!(display_width(check_line) < 80, "{check_line:?}");
    // Checks come after the findings.
    let finding = run.stdout.find("RD-NET-001").unwrap();
    let checks = run.stdout.find("daemon-config").unwrap();
    assert!(finding < checks, "{}", run.stdout);
}
