//! `tls`: the handshake, the whole presented chain, and the verdict Docker's Go verifier would
//! reach. Detects plain HTTP on the port Docker talks TLS to.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::{CertificateError, Error as TlsError};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::net::tls_verify::{self, Judged, Recording};
use crate::net::trust::{self, Trust};
use crate::net::x509::{self, CertInfo};
use crate::observe::Observation;
use crate::probe::hop::{Hop, Role};
use crate::probe::{CheckOptions, Ctx, ProbeDef, ProbeFuture, ProbeResult, Transport};
use crate::report::Status;
use crate::rules::Severity;
use crate::target::Scheme;

pub const PROBE: ProbeDef = ProbeDef {
    id: "tls",
    doc: "TLS handshake, the full certificate chain, and whether Docker would trust it",
    needs: &["tcp"],
    timeout: Duration::from_secs(6),
    on_timeout: Some("tls.handshake_stalled"),
    run,
};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(4);
const EXPIRY_WARNING_DAYS: i64 = 14;

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

enum Handshake {
    Done {
        version: String,
        alpn: Option<String>,
        /// The server's clock, from the `Date` header of a `HEAD /v2/` on the same connection.
        server_date: Option<i64>,
    },
    SpeaksHttp(String),
    /// The server wants a TLS version older than 1.2, which neither Go (since 1.18, as a
    /// client) nor rustls will speak.
    LegacyVersion(String),
    Failed(String),
    Stalled,
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let Some(addr) = ctx.board.reachable.get().copied() else {
        return ProbeResult::skip("no reachable address");
    };
    let hop = Hop::registry(ctx);
    let (result, transport, presented) = examine_presented(&ctx.opts, &hop, addr).await;
    if let Some(t) = transport {
        let _ = ctx.board.transport.set(t);
    }
    if let Some(p) = presented {
        let _ = ctx.board.presented.set(p);
    }
    result
}

