//! What users type as the target of `regdoctor check`, normalised by Docker's reference rules
//! (distribution/reference `ParseNormalizedNamed`), plus the URL forms people paste.
//!
//! The first path component is a registry only if it contains `.` or `:` or is `localhost`,
//! exactly as in Docker: `myhost:5000` alone is the Docker Hub image `library/myhost` with the
//! tag `5000`. Write `myhost:5000/` or `https://myhost:5000` to mean the registry.

use std::net::IpAddr;

use serde::Serialize;

pub const DOCKER_HUB_DOMAIN: &str = "docker.io";
pub const DOCKER_HUB_DIAL_HOST: &str = "registry-1.docker.io";
pub const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";

const MAX_NAME: usize = 255;
const MAX_TAG: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Scheme {
    Https,
    Http,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registry {
    /// Lower case, without brackets for IPv6.
    pub host: String,
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

    /// `host[:port]` as Docker names `/etc/docker/certs.d/<dir>` and as the image reference
    /// spells it (IPv6 in brackets). Docker Hub is `docker.io`.
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

    /// The key Docker looks up in `~/.docker/config.json` `auths`.
    pub fn config_key(&self) -> String {
        if self.docker_hub {
            DOCKER_HUB_CONFIG_KEY.into()
        } else {
            self.host_port()
        }
    }

    /// Docker treats these as insecure registries by default.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageName {
    /// e.g. `library/nginx`
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub input: String,
    pub registry: Registry,
    pub image: Option<ImageName>,
    pub scheme_hint: Option<Scheme>,
}

impl Target {
    /// Canonical reference, e.g. `docker.io/library/nginx:latest`; the registry alone if no image.
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
                _ => {}
            }
            if let Some(d) = &img.digest {
                s.push('@');
                s.push_str(d);
            }
        }
        s
    }

    /// The tag to check: the one given, `latest` when neither tag nor digest was given.
    pub fn tag_or_latest(&self) -> Option<&str> {
        let img = self.image.as_ref()?;
        match (&img.tag, &img.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TargetError {
    #[error("the target contains control characters or is not text")]
    NotText,
    #[error("repository name must be lowercase: {0:?}")]
    Uppercase(String),
    #[error(
        "invalid repository path component {0:?}: components are lowercase letters and digits, separated by '.', '_', '__' or '-'"
    )]
    BadComponent(String),
    #[error("empty path component in {0:?}")]
    EmptyComponent(String),
    #[error("repository name is longer than 255 characters")]
    TooLong,
    #[error(
        "invalid tag {0:?}: a tag is at most 128 characters of [A-Za-z0-9_.-] and cannot start with '.' or '-'"
    )]
    BadTag(String),
    #[error("invalid digest {0:?}: expected sha256:<64 hex> or sha512:<128 hex>")]
    BadDigest(String),
    #[error("invalid port {0:?}: a port is a number from 1 to 65535")]
    BadPort(String),
    #[error("invalid registry host {0:?}")]
    BadHost(String),
    #[error("unsupported scheme {0:?}: use https:// or http://")]
    BadScheme(String),
}

pub fn parse_target(input: &str) -> Result<Target, TargetError> {
    let raw = input.trim();
    if raw.chars().any(char::is_control) {
        return Err(TargetError::NotText);
    }
    let mut scheme_hint = None;
    let mut rest = raw;
    if let Some((scheme, after)) = raw.split_once("://") {
        scheme_hint = Some(match scheme.to_ascii_lowercase().as_str() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            other => return Err(TargetError::BadScheme(other.to_string())),
        });
        rest = after;
        // A pasted API URL: `https://host/v2/` or `https://host/v2/ns/repo/manifests/tag`.
        if let Some((host, path)) = rest.split_once('/') {
            let path = path.trim_end_matches('/');
            let path = path
                .strip_prefix("v2")
                .map(|p| p.trim_start_matches('/'))
                .unwrap_or(path);
            let path = match path.split_once("/manifests/") {
                Some((repo, tag)) => format!("{repo}:{tag}"),
                None => path.to_string(),
            };
            return build(input, scheme_hint, Some(host), &path);
        }
        return build(input, scheme_hint, Some(rest), "");
    }
    if rest.is_empty() {
        return Ok(Target {
            input: input.into(),
            registry: Registry::hub(),
            image: None,
            scheme_hint,
        });
    }
    // Docker's rule for the first component.
    let (first, remainder) = match rest.split_once('/') {
        Some((f, r)) => (f, Some(r)),
        None => (rest, None),
    };
    let is_registry = first.contains('.') || first.contains(':') || first == "localhost";
    match remainder {
        Some(r) if is_registry => build(input, scheme_hint, Some(first), r),
        None if is_registry && !looks_like_image_with_tag(first) => {
            build(input, scheme_hint, Some(first), "")
        }
        _ => build(input, scheme_hint, None, rest),
    }
}

