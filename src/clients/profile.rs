//! What decides each client's path to the registry, read from the files each one reads:
//!
//! | client     | proxy                                   | insecure                          | extra roots                                   |
//! |------------|-----------------------------------------|-----------------------------------|-----------------------------------------------|
//! | docker     | dockerd's: daemon.json `proxies`, drop-ins | 127.0.0.0/8, `insecure-registries` | `/etc/docker/certs.d/<host:port>`             |
//! | containerd | containerd.service's drop-ins           | `hosts.toml` `skip_verify`, http servers; loopback without `server` is plain HTTP | `hosts.toml` `ca`, else `*.crt` beside it |
//! | containers | the shell's (podman, skopeo, buildah run in it) | registries.conf `insecure = true` | `/etc/containers/certs.d/<host:port>`, else Docker's |
//! | buildkit   | buildkitd's own environment (not read)  | buildkitd.toml `http`, `insecure`; loopback is plain HTTP | buildkitd.toml `ca` |
//!
//! Every client also trusts the system store. Only Docker sends Docker Hub pulls to
//! daemon.json's `registry-mirrors`.

use std::path::{Path, PathBuf};

use super::Client;
use crate::config::{containerd, registries_conf, systemd, toml_file};
use crate::net::go_proxy::ProxyEnv;
use crate::probe::Ctx;
use crate::probe::proxy::ProxySettings;

/// One client's path to the target registry.
#[derive(Debug, Clone)]
pub struct Profile {
    pub client: Client,
    /// The proxy settings its registry requests follow, and where they come from.
    pub proxy: ProxySettings,
    /// Why it accepts a plain-HTTP answer from this registry, if it does.
    pub allows_http: Option<String>,
    /// Why it speaks only plain HTTP to this registry (so an HTTPS registry fails), if it does.
    pub http_only: Option<String>,
    /// Why it does not verify this registry's certificate, if it does not.
    pub skips_verify: Option<String>,
    /// CA certificate files it adds to the system roots for this registry.
    pub extra_cas: Vec<PathBuf>,
    /// Where it looks for those, for the evidence and the fix.
    pub trust_dir: PathBuf,
    /// Docker Hub pulls go to daemon.json's `registry-mirrors` first.
    pub docker_mirrors: bool,
    /// Where its credentials for the registry come from.
    pub credentials: String,
}

impl Profile {
    /// Clients with the same trust setting share one TLS verdict.
    pub fn trust_key(&self) -> (Option<String>, Vec<PathBuf>) {
        (self.skips_verify.clone(), self.extra_cas.clone())
    }
}

pub fn build(ctx: &Ctx, client: Client) -> Profile {
    match client {
        Client::Docker => docker(ctx),
        Client::Containerd => containerd_profile(ctx),
        Client::Containers => containers(ctx),
        Client::Buildkit => buildkit(ctx),
    }
}

fn docker(ctx: &Ctx) -> Profile {
    let insecure = ctx.insecure_reason();
    let trust_dir = ctx.opts.certs_dir.join(ctx.target.registry.host_port());
    Profile {
        client: Client::Docker,
        proxy: ctx.opts.daemon_proxy.clone(),
        allows_http: insecure.clone(),
        http_only: None,
        skips_verify: insecure,
        extra_cas: crt_files(&trust_dir),
        trust_dir,
        docker_mirrors: !ctx.opts.registry_mirrors.is_empty(),
        credentials: format!(
            "{} (and its credential helpers)",
            ctx.opts.docker_config_dir.join("config.json").display()
        ),
    }
}

fn containers(ctx: &Ctx) -> Profile {
    let rt = &ctx.opts.runtimes;
    let conf = registries_conf::read(&rt.registries_conf, &rt.registries_conf_d);
    let registry = ctx.target.registry.host_port();
    let reference = match &ctx.target.image {
        Some(img) => format!("{registry}/{}", img.repository),
        None => registry.clone(),
    };
    let insecure = conf
        .find(&reference)
        .filter(|e| e.insecure)
        .map(|e| format!("insecure = true in {}", e.file.display()))
        .or_else(|| {
            conf.v1_insecure
                .iter()
                .any(|r| r == &registry)
                .then(|| format!("[registries.insecure] in {}", rt.registries_conf.display()))
        });
    // containers/image takes the first of its per-host folders that exists, Docker's last.
    let own = rt.containers_certs_dir.join(&registry);
    let docker = ctx.opts.certs_dir.join(&registry);
    let trust_dir = if !own.is_dir() && docker.is_dir() {
        docker
    } else {
        own
    };
    let auth = ctx
        .opts
        .podman_auth_files
        .first()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "auth.json".into());
    Profile {
        client: Client::Containers,
        proxy: ctx.opts.shell_proxy.clone(),
        allows_http: insecure.clone(),
        http_only: None,
        skips_verify: insecure,
        extra_cas: crt_files(&trust_dir),
        trust_dir,
        docker_mirrors: false,
        credentials: format!(
            "{auth}, then {}",
            ctx.opts.docker_config_dir.join("config.json").display()
        ),
    }
}

