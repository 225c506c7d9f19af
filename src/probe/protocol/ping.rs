//! `ping`: `GET /v2/`, the registry API's front door. Status, API version header, and the
//! authentication challenge.

use std::sync::Arc;
use std::time::Duration;

use crate::net::http;
use crate::net::www_auth;
use crate::observe::Observation;
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;
use crate::rules::Severity;
use crate::target::Scheme;

pub const PROBE: ProbeDef = ProbeDef {
    id: "ping",
    doc: "GET /v2/: status, Docker-Distribution-API-Version, WWW-Authenticate challenge",
    needs: &["tls"],
    timeout: Duration::from_secs(6),
    on_timeout: Some("ping.stalled"),
    run,
};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let Some(transport) = ctx.board.transport.get().cloned() else {
        return ProbeResult::skip("no usable transport (see tls)");
    };
    let host = ctx.host();
    let scheme = match transport.scheme {
        Scheme::Https => "https",
        Scheme::Http => "http",
    };
    let url_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let url = format!("{scheme}://{url_host}:{}/v2/", ctx.port());
    let client = match ctx.registry_client(&transport) {
        Ok(c) => c,
        Err(e) => {
            return ProbeResult::fail(format!("cannot build an HTTP client: {e}"), Vec::new());
        }
    };
    let resp = match client.get(&url).send().await {
        Ok(r) => r,
        Err(e) => {
            let detail = http::describe_error(&e);
            let what = if e.is_timeout() {
                format!(
                    "connected, but no HTTP answer within {} ms",
                    REQUEST_TIMEOUT.as_millis()
                )
            } else {
                format!("no HTTP answer: {detail}")
            };
            return ProbeResult::fail(
                what.clone(),
                vec![
                    ctx.obs("ping.stalled")
                        .evidence("request", format!("GET {url}"))
                        .evidence("result", what),
                ],
            );
        }
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let api_version = header("docker-distribution-api-version");
    let content_type = header("content-type").unwrap_or_default();
    let challenges: Vec<String> = headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let (body, truncated, body_error) = http::capped_body_checked(resp).await;
    let body_text = String::from_utf8_lossy(&body);
    let snippet: String = body_text
        .chars()
        .take(200)
        .collect::<String>()
        .replace(['\n', '\r'], " ");

    let base = |key: &str| -> Observation {
        let mut o = ctx
            .obs(key)
            .evidence("request", format!("GET {url}"))
            .evidence("status", status.to_string());
        if let Some(v) = &api_version {
            o = o.evidence("Docker-Distribution-API-Version", v.clone());
        }
        if !content_type.is_empty() {
            o = o.evidence("Content-Type", content_type.clone());
        }
        for c in &challenges {
            o = o.evidence("WWW-Authenticate", c.clone());
        }
        for name in [
            "x-request-id",
            "x-trace-id",
            "x-acs-request-id",
            "x-harbor-csrf-token",
            "ratelimit-limit",
            "ratelimit-remaining",
            "docker-ratelimit-source",
            "retry-after",
            "location",
            "content-encoding",
            "server",
            "date",
        ] {
            if let Some(v) = header(name) {
                if name != "x-harbor-csrf-token" {
                    o = o.evidence(name, v);
                }
            }
        }
        if !snippet.trim().is_empty() {
            o = o.evidence(
                "body",
                format!(
                    "{}{}",
                    snippet.trim(),
                    if truncated || body_text.chars().count() > 200 {
                        " …"
                    } else {
                        ""
                    }
                ),
            );
        }
        o
    };
    let parsed = www_auth::parse(&challenges.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    // The headers that tell the product apart, for fitting the fixes to it.
    let product_headers: Vec<(String, String)> = [
        "docker-distribution-api-version",
        "server",
        "x-artifactory-id",
        "x-jfrog-version",
        "x-harbor-csrf-token",
        "www-authenticate",
    ]
    .iter()
    .filter_map(|n| header(n).map(|v| (n.to_string(), v)))
    .collect();
    let _ = ctx.board.ping.set(crate::probe::PingFacts {
        status: status.as_u16(),
        challenges: parsed,
        headers: product_headers,
    });
    let looks_html = content_type.contains("text/html")
        || body_text
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("<!doctype html")
        || body_text
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("<html");
    let code = status.as_u16();

    if let Some(err) = body_error {
        let what = format!("{status}, then the body broke off: {err}");
        return ProbeResult::fail(
            what.clone(),
            vec![base("ping.stalled").evidence("result", what)],
        );
    }
    if matches!(code, 200 | 401) && !looks_html {
        let mut result = ProbeResult::pass(String::new());
        let auth = match www_auth::parse(&challenges.iter().map(String::as_str).collect::<Vec<_>>())
        {
            _ if challenges.is_empty() => String::new(),
            Ok(list) if !list.is_empty() => list
                .iter()
                .map(|c| {
                    let mut s = c.scheme.clone();
                    if let Some(r) = c.realm() {
                        s.push_str(&format!(" realm={r}"));
                    }
                    if let Some(sv) = c.service() {
                        s.push_str(&format!(" service={sv}"));
                    }
                    s
                })
                .collect::<Vec<_>>()
                .join("; "),
            Ok(_) => String::new(),
            Err(e) => format!("unparseable WWW-Authenticate ({e})"),
        };
        result.summary = Some(format!(
            "{status}{}{}",
            api_version
                .as_ref()
                .map(|v| format!(", API {v}"))
                .unwrap_or_default(),
            if auth.is_empty() {
                String::new()
            } else {
                format!(", auth: {auth}")
            }
        ));
        if code == 401 {
            result.observations.push(base("ping.auth_required"));
        }
        if api_version.is_none() {
            result
                .observations
                .push(base("ping.missing_api_version_header").severity(Severity::Info));
        }
        return result;
    }

    // A 5xx is the server saying it is broken, whatever page its front dresses it in (nginx's
    // HTML "503 Service Temporarily Unavailable" on every path when the backend is down): a
    // registry with a dead backend, not something that is not a registry.
    let key = if looks_html && !(500..=599).contains(&code) {
        "ping.html"
    } else {
        match code {
            404 => "ping.not_found",
            429 => "ping.rate_limited",
            300..=399 => "ping.redirect",
            500..=599 => "ping.server_error",
            _ => "ping.unexpected_status",
        }
    };
    let result = ProbeResult::fail(format!("{status} from GET /v2/"), vec![base(key)]);
    if key == "ping.redirect" {
        return ProbeResult {
            status: Some(Status::Warn),
            ..result
        };
    }
    result
}

/// `http(s)://host:port/v2/` as the checks after TLS address the registry.
pub fn v2_url(ctx: &Ctx, transport: &crate::probe::Transport) -> String {
    let scheme = match transport.scheme {
        Scheme::Https => "https",
        Scheme::Http => "http",
    };
    let host = ctx.host();
    let url_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!("{scheme}://{url_host}:{}/v2/", ctx.port())
}
