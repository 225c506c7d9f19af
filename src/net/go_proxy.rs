//! The proxy decision exactly as Go's `golang.org/x/net/http/httpproxy` makes it (what dockerd
//! uses), and curl's NO_PROXY matching for comparison. reqwest/hyper-util follow curl, not Go,
//! so this is our own port (rules in shared tech notes §2, table-tested below).

use std::net::IpAddr;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxyEnv {
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    pub no_proxy: Option<String>,
    /// `REQUEST_METHOD` is set (CGI): Go then ignores HTTP_PROXY.
    pub cgi: bool,
}

impl ProxyEnv {
    /// Go's getEnvAny: UPPER case first, then lower; the first NON-EMPTY value wins.
    /// ALL_PROXY is not read by Go.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let any = |names: &[&str]| names.iter().find_map(|n| get(n).filter(|v| !v.is_empty()));
        ProxyEnv {
            http_proxy: any(&["HTTP_PROXY", "http_proxy"]),
            https_proxy: any(&["HTTPS_PROXY", "https_proxy"]),
            no_proxy: any(&["NO_PROXY", "no_proxy"]),
            cgi: get("REQUEST_METHOD").is_some_and(|v| !v.is_empty()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProxyDecision {
    Direct(DirectReason),
    Via(url::Url),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DirectReason {
    NoProxySet,
    Loopback,
    NoProxyMatch { entry: String },
    NoProxyWildcard,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProxyError {
    #[error("invalid proxy address {value:?}: {reason}")]
    InvalidUrl { value: String, reason: String },
}

pub fn decide(env: &ProxyEnv, url: &url::Url) -> Result<ProxyDecision, ProxyError> {
    let raw = match url.scheme() {
        "https" => env.https_proxy.as_deref(),
        "http" if !env.cgi => env.http_proxy.as_deref(),
        _ => None,
    };
    let Some(raw) = raw else {
        return Ok(ProxyDecision::Direct(DirectReason::NoProxySet));
    };
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    if host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return Ok(ProxyDecision::Direct(DirectReason::Loopback));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    if let Some(np) = &env.no_proxy {
        if let Some(reason) = no_proxy_match(np, &host, port) {
            return Ok(ProxyDecision::Direct(reason));
        }
    }
    parse_proxy(raw).map(ProxyDecision::Via)
}

/// Go's parseProxy: try as given; without a scheme (or with one Go does not know), prefix http://.
fn parse_proxy(raw: &str) -> Result<url::Url, ProxyError> {
    let bad = |reason: String| ProxyError::InvalidUrl {
        value: raw.to_string(),
        reason,
    };
    // A value that names a scheme must parse as it is; only a bare host[:port] gets http://.
    let url = if raw.contains("://") {
        let u = url::Url::parse(raw).map_err(|e| bad(e.to_string()))?;
        if !matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") {
            return Err(bad(format!("unsupported proxy scheme {:?}", u.scheme())));
        }
        u
    } else {
        url::Url::parse(&format!("http://{raw}")).map_err(|e| bad(e.to_string()))?
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host".into()));
    }
    Ok(url)
}

/// Go's NO_PROXY matching (httpproxy.config.useProxy), returning the entry that matched.
fn no_proxy_match(no_proxy: &str, host: &str, port: u16) -> Option<DirectReason> {
    let ip = host.parse::<IpAddr>().ok();
    for raw in no_proxy.split(',') {
        let entry = raw.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return Some(DirectReason::NoProxyWildcard);
        }
        let matched = || {
            Some(DirectReason::NoProxyMatch {
                entry: raw.trim().to_string(),
            })
        };
        if let Ok(net) = entry.parse::<ipnet::IpNet>() {
            if ip.is_some_and(|ip| net.contains(&ip)) {
                return matched();
            }
            continue;
        }
        // IP, IP:port, [v6]:port
        let (addr_part, entry_port) = split_host_port(&entry);
        if let Ok(eip) = addr_part.trim_matches(['[', ']']).parse::<IpAddr>() {
            if ip == Some(eip) && entry_port.is_none_or(|p| p == port) {
                return matched();
            }
            continue;
        }
        if ip.is_some() {
            continue; // domain entries never match IP literals
        }
        let mut domain = addr_part.to_string();
        if let Some(rest) = domain.strip_prefix("*.") {
            domain = format!(".{rest}");
        }
        let domain = domain.trim_end_matches('.');
        if entry_port.is_some_and(|p| p != port) {
            continue;
        }
        let host = host.trim_end_matches('.');
        let hit = if let Some(suffix) = domain.strip_prefix('.') {
            host.ends_with(&format!(".{suffix}"))
        } else {
            host == domain || host.ends_with(&format!(".{domain}"))
        };
        if hit {
            return matched();
        }
    }
    None
}

fn split_host_port(entry: &str) -> (&str, Option<u16>) {
    if entry.starts_with('[') {
        if let Some((h, p)) = entry.rsplit_once("]:") {
            return (&entry[..h.len() + 1], p.parse().ok());
        }
        return (entry, None);
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

/// curl's lib/noproxy.c: separators are commas and blanks; `*` only as the whole value; a
/// leading dot is ignored (so `.example.com` matches example.com too); no ports, no `*.`.
pub fn curl_no_proxy_matches(no_proxy: &str, host: &str) -> bool {
    if no_proxy.trim() == "*" {
        return true;
    }
    let host = host
        .trim_matches(['[', ']'])
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    no_proxy
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let entry = entry.to_ascii_lowercase();
            if let Some(ip) = ip {
                return match entry.parse::<ipnet::IpNet>() {
                    Ok(net) => net.contains(&ip),
                    Err(_) => entry
                        .trim_matches(['[', ']'])
                        .parse::<IpAddr>()
                        .is_ok_and(|e| e == ip),
                };
            }
            let e = entry.trim_start_matches('.').trim_end_matches('.');
            !e.is_empty() && (host == e || host.ends_with(&format!(".{e}")))
        })
}

/// The entry to add so that Go lets this host go direct: the host itself always works.
pub fn suggested_no_proxy_entry(host: &str) -> String {
    host.trim_matches(['[', ']']).to_ascii_lowercase()
}

/// A domain entry covering sibling hosts too (the token realm, other regions):
/// `.aliyuncs.com` for `registry.cn-hangzhou.aliyuncs.com`. None for IPs and single labels.
pub fn suggested_no_proxy_domain(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<IpAddr>().is_ok() {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 3 {
        return None;
    }
    // Two-label public suffixes (com.cn, co.uk, ...) need one label more.
    let n = if matches!(
        labels[labels.len() - 2],
        "com" | "net" | "org" | "gov" | "edu" | "co" | "ac"
    ) && labels[labels.len() - 1].len() == 2
    {
        3
    } else {
        2
    };
    (labels.len() > n).then(|| format!(".{}", labels[labels.len() - n..].join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(https: &str, no: &str) -> ProxyEnv {
        ProxyEnv {
            https_proxy: Some(https.into()),
            http_proxy: Some(https.into()),
            no_proxy: (!no.is_empty()).then(|| no.into()),
            cgi: false,
        }
    }

    fn via(e: &ProxyEnv, url: &str) -> bool {
        matches!(
            decide(e, &url::Url::parse(url).unwrap()),
            Ok(ProxyDecision::Via(_))
        )
    }

    #[test]
    fn go_no_proxy_table() {
        let cases: &[(&str, &str, bool)] = &[
            // (NO_PROXY, URL, proxied?)
            ("", "https://registry.example.com/v2/", true),
            ("*", "https://registry.example.com/v2/", false),
            ("foo.com, *", "https://10.1.2.3/v2/", false),
            ("example.com", "https://example.com/", false),
            ("example.com", "https://registry.example.com/", false),
            ("example.com", "https://notexample.com/", true),
            (".example.com", "https://example.com/", true),
            (".example.com", "https://registry.example.com/", false),
            ("*.example.com", "https://registry.example.com/", false),
            ("*.example.com", "https://example.com/", true),
            ("example.com:5000", "https://example.com:5000/", false),
            ("example.com:5000", "https://example.com/", true),
            ("10.0.0.0/8", "https://10.1.2.3/", false),
            ("10.0.0.0/8", "https://internal.example/", true),
            ("10.1.2.3", "https://10.1.2.3/", false),
            ("10.1.2.3:443", "https://10.1.2.3/", false),
            ("10.1.2.3:80", "https://10.1.2.3/", true),
            ("[::2]:443", "https://[::2]/", false),
            ("EXAMPLE.com", "https://Registry.Example.COM/", false),
            (
                " , ,aliyuncs.com",
                "https://dockerauth.cn-hangzhou.aliyuncs.com/auth",
                false,
            ),
        ];
        for (np, url, proxied) in cases {
            assert_eq!(
                via(&env("http://proxy:3128", np), url),
                *proxied,
                "NO_PROXY={np:?} {url}"
            );
        }
    }

    #[test]
    fn loopback_is_never_proxied_and_schemes_are_separate() {
        let e = env("http://proxy:3128", "");
        assert!(!via(&e, "https://127.0.0.1:5000/v2/"));
        assert!(!via(&e, "https://localhost/v2/"));
        let only_http = ProxyEnv {
            http_proxy: Some("http://p:1".into()),
            ..ProxyEnv::default()
        };
        assert!(!via(&only_http, "https://r.example/"));
        assert!(via(&only_http, "http://r.example/"));
        let cgi = ProxyEnv {
            cgi: true,
            ..only_http
        };
        assert!(!via(&cgi, "http://r.example/"));
    }

    #[test]
    fn env_lookup_follows_go() {
        let vars = [
            ("HTTPS_PROXY", ""),
            ("https_proxy", "http://lower:1"),
            ("ALL_PROXY", "http://all:1"),
        ];
        let e = ProxyEnv::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(e.https_proxy.as_deref(), Some("http://lower:1"));
        assert_eq!(e.http_proxy, None, "ALL_PROXY is not read by Go");
    }

    #[test]
    fn proxy_values_parse_like_go() {
        let e = env("proxy.corp:3128", "");
        match decide(&e, &url::Url::parse("https://r.example/").unwrap()) {
            Ok(ProxyDecision::Via(u)) => assert_eq!(u.as_str(), "http://proxy.corp:3128/"),
            other => panic!("{other:?}"),
        }
        assert!(
            decide(
                &env("http://[::1", ""),
                &url::Url::parse("https://r.example/").unwrap()
            )
            .is_err()
        );
    }

    #[test]
    fn curl_differs_from_go() {
        assert!(curl_no_proxy_matches(".example.com", "example.com"));
        assert!(!curl_no_proxy_matches("*.example.com", "r.example.com"));
        assert!(curl_no_proxy_matches("example.com other.com", "other.com"));
        assert!(!curl_no_proxy_matches("foo,*", "r.example"));
        assert!(curl_no_proxy_matches("10.0.0.0/8", "10.2.3.4"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggested_no_proxy_domain("registry.cn-hangzhou.aliyuncs.com").as_deref(),
            Some(".aliyuncs.com")
        );
        assert_eq!(
            suggested_no_proxy_domain("reg.corp.com.cn").as_deref(),
            Some(".corp.com.cn")
        );
        assert_eq!(suggested_no_proxy_domain("10.0.0.1"), None);
        assert_eq!(suggested_no_proxy_entry("[::1]"), "::1");
    }
}
