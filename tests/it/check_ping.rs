//! `GET /v2/` answers that are not a registry's, from in-process servers on loopback (plain
//! HTTP, which Docker allows for 127.0.0.1).

use crate::support::cmd::Regdoctor;
use crate::support::servers::{self, Behaviour};

fn check(response: Vec<u8>) -> (i32, serde_json::Value) {
    let srv = servers::start(Behaviour::Respond(response));
    let run = Regdoctor::new().args(["check", &srv.addr, "--json"]).run();
    (run.code, run.json())
}

#[test]
fn an_html_page_is_not_a_registry() {
    let page = "<!DOCTYPE html><html><body>Welcome to nginx!</body></html>";
    let (code, report) = check(servers::http_response(
        "404 Not Found",
        &[("Content-Type", "text/html")],
        page,
    ));
    assert_eq!(code, 1);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "not_a_registry", "{report:#}");
    assert!(top["evidence"].to_string().contains("404"), "{report:#}");
}

/// nginx in front of a registry whose backend is down answers every path, `/v2/` included,
/// with its own HTML 503 page: a registry with a server error, not something else.
#[test]
fn an_html_503_from_a_front_is_a_server_error() {
    let page = "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>";
    let (code, report) = check(servers::http_response(
        "503 Service Temporarily Unavailable",
        &[("Content-Type", "text/html"), ("Server", "nginx")],
        page,
    ));
    assert_eq!(code, 1);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "registry_server_error", "{report:#}");
    assert!(top["evidence"].to_string().contains("503"), "{report:#}");
}

#[test]
fn a_json_404_is_not_a_registry() {
    let (_, report) = check(servers::http_response(
        "404 Not Found",
        &[("Content-Type", "application/json")],
        r#"{"code":404,"message":"Not Found "}"#,
    ));
    assert_eq!(
        report["findings"][0]["category"], "not_a_registry",
        "{report:#}"
    );
}

#[test]
fn too_many_requests_is_rate_limited_with_the_headers() {
    let (code, report) = check(servers::http_response(
        "429 Too Many Requests",
        &[
            ("Content-Type", "application/json"),
            ("RateLimit-Remaining", "0;w=21600"),
        ],
        r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}"#,
    ));
    assert_eq!(code, 1);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "rate_limited", "{report:#}");
    assert!(
        top["evidence"].to_string().contains("TOOMANYREQUESTS"),
        "{report:#}"
    );
}

#[test]
fn server_error_keeps_the_request_id() {
    let (_, report) = check(servers::http_response(
        "500 Internal Server Error",
        &[
            ("Content-Type", "application/json"),
            ("X-Request-Id", "req-7f3a9c"),
        ],
        r#"{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}"#,
    ));
    let top = &report["findings"][0];
    assert_eq!(top["category"], "registry_server_error", "{report:#}");
    assert!(
        top["evidence"].to_string().contains("req-7f3a9c"),
        "{report:#}"
    );
}

#[test]
fn a_registry_answer_passes() {
    let (code, report) = check(servers::registry_ok());
    assert_eq!(code, 0, "{report:#}");
}

/// A registry that answers `/v2/` but throttles the manifest, as Docker Hub does, with its quota
/// headers; and one that answers 200 with the quota, which goes into the summary.
#[test]
fn a_throttled_manifest_is_rate_limited_with_the_quota_shown() {
    let throttled = servers::route(None, |r: &servers::Request| {
        if r.target.contains("/manifests/") {
            servers::http_response(
                "429 Too Many Requests",
                &[
                    ("Content-Type", "application/json"),
                    ("RateLimit-Limit", "100;w=21600"),
                    ("RateLimit-Remaining", "0;w=21600"),
                ],
                r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}"#,
            )
        } else {
            servers::http_response("200 OK", &[("Content-Type", "application/json")], "{}")
        }
    });
    let run = Regdoctor::new()
        .args([
            "check",
            &format!("{}/library/app:1", throttled.addr),
            "--json",
        ])
        .run();
    let report = run.json();
    assert_eq!(run.code, 1);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "rate_limited", "{report:#}");
    assert_eq!(top["check"], "manifest", "{report:#}");
    assert!(
        crate::support::report::evidence_text(top)
            .contains("RateLimit: 0;w=21600 left of 100;w=21600"),
        "{report:#}"
    );

    let fine = servers::route(None, |r: &servers::Request| {
        let mut headers = vec![("Content-Type", "application/json")];
        if r.target.contains("/manifests/") {
            headers = vec![
                (
                    "Content-Type",
                    "application/vnd.docker.distribution.manifest.v2+json",
                ),
                ("RateLimit-Limit", "100;w=21600"),
                ("RateLimit-Remaining", "76;w=21600"),
            ];
        }
        servers::http_response("200 OK", &headers, "")
    });
    let run = Regdoctor::new()
        .args(["check", &format!("{}/library/app:1", fine.addr), "--json"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let manifest = crate::support::report::check(&run.json(), "manifest")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        manifest.contains("quota 76;w=21600 left of 100;w=21600"),
        "{manifest}"
    );
}

/// A policy refusal on the manifest (403 DENIED) is not a login problem.
#[test]
fn a_forbidden_manifest_is_a_scope_denial_with_the_body() {
    let srv = servers::route(None, |r: &servers::Request| {
        if r.target.contains("/manifests/") {
            servers::http_response(
                "403 Forbidden",
                &[("Content-Type", "application/json")],
                r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
            )
        } else {
            servers::http_response("200 OK", &[("Content-Type", "application/json")], "{}")
        }
    });
    let run = Regdoctor::new()
        .args(["check", &format!("{}/team/app:1", srv.addr), "--json"])
        .run();
    let report = run.json();
    assert_eq!(run.code, 1);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "auth_scope_denied", "{report:#}");
    assert_eq!(top["check"], "manifest", "{report:#}");
    assert!(
        crate::support::report::evidence_text(top).contains("403"),
        "{report:#}"
    );
}
