//! What users type as the target of `regdoctor check`, normalised by Docker's reference rules
//! (distribution/reference `ParseNormalizedNamed`, the parser `docker pull` uses), plus the
//! URL forms people paste.
//!
//! Forms accepted (surrounding whitespace is trimmed):
//!
//! * `""` → the Docker Hub registry, no image.
//! * a reference, exactly as Docker reads it: `nginx`, `nginx:1.25`, `user/app`,
//!   `host/ns/repo:tag`, `host:5000/ns/repo@sha256:…`, `repo:tag@sha256:…`, `[::1]:5000/foo`.
//!   The first path component is a registry only if it contains `.` or `:` or is `localhost`
//!   (Docker's rule). Single-component Docker Hub names get `library/`.
//! * a registry alone: `host` with a dot, `host:port` whose host has a dot, `localhost[:port]`,
//!   `[v6][:port]`, `docker.io` / `index.docker.io` / `registry-1.docker.io`, or anything
//!   followed by one trailing `/` (`myhost:5000/`, `myhost/`).
//!   Docker itself would read a bare `registry.example.com` as the Hub image
//!   `library/registry.example.com`; nobody means that, so here a bare word with a dot is the
//!   registry. A bare word **without** a dot keeps Docker's reading: `myhost:5000` is the Docker
//!   Hub image `library/myhost` with the tag `5000`, exactly as `docker pull myhost:5000` reads it.
//!   Write `myhost:5000/` or `https://myhost:5000` to mean the registry.
//! * a URL: `https://host[:port]`, `http://host:5000/`, with path `/`, `/v2`, `/v2/`, `/v1/`
//!   (registry only), an API path `/v2/<name>/manifests/<ref>`, `/v2/<name>/tags/list`,
//!   `/v2/<name>/blobs/<digest>` (the image), or any other path, read as an image path
//!   (`https://host/ns/repo:tag`). The scheme becomes `scheme_hint`. A URL's default port
//!   (443 for https, 80 for http) is dropped, so `https://host:443/` is the registry `host`, as
//!   Docker names it. Queries, fragments and credentials in the URL are rejected.
//! * `docker://<reference>` (skopeo's transport syntax) → the reference.
//!
//! Deliberate differences from Docker, each chosen so a user gets the diagnosis they meant:
//! * `registry-1.docker.io/...` is Docker Hub here (Docker keeps it as a separate registry
//!   name, with its own certs.d directory and config.json key, and does not add `library/`).
//! * `Foo/bar` is an error (uppercase). Docker's reference parser takes an uppercase first
//!   component for a registry host, which is never what the user meant.
//! * Hosts are lowercased; ports must be 1-65535 without leading zeros (Docker's grammar
//!   accepts any digits and keeps the case, which only matters for certs.d directory names).

use std::net::{IpAddr, Ipv6Addr};

use serde::Serialize;

pub const DOCKER_HUB_DOMAIN: &str = "docker.io";
pub const DOCKER_HUB_DIAL_HOST: &str = "registry-1.docker.io";
pub const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";

/// distribution/reference `RepositoryNameTotalLengthMax`: counted on the path (without the
/// domain, with the `library/` Docker adds).
const MAX_NAME: usize = 255;
/// Tag grammar `[\w][\w.-]{0,127}`.
const MAX_TAG: usize = 128;
/// No valid target is this long (domain 253 + port + name 255 + tag 128 + sha512 digest +
/// URL decorations stays under 1 KiB); the cap keeps the work on hostile input small.
const MAX_INPUT: usize = 2048;
/// DNS limits: Docker's grammar has none, but a longer name can never resolve.
const MAX_HOST: usize = 253;
const MAX_LABEL: usize = 63;