/// containerd's certs.d roots: `--containerd-certs-dir`, else config.toml's `config_path`,
/// else the default.
pub fn containerd_dirs(ctx: &Ctx) -> Vec<PathBuf> {
    let rt = &ctx.opts.runtimes;
    match (
        &rt.containerd_certs_dir,
        containerd::read(&rt.containerd_config).ok().flatten(),
    ) {
        (Some(d), _) => vec![d.clone()],
        (None, Some(c)) if c.config_path.is_some() => c.certs_dirs(),
        _ => vec![PathBuf::from("/etc/containerd/certs.d")],
    }
}

fn containerd_profile(ctx: &Ctx) -> Profile {
    let registry = ctx.target.registry.host_port();
    let dirs = containerd_dirs(ctx);
    let hosts_path = containerd::hosts_file_for(&dirs, &registry);
    let hosts = hosts_path
        .as_ref()
        .and_then(|p| containerd::read_hosts(p).ok().flatten());
    let trust_dir = hosts_path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| dirs.first().cloned().unwrap_or_default().join(&registry));
    let loopback = ctx.target.registry.is_loopback();
    let mut profile = Profile {
        client: Client::Containerd,
        proxy: service_proxy(&ctx.opts.runtimes.containerd_dropin_dir),
        allows_http: None,
        http_only: None,
        skips_verify: None,
        extra_cas: Vec::new(),
        trust_dir: trust_dir.clone(),
        docker_mirrors: false,
        credentials: "the kubelet's imagePullSecrets and config.json (no credential helpers); ctr and nerdctl: their own flags and config.json".into(),
    };
    let server = hosts.as_ref().and_then(|h| h.server.clone());
    match (&hosts, server) {
        (Some(h), Some(server)) => {
            let shown = h.path.display().to_string();
            if server.starts_with("http://") {
                profile.allows_http = Some(format!("server = {server:?} in {shown}"));
                profile.http_only = profile.allows_http.clone();
            }
            // The `[host."<the server itself>"]` table adds to the top-level settings.
            let own = h
                .hosts
                .iter()
                .filter(|e| e.url.trim_end_matches('/') == server.trim_end_matches('/'));
            let mut cas: Vec<&String> = h.server_ca.iter().collect();
            let mut skip = h.server_skip_verify;
            for e in own {
                cas.extend(e.ca.iter());
                skip |= e.skip_verify;
            }
            if skip {
                profile.skips_verify = Some(format!("skip_verify = true in {shown}"));
            }
            profile.extra_cas = cas.into_iter().map(|c| trust_dir.join(c)).collect();
        }
        _ if loopback => {
            // containerd's default for a loopback registry with no `server`: plain HTTP only.
            let why = "containerd speaks plain HTTP to a loopback registry that has no hosts.toml `server`".to_string();
            profile.allows_http = Some(why.clone());
            profile.http_only = Some(why);
            profile.extra_cas = crt_files(&trust_dir);
        }
        (Some(h), None) => {
            profile.extra_cas = h.server_ca.iter().map(|c| trust_dir.join(c)).collect();
        }
        (None, _) => profile.extra_cas = crt_files(&trust_dir),
    }
    profile
}

fn buildkit(ctx: &Ctx) -> Profile {
    let path = &ctx.opts.runtimes.buildkitd_config;
    let registry = ctx.target.registry.host_port();
    let table = toml_file::read_table(path).ok().flatten();
    let entry = table
        .as_ref()
        .and_then(|t| t.get("registry"))
        .and_then(toml::Value::as_table)
        .and_then(|r| r.get(&registry))
        .and_then(toml::Value::as_table);
    let shown = path.display().to_string();
    let flag = |k: &str| entry.is_some_and(|e| toml_file::boolean(e, k));
    let loopback = ctx.target.registry.is_loopback();
    let http = if flag("http") {
        Some(format!("http = true for {registry} in {shown}"))
    } else if loopback {
        Some("BuildKit uses plain HTTP for loopback registries".into())
    } else {
        None
    };
    Profile {
        client: Client::Buildkit,
        proxy: ProxySettings {
            env: ProxyEnv::default(),
            source: "buildkitd's own environment (not read by regdoctor)".into(),
        },
        allows_http: http.clone(),
        http_only: http,
        skips_verify: flag("insecure")
            .then(|| format!("insecure = true for {registry} in {shown}")),
        extra_cas: entry
            .map(|e| toml_file::strings(e, "ca"))
            .unwrap_or_default()
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        trust_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        docker_mirrors: false,
        credentials: "the client's config.json, passed by buildctl or docker buildx".into(),
    }
}

/// A daemon's proxy from its systemd drop-ins (`Environment=`).
fn service_proxy(dropin_dir: &Path) -> ProxySettings {
    let dropins = systemd::read_dir(dropin_dir);
    let get = |names: &[&str]| {
        names.iter().find_map(|n| {
            dropins
                .get(n)
                .map(|(_, v, _)| v.clone())
                .filter(|v| !v.is_empty())
        })
    };
    let env = ProxyEnv {
        http_proxy: get(&["HTTP_PROXY", "http_proxy"]),
        https_proxy: get(&["HTTPS_PROXY", "https_proxy"]),
        no_proxy: get(&["NO_PROXY", "no_proxy"]),
        cgi: false,
    };
    let source = if env == ProxyEnv::default() {
        format!("no proxy in {}/*.conf", dropin_dir.display())
    } else {
        format!("{}/*.conf", dropin_dir.display())
    };
    ProxySettings { env, source }
}

/// `*.crt` files of a per-host folder, in name order.
fn crt_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "crt"))
        .collect();
    files.sort();
    files
}
