//! What is known about the situation a finding is shown in (the registry's product, the
//! client, the host's network class, the OS family), and the conditions rules attach to causes
//! and fixes (`when`, `unless`), so that a fix shows only where it can apply.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Products regdoctor tells apart. `distribution` is a plain CNCF registry (`registry:2`).
pub const PRODUCTS: &[&str] = &[
    "distribution",
    "harbor",
    "nexus",
    "artifactory",
    "dockerhub",
    "ghcr",
    "ecr",
    "acr",
    "azure",
    "swr",
    "tcr",
    "quay",
    "gcr",
];

/// Clients as `explain` names them (see `src/explain/extract.rs`).
pub const CLIENTS: &[&str] = &[
    "docker",
    "podman",
    "containerd",
    "kubelet",
    "buildkit",
    "skopeo",
];

pub const HOST_CLASSES: &[&str] = &["loopback", "private", "public"];

pub const OS_FAMILIES: &[&str] = &["linux", "macos", "windows"];

/// A condition on the facts, in a rule: every named fact must be one of the listed values.
/// A fact that is not known does not rule anything out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub os: Vec<String>,
}

impl Conditions {
    /// Values that are not in the vocabulary (a typo in a rule would silently never match).
    pub fn unknown_values(&self) -> Vec<String> {
        let mut bad = Vec::new();
        for (list, known) in [
            (&self.product, PRODUCTS),
            (&self.client, CLIENTS),
            (&self.host, HOST_CLASSES),
            (&self.os, OS_FAMILIES),
        ] {
            bad.extend(
                list.iter()
                    .filter(|v| !known.contains(&v.as_str()))
                    .cloned(),
            );
        }
        bad
    }

    fn pairs<'a>(&'a self, facts: &'a Facts) -> [(&'a [String], Option<&'a str>); 4] {
        [
            (&self.product, facts.product.as_deref()),
            (&self.client, facts.client.as_deref()),
            (&self.host, facts.host.as_deref()),
            (&self.os, facts.os.as_deref()),
        ]
    }

    /// `when`: no known fact contradicts a listed one.
    pub fn allows(&self, facts: &Facts) -> bool {
        self.pairs(facts).iter().all(|(list, fact)| match fact {
            Some(f) if !list.is_empty() => list.iter().any(|v| v == f),
            _ => true,
        })
    }

    /// `unless`: some known fact is one of the listed.
    pub fn excludes(&self, facts: &Facts) -> bool {
        self.pairs(facts)
            .iter()
            .any(|(list, fact)| fact.is_some_and(|f| list.iter().any(|v| v == f)))
    }

    /// The known client or product is named here: such a fix goes first.
    pub fn names_known(&self, facts: &Facts) -> bool {
        let hit = |list: &[String], f: &Option<String>| {
            f.as_deref().is_some_and(|f| list.iter().any(|v| v == f))
        };
        hit(&self.client, &facts.client) || hit(&self.product, &facts.product)
    }
}

/// Whether a cause or fix with these conditions applies.
pub fn applies(when: Option<&Conditions>, unless: Option<&Conditions>, facts: &Facts) -> bool {
    when.is_none_or(|w| w.allows(facts)) && !unless.is_some_and(|u| u.excludes(facts))
}

/// Drop the causes and fixes whose conditions the facts rule out, and put the fixes that name
/// the known client or product first (in their rule order otherwise).
pub fn fit(findings: &mut [crate::report::Finding], facts: &Facts) {
    for f in findings {
        f.causes
            .retain(|c| applies(c.when.as_ref(), c.unless.as_ref(), facts));
        f.causes
            .sort_by_key(|c| !c.when.as_ref().is_some_and(|w| w.names_known(facts)));
        f.fixes
            .retain(|x| applies(x.when.as_ref(), x.unless.as_ref(), facts));
        f.fixes
            .sort_by_key(|x| !x.when.as_ref().is_some_and(|w| w.names_known(facts)));
    }
}

/// What is known; `None` is "not known".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

/// This machine's OS family.
pub fn local_os() -> Option<String> {
    match std::env::consts::OS {
        "linux" => Some("linux"),
        "macos" => Some("macos"),
        "windows" => Some("windows"),
        _ => None,
    }
    .map(str::to_string)
}

fn host_only(host: &str) -> String {
    let h = host.trim().to_ascii_lowercase();
    let h = h.trim_end_matches('.');
    // host:port, [v6]:port
    let h = if let Some(rest) = h.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if h.matches(':').count() == 1 {
        h.split(':').next().unwrap_or(h)
    } else {
        h
    };
    h.to_string()
}

/// The product a registry host name belongs to, for the well-known hosted registries.
pub fn product_from_host(host: &str) -> Option<&'static str> {
    let h = host_only(host);
    let ends = |suffix: &str| h == suffix || h.ends_with(&format!(".{suffix}"));
    if matches!(
        h.as_str(),
        "docker.io" | "registry-1.docker.io" | "index.docker.io" | "auth.docker.io"
    ) {
        Some("dockerhub")
    } else if ends("ghcr.io") {
        Some("ghcr")
    } else if ends("amazonaws.com") && h.contains(".ecr.")
        || ends("amazonaws.com.cn") && h.contains(".ecr.")
        || h == "public.ecr.aws"
    {
        Some("ecr")
    } else if ends("aliyuncs.com") {
        Some("acr")
    } else if ends("azurecr.io") {
        Some("azure")
    } else if ends("myhuaweicloud.com") || ends("hwclouds.com") {
        Some("swr")
    } else if ends("tencentcloudcr.com") || ends("ccs.tencentyun.com") {
        Some("tcr")
    } else if ends("quay.io") {
        Some("quay")
    } else if ends("gcr.io") || h.ends_with("-docker.pkg.dev") {
        Some("gcr")
    } else {
        None
    }
}

