//! The reader of error chains: turns one line of client output into structured facts.
//!
//! Go clients build their errors by wrapping: each layer puts its own words in front and a
//! `: ` before the cause (`Error response from daemon: Get "https://h/v2/": dial tcp: lookup h:
//! no such host`). Read from the outside in, the layers name the client and the operation; the
//! innermost request URL names the stage of the protocol that failed (ping, token realm,
//! manifest, blob, upload); the innermost cause names what went wrong (a Go network or TLS
//! error class, an HTTP status in whatever shape the client printed it, a distribution error
//! code). `facts` then maps these facts to the same observation keys `check` records.
//!
//! Written by hand rather than with a parser generator: the "grammar" is a set of loose
//! conventions across a dozen clients, and every piece has to degrade gracefully on text cut
//! by a terminal, a log collector or a person pasting half a line.

use std::sync::OnceLock;

use regex::bytes::Regex;

/// Which program printed the line, as far as its wording tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Docker,
    Dockerd,
    Containers,
    Containerd,
    Kubelet,
    Crio,
    Buildkit,
    Crane,
    Helm,
    Oras,
    Regctl,
    GithubActions,
    Gitlab,
}

impl Client {
    pub fn id(self) -> &'static str {
        match self {
            Client::Docker => "docker",
            Client::Dockerd => "dockerd",
            Client::Containers => "podman",
            Client::Containerd => "containerd",
            Client::Kubelet => "kubelet",
            Client::Crio => "cri-o",
            Client::Buildkit => "buildkit",
            Client::Crane => "crane",
            Client::Helm => "helm",
            Client::Oras => "oras",
            Client::Regctl => "regctl",
            Client::GithubActions => "github-actions",
            Client::Gitlab => "gitlab",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Pull,
    Push,
    Login,
    Build,
    TagList,
}

impl Op {
    pub fn id(self) -> &'static str {
        match self {
            Op::Pull => "pull",
            Op::Push => "push",
            Op::Login => "login",
            Op::Build => "build",
            Op::TagList => "tag_list",
        }
    }
}

/// The request of the registry protocol that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    ProxyConnect,
    Ping,
    Token,
    Manifest,
    Blob,
    BlobUpload,
    TagList,
    /// Docker's legacy v1 endpoints (`/v1/_ping`, `/v1/repositories/...`): only old daemons and
    /// the fallback after a v2 failure use them.
    V1,
}

impl Stage {
    pub fn id(self) -> &'static str {
        match self {
            Stage::ProxyConnect => "proxy_connect",
            Stage::Ping => "ping",
            Stage::Token => "token",
            Stage::Manifest => "manifest",
            Stage::Blob => "blob",
            Stage::BlobUpload => "blob_upload",
            Stage::TagList => "tag_list",
            Stage::V1 => "v1",
        }
    }
}

/// A Go network, DNS or TLS error class, as the standard library words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    NoSuchHost,
    ServerMisbehaving,
    DnsTimeout,
    DnsRefused,
    Refused,
    Reset,
    Timeout,
    Unreachable,
    /// The connection closed before a response: `: EOF` at the end of a request.
    Eof,
    /// The stream broke in the middle of a body.
    UnexpectedEof,
    /// Connected and sent the request, then no response headers in time.
    NoResponse,
    TlsHandshakeTimeout,
    HttpToHttps,
    /// `proxyconnect tcp: ...`: the proxy itself could not be reached.
    ProxyUnreachable,
    /// A proxy answered CONNECT with an error status (Go keeps only the reason phrase).
    ProxyRefused,
}

impl Net {
    pub fn id(self) -> &'static str {
        match self {
            Net::NoSuchHost => "no_such_host",
            Net::ServerMisbehaving => "server_misbehaving",
            Net::DnsTimeout => "dns_timeout",
            Net::DnsRefused => "dns_refused",
            Net::Refused => "connection_refused",
            Net::Reset => "connection_reset",
            Net::Timeout => "timeout",
            Net::Unreachable => "unreachable",
            Net::Eof => "eof",
            Net::UnexpectedEof => "unexpected_eof",
            Net::NoResponse => "no_response",
            Net::TlsHandshakeTimeout => "tls_handshake_timeout",
            Net::HttpToHttps => "http_response_to_https_client",
            Net::ProxyUnreachable => "proxy_unreachable",
            Net::ProxyRefused => "proxy_refused",
        }
    }

    pub fn is_dns(self) -> bool {
        matches!(
            self,
            Net::NoSuchHost | Net::ServerMisbehaving | Net::DnsTimeout | Net::DnsRefused
        )
    }
}

/// The error codes of the distribution API (`errors[].code`), in upper case.
pub const DIST_CODES: &[&str] = &[
    "UNAUTHORIZED",
    "DENIED",
    "NAME_UNKNOWN",
    "NAME_INVALID",
    "MANIFEST_UNKNOWN",
    "MANIFEST_INVALID",
    "MANIFEST_UNVERIFIED",
    "MANIFEST_BLOB_UNKNOWN",
    "BLOB_UNKNOWN",
    "BLOB_UPLOAD_UNKNOWN",
    "BLOB_UPLOAD_INVALID",
    "TAG_INVALID",
    "SIZE_INVALID",
    "DIGEST_INVALID",
    "TOOMANYREQUESTS",
    "UNSUPPORTED",
];

