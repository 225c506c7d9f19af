//! Servers that misbehave on purpose. For each: the run ends inside its deadline, exits 1 with
//! a finding (never a panic, never 101), and the report says what the server did.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::support::cmd::Regdoctor;
use crate::support::servers::{self, Behaviour};

/// Read the request head (bounded), so the client sees its request accepted.
fn read_request(s: &mut TcpStream) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 4096];
    let _ = s.read(&mut buf);
}

fn script(f: impl Fn(&mut TcpStream, &AtomicBool) + Send + Sync + 'static) -> Behaviour {
    Behaviour::Script(Arc::new(move |mut s: TcpStream, stop: &AtomicBool| {
        // The TLS check sends a ClientHello first; answering it like HTTP is what a
        // plain-HTTP server does, and then the registry is reached over HTTP.
        read_request(&mut s);
        f(&mut s, stop)
    }))
}

fn run_against(b: Behaviour) -> (serde_json::Value, Duration) {
    let srv = servers::start(b);
    let run = Regdoctor::new()
        .args(["check", &srv.addr, "--json", "--timeout", "4"])
        .run();
    assert!(
        run.elapsed < Duration::from_millis(5500),
        "took {:?}",
        run.elapsed
    );
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.json();
    assert!(
        !report["findings"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    (report, run.elapsed)
}

fn top_category(report: &serde_json::Value) -> String {
    report["findings"][0]["category"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn until_stopped(stop: &AtomicBool, mut step: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if stop.load(Ordering::SeqCst) || !step() {
            return;
        }
    }
}

#[test]
fn headers_one_byte_at_a_time() {
    let (report, _) = run_against(script(|s, stop| {
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
        let mut i = 0;
        until_stopped(stop, || {
            std::thread::sleep(Duration::from_millis(300));
            let ok = s
                .write_all(&head[i % head.len()..i % head.len() + 1])
                .is_ok();
            i += 1;
            ok
        });
    }));
    assert_eq!(top_category(&report), "network_unreachable", "{report:#}");
}

#[test]
fn ten_megabytes_of_headers() {
    let (report, _) = run_against(script(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n");
        let line = b"X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        for _ in 0..(10 << 20) / line.len() {
            if s.write_all(line).is_err() {
                return;
            }
        }
    }));
    assert_eq!(top_category(&report), "network_unreachable", "{report:#}");
}

#[test]
fn an_endless_body() {
    let (report, _) = run_against(script(|s, stop| {
        let _ = s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<html>");
        let chunk = [b'x'; 8192];
        until_stopped(stop, || s.write_all(&chunk).is_ok());
    }));
    assert_eq!(top_category(&report), "not_a_registry", "{report:#}");
}

#[test]
fn invalid_utf8_and_invalid_json_error_body() {
    let mut resp = b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n".to_vec();
    resp.extend_from_slice(b"{\"errors\":\xff\xfe");
    let (report, _) = run_against(Behaviour::Respond(resp));
    assert_eq!(top_category(&report), "registry_server_error", "{report:#}");
}

#[test]
fn broken_chunked_encoding() {
    let (report, _) = run_against(Behaviour::Respond(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nDocker-Distribution-Api-Version: registry/2.0\r\n\r\nZZZ\r\nnot a chunk\r\n".to_vec(),
    ));
    assert_eq!(top_category(&report), "network_unreachable", "{report:#}");
    assert!(
        report["findings"][0]["evidence"]
            .to_string()
            .contains("broke off"),
        "{report:#}"
    );
}

#[test]
fn huge_and_broken_www_authenticate() {
    for challenge in [
        format!("Bearer realm=\"{}\"", "a".repeat(100_000)),
        "Bearer realm=\"https://unterminated".to_string(),
        String::new(),
    ] {
        let resp = servers::http_response(
            "401 Unauthorized",
            &[
                ("Docker-Distribution-Api-Version", "registry/2.0"),
                ("WWW-Authenticate", &challenge),
            ],
            "{}",
        );
        let (report, _) = run_against(Behaviour::Respond(resp));
        let _ = top_category(&report);
    }
}

#[test]
fn redirect_loop_on_v2() {
    let (report, _) = run_against(Behaviour::Respond(servers::http_response(
        "301 Moved Permanently",
        &[("Location", "/v2/")],
        "",
    )));
    assert_eq!(top_category(&report), "not_a_registry", "{report:#}");
    assert!(
        report["findings"][0]["evidence"]
            .to_string()
            .contains("/v2/"),
        "{report:#}"
    );
}

#[test]
fn closes_after_a_few_bytes() {
    let (report, _) = run_against(script(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 2");
    }));
    assert_eq!(top_category(&report), "network_unreachable", "{report:#}");
}

#[test]
fn answers_nothing_and_closes() {
    let (report, _) = run_against(script(|_, _| {}));
    assert_eq!(report["findings"][0]["check"], "tls", "{report:#}");
}

/// A registry whose `/v2/` asks for a Bearer token from `realm`.
fn bearer_registry(realm: &str) -> Behaviour {
    Behaviour::Respond(servers::http_response(
        "401 Unauthorized",
        &[
            ("Docker-Distribution-Api-Version", "registry/2.0"),
            ("Content-Type", "application/json"),
            (
                "WWW-Authenticate",
                &format!("Bearer realm=\"{realm}\",service=\"test-registry\""),
            ),
        ],
        r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
    ))
}

