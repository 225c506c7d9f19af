//! `auth`: the credentials Docker would use, and what the registry makes of them: Basic
//! against `/v2/`, or a Bearer token from the realm (anonymous, or with the credentials), with
//! the actions the token really grants. Sends credentials only to the registry and its realm,
//! and never over plain HTTP.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;

use super::{AuthGrant, Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::config::credentials::{self, Credentials, Lookup};
use crate::config::docker_config;
use crate::net::{http, jwt, tls_verify, trust};
use crate::observe::Observation;
use crate::report::Status;
use crate::report::redact::register_secret;
use crate::target::Scheme;

pub const PROBE: ProbeDef = ProbeDef {
    id: "auth",
    doc: "credentials as Docker finds them; Basic login or a Bearer token from the realm, and the scope it grants",
    needs: &["ping"],
    timeout: Duration::from_secs(8),
    on_timeout: Some("auth.realm_unreachable"),
    run,
};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

fn basic(c: &Credentials) -> String {
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.secret))
    );
    register_secret(&header["Basic ".len()..]);
    header
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let (Some(ping), Some(transport)) = (ctx.board.ping.get(), ctx.board.transport.get()) else {
        return ProbeResult::skip("no answer from /v2/ to work from");
    };
    if ping.status == 200 {
        let _ = ctx.board.auth.set(AuthGrant::default());
        return ProbeResult::pass("/v2/ needs no credentials");
    }
    if ping.status != 401 {
        return ProbeResult::skip(format!(
            "GET /v2/ answered {}, not a login challenge",
            ping.status
        ));
    }
    let creds = match &ctx.opts.cli_credentials {
        Some(c) => Lookup::Found(c.clone()),
        None => {
            let config = docker_config::read(&ctx.opts.docker_config_dir.join("config.json"))
                .ok()
                .flatten();
            let path: Vec<_> = ctx.opts.path_dirs.clone();
            credentials::find(config.as_ref(), &ctx.target.registry.config_key(), &path).await
        }
    };
    let (creds, creds_note) = match creds {
        Lookup::Found(c) => {
            let note = c.source.clone();
            (Some(c), note)
        }
        Lookup::None(why) => (None, format!("none ({why})")),
        Lookup::Failed(why) => (None, format!("none: {why}")),
    };
    let plain = transport.scheme == Scheme::Http;

    if let Some(ch) = ping.challenges.iter().find(|c| c.is_bearer()) {
        let realm = ch.realm().unwrap_or_default().to_string();
        let service = ch.service().map(str::to_string);
        return bearer(ctx, &realm, service, creds, &creds_note).await;
    }
    // Basic (or no usable challenge): the credentials go with each request.
    let Some(c) = creds else {
        return ProbeResult::fail(
            "the registry wants credentials and none are stored for it",
            vec![
                ctx.obs("auth.no_credentials")
                    .evidence("credentials", creds_note)
                    .evidence(
                        "WWW-Authenticate",
                        ping.challenges
                            .iter()
                            .map(|c| c.scheme.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
            ],
        );
    };
    if plain {
        let _ = ctx.board.auth.set(AuthGrant::default());
        return ProbeResult::fail(
            "credentials not sent: the registry speaks plain HTTP",
            vec![
                ctx.obs("auth.credentials_in_clear")
                    .evidence("credentials", creds_note)
                    .evidence(
                        "not sent",
                        "Basic credentials over plain HTTP can be read by anyone on the path",
                    ),
            ],
        );
    }
    let header = basic(&c);
    let client = match http::client(
        ctx.host(),
        transport.addr,
        transport.tls.clone(),
        REQUEST_TIMEOUT,
    ) {
        Ok(cl) => cl,
        Err(e) => {
            return ProbeResult::fail(format!("cannot build an HTTP client: {e}"), Vec::new());
        }
    };
    let url = super::ping::v2_url(ctx, transport);
    match client
        .get(&url)
        .header("Authorization", &header)
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => {
            let _ = ctx.board.auth.set(AuthGrant {
                header: Some(header),
                granted: None,
            });
            ProbeResult::pass(format!("Basic login accepted ({creds_note})"))
        }
        Ok(r) => {
            let mut obs = ctx
                .obs("auth.bad_credentials")
                .evidence("request", format!("GET {url} with Basic credentials"))
                .evidence("status", r.status().to_string());
            // Not followed: the credentials would travel with it (to another host, perhaps).
            if let Some(to) = r.headers().get("location").and_then(|v| v.to_str().ok()) {
                obs = obs.evidence(
                    "Location (not followed)",
                    to.chars().take(300).collect::<String>(),
                );
            }
            ProbeResult::fail(
                format!("Basic login refused: {}", r.status()),
                vec![obs.evidence("credentials", creds_note)],
            )
        }
        Err(e) => ProbeResult::fail(
            format!("no answer: {}", http::describe_error(&e)),
            Vec::new(),
        ),
    }
}

