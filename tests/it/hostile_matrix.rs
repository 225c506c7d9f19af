//! The rest of the hostile-server matrix (hostile.rs has the first part): TLS that stalls
//! half-way or after the handshake, obsolete TLS versions, resets, gzip bombs, broken chunking,
//! absurd `WWW-Authenticate` headers, realms that redirect or point back at the registry, and
//! junk tokens. Each run gets `--timeout 5`; each must end inside it with exit code 1, put the
//! right category first, name the step in the evidence, and keep its memory bounded.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::cmd::{Regdoctor, Run};
use crate::support::pki::{Ca, LeafOpts};
use crate::support::servers::{self, Behaviour, Server};

/// `--timeout 5` and a little for process start-up and exit.
const DEADLINE: Duration = Duration::from_millis(6500);
/// regdoctor itself stays near 20 MB; a body or header that got buffered whole would show.
const RSS_LIMIT_KIB: u64 = 150 * 1024;

fn hostile_check(target: &str, extra: &[&str]) -> (Run, serde_json::Value) {
    let run = Regdoctor::new()
        .args(["check", target, "--json", "--timeout", "5"])
        .args(extra.iter().copied())
        .timeout(Duration::from_secs(20))
        .run();
    assert!(
        run.elapsed < DEADLINE,
        "{target}: took {:?}\n{}",
        run.elapsed,
        run.stdout
    );
    assert_eq!(
        run.code, 1,
        "{target}: stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    if let Some(kib) = run.peak_rss_kib {
        assert!(kib < RSS_LIMIT_KIB, "{target}: peak RSS {kib} KiB");
    }
    let report = run.json();
    (run, report)
}

/// The first finding: its category, the step it names, and evidence containing `needle`.
fn assert_top(report: &serde_json::Value, category: &str, check: &str, needle: &str) {
    let top = &report["findings"][0];
    assert_eq!(top["category"], category, "{report:#}");
    assert_eq!(top["check"], check, "{report:#}");
    let evidence = top["evidence"].to_string();
    assert!(
        evidence.to_lowercase().contains(&needle.to_lowercase()),
        "evidence lacks {needle:?}: {report:#}"
    );
}

fn finding_of<'a>(report: &'a serde_json::Value, check: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no finding from {check}: {report:#}"))
}

fn check_status<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    &report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}: {report:#}"))["status"]
}

