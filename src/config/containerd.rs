//! containerd's registry configuration: the CRI plugin's `registry` table in
//! `/etc/containerd/config.toml` (config version 1 and 2: `io.containerd.grpc.v1.cri`;
//! version 3, containerd 2.x: `io.containerd.cri.v1.images`) and the per-registry
//! `certs.d/<host>/hosts.toml` files found under its `config_path`.

use std::path::{Path, PathBuf};

use super::toml_file::{self, TomlFileError};

/// The CRI plugin names whose `registry` table Kubernetes pulls use.
const CRI_PLUGINS: &[&str] = &["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images"];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerdConfig {
    /// `version` at the top (1 when absent, as containerd assumes).
    pub version: i64,
    /// `disabled_plugins` names the CRI plugin: Docker's own containerd ships this way, and
    /// then nothing below matters for pulls.
    pub cri_disabled: bool,
    /// The plugin table the registry settings were found in.
    pub plugin: Option<String>,
    /// `registry.config_path`, as written (may hold several directories joined by `:`).
    pub config_path: Option<String>,
    /// Legacy `registry.mirrors."<host>".endpoint`.
    pub mirrors: Vec<LegacyMirror>,
    /// Legacy `registry.configs."<host>"`.
    pub configs: Vec<LegacyRegistryConfig>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LegacyMirror {
    pub host: String,
    pub endpoints: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LegacyRegistryConfig {
    pub host: String,
    /// A `tls` table is present (containerd refuses it next to `config_path`).
    pub has_tls: bool,
    pub insecure_skip_verify: bool,
    pub ca_file: Option<String>,
    /// An `auth` table is present (deprecated; never shown: it may hold a password).
    pub has_auth: bool,
}

impl ContainerdConfig {
    /// The certs.d directories containerd searches, in order (`config_path` split as Go's
    /// `filepath.SplitList` does).
    pub fn certs_dirs(&self) -> Vec<PathBuf> {
        self.config_path
            .iter()
            .flat_map(|p| p.split(':'))
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect()
    }
}

pub fn read(path: &Path) -> Result<Option<ContainerdConfig>, TomlFileError> {
    Ok(toml_file::read_table(path)?.map(|t| from_table(&t)))
}

pub fn parse(text: &str) -> Result<ContainerdConfig, (usize, usize, String)> {
    toml_file::parse_table(text).map(|t| from_table(&t))
}

fn from_table(t: &toml::Table) -> ContainerdConfig {
    let mut out = ContainerdConfig {
        version: t
            .get("version")
            .and_then(toml::Value::as_integer)
            .unwrap_or(1),
        ..Default::default()
    };
    out.cri_disabled = toml_file::strings(t, "disabled_plugins").iter().any(|p| {
        CRI_PLUGINS.contains(&p.as_str()) || p == "cri" || p == "io.containerd.grpc.v1.cri"
    });
    let plugins = t.get("plugins").and_then(toml::Value::as_table);
    let Some((name, registry)) = CRI_PLUGINS.iter().find_map(|name| {
        // Version 1 files also accept the short plugin name `cri`.
        let plugin = plugins.and_then(|p| p.get(*name)).or_else(|| {
            (*name == "io.containerd.grpc.v1.cri")
                .then(|| plugins.and_then(|p| p.get("cri")))
                .flatten()
        })?;
        let registry = plugin.get("registry")?.as_table()?;
        Some((name.to_string(), registry))
    }) else {
        return out;
    };
    out.plugin = Some(name);
    out.config_path = toml_file::string(registry, "config_path").filter(|p| !p.is_empty());
    if let Some(mirrors) = registry.get("mirrors").and_then(toml::Value::as_table) {
        for (host, m) in mirrors {
            let endpoints = m
                .as_table()
                .map(|m| toml_file::strings(m, "endpoint"))
                .unwrap_or_default();
            out.mirrors.push(LegacyMirror {
                host: host.clone(),
                endpoints,
            });
        }
    }
    if let Some(configs) = registry.get("configs").and_then(toml::Value::as_table) {
        for (host, c) in configs {
            let Some(c) = c.as_table() else { continue };
            let tls = c.get("tls").and_then(toml::Value::as_table);
            out.configs.push(LegacyRegistryConfig {
                host: host.clone(),
                has_tls: tls.is_some(),
                insecure_skip_verify: tls
                    .is_some_and(|t| toml_file::boolean(t, "insecure_skip_verify")),
                ca_file: tls
                    .and_then(|t| toml_file::string(t, "ca_file"))
                    .filter(|s| !s.is_empty()),
                has_auth: c.get("auth").is_some(),
            });
        }
    }
    out
}

/// One `hosts.toml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostsFile {
    pub path: PathBuf,
    /// `server`: the upstream used after every `host` failed (or alone).
    pub server: Option<String>,
    /// Top-level settings apply to `server`.
    pub server_skip_verify: bool,
    pub server_ca: Vec<String>,
    pub hosts: Vec<HostEntry>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostEntry {
    /// The table key: `https://mirror.example`, sometimes without a scheme.
    pub url: String,
    /// `None` when not given (containerd's default: pull, resolve, push).
    pub capabilities: Option<Vec<String>>,
    pub skip_verify: bool,
    pub ca: Vec<String>,
    pub override_path: bool,
}

pub fn read_hosts(path: &Path) -> Result<Option<HostsFile>, TomlFileError> {
    Ok(toml_file::read_table(path)?.map(|t| hosts_from_table(&t, path)))
}

pub fn parse_hosts(text: &str, path: &Path) -> Result<HostsFile, (usize, usize, String)> {
    toml_file::parse_table(text).map(|t| hosts_from_table(&t, path))
}

fn hosts_from_table(t: &toml::Table, path: &Path) -> HostsFile {
    let mut out = HostsFile {
        path: path.to_path_buf(),
        server: toml_file::string(t, "server"),
        server_skip_verify: toml_file::boolean(t, "skip_verify"),
        server_ca: toml_file::strings(t, "ca"),
        hosts: Vec::new(),
    };
    if let Some(hosts) = t.get("host").and_then(toml::Value::as_table) {
        for (url, h) in hosts {
            let Some(h) = h.as_table() else { continue };
            out.hosts.push(HostEntry {
                url: url.clone(),
                capabilities: h
                    .get("capabilities")
                    .map(|_| toml_file::strings(h, "capabilities")),
                skip_verify: toml_file::boolean(h, "skip_verify"),
                ca: toml_file::strings(h, "ca"),
                override_path: toml_file::boolean(h, "override_path"),
            });
        }
    }
    out
}

/// The directory name containerd looks up for a registry (`host[:port]`; `docker.io` for
/// Docker Hub), under each certs.d root, falling back to `_default`.
pub fn hosts_file_for(dirs: &[PathBuf], registry: &str) -> Option<PathBuf> {
    let candidates = [registry, "_default"];
    for name in candidates {
        for d in dirs {
            let p = d.join(name).join("hosts.toml");
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// What containerd makes of a host URL in hosts.toml: no scheme means https; a path gets `/v2`
/// appended unless it already ends with it or `override_path` is set.
pub fn host_url_problem(url: &str, override_path: bool) -> Option<String> {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    if let Some(s) = scheme {
        if s != "http" && s != "https" {
            return Some(format!("unsupported scheme {s:?}"));
        }
    }
    let path = rest.split_once('/').map(|(_, p)| p).unwrap_or("");
    let path = path.trim_end_matches('/');
    if !path.is_empty() && !override_path && path != "v2" && !path.ends_with("/v2") {
        return Some(format!(
            "has the path /{path}: containerd asks for /{path}/v2/... (not /v2/...) unless override_path = true"
        ));
    }
    if scheme.is_none() {
        return Some("has no scheme: containerd assumes https://".into());
    }
    None
}

/// A legacy CRI `endpoint` entry: containerd parses it as a URL, so one without a scheme is
/// read as a path with no host, and a path other than `/v2` becomes a prefix.
pub fn legacy_endpoint_problem(endpoint: &str) -> Option<String> {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return Some(
            "has no scheme: containerd reads it as a path with no host; write https:// (or http://)"
                .into(),
        );
    };
    if scheme != "http" && scheme != "https" {
        return Some(format!("unsupported scheme {scheme:?}"));
    }
    let path = rest.split_once('/').map(|(_, p)| p).unwrap_or("");
    let path = path.trim_end_matches('/');
    if !path.is_empty() && path != "v2" {
        return Some(format!(
            "has the path /{path}: containerd sends its requests under it instead of /v2/"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_version_2_cri_registry() {
        let c = parse(
            r#"version = 2
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
  endpoint = ["mirror.example.com", "https://registry-1.docker.io"]
[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example:5000".tls]
  insecure_skip_verify = true
  ca_file = "/etc/ca.pem"
[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example:5000".auth]
  username = "u"
"#,
        )
        .unwrap();
        assert_eq!(c.version, 2);
        assert!(!c.cri_disabled);
        assert_eq!(c.config_path.as_deref(), Some("/etc/containerd/certs.d"));
        assert_eq!(c.mirrors[0].endpoints.len(), 2);
        let cfg = &c.configs[0];
        assert!(cfg.has_tls && cfg.insecure_skip_verify && cfg.has_auth);
        assert_eq!(cfg.ca_file.as_deref(), Some("/etc/ca.pem"));
    }

    #[test]
    fn version_3_and_dockers_containerd() {
        let c = parse(
            "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\nconfig_path = '/a:/b'\n",
        )
        .unwrap();
        assert_eq!(
            c.certs_dirs(),
            vec![PathBuf::from("/a"), PathBuf::from("/b")]
        );
        let d = parse("disabled_plugins = [\"cri\"]\n").unwrap();
        assert!(d.cri_disabled && d.plugin.is_none());
    }

    #[test]
    fn hosts_toml_entries() {
        let h = parse_hosts(
            r#"server = "https://registry-1.docker.io"
[host."https://mirror.example.com"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
[host."http://10.0.0.1:5000"]
  ca = ["/a.crt", "/b.crt"]
"#,
            Path::new("/x/hosts.toml"),
        )
        .unwrap();
        assert_eq!(h.hosts.len(), 2);
        let m = h.hosts.iter().find(|e| e.url.contains("mirror")).unwrap();
        assert!(m.skip_verify);
        assert_eq!(m.capabilities.as_ref().unwrap().len(), 2);
        let p = h.hosts.iter().find(|e| e.url.contains("10.0.0.1")).unwrap();
        assert_eq!(p.ca.len(), 2);
        assert!(p.capabilities.is_none());
    }

    #[test]
    fn url_problems() {
        assert_eq!(host_url_problem("https://m.example", false), None);
        assert!(
            host_url_problem("m.example", false)
                .unwrap()
                .contains("scheme")
        );
        assert!(
            host_url_problem("https://m.example/dockerhub", false)
                .unwrap()
                .contains("/dockerhub/v2")
        );
        assert_eq!(host_url_problem("https://m.example/x", true), None);
        assert_eq!(legacy_endpoint_problem("https://m.example/v2"), None);
        assert!(legacy_endpoint_problem("m.example").is_some());
        assert!(legacy_endpoint_problem("https://m.example/hub").is_some());
    }
}