/// `name:tag` with no dot in the name and not localhost: an image, as Docker reads it.
fn looks_like_image_with_tag(s: &str) -> bool {
    match s.split_once(':') {
        Some((name, _)) => !name.contains('.') && name != "localhost" && !name.starts_with('['),
        None => false,
    }
}

fn build(
    input: &str,
    scheme_hint: Option<Scheme>,
    host: Option<&str>,
    path: &str,
) -> Result<Target, TargetError> {
    let registry = match host {
        None => Registry::hub(),
        Some(h) => parse_host(h)?,
    };
    let image = if path.is_empty() {
        None
    } else {
        Some(parse_name(path, registry.docker_hub)?)
    };
    Ok(Target {
        input: input.into(),
        registry,
        image,
        scheme_hint,
    })
}

fn parse_host(h: &str) -> Result<Registry, TargetError> {
    let (host, port) = if let Some(v6) = h.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| TargetError::BadHost(h.into()))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return Err(TargetError::BadHost(h.into())),
        };
        addr.parse::<IpAddr>()
            .map_err(|_| TargetError::BadHost(h.into()))?;
        (addr.to_ascii_lowercase(), port)
    } else {
        match h.rsplit_once(':') {
            Some((host, p)) => (host.to_ascii_lowercase(), Some(parse_port(p)?)),
            None => (h.to_ascii_lowercase(), None),
        }
    };
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if !valid && host.parse::<IpAddr>().is_err() {
        return Err(TargetError::BadHost(h.into()));
    }
    let docker_hub = matches!(
        host.as_str(),
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    ) && port.is_none();
    Ok(if docker_hub {
        Registry::hub()
    } else {
        Registry {
            host,
            port,
            docker_hub: false,
        }
    })
}

fn parse_port(p: &str) -> Result<u16, TargetError> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => Ok(n),
        _ => Err(TargetError::BadPort(p.into())),
    }
}