/// Everything read from one line. Fields stay `None` when the text does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chain {
    pub client: Option<Client>,
    pub op: Option<Op>,
    pub stage: Option<Stage>,
    /// The innermost request URL, without its query.
    pub url: Option<String>,
    /// The host the failure is about (URL host, `lookup H`, `pinging container registry H`).
    pub host: Option<String>,
    /// The host of the outermost request URL, when it differs: the registry whose realm or
    /// blob store failed.
    pub registry: Option<String>,
    pub status: Option<u16>,
    /// Distribution error codes, upper case, in order of appearance.
    pub codes: Vec<&'static str>,
    pub net: Option<Net>,
    /// The registry is Docker Hub (its hosts, or an image reference without a registry).
    pub docker_hub: bool,
    /// The image is one of Docker Hub's official ones (`nginx`, `library/nginx`): always
    /// public, so a refusal means it does not exist.
    pub official_image: bool,
    /// The failing host is a registry mirror (Docker's fallback wording, or a known mirror).
    pub mirror: bool,
    /// The body of the answer was not a registry's JSON error (HTML, or a shape Docker could
    /// not parse): something other than the registry API answered.
    pub foreign_body: bool,
    /// The line is about a container registry (a `/v2/` URL, a client's wrapper, a
    /// distribution code), not some other tool's network error.
    pub registry_context: bool,
}

impl Chain {
    /// Some failure was read: a status, a code or a network class.
    pub fn has_failure(&self) -> bool {
        self.net.is_some() || !self.codes.is_empty() || self.status.is_some_and(|s| s >= 400)
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.codes.contains(&code)
    }
}

struct Grammar {
    request: Regex,
    url: Regex,
    lookup: Regex,
    pinging: Regex,
    status_shapes: Vec<Regex>,
    reason_only: Regex,
    lower_code: Regex,
    upper_code: Regex,
    json_code: Regex,
}

fn grammar() -> Option<&'static Grammar> {
    static G: OnceLock<Option<Grammar>> = OnceLock::new();
    G.get_or_init(|| {
        // ASCII classes and no Unicode tables: building these must stay well under a
        // millisecond, since a one-line explain builds them.
        let re = |s: &str| {
            regex::bytes::RegexBuilder::new(s)
                .case_insensitive(true)
                .unicode(false)
                .build()
                .ok()
        };
        let exact = |s: &str| {
            regex::bytes::RegexBuilder::new(s)
                .unicode(false)
                .build()
                .ok()
        };
        let statuses = [
            // `unexpected status code 404`, `status code: 401`, `response status code 403`,
            // `unexpected status: 503`, `received unexpected HTTP status: 500`, `status 429`,
            // `invalid status code from registry 404`, `failed with status: 401`,
            // `StatusCode: 403`, `HTTP 502`, `HTTP/1.1 407`, `error parsing HTTP 408 response`.
            r"(?:status(?:[ _]?code)?|http(?:/[0-9.]+)?|statuscode|server error)\s*[:=]?\s*\(?([1-5][0-9]{2})\b",
            // `401 Unauthorized`, `500 (Internal Server Error)`, `429 Too Many Requests`
            r"\b([1-5][0-9]{2})\s+\(?(?:unauthori[sz]ed|forbidden|not found|too many requests|internal server error|bad gateway|service unavailable|gateway time-?out|request entity too large|payload too large|proxy authentication required|method not allowed|bad request|request time-?out|conflict|not acceptable|unsupported media type|precondition failed|range not satisfiable|length required|not implemented|request header fields too large)\b",
            // `code = 403`, `returned 404`, `returned error: 403`
            r"\b(?:returned(?: error)?|got|answered|responded(?: with)?)\s*:?\s*([1-5][0-9]{2})\b",
        ];
        Some(Grammar {
            // `Get "https://..."`, `HEAD https://...`, `GET request to https://...`
            request: re(
                r#"\b(get|head|post|put|patch|delete)(?: request to)?\s+"?(https?://[^\s"']+)"?"#,
            )?,
            url: re(r#"https?://[^\s"'<>)]+"#)?,
            lookup: re(r"\blookup ([a-z0-9][a-z0-9.\-]*[a-z0-9])(?: on [0-9a-f.:\[\]]+)?: ")?,
            pinging: re(r"pinging (?:container |docker )?registry ([a-z0-9][a-z0-9.\-:\[\]]*)")?,
            status_shapes: statuses.iter().filter_map(|s| re(s)).collect(),
            // After a request URL, the whole rest is a bare reason phrase: Go's transport does
            // that with a proxy's answer to CONNECT.
            // Any short phrase will do: a proxy words its reason as it likes (tinyproxy says
            // `Access denied`, squid `Forbidden`), and no registry client prints a bare phrase
            // after a request URL for the registry's own answers.
            reason_only: exact(
                r#"(?i:get|head|post|put|patch|delete) \\?"?https?://[^\s"'\\]+\\?"?: ([A-Z][A-Za-z'\-]*(?: [A-Za-z'\-]+){0,5})\s*(?:\\?"|$)"#,
            )?,
            // `denied: ...`, `name unknown: ...`, `manifest unknown`, `toomanyrequests:`
            // `unauthorized`, `denied` and `unsupported` are ordinary words: only with the colon
            // errcode puts after them (`permission denied` ends many a line).
            lower_code: re(
                r"(?:^|[\s:(\[,])(?:(unauthorized|denied|unsupported):|(unknown blob|name unknown|name invalid|manifest unknown|manifest invalid|manifest blob unknown|manifest unverified|blob unknown|blob upload unknown|blob upload invalid|tag invalid|size invalid|digest invalid|toomanyrequests)(?::|\s*$))",
            )?,
            upper_code: exact(
                r"\b(UNAUTHORIZED|DENIED|NAME_UNKNOWN|NAME_INVALID|MANIFEST_UNKNOWN|MANIFEST_INVALID|MANIFEST_UNVERIFIED|MANIFEST_BLOB_UNKNOWN|BLOB_UNKNOWN|BLOB_UPLOAD_UNKNOWN|BLOB_UPLOAD_INVALID|TAG_INVALID|SIZE_INVALID|DIGEST_INVALID|TOOMANYREQUESTS|UNSUPPORTED)\b",
            )?,
            json_code: re(r#"\\?"code\\?"\s*:\s*\\?"([A-Za-z_]+)\\?""#)?,
        })
    })
    .as_ref()
}

/// Text without which the reader finds nothing: a line of a large log is only read when it
/// holds one of these (each implies registry context or an error code).
const TRIGGERS: &[&str] = &[
    "/v2/",
    "error response from daemon",
    "pinging container registry",
    "initializing source",
    "initializing destination",
    "failed to resolve reference",
    "failed to pull image",
    "failed to pull and unpack",
    "pull access denied",
    "failed to solve",
    "failed to fetch",
    "failed to authorize",
    "unauthorized:",
    "denied:",
    "unknown:",
    "_unknown",
    "_invalid",
    "toomanyrequests",
    "unsupported:",
    "scope=repository",
    "service=",
    "proxyconnect",
];

/// The position of the next trigger in `block` from `at` (case-insensitive), if any.
pub fn next_trigger(block: &[u8], at: usize) -> Option<usize> {
    static AC: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    if at >= block.len() {
        return None;
    }
    let ac = AC.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(TRIGGERS)
            .ok()
    });
    match ac {
        Some(ac) => ac
            .find(aho_corasick::Input::new(block).span(at..block.len()))
            .map(|m| m.start()),
        // Without the automaton every line is a candidate: slower, never blind.
        None => Some(at),
    }
}

