//! Harbor, as regdoctor recognises it: a fake Harbor over TLS (its `/v2/`, token service and
//! `/api/v2.0` project API) to show that "unauthorized" on a missing project is reported as the
//! missing project, and that pushing to a proxy-cache project is an unsupported operation.

use std::sync::{Arc, Mutex};

use base64::Engine as _;

use crate::support::cmd::{Regdoctor, Run};
use crate::support::pki::{Ca, LeafOpts};
use crate::support::report::{check, evidence_text, top};
use crate::support::servers::{self, Request, http_response};

const USER: &str = "dev1";
const PASSWORD: &str = "Harb0r-Passw0rd!";

fn jwt(claims: &str) -> String {
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.c2ln", e(r#"{"alg":"RS256","typ":"JWT"}"#), e(claims))
}

struct FakeHarbor {
    server: servers::Server,
    dir: tempfile::TempDir,
    /// (method, path, had Basic credentials) of every request.
    seen: Arc<Mutex<Vec<(String, String, bool)>>>,
}

fn fake_harbor() -> FakeHarbor {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Harbor Test CA");
    let leaf = ca.leaf(LeafOpts::for_localhost());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let port = Arc::new(Mutex::new(0u16));
    let port2 = port.clone();
    let good = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    let server = servers::route(
        Some((&leaf.chain_pem, &leaf.key_pem)),
        move |r: &Request| {
            let path = r.target.split('?').next().unwrap_or("").to_string();
            let basic = r.authorization.as_deref() == Some(good.as_str());
            seen2
                .lock()
                .unwrap()
                .push((r.method.clone(), path.clone(), basic));
            let port = *port2.lock().unwrap();
            let json = [("Content-Type", "application/json")];
            match path.as_str() {
                "/v2/" => http_response(
                    "401 Unauthorized",
                    &[
                        ("Docker-Distribution-Api-Version", "registry/2.0"),
                        (
                            "WWW-Authenticate",
                            &format!(
                                "Bearer realm=\"https://127.0.0.1:{port}/service/token\",service=\"harbor-registry\""
                            ),
                        ),
                    ],
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}"#,
                ),
                // Harbor grants nothing on a project that does not exist, or on a proxy cache
                // for push.
                "/service/token" => {
                    let repo = r
                        .target
                        .split("scope=repository%3A")
                        .nth(1)
                        .and_then(|s| s.split("%3A").next())
                        .unwrap_or("")
                        .replace("%2F", "/");
                    let actions = if repo.starts_with("cache/") {
                        r#"["pull"]"#
                    } else {
                        "[]"
                    };
                    let claims = format!(
                        r#"{{"access":[{{"type":"repository","name":"{repo}","actions":{actions}}}]}}"#
                    );
                    http_response(
                        "200 OK",
                        &json,
                        &format!(r#"{{"token":"{}","expires_in":1800}}"#, jwt(&claims)),
                    )
                }
                "/api/v2.0/systeminfo" => http_response(
                    "200 OK",
                    &json,
                    r#"{"auth_mode":"db_auth","harbor_version":"v2.10.2-1a741cb7","self_registration":false}"#,
                ),
                "/api/v2.0/projects/ghost" if basic => http_response(
                    "404 Not Found",
                    &json,
                    r#"{"errors":[{"code":"NOT_FOUND","message":"project ghost not found"}]}"#,
                ),
                "/api/v2.0/projects/cache" if basic => http_response(
                    "200 OK",
                    &json,
                    r#"{"project_id":7,"name":"cache","registry_id":3,"metadata":{"public":"false"}}"#,
                ),
                p if p.starts_with("/api/") => http_response(
                    "401 Unauthorized",
                    &json,
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}"#,
                ),
                p if p.starts_with("/v2/cache/") => http_response(
                    "200 OK",
                    &[(
                        "Content-Type",
                        "application/vnd.docker.distribution.manifest.v2+json",
                    )],
                    "",
                ),
                _ => http_response(
                    "401 Unauthorized",
                    &json,
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized to access repository"}]}"#,
                ),
            }
        },
    );
    *port.lock().unwrap() = server.port;
    let certs = dir.path().join("certs.d").join(&server.addr);
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ca.crt"), &ca.cert_pem).unwrap();
    let docker = dir.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let config = docker.join("config.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            server.addr,
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    FakeHarbor { server, dir, seen }
}

impl FakeHarbor {
    fn check(&self, image: &str, extra: &[&str]) -> Run {
        Regdoctor::new()
            .args(["check", &format!("{}/{image}", self.server.addr), "--json"])
            .arg("--certs-dir")
            .arg(self.dir.path().join("certs.d").to_str().unwrap())
            .arg("--docker-config")
            .arg(self.dir.path().join("docker").to_str().unwrap())
            .args(extra.iter().copied())
            .run()
    }
}

#[test]
fn unauthorized_on_a_missing_harbor_project_is_the_missing_project() {
    let h = fake_harbor();
    let run = h.check("ghost/app:1", &[]);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    let f = top(&report);
    assert_eq!(f["category"], "repo_not_found", "{report:#}");
    assert_eq!(f["code"], "RD-REPO-014");
    let ev = evidence_text(f);
    assert!(
        ev.contains("Harbor v2.10.2") && ev.contains("/api/v2.0/projects/ghost"),
        "{ev}"
    );
    assert!(
        f["fixes"]
            .to_string()
            .contains(r#"\"project_name\": \"ghost\""#),
        "the fix creates this project: {f:#}"
    );
    // The credentials went to the project API of this host, never printed.
    assert!(
        h.seen
            .lock()
            .unwrap()
            .iter()
            .any(|(_, p, basic)| p == "/api/v2.0/projects/ghost" && *basic)
    );
    assert!(!run.stdout.contains(PASSWORD));
    assert!(
        check(&report, "server")["summary"]
            .as_str()
            .unwrap()
            .contains("Harbor v2.10.2")
    );
}

#[test]
fn pushing_to_a_harbor_proxy_cache_project_is_unsupported() {
    let h = fake_harbor();
    let run = h.check("cache/library/nginx:1", &["--push"]);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(
        top(&report)["category"],
        "unsupported_operation",
        "{report:#}"
    );
    assert!(evidence_text(top(&report)).contains("proxy cache"));
    // Pulling from it is fine.
    let run = h.check("cache/library/nginx:1", &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}
