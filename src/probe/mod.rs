//! Checks: each a probe with a stable id, the checks it needs first, its own timeout, and a
//! function that observes. Adding a check is one module here plus one line in `PROBES`.

pub mod client_config;
pub mod engine;
pub mod network;
pub mod protocol;

// The checks keep their short paths (`probe::tls`, `probe::containerd`, ...) whichever folder
// holds them.
pub use client_config::{
    auths, containerd, containers, content_trust, daemon_config, docker_info, dockerd_flags, host,
    mirrors,
};
pub use network::{cloud_names, dns, hop, mirror_path, proxy, realm_path, tcp, tls};
pub use protocol::{auth, manifest, ping, push, reference, server};

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::observe::Observation;
use crate::report::Status;
use crate::target::{Scheme, Target};

pub type ProbeFuture = Pin<Box<dyn Future<Output = ProbeResult> + Send>>;

/// A check as the engine sees it.
pub struct ProbeDef {
    pub id: &'static str,
    /// One line for `--help` and `regdoctor checks`.
    pub doc: &'static str,
    pub needs: &'static [&'static str],
    pub timeout: Duration,
    /// The observation recorded when the engine's timer, not the probe, ends the check.
    pub on_timeout: Option<&'static str>,
    pub run: fn(Arc<Ctx>) -> ProbeFuture,
}

/// Every check, in the order they are shown.
pub const PROBES: &[ProbeDef] = &[
    daemon_config::PROBE,
    dockerd_flags::PROBE,
    containerd::PROBE,
    containers::PROBE,
    docker_info::PROBE,
    auths::PROBE,
    content_trust::PROBE,
    reference::PROBE,
    host::PROBE,
    mirrors::PROBE,
    proxy::PROBE,
    dns::PROBE,
    tcp::PROBE,
    tls::PROBE,
    ping::PROBE,
    server::PROBE,
    auth::PROBE,
    manifest::PROBE,
    push::PROBE,
    realm_path::PROBE,
    mirror_path::PROBE,
];

/// Checks that talk to the network: `--offline` skips them (the others only read local files,
/// and `proxy` and `mirrors` leave out their live parts).
pub const NETWORK_CHECKS: &[&str] = &[
    "dns",
    "tcp",
    "tls",
    "ping",
    "server",
    "auth",
    "manifest",
    "push",
    "realm-path",
    "mirror-path",
];

/// Every observation key a probe can record. A test keeps this list equal to the keys written
/// in `src/probe/*/`, and the rule registry test checks that a rule explains each.
pub const EMITTED_KEYS: &[&str] = &[
    "auth.bad_credentials",
    "auth.credentials_in_clear",
    "auth.no_credentials",
    "auth.realm_not_json",
    "auth.realm_unreachable",
    "auth.scope_denied",
    "manifest.denied",
    "manifest.rate_limited",
    "manifest.repo_not_found",
    "manifest.scope_denied",
    "manifest.server_error",
    "manifest.tag_not_found",
    "manifest.unauthorized",
    "manifest.platform_missing",
    "push.denied",
    "push.not_granted",
    "push.unsupported",
    "push.cancel_failed",
    "push.server_error",
    "server.harbor_project_missing",
    "server.harbor_proxy_cache",
    "auths.bad_auth_value",
    "auths.helper_missing",
    "auths.key_mismatch",
    "auths.malformed",
    "auths.permissions",
    "containerd.ca_missing",
    "containerd.legacy_conflict",
    "containerd.malformed",
    "containerd.mirror_invalid",
    "containerd.plain_http_no_hosts",
    "containerd.skip_verify",
    "containers.blocked",
    "containers.insecure",
    "containers.location_scheme",
    "containers.malformed",
    "containers.not_insecure",
    "containers.policy_reject",
    "containers.policy_signed",
    "containers.registries_invalid",
    "containers.short_name",
    "content-trust.enabled",
    "content-trust.notary_unreachable",
    "daemon-config.malformed",
    "daemon-config.mirror_invalid",
    "daemon-config.unknown_key",
    "dns.cloud_endpoint_unresolved",
    "dns.hosts_override",
    "docker-info.insecure_differ",
    "docker-info.mirrors_differ",
    "docker-info.proxy_differ",
    "dockerd-flags.conflict",
    "dockerd-flags.env_file_unused",
    "dockerd-flags.exec_start_twice",
    "dockerd-flags.mirror_invalid",
    "dockerd-flags.unit_ignored",
    "dns.no_address",
    "dns.nxdomain",
    "dns.private_cloud_endpoint",
    "dns.refused",
    "dns.servfail",
    "dns.timeout",
    "ping.auth_required",
    "ping.html",
    "ping.missing_api_version_header",
    "ping.not_found",
    "ping.rate_limited",
    "ping.redirect",
    "ping.server_error",
    "ping.stalled",
    "ping.unexpected_status",
    "host.kubernetes_node",
    "host.low_disk",
    "mirrors.not_used_for_target",
    "mirrors.registry_as_mirror",
    "mirrors.auth_not_sent",
    "mirrors.image_missing",
    "mirrors.unreachable",
    "proxy.auth_required",
    "reference.acr_library",
    "reference.provider_name_rules",
    "proxy.config_ignored",
    "proxy.connect_refused",
    "proxy.daemon_shell_differ",
    "proxy.invalid_url",
    "proxy.tls_intercepted",
    "proxy.unreachable",
    "proxy.upstream_failed",
    "tcp.refused",
    "tcp.reset",
    "tcp.timeout",
    "tcp.unreachable",
    "tls.clock_skew",
    "tls.expired",
    "tls.expiring_soon",
    "tls.handshake_failed",
    "tls.handshake_stalled",
    "tls.hostname_mismatch",
    "tls.ip_not_in_sans",
    "tls.legacy_signature",
    "tls.legacy_version",
    "tls.missing_intermediate",
    "tls.not_yet_valid",
    "tls.plain_http_allowed",
    "tls.self_signed",
    "tls.server_speaks_http",
    "tls.unknown_authority",
    "tls.weak_key",
];

