//! The proxy decision exactly as Go's `golang.org/x/net/http/httpproxy` makes it (vendored in
//! Go's net/http as `ProxyFromEnvironment`, which is what dockerd's registry transport uses),
//! and curl's NO_PROXY matching for comparison ("curl works, docker pull does not").
//! reqwest/hyper-util follow curl's rules, not Go's, so this is our own port.
//!
//! Ported from x/net `http/httpproxy/proxy.go` as of 2025 (CVE-2025-22870 fix included: domain
//! entries never match IP-literal hosts), and curl `lib/proxy.c` `proxy_check_noproxy`.
//! Where the Go code depends on Go's `url.URL`, the request URL here is a WHATWG `url::Url`,
//! which has already lowercased the host, converted it to punycode and dropped a default port;
//! for the URLs regdoctor builds (`https://host[:port]/v2/`) that changes nothing.

use std::net::IpAddr;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxyEnv {
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    pub no_proxy: Option<String>,
    /// `REQUEST_METHOD` is set (CGI): Go then refuses HTTP_PROXY for http URLs.
    pub cgi: bool,
}

impl ProxyEnv {
    /// Go's `FromEnvironment`/`getEnvAny`: UPPER case first, then lower case; the first
    /// NON-EMPTY value wins (an empty `HTTPS_PROXY` does not hide `https_proxy`).
    /// `ALL_PROXY` is not read by Go at all.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let any = |names: [&str; 2]| names.iter().find_map(|n| get(n).filter(|v| !v.is_empty()));
        ProxyEnv {
            http_proxy: any(["HTTP_PROXY", "http_proxy"]),
            https_proxy: any(["HTTPS_PROXY", "https_proxy"]),
            no_proxy: any(["NO_PROXY", "no_proxy"]),
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
    /// No proxy variable applies to this URL's scheme (or the URL is neither http nor https).
    NoProxySet,
    /// `localhost` or a loopback IP: Go never proxies these, whatever NO_PROXY says.
    Loopback,
    /// This NO_PROXY entry (as written, trimmed) matched.
    NoProxyMatch { entry: String },
    /// NO_PROXY holds a `*` entry.
    NoProxyWildcard,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProxyError {
    /// The proxy value is one Go cannot use. What Go then does is in `reason`: a value it cannot
    /// parse is dropped silently (the daemon connects directly), a value with an unknown scheme
    /// is kept and every request through it fails.
    #[error("invalid proxy address {value:?}: {reason}")]
    InvalidUrl { value: String, reason: String },
    /// Go's exact error: with `REQUEST_METHOD` set, an http URL that would use HTTP_PROXY fails.
    #[error("refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy")]
    CgiRefused,
}

/// Go's `proxyForURL`: which proxy (if any) a request to `url` goes through.
///
/// https URLs use only `https_proxy`, http URLs only `http_proxy` (no fallback between them);
/// other schemes are never proxied. Then `localhost` and loopback IPs go direct, then NO_PROXY.
pub fn decide(env: &ProxyEnv, url: &url::Url) -> Result<ProxyDecision, ProxyError> {
    let raw = match url.scheme() {
        "https" => env.https_proxy.as_deref(),
        "http" => env.http_proxy.as_deref(),
        _ => None,
    };
    // Go treats an empty value as unset.
    let Some(raw) = raw.filter(|v| !v.is_empty()) else {
        return Ok(ProxyDecision::Direct(DirectReason::NoProxySet));
    };
    if url.scheme() == "http" && env.cgi {
        return Err(ProxyError::CgiRefused);
    }
    let proxy = parse_proxy(raw)?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) => Host::Name(d.trim().to_lowercase()),
        Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
        // Go: an empty address always uses the proxy.
        None => return Ok(ProxyDecision::Via(proxy)),
    };
    let port = url
        .port_or_known_default()
        .map(|p| p.to_string())
        .unwrap_or_default();
    match use_proxy(env.no_proxy.as_deref().unwrap_or(""), &host, &port) {
        Some(reason) => Ok(ProxyDecision::Direct(reason)),
        None => Ok(ProxyDecision::Via(proxy)),
    }
}

enum Host {
    Name(String),
    Ip(IpAddr),
}

/// Go's `parseProxy` plus the limits of Go's transport, as an error where Go would misbehave
/// quietly (it drops values it cannot parse and sends requests to whatever it half-parsed).
fn parse_proxy(raw: &str) -> Result<url::Url, ProxyError> {
    let bad = |reason: String| ProxyError::InvalidUrl {
        value: raw.to_string(),
        reason,
    };
    // The WHATWG parser would trim or strip these; Go does not, and then either fails to parse
    // the value (and ignores it) or reads a bogus proxy host out of it.
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            "it contains spaces or control characters (a stray newline or quote in the setting?), which Go does not strip: it ignores the setting or sends requests to a bogus proxy".into(),
        ));
    }
    // Go keeps a value with a scheme and a host and retries anything else as http://<value>.
    // A value that names a scheme but does not parse is not rescued by that retry (Go then
    // reads the scheme as the proxy host), so it is an error here.
    let parsed = if raw.contains("://") {
        url::Url::parse(raw)
    } else {
        url::Url::parse(&format!("http://{raw}"))
    };
    let url = parsed.map_err(|e| bad(format!("{e}; Go cannot use it")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no proxy host".into()));
    }
    if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
        return Err(bad(format!(
            "unsupported proxy scheme {:?}: Go keeps it, but its transport only speaks http, https and socks5, so requests fail",
            url.scheme()
        )));
    }
    Ok(url)
}