/// Sleep in small steps until the server is dropped (bounded, so a lost flag cannot hang it).
pub(crate) fn hold(stop: &AtomicBool) {
    for _ in 0..300 {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Read whatever the client sent first (a ClientHello or a request head), bounded.
pub(crate) fn read_some(s: &mut TcpStream) -> Vec<u8> {
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = vec![0u8; 16 * 1024];
    let n = s.read(&mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

fn raw(f: impl Fn(&mut TcpStream, &AtomicBool) + Send + Sync + 'static) -> Behaviour {
    Behaviour::Script(Arc::new(move |mut s: TcpStream, stop: &AtomicBool| {
        read_some(&mut s);
        f(&mut s, stop)
    }))
}

/// A CA, a leaf for 127.0.0.1, and a certs.d tree trusting the CA for `host_port`s added later.
pub(crate) struct Pki {
    ca: Ca,
    chain_pem: String,
    key_pem: String,
    certs: tempfile::TempDir,
}

impl Pki {
    pub(crate) fn new() -> Pki {
        let ca = Ca::new("Hostile Test CA");
        let leaf = ca.leaf(LeafOpts::for_localhost());
        Pki {
            chain_pem: leaf.chain_pem,
            key_pem: leaf.key_pem,
            ca,
            certs: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn trust(&self, host_port: &str) {
        let d = self.certs.path().join(host_port);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("ca.crt"), &self.ca.cert_pem).unwrap();
    }

    pub(crate) fn certs_dir(&self) -> &str {
        self.certs.path().to_str().unwrap()
    }

    /// A TLS server that completes the handshake, then hands the decrypted stream to `f`.
    pub(crate) fn tls_script(
        &self,
        f: impl Fn(&mut rustls::StreamOwned<rustls::ServerConnection, TcpStream>, &AtomicBool)
        + Send
        + Sync
        + 'static,
    ) -> Server {
        let config = servers::server_config(&self.chain_pem, &self.key_pem);
        let srv = servers::start(Behaviour::Script(Arc::new(
            move |mut sock: TcpStream, stop: &AtomicBool| {
                let _ = sock.set_read_timeout(Some(Duration::from_secs(3)));
                let Ok(mut conn) = rustls::ServerConnection::new(config.clone()) else {
                    return;
                };
                while conn.is_handshaking() {
                    if conn.complete_io(&mut sock).is_err() {
                        return;
                    }
                }
                let mut stream = rustls::StreamOwned::new(conn, sock);
                f(&mut stream, stop);
            },
        )));
        self.trust(&srv.addr);
        srv
    }
}

// ---- TLS ------------------------------------------------------------------------------------

#[test]
fn tls_stalls_in_the_middle_of_the_handshake() {
    // The start of a ServerHello record that announces 80 bytes, and only 10 of them.
    let srv = servers::start(raw(|s, stop| {
        let _ = s.write_all(&[
            0x16, 0x03, 0x03, 0x00, 0x50, 0x02, 0x00, 0x00, 0x4c, 0x03, 0x03, 1, 2, 3, 4, 5,
        ]);
        hold(stop);
    }));
    let (_, report) = hostile_check(&srv.addr, &[]);
    assert_top(&report, "network_unreachable", "tls", "no TLS answer");
}

#[test]
fn tls_up_then_no_http_answer() {
    let pki = Pki::new();
    let srv = pki.tls_script(|_, stop| hold(stop));
    let (_, report) = hostile_check(&srv.addr, &["--certs-dir", pki.certs_dir()]);
    assert_eq!(check_status(&report, "tls"), "pass", "{report:#}");
    // Cut off by the run's deadline (the TLS check's own HEAD waited 2 s first), and said so.
    assert_top(&report, "network_unreachable", "ping", "ping: no result");
    assert_eq!(report["findings"][0]["code"], "RD-NET-005", "{report:#}");
}

/// A TLS 1.0 ServerHello (TLS_RSA_WITH_AES_128_CBC_SHA, no extensions): what a client sees
/// from a server that offers nothing newer. rustls cannot play such a server, so the bytes are
/// written by hand.
fn tls10_server_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x01];
    body.extend_from_slice(&[0x5a; 32]); // random
    body.push(0); // no session id
    body.extend_from_slice(&[0x00, 0x2f]); // cipher suite
    body.push(0); // null compression
    let mut hs = vec![0x02, 0x00, 0x00, body.len() as u8];
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01, 0x00, hs.len() as u8];
    rec.extend_from_slice(&hs);
    rec
}

#[test]
fn a_server_offering_only_obsolete_tls_versions() {
    for (what, answer) in [
        ("TLS 1.0 ServerHello", tls10_server_hello()),
        // A fatal protocol_version alert in a TLS 1.1 record: "none of your versions".
        (
            "protocol_version alert",
            vec![0x15, 0x03, 0x02, 0x00, 0x02, 0x02, 0x46],
        ),
    ] {
        let bytes = answer.clone();
        let srv = servers::start(raw(move |s, stop| {
            let _ = s.write_all(&bytes);
            hold(stop);
        }));
        let (_, report) = hostile_check(&srv.addr, &[]);
        let top = &report["findings"][0];
        assert_eq!(top["check"], "tls", "{what}: {report:#}");
        assert_eq!(top["category"], "network_unreachable", "{what}: {report:#}");
        let evidence = top["evidence"].to_string();
        assert!(
            evidence.contains("TLS 1.0")
                || evidence.contains("TLS 1.1")
                || evidence.contains("DoesNotSupportTls12Or13")
                || evidence.contains("ProtocolVersion"),
            "{what}: the report should say the server's TLS is obsolete: {report:#}"
        );
    }
}

// ---- transport ------------------------------------------------------------------------------

#[test]
fn a_server_that_resets_after_a_few_bytes() {
    // Closing a socket with unread input makes Linux send RST instead of FIN. The first read
    // takes one byte only, so the rest of the request stays unread.
    let srv = servers::start(Behaviour::Script(Arc::new(
        |mut s: TcpStream, _: &AtomicBool| {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut one = [0u8; 1];
            let _ = s.read(&mut one);
            std::thread::sleep(Duration::from_millis(50));
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Length: 4000\r\n\r\n{\"re",
            );
            std::thread::sleep(Duration::from_millis(50));
        },
    )));
    let (_, report) = hostile_check(&srv.addr, &[]);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "network_unreachable", "{report:#}");
    let evidence = top["evidence"].to_string().to_lowercase();
    assert!(
        evidence.contains("reset") || evidence.contains("closed"),
        "{report:#}"
    );
}

#[test]
fn chunked_encoding_errors() {
    for (what, body) in [
        // A chunk that announces 4 KiB, sends 5 bytes, and the connection ends.
        ("cut-short chunk", &b"1000\r\nhello"[..]),
        // A chunk size that overflows 64 bits.
        (
            "overflowing chunk size",
            &b"fffffffffffffffffffff\r\nx\r\n0\r\n\r\n"[..],
        ),
        // Data where the CRLF after a chunk belongs.
        (
            "missing chunk terminator",
            &b"5\r\nhelloXX3\r\nabc\r\n0\r\n\r\n"[..],
        ),
    ] {
        let mut resp = b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nDocker-Distribution-Api-Version: registry/2.0\r\n\r\n".to_vec();
        resp.extend_from_slice(body);
        let srv = servers::start(Behaviour::Respond(resp));
        let (_, report) = hostile_check(&srv.addr, &[]);
        let top = &report["findings"][0];
        assert_eq!(top["check"], "ping", "{what}: {report:#}");
        assert_eq!(top["category"], "network_unreachable", "{what}: {report:#}");
        assert!(
            top["evidence"].to_string().contains("broke off"),
            "{what}: {report:#}"
        );
    }
}

/// One gzip member of 64 MiB of zeros (about 64 KiB), from the system's gzip.
fn gzip_member() -> Vec<u8> {
    let out = std::process::Command::new("sh")
        .args(["-c", "head -c 67108864 /dev/zero | gzip -9"])
        .output()
        .expect("run gzip");
    assert!(out.status.success() && out.stdout.len() > 1000);
    out.stdout
}

/// A response whose body is `members` concatenated gzip members: `members` × 64 MiB once
/// inflated. The request head is kept, to see what the client asked for.
fn gzip_bomb(status: &str, members: usize, seen: Arc<Mutex<Vec<String>>>) -> Behaviour {
    let member = Arc::new(gzip_member());
    let status = status.to_string();
    Behaviour::Script(Arc::new(move |mut s: TcpStream, _: &AtomicBool| {
        let head = String::from_utf8_lossy(&read_some(&mut s)).into_owned();
        if let Ok(mut v) = seen.lock() {
            v.push(head);
        }
        let _ = s.write_all(
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                member.len() * members
            )
            .as_bytes(),
        );
        for _ in 0..members {
            if s.write_all(&member).is_err() {
                return;
            }
        }
    }))
}

