//! `server`: which product answers, where it says so, because that changes the advice. Harbor
//! answers `/api/v2.0/systeminfo` without a login; with the user's credentials its project API
//! then tells "the project does not exist" (which the registry API reports as a bare
//! `unauthorized`) from "not allowed", and whether the project is a proxy cache (read-only).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;

use crate::config::credentials::Lookup;
use crate::net::http;
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;
use crate::target::Scheme;

pub const PROBE: ProbeDef = ProbeDef {
    id: "server",
    doc: "which product answers (Harbor: version, whether the project exists, proxy-cache projects)",
    needs: &["ping"],
    timeout: Duration::from_secs(5),
    on_timeout: None,
    run,
};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(4);

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

async fn get_json(
    client: &reqwest::Client,
    url: &str,
    authorization: Option<&str>,
) -> Option<(u16, Option<serde_json::Value>)> {
    let mut req = client
        .get(url)
        .timeout(REQUEST_TIMEOUT)
        .header("Accept", "application/json");
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    let resp = req.send().await.ok()?;
    let status = resp.status().as_u16();
    let (body, _) = http::capped_body(resp).await;
    Some((status, serde_json::from_slice(&body).ok()))
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let Some(transport) = ctx.board.transport.get() else {
        return ProbeResult::skip("no transport to the registry");
    };
    let Ok(client) = ctx.registry_client(transport) else {
        return ProbeResult::fail("cannot build an HTTP client", Vec::new());
    };
    let v2 = crate::probe::ping::v2_url(ctx, transport);
    let api = v2.trim_end_matches("/v2/").to_string() + "/api/v2.0";
    let version = match get_json(&client, &format!("{api}/systeminfo"), None).await {
        Some((200, Some(v))) => v
            .get("harbor_version")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        _ => None,
    };
    let _ = ctx.board.harbor.set(version.is_some());
    let Some(version) = version else {
        return ProbeResult::pass("no product API regdoctor knows (not Harbor)");
    };
    let harbor = format!("Harbor {version}");
    let Some(image) = ctx.target.image.as_ref() else {
        return ProbeResult::pass(harbor);
    };
    let Some((project, _)) = image.repository.split_once('/') else {
        return ProbeResult::pass(format!(
            "{harbor}; `{}` names no project (Harbor wants <project>/<repository>)",
            image.repository
        ));
    };
    // The user's own credentials, to this host only and only over TLS (as the auth check).
    let lookup = ctx.credentials().await;
    let basic = match (&lookup, &transport.scheme) {
        (Lookup::Found(c), &Scheme::Https) if !c.identity_token => Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", c.username, c.secret))
        )),
        _ => None,
    };
    if let Some(b) = &basic {
        crate::report::redact::register_secret(&b["Basic ".len()..]);
    }
    let who = match (&lookup, &basic) {
        (Lookup::Found(c), Some(_)) => c.source.clone(),
        _ => "anonymous".to_string(),
    };
    let url = format!("{api}/projects/{project}");
    let Some((status, body)) = get_json(&client, &url, basic.as_deref()).await else {
        return ProbeResult::pass(format!("{harbor}; its project API did not answer"));
    };
    match status {
        200 => {
            let proxy_cache = body
                .as_ref()
                .and_then(|b| b.get("registry_id"))
                .is_some_and(|r| r.as_i64().is_some_and(|id| id > 0));
            if proxy_cache && ctx.opts.intends_push {
                return ProbeResult::fail(
                    format!("{harbor}: project {project} is a proxy cache; it cannot be pushed to"),
                    vec![
                        ctx.obs("server.harbor_proxy_cache")
                            .evidence("product", harbor.clone())
                            .evidence("request", format!("GET {url}"))
                            .evidence(
                                "project",
                                format!("{project}: proxy cache (registry_id set)"),
                            )
                            .var("project", project.to_string()),
                    ],
                );
            }
            ProbeResult::pass(format!(
                "{harbor}; project {project} exists{}",
                if proxy_cache { " (a proxy cache)" } else { "" }
            ))
        }
        404 => ProbeResult::fail(
            format!("{harbor}: project {project} does not exist"),
            vec![
                ctx.obs("server.harbor_project_missing")
                    .evidence("product", harbor.clone())
                    .evidence("request", format!("GET {url}"))
                    .evidence("status", "404 Not Found".to_string())
                    .evidence("as", who)
                    .var("project", project.to_string()),
            ],
        ),
        s => ProbeResult {
            status: Some(Status::Pass),
            summary: Some(format!(
                "{harbor}; project {project}: {s} as {who} (existence unknown without a login that may see it)"
            )),
            ..Default::default()
        },
    }
}