/// One parsed NO_PROXY entry, with the text it came from (for the report).
struct Matcher<'a> {
    entry: &'a str,
    kind: MatchKind,
}

enum MatchKind {
    Cidr(ipnet::IpNet),
    Ip {
        ip: IpAddr,
        port: String,
    },
    /// `host` always starts with '.'; `match_host` also matches the host without that dot.
    Domain {
        host: String,
        port: String,
        match_host: bool,
    },
}

/// Go's `config.useProxy`, inverted: `Some(reason)` when the request goes direct.
fn use_proxy(no_proxy: &str, host: &Host, port: &str) -> Option<DirectReason> {
    let ip = match host {
        Host::Name(name) if name == "localhost" => return Some(DirectReason::Loopback),
        Host::Name(_) => None,
        // `to_canonical`: Go's IsLoopback also sees ::ffff:127.0.0.1 as loopback.
        Host::Ip(ip) if ip.to_canonical().is_loopback() => return Some(DirectReason::Loopback),
        Host::Ip(ip) => Some(ip.to_canonical()),
    };
    let matchers = match parse_no_proxy(no_proxy) {
        Ok(m) => m,
        Err(wildcard) => return Some(wildcard),
    };
    for m in &matchers {
        let hit = match (&m.kind, host, ip) {
            (MatchKind::Cidr(net), _, Some(ip)) => net.contains(&ip),
            (MatchKind::Ip { ip: e, port: p }, _, Some(ip)) => {
                *e == ip && (p.is_empty() || p == port)
            }
            // CVE-2025-22870: domain entries never match IP literals.
            (
                MatchKind::Domain {
                    host: suffix,
                    port: p,
                    match_host,
                },
                Host::Name(name),
                None,
            ) => {
                (name.ends_with(suffix.as_str())
                    || (*match_host && suffix.get(1..) == Some(name.as_str())))
                    && (p.is_empty() || p == port)
            }
            _ => false,
        };
        if hit {
            return Some(DirectReason::NoProxyMatch {
                entry: m.entry.to_string(),
            });
        }
    }
    None
}

/// Go's `config.init` for NO_PROXY. `Err(NoProxyWildcard)`: a `*` entry, bypass everything.
/// Malformed entries are skipped silently, as Go does.
fn parse_no_proxy(no_proxy: &str) -> Result<Vec<Matcher<'_>>, DirectReason> {
    let mut out = Vec::new();
    for raw in no_proxy.split(',') {
        let entry = raw.trim();
        let p = entry.to_lowercase();
        if p.is_empty() {
            continue;
        }
        if p == "*" {
            return Err(DirectReason::NoProxyWildcard);
        }
        if p.contains('/') {
            // Go tries ParseCIDR only; an entry with '/' that is not a CIDR becomes a domain
            // entry below (and never matches anything real).
            if let Ok(net) = p.parse::<ipnet::IpNet>() {
                out.push(Matcher {
                    entry,
                    kind: MatchKind::Cidr(canonical_net(net)),
                });
                continue;
            }
        }
        let (phost, pport) = match split_host_port(&p) {
            Some((h, port)) => {
                if h.is_empty() {
                    continue;
                }
                (h.to_string(), port.to_string())
            }
            None => (p.clone(), String::new()),
        };
        if let Ok(ip) = phost.parse::<IpAddr>() {
            out.push(Matcher {
                entry,
                kind: MatchKind::Ip {
                    ip: ip.to_canonical(),
                    port: pport,
                },
            });
            continue;
        }
        // `*.example.com` is `.example.com`; a name without a leading dot also matches itself.
        let phost = match phost.strip_prefix("*.") {
            Some(rest) => format!(".{rest}"),
            None => phost,
        };
        let (host, match_host) = match phost.strip_prefix('.') {
            Some(_) => (phost, false),
            None => (format!(".{phost}"), true),
        };
        out.push(Matcher {
            entry,
            kind: MatchKind::Domain {
                host: idna_ascii(host),
                port: pport,
                match_host,
            },
        });
    }
    Ok(out)
}

/// Go's `idnaASCII`: non-ASCII names are converted to punycode; on failure the entry is kept.
fn idna_ascii(dotted: String) -> String {
    if dotted.is_ascii() {
        return dotted;
    }
    let rest = dotted.strip_prefix('.').unwrap_or(&dotted);
    match url::Host::parse(rest) {
        Ok(url::Host::Domain(d)) => format!(".{d}"),
        _ => dotted,
    }
}