#[test]
fn a_gzip_bomb_is_never_inflated() {
    // 48 members: 3 GiB once inflated, 3 MiB on the wire. Our reqwest has no gzip feature, so
    // it neither asks for compression nor inflates; the body is read up to the cap and shown
    // as what it is.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let srv = servers::start(gzip_bomb("500 Internal Server Error", 48, seen.clone()));
    let (run, report) = hostile_check(&srv.addr, &[]);
    assert!(run.peak_rss_kib.is_some(), "memory was measured");
    assert_top(&report, "registry_server_error", "ping", "gzip");
    let heads = seen.lock().unwrap().join("\n").to_lowercase();
    assert!(heads.contains("get /v2/"), "{heads}");
    assert!(
        !heads.contains("accept-encoding: gzip"),
        "the client asked for gzip: {heads}"
    );

    // The same bomb as the token realm's answer.
    let realm = servers::start(gzip_bomb("200 OK", 48, Arc::new(Mutex::new(Vec::new()))));
    let registry = servers::start(bearer_registry(&[&format!(
        "Bearer realm=\"http://{}/token\",service=\"test\"",
        realm.addr
    )]));
    let (_, report) = hostile_check(&format!("{}/team/app:1", registry.addr), &[]);
    let f = finding_of(&report, "auth");
    assert_eq!(f["category"], "auth_token_endpoint", "{report:#}");
    assert!(f["evidence"].to_string().contains("gzip"), "{report:#}");
}

// ---- WWW-Authenticate -----------------------------------------------------------------------