/// A logrus line quotes its message and escapes the quotes inside it (`msg="logging into
/// \"host\": ..."`); phrases and the reader are written for the plain text.
pub fn unescape_logfmt<'a>(line: &'a str, buf: &'a mut String) -> &'a str {
    if !line.contains("\\\"") {
        return line;
    }
    buf.clear();
    buf.push_str(&line.replace("\\\"", "\""));
    buf.as_str()
}

/// Read one line (or a logical line rebuilt from a wrapped paste), logrus quotes unescaped.
pub fn read(line: &str) -> Chain {
    let Some(g) = grammar() else {
        return Chain::default();
    };
    let mut c = Chain::default();
    // logrus lines (`level=error msg="..."`) come with their quotes already unescaped by the
    // caller (`unescape_logfmt`), so quoted URLs look as they do elsewhere.
    let text = line;
    let lower_text = line.to_ascii_lowercase();
    c.client = client_of(&lower_text, line);

    read_requests(g, text, &mut c);
    if c.host.is_none() {
        if let Some(m) = g.pinging.captures(text.as_bytes()) {
            c.host = Some(utf8(&m[1]).trim_end_matches(':').to_ascii_lowercase());
            c.stage.get_or_insert(Stage::Ping);
        }
    }
    if let Some(m) = g.lookup.captures(text.as_bytes()) {
        let host = utf8(&m[1]).to_ascii_lowercase();
        c.host.get_or_insert(host);
    }
    c.stage = c.stage.or_else(|| stage_from_words(&lower_text));
    // Docker reports a registry's own unexpected status without a URL; the same words behind
    // `Head "<manifest URL>": ` come from inside the round trip, where only the token request
    // (made by the auth transport on the registry's behalf) can answer with a status.
    if matches!(c.stage, Some(Stage::Manifest | Stage::Blob | Stage::Ping))
        && lower_text.contains("\": received unexpected http status")
    {
        c.registry = c.host.clone();
        c.stage = Some(Stage::Token);
    }
    c.op = op_of(&lower_text);
    c.net = net_of(&lower_text);
    if c.net.is_none() {
        if let Some(m) = g.reason_only.captures(text.as_bytes()) {
            // A bare reason phrase after the URL of a request through a proxy: the proxy
            // refused the tunnel. Without a proxy nobody prints a status that way.
            let phrase = utf8(&m[1]);
            if !matches!(phrase.as_ref(), "EOF") {
                c.net = Some(Net::ProxyRefused);
                c.status = status_of_phrase(&phrase);
                c.stage = Some(Stage::ProxyConnect);
            }
        }
    }
    if c.status.is_none() {
        c.status = g
            .status_shapes
            .iter()
            .filter_map(|re| re.captures(text.as_bytes()))
            .filter_map(|m| utf8(m.get(1)?.as_bytes()).parse::<u16>().ok())
            .find(|s| (100..600).contains(s));
    }
    read_codes(g, text, &mut c.codes);
    // A dial to a loopback address for a registry that is not on loopback: the client was
    // connecting to a local proxy (Docker Desktop's, a VPN client's), and that is what failed.
    if matches!(c.net, Some(Net::Refused | Net::Timeout | Net::Reset)) {
        if let (Some(dialled), Some(host)) = (dial_address(&lower_text), c.host.as_deref()) {
            let host_ip = host.rsplit_once(':').map_or(host, |(h, _)| h);
            let host_local = host_ip == "localhost"
                || host_ip
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if dialled.is_loopback() && !host_local {
                c.net = Some(Net::ProxyUnreachable);
                c.stage = Some(Stage::ProxyConnect);
            }
        }
    }
    // containerd's resolver says only `<ref>: not found` once every host answered 404 to the
    // manifest request, and its log says `response was http.StatusNotFound`.
    if c.status.is_none()
        && (lower_text.contains("http.statusnotfound")
            || (lower_text.contains("failed to resolve reference")
                && (lower_text.trim_end().ends_with(": not found")
                    || lower_text.contains(": not found\"")
                    || lower_text.contains(": not found "))))
    {
        c.status = Some(404);
        c.stage.get_or_insert(Stage::Manifest);
    }
    c.registry_context = registry_context(&lower_text, &c);
    c.docker_hub = docker_hub(&lower_text, &c);
    c.official_image = c.docker_hub
        && denied_name(&lower_text).is_some_and(|n| !n.contains('/') || n.starts_with("library/"));
    c.mirror = mirror(&lower_text, &c);
    c.foreign_body = [
        "error parsing http",
        "invalid character '<'",
        "<html",
        "<!doctype",
        "no error details found",
    ]
    .iter()
    .any(|m| lower_text.contains(m));
    c
}

