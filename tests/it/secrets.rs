//! Secrets planted in every place regdoctor reads them from (config.json `auth`, an identity
//! token, a credential helper, `--password-stdin`, the token the realm returns, proxy
//! credentials, a URL's userinfo, and a pasted log) never come out: not in the human, JSON or
//! Markdown report, not with `--verbose`, not on stderr. And credentials never follow a
//! redirect to another host.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::hostile_matrix::{Pki, bearer_registry, read_some, write_config};
use crate::support::cmd::{Regdoctor, Run};
use crate::support::registry::base64;
use crate::support::servers::{self, Behaviour};

fn b64url(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The value of one header in a raw request head.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    })
}

const PROXY_PASSWORD: &str = "Pr0xy-Secret-9a";
const URL_PASSWORD: &str = "Url-Userinfo-Secret-8b";

/// Every rendering a user might paste: human, JSON, Markdown, each verbose too, plus stderr.
const RENDERINGS: &[&[&str]] = &[
    &[],
    &["-v"],
    &["--json"],
    &["--json", "-v"],
    &["--format", "markdown"],
    &["--format", "markdown", "--verbose"],
];

fn assert_hidden(what: &str, run: &Run, secrets: &[String]) {
    for s in secrets {
        assert!(
            !run.stdout.contains(s.as_str()),
            "{what}: stdout shows {s:?}:\n{}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(s.as_str()),
            "{what}: stderr shows {s:?}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn no_planted_secret_appears_in_any_output() {
    let pki = Pki::new();

    // The realm (HTTPS, so credentials may go to it) checks nothing, remembers the
    // Authorization headers it got, and hands out a JWT-shaped token with a secret signature.
    let token_sig = "Realm-Token-Signature-Secret-5c";
    let token = format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"ES256","typ":"JWT"}"#),
        b64url(
            br#"{"sub":"alice","access":[{"type":"repository","name":"team/app","actions":["pull"]}]}"#
        ),
        b64url(token_sig.as_bytes())
    );
    let seen_by_realm = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = seen_by_realm.clone();
    let body = format!(r#"{{"token":"{token}","access_token":"{token}","expires_in":300}}"#);
    let realm = pki.tls_script(move |s, _| {
        let mut buf = vec![0u8; 16 * 1024];
        let n = s.read(&mut buf).unwrap_or(0);
        let mut head = String::from_utf8_lossy(&buf[..n]).into_owned();
        if let Some(a) = header(&head, "authorization") {
            seen.lock().unwrap().push(a);
        }
        // An identity token goes in an OAuth2 form (POST), as Docker sends it.
        if head.starts_with("POST") {
            if !head.contains("refresh_token=") {
                let n = s.read(&mut buf).unwrap_or(0);
                head.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            if let Some(t) = head.split("refresh_token=").nth(1) {
                let t = t.split('&').next().unwrap_or("").trim().to_string();
                seen.lock().unwrap().push(format!("form refresh_token={t}"));
            }
        }
        let _ = s.write_all(&servers::http_response(
            "200 OK",
            &[("Content-Type", "application/json")],
            &body,
        ));
        let _ = s.flush();
    });

    // The registry: /v2/ challenges; the manifest, even with the token, is refused with
    // insufficient_scope, so there is a finding whose evidence is full of server answers.
    let challenge = format!(
        "Bearer realm=\"https://{}/token\",service=\"secrets-test\"",
        realm.addr
    );
    let registry = servers::start(Behaviour::Script(Arc::new(
        move |mut s: TcpStream, _: &AtomicBool| {
            let head = String::from_utf8_lossy(&read_some(&mut s)).into_owned();
            let resp = if head.contains("/manifests/") {
                servers::http_response(
                    "401 Unauthorized",
                    &[
                        ("Docker-Distribution-Api-Version", "registry/2.0"),
                        (
                            "WWW-Authenticate",
                            &format!(
                                "{challenge},scope=\"repository:team/app:pull\",error=\"insufficient_scope\""
                            ),
                        ),
                    ],
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"insufficient scope"}]}"#,
                )
            } else {
                servers::http_response(
                    "401 Unauthorized",
                    &[
                        ("Docker-Distribution-Api-Version", "registry/2.0"),
                        ("WWW-Authenticate", &challenge),
                    ],
                    "{}",
                )
            };
            let _ = s.write_all(&resp);
        },
    )));
    let image = format!("{}/team/app:1", registry.addr);
    let proxy = format!("http://proxyuser:{PROXY_PASSWORD}@127.0.0.1:9");

    // A credential helper on PATH.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-x");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread server\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"helperuser\",\"Secret\":\"Helper-Secret-3d\"}'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );

    let addr = registry.addr.clone();
    // (what, config.json, extra args, stdin, the secret, what the realm must get: the Basic
    // header value, or the OAuth2 form field for an identity token)
    type Source<'a> = (
        &'a str,
        String,
        Vec<&'a str>,
        Option<&'a str>,
        &'a str,
        String,
    );
    let sources: Vec<Source> = vec![
        (
            "config.json auth",
            format!(
                r#"{{"auths":{{"{addr}":{{"auth":"{}"}}}}}}"#,
                base64(b"alice:Auth-Field-Secret-1e")
            ),
            vec![],
            None,
            "Auth-Field-Secret-1e",
            base64(b"alice:Auth-Field-Secret-1e"),
        ),
        (
            "identitytoken",
            format!(
                r#"{{"auths":{{"{addr}":{{"auth":"","identitytoken":"Identity-Token-Secret-2f"}}}}}}"#
            ),
            vec![],
            None,
            "Identity-Token-Secret-2f",
            "form refresh_token=Identity-Token-Secret-2f".to_string(),
        ),
        (
            "credential helper",
            format!(r#"{{"credHelpers":{{"{addr}":"x"}}}}"#),
            vec![],
            None,
            "Helper-Secret-3d",
            base64(b"helperuser:Helper-Secret-3d"),
        ),
        (
            "--password-stdin",
            "{}".to_string(),
            vec!["--username", "carol", "--password-stdin"],
            Some("Stdin-Secret-4g\n"),
            "Stdin-Secret-4g",
            base64(b"carol:Stdin-Secret-4g"),
        ),
    ];
    for (what, config_json, extra, stdin, secret, basic) in &sources {
        let config = tempfile::tempdir().unwrap();
        write_config(config.path(), config_json);
        let secrets = vec![
            secret.to_string(),
            basic.clone(),
            token.clone(),
            token_sig.to_string(),
            b64url(token_sig.as_bytes()),
            PROXY_PASSWORD.to_string(),
        ];
        for rendering in RENDERINGS {
            let mut cmd = Regdoctor::new()
                .args(["check", &image, "--timeout", "8", "--certs-dir"])
                .arg(pki.certs_dir())
                .arg("--docker-config")
                .arg(config.path().to_str().unwrap())
                .args(extra.iter().copied())
                .args(rendering.iter().copied())
                .env("PATH", path.clone())
                .env("HTTPS_PROXY", proxy.clone())
                .env("HTTP_PROXY", proxy.clone())
                .env("https_proxy", proxy.clone());
            if let Some(input) = stdin {
                cmd = cmd.stdin(input.as_bytes().to_vec());
            }
            let run = cmd.run();
            assert!(
                run.code == 0 || run.code == 1,
                "{what} {rendering:?}: {run:?}"
            );
            assert_hidden(&format!("{what} {rendering:?}"), &run, &secrets);
            if rendering.contains(&"--json") {
                let report = run.json();
                assert!(
                    report.to_string().contains("insufficient_scope"),
                    "{what}: the run got as far as the manifest: {report:#}"
                );
            }
        }
        // The secret was really used: the realm got it (so hiding it above meant something).
        assert!(
            seen_by_realm
                .lock()
                .unwrap()
                .iter()
                .any(|a| a == &format!("Basic {basic}") || a == basic),
            "{what}: the realm never got the credentials: {:?}",
            seen_by_realm.lock().unwrap()
        );
    }

    // Proxy credentials shown where they matter: a target that is not loopback, so both the
    // shell's HTTPS_PROXY and the daemon's `proxies` are displayed (masked).
    let daemon = tempfile::tempdir().unwrap();
    let daemon_json = daemon.path().join("daemon.json");
    std::fs::write(
        &daemon_json,
        r#"{"proxies":{"https-proxy":"http://dproxy:Daemon-Proxy-Secret-0m@127.0.0.1:9"}}"#,
    )
    .unwrap();
    for rendering in RENDERINGS {
        let run = Regdoctor::new()
            .args(["check", "registry.example.com:443", "--only", "proxy"])
            .arg("--daemon-config")
            .arg(daemon_json.to_str().unwrap())
            .args(rendering.iter().copied())
            .env("HTTPS_PROXY", proxy.clone())
            .run();
        assert!(
            run.stdout.contains("[REDACTED]@127.0.0.1:9"),
            "{rendering:?}: the proxy is shown, masked: {}",
            run.stdout
        );
        assert_hidden(
            &format!("proxy {rendering:?}"),
            &run,
            &[
                PROXY_PASSWORD.to_string(),
                "Daemon-Proxy-Secret-0m".to_string(),
            ],
        );
    }

    // A password in the target URL itself, accepted or rejected.
    for target in [
        format!("https://bob:{URL_PASSWORD}@{}/team/app:1", registry.addr),
        format!("https://bob:{URL_PASSWORD}@bad host:1/v2/"),
        // Without a scheme, as someone might paste it.
        format!("bob:{URL_PASSWORD}@{}/team/app:1", registry.addr),
    ] {
        for rendering in RENDERINGS {
            let run = Regdoctor::new()
                .args(["check", &target, "--timeout", "5"])
                .args(rendering.iter().copied())
                .run();
            assert_hidden(
                &format!("{target} {rendering:?}"),
                &run,
                &[URL_PASSWORD.to_string()],
            );
        }
    }

    // A pasted log full of credentials, given to explain as an argument and on stdin.
    let log_secrets = [
        "Log-Bearer-Secret-5h".to_string(),
        base64(b"dave:Log-Basic-Secret-6i"),
        base64(b"eve:Log-Auth-Field-Secret-7j"),
        "Log-Identity-Secret-8k".to_string(),
        PROXY_PASSWORD.to_string(),
        token.clone(),
    ];
    let log = format!(
        "time=\"2026-11-22T10:00:00Z\" level=debug msg=\"GET /v2/ HTTP/1.1\"\n\
         > Authorization: Bearer {}\n\
         > authorization: Basic {}\n\
         {{\"auths\":{{\"r.example\":{{\"auth\":\"{}\",\"identitytoken\":\"{}\"}}}}}}\n\
         + export HTTPS_PROXY=http://proxyuser:{PROXY_PASSWORD}@proxy.corp:3128\n\
         token: {token}\n\
         Error response from daemon: Get \"https://r.example/v2/\": unauthorized: authentication required\n",
        log_secrets[0], log_secrets[1], log_secrets[2], log_secrets[3]
    );
    for rendering in RENDERINGS {
        let run = Regdoctor::new()
            .arg("explain")
            .args(rendering.iter().copied())
            .stdin(log.clone().into_bytes())
            .run();
        assert_eq!(run.code, 1, "{rendering:?}: {run:?}");
        assert!(
            run.stdout.contains("RD-AUTH"),
            "{rendering:?}: the log was understood: {}",
            run.stdout
        );
        assert_hidden(&format!("explain {rendering:?}"), &run, &log_secrets);
        let run = Regdoctor::new()
            .arg("explain")
            .arg(&log)
            .args(rendering.iter().copied())
            .run();
        assert_hidden(
            &format!("explain (argument) {rendering:?}"),
            &run,
            &log_secrets,
        );
    }
}