pub fn find(id: &str) -> Option<&'static ProbeDef> {
    PROBES.iter().find(|p| p.id == id)
}

#[derive(Debug, Default)]
pub struct ProbeResult {
    pub status: Option<Status>,
    pub summary: Option<String>,
    pub skip_reason: Option<String>,
    pub observations: Vec<Observation>,
}

impl ProbeResult {
    pub fn pass(summary: impl Into<String>) -> Self {
        ProbeResult {
            status: Some(Status::Pass),
            summary: Some(summary.into()),
            ..Default::default()
        }
    }

    pub fn fail(summary: impl Into<String>, observations: Vec<Observation>) -> Self {
        ProbeResult {
            status: Some(Status::Fail),
            summary: Some(summary.into()),
            observations,
            ..Default::default()
        }
    }

    pub fn skip(reason: impl Into<String>) -> Self {
        ProbeResult {
            status: Some(Status::Skipped),
            skip_reason: Some(reason.into()),
            ..Default::default()
        }
    }

    /// Pass with no observation, warn when all are notes, fail otherwise.
    pub fn judged(summary: impl Into<String>, observations: Vec<Observation>) -> Self {
        let status = if observations.is_empty() {
            Status::Pass
        } else if observations
            .iter()
            .all(|o| o.severity == Some(crate::rules::Severity::Info))
        {
            Status::Warn
        } else {
            Status::Fail
        };
        ProbeResult {
            status: Some(status),
            summary: Some(summary.into()),
            skip_reason: None,
            observations,
        }
    }

    pub fn with(mut self, obs: Observation) -> Self {
        self.observations.push(obs);
        self
    }
}

/// Everything a probe may read: the target, the options, and what earlier checks found.
pub struct Ctx {
    pub target: Target,
    pub opts: CheckOptions,
    pub board: Board,
}