/// The address of the last `dial tcp ADDR:PORT` in the text.
fn dial_address(lower: &str) -> Option<std::net::IpAddr> {
    let at = lower.rfind("dial tcp ")? + "dial tcp ".len();
    let addr = lower[at..].split([' ', ',']).next()?.trim_end_matches(':');
    let (ip, _port) = addr.rsplit_once(':')?;
    ip.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// The registry of the image reference the client was asked for, as the client names it.
fn reference_registry(lower: &str) -> Option<String> {
    const OPENERS: &[&str] = &[
        "failed to resolve reference \"",
        "failed to pull and unpack image \"",
        "initializing source docker://",
        "failed to pull image \"",
        "trying to pull ",
    ];
    let reference = OPENERS.iter().find_map(|o| {
        let at = lower.find(o)? + o.len();
        lower[at..]
            .split(['"', ' ', '\\', ','])
            .next()
            .filter(|r| !r.is_empty())
    })?;
    let first = reference.split('/').next()?;
    let has_path = reference.contains('/');
    if has_path && (first.contains('.') || first.contains(':') || first == "localhost") {
        Some(first.to_string())
    } else {
        Some("docker.io".to_string())
    }
}

/// Docker Hub answers under several names.
fn hub_alias(host: &str) -> &str {
    match host {
        "registry-1.docker.io" | "index.docker.io" | "docker.io" => "docker.io",
        other => other,
    }
}

/// A line printed by another tool about its own downloads: package managers have registries
/// and proxies too, and their DNS errors and 403s are not a container registry's.
pub fn foreign(lower: &str) -> bool {
    const OTHERS: &[&str] = &[
        "npm err",
        "npm error",
        "registry.npmjs.org",
        "yarnpkg",
        "pypi.org",
        "pythonhosted.org",
        "pip install",
        "pip._vendor",
        "crates.io",
        "spurious network error",
        "rubygems",
        "apt-get",
        "deb.debian.org",
        "archive.ubuntu.com",
        "security.ubuntu.com",
        "proxy.golang.org",
        "sum.golang.org",
        "go: ",
        "git clone",
        "fatal: unable to access",
        "curl: (",
        "wget: ",
        "nuget",
        "composer",
    ];
    OTHERS.iter().any(|m| lower.contains(m))
}

/// The text asks a registry's API: a URL whose path starts with `/v2/`.
pub fn asks_registry_api(lower: &str) -> bool {
    lower.match_indices("://").any(|(at, _)| {
        let rest = &lower[at + 3..];
        let url = rest
            .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .next();
        url.and_then(|u| u.find('/').map(|slash| &u[slash..]))
            .is_some_and(|path| path == "/v2" || path.starts_with("/v2/"))
    })
}

/// The name in Docker's `pull access denied for NAME, ...`.
fn denied_name(lower: &str) -> Option<&str> {
    lower
        .split("pull access denied for ")
        .nth(1)
        .and_then(|rest| rest.split([',', ' ']).next())
}

/// Known public mirror hosts and the words Docker uses when it leaves a mirror for the next
/// endpoint. Only pulls use mirrors.
fn mirror(lower: &str, c: &Chain) -> bool {
    let Some(host) = c.host.as_deref() else {
        return false;
    };
    // A request for the image that went to another host than the image's registry: a mirror
    // (containerd's hosts.toml, registries.conf, Docker's registry-mirrors) answered for it.
    if !matches!(
        c.stage,
        Some(Stage::Token | Stage::Blob | Stage::ProxyConnect)
    ) {
        if let Some(reference) = reference_registry(lower) {
            if hub_alias(&reference) != hub_alias(host) {
                return true;
            }
        }
    }
    // Docker leaving a mirror for the next endpoint says so; a known mirror host addressed
    // directly as the registry (`m.daocloud.io/docker.io/alpine`) is a registry here.
    let known = host.contains("mirror")
        || host.ends_with(".daocloud.io")
        || host.starts_with("dockerproxy.")
        || host == "registry.docker-cn.com"
        || host.ends_with(".mirror.aliyuncs.com")
        || host.ends_with("nju.edu.cn")
        || host.ends_with(".1panel.live");
    let hub = matches!(
        host,
        "registry-1.docker.io" | "index.docker.io" | "auth.docker.io"
    );
    lower.contains("attempting next endpoint for pull")
        && !hub
        && (known || c.url.as_deref().is_some_and(|u| u.contains("/v2/library/")))
}

/// Docker Hub words some answers its own way (`denied` for a repository that does not
/// exist), so the reader notes when the request went there.
fn docker_hub(lower: &str, c: &Chain) -> bool {
    const HOSTS: &[&str] = &[
        "registry-1.docker.io",
        "index.docker.io",
        "docker.io",
        "auth.docker.io",
    ];
    if let Some(h) = c.registry.as_deref().or(c.host.as_deref()) {
        return HOSTS.contains(&h);
    }
    if lower.contains("docker.io/") {
        return true;
    }
    // `pull access denied for nginxx, repository does not exist`: no registry in the name.
    denied_name(lower).is_some_and(|name| {
        let first = name.split('/').next().unwrap_or_default();
        !first.contains('.') && !first.contains(':') && first != "localhost"
    })
}

fn read_requests(g: &Grammar, text: &str, c: &mut Chain) {
    let mut outer: Option<url::Url> = None;
    let mut inner: Option<url::Url> = None;
    for m in g.request.captures_iter(text.as_bytes()) {
        if let Ok(u) = url::Url::parse(utf8(&m[2]).trim_end_matches([':', ',', '.'])) {
            outer.get_or_insert_with(|| u.clone());
            inner = Some(u);
        }
    }
    if inner.is_none() {
        // Without a method: the first registry-looking URL (`/v2/`, a token realm) will do.
        for m in g.url.find_iter(text.as_bytes()) {
            if let Ok(u) = url::Url::parse(utf8(m.as_bytes()).trim_end_matches([':', ',', '.'])) {
                if stage_of_url(&u).is_some() {
                    outer.get_or_insert_with(|| u.clone());
                    inner = Some(u);
                }
            }
        }
    }
    let Some(inner) = inner else { return };
    c.stage = stage_of_url(&inner);
    c.host = inner.host_str().map(|h| host_port(h, inner.port()));
    c.url = Some(format!(
        "{}://{}{}",
        inner.scheme(),
        c.host.as_deref().unwrap_or_default(),
        inner.path()
    ));
    if let Some(o) = outer {
        let oh = o.host_str().map(|h| host_port(h, o.port()));
        if oh != c.host {
            c.registry = oh;
        }
    }
}

/// Captures are cut at ASCII boundaries, so this is lossless on real text; invalid bytes (a
/// class that matched half a character) become U+FFFD rather than an error.
fn utf8(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn host_port(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{}:{p}", host.to_ascii_lowercase()),
        None => host.to_ascii_lowercase(),
    }
}

/// The protocol stage a request URL belongs to.
pub fn stage_of_url(u: &url::Url) -> Option<Stage> {
    let path = u.path();
    let query = u.query().unwrap_or_default();
    if query.contains("scope=") || (query.contains("service=") && !path.starts_with("/v2/")) {
        return Some(Stage::Token);
    }
    if path.starts_with("/v1/") || path == "/v1" {
        return Some(Stage::V1);
    }
    if let Some(rest) = path.strip_prefix("/v2/") {
        if rest.is_empty() {
            return Some(Stage::Ping);
        }
        if rest == "token" || rest.starts_with("token/") || rest.starts_with("auth") {
            return Some(Stage::Token);
        }
        if rest.contains("/blobs/uploads") {
            return Some(Stage::BlobUpload);
        }
        if rest.contains("/blobs/") {
            return Some(Stage::Blob);
        }
        if rest.contains("/manifests/") {
            return Some(Stage::Manifest);
        }
        if rest.ends_with("/tags/list") {
            return Some(Stage::TagList);
        }
        return Some(Stage::Ping);
    }
    let p = path.to_ascii_lowercase();
    let token_paths = [
        "/token",
        "/service/token",
        "/oauth2/token",
        "/v2/token",
        "/jwt/auth",
        "/auth",
        "/openid/v1/token",
    ];
    if token_paths.contains(&p.as_str()) || query.contains("account=") {
        return Some(Stage::Token);
    }
    None
}

fn stage_from_words(lower: &str) -> Option<Stage> {
    let has = |s: &str| lower.contains(s);
    if has("proxyconnect") || has("error connecting to proxy") {
        Some(Stage::ProxyConnect)
    } else if has("fetch anonymous token")
        || has("fetch oauth token")
        || has("retrieve auth token")
        || has("requesting bearer token")
        || has("getting token")
        || has("get token")
        || has("fetching token")
        || has("failed to authorize")
    {
        Some(Stage::Token)
    } else if has("pinging container registry") || has("pinging docker registry") {
        Some(Stage::Ping)
    } else if has("blob upload") || has("uploading layer") || has("writing blob") {
        Some(Stage::BlobUpload)
    } else if has("reading blob")
        || has("image configuration")
        || has("fetching blob")
        || has("layer does not exist")
        || has("copying blob")
    {
        Some(Stage::Blob)
    } else if has("reading manifest")
        || has("manifest unknown")
        || has("failed to resolve reference")
        || has("fetching manifest")
        || has("writing manifest")
        || has("uploading manifest")
    {
        Some(Stage::Manifest)
    } else if has("tags/list") || has("reading tags") || has("listing tags") {
        Some(Stage::TagList)
    } else {
        None
    }
}

fn op_of(lower: &str) -> Option<Op> {
    // "may require 'docker login'" is advice in a pull error, not a login.
    let lower = lower
        .replace("require 'docker login'", "")
        .replace("require \"docker login\"", "");
    let has = |s: &str| lower.contains(s);
    // `offline_token=true` is what `docker login` adds to its token request.
    if has("login") || has("log in to") || has("logging in") || has("offline_token=true") {
        Some(Op::Login)
    } else if has("failed to solve") || has("docker build") || has("buildx") {
        Some(Op::Build)
    } else if has("push")
        || has("initializing destination")
        || has("at destination")
        || has("blob upload")
        || has("writing manifest")
        || has("uploading")
    {
        Some(Op::Push)
    } else if has("tags/list") || has("reading tags") || has("list-tags") || has("listing tags") {
        Some(Op::TagList)
    } else if has("pull")
        || has("initializing source")
        || has("reading manifest")
        || has("failed to resolve reference")
        || has("fetching")
    {
        Some(Op::Pull)
    } else {
        None
    }
}

/// The innermost network class: when a line carries two (`lookup h on 127.0.0.53:53: read
/// udp ...: connection refused`), the DNS one is the failure, since that is what the client
/// was doing.
fn net_of(lower: &str) -> Option<Net> {
    let has = |s: &str| lower.contains(s);
    if has("gave http response to https client")
        || has("first record does not look like a tls handshake")
        || has("malformed http response")
    {
        return Some(Net::HttpToHttps);
    }
    if has("proxyconnect tcp") || has("error connecting to proxy") {
        return Some(Net::ProxyUnreachable);
    }
    let lookup = has("lookup ") || has("name resolution") || has("resolve host");
    if has("no such host")
        || has("name or service not known")
        || has("nodename nor servname")
        || has("could not resolve host")
        || (has("lookup ") && has("no answer from dns"))
    {
        return Some(Net::NoSuchHost);
    }
    if has("server misbehaving") {
        return Some(Net::ServerMisbehaving);
    }
    if lookup && (has("i/o timeout") || has("temporary failure") || has("timed out")) {
        return Some(Net::DnsTimeout);
    }
    if lookup && (has("connection refused") || has("network is unreachable")) {
        return Some(Net::DnsRefused);
    }
    if has("tls handshake timeout") {
        return Some(Net::TlsHandshakeTimeout);
    }
    if has("connection refused") || has("actively refused") {
        return Some(Net::Refused);
    }
    if has("connection reset") || has("broken pipe") || has("forcibly closed") {
        return Some(Net::Reset);
    }
    if has("no route to host") || has("network is unreachable") || has("host is unreachable") {
        return Some(Net::Unreachable);
    }
    if has("unexpected eof") || has("http2: stream closed") || has("stream error") {
        return Some(Net::UnexpectedEof);
    }
    if has("awaiting headers") || has("awaiting response headers") {
        return Some(Net::NoResponse);
    }
    if has("i/o timeout")
        || has("client.timeout exceeded")
        || has("context deadline exceeded")
        || has("timeout awaiting response headers")
        || has("connection timed out")
        || has("operation timed out")
        || has("deadline exceeded")
        || has("net/http: request canceled")
    {
        return Some(Net::Timeout);
    }
    let trimmed = lower.trim_end_matches(['"', '\'', ' ', '.', ')']);
    if trimmed.ends_with(": eof") || trimmed == "eof" {
        return Some(Net::Eof);
    }
    None
}

fn status_of_phrase(phrase: &str) -> Option<u16> {
    let p = phrase.to_ascii_lowercase();
    Some(match p.as_str() {
        "bad request" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "not found" => 404,
        "method not allowed" => 405,
        "proxy authentication required" => 407,
        "request timeout" | "request time-out" => 408,
        "too many requests" => 429,
        "internal server error" => 500,
        "bad gateway" => 502,
        "service unavailable" => 503,
        "gateway timeout" | "gateway time-out" => 504,
        _ => return None,
    })
}

fn read_codes(g: &Grammar, text: &str, out: &mut Vec<&'static str>) {
    let mut push = |code: &str| {
        let mut upper = code.trim().to_ascii_uppercase().replace(' ', "_");
        // Docker's own client words BLOB_UNKNOWN the other way round.
        if upper == "UNKNOWN_BLOB" {
            upper = "BLOB_UNKNOWN".into();
        }
        if let Some(&known) = DIST_CODES.iter().find(|c| **c == upper) {
            if !out.contains(&known) {
                out.push(known);
            }
        }
    };
    let bytes = text.as_bytes();
    for m in g.json_code.captures_iter(bytes) {
        push(&utf8(&m[1]));
    }
    for m in g.upper_code.captures_iter(bytes) {
        push(&utf8(&m[1]));
    }
    for m in g.lower_code.captures_iter(bytes) {
        if let Some(code) = m.get(1).or_else(|| m.get(2)) {
            push(&utf8(code.as_bytes()));
        }
    }
}

fn registry_context(lower: &str, c: &Chain) -> bool {
    if c.stage.is_some_and(|s| s != Stage::ProxyConnect) || !c.codes.is_empty() {
        return true;
    }
    const MARKERS: &[&str] = &[
        "error response from daemon",
        "pinging container registry",
        "initializing source docker://",
        "initializing destination",
        "docker://",
        "trying to reuse blob",
        "destination repository",
        "reading manifest",
        "reading blob",
        "writing blob",
        "copying blob",
        "fetching blob",
        "error pushing",
        "error parsing http",
        "image configuration",
        "error pulling",
        "pushing to registry",
        "pulling from registry",
        "rpc error: code =",
        "failed to resolve reference",
        "failed to pull image",
        "failed to pull and unpack",
        "pull access denied",
        "errimagepull",
        "imagepullbackoff",
        "back-off pulling image",
        "failed to solve",
        "docker login",
        "docker pull",
        "docker push",
        "podman pull",
        "podman push",
        "podman login",
        "skopeo",
        "buildah",
        "ctr: ",
        "crictl",
        "nerdctl",
        "container registry",
        "docker registry",
        "image registry",
        "pulling image",
        "pull image",
        "push image",
        "image pull",
        "docker.io/",
        "registry-1.docker.io",
        "/v2/",
        // Host names that are registries by their name.
        "registry.",
        "registry-",
        "harbor",
        "quay.io",
        "ghcr.io",
        "gcr.io",
        "pkg.dev",
        ".dkr.ecr.",
        "azurecr.io",
        "aliyuncs.com",
        "myhuaweicloud.com",
        "tencentyun.com",
        "tencentcloudcr.com",
        "nexus",
        "artifactory",
        "jfrog.io",
    ];
    MARKERS.iter().any(|m| lower.contains(m)) && !foreign(lower)
}

fn client_of(lower: &str, line: &str) -> Option<Client> {
    let has = |s: &str| lower.contains(s);
    if has("failed to pull image")
        || has("errimagepull")
        || has("imagepullbackoff")
        || has("back-off pulling image")
        || has("kubelet")
        || has("pullimage \"")
    {
        return Some(Client::Kubelet);
    }
    if has("crio[") || has("cri-o") {
        return Some(Client::Crio);
    }
    if has("failed to solve") || has("buildkit") || has("buildx") {
        return Some(Client::Buildkit);
    }
    if has("failed to perform \"") || has("helm ") || has("helm:") {
        return Some(Client::Helm);
    }
    if has("oras ") {
        return Some(Client::Oras);
    }
    if has("regctl") || has("regclient") {
        return Some(Client::Regctl);
    }
    if has("crane ") || has("ggcr") || has("go-containerregistry") {
        return Some(Client::Crane);
    }
    if has("##[error]") || line.starts_with("Error: buildx") || has("github actions") {
        return Some(Client::GithubActions);
    }
    if has("gitlab-runner") || has("gitlab ci") || has("job failed: ") {
        return Some(Client::Gitlab);
    }
    if has("initializing source docker://")
        || has("pinging container registry")
        || has("trying to reuse blob")
        || has("initializing destination")
        || has("podman")
        || has("skopeo")
        || has("buildah")
        || has("reading manifest ")
        || has("trying to pull ")
        || has("copying blob")
        || has("writing manifest")
    {
        return Some(Client::Containers);
    }
    if has("ctr: ")
        || has("crictl")
        || has("nerdctl")
        || has("containerd")
        || has("failed to resolve reference")
        || has("failed to do request")
        || has("failed to fetch anonymous token")
        || has("failed to fetch oauth token")
        || has("failed to copy:")
        || has("httpreadseeker")
    {
        return Some(Client::Containerd);
    }
    if has("dockerd[") || has("attempting next endpoint") || has("level=") && has("dockerd") {
        return Some(Client::Dockerd);
    }
    if has("error response from daemon") || has("docker ") || has("docker:") {
        return Some(Client::Docker);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_compiles() {
        assert!(grammar().is_some());
    }

    #[test]
    fn nested_request_names_the_token_stage() {
        let c = read(
            "Error response from daemon: Get \"https://core.harbor.example:31718/v2/\": Get \"https://core.harbor.example/service/token?account=admin&client_id=docker&offline_token=true&service=harbor-registry\": dial tcp 10.0.0.4:443: connect: connection refused",
        );
        assert_eq!(c.stage, Some(Stage::Token));
        assert_eq!(c.host.as_deref(), Some("core.harbor.example"));
        assert_eq!(c.registry.as_deref(), Some("core.harbor.example:31718"));
        assert_eq!(c.net, Some(Net::Refused));
        assert_eq!(c.client, Some(Client::Docker));
        assert_eq!(c.op, Some(Op::Login));
        assert!(c.registry_context);
    }

    #[test]
    fn statuses_in_every_printed_shape() {
        for (line, want) in [
            (
                "failed to read from destination repository svc: 500 (Internal Server Error)",
                500,
            ),
            (
                "received unexpected HTTP status: 503 Service Unavailable",
                503,
            ),
            ("invalid status code from registry 404 (Not Found)", 404),
            (
                "HEAD \"https://r.example/v2/a/manifests/x\": response status code 401: Unauthorized",
                401,
            ),
            ("unexpected status code 429 Too Many Requests", 429),
            (
                "Error pushing to registry: Server error: 413 trying to push foo/bar blob",
                413,
            ),
            (
                "error parsing HTTP 408 response body: invalid character '<'",
                408,
            ),
            (
                "login attempt to https://r.example/v2/ failed with status: 401 Unauthorized",
                401,
            ),
        ] {
            assert_eq!(read(line).status, Some(want), "{line}");
        }
    }

    #[test]
    fn a_bare_reason_phrase_after_the_url_is_a_proxy_refusal() {
        let c =
            read("Error response from daemon: Get \"https://registry-1.docker.io/v2/\": Forbidden");
        assert_eq!(c.net, Some(Net::ProxyRefused));
        assert_eq!(c.status, Some(403));
        let c = read("Get \"https://r.example/v2/\": Proxy Authentication Required");
        assert_eq!(c.status, Some(407));
        // A status with its code is the registry's own answer, not a proxy's.
        let c = read("Get \"https://r.example/v2/\": 403 Forbidden");
        assert_ne!(c.net, Some(Net::ProxyRefused));
    }

    #[test]
    fn distribution_codes_upper_lower_and_json() {
        assert_eq!(read("MANIFEST_UNKNOWN").codes, vec!["MANIFEST_UNKNOWN"]);
        assert_eq!(
            read("name unknown: repository name not known to registry").codes,
            vec!["NAME_UNKNOWN"]
        );
        assert_eq!(
            read(r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#)
                .codes,
            vec!["DENIED"]
        );
        assert!(read("the build was denied by policy").codes.is_empty());
    }

    #[test]
    fn eof_right_after_the_ping() {
        let c = read("Error response from daemon: Get \"https://r.example:5000/v2/\": EOF");
        assert_eq!(c.stage, Some(Stage::Ping));
        assert_eq!(c.net, Some(Net::Eof));
    }

    #[test]
    fn dns_wins_over_the_resolver_connection_error() {
        let c = read(
            "dial tcp: lookup index.docker.io on 127.0.0.53:53: read udp 127.0.0.1:1->127.0.0.53:53: read: connection refused",
        );
        assert_eq!(c.net, Some(Net::DnsRefused));
        assert_eq!(c.host.as_deref(), Some("index.docker.io"));
    }

    #[test]
    fn logfmt_message_is_read_inside_its_quotes() {
        let mut buf = String::new();
        let c = read(unescape_logfmt(
            r#"time="2024-01-01T09:16:23+08:00" level=info msg="Attempting next endpoint for pull after error: Get \"https://m.example/v2/\": dial tcp 1.2.3.4:443: i/o timeout""#,
            &mut buf,
        ));
        assert_eq!(c.stage, Some(Stage::Ping));
        assert_eq!(c.host.as_deref(), Some("m.example"));
        assert_eq!(c.net, Some(Net::Timeout));
        assert_eq!(c.client, Some(Client::Dockerd));
    }

    #[test]
    fn other_tools_are_not_registry_context() {
        let c = read(
            "error: failed to download from `https://index.crates.io/config.json`: Could not resolve host: index.crates.io",
        );
        assert!(!c.registry_context, "{c:?}");
        let c = read("npm ERR! 403 403 Forbidden - GET https://registry.npmjs.org/left-pad");
        assert!(c.stage.is_none());
    }
}