/// The Docker Hub names that all mean the same registry.
const HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Scheme {
    Https,
    Http,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registry {
    /// Lower case, without brackets for IPv6. `docker.io` for Docker Hub.
    pub host: String,
    /// As written in the reference; `None` means the scheme's default (443, or 80 for http).
    pub port: Option<u16>,
    pub docker_hub: bool,
}

impl Registry {
    fn hub() -> Registry {
        Registry {
            host: DOCKER_HUB_DOMAIN.into(),
            port: None,
            docker_hub: true,
        }
    }

    /// The host the daemon connects to: `registry-1.docker.io` for Docker Hub (moby
    /// `DefaultRegistryHost`), else the host itself.
    pub fn dial_host(&self) -> &str {
        if self.docker_hub {
            DOCKER_HUB_DIAL_HOST
        } else {
            &self.host
        }
    }

    pub fn port_or_default(&self, scheme: &Scheme) -> u16 {
        self.port.unwrap_or(match scheme {
            Scheme::Https => 443,
            Scheme::Http => 80,
        })
    }

    /// `host[:port]` as the image reference spells it (IPv6 in brackets: `[::1]:5000`), which
    /// is also the name of the `/etc/docker/certs.d/<dir>` Docker reads for this registry.
    ///
    /// Docker Hub is `docker.io`. Note (moby `daemon/pkg/registry/service_v2.go`,
    /// `lookupV2Endpoints`): with the classic image store the daemon reads **no** certs.d
    /// directory for Docker Hub at all (it uses the system roots, `tlsconfig.ServerDefault()`);
    /// only registry-mirrors get `certs.d/<mirror host:port>`. With the containerd image store
    /// (moby `daemon/hosts.go`, containerd `ConfigureHosts` rooted at certs.d) the directory
    /// is `certs.d/docker.io`, the reference domain returned here.
    pub fn host_port(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }

    /// The key Docker looks up in `~/.docker/config.json` `auths` (and passes to credential
    /// helpers): `https://index.docker.io/v1/` for Docker Hub, else `host[:port]`.
    pub fn config_key(&self) -> String {
        if self.docker_hub {
            DOCKER_HUB_CONFIG_KEY.into()
        } else {
            self.host_port()
        }
    }

    /// `localhost`, 127.0.0.0/8 and ::1 (also as an IPv4-mapped address): moby always treats
    /// `127.0.0.0/8` and `::1/128` as insecure registries, and `localhost` resolves there.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.to_canonical().is_loopback())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageName {
    /// The path without the registry, e.g. `library/nginx`.
    pub repository: String,
    pub tag: Option<String>,
    /// `algorithm:hex`, validated (sha256, sha384 or sha512, lowercase hex).
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// What the user typed, untrimmed.
    pub input: String,
    pub registry: Registry,
    pub image: Option<ImageName>,
    /// Set only when the input carried an explicit `https://` or `http://`.
    pub scheme_hint: Option<Scheme>,
}

impl Target {
    /// Canonical reference, e.g. `docker.io/library/nginx:latest`, `host:5000/a@sha256:…`;
    /// the registry alone (`host_port`) if no image. `:latest` is added only when there is
    /// neither tag nor digest, as Docker's `TagNameOnly` does.
    pub fn reference(&self) -> String {
        let mut s = self.registry.host_port();
        if let Some(img) = &self.image {
            s.push('/');
            s.push_str(&img.repository);
            match (&img.tag, &img.digest) {
                (Some(t), _) => {
                    s.push(':');
                    s.push_str(t);
                }
                (None, None) => s.push_str(":latest"),
                (None, Some(_)) => {}
            }
            if let Some(d) = &img.digest {
                s.push('@');
                s.push_str(d);
            }
        }
        s
    }

    /// The tag to check: the one given, `latest` when neither tag nor digest was given, `None`
    /// for a digest-only reference or no image.
    pub fn tag_or_latest(&self) -> Option<&str> {
        let img = self.image.as_ref()?;
        match (&img.tag, &img.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

/// Each message names the rule that was broken, so it can be shown to the user as it is.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error(
        "the target is {0} bytes long; no registry or image reference is longer than {MAX_INPUT}"
    )]
    InputTooLong(usize),
    #[error("the target contains control characters or binary data")]
    ControlCharacter,
    #[error("invalid character {0:?}: registry names and image references are plain ASCII")]
    NonAscii(char),
    #[error("repository name must be lowercase: {0:?}")]
    Uppercase(String),
    #[error(
        "invalid repository path component {component:?} in {name:?}: a component is lowercase letters and digits, joined by '.', '_', '__' or runs of '-' ([a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)"
    )]
    BadComponent { component: String, name: String },
    #[error("empty path component in {0:?}")]
    EmptyComponent(String),
    #[error("repository name is longer than 255 characters ({0})")]
    TooLong(usize),
    #[error(
        "invalid tag {0:?}: a tag is at most 128 characters of [A-Za-z0-9_.-] and cannot start with '.' or '-'"
    )]
    BadTag(String),
    #[error("invalid digest {digest:?}: {reason}")]
    BadDigest { digest: String, reason: String },
    #[error("invalid port {0:?}: a port is a number from 1 to 65535, without leading zeros")]
    BadPort(String),
    #[error("invalid registry host {host:?}: {reason}")]
    BadHost { host: String, reason: String },
    #[error("unsupported scheme {0:?}: use https://, http:// or docker://")]
    BadScheme(String),
    #[error("a target URL cannot have a query string or a fragment: {0:?}")]
    UrlQuery(String),
    // The value is not echoed: it holds a password.
    #[error(
        "the target URL contains credentials; remove them (regdoctor reads docker login's credentials itself)"
    )]
    UrlCredentials,
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexIdentifier(String),
}

/// Parse what the user typed; see the module documentation for the accepted forms.
pub fn parse_target(input: &str) -> Result<Target, TargetError> {
    // Checked before anything else so hostile input costs nothing more than this.
    if input.len() > MAX_INPUT {
        return Err(TargetError::InputTooLong(input.len()));
    }
    let s = input.trim();
    if s.chars().any(char::is_control) {
        return Err(TargetError::ControlCharacter);
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii()) {
        return Err(TargetError::NonAscii(c));
    }
    // From here on `s` is ASCII, so every byte index is a char boundary.
    let target =
        |registry: Registry, image: Option<ImageName>, scheme_hint: Option<Scheme>| Target {
            input: input.to_string(),
            registry,
            image,
            scheme_hint,
        };
    if let Some((scheme, rest)) = s.split_once("://") {
        return match scheme.to_ascii_lowercase().as_str() {
            "https" => {
                parse_url(rest, Scheme::Https).map(|(r, i)| target(r, i, Some(Scheme::Https)))
            }
            "http" => parse_url(rest, Scheme::Http).map(|(r, i)| target(r, i, Some(Scheme::Http))),
            // skopeo/containers-image transport syntax: the rest is a plain reference.
            "docker" => {
                parse_reference(rest.trim_start_matches('/')).map(|(r, i)| target(r, i, None))
            }
            _ => Err(TargetError::BadScheme(scheme.to_string())),
        };
    }
    parse_reference(s).map(|(r, i)| target(r, i, None))
}

