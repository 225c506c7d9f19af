//! `manifest`: does the image exist, and may this account pull it? `HEAD` of the manifest with
//! what `auth` obtained; a 404 is told apart (repository missing or tag missing) with
//! `tags/list`, because distribution answers MANIFEST_UNKNOWN for both.

use std::sync::Arc;
use std::time::Duration;

use super::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::net::{http, www_auth};

pub const PROBE: ProbeDef = ProbeDef {
    id: "manifest",
    doc: "HEAD the image manifest (read-only); tell a missing repository from a missing tag",
    needs: &["auth"],
    timeout: Duration::from_secs(6),
    on_timeout: None,
    run,
};

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let Some(image) = ctx.target.image.clone() else {
        return ProbeResult::skip("the target names no image");
    };
    let (Some(transport), Some(grant)) = (ctx.board.transport.get(), ctx.board.auth.get()) else {
        return ProbeResult::skip("no credentials decision to work with");
    };
    let reference = image
        .digest
        .clone()
        .or(image.tag.clone())
        .unwrap_or_else(|| "latest".into());
    let base = super::ping::v2_url(ctx, transport);
    let url = format!("{base}{}/manifests/{reference}", image.repository);
    let Ok(client) = http::client(
        ctx.host(),
        transport.addr,
        transport.tls.clone(),
        REQUEST_TIMEOUT,
    ) else {
        return ProbeResult::fail("cannot build an HTTP client", Vec::new());
    };
    let with_auth = |r: reqwest::RequestBuilder| match &grant.header {
        Some(h) => r.header("Authorization", h),
        None => r,
    };
    let resp = match with_auth(client.head(&url).header("Accept", ACCEPT))
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            return ProbeResult::fail(
                format!("no answer: {}", http::describe_error(&e)),
                Vec::new(),
            );
        }
    };
    let status = resp.status();
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (media, digest) = (header("content-type"), header("docker-content-digest"));
    let challenge = header("www-authenticate");
    let request_id = header("x-request-id");
    let obs = |key: &str| {
        let mut o = ctx
            .obs(key)
            .evidence("request", format!("HEAD {url}"))
            .evidence("status", status.to_string());
        if !challenge.is_empty() {
            o = o.evidence("WWW-Authenticate", challenge.clone());
        }
        if !request_id.is_empty() {
            o = o.evidence("X-Request-Id", request_id.clone());
        }
        o
    };
    match status.as_u16() {
        200 => ProbeResult::pass(format!(
            "{} present: {media}{}",
            image.repository,
            if digest.is_empty() {
                String::new()
            } else {
                format!(", {digest}")
            }
        )),
        401 => {
            let insufficient = www_auth::parse(&[challenge.as_str()])
                .ok()
                .is_some_and(|c| c.iter().any(|c| c.error() == Some("insufficient_scope")));
            let key = if insufficient {
                "manifest.scope_denied"
            } else {
                "manifest.unauthorized"
            };
            ProbeResult::fail(format!("{status} on the manifest"), vec![obs(key)])
        }
        403 => ProbeResult::fail(
            format!("{status} on the manifest"),
            vec![obs("manifest.denied")],
        ),
        404 => {
            // Repository or tag? tags/list answers NAME_UNKNOWN for a missing repository.
            let tags_url = format!("{base}{}/tags/list?n=20", image.repository);
            let tags = with_auth(client.get(&tags_url)).send().await;
            let (tag_status, body) = match tags {
                Ok(r) => {
                    let s = r.status().as_u16();
                    (s, http::capped_body(r).await.0)
                }
                Err(_) => (0, Vec::new()),
            };
            let listed: Vec<String> = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("tags").and_then(|t| t.as_array().cloned()))
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if tag_status == 200 {
                ProbeResult::fail(
                    format!("{}: no {reference}", image.repository),
                    vec![obs("manifest.tag_not_found").evidence(
                        "tags in the repository",
                        if listed.is_empty() {
                            "none".into()
                        } else {
                            listed.join(", ")
                        },
                    )],
                )
            } else {
                ProbeResult::fail(
                    format!("{} does not exist", image.repository),
                    vec![
                        obs("manifest.repo_not_found")
                            .evidence(format!("GET {tags_url}"), format!("status {tag_status}")),
                    ],
                )
            }
        }
        429 => ProbeResult::fail(format!("{status}"), vec![obs("manifest.rate_limited")]),
        500..=599 => ProbeResult::fail(format!("{status}"), vec![obs("manifest.server_error")]),
        _ => ProbeResult::fail(
            format!("unexpected {status}"),
            vec![obs("manifest.server_error")],
        ),
    }
}