fn check_image(registry: &servers::Server) -> serde_json::Value {
    let run = Regdoctor::new()
        .args([
            "check",
            &format!("{}/team/app:1", registry.addr),
            "--json",
            "--timeout",
            "6",
        ])
        .run();
    assert!(
        run.elapsed < Duration::from_millis(7500),
        "took {:?}",
        run.elapsed
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.json()
}

fn auth_finding(report: &serde_json::Value) -> serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "auth")
        .cloned()
        .unwrap_or_else(|| panic!("no auth finding: {report:#}"))
}

#[test]
fn token_realm_failures_are_located_on_the_realm() {
    let html = servers::start(Behaviour::Respond(servers::http_response(
        "200 OK",
        &[("Content-Type", "text/html")],
        "<html><body>Sign in to continue</body></html>",
    )));
    let huge = servers::start(script(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{\"token\":\"");
        let chunk = [b'a'; 8192];
        for _ in 0..1280 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    }));
    let redirect = servers::start(Behaviour::Respond(servers::http_response(
        "302 Found",
        &[("Location", "/token")],
        "",
    )));
    let closed = format!(
        "http://127.0.0.1:{}/token",
        crate::support::registry::free_port()
    );
    for realm in [
        format!("http://{}/token", html.addr),
        format!("http://{}/token", huge.addr),
        format!("http://{}/token", redirect.addr),
        closed,
    ] {
        let registry = servers::start(bearer_registry(&realm));
        let report = check_image(&registry);
        let f = auth_finding(&report);
        assert_eq!(f["category"], "auth_token_endpoint", "{realm}: {report:#}");
        assert!(
            f["evidence"]
                .to_string()
                .contains(realm.trim_end_matches("/token")),
            "{realm}: {report:#}"
        );
    }
}

#[test]
fn an_opaque_or_junk_token_is_accepted_as_opaque_not_a_crash() {
    for token in ["opaque-token-value", "not.a.jwt", "eyJ.eyJ.sig"] {
        let tokens = servers::start(Behaviour::Respond(servers::http_response(
            "200 OK",
            &[("Content-Type", "application/json")],
            &format!(r#"{{"token":"{token}","expires_in":300}}"#),
        )));
        let registry = servers::start(bearer_registry(&format!("http://{}/token", tokens.addr)));
        let run = Regdoctor::new()
            .args(["check", &format!("{}/team/app:1", registry.addr), "--json"])
            .run();
        let report = run.json();
        let auth = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "auth")
            .unwrap();
        assert_eq!(auth["status"], "pass", "{token}: {report:#}");
        assert!(
            !run.stdout.contains(token),
            "the token is a secret: {}",
            run.stdout
        );
    }
}

/// A registry that routes by path: `/v2/` challenges, the manifest exists.
fn routing_registry(realm: String) -> Behaviour {
    Behaviour::Script(Arc::new(move |mut s: TcpStream, _: &AtomicBool| {
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap_or(0);
        let head = String::from_utf8_lossy(&buf[..n]).to_string();
        let line = head.lines().next().unwrap_or_default().to_string();
        let resp = if line.contains("/manifests/") {
            servers::http_response(
                "200 OK",
                &[
                    (
                        "Content-Type",
                        "application/vnd.docker.distribution.manifest.v2+json",
                    ),
                    (
                        "Docker-Content-Digest",
                        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                    ),
                ],
                "",
            )
        } else {
            servers::http_response(
                "401 Unauthorized",
                &[
                    ("Docker-Distribution-Api-Version", "registry/2.0"),
                    (
                        "WWW-Authenticate",
                        &format!("Bearer realm=\"{realm}\",service=\"test\""),
                    ),
                ],
                "{}",
            )
        };
        let _ = s.write_all(&resp);
    }))
}

#[test]
fn push_intent_reads_the_granted_actions_from_the_token() {
    use base64::Engine as _;
    let claims = r#"{"access":[{"type":"repository","name":"team/app","actions":["pull"]}]}"#;
    let jwt = format!(
        "eyJhbGciOiJub25lIn0.{}.c2lnbmF0dXJl",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims)
    );
    let tokens = servers::start(Behaviour::Respond(servers::http_response(
        "200 OK",
        &[("Content-Type", "application/json")],
        &format!(r#"{{"token":"{jwt}","expires_in":300}}"#),
    )));
    let registry = servers::start(routing_registry(format!("http://{}/token", tokens.addr)));
    let image = format!("{}/team/app:1", registry.addr);

    // Pull only: the token grants it, the manifest is there.
    let run = Regdoctor::new().args(["check", &image, "--json"]).run();
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    let auth = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "auth")
        .unwrap();
    assert!(
        auth["summary"]
            .as_str()
            .unwrap()
            .contains("grants team/app: [pull]"),
        "{report:#}"
    );

    // Meaning to push: the same token's missing push is the finding.
    let run = Regdoctor::new()
        .args(["check", &image, "--json", "--push"])
        .run();
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    let f = &report["findings"][0];
    assert_eq!(f["category"], "auth_scope_denied", "{report:#}");
    assert_eq!(f["check"], "push", "{report:#}");
    assert!(
        f["evidence"].to_string().contains("pull,push"),
        "{report:#}"
    );
    assert!(!run.stdout.contains(&jwt), "the token is a secret");
}
