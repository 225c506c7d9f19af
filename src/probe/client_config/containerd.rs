//! `containerd`: the registry settings containerd's CRI plugin uses for Kubernetes pulls:
//! `config.toml` (`config_path`, legacy `mirrors` / `configs`) and the target's
//! `certs.d/<host>/hosts.toml`. Files only: no network.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::containerd::{self, HostsFile};
use crate::config::toml_file::TomlFileError;
use crate::observe::Observation;
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::rules::Severity;
use crate::target::Scheme;

pub const PROBE: ProbeDef = ProbeDef {
    id: "containerd",
    doc: "containerd config.toml registry settings and the target's certs.d hosts.toml: mirrors, skip_verify, ca, config_path conflicts",
    needs: &[],
    timeout: Duration::from_secs(2),
    on_timeout: None,
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx) })
}

pub fn malformed(ctx: &Ctx, key: &str, e: &TomlFileError) -> Observation {
    let mut o = ctx.obs(key).evidence("file", e.path().to_string());
    match e {
        TomlFileError::Syntax {
            line,
            column,
            message,
            ..
        } => {
            o = o
                .evidence("error", format!("line {line}, column {column}: {message}"))
                .var("line", line.to_string());
        }
        TomlFileError::Unreadable { message, .. } => {
            o = o.evidence("error", message.clone());
        }
    }
    o.var("file", e.path().to_string())
}

/// The name containerd gives a registry's directory: `docker.io` for Docker Hub.
fn registry_dir_name(ctx: &Ctx) -> String {
    ctx.target.registry.host_port()
}