/// Go's `net.IPNet.Contains` compares IPv4 inside IPv4-mapped IPv6 as IPv4, so
/// `::ffff:10.0.0.0/104` is `10.0.0.0/8`.
fn canonical_net(net: ipnet::IpNet) -> ipnet::IpNet {
    if let ipnet::IpNet::V6(v6) = net {
        if let (Some(v4), Some(len)) = (
            v6.network().to_ipv4_mapped(),
            v6.prefix_len().checked_sub(96),
        ) {
            if let Ok(n) = ipnet::Ipv4Net::new(v4, len) {
                return ipnet::IpNet::V4(n);
            }
        }
    }
    net
}

/// Go's `net.SplitHostPort`: `None` where Go returns an error. The port may be empty
/// (`example.com:` is host `example.com`, port ""), which Go then treats as "any port".
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    let i = s.rfind(':')?;
    let (host, j, k) = if s.starts_with('[') {
        let end = s.find(']')?;
        // The ']' must sit right before the last ':'.
        if end.checked_add(1) != Some(i) {
            return None;
        }
        (s.get(1..end)?, 1, end.checked_add(1)?)
    } else {
        let host = s.get(..i)?;
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if s.get(j..)?.contains('[') || s.get(k..)?.contains(']') {
        return None;
    }
    Some((host, s.get(i.checked_add(1)?..)?))
}

/// curl's `proxy_check_noproxy` (lib/proxy.c, formerly lib/noproxy.c): does `no_proxy` exempt
/// `host` (a host name or IP literal, brackets optional)?
///
/// * `*` only when the **whole** value is exactly `*` (no spaces around it).
/// * Entries are separated by commas; blanks around an entry are skipped, but a blank that is
///   not followed by a comma **ends the list**: `"a.com b.com"` only checks `a.com` (curl's
///   unit test 1614: `localhost .example.com .example.de` does not match www.example.com).
/// * Names: one leading and one trailing dot of an entry are ignored, a trailing dot of the
///   host too; then an exact or a tail match on a label boundary, case-insensitively. So
///   `.example.com` matches example.com itself (unlike Go), `*.example.com` never matches, and
///   `host:port` entries never match (no port support).
/// * IP hosts: entries are IPs or CIDRs (`/bits`, digits only, ≤ 32 or 128); no domain match.
///   An IPv4 `/0` means an exact match and an IPv6 `/0` means `/128`, as in curl.
/// * No localhost special case in this function.
pub fn curl_no_proxy_matches(no_proxy: &str, host: &str) -> bool {
    if host.is_empty() || no_proxy.is_empty() {
        return false;
    }
    if no_proxy == "*" {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip = bare.parse::<IpAddr>().ok();
    let name = match ip {
        Some(_) => bare,
        None => host.strip_suffix('.').unwrap_or(host),
    };
    let b = no_proxy.as_bytes();
    let blank = |c: u8| c == b' ' || c == b'\t';
    let mut p = 0;
    while p < b.len() {
        while b.get(p).copied().is_some_and(blank) {
            p += 1;
        }
        let start = p;
        while b.get(p).is_some_and(|&c| !blank(c) && c != b',') {
            p += 1;
        }
        // Token boundaries sit at ASCII bytes, so this slice is on char boundaries.
        let token = no_proxy.get(start..p).unwrap_or("");
        if !token.is_empty() {
            let hit = match ip {
                Some(ip) => curl_match_ip(ip, token),
                None => curl_match_host(token, name),
            };
            if hit {
                return true;
            }
        }
        while b.get(p).copied().is_some_and(blank) {
            p += 1;
        }
        if b.get(p) != Some(&b',') {
            break;
        }
        while b.get(p) == Some(&b',') {
            p += 1;
        }
    }
    false
}

fn curl_match_host(token: &str, name: &str) -> bool {
    let token = token.strip_suffix('.').unwrap_or(token);
    let token = token.strip_prefix('.').unwrap_or(token);
    let (t, n) = (token.as_bytes(), name.as_bytes());
    if t.len() == n.len() {
        return t.eq_ignore_ascii_case(n);
    }
    if t.len() < n.len() {
        // Tail match on a label boundary: "www.example.com" vs "example.com".
        let cut = n.len() - t.len();
        return n.get(cut.wrapping_sub(1)) == Some(&b'.')
            && n.get(cut..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(t));
    }
    false
}

fn curl_match_ip(ip: IpAddr, token: &str) -> bool {
    // curl copies the token into a 128-byte buffer; longer tokens cannot match.
    if token.len() >= 128 {
        return false;
    }
    let (addr, bits) = match token.split_once('/') {
        Some((a, b)) => {
            if b.is_empty() || !b.bytes().all(|c| c.is_ascii_digit()) {
                return false;
            }
            match b.parse::<u32>() {
                Ok(n) if n <= 128 => (a, n),
                _ => return false,
            }
        }
        None => (token, 0),
    };
    match (ip, addr.parse::<IpAddr>()) {
        (IpAddr::V4(host), Ok(IpAddr::V4(net))) => {
            if bits > 32 {
                return false;
            }
            if bits == 0 || bits == 32 {
                return host == net;
            }
            let mask = u32::MAX << (32 - bits);
            (u32::from(host) ^ u32::from(net)) & mask == 0
        }
        (IpAddr::V6(host), Ok(IpAddr::V6(net))) => {
            let bits = if bits == 0 { 128 } else { bits };
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            (u128::from(host) ^ u128::from(net)) & mask == 0
        }
        _ => false,
    }
}

/// The NO_PROXY entry to add so that Go lets this host go direct: the host itself (without
/// IPv6 brackets, lowercased), which always works for Go (a name entry also covers its
/// subdomains; an IP entry matches that IP). Pass a host, not `host:port`.
pub fn suggested_no_proxy_entry(host: &str) -> String {
    let h = host.trim();
    let h = h
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h);
    h.to_lowercase()
}

