//! `mirrors`: the daemon's `registry-mirrors`, live. Docker uses a mirror only for Docker Hub
//! images and silently falls back to Docker Hub when the mirror fails, so "mirror configured
//! but not used" is the most common complaint: each mirror is asked `GET /v2/` here.

use std::sync::Arc;
use std::time::Duration;

use super::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::net::http;
use crate::observe::Observation;
use crate::report::Status;
use crate::rules::Severity;

pub const PROBE: ProbeDef = ProbeDef {
    id: "mirrors",
    doc: "each registry-mirrors entry: does it answer /v2/, and does it apply to this image at all",
    needs: &[],
    timeout: Duration::from_secs(6),
    on_timeout: Some("mirrors.unreachable"),
    run,
};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(4);

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

/// A registry's own address listed as a mirror (the seeds' classic ACR mistake): mirrors are
/// accelerators that serve Docker Hub content, like `<id>.mirror.aliyuncs.com`.
fn looks_like_a_registry(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    (h.starts_with("registry.") || h.starts_with("registry-vpc.")) && h.ends_with(".aliyuncs.com")
        || h.starts_with("swr.") && h.ends_with(".myhuaweicloud.com")
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let mirrors = &ctx.opts.registry_mirrors;
    if mirrors.is_empty() {
        return ProbeResult::pass("no registry-mirrors configured");
    }
    let mut observations: Vec<Observation> = Vec::new();
    let hub = ctx.target.registry.docker_hub;
    if !hub {
        observations.push(
            ctx.obs("mirrors.not_used_for_target")
                .severity(Severity::Info)
                .evidence("target", ctx.target.registry.host_port())
                .evidence("registry-mirrors", mirrors.join(", "))
                .evidence("docker", "mirrors apply only to Docker Hub images; this pull goes to the registry itself"),
        );
    } else if ctx
        .target
        .image
        .as_ref()
        .is_some_and(|i| i.digest.is_some())
    {
        observations.push(
            ctx.obs("mirrors.not_used_for_target")
                .severity(Severity::Info)
                .evidence("target", ctx.target.reference())
                .evidence("note", "the mirror is tried for a digest too, but a mirror that does not hold it sends Docker back to Docker Hub"),
        );
    }
    // Mirrors are trusted like any registry: system roots (certs.d entries are per registry and
    // checked by the tls check when the mirror itself is the target).
    let roots = crate::net::trust::system();
    let mut builder = reqwest::Client::builder();
    if let Some(config) = crate::net::tls_verify::webpki(roots).ok().and_then(|v| {
        crate::net::tls_verify::client_config(crate::net::tls_verify::Judged::new(v, None, false))
            .ok()
    }) {
        builder = builder.tls_backend_preconfigured(config);
    }
    let client = builder
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(3))
        .timeout(REQUEST_TIMEOUT)
        .build();
    let Ok(client) = client else {
        return ProbeResult::fail("cannot build an HTTP client", observations);
    };
    let mut summary = Vec::new();
    let mut failing = false;
    for m in mirrors {
        let with_scheme = if m.contains("://") {
            m.clone()
        } else {
            format!("https://{m}")
        };
        let Ok(url) = url::Url::parse(&with_scheme) else {
            continue;
        };
        let host = url.host_str().unwrap_or_default().to_string();
        if looks_like_a_registry(&host) {
            observations.push(
                ctx.obs("mirrors.registry_as_mirror")
                    .evidence("registry-mirrors entry", m.clone())
                    .evidence("why", format!("{host} is a registry address, not an accelerator: it does not serve Docker Hub's images"))
                    .var("mirror", m.clone()),
            );
            failing = true;
            // Wrong whatever it answers: no request is needed to say so.
            continue;
        }
        let v2 = format!("{}/v2/", with_scheme.trim_end_matches('/'));
        match client.get(&v2).send().await {
            Ok(r) if matches!(r.status().as_u16(), 200 | 401) => {
                summary.push(format!("{m}: {}", r.status()))
            }
            Ok(r) => {
                summary.push(format!("{m}: {}", r.status()));
                observations.push(
                    ctx.obs("mirrors.unreachable")
                        .evidence("request", format!("GET {v2}"))
                        .evidence("status", r.status().to_string())
                        .var("mirror", m.clone()),
                );
                failing = true;
            }
            Err(e) => {
                summary.push(format!("{m}: no answer"));
                observations.push(
                    ctx.obs("mirrors.unreachable")
                        .evidence("request", format!("GET {v2}"))
                        .evidence("error", http::describe_error(&e))
                        .evidence("docker", "the daemon tries the next mirror, then Docker Hub itself: pulls work but slowly, or fail where Docker Hub is blocked")
                        .var("mirror", m.clone()),
                );
                failing = true;
            }
        }
    }
    ProbeResult {
        status: Some(if failing { Status::Warn } else { Status::Pass }),
        summary: Some(summary.join("; ")),
        skip_reason: None,
        observations,
    }
}