async fn bearer(
    ctx: &Ctx,
    realm: &str,
    service: Option<String>,
    creds: Option<Credentials>,
    creds_note: &str,
) -> ProbeResult {
    let Ok(mut url) = url::Url::parse(realm) else {
        return ProbeResult::fail(
            "the token realm is not a URL",
            vec![
                ctx.obs("auth.realm_unreachable")
                    .evidence("realm", realm.to_string()),
            ],
        );
    };
    let realm_host = url.host_str().unwrap_or_default().to_string();
    let mut observations: Vec<Observation> = Vec::new();
    let mut creds = creds;
    if url.scheme() == "http" && creds.is_some() {
        observations.push(
            ctx.obs("auth.credentials_in_clear")
                .var("realm_host", realm_host.clone())
                .evidence("realm", realm.to_string())
                .evidence("not sent", "the token realm is plain HTTP: credentials would cross the network in clear; asked anonymously instead"),
        );
        creds = None;
    }
    let repo = ctx.target.image.as_ref().map(|i| i.repository.clone());
    {
        let mut q = url.query_pairs_mut();
        if let Some(s) = &service {
            q.append_pair("service", s);
        }
        if let Some(r) = &repo {
            let actions = if ctx.opts.intends_push {
                "pull,push"
            } else {
                "pull"
            };
            q.append_pair("scope", &format!("repository:{r}:{actions}"));
        }
        if let Some(c) = creds.as_ref().filter(|c| !c.identity_token) {
            q.append_pair("account", &c.username);
        }
    }
    let realm_port = url.port_or_known_default().unwrap_or(443);
    let host_port = if url.port().is_some() {
        format!("{realm_host}:{realm_port}")
    } else {
        realm_host.clone()
    };
    let t = trust::load(&ctx.opts.certs_dir, &host_port);
    let tls = tls_verify::webpki(t.roots.clone())
        .ok()
        .and_then(|v| tls_verify::client_config(tls_verify::Judged::new(v, None, false)).ok());
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(3))
        .timeout(REQUEST_TIMEOUT);
    if let Some(tls) = tls {
        b = b.tls_backend_preconfigured(tls);
    }
    let Ok(client) = b.build() else {
        return ProbeResult::fail("cannot build an HTTP client", Vec::new());
    };
    let mut req = client.get(url.clone());
    if let Some(c) = &creds {
        req = req.header("Authorization", basic(c));
    }
    let shown_url = format!(
        "GET {}://{}{}?{}",
        url.scheme(),
        url.authority(),
        url.path(),
        url.query().unwrap_or("")
    );
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            observations.push(
                ctx.obs("auth.realm_unreachable")
                    .var("realm_host", realm_host.clone())
                    .evidence("realm request", shown_url)
                    .evidence("error", http::describe_error(&e)),
            );
            return ProbeResult::fail(
                format!("the token realm {realm_host} did not answer"),
                observations,
            );
        }
    };
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // Redirects are not followed (the credentials would go wherever the realm says), and a
    // compressed body is not inflated: both are shown, so the report says what the realm did.
    let extra_headers: Vec<(&str, String)> = ["Location", "Content-Encoding"]
        .into_iter()
        .filter_map(|h| {
            resp.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(|v| (h, v.chars().take(300).collect()))
        })
        .collect();
    let with_headers = |mut o: Observation| {
        for (h, v) in &extra_headers {
            o = o.evidence(*h, v.clone());
        }
        o
    };
    let (body, _) = http::capped_body(resp).await;
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let snippet: String = String::from_utf8_lossy(&body).chars().take(200).collect();
    if status.is_success() {
        let token = json
            .as_ref()
            .and_then(|v| v.get("token").or_else(|| v.get("access_token")))
            .and_then(|t| t.as_str())
            .map(str::to_string);
        let Some(token) = token else {
            observations.push(
                with_headers(
                    ctx.obs("auth.realm_not_json")
                        .var("realm_host", realm_host.clone())
                        .evidence("realm request", shown_url)
                        .evidence("status", status.to_string())
                        .evidence("Content-Type", content_type),
                )
                .evidence("body", snippet),
            );
            return ProbeResult::fail("the token realm answered without a token", observations);
        };
        register_secret(&token);
        let granted = repo.as_ref().and_then(|r| {
            jwt::decode_claims(&token)
                .ok()
                .map(|c| c.granted_actions("repository", r))
        });
        let who = match &creds {
            Some(_) => creds_note.to_string(),
            None => "anonymous".to_string(),
        };
        let _ = ctx.board.auth.set(AuthGrant {
            header: Some(format!("Bearer {token}")),
            granted: granted.clone(),
        });
        let mut result = ProbeResult {
            status: Some(if observations.is_empty() {
                Status::Pass
            } else {
                Status::Warn
            }),
            summary: Some(format!(
                "token from {realm_host} ({who}){}",
                match (&granted, &repo) {
                    (Some(g), Some(r)) => format!(", grants {r}: [{}]", g.join(",")),
                    _ => String::new(),
                }
            )),
            skip_reason: None,
            observations,
        };
        if let (Some(g), Some(r)) = (&granted, &repo) {
            if !g.iter().any(|a| a == "pull" || a == "*") {
                result.observations.push(
                    ctx.obs("auth.scope_denied")
                        .evidence("asked", format!("repository:{r}:pull"))
                        .evidence(
                            "granted",
                            if g.is_empty() {
                                "nothing".to_string()
                            } else {
                                g.join(",")
                            },
                        )
                        .evidence("as", who),
                );
                result.status = Some(Status::Fail);
            } else if ctx.opts.intends_push && !g.iter().any(|a| a == "push" || a == "*") {
                result.observations.push(
                    ctx.obs("auth.push_denied")
                        .evidence("asked", format!("repository:{r}:pull,push"))
                        .evidence("granted", g.join(","))
                        .evidence(
                            "meaning",
                            "the account may pull this repository but not push to it",
                        )
                        .evidence("as", who),
                );
                result.status = Some(Status::Fail);
            }
        }
        return result;
    }
    let key = if matches!(status.as_u16(), 401 | 403) {
        if creds.is_some() {
            "auth.bad_credentials"
        } else {
            "auth.no_credentials"
        }
    } else if json.is_none() {
        "auth.realm_not_json"
    } else {
        "auth.realm_unreachable"
    };
    observations.push(
        with_headers(
            ctx.obs(key)
                .var("realm_host", realm_host.clone())
                .evidence("realm request", shown_url)
                .evidence("status", status.to_string()),
        )
        .evidence("credentials", creds_note.to_string())
        .evidence("body", snippet),
    );
    ProbeResult::fail(format!("the token realm answered {status}"), observations)
}