/// `GET /v2/` → 401 with these challenges, one header each.
pub(crate) fn bearer_registry(challenges: &[&str]) -> Behaviour {
    let mut resp = "HTTP/1.1 401 Unauthorized\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Type: application/json\r\nConnection: close\r\n".to_string();
    for c in challenges {
        resp.push_str(&format!("WWW-Authenticate: {c}\r\n"));
    }
    let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
    resp.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    Behaviour::Respond(resp.into_bytes())
}

#[test]
fn a_one_megabyte_www_authenticate_header() {
    let huge = format!(
        "Bearer realm=\"http://127.0.0.1:1/{}\"",
        "a".repeat(1 << 20)
    );
    let srv = servers::start(bearer_registry(&[&huge]));
    let (run, report) = hostile_check(&format!("{}/team/app:1", srv.addr), &[]);
    assert_top(&report, "network_unreachable", "ping", "too large");
    assert!(run.stdout.len() < 200_000, "the header was echoed whole");
}

#[test]
fn empty_and_unterminated_www_authenticate() {
    for challenge in [
        "",
        "Bearer realm=\"http://127.0.0.1:1/tok",
        "Bearer",
        "=,=,\"",
    ] {
        let srv = servers::start(bearer_registry(&[challenge]));
        let (_, report) = hostile_check(&format!("{}/team/app:1", srv.addr), &[]);
        let top = &report["findings"][0];
        let category = top["category"].as_str().unwrap_or_default();
        assert!(
            category.starts_with("auth_"),
            "{challenge:?}: an auth problem first: {report:#}"
        );
        assert!(
            report.to_string().contains("WWW-Authenticate"),
            "{challenge:?}: the report shows the challenge: {report:#}"
        );
    }
}

#[test]
fn several_challenges_with_conflicting_realms() {
    let first = servers::start(Behaviour::Respond(servers::http_response(
        "503 Service Unavailable",
        &[("Content-Type", "text/plain")],
        "realm one is down",
    )));
    let second = format!(
        "http://127.0.0.1:{}/token",
        crate::support::registry::free_port()
    );
    let srv = servers::start(bearer_registry(&[
        &format!(
            "Bearer realm=\"http://{}/token\",service=\"one\"",
            first.addr
        ),
        &format!("Bearer realm=\"{second}\",service=\"two\""),
        "Basic realm=\"three\"",
    ]));
    let (_, report) = hostile_check(&format!("{}/team/app:1", srv.addr), &[]);
    let f = finding_of(&report, "auth");
    assert_eq!(f["category"], "auth_token_endpoint", "{report:#}");
    // The realm Docker would use, the first Bearer one, is the one asked and named.
    assert!(
        f["evidence"].to_string().contains(&first.addr),
        "{report:#}"
    );
    assert_eq!(
        report["findings"][0]["category"], "auth_token_endpoint",
        "{report:#}"
    );
}

// ---- the token realm ------------------------------------------------------------------------

#[test]
fn a_realm_that_redirects_to_plain_http_gets_no_credentials() {
    let pki = Pki::new();
    // The plain-HTTP target of the redirect records every request it gets.
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let got2 = got.clone();
    let plain = servers::start(Behaviour::Script(Arc::new(
        move |mut s: TcpStream, _: &AtomicBool| {
            let head = String::from_utf8_lossy(&read_some(&mut s)).into_owned();
            got2.lock().unwrap().push(head);
            let _ = s.write_all(&servers::http_response(
                "200 OK",
                &[("Content-Type", "application/json")],
                r#"{"token":"stolen-token-value"}"#,
            ));
        },
    )));
    let location = format!("http://{}/token", plain.addr);
    let realm = pki.tls_script(move |s, _| {
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let _ = s.write_all(&servers::http_response(
            "302 Found",
            &[("Location", &location)],
            "",
        ));
        let _ = s.flush();
    });
    let registry = servers::start(bearer_registry(&[&format!(
        "Bearer realm=\"https://{}/token\",service=\"test\"",
        realm.addr
    )]));
    let config = tempfile::tempdir().unwrap();
    write_config(
        config.path(),
        &format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            registry.addr,
            crate::support::registry::base64(b"bob:redirect-secret-pw")
        ),
    );
    let (run, report) = hostile_check(
        &format!("{}/team/app:1", registry.addr),
        &[
            "--certs-dir",
            pki.certs_dir(),
            "--docker-config",
            config.path().to_str().unwrap(),
        ],
    );
    let f = finding_of(&report, "auth");
    assert_eq!(f["category"], "auth_token_endpoint", "{report:#}");
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("302"), "{report:#}");
    assert!(
        evidence.contains(&plain.addr),
        "the report says where the realm redirects: {report:#}"
    );
    assert!(
        got.lock().unwrap().is_empty(),
        "the redirect was followed to plain HTTP"
    );
    assert!(!run.stdout.contains("redirect-secret-pw"));
}