fn parse_name(path: &str, docker_hub: bool) -> Result<ImageName, TargetError> {
    let (rest, digest) = match path.split_once('@') {
        Some((r, d)) => (r, Some(parse_digest(d)?)),
        None => (path, None),
    };
    // The tag is after the last ':' that follows the last '/'.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= MAX_TAG
            && t.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err(TargetError::BadTag(t.into()));
        }
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(TargetError::Uppercase(name.into()));
    }
    for comp in name.split('/') {
        if comp.is_empty() {
            return Err(TargetError::EmptyComponent(name.into()));
        }
        if !valid_component(comp) {
            return Err(TargetError::BadComponent(comp.into()));
        }
    }
    let repository = if docker_hub && !name.contains('/') {
        format!("library/{name}")
    } else {
        name.to_string()
    };
    if repository.len() > MAX_NAME {
        return Err(TargetError::TooLong);
    }
    Ok(ImageName {
        repository,
        tag: tag.map(str::to_string),
        digest,
    })
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`, by hand: one pass, no regex to build.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if !b.first().copied().is_some_and(alnum) || !b.last().copied().is_some_and(alnum) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn parse_digest(d: &str) -> Result<String, TargetError> {
    let bad = || TargetError::BadDigest(d.into());
    let (alg, hex) = d.split_once(':').ok_or_else(bad)?;
    let len = match alg {
        "sha256" => 64,
        "sha512" => 128,
        _ => return Err(bad()),
    };
    if hex.len() != len
        || !hex
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    {
        return Err(bad());
    }
    Ok(d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Target {
        parse_target(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn docker_hub_short_forms() {
        for s in [
            "nginx",
            "library/nginx",
            "docker.io/nginx",
            "docker.io/library/nginx",
            "index.docker.io/library/nginx",
            "registry-1.docker.io/library/nginx",
        ] {
            let t = ok(s);
            assert!(t.registry.docker_hub, "{s}");
            assert_eq!(t.registry.dial_host(), "registry-1.docker.io");
            assert_eq!(t.registry.config_key(), DOCKER_HUB_CONFIG_KEY);
            assert_eq!(t.image.as_ref().unwrap().repository, "library/nginx", "{s}");
            assert_eq!(t.reference(), "docker.io/library/nginx:latest");
        }
        let t = ok("user/app:1.2");
        assert_eq!(t.image.unwrap().repository, "user/app");
        let t = ok("");
        assert!(t.registry.docker_hub && t.image.is_none());
        assert!(ok("docker.io").image.is_none());
    }

    #[test]
    fn registries_and_urls() {
        let t = ok("registry.example.com");
        assert_eq!(
            (t.registry.host.as_str(), t.registry.port, t.image),
            ("registry.example.com", None, None)
        );
        let t = ok("127.0.0.1:5000");
        assert_eq!(t.registry.port, Some(5000));
        assert!(t.registry.is_loopback());
        let t = ok("https://reg.example/v2/");
        assert_eq!(t.registry.host, "reg.example");
        assert_eq!(t.scheme_hint, Some(Scheme::Https));
        assert!(t.image.is_none());
        let t = ok("http://reg.example:5000");
        assert_eq!(
            (t.registry.port, t.scheme_hint),
            (Some(5000), Some(Scheme::Http))
        );
        let t = ok("https://reg.example/v2/ns/app/manifests/1.0");
        assert_eq!(t.image.unwrap().tag.as_deref(), Some("1.0"));
        let t = ok("[::1]:5000/foo");
        assert_eq!(t.registry.host_port(), "[::1]:5000");
        assert!(t.registry.is_loopback());
        assert!(ok("localhost").registry.is_loopback());
        assert_eq!(ok("localhost:5000/foo").image.unwrap().repository, "foo");
        assert!(ok("myhost:5000/").image.is_none());
        // Docker's reading: no dot, not localhost: an image with a tag.
        let t = ok("myhost:5000");
        assert!(t.registry.docker_hub);
        assert_eq!(t.image.unwrap().tag.as_deref(), Some("5000"));
    }

    #[test]
    fn images_with_tags_and_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let t = ok(&format!("reg.example:5000/ns/app@{d}"));
        let img = t.image.clone().unwrap();
        assert_eq!(
            (img.repository.as_str(), img.tag, img.digest.as_deref()),
            ("ns/app", None, Some(d.as_str()))
        );
        assert_eq!(t.tag_or_latest(), None);
        let t = ok(&format!("app:1@{d}"));
        assert_eq!(t.image.unwrap().tag.as_deref(), Some("1"));
        let t = ok("swr.cn-north-4.myhuaweicloud.com/org/app:v1.0_rc-2");
        assert_eq!(t.tag_or_latest(), Some("v1.0_rc-2"));
        assert_eq!(
            ok("a/b__c/d-e--f.g").image.unwrap().repository,
            "a/b__c/d-e--f.g"
        );
    }

    #[test]
    fn rejects_with_the_rule_broken() {
        let cases: &[(&str, &str)] = &[
            ("Registry.example.com/Foo/bar", "lowercase"),
            ("reg.example/ns//app", "empty path"),
            ("reg.example/ns/_app", "invalid repository path component"),
            ("reg.example/a___b", "invalid repository path component"),
            ("reg.example/app:.bad", "invalid tag"),
            ("reg.example/app:", "invalid tag"),
            ("reg.example/app@sha256:abc", "invalid digest"),
            ("reg.example:99999/app", "invalid port"),
            ("reg.example:0/app", "invalid port"),
            ("ftp://reg.example", "unsupported scheme"),
            ("reg\u{0}.example", "control"),
            ("-bad-.example/app", "invalid registry host"),
        ];
        for (input, needle) in cases {
            let err = parse_target(input).expect_err(input).to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
        let long = format!("reg.example/{}", "a".repeat(300));
        assert_eq!(parse_target(&long), Err(TargetError::TooLong));
        let tag = format!("app:{}", "t".repeat(129));
        assert!(matches!(parse_target(&tag), Err(TargetError::BadTag(_))));
    }

    #[test]
    fn binary_junk_never_panics() {
        let mut seed = 7u64;
        for _ in 0..2000 {
            let len = (seed % 40) as usize;
            let s: String = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    char::from_u32(((seed >> 33) % 0x3000) as u32).unwrap_or('?')
                })
                .collect();
            let _ = parse_target(&s);
        }
    }
}