/// What the registry's port presented, kept so that each client's trust is judged against the
/// same handshake (see `crate::clients::judge`).
#[derive(Debug, Clone)]
pub enum Presented {
    Chain(Vec<CertificateDer<'static>>),
    /// The status line of its plain-HTTP answer.
    PlainHttp(String),
}

/// The TLS step of a hop: handshake with `addr`, record the chain, judge it as Go would. The
/// transport is how later HTTP requests talk to the hop, when Docker would use it at all.
pub async fn examine(
    opts: &CheckOptions,
    hop: &Hop,
    addr: SocketAddr,
) -> (ProbeResult, Option<Transport>) {
    let (result, transport, _) = examine_presented(opts, hop, addr).await;
    (result, transport)
}

/// [`examine`], also returning what the server presented.
pub async fn examine_presented(
    opts: &CheckOptions,
    hop: &Hop,
    addr: SocketAddr,
) -> (ProbeResult, Option<Transport>, Option<Presented>) {
    let host = hop.host.clone();
    let recorder = Recording::new();
    let handshake = handshake(&host, addr, recorder.clone()).await;
    let chain = recorder.chain();
    let presented = match &handshake {
        Handshake::SpeaksHttp(line) => Some(Presented::PlainHttp(line.clone())),
        Handshake::Done { .. } if !chain.is_empty() => Some(Presented::Chain(chain.clone())),
        _ => None,
    };
    let (result, transport) = examine_handshake(opts, hop, addr, handshake, chain);
    (result, transport, presented)
}

fn examine_handshake(
    opts: &CheckOptions,
    hop: &Hop,
    addr: SocketAddr,
    handshake: Handshake,
    chain: Vec<CertificateDer<'static>>,
) -> (ProbeResult, Option<Transport>) {
    match handshake {
        Handshake::SpeaksHttp(status_line) => plain_http(hop, addr, &status_line),
        Handshake::Stalled => (
            ProbeResult::fail(
                "the TLS handshake got no answer".to_string(),
                vec![
                    hop.obs("tls.handshake_stalled")
                        .evidence("address", addr.to_string())
                        .evidence(
                            "handshake",
                            format!(
                                "TCP connected, then no TLS answer within {} ms",
                                HANDSHAKE_TIMEOUT.as_millis()
                            ),
                        ),
                ],
            ),
            None,
        ),
        Handshake::LegacyVersion(err) => (
            ProbeResult::fail(
                format!("the server offers only TLS older than 1.2: {err}"),
                vec![
                    hop.obs("tls.legacy_version")
                        .evidence("address", addr.to_string())
                        .evidence("handshake error", err)
                        .evidence(
                            "offered",
                            "TLS 1.2 and 1.3 (what Docker's Go client offers by default since Go 1.18)",
                        ),
                ],
            ),
            None,
        ),
        Handshake::Failed(err) => {
            // The certificate arrived before the handshake broke: a key too weak for the
            // verifier (rustls refuses RSA under 2048 bits) says more than the bare error.
            let infos: Vec<Option<CertInfo>> = chain.iter().map(|c| x509::parse(c)).collect();
            let weak = weak_params(&infos);
            if !weak.is_empty() {
                let mut observations = Vec::new();
                let mut status = Status::Warn;
                for (key, detail, severity) in weak {
                    if severity == Severity::Error {
                        status = Status::Fail;
                    }
                    let mut obs = hop
                        .obs(key)
                        .severity(severity)
                        .evidence("finding", detail)
                        .evidence("address", addr.to_string());
                    for (i, info) in infos.iter().enumerate() {
                        obs = obs.evidence(
                            format!("certificate {i}"),
                            info.as_ref()
                                .map_or("unreadable certificate".into(), CertInfo::describe),
                        );
                    }
                    observations.push(obs.evidence("regdoctor's handshake", err.clone()));
                }
                return (
                    ProbeResult {
                        status: Some(status),
                        summary: Some(format!("weak certificate parameters; {err}")),
                        skip_reason: None,
                        observations,
                    },
                    None,
                );
            }
            (
                ProbeResult::fail(
                    format!("TLS handshake failed: {err}"),
                    vec![
                        hop.obs("tls.handshake_failed")
                            .evidence("address", addr.to_string())
                            .evidence("handshake error", err),
                    ],
                ),
                None,
            )
        }
        Handshake::Done {
            version,
            alpn,
            server_date,
        } => {
            // Loading the system roots costs tens of milliseconds: only when TLS is spoken.
            let trust = trust::load(&opts.certs_dir, &hop.certs_key);
            judge(hop, addr, &trust, &chain, version, alpn, server_date)
        }
    }
}

async fn handshake(host: &str, addr: SocketAddr, recorder: Arc<Recording>) -> Handshake {
    let mut config = match tls_verify::client_config(recorder) {
        Ok(c) => c,
        Err(e) => return Handshake::Failed(format!("cannot set up TLS: {e}")),
    };
    // HTTP/1.1 only: the connection also carries a HEAD request for the server's clock.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let Ok(name) = ServerName::try_from(host.trim_matches(['[', ']']).to_string()) else {
        return Handshake::Failed(format!("{host:?} is not a valid TLS server name"));
    };
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => {
            // The HEAD for the server's clock follows the handshake at once; without this it
            // waits for the server's delayed ACK (about 40 ms).
            let _ = s.set_nodelay(true);
            s
        }
        Ok(Err(e)) => return Handshake::Failed(format!("connect: {e}")),
        Err(_) => return Handshake::Stalled,
    };
    let connector = TlsConnector::from(Arc::new(config));
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, connector.connect(name, tcp)).await {
        Err(_) => Handshake::Stalled,
        Ok(Ok(mut stream)) => {
            let server_date =
                tokio::time::timeout(Duration::from_secs(2), server_date(&mut stream, host))
                    .await
                    .ok()
                    .flatten();
            let (_, conn) = stream.get_ref();
            let version = conn
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_else(|| "unknown".into());
            let alpn = conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned());
            Handshake::Done {
                version,
                alpn,
                server_date,
            }
        }
        Ok(Err(e)) => {
            let inner = e.get_ref().and_then(|i| i.downcast_ref::<TlsError>());
            if matches!(inner, Some(TlsError::InvalidMessage(_))) {
                // Not TLS. Is it HTTP? Ask on a fresh connection, as a client would.
                if let Some(line) = http_status_line(host, addr).await {
                    return Handshake::SpeaksHttp(line);
                }
            }
            if matches!(
                inner,
                Some(
                    TlsError::AlertReceived(rustls::AlertDescription::ProtocolVersion)
                        | TlsError::PeerIncompatible(
                            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
                                | rustls::PeerIncompatible::SupportedVersionsExtensionRequired
                        )
                )
            ) {
                return Handshake::LegacyVersion(
                    inner.map(ToString::to_string).unwrap_or_default(),
                );
            }
            let text = match inner {
                // A server stuck on TLS 1.0/1.1 shows up as one of these; say so in words,
                // since the bare error names no version.
                Some(
                    tls @ (TlsError::PeerIncompatible(
                        rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13,
                    )
                    | TlsError::AlertReceived(rustls::AlertDescription::ProtocolVersion)),
                ) => format!(
                    "{tls}: the server offers only an obsolete protocol (TLS 1.0, TLS 1.1 or SSL); Docker, like this client, needs TLS 1.2 or later"
                ),
                Some(tls) => tls.to_string(),
                None if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    "the server closed the connection during the handshake".into()
                }
                // Closing with unread data sends a reset instead of a FIN: the same behaviour.
                None if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                ) =>
                {
                    format!("the server closed the connection during the handshake ({e})")
                }
                None => e.to_string(),
            };
            Handshake::Failed(text)
        }
    }
}