/// A domain entry that also covers sibling hosts (the token realm, other regions, the blob
/// CDN): `.aliyuncs.com` for `registry.cn-hangzhou.aliyuncs.com`, `.corp.com.cn` for
/// `reg.corp.com.cn`. The last two labels, or three under a known two-label public suffix.
///
/// `None` for IPs, single labels, and hosts that already are that domain (`example.com`: the
/// host itself is then the entry to use, since Go's `.example.com` does not match
/// `example.com`). The leading dot is understood by Go, curl and reqwest alike.
pub fn suggested_no_proxy_domain(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.').to_lowercase();
    let bare = host
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(&host);
    if bare.parse::<IpAddr>().is_ok()
        || host.is_empty()
        || host.split('.').any(str::is_empty)
        || host.contains([':', '/', ' ', ',', '*', '[', ']'])
    {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let last_two = labels.get(n.checked_sub(2)?..)?.join(".");
    let keep = if TWO_LABEL_SUFFIXES.contains(&last_two.as_str()) {
        3
    } else {
        2
    };
    if n <= keep {
        return None;
    }
    Some(format!(".{}", labels.get(n - keep..)?.join(".")))
}

/// Two-label public suffixes common among registry hosts (a small slice of the Public Suffix
/// List; a miss only makes the suggestion one label too broad, which the user sees).
const TWO_LABEL_SUFFIXES: &[&str] = &[
    "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn", "com.hk", "com.tw", "com.sg",
    "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "co.uk", "org.uk", "ac.uk",
    "gov.uk", "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "co.kr", "or.kr", "co.in", "net.in",
    "co.za", "com.br", "com.mx", "com.tr", "com.ru", "co.id", "com.my", "com.vn", "co.il",
    "com.ar", "com.pl",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    /// A short rendering of a decision, so tables stay readable.
    fn show(r: Result<ProxyDecision, ProxyError>) -> String {
        match r {
            Ok(ProxyDecision::Via(u)) => u.as_str().trim_end_matches('/').to_string(),
            Ok(ProxyDecision::Direct(DirectReason::NoProxySet)) => "<nil>".into(),
            Ok(ProxyDecision::Direct(DirectReason::Loopback)) => "loopback".into(),
            Ok(ProxyDecision::Direct(DirectReason::NoProxyWildcard)) => "wildcard".into(),
            Ok(ProxyDecision::Direct(DirectReason::NoProxyMatch { entry })) => {
                format!("no_proxy:{entry}")
            }
            Err(ProxyError::CgiRefused) => "cgi-error".into(),
            Err(ProxyError::InvalidUrl { .. }) => "invalid".into(),
        }
    }

    /// Go's proxyForURLTests (x/net http/httpproxy/proxy_test.go), plus our additions.
    #[test]
    fn go_proxy_for_url_table() {
        // (http_proxy, https_proxy, no_proxy, cgi, request, want)
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str, bool, &str, &str)] = &[
            ("127.0.0.1:8080", "", "", false, "http://example.com", "http://127.0.0.1:8080"),
            ("cache.corp.example.com:1234", "", "", false, "http://example.com", "http://cache.corp.example.com:1234"),
            ("cache.corp.example.com", "", "", false, "http://example.com", "http://cache.corp.example.com"),
            ("localhost", "", "", false, "http://example.com", "http://localhost"),
            ("https://cache.corp.example.com", "", "", false, "http://example.com", "https://cache.corp.example.com"),
            ("http://127.0.0.1:8080", "", "", false, "http://example.com", "http://127.0.0.1:8080"),
            ("https://127.0.0.1:8080", "", "", false, "http://example.com", "https://127.0.0.1:8080"),
            ("socks5://127.0.0.1", "", "", false, "http://example.com", "socks5://127.0.0.1"),
            ("http.proxy.tld", "secure.proxy.tld", "", false, "http://insecure.tld/", "http://http.proxy.tld"),
            ("http.proxy.tld", "secure.proxy.tld", "", false, "https://secure.tld/", "http://secure.proxy.tld"),
            ("http.proxy.tld", "https://secure.proxy.tld", "", false, "https://secure.tld/", "https://secure.proxy.tld"),
            ("http.proxy.tld", "", "", false, "https://secure.tld/", "<nil>"),
            ("", "http.proxy.tld", "", false, "http://insecure.tld/", "<nil>"),
            ("http.proxy.tld", "", "", false, "ftp://insecure.tld/", "<nil>"),
            ("http://10.1.2.3:8080", "", "", true, "http://example.com", "cgi-error"),
            ("", "https://secure.proxy.tld", "", true, "https://secure.tld/", "https://secure.proxy.tld"),
            ("", "", "", false, "http://example.com", "<nil>"),
            ("proxy", "", "example.com", false, "http://example.com/", "no_proxy:example.com"),
            ("proxy", "", ".example.com", false, "http://example.com/", "http://proxy"),
            ("proxy", "", "ample.com", false, "http://example.com/", "http://proxy"),
            ("proxy", "", "example.com", false, "http://foo.example.com/", "no_proxy:example.com"),
            ("proxy", "", ".foo.com", false, "http://example.com/", "http://proxy"),
            ("proxy", "", ".示例.com", false, "http://www.示例.com", "no_proxy:.示例.com"),
            ("proxy", "", "xn--fsq092h.com", false, "http://www.示例.com", "no_proxy:xn--fsq092h.com"),
            ("proxy", "", "示例.com", false, "http://www.xn--fsq092h.com", "no_proxy:示例.com"),
            // Ours: registry-shaped requests.
            ("", "http://p:3128", "", false, "https://registry.example.com/v2/", "http://p:3128"),
            ("", "http://p:3128", "*", false, "https://registry.example.com/v2/", "wildcard"),
            ("", "http://p:3128", "foo.com, *", false, "https://10.1.2.3/v2/", "wildcard"),
            ("", "http://p:3128", "EXAMPLE.com", false, "https://Registry.Example.COM/", "no_proxy:EXAMPLE.com"),
            ("", "http://p:3128", "*.example.com", false, "https://registry.example.com/", "no_proxy:*.example.com"),
            ("", "http://p:3128", "*.example.com", false, "https://example.com/", "http://p:3128"),
            ("", "http://p:3128", "example.com", false, "https://notexample.com/", "http://p:3128"),
            ("", "http://p:3128", "example.com:5000", false, "https://example.com:5000/", "no_proxy:example.com:5000"),
            ("", "http://p:3128", "example.com:5000", false, "https://example.com/", "http://p:3128"),
            ("", "http://p:3128", "example.com:443", false, "https://example.com/", "no_proxy:example.com:443"),
            ("", "http://p:3128", "example.com:", false, "https://example.com:5000/", "no_proxy:example.com:"),
            ("", "http://p:3128", "example.com:abc", false, "https://example.com/", "http://p:3128"),
            ("", "http://p:3128", "10.0.0.0/8", false, "https://10.1.2.3/", "no_proxy:10.0.0.0/8"),
            ("", "http://p:3128", "10.0.0.0/8", false, "https://internal.example/", "http://p:3128"),
            ("", "http://p:3128", "10.1.2.3", false, "https://10.1.2.3/", "no_proxy:10.1.2.3"),
            ("", "http://p:3128", "10.1.2.3:443", false, "https://10.1.2.3/", "no_proxy:10.1.2.3:443"),
            ("", "http://p:3128", "10.1.2.3:80", false, "https://10.1.2.3/", "http://p:3128"),
            ("", "http://p:3128", "[fd00::2]:443", false, "https://[fd00::2]/", "no_proxy:[fd00::2]:443"),
            ("", "http://p:3128", "fd00::2", false, "https://[fd00::2]:5000/", "no_proxy:fd00::2"),
            ("", "http://p:3128", "[fd00::2]", false, "https://[fd00::2]/", "http://p:3128"),
            ("", "http://p:3128", "fd00::/8", false, "https://[fd00::1]/", "no_proxy:fd00::/8"),
            ("", "http://p:3128", "::ffff:10.0.0.0/104", false, "https://10.9.9.9/", "no_proxy:::ffff:10.0.0.0/104"),
            ("", "http://p:3128", "0.0.1", false, "https://10.0.0.1/", "http://p:3128"),
            ("", "http://p:3128", " , ,aliyuncs.com", false, "https://dockerauth.cn-hangzhou.aliyuncs.com/auth", "no_proxy:aliyuncs.com"),
            ("", "http://p:3128", "example.com", false, "https://example.com./", "http://p:3128"),
            ("", "http://p:3128", "example.com.", false, "https://example.com./", "no_proxy:example.com."),
            ("", "http://p:3128", ":1", false, "https://example.com/", "http://p:3128"),
            ("", "http://p:3128", "example.com other.com", false, "https://other.com/", "http://p:3128"),
            // Loopback never goes through the proxy, whatever NO_PROXY says.
            ("", "http://p:3128", "", false, "https://127.0.0.1:5000/v2/", "loopback"),
            ("", "http://p:3128", "", false, "https://127.8.9.10/v2/", "loopback"),
            ("", "http://p:3128", "", false, "https://localhost/v2/", "loopback"),
            ("", "http://p:3128", "", false, "https://[::1]:5000/v2/", "loopback"),
            ("", "http://p:3128", "", false, "https://[::ffff:127.0.0.1]/v2/", "loopback"),
            ("", "http://p:3128", "", false, "https://[::2]/v2/", "http://p:3128"),
            ("", "http://p:3128", "", false, "https://localhost.localdomain/v2/", "http://p:3128"),
            // Values Go cannot use.
            ("", "http://p:3128 ", "", false, "https://r.example/", "invalid"),
            ("", "\"http://p:3128\"", "", false, "https://r.example/", "invalid"),
            ("", "foo://host", "", false, "https://r.example/", "invalid"),
            ("", "http://[::1", "", false, "https://r.example/", "invalid"),
            ("", "user:pass@proxy.corp:8080", "", false, "https://r.example/", "http://user:pass@proxy.corp:8080"),
            ("", "socks5h://127.0.0.1:1080", "", false, "https://r.example/", "socks5h://127.0.0.1:1080"),
        ];
        for (http, https, no, cgi, req, want) in cases {
            let env = ProxyEnv {
                http_proxy: Some(http.to_string()),
                https_proxy: Some(https.to_string()),
                no_proxy: Some(no.to_string()),
                cgi: *cgi,
            };
            let got = show(decide(&env, &url(req)));
            assert_eq!(
                &got, want,
                "http={http:?} https={https:?} no={no:?} req={req}"
            );
        }
    }

    /// Unset (not just empty) variables: still no fallback from one scheme to the other.
    #[test]
    fn schemes_never_borrow_each_others_proxy() {
        let only_https = ProxyEnv {
            https_proxy: Some("http://p:3128".into()),
            ..ProxyEnv::default()
        };
        let only_http = ProxyEnv {
            http_proxy: Some("http://p:3128".into()),
            ..ProxyEnv::default()
        };
        let cases = [
            (&only_https, "http://r.example/", "<nil>"),
            (&only_https, "https://r.example/", "http://p:3128"),
            (&only_http, "https://r.example/", "<nil>"),
            (&only_http, "http://r.example/", "http://p:3128"),
            (&only_http, "ws://r.example/", "<nil>"),
        ];
        for (env, req, want) in cases {
            assert_eq!(show(decide(env, &url(req))), want, "{env:?} {req}");
        }
    }

    /// Go's UseProxyTests with its noProxy list (every request on port 80).
    #[test]
    fn go_use_proxy_table() {
        let no_proxy = "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64";
        #[rustfmt::skip]
        let cases = [
            ("localhost", false), ("127.0.0.1", false), ("127.0.0.2", false),
            ("[::1]", false), ("[::2]", true),
            ("192.168.1.1", false), ("192.168.1.2", true), ("192.168.1.3", false),
            ("192.168.1.4", true), ("10.0.0.2", false),
            ("[2001:db8::52:0:1]", false), ("[2001:db8::52:0:2]", true),
            ("[2001:db8::52:0:3]", false), ("[2002:db8:a::123]", false),
            ("[fe80::424b:c8be:1643:a1b6]", true),
            ("barbaz.net", true), ("www.barbaz.net", false), ("foobar.com", false),
            ("www.foobar.com", false), ("foofoobar.com", true), ("baz.com", true),
            ("localhost.net", true), ("local.localhost", true), ("barbarbaz.net", true),
            ("wildcard.io", true), ("nested.wildcard.io", false), ("awildcard.io", true),
        ];
        let env = |np: &str| ProxyEnv {
            http_proxy: Some("http://proxy:3128".into()),
            no_proxy: Some(np.into()),
            ..ProxyEnv::default()
        };
        for (host, proxied) in cases {
            let u = url(&format!("http://{host}:80/"));
            let via = matches!(decide(&env(no_proxy), &u), Ok(ProxyDecision::Via(_)));
            assert_eq!(via, proxied, "{host} with the Go noProxy list");
            // TestAllNoProxy: "*" bypasses every one of them.
            assert!(
                !matches!(decide(&env("*"), &u), Ok(ProxyDecision::Via(_))),
                "{host} with *"
            );
        }
    }

    /// (variables set, expected http_proxy, https_proxy, no_proxy, cgi)
    type EnvRow<'a> = (
        &'a [(&'a str, &'a str)],
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        bool,
    );

    #[test]
    fn env_lookup_follows_go() {
        // (variables set, expected http, https, no_proxy, cgi)
        #[rustfmt::skip]
        let cases: &[EnvRow] = &[
            (&[("HTTP_PROXY", "httpproxy"), ("HTTPS_PROXY", "httpsproxy"), ("NO_PROXY", "noproxy"), ("REQUEST_METHOD", "")],
             Some("httpproxy"), Some("httpsproxy"), Some("noproxy"), false),
            (&[("http_proxy", "httpproxy"), ("https_proxy", "httpsproxy"), ("no_proxy", "noproxy")],
             Some("httpproxy"), Some("httpsproxy"), Some("noproxy"), false),
            (&[("HTTP_PROXY", "upper"), ("http_proxy", "lower"), ("REQUEST_METHOD", "PUT")],
             Some("upper"), None, None, true),
            // An empty upper-case value does not hide the lower-case one.
            (&[("HTTPS_PROXY", ""), ("https_proxy", "http://lower:1"), ("NO_PROXY", ""), ("no_proxy", "x")],
             None, Some("http://lower:1"), Some("x"), false),
            // ALL_PROXY is not Go's.
            (&[("ALL_PROXY", "http://all:1"), ("all_proxy", "http://all:2")], None, None, None, false),
        ];
        for (vars, http, https, no, cgi) in cases {
            let e = ProxyEnv::from_lookup(|k| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            });
            assert_eq!(e.http_proxy.as_deref(), *http, "{vars:?}");
            assert_eq!(e.https_proxy.as_deref(), *https, "{vars:?}");
            assert_eq!(e.no_proxy.as_deref(), *no, "{vars:?}");
            assert_eq!(e.cgi, *cgi, "{vars:?}");
        }
    }

    #[test]
    fn invalid_proxy_errors_say_what_go_does() {
        let env = |v: &str| ProxyEnv {
            https_proxy: Some(v.into()),
            ..ProxyEnv::default()
        };
        let cases = [
            ("http://p:3128\n", "control characters"),
            (" http://p:3128", "spaces"),
            ("foo://host", "unsupported proxy scheme \"foo\""),
            ("http://[::1", "Go cannot use it"),
            ("http://", "Go cannot use it"),
            ("\"http://p:3128\"", "Go cannot use it"),
        ];
        for (value, needle) in cases {
            let err = decide(&env(value), &url("https://r.example/")).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(needle), "{value:?}: {text}");
            assert!(text.starts_with("invalid proxy address"), "{text}");
        }
    }

    #[test]
    fn split_host_port_matches_go() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("example.com:80", Some(("example.com", "80"))),
            ("example.com:", Some(("example.com", ""))),
            (":1", Some(("", "1"))),
            ("[::1]:80", Some(("::1", "80"))),
            ("example.com", None),
            ("::1", None),
            ("[::1]", None),
            ("[::1]x:80", None),
            ("a[b:80", None),
            ("a]b:80", None),
            ("[[::1]:80", None),
        ];
        for (input, want) in cases {
            assert_eq!(split_host_port(input), *want, "{input:?}");
        }
    }

    /// curl's unit test 1614 (lib/proxy.c), plus the cases where curl and Go part ways.
    #[test]
    fn curl_no_proxy_table() {
        let long = "localhost,127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.";
        #[rustfmt::skip]
        let cases: &[(&str, &str, bool)] = &[
            ("www.example.com", "localhost .example.com .example.de", false),
            ("www.example.com", "localhost,.example.com,.example.de", true),
            ("www.example.com.", "localhost,.example.com,.example.de", true),
            ("example.com", "localhost,.example.com,.example.de", true),
            ("example.com.", "localhost,.example.com,.example.de", true),
            ("www.example.com", "localhost,.example.com.,.example.de", true),
            ("www.example.com", "localhost,www.example.com.,.example.de", true),
            ("example.com", "localhost,example.com,.example.de", true),
            ("nexample.com", "localhost,example.com,.example.de", false),
            ("www.example.com", "localhost,example.com,.example.de", true),
            ("127.0.0.1", "127.0.0.1,localhost", true),
            ("127.0.0.1", "127.0.0.1/8,localhost,", true),
            ("127.0.0.1", "127.0.0.1/31,localhost,", true),
            ("127.0.0.1", long, false),
            ("localhost", "127.0.0.1,localhost", true),
            ("foobar", "barfoo", false),
            ("foobar", "foobar", true),
            ("192.168.0.1", "foobar", false),
            ("192.168.0.1", "192.168.0.0/16", true),
            ("192.168.0.1", "192.168.0.0/16a", false),
            ("192.168.0.1", "192.168.0.0/16 ", true),
            ("192.168.0.1", "192.168.0.0/a16", false),
            ("192.168.0.1", "192.168.0.0/ 16", false),
            ("192.168.0.1", "192.168.0.0/24", true),
            ("192.168.0.1", "192.168.0.0/32", false),
            ("192.168.0.1", "192.168.0.1/32", true),
            ("192.168.0.1", "192.168.0.1/33", false),
            ("192.168.0.1", "192.168.0.0", false),
            ("192.168.1.1", "foo, bar, 192.168.0.0/24", false),
            ("192.168.1.1", "foo, bar, 192.168.0.0/16", true),
            ("::1", "foo, bar, 192.168.0.0/16", false),
            ("::1", "foo, bar, ::1/64", true),
            ("::1", "::1/129", false),
            ("::1", "::1/127 ", true),
            ("[::1]", "::1", true),
            ("2001:db8:8000::1", "2001:db8::/65", false),
            ("2001:db8::1", "2001:db8::/72", true),
            ("bar", "foo, bar, ::1/64", true),
            ("BAr", "foo,,,,,              bar, ::1/64", true),
            ("www.example.com", "foo, .example.com", true),
            ("www.example.com", "www2.example.com, .example.net", false),
            ("nonexample.com", ".example.com, .example.net", false),
            // Where curl and Go differ.
            ("anything.example", "*", true),
            ("10.1.2.3", "*", true),
            ("anything.example", " *", false),
            ("anything.example", "foo,*", false),
            ("r.example.com", "*.example.com", false),
            ("example.com", "example.com:443", false),
            ("10.1.2.3", "10.0.0.0/8", true),
            ("internal.example", "10.0.0.0/8", false),
            ("", "example.com", false),
            ("example.com", "", false),
        ];
        for (host, np, want) in cases {
            assert_eq!(
                curl_no_proxy_matches(np, host),
                *want,
                "host={host:?} no_proxy={np:?}"
            );
        }
    }

    #[test]
    fn suggestions() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("registry.cn-hangzhou.aliyuncs.com", "registry.cn-hangzhou.aliyuncs.com", Some(".aliyuncs.com")),
            ("Reg.Corp.com.cn", "reg.corp.com.cn", Some(".corp.com.cn")),
            ("corp.com.cn", "corp.com.cn", None),
            ("r.example.co.uk", "r.example.co.uk", Some(".example.co.uk")),
            ("123.dkr.ecr.us-east-1.amazonaws.com", "123.dkr.ecr.us-east-1.amazonaws.com", Some(".amazonaws.com")),
            ("example.com", "example.com", None),
            ("example.com.", "example.com.", None),
            ("localhost", "localhost", None),
            ("10.0.0.1", "10.0.0.1", None),
            ("[::1]", "::1", None),
            ("fd00::1", "fd00::1", None),
            ("a..b.com", "a..b.com", None),
            ("", "", None),
        ];
        for (host, entry, domain) in cases {
            assert_eq!(suggested_no_proxy_entry(host), *entry, "{host:?}");
            assert_eq!(
                suggested_no_proxy_domain(host).as_deref(),
                *domain,
                "{host:?}"
            );
        }
        // Every suggestion really makes Go go direct for the host it was made for.
        for host in [
            "registry.cn-hangzhou.aliyuncs.com",
            "reg.corp.com.cn",
            "10.0.0.1",
            "fd00::1",
        ] {
            let u = if host.contains(':') {
                url(&format!("https://[{host}]/v2/"))
            } else {
                url(&format!("https://{host}/v2/"))
            };
            let mut entries = vec![suggested_no_proxy_entry(host)];
            entries.extend(suggested_no_proxy_domain(host));
            for entry in entries {
                let env = ProxyEnv {
                    https_proxy: Some("http://p:3128".into()),
                    no_proxy: Some(entry.clone()),
                    ..ProxyEnv::default()
                };
                assert!(
                    matches!(
                        decide(&env, &u),
                        Ok(ProxyDecision::Direct(DirectReason::NoProxyMatch { .. }))
                    ),
                    "{entry} for {host}"
                );
            }
        }
    }

    #[test]
    fn hostile_no_proxy_is_linear_and_safe() {
        let junk: String = (0..200_000u32)
            .map(|i| char::from_u32(i % 0x2FF + 1).unwrap_or(','))
            .collect();
        let env = ProxyEnv {
            https_proxy: Some("http://p:3128".into()),
            no_proxy: Some(junk.clone()),
            ..ProxyEnv::default()
        };
        let start = std::time::Instant::now();
        let _ = decide(&env, &url("https://r.example/"));
        let _ = curl_no_proxy_matches(&junk, "r.example");
        let _ = curl_no_proxy_matches(&junk, "10.0.0.1");
        let _ = suggested_no_proxy_domain(&junk);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        for s in [
            "[",
            "]",
            "[]:",
            ":",
            "[::1]:",
            "é:é",
            "*.",
            ".",
            "/",
            "1.2.3.4/99",
            "::/0",
        ] {
            let e = ProxyEnv {
                no_proxy: Some(s.into()),
                ..env.clone()
            };
            let _ = decide(&e, &url("https://r.example/"));
            let _ = decide(&e, &url("https://10.0.0.1/"));
            let _ = curl_no_proxy_matches(s, s);
            let _ = suggested_no_proxy_domain(s);
        }
    }
}