/// Registers the user-info of `authority` (what precedes its last `@`) and the password in it
/// as secrets, so that no report or error message shows them, whoever echoes the input.
fn mask_userinfo(authority: &str) {
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        crate::report::redact::register_secret(userinfo);
        if let Some((_, password)) = userinfo.split_once(':') {
            crate::report::redact::register_secret(password);
        }
    }
}

/// A scheme-less input: a registry alone, or a reference read by Docker's rules.
fn parse_reference(s: &str) -> Result<(Registry, Option<ImageName>), TargetError> {
    if s.is_empty() {
        return Ok((Registry::hub(), None));
    }
    let Some((first, rest)) = s.split_once('/') else {
        return parse_single(s);
    };
    if rest.is_empty() {
        // `X/`: the user's explicit way to say "the registry X".
        if first.is_empty() {
            return Err(TargetError::EmptyComponent(s.to_string()));
        }
        return Ok((parse_host(first)?, None));
    }
    // `user:password@host/repo`: a URL's credentials without the scheme. Not a reference
    // Docker accepts, and the input is echoed in the error, so the password is masked first.
    if first.contains('@') {
        mask_userinfo(first);
        return Err(TargetError::UrlCredentials);
    }
    if first == "localhost" || first.contains(['.', ':']) {
        let registry = parse_host(first)?;
        let image = parse_image(rest, registry.docker_hub)?;
        return Ok((registry, Some(image)));
    }
    if first.bytes().any(|b| b.is_ascii_uppercase()) {
        // Docker would take `Foo` for a registry host here; the user meant a repository.
        return Err(TargetError::Uppercase(name_part(s).to_string()));
    }
    Ok((Registry::hub(), Some(parse_image(s, true)?)))
}

/// One component, no `/`: `localhost[:port]`, `[v6][:port]`, a Hub alias and `host.with.dot[:port]`
/// are registries; anything else is a Docker Hub image (`nginx`, `nginx:1.25`, `myhost:5000`).
fn parse_single(s: &str) -> Result<(Registry, Option<ImageName>), TargetError> {
    if is_hex_identifier(s) {
        return Err(TargetError::HexIdentifier(s.to_string()));
    }
    if !s.contains('@') {
        let host = match s.split_once(':') {
            Some((h, _)) => h,
            None => s,
        };
        if s.starts_with('[') || host == "localhost" || host.contains('.') {
            return Ok((parse_host(s)?, None));
        }
    }
    Ok((Registry::hub(), Some(parse_image(s, true)?)))
}

/// The part of a remainder before any tag or digest, for error messages.
fn name_part(s: &str) -> &str {
    let s = s.split('@').next().unwrap_or(s);
    let after_slash = s.rfind('/').map_or(0, |i| i + 1);
    match s.get(after_slash..).and_then(|last| last.find(':')) {
        Some(i) => s.get(..after_slash + i).unwrap_or(s),
        None => s,
    }
}

/// distribution/reference `anchoredIdentifierRegexp`: `^[a-f0-9]{64}$`, refused as a name.
fn is_hex_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `scheme://` already removed: `authority[/path]`.
fn parse_url(rest: &str, scheme: Scheme) -> Result<(Registry, Option<ImageName>), TargetError> {
    if rest.contains(['?', '#']) {
        return Err(TargetError::UrlQuery(rest.to_string()));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or(rest), rest.get(i..).unwrap_or("")),
        None => (rest, ""),
    };
    if authority.contains('@') {
        mask_userinfo(authority);
        return Err(TargetError::UrlCredentials);
    }
    let mut registry = parse_host(authority)?;
    let default_port = match scheme {
        Scheme::Https => 443,
        Scheme::Http => 80,
    };
    if registry.port == Some(default_port) {
        // `https://host:443` is the registry Docker calls `host`.
        registry.port = None;
        if HUB_ALIASES.contains(&registry.host.as_str()) {
            registry = Registry::hub();
        }
    }
    let hub = registry.docker_hub;
    let image_path = match path {
        "" | "/" | "/v2" | "/v2/" | "/v1" | "/v1/" => return Ok((registry, None)),
        p => match p.strip_prefix("/v2/") {
            Some(api) => api_path_to_reference(api.trim_end_matches('/')),
            None => p.trim_start_matches('/').trim_end_matches('/').to_string(),
        },
    };
    if image_path.is_empty() {
        return Err(TargetError::EmptyComponent(path.to_string()));
    }
    let image = parse_image(&image_path, hub)?;
    Ok((registry, Some(image)))
}