/// A TLS handshake over an already open stream (a proxy's CONNECT tunnel, a direct
/// connection), keeping the presented chain whatever it is. Nothing is sent afterwards.
pub async fn record_chain<S>(stream: S, host: &str) -> Result<Vec<CertificateDer<'static>>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let recorder = Recording::new();
    let config = tls_verify::client_config(recorder.clone())
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
        .map_err(|_| format!("{host:?} is not a valid TLS server name"))?;
    let connector = TlsConnector::from(Arc::new(config));
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, connector.connect(name, stream)).await {
        Err(_) => Err(format!(
            "no TLS answer within {} ms",
            HANDSHAKE_TIMEOUT.as_millis()
        )),
        Ok(Err(e)) => Err(format!("TLS handshake failed: {e}")),
        Ok(Ok(_)) => {
            let chain = recorder.chain();
            if chain.is_empty() {
                Err("no certificate presented".into())
            } else {
                Ok(chain)
            }
        }
    }
}

/// Would Go's verifier find a path from this chain to a trusted root? Only trust is judged
/// here: dates and names are other findings. A leaf that is itself in the pool counts, as in Go.
pub fn chain_trusted(trust: &Trust, chain: &[CertificateDer<'static>], host: &str) -> bool {
    let Some((leaf, intermediates)) = chain.split_first() else {
        return false;
    };
    if trust.contains(leaf.as_ref()) {
        return true;
    }
    let Ok(verifier) = tls_verify::webpki(trust.roots.clone()) else {
        return false;
    };
    let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
        .unwrap_or_else(|_| ServerName::try_from("invalid.invalid").expect("static name is valid"));
    use rustls::client::danger::ServerCertVerifier;
    match verifier.verify_server_cert(leaf, intermediates, &name, &[], UnixTime::now()) {
        Ok(_) => true,
        Err(TlsError::InvalidCertificate(ce)) => matches!(
            ce,
            CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. }
                | CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. }
        ),
        Err(_) => false,
    }
}

/// The server's `Date`, to tell an expired certificate from a wrong clock on either side.
async fn server_date<S: AsyncReadExt + AsyncWriteExt + Unpin>(
    s: &mut S,
    host: &str,
) -> Option<i64> {
    let req = format!("HEAD /v2/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = vec![0u8; 8192];
    let mut n = 0;
    while n < buf.len() {
        let got = s.read(&mut buf[n..]).await.ok()?;
        if got == 0 {
            break;
        }
        n += got;
        if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf[..n]);
    head.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("date"))
                .map(|(_, v)| v.trim().to_string())
        })
        .and_then(|d| parse_http_date(&d))
}