#[test]
fn a_realm_that_points_back_at_the_registry() {
    // The realm is the registry's own /v2/, which answers every request with the challenge.
    let port = crate::support::registry::free_port();
    let addr = format!("127.0.0.1:{port}");
    let challenge = format!("Bearer realm=\"http://{addr}/v2/\",service=\"self\"");
    let srv = servers::start_on(port, bearer_registry(&[&challenge]));
    let (_, report) = hostile_check(&format!("{}/team/app:1", srv.addr), &[]);
    let f = finding_of(&report, "auth");
    assert!(
        f["category"]
            .as_str()
            .unwrap_or_default()
            .starts_with("auth_"),
        "{report:#}"
    );
    assert!(
        f["evidence"].to_string().contains(&format!("{addr}/v2/")),
        "{report:#}"
    );
    assert!(f["evidence"].to_string().contains("401"), "{report:#}");
}

#[test]
fn junk_tokens_are_handled() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let not_json_jwt = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"none"}"#),
        b64(b"\xff\xfe this is not JSON \x00\x01"),
        b64(b"sig")
    );
    let array_claims_jwt = format!("{}.{}.sig", b64(b"{}"), b64(br#"[1,2,3]"#));
    let long_token = "t".repeat(60_000);
    for (what, body, token_passes) in [
        (
            "non-JSON JWT",
            format!(r#"{{"token":"{not_json_jwt}"}}"#),
            true,
        ),
        (
            "JWT whose claims are an array",
            format!(r#"{{"token":"{array_claims_jwt}"}}"#),
            true,
        ),
        (
            "a 60 KB token",
            format!(r#"{{"token":"{long_token}"}}"#),
            true,
        ),
        ("token is a number", r#"{"token":12345}"#.to_string(), false),
        ("not JSON at all", "token=abc&expires=60".to_string(), false),
        ("JSON null", "null".to_string(), false),
    ] {
        let tokens = servers::start(Behaviour::Respond(servers::http_response(
            "200 OK",
            &[("Content-Type", "application/json")],
            &body,
        )));
        let registry = servers::start(bearer_registry(&[&format!(
            "Bearer realm=\"http://{}/token\",service=\"test\"",
            tokens.addr
        )]));
        let (run, report) = hostile_check(&format!("{}/team/app:1", registry.addr), &[]);
        if token_passes {
            assert_eq!(check_status(&report, "auth"), "pass", "{what}: {report:#}");
        } else {
            let f = finding_of(&report, "auth");
            assert_eq!(f["category"], "auth_token_endpoint", "{what}: {report:#}");
        }
        for secret in [&not_json_jwt, &array_claims_jwt, &long_token] {
            assert!(
                !run.stdout.contains(secret.as_str()),
                "{what}: token printed"
            );
        }
    }
}

// ---- redirects on /v2/ ----------------------------------------------------------------------

#[test]
fn redirect_loops_on_v2_for_every_redirect_status() {
    for status in [
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let srv = servers::start(Behaviour::Respond(servers::http_response(
            status,
            &[("Location", "/v2/")],
            "",
        )));
        let (_, report) = hostile_check(&srv.addr, &[]);
        assert_top(&report, "not_a_registry", "ping", &status[..3]);
    }
    // A pair of servers sending the client back and forth.
    let b_port = crate::support::registry::free_port();
    let a = servers::start(Behaviour::Respond(servers::http_response(
        "302 Found",
        &[("Location", &format!("http://127.0.0.1:{b_port}/v2/"))],
        "",
    )));
    let _b = servers::start_on(
        b_port,
        Behaviour::Respond(servers::http_response(
            "302 Found",
            &[("Location", &format!("http://{}/v2/", a.addr))],
            "",
        )),
    );
    let (_, report) = hostile_check(&a.addr, &[]);
    assert_top(
        &report,
        "not_a_registry",
        "ping",
        &format!("127.0.0.1:{b_port}"),
    );
}

pub(crate) fn write_config(dir: &Path, json: &str) {
    let f = dir.join("config.json");
    std::fs::write(&f, json).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
}