/// Resolved options: every path and override a probe uses comes from here, never from the
/// environment directly, so tests and containers can point anywhere.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// `--resolve host:port:addr`, as curl's.
    pub resolve: Vec<(String, u16, IpAddr)>,
    /// `--nameserver ip[:port]`: ask this server instead of `/etc/resolv.conf`'s.
    pub nameservers: Vec<SocketAddr>,
    pub hosts_file: PathBuf,
    pub resolv_conf: PathBuf,
    pub certs_dir: PathBuf,
    /// From daemon.json: `insecure-registries` entries (host[:port] or CIDR).
    pub insecure_registries: Vec<String>,
    /// From daemon.json: `registry-mirrors`.
    pub registry_mirrors: Vec<String>,
    pub daemon_config_path: PathBuf,
    /// The daemon's proxy settings (daemon.json `proxies` over systemd drop-ins).
    pub daemon_proxy: proxy::ProxySettings,
    /// The invoking shell's, which curl uses.
    pub shell_proxy: proxy::ProxySettings,
    /// Proxy settings that systemd or the daemon would ignore or misread.
    pub proxy_config_problems: Vec<String>,
    /// `--docker-config` or `$DOCKER_CONFIG` or `~/.docker`.
    pub docker_config_dir: PathBuf,
    /// podman's `auth.json` candidates, and whether `REGISTRY_AUTH_FILE` named the first.
    pub podman_auth_files: Vec<PathBuf>,
    pub registry_auth_file_set: bool,
    /// `$PATH`, split: where credential helpers are looked up.
    pub path_dirs: Vec<PathBuf>,
    /// `DOCKER_CONTENT_TRUST` / `DOCKER_CONTENT_TRUST_SERVER` of this shell.
    pub content_trust_env: Option<String>,
    pub content_trust_server: Option<String>,
    /// Shell start-up files where content trust is often switched on.
    pub profile_files: Vec<PathBuf>,
    /// `--username` with `--password-stdin`: used instead of the stored credentials.
    pub cli_credentials: Option<crate::config::credentials::Credentials>,
    /// `--push`: the user means to push, so the token must grant push too.
    pub intends_push: bool,
    /// `--offline`: no network at all; only the checks of local configuration run.
    pub offline: bool,
    /// Whether `docker info` may be run: it talks to the local daemon's socket, so
    /// `--offline` leaves it out unless `--docker-info` asks for it.
    pub docker_info: bool,
    /// `--probe-push`: start a blob upload and cancel it (the one write regdoctor may send).
    pub probe_push: bool,
    /// `--platform` or this machine's, as `os/arch[/variant]`.
    pub platform: String,
    /// Where the engines keep images (daemon.json `data-root` first), for the disk check.
    pub data_roots: Vec<PathBuf>,
    /// Files whose presence means this machine is a Kubernetes node.
    pub kubelet_markers: Vec<PathBuf>,
    /// The container runtimes' own files (containerd, podman/CRI-O), and the dockerd
    /// command line built from systemd units and /etc/default or /etc/sysconfig.
    pub runtimes: RuntimePaths,
    pub dockerd_cmdline: crate::config::dockerd_flags::DockerdCommandLine,
    /// The clients judged: `--client`, else those found on this machine.
    pub clients: Vec<crate::clients::Client>,
    /// What the running daemon said (`docker info`), asked once before the checks when Docker
    /// is judged and a CLI is on PATH; its mirrors, insecure registries and (absent from the
    /// files) proxy are the ones the fields above hold then.
    pub live_daemon: Option<Result<crate::config::docker_info::DaemonView, String>>,
    /// What the files alone say, for the `docker-info` comparison.
    pub daemon_files: DaemonFiles,
}

/// Docker's registry settings as daemon.json, the dockerd flags and the drop-ins give them.
#[derive(Debug, Clone, Default)]
pub struct DaemonFiles {
    pub registry_mirrors: Vec<String>,
    pub insecure_registries: Vec<String>,
    pub daemon_proxy: proxy::ProxySettings,
}

#[derive(Debug, Clone)]
pub struct RuntimePaths {
    pub containerd_config: PathBuf,
    /// `--containerd-certs-dir`; `None`: config.toml's `config_path`, else the default.
    pub containerd_certs_dir: Option<PathBuf>,
    pub registries_conf: PathBuf,
    pub registries_conf_d: PathBuf,
    pub policy_json: PathBuf,
    /// docker.service's drop-in directory, where an override is written.
    pub docker_dropin_dir: PathBuf,
    /// containerd.service's drop-in directory: containerd's proxy.
    pub containerd_dropin_dir: PathBuf,
    /// podman's, skopeo's and CRI-O's per-host CA folders.
    pub containers_certs_dir: PathBuf,
    /// buildkitd.toml: BuildKit counts as a client of its own only where it exists.
    pub buildkitd_config: PathBuf,
}

