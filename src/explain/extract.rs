//! What a pasted error tells besides its cause: which registry, repository, tag and token realm.
//! Shown to the user and used to fill the fixes' placeholders. The client, the HTTP status and
//! a looked-up host come from the reader of error chains (`chain_facts`), which reads them in
//! more shapes; this module only adds what the chain does not keep.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::target;

#[derive(Default)]
pub struct Extractor {
    found: BTreeMap<String, String>,
}

struct Patterns {
    v2_url: Regex,
    image: Regex,
    realm: Regex,
    scope: Regex,
    timestamp: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        // Classes are spelled in ASCII ([A-Za-z0-9_], not \w): a Unicode `\w{0,127}` alone cost
        // ~50 ms to build, more than everything else at start-up.
        let re = |s: &str| Regex::new(s).ok();
        Some(Patterns {
            v2_url: re(r#"(?i)https?://([a-z0-9.\-]+(?::\d{1,5})?|\[[0-9a-f:]+\](?::\d{1,5})?)/v[12]/([a-z0-9._/\-]*?)(?:/(?:manifests|blobs|tags)/([^\s"'/?]+))?(?:[\s"'?]|$)"#)?,
            image: re(r#"(?i)(?:pull(?:ing)? (?:access denied for|image)|failed to resolve reference|image|reference|repository)\s*[:=]?\s*"?([a-z0-9.\-]+(?::\d{1,5})?/[a-z0-9._/\-]+(?::[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127})?(?:@sha256:[a-f0-9]{64})?)"?"#)?,
            realm: re(r#"(?i)(https?://[^\s"'?/]+[^\s"'?]*)\?[^\s"']*(?:scope|service)=[^\s"']*"#)?,
            scope: re(r"repository:([a-z0-9._/\-]+(?::\d+)?[a-z0-9._/\-]*):([a-z*,]+)")?,
            timestamp: re(r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[T ][\d:.,]+Z?\]?|\d{2}:\d{2}:\d{2}(?:\.\d+)?|#\d+ [\d.]+)\s*")?,
        })
    })
    .as_ref()
}

impl Extractor {
    /// Learn from one matched line. The first value found for a field wins: in a log the
    /// first error names the operation that failed.
    pub fn scan(&mut self, line: &str) {
        let Some(p) = patterns() else { return };
        let mut put = |k: &str, v: &str| {
            if !v.is_empty() {
                self.found
                    .entry(k.to_string())
                    .or_insert_with(|| v.to_string());
            }
        };
        if let Some(c) = p.realm.captures(line) {
            if let Ok(url) = url::Url::parse(&c[1]) {
                put(
                    "realm",
                    &format!("{}://{}{}", url.scheme(), url.authority(), url.path()),
                );
                if let Some(h) = url.host_str() {
                    put("realm_host", h);
                }
            }
        }
        if let Some(c) = p.v2_url.captures(line) {
            put("registry", &c[1].to_ascii_lowercase());
            if let Some(repo) = c.get(2).map(|m| m.as_str().trim_end_matches('/')) {
                put("repository", repo);
            }
            if let Some(tag) = c.get(3) {
                put("tag", tag.as_str());
            }
        }
        if let Some(c) = p.image.captures(line) {
            if let Ok(t) = target::parse_target(&c[1]) {
                put("registry", &t.registry.host_port());
                if let Some(img) = &t.image {
                    put("image", &t.reference());
                    put("repository", &img.repository);
                    if let Some(tag) = &img.tag {
                        put("tag", tag);
                    }
                }
            }
        }
        if let Some(c) = p.scope.captures(line) {
            put("scope", &c[0]);
            put("repository", &c[1]);
        }
    }

    /// Learn from what the reader of error chains made of a line (the first failing line wins,
    /// field by field).
    pub fn chain(&mut self, read: &super::chain::Chain) {
        for (k, v) in chain_facts(read) {
            self.found.entry(k).or_insert(v);
        }
    }