/// IMF-fixdate (`Sun, 22 Nov 2026 21:43:22 GMT`), the only form servers send today.
fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, mon, year, hms, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == mon)?;
    let month = time::Month::try_from(u8::try_from(month + 1).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    let mut t = hms.split(':').map(|x| x.parse::<u8>().ok());
    let (Some(Some(h)), Some(Some(m)), Some(Some(sec))) = (t.next(), t.next(), t.next()) else {
        return None;
    };
    let time = time::Time::from_hms(h, m, sec).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// The first line of a plain-HTTP answer to `GET /v2/`, if the server speaks HTTP.
async fn http_status_line(host: &str, addr: SocketAddr) -> Option<String> {
    let io = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        let req = format!("GET /v2/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = vec![0u8; 512];
        let n = s.read(&mut buf).await.ok()?;
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let line = text.lines().next()?.trim().to_string();
        line.starts_with("HTTP/").then_some(line)
    };
    tokio::time::timeout(Duration::from_secs(2), io)
        .await
        .ok()
        .flatten()
}

fn plain_http(hop: &Hop, addr: SocketAddr, status_line: &str) -> (ProbeResult, Option<Transport>) {
    let port = hop.port;
    let evidence = |o: Observation| {
        o.evidence("address", addr.to_string())
            .evidence(
                "TLS handshake",
                "the server answered the ClientHello with something that is not TLS",
            )
            .evidence("plain HTTP GET /v2/", status_line.to_string())
    };
    if let Some(reason) = hop.insecure.clone() {
        let transport = Transport {
            scheme: Scheme::Http,
            addr,
            tls: None,
        };
        let obs = evidence(hop.obs("tls.plain_http_allowed"))
            .evidence("why Docker allows it", reason.clone());
        let mut r = ProbeResult::pass(format!(
            "no TLS on port {port}: plain HTTP, allowed ({reason})"
        ));
        r.observations.push(obs);
        return (r, Some(transport));
    }
    (
        ProbeResult::fail(
            format!(
                "port {port} speaks plain HTTP, and Docker will only use TLS for this registry"
            ),
            vec![evidence(hop.obs("tls.server_speaks_http")).evidence(
                "insecure-registries",
                format!("{} is not listed in {}", hop.certs_key, hop.daemon_config),
            )],
        ),
        None,
    )
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn judge(
    hop: &Hop,
    addr: SocketAddr,
    trust: &Trust,
    chain: &[CertificateDer<'static>],
    version: String,
    alpn: Option<String>,
    server_date: Option<i64>,
) -> (ProbeResult, Option<Transport>) {
    let host = hop.host.clone();
    let infos: Vec<Option<CertInfo>> = chain.iter().map(|c| x509::parse(c)).collect();
    let Some((leaf_der, intermediates)) = chain.split_first() else {
        return (
            ProbeResult::fail(
                "the server sent no certificate",
                vec![
                    hop.obs("tls.handshake_failed")
                        .evidence("handshake", "no certificate presented"),
                ],
            ),
            None,
        );
    };
    let leaf = infos.first().cloned().flatten();

    // Evidence common to every verdict: the chain, and what we trusted.
    let mut common: Vec<(String, String)> = vec![("address".into(), addr.to_string())];
    for (i, info) in infos.iter().enumerate() {
        let label = if i == 0 {
            "certificate 0 (server)".to_string()
        } else {
            format!("certificate {i}")
        };
        common.push((
            label,
            info.as_ref()
                .map_or("unreadable certificate".into(), CertInfo::describe),
        ));
    }
    common.push(("trust store".into(), trust_summary(trust)));

    let verifier = match tls_verify::webpki(trust.roots.clone()) {
        Ok(v) => v,
        Err(e) => {
            return (
                ProbeResult::fail(format!("cannot build a verifier: {e}"), Vec::new()),
                None,
            );
        }
    };
    let server_name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
        .unwrap_or_else(|_| ServerName::try_from("invalid.invalid").expect("static name is valid"));
    use rustls::client::danger::ServerCertVerifier;
    let rustls_verdict =
        verifier.verify_server_cert(leaf_der, intermediates, &server_name, &[], UnixTime::now());

    // Independent facts, each its own finding.
    let mut keys: Vec<(&'static str, String)> = Vec::new();
    let now = now_unix();
    if let Some(l) = &leaf {
        if now > l.not_after {
            keys.push((
                "tls.expired",
                format!(
                    "expired on {}; this machine's clock says {}",
                    x509::date(l.not_after),
                    x509::date(now)
                ),
            ));
        } else if now < l.not_before {
            keys.push((
                "tls.not_yet_valid",
                format!(
                    "valid only from {}; this machine's clock says {}",
                    x509::date(l.not_before),
                    x509::date(now)
                ),
            ));
        } else if l.not_after - now < EXPIRY_WARNING_DAYS * 86_400 {
            keys.push((
                "tls.expiring_soon",
                format!(
                    "expires on {}, in {} day(s)",
                    x509::date(l.not_after),
                    (l.not_after - now) / 86_400
                ),
            ));
        }
        if !l.names_host(&host) {
            let is_ip = host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok();
            if is_ip && l.ip_addresses.is_empty() {
                keys.push((
                    "tls.ip_not_in_sans",
                    format!(
                        "dialled the IP {host}, and the certificate has no IP SANs (names: {})",
                        l.dns_names.join(", ")
                    ),
                ));
            } else {
                keys.push((
                    "tls.hostname_mismatch",
                    format!("the certificate does not name {host}"),
                ));
            }
        }
    }
    // An expired or not-yet-valid verdict with a server clock far from ours: say which clock.
    if let Some(server_now) = server_date {
        let skew = now - server_now;
        if skew.abs() > 300
            && keys
                .iter()
                .any(|(k, _)| *k == "tls.expired" || *k == "tls.not_yet_valid")
        {
            keys.insert(
                0,
                (
                    "tls.clock_skew",
                    format!(
                        "this machine's clock says {}, the server's Date header says {} ({} s apart)",
                        x509::date(now),
                        x509::date(server_now),
                        skew.abs()
                    ),
                ),
            );
        }
    }
    let weak = weak_params(&infos);
    let sha1_refused = weak.iter().any(|(k, _, _)| *k == "tls.legacy_signature");
    let mut severities: std::collections::HashMap<&'static str, Severity> =
        std::collections::HashMap::new();
    for (key, detail, severity) in weak {
        severities
            .entry(key)
            .and_modify(|s| *s = (*s).max(severity))
            .or_insert(severity);
        keys.push((key, detail));
    }
    let go_accepts_leaf_in_pool = trust.contains(leaf_der.as_ref());
    let mut verifier_said = "trusted".to_string();
    if let Err(err) = &rustls_verdict {
        verifier_said = err.to_string();
        let trust_problem = match err {
            TlsError::InvalidCertificate(ce) => !matches!(
                ce,
                CertificateError::Expired
                    | CertificateError::ExpiredContext { .. }
                    | CertificateError::NotValidYet
                    | CertificateError::NotValidYetContext { .. }
                    | CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. }
            ),
            _ => true,
        };
        // Go accepts a server certificate that is itself in the root pool (x509.Verify's
        // short-cut), where webpki refuses e.g. a CA:TRUE self-signed one. Predict Docker.
        // A SHA-1 signature is the reason Go cannot build the chain: said once, by its name.
        if trust_problem && !go_accepts_leaf_in_pool && !sha1_refused {
            let key = match &leaf {
                Some(l) if l.self_issued => "tls.self_signed",
                Some(l)
                    if intermediates.is_empty()
                        && (!l.ca_issuers_urls.is_empty()
                            || (!trust.certs_d.cas.is_empty()
                                // The realm is judged with the registry's CAs, which say
                                // nothing about the realm's own chain.
                                && hop.role != Role::Realm
                                && !trust.certs_d.cas.iter().any(|(_, ca)| {
                                    x509::parse(ca).is_some_and(|c| c.subject == l.issuer)
                                }))) =>
                {
                    "tls.missing_intermediate"
                }
                _ => "tls.unknown_authority",
            };
            let detail = match &leaf {
                Some(l) => format!("issuer \"{}\" is not a trusted root for {host}", l.issuer),
                None => "the server certificate could not be read".to_string(),
            };
            keys.push((key, detail));
        }
    }

    let mut observations = Vec::new();
    let mut failing = false;
    let explicitly_insecure = hop.explicitly_insecure;
    for (key, detail) in &keys {
        let mut obs = hop.obs(key);
        obs = obs.evidence("finding", detail.clone());
        for (l, v) in &common {
            obs = obs.evidence(l.clone(), v.clone());
        }
        obs = obs.evidence("verifier", format!("rustls/webpki: {verifier_said}"));
        if let Some(u) = leaf.as_ref().and_then(|l| l.ca_issuers_urls.first()) {
            obs = obs.evidence("issuer certificate URL (AIA)", u.clone());
        }
        let warning_only = *key == "tls.expiring_soon"
            || severities.get(key).is_some_and(|s| *s == Severity::Warning);
        if warning_only {
            if let Some(sev) = severities.get(key) {
                obs = obs.severity(*sev);
            }
        } else if explicitly_insecure {
            obs = obs
                .severity(Severity::Info)
                .evidence("docker", "this registry is in insecure-registries, so Docker does not verify its certificate");
        } else {
            failing = true;
            if let Some(reason) = &hop.insecure {
                obs = obs.evidence(
                    "docker",
                    format!("Docker skips verification here ({reason}), so `docker pull` may still work; podman, containerd, skopeo, Kubernetes nodes and any client that dials this registry by name will refuse it"),
                );
            }
        }
        observations.push(obs);
    }

    let subject = leaf
        .as_ref()
        .map_or("unreadable".to_string(), |l| l.subject.clone());
    let summary = format!(
        "{version}{}, {} certificate(s), server \"{subject}\": {}",
        alpn.map(|a| format!(" ({a})")).unwrap_or_default(),
        chain.len(),
        if keys.is_empty() {
            "trusted".to_string()
        } else {
            keys.iter()
                .map(|(k, _)| k.trim_start_matches("tls."))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    // Docker goes on past what it does not verify; the clients that do verify are judged on
    // the same observations (`crate::clients::judge`).
    let status = if failing && hop.insecure.is_none() {
        Status::Fail
    } else if keys.is_empty() {
        Status::Pass
    } else {
        Status::Warn
    };
    let mut transport = None;
    // Docker skips verification for any insecure registry, loopback included: the later checks
    // talk to it as Docker does, whatever the other clients make of its certificate.
    if !failing || hop.insecure.is_some() {
        let skip = explicitly_insecure || hop.insecure.is_some();
        let judged = Judged::new(verifier, Some(leaf_der.clone()), skip);
        if let Ok(config) = tls_verify::client_config(judged) {
            transport = Some(Transport {
                scheme: Scheme::Https,
                addr,
                tls: Some(Arc::new(config)),
            });
        }
    }
    (
        ProbeResult {
            status: Some(status),
            summary: Some(summary),
            skip_reason: None,
            observations,
        },
        transport,
    )
}

/// Legacy parameters in the presented chain, judged as Go judges them: a SHA-1 (or MD5)
/// signature on any certificate but a self-signed root is refused since Go 1.18 (a root's own
/// signature is never checked); an RSA key under 1024 bits is refused since Go 1.24; under 2048
/// bits it is accepted but weak.
pub fn weak_params(infos: &[Option<CertInfo>]) -> Vec<(&'static str, String, Severity)> {
    let mut out = Vec::new();
    for (i, info) in infos.iter().enumerate() {
        let Some(c) = info else { continue };
        let which = if i == 0 {
            "the server certificate".to_string()
        } else {
            format!("certificate {i} (\"{}\")", c.subject)
        };
        if c.legacy_signature() && !(i > 0 && c.self_issued) {
            out.push((
                "tls.legacy_signature",
                format!(
                    "{which} is signed with {} by \"{}\"; Go (and so Docker) refuses such signatures since Go 1.18",
                    c.signature, c.issuer
                ),
                Severity::Error,
            ));
        }
        if let Some(bits) = c.rsa_bits {
            if bits < 1024 {
                out.push((
                    "tls.weak_key",
                    format!("{which} has an RSA key of {bits} bits; Go refuses RSA keys under 1024 bits since Go 1.24"),
                    Severity::Error,
                ));
            } else if bits < 2048 {
                out.push((
                    "tls.weak_key",
                    format!("{which} has an RSA key of {bits} bits; Docker still accepts it, but keys under 2048 bits are considered breakable and other clients refuse them"),
                    Severity::Warning,
                ));
            }
        }
    }
    out
}

fn trust_summary(trust: &Trust) -> String {
    let d = &trust.certs_d;
    let extra = if d.exists {
        let files: Vec<String> = d
            .cas
            .iter()
            .map(|(p, _)| {
                p.file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
            })
            .collect();
        let mut s = format!(
            "{} CA certificate(s) from {} [{}]",
            d.cas.len(),
            d.dir.display(),
            files.join(", ")
        );
        if !d.client_pairs.is_empty() {
            s.push_str(&format!(
                ", {} client certificate pair(s)",
                d.client_pairs.len()
            ));
        }
        for p in &d.problems {
            s.push_str(&format!("; problem: {p}"));
        }
        s
    } else {
        format!("no {} directory", d.dir.display())
    };
    format!("{} system roots + {extra}", trust.system_roots)
}

#[cfg(test)]
mod tests {
    use super::weak_params;
    use crate::net::x509::CertInfo;
    use crate::rules::Severity;

    fn cert(signature: &str, rsa_bits: Option<usize>, self_issued: bool) -> Option<CertInfo> {
        Some(CertInfo {
            subject: "CN=s".into(),
            issuer: if self_issued { "CN=s" } else { "CN=i" }.into(),
            dns_names: vec![],
            ip_addresses: vec![],
            not_before: 0,
            not_after: 0,
            is_ca: self_issued,
            self_issued,
            key: String::new(),
            rsa_bits,
            signature: signature.into(),
            ca_issuers_urls: vec![],
        })
    }

    #[test]
    fn weak_parameters_are_judged_as_go_does() {
        let keys = |chain: &[Option<CertInfo>]| -> Vec<(&'static str, Severity)> {
            weak_params(chain)
                .into_iter()
                .map(|(k, _, s)| (k, s))
                .collect()
        };
        // SHA-1 on the leaf or an intermediate: refused; on a self-signed root: never checked.
        assert_eq!(
            keys(&[cert("SHA1-RSA", Some(2048), false)]),
            vec![("tls.legacy_signature", Severity::Error)]
        );
        assert_eq!(
            keys(&[
                cert("SHA256-RSA", Some(2048), false),
                cert("SHA1-RSA", Some(4096), true)
            ]),
            vec![]
        );
        assert_eq!(
            keys(&[cert("ECDSA-SHA1", None, false)]),
            vec![("tls.legacy_signature", Severity::Error)]
        );
        // Key sizes: under 1024 refused (Go 1.24), under 2048 weak, 2048 fine.
        assert_eq!(
            keys(&[cert("SHA256-RSA", Some(512), false)]),
            vec![("tls.weak_key", Severity::Error)]
        );
        assert_eq!(
            keys(&[cert("SHA256-RSA", Some(1024), false)]),
            vec![("tls.weak_key", Severity::Warning)]
        );
        assert_eq!(keys(&[cert("SHA256-RSA", Some(2048), false)]), vec![]);
        assert_eq!(keys(&[None, cert("ECDSA-SHA256", None, false)]), vec![]);
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            super::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            super::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            None
        );
        assert_eq!(super::parse_http_date("garbage"), None);
    }
}