/// Facts earlier checks hand to later ones. Each is set at most once, by the check named.
#[derive(Debug, Default)]
pub struct Board {
    /// dns: every address the registry host resolved to, in the order to try.
    pub addrs: OnceLock<Vec<SocketAddr>>,
    /// tcp: the first address that accepted a connection.
    pub reachable: OnceLock<SocketAddr>,
    /// tls: what the registry's port presented (a chain, or a plain-HTTP answer).
    pub presented: OnceLock<tls::Presented>,
    /// mirrors: the first `registry-mirrors` entry that serves the target.
    pub mirror_serves: OnceLock<String>,
    /// tls: how HTTP requests must talk to the registry.
    pub transport: OnceLock<Transport>,
    /// ping: what `GET /v2/` answered.
    pub ping: OnceLock<PingFacts>,
    /// The credentials Docker would use for the registry, looked up once by whichever check
    /// asks first (a credential helper runs at most once per run).
    pub credentials: tokio::sync::OnceCell<crate::config::credentials::Lookup>,
    /// One HTTP client for every request to the registry after the TLS check, so that ping,
    /// manifest, server and push share kept-alive connections (each new connection costs a TCP
    /// and a TLS round trip).
    pub client: OnceLock<reqwest::Client>,
    /// auth: the Authorization header later requests send (a secret: never reported).
    pub auth: OnceLock<AuthGrant>,
    /// server: whether Harbor's API answered (unset when the check did not get that far).
    pub harbor: OnceLock<bool>,
}

