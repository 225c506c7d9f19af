//! `push`: may this account push to the repository? By default only from what the token
//! grants (no request is written). With `--probe-push`, by starting a blob upload and
//! cancelling it at once: the only write regdoctor ever sends, and it says whether the cancel
//! worked.

use std::sync::Arc;
use std::time::Duration;

use crate::net::{http, www_auth};
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;
use crate::rules::Severity;

pub const PROBE: ProbeDef = ProbeDef {
    id: "push",
    doc: "push permission: read from the token; with --probe-push, an upload started and cancelled",
    needs: &["auth"],
    timeout: Duration::from_secs(6),
    on_timeout: None,
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

fn may_push(granted: &[String]) -> bool {
    granted.iter().any(|a| a == "push" || a == "*")
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let Some(image) = ctx.target.image.as_ref() else {
        return ProbeResult::skip("the target names no repository");
    };
    let Some(grant) = ctx.board.auth.get() else {
        return ProbeResult::skip("no credentials decision to work with");
    };
    let repo = &image.repository;
    if ctx.opts.probe_push {
        return probe_upload(ctx, repo).await;
    }
    match &grant.push_granted {
        Some(g) if may_push(g) => {
            ProbeResult::pass(format!("the token grants push on {repo} ({})", grant.who))
        }
        Some(g) if ctx.opts.intends_push => ProbeResult::fail(
            format!("the token does not grant push on {repo}"),
            vec![
                ctx.obs("push.denied")
                    .evidence("asked", format!("repository:{repo}:pull,push"))
                    .evidence(
                        "granted",
                        if g.is_empty() {
                            "nothing".into()
                        } else {
                            g.join(",")
                        },
                    )
                    .evidence("as", grant.who.clone()),
            ],
        ),
        Some(g) => ProbeResult {
            status: Some(Status::Pass),
            summary: Some(format!(
                "{} may {} {repo}, not push",
                grant.who,
                if g.is_empty() {
                    "not even pull".to_string()
                } else {
                    g.join(",")
                }
            )),
            skip_reason: None,
            observations: vec![
                ctx.obs("push.not_granted")
                    .severity(Severity::Info)
                    .evidence("asked", format!("repository:{repo}:pull,push"))
                    .evidence("granted", g.join(","))
                    .evidence("as", grant.who.clone()),
            ],
        },
        None if grant.header.is_none() => ProbeResult::skip(
            "anonymous access: pushing needs a login (`docker login`), then --push",
        ),
        None => ProbeResult::skip(
            "the registry's login does not say what it grants; --probe-push tries an upload and cancels it",
        ),
    }
}

async fn probe_upload(ctx: &Ctx, repo: &str) -> ProbeResult {
    let (Some(transport), Some(grant)) = (ctx.board.transport.get(), ctx.board.auth.get()) else {
        return ProbeResult::skip("no transport to the registry");
    };
    let Ok(client) = ctx.registry_client(transport) else {
        return ProbeResult::fail("cannot build an HTTP client", Vec::new());
    };
    let with_auth = |r| grant.authorize(r);
    let base = crate::probe::ping::v2_url(ctx, transport);
    let url = format!("{base}{repo}/blobs/uploads/");
    let resp = match with_auth(client.post(&url).header("Content-Length", "0"))
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            return ProbeResult::fail(
                format!("no answer to the upload: {}", http::describe_error(&e)),
                Vec::new(),
            );
        }
    };
    let status = resp.status();
    let header = |n: &str| http::header(&resp, n);
    let (location, challenge) = (header("location"), header("www-authenticate"));
    let (body, _) = http::capped_body(resp).await;
    let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
    let obs = |key: &str| {
        let mut o = ctx
            .obs(key)
            .evidence("request", format!("POST {url} (--probe-push)"))
            .evidence("status", status.to_string())
            .evidence("as", grant.who.clone());
        if !challenge.is_empty() {
            o = o.evidence("WWW-Authenticate", challenge.clone());
        }
        if !text.is_empty() {
            o = o.evidence("body", text.clone());
        }
        o
    };
    match status.as_u16() {
        202 => cancel(ctx, &client, grant.header.as_deref(), &base, &location, repo).await,
        401 | 403 => {
            let scope = www_auth::parse(&[challenge.as_str()])
                .ok()
                .is_some_and(|c| c.iter().any(|c| c.error() == Some("insufficient_scope")));
            let note = if scope {
                "the token lacks push on this repository"
            } else {
                "the registry refused the write"
            };
            ProbeResult::fail(
                format!("push refused: {status}"),
                vec![obs("push.denied").evidence("meaning", note)],
            )
        }
        // distribution in proxy (pull-through cache) mode: 405 with UNSUPPORTED.
        405 => ProbeResult::fail(
            format!("the registry does not accept pushes: {status}"),
            vec![obs("push.unsupported")],
        ),
        404 if text.contains("NAME_UNKNOWN") || text.contains("NAMESPACE") => ProbeResult::fail(
            format!("push refused: {status}"),
            vec![obs("push.denied").evidence(
                "meaning",
                "the repository's namespace or project does not exist, or this account may not create it",
            )],
        ),
        _ if text.contains("UNSUPPORTED") => ProbeResult::fail(
            format!("the registry does not accept pushes: {status}"),
            vec![obs("push.unsupported")],
        ),
        _ => ProbeResult::fail(
            format!("unexpected {status} to the upload"),
            vec![obs("push.server_error")],
        ),
    }
}