    pub fn finish(self) -> BTreeMap<String, String> {
        self.found
    }
}

/// The facts of one error chain, under the names the report uses.
pub fn chain_facts(read: &super::chain::Chain) -> BTreeMap<String, String> {
    use super::chain::Stage;
    let mut f = BTreeMap::new();
    if let Some(c) = read.client {
        f.insert("client".into(), c.id().into());
    }
    if let Some(op) = read.op {
        f.insert("operation".into(), op.id().into());
    }
    if let Some(stage) = read.stage {
        f.insert("stage".into(), stage.id().into());
    }
    if let Some(net) = read.net {
        f.insert("network_error".into(), net.id().into());
    }
    if let Some(status) = read.status {
        f.insert("http_status".into(), status.to_string());
    }
    if !read.codes.is_empty() {
        f.insert("error_code".into(), read.codes.join(","));
    }
    if let Some(url) = &read.url {
        f.insert("url".into(), url.clone());
    }
    match (&read.host, read.stage) {
        (Some(h), Some(Stage::Token)) => {
            f.insert("realm_host".into(), h.clone());
            if let Some(r) = &read.registry {
                f.insert("registry".into(), r.clone());
            }
        }
        (Some(h), Some(Stage::Blob)) if read.registry.is_some() => {
            // A blob request answered by another host: the registry redirected to its store.
            f.insert("blob_host".into(), h.clone());
            if let Some(r) = &read.registry {
                f.insert("registry".into(), r.clone());
            }
        }
        (Some(h), _) => {
            f.insert("registry".into(), h.clone());
        }
        _ => {}
    }
    f
}

/// The placeholder values for fixes (`{registry}`, `{host}`, `{port}`, ...).
pub fn fix_vars(found: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut vars = found.clone();
    if let Some(reg) = found.get("registry") {
        let (host, port) = match reg.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => {
                (h, Some(p))
            }
            _ => (reg.as_str(), None),
        };
        vars.insert("host".into(), host.to_string());
        if let Some(p) = port {
            vars.insert("port".into(), p.to_string());
        }
    }
    vars
}

/// A line without its leading timestamp or build-step prefix, to group repeats of one error.
pub fn without_timestamp(line: &str) -> String {
    match patterns() {
        Some(p) => p.timestamp.replace(line, "").into_owned(),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(lines: &[&str]) -> BTreeMap<String, String> {
        let mut e = Extractor::default();
        for l in lines {
            e.chain(&crate::explain::chain::read(l));
            e.scan(l);
        }
        e.finish()
    }

    #[test]
    fn finds_registry_realm_scope_and_status() {
        let got = scan(&[
            "Error trying to reuse blob sha256:abc at destination: Get https://dockerauth.cn-hangzhou.aliyuncs.com/auth?account=bob&scope=repository%3Ans%2Fapp%3Apull%2Cpush&service=registry.aliyuncs.com%3Acn-hangzhou%3A26842: unexpected EOF",
        ]);
        assert_eq!(got["realm_host"], "dockerauth.cn-hangzhou.aliyuncs.com");
        assert_eq!(
            got["realm"],
            "https://dockerauth.cn-hangzhou.aliyuncs.com/auth"
        );

        let got = scan(&[
            "Error response from daemon: Get \"https://registry.example.com:5000/v2/\": x509: certificate signed by unknown authority",
        ]);
        assert_eq!(got["registry"], "registry.example.com:5000");
        assert_eq!(got["client"], "docker");

        let got = scan(&[
            "Error response from daemon: pull access denied for registry.cn-hangzhou.aliyuncs.com/library/node, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
        ]);
        assert_eq!(got["registry"], "registry.cn-hangzhou.aliyuncs.com");
        assert_eq!(got["repository"], "library/node");

        let got = scan(&[
            "Error response from daemon: login attempt to https://r.example/v2/ failed with status: 401 Unauthorized",
        ]);
        assert_eq!(got["http_status"], "401");
        assert_eq!(got["registry"], "r.example");

        let got = scan(&[
            "dial tcp: lookup swr.cn-north-4.myhuaweicloud.com on 10.0.0.2:53: no such host",
        ]);
        assert_eq!(got["registry"], "swr.cn-north-4.myhuaweicloud.com");
    }

    #[test]
    fn timestamps_do_not_make_repeats_distinct() {
        assert_eq!(
            without_timestamp("2024-05-01T10:00:00.123Z error: x"),
            without_timestamp("2024-05-01T10:00:05.999Z error: x")
        );
    }

    #[test]
    fn fix_vars_split_host_and_port() {
        let mut f = BTreeMap::new();
        f.insert("registry".to_string(), "r.example:5000".to_string());
        let v = fix_vars(&f);
        assert_eq!(v["host"], "r.example");
        assert_eq!(v["port"], "5000");
    }
}
