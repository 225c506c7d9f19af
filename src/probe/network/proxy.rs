//! `proxy`: would the Docker daemon reach the registry through a proxy, by Go's rules, with the
//! settings the daemon really has (daemon.json `proxies` over systemd drop-ins)? Does the proxy
//! let it through (CONNECT)? And does the shell, where curl runs, decide otherwise?

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::net::go_proxy::{self, DirectReason, ProxyDecision, ProxyEnv};
use crate::net::trust;
use crate::net::x509;
use crate::observe::Observation;
use crate::probe::hop::{self, Hop};
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult, tcp, tls};
use crate::report::Status;
use crate::rules::Severity;

pub const PROBE: ProbeDef = ProbeDef {
    id: "proxy",
    doc: "HTTPS_PROXY/NO_PROXY as the daemon (Go) reads them, daemon vs shell, and a CONNECT through the proxy",
    needs: &[],
    timeout: Duration::from_secs(8),
    on_timeout: Some("proxy.unreachable"),
    run,
};

/// Marks an observation about the shell's proxy (not the daemon's): the clients that run in
/// the shell are the ones it concerns.
pub const SHELL_PROXY_VAR: &str = "shell_proxy";

const STEP_TIMEOUT: Duration = Duration::from_secs(3);
/// The direct handshake the tunnel's chain is compared with.
const DIRECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The proxy settings of one party (the daemon, or the user's shell), and where they came from.
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    pub env: ProxyEnv,
    pub source: String,
}

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

fn describe(d: &Result<ProxyDecision, go_proxy::ProxyError>) -> String {
    match d {
        Ok(ProxyDecision::Via(u)) => format!("via {}", crate::report::redact::text(u.as_str())),
        Ok(ProxyDecision::Direct(DirectReason::NoProxySet)) => "direct (no proxy set)".into(),
        Ok(ProxyDecision::Direct(DirectReason::Loopback)) => {
            "direct (loopback is never proxied)".into()
        }
        Ok(ProxyDecision::Direct(DirectReason::NoProxyMatch { entry })) => {
            format!("direct (NO_PROXY entry {entry:?})")
        }
        Ok(ProxyDecision::Direct(DirectReason::NoProxyWildcard)) => "direct (NO_PROXY=*)".into(),
        Err(e) => format!("unusable: {e}"),
    }
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let host = ctx.host().to_string();
    let port = ctx.port();
    let url_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let Ok(url) = url::Url::parse(&format!("https://{url_host}:{port}/v2/")) else {
        return ProbeResult::skip(format!("{host} cannot be written as a URL"));
    };
    let daemon = &ctx.opts.daemon_proxy;
    let shell = &ctx.opts.shell_proxy;
    let d = go_proxy::decide(&daemon.env, &url);
    let s = go_proxy::decide(&shell.env, &url);
    let summary_base = if daemon.env == ProxyEnv::default() {
        format!("daemon: {}; shell: {}", describe(&d), describe(&s))
    } else {
        format!(
            "daemon: {} [{}]; shell: {}",
            describe(&d),
            daemon.source,
            describe(&s)
        )
    };
    let mut observations: Vec<Observation> = Vec::new();
    let mut status = Status::Pass;

    for problem in &ctx.opts.proxy_config_problems {
        observations.push(
            ctx.obs("proxy.config_ignored")
                .evidence("problem", problem.clone()),
        );
        status = status.max(Status::Warn);
    }

    match &d {
        Err(e) => {
            observations.push(ctx.obs("proxy.invalid_url").evidence(
                "daemon proxy setting",
                format!("{e} (from {})", daemon.source),
            ));
            status = Status::Fail;
        }
        Ok(ProxyDecision::Via(_)) if ctx.opts.offline => {}
        Ok(ProxyDecision::Via(proxy)) => match connect_through(ctx, proxy, &host, port).await {
            Err(obs) => {
                observations.push(obs.evidence("decision", summary_base.clone()));
                status = Status::Fail;
            }
            Ok(Some(tunnel)) => {
                if let Some((obs, st)) = interception(ctx, proxy, tunnel).await {
                    observations.push(obs);
                    status = status.max(st);
                }
            }
            Ok(None) => {}
        },
        Ok(ProxyDecision::Direct(_)) => {}
    }

    // podman, skopeo and buildah take the shell's proxy: a different one is tried too, so that
    // their verdict rests on what that proxy does (observed once, whoever else uses it).
    if let Ok(ProxyDecision::Via(shell_proxy)) = &s {
        let same_as_daemon = matches!(&d, Ok(ProxyDecision::Via(p)) if p == shell_proxy);
        if !same_as_daemon && !ctx.opts.offline {
            if let Err(obs) = connect_through(ctx, shell_proxy, &host, port).await {
                observations.push(
                    obs.evidence("whose proxy", format!("the shell's ({})", shell.source))
                        .var(SHELL_PROXY_VAR, "yes"),
                );
                status = Status::Fail;
            }
        }
    }

    // "curl works, docker does not": the two parties take different paths.
    let shell_via = matches!(s, Ok(ProxyDecision::Via(_)));
    let daemon_via = matches!(d, Ok(ProxyDecision::Via(_)));
    if shell_via != daemon_via {
        let no_proxy_hint = if daemon_via {
            format!(
                "to let the daemon go direct, add {} (or {}) to its NO_PROXY",
                go_proxy::suggested_no_proxy_entry(&host),
                go_proxy::suggested_no_proxy_domain(&host).unwrap_or_else(|| host.clone())
            )
        } else {
            "the daemon does not read your shell's variables: set the proxy in daemon.json `proxies` or a systemd drop-in".into()
        };
        let curl_note = shell
            .env
            .no_proxy
            .as_deref()
            .filter(|np| {
                go_proxy::curl_no_proxy_matches(np, &host)
                    != matches!(
                        s,
                        Ok(ProxyDecision::Direct(DirectReason::NoProxyMatch { .. })
                            | ProxyDecision::Direct(DirectReason::NoProxyWildcard))
                    )
            })
            .map(|np| format!("curl reads NO_PROXY={np:?} differently from Go for {host}"));
        let mut obs = ctx
            .obs("proxy.daemon_shell_differ")
            .evidence(
                "daemon",
                format!("{} (settings from {})", describe(&d), daemon.source),
            )
            .evidence(
                "shell",
                format!("{} (settings from {})", describe(&s), shell.source),
            )
            .evidence("what to change", no_proxy_hint);
        if let Some(note) = curl_note {
            obs = obs.evidence("curl", note);
        }
        observations.push(obs);
    }
    ProbeResult {
        status: Some(status),
        summary: Some(summary_base),
        skip_reason: None,
        observations,
    }
}