/// A plain-HTTP server on 127.0.0.2 that records every request head it gets.
struct Recorder {
    addr: String,
    heads: Arc<Mutex<Vec<String>>>,
}

fn recorder_on_127_0_0_2() -> Recorder {
    // Loopback is a /8 on Linux: 127.0.0.2 is another host as far as URLs go.
    let listener = TcpListener::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    let addr = listener.local_addr().unwrap().to_string();
    listener.set_nonblocking(true).unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let h = heads.clone();
    std::thread::spawn(move || {
        // Lives for the test binary's run at most a minute; accepted connections are served.
        let until = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < until {
            match listener.accept() {
                Ok((mut s, _)) => {
                    let _ = s.set_nonblocking(false);
                    let head = String::from_utf8_lossy(&read_some(&mut s)).into_owned();
                    h.lock().unwrap().push(head);
                    let _ = s.write_all(&servers::registry_ok());
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    Recorder { addr, heads }
}

#[test]
fn credentials_never_follow_a_redirect_to_another_host() {
    let pki = Pki::new();
    let other = recorder_on_127_0_0_2();
    let user_pass = base64(b"frank:Redirect-Secret-9l");

    // 1. A Basic-auth registry (TLS, 127.0.0.1) that answers the authenticated /v2/ and the
    //    manifest with a redirect to 127.0.0.2.
    let to_other = format!("http://{}/elsewhere", other.addr);
    let location = to_other.clone();
    let basic_registry = pki.tls_script(move |s, _| {
        let mut buf = vec![0u8; 16 * 1024];
        let n = s.read(&mut buf).unwrap_or(0);
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        let resp = if header(&head, "authorization").is_some() {
            servers::http_response("307 Temporary Redirect", &[("Location", &location)], "")
        } else {
            servers::http_response(
                "401 Unauthorized",
                &[
                    ("Docker-Distribution-Api-Version", "registry/2.0"),
                    ("WWW-Authenticate", "Basic realm=\"r\""),
                ],
                "{}",
            )
        };
        let _ = s.write_all(&resp);
        let _ = s.flush();
    });

    // 2. A Bearer registry whose HTTPS realm (127.0.0.1) redirects to 127.0.0.2.
    let location = to_other.clone();
    let realm = pki.tls_script(move |s, _| {
        let mut buf = vec![0u8; 16 * 1024];
        let _ = s.read(&mut buf);
        let _ = s.write_all(&servers::http_response(
            "302 Found",
            &[("Location", &location)],
            "",
        ));
        let _ = s.flush();
    });
    let bearer = servers::start(bearer_registry(&[&format!(
        "Bearer realm=\"https://{}/token\",service=\"s\"",
        realm.addr
    )]));

    for registry in [&basic_registry.addr, &bearer.addr] {
        let config = tempfile::tempdir().unwrap();
        write_config(
            config.path(),
            &format!(r#"{{"auths":{{"{registry}":{{"auth":"{user_pass}"}}}}}}"#),
        );
        let run = Regdoctor::new()
            .args([
                "check",
                &format!("{registry}/team/app:1"),
                "--json",
                "--timeout",
                "6",
                "--certs-dir",
                pki.certs_dir(),
                "--docker-config",
                config.path().to_str().unwrap(),
            ])
            .run();
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        assert!(
            report.to_string().contains(&other.addr),
            "the report names where the redirect pointed: {report:#}"
        );
        assert!(!run.stdout.contains("Redirect-Secret-9l") && !run.stdout.contains(&user_pass));
    }
    let heads = other.heads.lock().unwrap();
    assert!(
        heads.is_empty(),
        "127.0.0.2 was contacted (redirect followed): {heads:?}"
    );
}

/// The periodic token a hostile realm hands out, and every 6-byte piece of it: finding any of
/// them in an output means some of the token leaked.
fn token_pieces(unit: &str) -> Vec<String> {
    let twice = unit.repeat(2);
    (0..unit.len())
        .map(|i| twice[i..i + 6].to_string())
        .collect()
}

#[test]
fn a_realm_token_in_any_body_shape_never_shows() {
    let unit = "Zq8RealmSecretXy";
    let megabyte = unit.repeat((1 << 20) / unit.len());
    let form_unit = "gho7FormTok3nAb";
    let form = form_unit.repeat(3);
    // (what, Content-Type, status, body, the repeating unit of the planted token)
    let answers: Vec<(&str, &str, &str, String, &str)> = vec![
        (
            "a 1 MB JSON token, cut at the body cap",
            "application/json",
            "200 OK",
            format!(r#"{{"token":"{megabyte}","expires_in":300}}"#),
            unit,
        ),
        (
            "a form-encoded OAuth2 answer",
            "application/x-www-form-urlencoded",
            "200 OK",
            format!("access_token={form}&token_type=bearer&expires_in=3600"),
            form_unit,
        ),
        (
            "a bare token as text",
            "text/plain",
            "200 OK",
            form.clone(),
            form_unit,
        ),
        (
            "an error that quotes the token",
            "application/json",
            "401 Unauthorized",
            format!(r#"{{"details":"token {form} refused","code":"DENIED"}}"#),
            form_unit,
        ),
    ];
    for (what, content_type, status, body, unit) in &answers {
        let realm = servers::start(Behaviour::Respond(servers::http_response(
            status,
            &[("Content-Type", content_type)],
            body,
        )));
        let registry = servers::start(bearer_registry(&[&format!(
            "Bearer realm=\"http://{}/token\",service=\"hostile\"",
            realm.addr
        )]));
        let pieces = token_pieces(unit);
        for rendering in RENDERINGS {
            let run = Regdoctor::new()
                .args(["check", &format!("{}/team/app:1", registry.addr)])
                .args(["--timeout", "6", "--only", "auth"])
                .args(rendering.iter().copied())
                .run();
            assert_eq!(run.code, 1, "{what} {rendering:?}: {run:?}");
            assert_hidden(&format!("{what} {rendering:?}"), &run, &pieces);
            if rendering == &["--json"] {
                // What the realm did is still said: the body's kind and size.
                let report = run.json();
                let shown = report["findings"].to_string();
                assert!(shown.contains("bytes"), "{what}: {report:#}");
            }
        }
    }
}