/// Cancels the upload just started (`DELETE` of its Location), and says whether that worked: an
/// upload left behind is harmless (the registry purges it) but the user should know.
async fn cancel(
    ctx: &Ctx,
    client: &reqwest::Client,
    authorization: Option<&str>,
    base: &str,
    location: &str,
    repo: &str,
) -> ProbeResult {
    // Location may be absolute or a path; either way it must point back at this registry,
    // because the Authorization header goes with it.
    let Ok(base_url) = url::Url::parse(base) else {
        return ProbeResult::fail("internal error: bad base URL", Vec::new());
    };
    let target = base_url.join(location).ok().filter(|u| {
        u.host_str() == base_url.host_str()
            && u.port_or_known_default() == base_url.port_or_known_default()
    });
    let Some(target) = target else {
        return ProbeResult {
            status: Some(Status::Warn),
            summary: Some(format!(
                "push allowed on {repo}; the upload could not be cancelled (its Location is elsewhere)"
            )),
            skip_reason: None,
            observations: vec![
                ctx.obs("push.cancel_failed")
                    .severity(Severity::Warning)
                    .evidence("Location", location.to_string()),
            ],
        };
    };
    let shown = format!(
        "{}://{}{}",
        target.scheme(),
        target.authority(),
        target.path()
    );
    let mut delete = client.delete(target.clone());
    if let Some(h) = authorization {
        delete = delete.header("Authorization", h);
    }
    match delete.send().await {
        Ok(r) if r.status().is_success() => ProbeResult::pass(format!(
            "push allowed on {repo}: an upload was started and cancelled (DELETE {shown}: {})",
            r.status()
        )),
        Ok(r) => ProbeResult {
            // Refused for want of the `delete` action: nothing was written, and an empty upload
            // session is purged by the registry; worth knowing, not a problem.
            status: Some(if matches!(r.status().as_u16(), 401 | 403) {
                Status::Pass
            } else {
                Status::Warn
            }),
            summary: Some(format!(
                "push allowed on {repo}; cancelling the upload answered {}",
                r.status()
            )),
            skip_reason: None,
            observations: vec![
                ctx.obs("push.cancel_failed")
                    .severity(if matches!(r.status().as_u16(), 401 | 403) {
                        Severity::Info
                    } else {
                        Severity::Warning
                    })
                    .evidence("request", format!("DELETE {shown}"))
                    .evidence("status", r.status().to_string()),
            ],
        },
        Err(e) => ProbeResult {
            status: Some(Status::Warn),
            summary: Some(format!("push allowed on {repo}; the cancel got no answer")),
            skip_reason: None,
            observations: vec![
                ctx.obs("push.cancel_failed")
                    .severity(Severity::Warning)
                    .evidence("request", format!("DELETE {shown}"))
                    .evidence("error", http::describe_error(&e)),
            ],
        },
    }
}
