//! `realm-path`: the token realm's host, examined like the registry's (DNS → TCP → TLS), so a
//! broken realm (the seeds' `unexpected EOF` from `dockerauth.<region>.aliyuncs.com`) is found
//! on the hop where it breaks, not reported as a vague login failure.
//!
//! Docker fetches tokens with the registry's own transport: the realm is verified with the
//! registry's certs.d CAs (plus the system roots), and skipped when the registry is insecure.

use std::sync::Arc;
use std::time::Duration;

use crate::probe::hop::{self, Hop, Role};
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};

pub const PROBE: ProbeDef = ProbeDef {
    id: "realm-path",
    doc: "the token realm's host from WWW-Authenticate: DNS, TCP to every address, TLS chain",
    needs: &["ping"],
    timeout: Duration::from_secs(9),
    on_timeout: Some("tls.handshake_stalled"),
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

/// The realm's URL, from the first Bearer challenge that names one.
pub fn realm_url(ctx: &Ctx) -> Option<url::Url> {
    let ping = ctx.board.ping.get()?;
    ping.challenges
        .iter()
        .filter(|c| c.is_bearer())
        .find_map(|c| c.realm())
        .and_then(|r| url::Url::parse(r).ok())
}

/// The roots Docker verifies the realm with: the system's plus the *registry's* certs.d folder
/// (moby builds the token handler on the registry endpoint's transport, whose TLS config was
/// loaded from `certs.d/<registry host:port>`); the realm's own folder is never read. A hook
/// for the `auth` check, which fetches the token.
pub fn docker_realm_trust(ctx: &Ctx) -> crate::net::trust::Trust {
    crate::net::trust::load(&ctx.opts.certs_dir, &ctx.target.registry.host_port())
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    if ctx.board.ping.get().is_none() {
        return ProbeResult::skip("ping left no answer to read a realm from");
    }
    let Some(url) = realm_url(ctx) else {
        return ProbeResult::pass("no Bearer realm: the registry hands out no tokens");
    };
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        other => return ProbeResult::skip(format!("realm scheme {other:?} is not HTTP")),
    };
    let Some(host) = url
        .host_str()
        .map(|h| h.trim_matches(['[', ']']).to_string())
    else {
        return ProbeResult::skip(format!("realm {url} names no host"));
    };
    let Some(port) = url.port_or_known_default() else {
        return ProbeResult::skip(format!("realm {url} has no port"));
    };
    let registry = Hop::registry(ctx);
    if host.eq_ignore_ascii_case(&registry.host) && port == registry.port {
        return ProbeResult::pass(format!(
            "{} is the registry's own host and port: the dns, tcp and tls checks cover it",
            registry.host_port()
        ));
    }
    let mut vars = registry.vars.clone();
    vars.insert("host".into(), host.clone());
    vars.insert("port".into(), port.to_string());
    vars.insert("realm_host".into(), host.clone());
    let realm = Hop {
        role: Role::Realm,
        host,
        port,
        // The registry's folder: Docker's token requests use the registry's TLS settings.
        certs_key: registry.certs_key.clone(),
        insecure: registry.insecure.clone(),
        explicitly_insecure: registry.explicitly_insecure,
        vars,
        daemon_config: registry.daemon_config.clone(),
    };
    let mut result = hop::examine(&ctx.opts, &realm, https).await;
    let proxy = hop::daemon_proxy_for(&ctx.opts, &url);
    if let Some(p) = &proxy {
        result.through_proxy(&realm, p);
    }
    let mut summary = format!("{}: {}", realm.label(), result.steps.join("; "));
    if !https {
        summary.push_str(" (plain HTTP realm: no TLS to check)");
    }
    if let Some(p) = proxy {
        summary.push_str(&format!(" (the daemon goes through {p})"));
    }
    ProbeResult {
        status: Some(result.status),
        summary: Some(summary),
        skip_reason: None,
        observations: result.observations,
    }
}
