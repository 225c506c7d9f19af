//! `mirror-path`: every `registry-mirrors` entry examined like the registry (DNS → TCP → TLS),
//! so a mirror that fails is located on its hop. Docker falls back to the next mirror and then
//! to Docker Hub, so a broken mirror is a warning: pulls still work, slowly, or fail where
//! Docker Hub is blocked (the `mirrors` check says whether the mirror applies at all).

use std::sync::Arc;
use std::time::Duration;

use crate::probe::hop::{self, Hop, Role};
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;
use crate::rules::Severity;

pub const PROBE: ProbeDef = ProbeDef {
    id: "mirror-path",
    doc: "each registry-mirrors host: DNS, TCP to every address, TLS chain judged for that mirror",
    needs: &[],
    timeout: Duration::from_secs(9),
    on_timeout: Some("tls.handshake_stalled"),
    run,
};

/// Mirrors examined at once; more are listed as not examined.
const MAX_MIRRORS: usize = 4;

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(ctx).await })
}

/// A hop for a mirror URL as daemon.json holds it; `None` for an entry dockerd would refuse
/// (the `daemon-config` check reports those).
pub fn mirror_hop(ctx: &Ctx, entry: &str) -> Option<(Hop, bool)> {
    let with_scheme = if entry.contains("://") {
        entry.to_string()
    } else {
        format!("https://{entry}")
    };
    let url = url::Url::parse(&with_scheme).ok()?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let host = url.host_str()?.trim_matches(['[', ']']).to_string();
    let port = url.port_or_known_default()?;
    // Docker's certs.d folder for a mirror is the URL's host[:port] as written.
    let certs_key = match url.port() {
        Some(p) if host.contains(':') => format!("[{host}]:{p}"),
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let mut vars = ctx.vars();
    vars.insert("registry".into(), certs_key.clone());
    vars.insert("host".into(), host.clone());
    vars.insert("port".into(), port.to_string());
    vars.insert("mirror".into(), entry.to_string());
    let insecure = hop::insecure_reason_for(&certs_key, &host, &[], &ctx.opts.insecure_registries);
    Some((
        Hop {
            role: Role::Mirror,
            explicitly_insecure: insecure
                .as_deref()
                .is_some_and(|r| !r.starts_with("loopback")),
            insecure,
            host,
            port,
            certs_key,
            vars,
            daemon_config: ctx.opts.daemon_config_path.display().to_string(),
        },
        https,
    ))
}

async fn probe(ctx: Arc<Ctx>) -> ProbeResult {
    let mirrors = &ctx.opts.registry_mirrors;
    if mirrors.is_empty() {
        return ProbeResult::pass("no registry-mirrors configured");
    }
    let hops: Vec<(Hop, bool)> = mirrors
        .iter()
        .take(MAX_MIRRORS)
        .filter_map(|m| mirror_hop(&ctx, m))
        .collect();
    let mut set = tokio::task::JoinSet::new();
    for (i, (h, https)) in hops.iter().cloned().enumerate() {
        let ctx = ctx.clone();
        set.spawn(async move {
            let mut r = hop::examine(&ctx.opts, &h, https).await;
            let scheme = if https { "https" } else { "http" };
            let url = url::Url::parse(&format!("{scheme}://{}/v2/", h.host_port()));
            if let Some(p) = url.ok().and_then(|u| hop::daemon_proxy_for(&ctx.opts, &u)) {
                r.through_proxy(&h, &p);
            }
            (i, r)
        });
    }
    let mut results = set.join_all().await;
    results.sort_by_key(|(i, _)| *i);
    let results = results.into_iter().map(|(_, r)| r);
    let mut status = Status::Pass;
    let mut summary = Vec::new();
    let mut observations = Vec::new();
    for ((h, _), r) in hops.iter().zip(results) {
        summary.push(format!("{}: {}", h.label(), r.steps.join("; ")));
        if r.status == Status::Fail {
            status = status.max(Status::Warn);
        } else {
            status = status.max(r.status);
        }
        for o in r.observations {
            // Docker falls back past a failing mirror: at most a warning.
            let o = match o.severity {
                Some(Severity::Info) => o,
                _ => o.severity(Severity::Warning),
            };
            observations.push(o);
        }
    }
    if mirrors.len() > MAX_MIRRORS {
        summary.push(format!(
            "{} more mirror(s) not examined",
            mirrors.len() - MAX_MIRRORS
        ));
    }
    ProbeResult {
        status: Some(status),
        summary: Some(summary.join(" | ")),
        skip_reason: None,
        observations,
    }
}