fn proxy_shown(proxy: &url::Url) -> String {
    format!(
        "{}://{}:{}",
        proxy.scheme(),
        proxy.host_str().unwrap_or_default(),
        proxy.port_or_known_default().unwrap_or(3128)
    )
}

/// CONNECT host:port through the proxy, as Go's transport does for an https URL; the open
/// tunnel when the proxy agreed (`None` for proxies that are reported, not probed).
async fn connect_through(
    ctx: &Ctx,
    proxy: &url::Url,
    host: &str,
    port: u16,
) -> Result<Option<TcpStream>, Observation> {
    let proxy_host = proxy.host_str().unwrap_or_default().to_string();
    let proxy_port = proxy.port_or_known_default().unwrap_or(3128);
    let shown = format!("{}://{proxy_host}:{proxy_port}", proxy.scheme());
    let base = |key: &str| ctx.obs(key).evidence("proxy", shown.clone());
    if proxy.scheme() != "http" {
        // https and socks5 proxies are rarer; reported, not probed.
        return Ok(None);
    }
    let connect = tokio::time::timeout(
        STEP_TIMEOUT,
        TcpStream::connect((proxy_host.as_str(), proxy_port)),
    )
    .await;
    let mut stream = match connect {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(base("proxy.unreachable").evidence("connect", e.to_string())),
        Err(_) => {
            return Err(base("proxy.unreachable").evidence(
                "connect",
                format!("no answer within {} ms", STEP_TIMEOUT.as_millis()),
            ));
        }
    };
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if !proxy.username().is_empty() {
        let user = percent_decode(proxy.username());
        let pass = percent_decode(proxy.password().unwrap_or_default());
        crate::report::redact::register_secret(&pass);
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        crate::report::redact::register_secret(&token);
        req.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    req.push_str("\r\n");
    let exchange = async {
        stream.write_all(req.as_bytes()).await?;
        let mut buf = vec![0u8; 1024];
        let n = stream.read(&mut buf).await?;
        Ok::<String, std::io::Error>(String::from_utf8_lossy(&buf[..n]).into_owned())
    };
    let answer = match tokio::time::timeout(STEP_TIMEOUT, exchange).await {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return Err(base("proxy.unreachable").evidence("CONNECT", e.to_string())),
        Err(_) => {
            return Err(base("proxy.unreachable").evidence(
                "CONNECT",
                format!(
                    "connected, but no answer to CONNECT {target} within {} ms",
                    STEP_TIMEOUT.as_millis()
                ),
            ));
        }
    };
    let status_line = answer.lines().next().unwrap_or("").trim().to_string();
    let code = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok());
    match code {
        Some(200..=299) => Ok(Some(stream)),
        Some(407) => Err(base("proxy.auth_required")
            .evidence("CONNECT", format!("CONNECT {target} → {status_line}"))
            .evidence(
                "credentials sent",
                if proxy.username().is_empty() {
                    "none"
                } else {
                    "yes (redacted)"
                },
            )),
        // 5xx: the proxy tried and could not reach the registry (its DNS, its route).
        Some(500..=599) => Err(base("proxy.upstream_failed")
            .evidence("CONNECT", format!("CONNECT {target} → {status_line}"))
            .evidence("meaning", "the proxy accepted the request but could not reach the registry from where it stands")),
        _ => Err(base("proxy.connect_refused")
            .evidence("CONNECT", format!("CONNECT {target} → {status_line:?}"))),
    }
}

