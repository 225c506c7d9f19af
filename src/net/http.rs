//! HTTP requests to a registry the way the earlier checks found it: pinned to the address that
//! answered, TLS judged by the TLS check, no proxy of reqwest's choosing, no silent redirects,
//! and bodies read up to a cap so a hostile server cannot fill memory.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect::Policy;

pub const BODY_CAP: usize = 64 * 1024;

pub fn client(
    host: &str,
    addr: SocketAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .redirect(Policy::none())
        .connect_timeout(Duration::from_secs(3))
        .read_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("regdoctor/", env!("CARGO_PKG_VERSION")));
    if host.parse::<std::net::IpAddr>().is_err() {
        b = b.resolve(host, addr);
    }
    // Always hand reqwest a TLS config: left to itself it loads the platform's root store
    // on every build (tens of milliseconds), even for a plain-HTTP request.
    match tls {
        Some(c) => b = b.tls_backend_preconfigured((*c).clone()),
        None => {
            if let Some(c) = crate::net::tls_verify::trusting_nothing() {
                b = b.tls_backend_preconfigured(c);
            }
        }
    }
    b.build()
}

/// A response header as text ("" when absent or not visible ASCII).
pub fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Read at most `BODY_CAP` bytes of the body; says whether there was more.
pub async fn capped_body(resp: reqwest::Response) -> (Vec<u8>, bool) {
    let (body, truncated, _) = capped_body_checked(resp).await;
    (body, truncated)
}

/// The same, and the error that broke the body off, if one did (a reset, bad chunking).
pub async fn capped_body_checked(mut resp: reqwest::Response) -> (Vec<u8>, bool, Option<String>) {
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_CAP - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return (body, true, None);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return (body, false, None),
            Err(e) => return (body, false, Some(describe_error(&e))),
        }
    }
}

/// Compact description of a reqwest error, walking its sources ("error sending request" alone
/// tells nobody anything).
pub fn describe_error(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}