/// `<name>/manifests/<ref>` → `name:tag` or `name@digest`; `<name>/tags/list` and
/// `<name>/blobs/<digest>` → `name` (a blob digest does not name the image). Anything else is
/// taken as a reference as it is.
fn api_path_to_reference(api: &str) -> String {
    if let Some(name) = api.strip_suffix("/tags/list") {
        return name.to_string();
    }
    if let Some((name, reference)) = api.rsplit_once("/manifests/") {
        let sep = if reference.contains(':') { '@' } else { ':' };
        return format!("{name}{sep}{reference}");
    }
    if let Some((name, _)) = api.rsplit_once("/blobs/") {
        return name.to_string();
    }
    api.to_string()
}

/// `host[:port]` or `[v6][:port]`, by distribution's `domainAndPort` grammar.
fn parse_host(h: &str) -> Result<Registry, TargetError> {
    let bad = |reason: &str| TargetError::BadHost {
        host: h.to_string(),
        reason: reason.to_string(),
    };
    let (host, port) = if let Some(v6) = h.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("missing ']' after the IPv6 address"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return Err(bad("unexpected text after ']'")),
        };
        // Docker's grammar is `\[[a-fA-F0-9:]+\]`: no embedded IPv4, no zone.
        if addr.is_empty()
            || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
            || addr.parse::<Ipv6Addr>().is_err()
        {
            return Err(bad("not an IPv6 address"));
        }
        (addr.to_ascii_lowercase(), port)
    } else {
        let (host, port) = match h.split_once(':') {
            Some((host, p)) => {
                if p.contains(':') {
                    return Err(bad(
                        "too many ':'; write an IPv6 address in brackets, e.g. [::1]:5000",
                    ));
                }
                (host, Some(parse_port(p)?))
            }
            None => (h, None),
        };
        check_domain(host).map_err(bad)?;
        (host.to_ascii_lowercase(), port)
    };
    if port.is_none() && HUB_ALIASES.contains(&host.as_str()) {
        return Ok(Registry::hub());
    }
    Ok(Registry {
        host,
        port,
        docker_hub: false,
    })
}

/// distribution `domainName`: components `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
/// joined by '.', plus the DNS length limits.
fn check_domain(host: &str) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("the host is empty");
    }
    if host.len() > MAX_HOST {
        return Err("a host name is at most 253 characters");
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err("empty label (two dots in a row, or a leading or trailing dot)");
        }
        if label.len() > MAX_LABEL {
            return Err("a DNS label is at most 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("a host name is letters, digits, '-' and '.'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label cannot start or end with '-'");
        }
    }
    Ok(())
}

fn parse_port(p: &str) -> Result<u16, TargetError> {
    let digits = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match p.parse::<u16>() {
        Ok(n) if digits && n > 0 && !p.starts_with('0') => Ok(n),
        _ => Err(TargetError::BadPort(p.to_string())),
    }
}

/// `name[:tag][@digest]` after the registry; `hub` adds `library/` to a one-component name.
fn parse_image(rest: &str, hub: bool) -> Result<ImageName, TargetError> {
    let (rest, digest) = match rest.split_once('@') {
        Some((r, d)) => (r, Some(parse_digest(d)?)),
        None => (rest, None),
    };
    // The tag follows the first ':' after the last '/' (a name component holds no ':').
    let after_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest.get(after_slash..).and_then(|last| last.find(':')) {
        Some(i) => (
            rest.get(..after_slash + i).unwrap_or(rest),
            rest.get(after_slash + i + 1..),
        ),
        None => (rest, None),
    };
    if let Some(t) = tag {
        if !valid_tag(t) {
            return Err(TargetError::BadTag(t.to_string()));
        }
    }
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(TargetError::Uppercase(name.to_string()));
    }
    for component in name.split('/') {
        if component.is_empty() {
            return Err(TargetError::EmptyComponent(name.to_string()));
        }
        if !valid_component(component) {
            return Err(TargetError::BadComponent {
                component: component.to_string(),
                name: name.to_string(),
            });
        }
    }
    let repository = if hub && !name.contains('/') {
        format!("library/{name}")
    } else {
        name.to_string()
    };
    if repository.len() > MAX_NAME {
        return Err(TargetError::TooLong(repository.len()));
    }
    Ok(ImageName {
        repository,
        tag: tag.map(str::to_string),
        digest,
    })
}