fn probe(ctx: &Ctx) -> ProbeResult {
    let rt = &ctx.opts.runtimes;
    let shown = rt.containerd_config.display().to_string();
    let mut observations: Vec<Observation> = Vec::new();
    let cfg = match containerd::read(&rt.containerd_config) {
        Ok(c) => c,
        Err(e) => {
            return ProbeResult::fail(
                format!("{shown} cannot be loaded: containerd will not start with it"),
                vec![malformed(ctx, "containerd.malformed", &e)],
            );
        }
    };
    let certs_dirs: Vec<PathBuf> = match (&rt.containerd_certs_dir, &cfg) {
        (Some(d), _) => vec![d.clone()],
        (None, Some(c)) if c.config_path.is_some() => c.certs_dirs(),
        _ => vec![PathBuf::from("/etc/containerd/certs.d")],
    };
    let any_certs_dir = certs_dirs.iter().any(|d| d.is_dir());
    let Some(cfg) = cfg else {
        if !any_certs_dir {
            return ProbeResult::pass(format!("no {shown}: containerd is not configured here"));
        }
        return hosts_only(ctx, &certs_dirs, observations);
    };
    if cfg.cri_disabled {
        return ProbeResult::pass(format!(
            "{shown}: the CRI plugin is disabled (containerd as bundled with Docker); Kubernetes does not pull through it"
        ));
    }
    let registry = registry_dir_name(ctx);
    let plugin = cfg
        .plugin
        .clone()
        .unwrap_or_else(|| "io.containerd.grpc.v1.cri".into());

    // containerd's ValidatePluginConfig: `mirrors` (and `configs.*.tls`) next to `config_path`
    // is an error, and the CRI plugin is not loaded at all.
    let tls_hosts: Vec<&str> = cfg
        .configs
        .iter()
        .filter(|c| c.has_tls)
        .map(|c| c.host.as_str())
        .collect();
    if let Some(config_path) = &cfg.config_path {
        if !cfg.mirrors.is_empty() || !tls_hosts.is_empty() {
            let dir = certs_dirs
                .first()
                .cloned()
                .unwrap_or_else(|| PathBuf::from(config_path));
            let (what, containerd_says) = if cfg.mirrors.is_empty() {
                (
                    format!("registry.configs.\"{}\".tls", tls_hosts.join(", ")),
                    "`configs.tls` cannot be set when `config_path` is provided",
                )
            } else {
                (
                    format!(
                        "registry.mirrors.{}",
                        cfg.mirrors
                            .iter()
                            .map(|m| format!("\"{}\"", m.host))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "`mirrors` cannot be set when `config_path` is provided",
                )
            };
            let (hosts_file, hosts_snippet) = match cfg.mirrors.first() {
                Some(m) => (
                    dir.join(&m.host).join("hosts.toml"),
                    hosts_toml_for_mirror(&m.host, &m.endpoints),
                ),
                None => {
                    let host = tls_hosts.first().copied().unwrap_or_default();
                    let c = cfg.configs.iter().find(|c| c.host == host);
                    let mut s =
                        format!("server = \"https://{host}\"\n\n[host.\"https://{host}\"]\n");
                    if c.is_some_and(|c| c.insecure_skip_verify) {
                        s.push_str("  skip_verify = true\n");
                    }
                    if let Some(ca) = c.and_then(|c| c.ca_file.as_ref()) {
                        s.push_str(&format!("  ca = \"{ca}\"\n"));
                    }
                    (dir.join(host).join("hosts.toml"), s.trim_end().to_string())
                }
            };
            observations.push(
                ctx.obs("containerd.legacy_conflict")
                    .evidence("file", shown.clone())
                    .evidence("config_path", config_path.clone())
                    .evidence("also set", format!("[plugins.\"{plugin}\".{what}]"))
                    .evidence("containerd", format!("invalid plugin config: {containerd_says} (the CRI plugin is not loaded)"))
                    .var("file", shown.clone())
                    .var("hosts_file", hosts_file.display().to_string())
                    .var("hosts_snippet", hosts_snippet),
            );
        }
    }
    for m in &cfg.mirrors {
        for e in &m.endpoints {
            if let Some(why) = containerd::legacy_endpoint_problem(e) {
                observations.push(
                    ctx.obs("containerd.mirror_invalid")
                        .evidence("file", shown.clone())
                        .evidence(format!("registry.mirrors.\"{}\" endpoint", m.host), e.clone())
                        .evidence("containerd", format!("{e:?} {why}"))
                        .var("mirror", e.clone())
                        .var("edit_file", shown.clone())
                        .var(
                            "edit_snippet",
                            format!(
                                "[plugins.\"{plugin}\".registry.mirrors.\"{}\"]\n  endpoint = [\"{}\"]",
                                m.host,
                                fixed_url(e)
                            ),
                        ),
                );
            }
        }
    }
    let target_hosts = [registry.as_str(), ctx.target.registry.dial_host()];
    for c in cfg
        .configs
        .iter()
        .filter(|c| target_hosts.contains(&c.host.as_str()))
    {
        let at = format!("[plugins.\"{plugin}\".registry.configs.\"{}\".tls]", c.host);
        if c.insecure_skip_verify {
            observations.push(
                ctx.obs("containerd.skip_verify")
                    .evidence("file", shown.clone())
                    .evidence("setting", format!("{at} insecure_skip_verify = true"))
                    .severity(Severity::Warning),
            );
        }
        if let Some(ca) = &c.ca_file {
            if !Path::new(ca).is_file() {
                observations.push(ca_missing(ctx, &shown, &format!("{at} ca_file"), ca));
            }
        }
    }
    let mut r = hosts_only(ctx, &certs_dirs, observations);
    // Without config_path (containerd 1.x) the CRI plugin reads no hosts.toml at all.
    if cfg.config_path.is_none() && cfg.version < 3 && any_certs_dir {
        r.summary = Some(format!(
            "{}; note: {shown} sets no config_path, so containerd 1.x reads no hosts.toml",
            r.summary.unwrap_or_default()
        ));
    }
    r
}

fn ca_missing(ctx: &Ctx, file: &str, setting: &str, ca: &str) -> Observation {
    ctx.obs("containerd.ca_missing")
        .evidence("file", file.to_string())
        .evidence("setting", format!("{setting} = \"{ca}\""))
        .evidence("on disk", format!("{ca}: no such file"))
        .var("ca_path", ca.to_string())
}

/// `https://` added to a scheme-less endpoint, a path other than `/v2` dropped.
fn fixed_url(e: &str) -> String {
    let with = if e.contains("://") {
        e.to_string()
    } else {
        format!("https://{e}")
    };
    match url::Url::parse(&with) {
        Ok(u) => {
            let host = u.host_str().unwrap_or_default();
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => with,
    }
}

/// The hosts.toml that replaces a legacy `mirrors."<host>"` entry.
fn hosts_toml_for_mirror(host: &str, endpoints: &[String]) -> String {
    let server = if host == "docker.io" {
        "https://registry-1.docker.io".to_string()
    } else {
        format!("https://{host}")
    };
    let mut s = format!("server = \"{server}\"\n");
    for e in endpoints {
        let u = fixed_url(e);
        if u == server {
            continue;
        }
        s.push_str(&format!(
            "\n[host.\"{u}\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
        ));
    }
    s.trim_end().to_string()
}

/// The target's hosts.toml, and whether a plain-HTTP registry is set up for containerd.
fn hosts_only(
    ctx: &Ctx,
    certs_dirs: &[PathBuf],
    mut observations: Vec<Observation>,
) -> ProbeResult {
    let registry = registry_dir_name(ctx);
    let mut summary = String::new();
    let hosts_path = containerd::hosts_file_for(certs_dirs, &registry);
    let mut hosts: Option<HostsFile> = None;
    if let Some(p) = &hosts_path {
        match containerd::read_hosts(p) {
            Ok(h) => hosts = h,
            Err(e) => observations.push(malformed(ctx, "containerd.malformed", &e)),
        }
    }
    if let Some(h) = &hosts {
        let shown = h.path.display().to_string();
        let base = h.path.parent().map(Path::to_path_buf).unwrap_or_default();
        summary = format!("{shown}: {} host(s)", h.hosts.len());
        let mut entries: Vec<(String, bool, &Vec<String>)> = h
            .hosts
            .iter()
            .map(|e| (format!("[host.\"{}\"]", e.url), e.skip_verify, &e.ca))
            .collect();
        entries.push((
            "top level (server)".into(),
            h.server_skip_verify,
            &h.server_ca,
        ));
        for (at, skip, cas) in entries {
            if skip {
                observations.push(
                    ctx.obs("containerd.skip_verify")
                        .evidence("file", shown.clone())
                        .evidence("setting", format!("{at} skip_verify = true"))
                        .severity(Severity::Warning),
                );
            }
            for ca in cas {
                let p = if Path::new(ca).is_absolute() {
                    PathBuf::from(ca)
                } else {
                    base.join(ca)
                };
                if !p.is_file() {
                    observations.push(ca_missing(
                        ctx,
                        &shown,
                        &format!("{at} ca"),
                        &p.display().to_string(),
                    ));
                }
            }
        }
        if ctx.target.registry.docker_hub {
            for e in &h.hosts {
                if let Some(why) = containerd::host_url_problem(&e.url, e.override_path) {
                    observations.push(
                        ctx.obs("containerd.mirror_invalid")
                            .evidence("file", shown.clone())
                            .evidence("host", e.url.clone())
                            .evidence("containerd", format!("{:?} {why}", e.url))
                            .var("mirror", e.url.clone())
                            .var("edit_file", shown.clone())
                            .var(
                                "edit_snippet",
                                format!(
                                    "[host.\"{}\"]\n  capabilities = [\"pull\", \"resolve\"]",
                                    fixed_url(&e.url)
                                ),
                            ),
                    );
                }
            }
        }
    }
    // A registry that speaks plain HTTP needs a hosts.toml that says so: containerd, unlike
    // Docker, has no insecure-registries list and never falls back from https by itself.
    let plain_http = ctx.target.scheme_hint == Some(Scheme::Http);
    let docker_insecure = ctx.explicitly_insecure();
    if plain_http || docker_insecure {
        let says_http = hosts.as_ref().is_some_and(|h| {
            h.server
                .as_deref()
                .is_some_and(|s| s.starts_with("http://"))
                || h.hosts.iter().any(|e| e.url.starts_with("http://"))
        });
        if !says_http && (!certs_dirs.is_empty()) {
            let dir = certs_dirs.first().cloned().unwrap_or_default();
            let file = dir.join(&registry).join("hosts.toml");
            let why = if plain_http {
                format!("the target was given as http://{registry}")
            } else {
                format!(
                    "Docker treats {registry} as insecure (insecure-registries); containerd has no such list"
                )
            };
            observations.push(
                ctx.obs("containerd.plain_http_no_hosts")
                    .evidence("registry", registry.clone())
                    .evidence("why plain HTTP", why)
                    .evidence(
                        "hosts.toml",
                        match &hosts_path {
                            Some(p) => format!("{} has no http:// server or host", p.display()),
                            None => format!("none for {registry} under {}", dir.display()),
                        },
                    )
                    .var("edit_file", file.display().to_string())
                    .var(
                        "edit_snippet",
                        format!(
                            "server = \"http://{registry}\"\n\n[host.\"http://{registry}\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]"
                        ),
                    )
                    .severity(crate::probe::containers::http_severity(ctx)),
            );
        }
    }
    if summary.is_empty() {
        let dialled = if ctx.target.registry.docker_hub {
            ctx.target.registry.dial_host().to_string()
        } else {
            registry.clone()
        };
        summary =
            format!("no hosts.toml for {registry}: containerd dials https://{dialled} directly");
    }
    ProbeResult::judged(summary, observations)
}