/// The product behind a token realm URL (`WWW-Authenticate: Bearer realm=...`).
pub fn product_from_realm(realm: &str) -> Option<&'static str> {
    let url = url::Url::parse(realm).ok()?;
    let path = url.path();
    if let Some(p) = url.host_str().and_then(product_from_host) {
        return Some(p);
    }
    if path.starts_with("/service/token") {
        Some("harbor")
    } else if path.contains("/artifactory/") {
        Some("artifactory")
    } else {
        None
    }
}

/// The product named by response headers of `GET /v2/`.
pub fn product_from_headers(headers: &[(String, String)]) -> Option<&'static str> {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    if get("x-artifactory-id").is_some() || get("x-jfrog-version").is_some() {
        return Some("artifactory");
    }
    if get("server").is_some_and(|s| s.contains("nexus")) {
        return Some("nexus");
    }
    if get("www-authenticate").is_some_and(|s| s.contains("sonatype nexus")) {
        return Some("nexus");
    }
    if get("x-harbor-csrf-token").is_some() {
        return Some("harbor");
    }
    None
}

/// loopback, private (RFC 1918, CGNAT, ULA, link-local) or public, for an address.
pub fn host_class_of_ip(ip: IpAddr) -> &'static str {
    let ip = ip.to_canonical();
    if ip.is_loopback() {
        "loopback"
    } else if crate::probe::cloud_names::is_private(ip)
        || matches!(ip, IpAddr::V4(v4) if v4.is_link_local())
        || matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80)
    {
        "private"
    } else {
        "public"
    }
}

/// The class of a host named in text (no resolution): an address literal, `localhost`, or a
/// well-known public registry.
pub fn host_class_of_name(host: &str) -> Option<&'static str> {
    let h = host_only(host);
    if h == "localhost" || h.ends_with(".localhost") {
        return Some("loopback");
    }
    if let Ok(ip) = h.parse::<IpAddr>() {
        return Some(host_class_of_ip(ip));
    }
    product_from_host(&h).map(|_| "public")
}

/// The class of a set of resolved addresses: the most public one decides (a client may reach
/// any of them).
pub fn host_class_of_addrs(addrs: &[IpAddr]) -> Option<&'static str> {
    let classes: Vec<&str> = addrs.iter().map(|a| host_class_of_ip(*a)).collect();
    ["public", "private", "loopback"]
        .into_iter()
        .find(|c| classes.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(product: Option<&str>, client: Option<&str>, host: Option<&str>) -> Facts {
        Facts {
            product: product.map(str::to_string),
            client: client.map(str::to_string),
            host: host.map(str::to_string),
            os: Some("linux".into()),
        }
    }

    #[test]
    fn unknown_facts_rule_nothing_out() {
        let harbor_only = Conditions {
            product: vec!["harbor".into()],
            ..Default::default()
        };
        assert!(harbor_only.allows(&facts(None, None, None)));
        assert!(harbor_only.allows(&facts(Some("harbor"), None, None)));
        assert!(!harbor_only.allows(&facts(Some("distribution"), None, None)));
        let not_loopback = Conditions {
            host: vec!["loopback".into()],
            ..Default::default()
        };
        assert!(not_loopback.excludes(&facts(None, None, Some("loopback"))));
        assert!(!not_loopback.excludes(&facts(None, None, None)));
        assert!(applies(
            None,
            Some(&not_loopback),
            &facts(None, None, Some("public"))
        ));
    }

    #[test]
    fn products_from_names_realms_and_headers() {
        assert_eq!(product_from_host("registry-1.docker.io"), Some("dockerhub"));
        assert_eq!(product_from_host("ghcr.io:443"), Some("ghcr"));
        assert_eq!(
            product_from_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some("ecr")
        );
        assert_eq!(product_from_host("s3.amazonaws.com"), None);
        assert_eq!(
            product_from_host("registry.cn-hangzhou.aliyuncs.com"),
            Some("acr")
        );
        assert_eq!(
            product_from_host("swr.cn-north-4.myhuaweicloud.com"),
            Some("swr")
        );
        assert_eq!(product_from_host("ccr.ccs.tencentyun.com"), Some("tcr"));
        assert_eq!(product_from_host("europe-docker.pkg.dev"), Some("gcr"));
        assert_eq!(product_from_host("registry.example.com"), None);
        assert_eq!(
            product_from_realm("https://harbor.corp/service/token"),
            Some("harbor")
        );
        assert_eq!(
            product_from_realm("https://auth.docker.io/token"),
            Some("dockerhub")
        );
        let h = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert_eq!(
            product_from_headers(&h("X-JFrog-Version", "7.1")),
            Some("artifactory")
        );
        assert_eq!(
            product_from_headers(&h("Server", "Nexus/3.61.0 (OSS)")),
            Some("nexus")
        );
        assert_eq!(product_from_headers(&h("Server", "nginx")), None);
    }

    #[test]
    fn host_classes() {
        assert_eq!(host_class_of_name("127.0.0.1:1"), Some("loopback"));
        assert_eq!(host_class_of_name("localhost:5000"), Some("loopback"));
        assert_eq!(host_class_of_name("10.1.2.3:5000"), Some("private"));
        assert_eq!(host_class_of_name("[::1]:5000"), Some("loopback"));
        assert_eq!(host_class_of_name("quay.io"), Some("public"));
        assert_eq!(host_class_of_name("harbor.corp"), None);
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            host_class_of_addrs(&[a("10.0.0.1"), a("8.8.8.8")]),
            Some("public")
        );
        assert_eq!(host_class_of_addrs(&[a("192.168.1.9")]), Some("private"));
    }
}