/// `[\w][\w.-]{0,127}`.
fn valid_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    t.len() <= MAX_TAG
        && t.bytes().next().is_some_and(word)
        && t.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`, by hand: one pass over the bytes.
fn valid_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = c.as_bytes();
    if !b.first().copied().is_some_and(alnum) || !b.last().copied().is_some_and(alnum) {
        return false;
    }
    // Walk separator runs between alphanumeric runs.
    let mut run_start: Option<usize> = None;
    for (i, &x) in b.iter().enumerate() {
        if alnum(x) {
            if let Some(start) = run_start.take() {
                if !valid_separator(b.get(start..i).unwrap_or_default()) {
                    return false;
                }
            }
        } else if run_start.is_none() {
            run_start = Some(i);
        }
    }
    true
}

fn valid_separator(sep: &[u8]) -> bool {
    matches!(sep, b"." | b"_" | b"__") || (!sep.is_empty() && sep.iter().all(|&b| b == b'-'))
}

/// go-digest `Parse` + `Validate` for the algorithms Docker registers (sha256, sha384,
/// sha512): lowercase hex of the exact length.
fn parse_digest(d: &str) -> Result<String, TargetError> {
    let bad = |reason: String| TargetError::BadDigest {
        digest: d.to_string(),
        reason,
    };
    let (alg, hex) = d
        .split_once(':')
        .ok_or_else(|| bad("expected algorithm:hex, e.g. sha256:<64 hex digits>".into()))?;
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(bad(format!(
                "unsupported digest algorithm {alg:?} (sha256, sha384 or sha512)"
            )));
        }
    };
    if hex.len() != len || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(bad(format!(
            "{alg} needs exactly {len} lowercase hex digits, got {:?}",
            hex.len()
        )));
    }
    Ok(d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// (input, host_port, docker_hub, repository, tag, digest, scheme_hint, reference)
    type Row<'a> = (
        &'a str,
        &'a str,
        bool,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<Scheme>,
        &'a str,
    );

    #[test]
    fn accepted_forms() {
        let d = SHA;
        let hub_nginx = "docker.io/library/nginx:latest";
        #[rustfmt::skip]
        let rows: Vec<Row> = vec![
            ("", "docker.io", true, None, None, None, None, "docker.io"),
            ("   ", "docker.io", true, None, None, None, None, "docker.io"),
            ("nginx", "docker.io", true, Some("library/nginx"), None, None, None, hub_nginx),
            (" nginx\t", "docker.io", true, Some("library/nginx"), None, None, None, hub_nginx),
            ("nginx:1.25", "docker.io", true, Some("library/nginx"), Some("1.25"), None, None, "docker.io/library/nginx:1.25"),
            ("library/nginx", "docker.io", true, Some("library/nginx"), None, None, None, hub_nginx),
            ("user/app", "docker.io", true, Some("user/app"), None, None, None, "docker.io/user/app:latest"),
            ("docker.io/nginx", "docker.io", true, Some("library/nginx"), None, None, None, hub_nginx),
            ("docker.io/library/nginx", "docker.io", true, Some("library/nginx"), None, None, None, hub_nginx),
            ("index.docker.io/library/nginx", "docker.io", true, Some("library/nginx"), None, None, None, hub_nginx),
            ("index.docker.io/nginx", "docker.io", true, Some("library/nginx"), None, None, None, hub_nginx),
            ("registry-1.docker.io/library/nginx", "docker.io", true, Some("library/nginx"), None, None, None, hub_nginx),
            ("docker.io", "docker.io", true, None, None, None, None, "docker.io"),
            ("index.docker.io", "docker.io", true, None, None, None, None, "docker.io"),
            ("registry-1.docker.io", "docker.io", true, None, None, None, None, "docker.io"),
            ("docker.io/", "docker.io", true, None, None, None, None, "docker.io"),
            // Docker's reading: no dot, not localhost → a Hub image with a tag.
            ("myhost:5000", "docker.io", true, Some("library/myhost"), Some("5000"), None, None, "docker.io/library/myhost:5000"),
            ("myhost:5000/", "myhost:5000", false, None, None, None, None, "myhost:5000"),
            ("myhost/", "myhost", false, None, None, None, None, "myhost"),
            ("myhost:5000/foo", "myhost:5000", false, Some("foo"), None, None, None, "myhost:5000/foo:latest"),
            ("registry.example.com", "registry.example.com", false, None, None, None, None, "registry.example.com"),
            ("Registry.Example.COM", "registry.example.com", false, None, None, None, None, "registry.example.com"),
            ("registry.example.com:5000", "registry.example.com:5000", false, None, None, None, None, "registry.example.com:5000"),
            ("127.0.0.1:5000", "127.0.0.1:5000", false, None, None, None, None, "127.0.0.1:5000"),
            ("localhost", "localhost", false, None, None, None, None, "localhost"),
            ("localhost:5000", "localhost:5000", false, None, None, None, None, "localhost:5000"),
            ("localhost:5000/foo", "localhost:5000", false, Some("foo"), None, None, None, "localhost:5000/foo:latest"),
            ("localhost/foo", "localhost", false, Some("foo"), None, None, None, "localhost/foo:latest"),
            ("[::1]:5000", "[::1]:5000", false, None, None, None, None, "[::1]:5000"),
            ("[::1]", "[::1]", false, None, None, None, None, "[::1]"),
            ("[2001:DB8::1]:5000/ns/app:v1", "[2001:db8::1]:5000", false, Some("ns/app"), Some("v1"), None, None, "[2001:db8::1]:5000/ns/app:v1"),
            ("reg.example/ns/repo", "reg.example", false, Some("ns/repo"), None, None, None, "reg.example/ns/repo:latest"),
            ("reg.example/ns/repo:tag", "reg.example", false, Some("ns/repo"), Some("tag"), None, None, "reg.example/ns/repo:tag"),
            ("reg.example/app", "reg.example", false, Some("app"), None, None, None, "reg.example/app:latest"),
            ("reg.example/a/b/c/d", "reg.example", false, Some("a/b/c/d"), None, None, None, "reg.example/a/b/c/d:latest"),
            ("swr.cn-north-4.myhuaweicloud.com/org/app:v1.0_rc-2", "swr.cn-north-4.myhuaweicloud.com", false, Some("org/app"), Some("v1.0_rc-2"), None, None, "swr.cn-north-4.myhuaweicloud.com/org/app:v1.0_rc-2"),
            ("reg.example/a/b__c/d-e--f.g_h", "reg.example", false, Some("a/b__c/d-e--f.g_h"), None, None, None, "reg.example/a/b__c/d-e--f.g_h:latest"),
            ("nginx:Latest_TAG", "docker.io", true, Some("library/nginx"), Some("Latest_TAG"), None, None, "docker.io/library/nginx:Latest_TAG"),
            ("nginx:_x", "docker.io", true, Some("library/nginx"), Some("_x"), None, None, "docker.io/library/nginx:_x"),
            ("docker://quay.io/org/app:1", "quay.io", false, Some("org/app"), Some("1"), None, None, "quay.io/org/app:1"),
            ("https://reg.example", "reg.example", false, None, None, None, Some(Scheme::Https), "reg.example"),
            ("https://reg.example/", "reg.example", false, None, None, None, Some(Scheme::Https), "reg.example"),
            ("https://reg.example/v2", "reg.example", false, None, None, None, Some(Scheme::Https), "reg.example"),
            ("https://reg.example/v2/", "reg.example", false, None, None, None, Some(Scheme::Https), "reg.example"),
            ("HTTPS://Reg.Example:443/", "reg.example", false, None, None, None, Some(Scheme::Https), "reg.example"),
            ("https://reg.example:5000/v2/", "reg.example:5000", false, None, None, None, Some(Scheme::Https), "reg.example:5000"),
            ("http://reg.example:5000", "reg.example:5000", false, None, None, None, Some(Scheme::Http), "reg.example:5000"),
            ("http://reg.example:80/", "reg.example", false, None, None, None, Some(Scheme::Http), "reg.example"),
            ("http://reg.example:443/", "reg.example:443", false, None, None, None, Some(Scheme::Http), "reg.example:443"),
            ("https://localhost:5000", "localhost:5000", false, None, None, None, Some(Scheme::Https), "localhost:5000"),
            ("https://myhost", "myhost", false, None, None, None, Some(Scheme::Https), "myhost"),
            ("https://[::1]:5000/v2/", "[::1]:5000", false, None, None, None, Some(Scheme::Https), "[::1]:5000"),
            ("https://index.docker.io/v1/", "docker.io", true, None, None, None, Some(Scheme::Https), "docker.io"),
            ("https://registry-1.docker.io:443/v2/", "docker.io", true, None, None, None, Some(Scheme::Https), "docker.io"),
            ("https://reg.example/ns/app:1.0", "reg.example", false, Some("ns/app"), Some("1.0"), None, Some(Scheme::Https), "reg.example/ns/app:1.0"),
            ("https://reg.example/ns/app/", "reg.example", false, Some("ns/app"), None, None, Some(Scheme::Https), "reg.example/ns/app:latest"),
            ("https://reg.example/v2/ns/app/manifests/1.0", "reg.example", false, Some("ns/app"), Some("1.0"), None, Some(Scheme::Https), "reg.example/ns/app:1.0"),
            ("https://reg.example/v2/ns/app/tags/list", "reg.example", false, Some("ns/app"), None, None, Some(Scheme::Https), "reg.example/ns/app:latest"),
            ("https://registry-1.docker.io/v2/library/alpine/manifests/3.20", "docker.io", true, Some("library/alpine"), Some("3.20"), None, Some(Scheme::Https), "docker.io/library/alpine:3.20"),
            ("https://docker.io/nginx", "docker.io", true, Some("library/nginx"), None, None, Some(Scheme::Https), hub_nginx),
        ];
        for (input, host_port, hub, repo, tag, digest, hint, reference) in rows {
            let t = parse_target(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(t.registry.host_port(), host_port, "{input:?}");
            assert_eq!(t.registry.docker_hub, hub, "{input:?}");
            assert_eq!(
                t.image.as_ref().map(|i| i.repository.as_str()),
                repo,
                "{input:?}"
            );
            assert_eq!(
                t.image.as_ref().and_then(|i| i.tag.as_deref()),
                tag,
                "{input:?}"
            );
            assert_eq!(
                t.image.as_ref().and_then(|i| i.digest.as_deref()),
                digest,
                "{input:?}"
            );
            assert_eq!(t.scheme_hint, hint, "{input:?}");
            assert_eq!(t.reference(), reference, "{input:?}");
            assert_eq!(t.input, input);
        }
        // Digests, built here to keep the table readable.
        #[rustfmt::skip]
        let digest_rows: Vec<(String, &str, Option<&str>, &str)> = vec![
            (format!("host:5000/ns/repo@{d}"), "ns/repo", None, "host:5000"),
            (format!("repo:tag@{d}"), "library/repo", Some("tag"), "docker.io"),
            (format!("nginx@{d}"), "library/nginx", None, "docker.io"),
            (format!("reg.example/app:1@{d}"), "app", Some("1"), "reg.example"),
            (format!("https://reg.example/v2/ns/app/manifests/{d}"), "ns/app", None, "reg.example"),
            (format!("https://reg.example/v2/ns/app/blobs/{d}"), "ns/app", None, "reg.example"),
        ];
        for (input, repo, tag, host_port) in digest_rows {
            let t = parse_target(&input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            let img = t.image.clone().unwrap();
            assert_eq!(img.repository, repo, "{input}");
            assert_eq!(img.tag.as_deref(), tag, "{input}");
            assert_eq!(t.registry.host_port(), host_port, "{input}");
            let has_digest = !input.contains("/blobs/");
            assert_eq!(img.digest.as_deref(), has_digest.then_some(d), "{input}");
        }
    }

    #[test]
    fn reference_and_tag_or_latest() {
        let cases: Vec<(String, Option<&str>, String)> = vec![
            (
                "nginx".into(),
                Some("latest"),
                "docker.io/library/nginx:latest".into(),
            ),
            (
                "nginx:1".into(),
                Some("1"),
                "docker.io/library/nginx:1".into(),
            ),
            (
                format!("nginx@{SHA}"),
                None,
                format!("docker.io/library/nginx@{SHA}"),
            ),
            (
                format!("nginx:1@{SHA}"),
                Some("1"),
                format!("docker.io/library/nginx:1@{SHA}"),
            ),
            ("reg.example".into(), None, "reg.example".into()),
        ];
        for (input, tag, reference) in cases {
            let t = parse_target(&input).unwrap();
            assert_eq!(t.tag_or_latest(), tag, "{input}");
            assert_eq!(t.reference(), reference, "{input}");
        }
    }

    #[test]
    fn rejected_with_the_rule_broken() {
        let long_name = format!("reg.example/{}", "a".repeat(256));
        let long_tag = format!("app:{}", "t".repeat(129));
        let long_label = format!("{}.example/app", "a".repeat(64));
        let hex = "a".repeat(64);
        #[rustfmt::skip]
        let cases: Vec<(&str, &str)> = vec![
            ("Foo/bar", "repository name must be lowercase: \"Foo/bar\""),
            ("foo/Bar", "repository name must be lowercase: \"foo/Bar\""),
            ("Nginx", "must be lowercase: \"Nginx\""),
            ("reg.example/Foo/bar:Tag", "must be lowercase: \"Foo/bar\""),
            ("reg.example/ns//app", "empty path component in \"ns//app\""),
            ("/app", "empty path component"),
            ("//", "empty path component"),
            ("reg.example/ns/app/", "empty path component"),
            ("reg.example/__x", "invalid repository path component \"__x\""),
            ("reg.example/x__", "invalid repository path component \"x__\""),
            ("reg.example/a___b", "invalid repository path component \"a___b\""),
            ("reg.example/a..b", "invalid repository path component \"a..b\""),
            ("reg.example/a._b", "invalid repository path component \"a._b\""),
            ("reg.example/-a", "invalid repository path component \"-a\""),
            ("reg.example/a-", "invalid repository path component"),
            ("reg.example/a b", "invalid repository path component"),
            ("reg.example/a+b", "invalid repository path component"),
            ("reg.example/ns:x/app", "invalid repository path component \"ns:x\""),
            ("reg.example/app:.bad", "invalid tag \".bad\""),
            ("reg.example/app:-bad", "invalid tag \"-bad\""),
            ("reg.example/app:", "invalid tag \"\""),
            ("reg.example/app:a:b", "invalid tag \"a:b\""),
            ("reg.example/app:a/b", "invalid"),
            (&long_tag, "a tag is at most 128 characters"),
            ("reg.example/app@sha256:abc", "invalid digest \"sha256:abc\": sha256 needs exactly 64"),
            ("reg.example/app@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm \"md5\""),
            ("reg.example/app@sha256", "expected algorithm:hex"),
            ("reg.example/app@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "lowercase hex"),
            ("reg.example/app@@sha256:x", "invalid digest"),
            (&long_name, "repository name is longer than 255 characters (256)"),
            ("reg.example:99999/app", "invalid port \"99999\""),
            ("reg.example:0/app", "invalid port \"0\""),
            ("reg.example:05000/app", "invalid port \"05000\""),
            ("reg.example:/app", "invalid port \"\""),
            ("reg.example:abc", "invalid port \"abc\""),
            ("localhost:http", "invalid port \"http\""),
            ("https://reg.example:70000/", "invalid port"),
            ("-bad-.example/app", "cannot start or end with '-'"),
            ("reg..example/app", "empty label"),
            ("reg_x.example/app", "letters, digits"),
            (&long_label, "at most 63 characters"),
            ("::1/app", "too many ':'"),
            ("[::1/app", "missing ']'"),
            ("[zz::1]:5000/app", "not an IPv6 address"),
            ("[::1]x/app", "unexpected text after ']'"),
            ("[::ffff:1.2.3.4]/app", "not an IPv6 address"),
            ("ftp://reg.example", "unsupported scheme \"ftp\""),
            ("://reg.example", "unsupported scheme \"\""),
            ("https://reg.example/v2/?n=1", "query string"),
            ("https://reg.example/#x", "query string"),
            ("https://user:secret@reg.example/", "contains credentials"),
            ("https:///v2/", "the host is empty"),
            ("https://reg.example//", "empty path component"),
            ("reg\u{0}.example", "control characters"),
            ("reg.example/\u{1b}[31m", "control characters"),
            ("régistry.example", "invalid character 'é'"),
            ("nginx:１", "invalid character"),
            (&hex, "cannot specify 64-byte hexadecimal strings"),
        ];
        for (input, needle) in cases {
            match parse_target(input) {
                Ok(t) => panic!("{input:?} was accepted: {t:?}"),
                Err(e) => assert!(e.to_string().contains(needle), "{input:?}: {e}"),
            }
        }
    }

    #[test]
    fn credentials_are_not_echoed() {
        let e = parse_target("https://bob:hunter2@reg.example/").unwrap_err();
        assert_eq!(e, TargetError::UrlCredentials);
        let e = parse_target("bob:hunter3-secret@reg.example/team/app").unwrap_err();
        assert_eq!(e, TargetError::UrlCredentials);
        assert!(!crate::report::redact::text("x bob:hunter3-secret@r").contains("hunter3"));
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn name_length_counts_library_prefix_like_docker() {
        // 247 + "library/" = 255: allowed; one more is not.
        let ok = "a".repeat(247);
        assert_eq!(
            parse_target(&ok).unwrap().image.unwrap().repository.len(),
            255
        );
        let too_long = "a".repeat(248);
        assert_eq!(parse_target(&too_long), Err(TargetError::TooLong(256)));
    }

    #[test]
    fn registry_helpers() {
        // (input, dial_host, https port, http port, config_key, loopback)
        let cases = [
            (
                "nginx",
                "registry-1.docker.io",
                443,
                80,
                DOCKER_HUB_CONFIG_KEY,
                false,
            ),
            ("reg.example", "reg.example", 443, 80, "reg.example", false),
            (
                "reg.example:5000/",
                "reg.example",
                5000,
                5000,
                "reg.example:5000",
                false,
            ),
            ("[::1]:5000/", "::1", 5000, 5000, "[::1]:5000", true),
            ("127.0.0.1", "127.0.0.1", 443, 80, "127.0.0.1", true),
            (
                "127.3.4.5:5000",
                "127.3.4.5",
                5000,
                5000,
                "127.3.4.5:5000",
                true,
            ),
            ("localhost", "localhost", 443, 80, "localhost", true),
            (
                "[::ffff:7f00:1]/",
                "::ffff:7f00:1",
                443,
                80,
                "[::ffff:7f00:1]",
                true,
            ),
            ("[::2]/", "::2", 443, 80, "[::2]", false),
            (
                "10.0.0.1:5000",
                "10.0.0.1",
                5000,
                5000,
                "10.0.0.1:5000",
                false,
            ),
            (
                "docker.io:443/",
                "docker.io",
                443,
                443,
                "docker.io:443",
                false,
            ),
        ];
        for (input, dial, https, http, key, lo) in cases {
            let r = parse_target(input).unwrap().registry;
            assert_eq!(r.dial_host(), dial, "{input}");
            assert_eq!(r.port_or_default(&Scheme::Https), https, "{input}");
            assert_eq!(r.port_or_default(&Scheme::Http), http, "{input}");
            assert_eq!(r.config_key(), key, "{input}");
            assert_eq!(r.is_loopback(), lo, "{input}");
        }
    }

    #[test]
    fn component_grammar() {
        let cases = [
            ("a", true),
            ("a0", true),
            ("a.b", true),
            ("a_b", true),
            ("a__b", true),
            ("a-b", true),
            ("a---b", true),
            ("a.b-c_d__e", true),
            ("", false),
            ("_", false),
            ("a_", false),
            ("a___b", false),
            ("a.-b", false),
            ("a-.b", false),
            ("a..b", false),
            ("a_.b", false),
            ("A", false),
        ];
        for (c, ok) in cases {
            assert_eq!(valid_component(c), ok, "{c:?}");
        }
    }

    #[test]
    fn hostile_input_is_bounded_and_never_panics() {
        let huge = "a".repeat(10 * 1024 * 1024);
        let start = std::time::Instant::now();
        assert_eq!(
            parse_target(&huge),
            Err(TargetError::InputTooLong(huge.len()))
        );
        assert!(start.elapsed() < std::time::Duration::from_millis(200));
        // Pseudo-random strings over an alphabet rich in separators, plus multi-byte chars.
        let alphabet: Vec<char> = "aZ09.:/@_-[]%?#é\u{1F600} \u{0}\u{7f}".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 48) as usize;
            let s: String = (0..len)
                .map(|i| alphabet[((seed >> (i % 56)) as usize + i) % alphabet.len()])
                .collect();
            let _ = parse_target(&s);
            let _ = parse_target(&format!("https://{s}"));
            let _ = parse_target(&format!("reg.example/{s}"));
        }
    }
}
