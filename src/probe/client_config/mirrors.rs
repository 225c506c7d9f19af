//! `mirrors`: the daemon's `registry-mirrors`, live. Docker uses a mirror only for Docker Hub
//! images and silently falls back to Docker Hub when the mirror fails, so "mirror configured
//! but not used" is the most common complaint: each mirror is asked `GET /v2/` here.

use std::sync::Arc;
use std::time::Duration;

use crate::net::http;
use crate::observe::Observation;
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
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
        if ctx.opts.offline {
            summary.push(format!("{m}: not contacted (--offline)"));
            continue;
        }
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
            Ok(r) if r.status().as_u16() == 401 && hub => {
                summary.push(format!("{m}: {} (wants a login)", r.status()));
                if let Some(o) = login_not_sent(ctx, m, &host, &url) {
                    observations.push(o.evidence("request", format!("GET {v2}: 401")));
                    failing = true;
                }
            }
            Ok(r) if r.status().as_u16() == 200 && hub => {
                match serves_image(ctx, &client, &v2).await {
                    Some((true, what)) => {
                        let _ = ctx.board.mirror_serves.set(m.clone());
                        summary.push(format!("{m}: 200, serves {what}"));
                    }
                    Some((false, what)) => {
                        summary.push(format!("{m}: 200, but not {what}"));
                        observations.push(
                            ctx.obs("mirrors.image_missing")
                                .severity(Severity::Warning)
                                .evidence("request", format!("HEAD {v2}{what}"))
                                .evidence("status", "404 Not Found")
                                .evidence("docker", "the daemon falls back to Docker Hub for this image: the mirror saves nothing, and the pull fails where Docker Hub is blocked")
                                .var("mirror", m.clone()),
                        );
                        failing = true;
                    }
                    None => {
                        // No image named: a mirror that answers as a registry is what Docker
                        // talks to for Docker Hub.
                        if ctx.target.image.is_none() {
                            let _ = ctx.board.mirror_serves.set(m.clone());
                        }
                        summary.push(format!("{m}: 200"));
                    }
                }
            }
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

/// The seeds' mirror-login case: Docker authenticates a Docker Hub pull with the Docker Hub
/// entry of config.json even when the pull goes to a mirror, so a mirror that wants a login
/// gets none unless its credentials also sit under `https://index.docker.io/v1/`.
fn login_not_sent(ctx: &Ctx, mirror: &str, host: &str, url: &url::Url) -> Option<Observation> {
    use crate::config::docker_config;
    let path = ctx.opts.docker_config_dir.join("config.json");
    let config = docker_config::read(&path).ok().flatten();
    let auths = config.as_ref().map(|c| &c.auths);
    let host_port = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let find = |key: &str| {
        let want = docker_config::normalise_key(key);
        auths.and_then(|a| {
            a.iter()
                .find(|(k, _)| docker_config::normalise_key(k) == want)
                .and_then(|(_, e)| e.auth.clone())
        })
    };
    let for_mirror = find(&host_port);
    let for_hub = find("https://index.docker.io/v1/");
    let evidence = match (&for_mirror, &for_hub) {
        (Some(m), Some(h)) if m == h => return None,
        (Some(_), Some(_)) => {
            "config.json holds a login for the mirror and a different one for Docker Hub; pulls send the Docker Hub one"
        }
        (Some(_), None) => {
            "config.json holds a login for the mirror only; pulls of Docker Hub images send none"
        }
        (None, _) => "config.json holds no login for the mirror",
    };
    Some(
        ctx.obs("mirrors.auth_not_sent")
            .evidence("mirror", mirror.to_string())
            .evidence("config.json", format!("{}: {evidence}", path.display()))
            .var("mirror", host_port),
    )
}

/// Does the mirror hold the target image? A `HEAD` of its manifest, anonymous as Docker's
/// mirror requests are; `None` when it cannot tell (no image, or an answer other than 200/404).
async fn serves_image(ctx: &Ctx, client: &reqwest::Client, v2: &str) -> Option<(bool, String)> {
    let image = ctx.target.image.as_ref()?;
    let reference = image
        .digest
        .clone()
        .or(image.tag.clone())
        .unwrap_or_else(|| "latest".into());
    let what = format!("{}/manifests/{reference}", image.repository);
    let resp = client
        .head(format!("{v2}{what}"))
        .header(
            "Accept",
            "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
        )
        .send()
        .await
        .ok()?;
    match resp.status().as_u16() {
        200 => Some((true, what)),
        404 => Some((false, what)),
        _ => None,
    }
}