#[derive(Debug, Clone)]
pub struct PingFacts {
    pub status: u16,
    pub challenges: Vec<crate::net::www_auth::Challenge>,
    /// Product-telling response headers (Server, X-JFrog-Version, the API version, ...).
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct AuthGrant {
    pub header: Option<String>,
    /// What the token allows on the target repository, when it says (JWT `access`).
    pub granted: Option<Vec<String>>,
    /// What a token asked for `pull,push` allows (the same token when the run meant to push).
    pub push_granted: Option<Vec<String>>,
    /// Whose credentials: their source, or "anonymous" (never the secret).
    pub who: String,
}

impl AuthGrant {
    /// The request with this grant's Authorization header, if it has one.
    pub fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.header {
            Some(h) => req.header("Authorization", h),
            None => req,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Transport {
    pub scheme: Scheme,
    pub addr: SocketAddr,
    /// For https: the client config later requests use (trusting what the TLS check judged).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Ctx {
    pub fn host(&self) -> &str {
        self.target.registry.dial_host()
    }

    /// The port Docker dials: the one given, else 443 (Docker tries https first, always).
    pub fn port(&self) -> u16 {
        self.target.registry.port_or_default(&Scheme::Https)
    }

    /// Docker's view: loopback is always insecure (moby's "stop-gap" default of 127.0.0.0/8),
    /// and so is anything listed in `insecure-registries`, by host[:port] or by a CIDR that
    /// holds one of the resolved addresses.
    pub fn insecure_reason(&self) -> Option<String> {
        if self.target.registry.is_loopback() {
            return Some("loopback addresses are insecure registries by default in Docker".into());
        }
        let hp = self.target.registry.host_port();
        let addrs = self.board.addrs.get();
        if let Some(reason) = self.resolves_to_loopback() {
            return Some(reason);
        }
        for entry in &self.opts.insecure_registries {
            let e = entry
                .trim()
                .trim_start_matches("http://")
                .trim_start_matches("https://")
                .trim_end_matches('/');
            if e.eq_ignore_ascii_case(&hp) {
                return Some(format!("{hp} is listed in insecure-registries"));
            }
            if let (Ok(net), Some(addrs)) = (e.parse::<ipnet::IpNet>(), addrs) {
                if let Some(a) = addrs.iter().find(|a| net.contains(&a.ip())) {
                    return Some(format!(
                        "{} is inside insecure-registries entry {e}",
                        a.ip()
                    ));
                }
            }
        }
        None
    }

    pub fn explicitly_insecure(&self) -> bool {
        !self.target.registry.is_loopback()
            && self.resolves_to_loopback().is_none()
            && self.insecure_reason().is_some()
    }

    /// Docker's default insecure range, 127.0.0.0/8, holds the addresses a name resolves to,
    /// not only a literal address (`::1` is not in it). An address pinned with `--resolve` is
    /// regdoctor's alone: the daemon looks the name up itself.
    fn resolves_to_loopback(&self) -> Option<String> {
        let host = self.target.registry.dial_host().trim_matches(['[', ']']);
        let pinned = self
            .opts
            .resolve
            .iter()
            .any(|(h, p, _)| h.eq_ignore_ascii_case(host) && *p == self.port());
        if pinned {
            return None;
        }
        let addrs = self.board.addrs.get()?;
        let a = addrs
            .iter()
            .find(|a| matches!(a.ip(), IpAddr::V4(v4) if v4.is_loopback()))?;
        Some(format!(
            "{} resolves to {}, inside Docker's default insecure range 127.0.0.0/8",
            self.target.registry.dial_host(),
            a.ip()
        ))
    }

    /// Values for the fixes' placeholders.
    pub fn vars(&self) -> std::collections::BTreeMap<String, String> {
        let mut v = std::collections::BTreeMap::new();
        let reg = &self.target.registry;
        v.insert("registry".into(), reg.host_port());
        v.insert("host".into(), reg.dial_host().to_string());
        v.insert("port".into(), self.port().to_string());
        if let Some(img) = &self.target.image {
            v.insert("repository".into(), img.repository.clone());
            v.insert("image".into(), self.target.reference());
            if let Some(tag) = &img.tag {
                v.insert("tag".into(), tag.clone());
            }
        }
        v
    }

    /// The shared client for requests to the registry (see `Board::client`).
    pub fn registry_client(
        &self,
        transport: &Transport,
    ) -> Result<reqwest::Client, reqwest::Error> {
        if let Some(c) = self.board.client.get() {
            return Ok(c.clone());
        }
        let c = crate::net::http::client(
            self.host(),
            transport.addr,
            transport.tls.clone(),
            Duration::from_secs(5),
        )?;
        // Two checks racing here build two clients; the second is dropped after one use.
        let _ = self.board.client.set(c.clone());
        Ok(c)
    }

    /// The stored credentials for the registry (`--username` first), looked up once.
    pub async fn credentials(&self) -> crate::config::credentials::Lookup {
        if let Some(c) = &self.opts.cli_credentials {
            return crate::config::credentials::Lookup::Found(c.clone());
        }
        self.board
            .credentials
            .get_or_init(|| auth::find_credentials(self))
            .await
            .clone()
    }

    pub fn obs(&self, key: &str) -> Observation {
        Observation::new(key).vars(&self.vars())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tidy-style: the keys spelled in the probes' source are exactly `EMITTED_KEYS`.
    #[test]
    fn emitted_keys_list_matches_the_source() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/probe");
        let re = regex::Regex::new(
            r#""((?:dns|tcp|tls|ping|proxy|auths|auth|manifest|push|server|reference|host|mirrors|content-trust|daemon-config|dockerd-flags|containerd|containers|docker-info)\.[a-z_]+)""#,
        )
        .unwrap();
        let mut found = std::collections::BTreeSet::new();
        let folders = ["network", "protocol", "client_config"];
        let files = folders
            .iter()
            .flat_map(|f| std::fs::read_dir(dir.join(f)).unwrap());
        for entry in files {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == "mod.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for c in re.captures_iter(&text) {
                found.insert(c[1].to_string());
            }
        }
        let listed: std::collections::BTreeSet<String> =
            EMITTED_KEYS.iter().map(|s| s.to_string()).collect();
        assert_eq!(found, listed);
    }

    #[test]
    fn probe_registry_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for (i, p) in PROBES.iter().enumerate() {
            assert!(seen.insert(p.id), "duplicate id {}", p.id);
            assert!(!p.doc.is_empty(), "{} has no doc", p.id);
            assert!(p.timeout > Duration::ZERO);
            for need in p.needs {
                let pos = PROBES.iter().position(|q| q.id == *need);
                // Needs point backwards, so the list is already a topological order: no cycles.
                assert!(
                    pos.is_some_and(|pos| pos < i),
                    "{} needs unknown or later {need}",
                    p.id
                );
            }
        }
    }
}