/// Does the proxy intercept TLS? The chain presented through the tunnel is compared with the
/// one the registry presents directly (when it can be reached directly from here), and judged
/// against the roots Docker would use. An interception Docker would refuse is an error; one
/// it accepts (the proxy's CA is installed, or the registry is insecure) is a note.
async fn interception(
    ctx: &Ctx,
    proxy: &url::Url,
    tunnel: TcpStream,
) -> Option<(Observation, Status)> {
    let host = ctx.host().trim_matches(['[', ']']).to_string();
    let hop = Hop::registry(ctx);
    let direct = async {
        let resolved = hop::resolve(&ctx.opts, &hop).await.map_err(|(s, _)| s)?;
        let addrs: Vec<std::net::SocketAddr> = resolved
            .addrs
            .iter()
            .map(|ip| std::net::SocketAddr::new(*ip, hop.port))
            .collect();
        let connected = tcp::connect_all(&hop, &addrs).await.map_err(|(s, _)| s)?;
        let stream = tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect(connected.addr))
            .await
            .map_err(|_| "connect timed out".to_string())?
            .map_err(|e| e.to_string())?;
        tls::record_chain(stream, &host).await
    };
    // Where a proxy is mandatory, the direct path often just times out: bounded, so the
    // check's own limit is never what ends it.
    let direct = async {
        tokio::time::timeout(DIRECT_TIMEOUT, direct)
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "no direct TLS answer within {} ms",
                    DIRECT_TIMEOUT.as_millis()
                ))
            })
    };
    let (via, direct) = tokio::join!(tls::record_chain(tunnel, &host), direct);
    // No TLS through the tunnel at all: the tls check reports what the registry speaks.
    let via = via.ok()?;
    let trust = trust::load(&ctx.opts.certs_dir, &ctx.target.registry.host_port());
    let trusted = tls::chain_trusted(&trust, &via, &host);
    let describe = |chain: &[rustls_pki_types::CertificateDer<'static>]| {
        chain
            .first()
            .and_then(|c| x509::parse(c))
            .map_or("unreadable certificate".to_string(), |i| i.describe())
    };
    let issuer = |chain: &[rustls_pki_types::CertificateDer<'static>]| {
        chain.first().and_then(|c| x509::parse(c)).map(|i| i.issuer)
    };
    let via_issuer = issuer(&via).unwrap_or_else(|| "unreadable".into());
    let direct_note = match &direct {
        Ok(d) if d.first() == via.first() => return None,
        Ok(d) if issuer(d).as_deref() == Some(via_issuer.as_str()) => return None,
        Ok(d) => format!("certificate 0 (server): {}", describe(d)),
        Err(e) => {
            if trusted {
                // Trusted, and nothing to compare with: Docker goes through; nothing to say.
                return None;
            }
            format!("could not be compared (no direct path from here: {e})")
        }
    };
    let shown = proxy_shown(proxy);
    let entry = go_proxy::suggested_no_proxy_entry(&host);
    let current = ctx
        .opts
        .daemon_proxy
        .env
        .no_proxy
        .clone()
        .filter(|v| !v.trim().is_empty());
    let no_proxy_value = match &current {
        Some(v) => format!("{},{entry}", v.trim().trim_end_matches(',')),
        None => format!("localhost,127.0.0.1,{entry}"),
    };
    let trust_note = if trusted {
        "trusted: the proxy's CA is among the system roots or in certs.d, so Docker accepts it"
            .to_string()
    } else {
        format!(
            "not trusted: {via_issuer:?} is neither a system (public) root nor a CA in {}",
            trust.certs_d.dir.display()
        )
    };
    let mut obs = ctx
        .obs("proxy.tls_intercepted")
        .evidence("proxy", shown)
        .evidence("issuer through the proxy", via_issuer.clone())
        .evidence(
            "through the proxy",
            format!("certificate 0 (server): {}", describe(&via)),
        )
        .evidence("direct", direct_note)
        .evidence("trust", trust_note)
        .evidence(
            "NO_PROXY entry (Go syntax)",
            format!(
                "{entry} (Go matches it and every subdomain; curl reads a plain name the same way, but unlike Go ignores a leading `*.`)"
            ),
        )
        .var("no_proxy_entry", entry)
        .var("no_proxy_value", no_proxy_value);
    let status = if trusted || ctx.explicitly_insecure() {
        obs = obs.severity(Severity::Info);
        Status::Pass
    } else {
        Status::Fail
    };
    Some((obs, status))
}

/// URL user info is percent-encoded (`p%40ss` is `p@ss`); the proxy wants the plain value.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
