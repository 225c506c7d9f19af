//! `tcp`: can a connection be opened to each resolved address, and how fast.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::observe::Observation;
use crate::probe::hop::{Connected, Hop};
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};

pub const PROBE: ProbeDef = ProbeDef {
    id: "tcp",
    doc: "connect to every resolved address of the registry (IPv4 and IPv6), with latency",
    needs: &["dns"],
    timeout: Duration::from_secs(4),
    on_timeout: Some("tcp.timeout"),
    run,
};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A host with dozens of A records is not made slower by them.
const MAX_ADDRS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectError {
    Refused,
    Timeout,
    Unreachable,
    Reset,
    Other,
}

impl ConnectError {
    pub fn key(self) -> &'static str {
        match self {
            ConnectError::Refused => "tcp.refused",
            ConnectError::Timeout => "tcp.timeout",
            ConnectError::Unreachable | ConnectError::Other => "tcp.unreachable",
            ConnectError::Reset => "tcp.reset",
        }
    }

    pub fn classify(e: &std::io::Error) -> ConnectError {
        match e.kind() {
            ErrorKind::ConnectionRefused => ConnectError::Refused,
            ErrorKind::TimedOut => ConnectError::Timeout,
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => ConnectError::Reset,
            ErrorKind::NetworkUnreachable
            | ErrorKind::HostUnreachable
            | ErrorKind::AddrNotAvailable => ConnectError::Unreachable,
            _ => ConnectError::Other,
        }
    }
}

/// A connection attempt: the time it took, or why it failed.
type Attempt = Result<Duration, (ConnectError, String)>;

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let Some(addrs) = ctx.board.addrs.get() else {
        return ProbeResult::skip("no address to connect to");
    };
    let hop = Hop::registry(ctx);
    match connect_all(&hop, addrs).await {
        Ok(c) => {
            let _ = ctx.board.reachable.set(c.addr);
            // Clients fall back to the next address, so a partial failure passes; the summary
            // says which addresses (and families) failed.
            ProbeResult::pass(c.summary)
        }
        Err((summary, obs)) => ProbeResult::fail(summary, vec![obs]),
    }
}

/// Which address families work, when the addresses hold both: a host whose IPv6 is broken
/// still pulls (Go falls back), but slowly and only after a timeout.
fn families(results: &[(SocketAddr, Attempt)]) -> Option<String> {
    let works = |v6: bool| {
        let of: Vec<_> = results.iter().filter(|(a, _)| a.is_ipv6() == v6).collect();
        (!of.is_empty()).then(|| of.iter().any(|(_, r)| r.is_ok()))
    };
    match (works(false), works(true)) {
        (Some(v4), Some(v6)) => Some(format!(
            "IPv4 {}, IPv6 {}",
            if v4 { "works" } else { "fails" },
            if v6 { "works" } else { "fails" }
        )),
        _ => None,
    }
}

/// Connects to every address of a hop (up to `MAX_ADDRS`) at once: the first that accepted,
/// with a summary of all, or the failure a client meets first.
pub async fn connect_all(
    hop: &Hop,
    addrs: &[SocketAddr],
) -> Result<Connected, (String, Observation)> {
    let mut set = tokio::task::JoinSet::new();
    for (i, addr) in addrs.iter().copied().take(MAX_ADDRS).enumerate() {
        set.spawn(async move {
            let started = Instant::now();
            let r =
                tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await;
            let took = started.elapsed();
            let outcome = match r {
                Ok(Ok(_stream)) => Ok(took),
                Ok(Err(e)) => Err((ConnectError::classify(&e), e.to_string())),
                Err(_) => Err((
                    ConnectError::Timeout,
                    format!("no answer to SYN within {} ms", CONNECT_TIMEOUT.as_millis()),
                )),
            };
            (i, addr, outcome)
        });
    }
    let mut results: Vec<(usize, SocketAddr, Attempt)> = set.join_all().await;
    results.sort_by_key(|(i, _, _)| *i);
    let results: Vec<(SocketAddr, Attempt)> = results.into_iter().map(|(_, a, r)| (a, r)).collect();

    let lines: Vec<String> = results
        .iter()
        .map(|(addr, r)| match r {
            Ok(t) => format!("{addr}: connected in {:.1} ms", t.as_secs_f64() * 1000.0),
            Err((_, e)) => format!("{addr}: {e}"),
        })
        .collect();
    let family_note = families(&results);
    if let Some((addr, Ok(t))) = results.iter().find(|(_, r)| r.is_ok()) {
        let failed = results.iter().filter(|(_, r)| r.is_err()).count();
        let mut summary = format!("{addr} connected in {:.1} ms", t.as_secs_f64() * 1000.0);
        if failed > 0 {
            summary.push_str(&format!(
                "; {failed} other address(es) failed: {}",
                lines.join("; ")
            ));
        } else if results.len() > 1 {
            summary.push_str(&format!(
                "; all {} addresses: {}",
                results.len(),
                lines.join("; ")
            ));
        }
        if let Some(f) = family_note {
            summary.push_str(&format!(" ({f})"));
        }
        return Ok(Connected {
            addr: *addr,
            summary,
        });
    }
    // All failed: the first address's failure is what a client meets first.
    let first = results
        .iter()
        .find_map(|(_, r)| r.as_ref().err().map(|(k, _)| *k))
        .unwrap_or(ConnectError::Other);
    let mut obs = hop.obs(first.key());
    for l in &lines {
        obs = obs.evidence("connect", l.clone());
    }
    if let Some(f) = family_note {
        obs = obs.evidence("address families", f);
    }
    Err((
        format!("no address accepted a connection: {}", lines.join("; ")),
        obs,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_named_only_when_both_were_tried() {
        let v4: SocketAddr = "192.0.2.1:443".parse().unwrap();
        let v6: SocketAddr = "[2001:db8::1]:443".parse().unwrap();
        let ok: Attempt = Ok(Duration::from_millis(3));
        let refused: Attempt = Err((ConnectError::Unreachable, "unreachable".into()));
        assert_eq!(
            families(&[(v4, ok.clone()), (v6, refused.clone())]).as_deref(),
            Some("IPv4 works, IPv6 fails")
        );
        assert_eq!(
            families(&[(v4, refused), (v6, ok.clone())]).as_deref(),
            Some("IPv4 fails, IPv6 works")
        );
        assert_eq!(families(&[(v4, ok)]), None);
    }

    /// Every address is tried and shown with its time; one that fails does not fail the hop.
    #[tokio::test]
    async fn every_address_is_reported_with_its_latency() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let hop = Hop {
            role: super::super::hop::Role::Registry,
            host: "r.example".into(),
            port: open.port(),
            certs_key: "r.example".into(),
            insecure: None,
            explicitly_insecure: false,
            vars: Default::default(),
            daemon_config: String::new(),
        };
        let c = connect_all(&hop, &[closed, open]).await.ok().unwrap();
        assert_eq!(c.addr, open);
        assert!(c.summary.contains(&format!("{closed}: ")), "{}", c.summary);
        assert!(c.summary.contains("connected in"), "{}", c.summary);
        let err = connect_all(&hop, &[closed]).await.err().unwrap();
        assert_eq!(err.1.key, "tcp.refused");
    }
}
