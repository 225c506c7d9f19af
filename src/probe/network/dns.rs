//! `dns`: does the registry host resolve, from where, and to what. The work is the DNS step of
//! [`super::hop`], shared with the realm and mirror hops.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::probe::hop::{self, Hop};
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};

pub const PROBE: ProbeDef = ProbeDef {
    id: "dns",
    doc: "resolve the registry host: /etc/hosts, then the DNS servers of /etc/resolv.conf",
    needs: &[],
    timeout: Duration::from_secs(5),
    on_timeout: Some("dns.timeout"),
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let hop = Hop::registry(ctx);
    match hop::resolve(&ctx.opts, &hop).await {
        Ok(resolved) => {
            let list: Vec<SocketAddr> = resolved
                .addrs
                .iter()
                .map(|ip| SocketAddr::new(*ip, hop.port))
                .collect();
            let _ = ctx.board.addrs.set(list);
            ProbeResult {
                status: Some(resolved.status),
                summary: Some(resolved.summary),
                skip_reason: None,
                observations: resolved.notes,
            }
        }
        Err((summary, obs)) => ProbeResult::fail(summary, vec![obs]),
    }
}
