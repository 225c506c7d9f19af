//! `regdoctor check`: target → checks → findings → report.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::io::Read as _;

use anyhow::{Context, Result};

use super::{Session, UsageError};
use crate::cli::CheckArgs;
use crate::config::{daemon_json, systemd};
use crate::net::go_proxy::ProxyEnv;
use crate::probe::proxy::ProxySettings;
use crate::probe::{Board, CheckOptions, Ctx, engine};
use crate::report::{Report, TargetInfo};
use crate::rules::diagnose;
use crate::target::{self, Scheme};

pub fn run(session: &Session, args: CheckArgs) -> Result<u8> {
    let input = args.target.clone().unwrap_or_default();
    // No target means Docker Hub; an argument that is only blanks is a mistake (an unset shell
    // variable, a stray quote), not a request to check Docker Hub.
    if args.target.is_some() && input.trim().is_empty() {
        return Err(UsageError(
            "the target is empty: give a registry (`registry.example.com:5000`) or an image reference, or no argument for Docker Hub".into(),
        )
        .into());
    }
    let target = target::parse_target(&input).map_err(|e| {
        // A hostile or pasted-by-mistake argument can be 100 KB: show its start only.
        let shown: String = input.chars().take(120).collect();
        let more = if shown.len() < input.len() { "…" } else { "" };
        UsageError(format!("invalid target {shown:?}{more}: {e}"))
    })?;
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(
            UsageError("--timeout must be a number of seconds between 0 and 3600".into()).into(),
        );
    }
    let opts = options(session, &args)?;
    let plan = engine::plan(&args.only, &args.skip).map_err(|e| UsageError(e.to_string()))?;

    let started = Instant::now();
    if session.progress {
        eprint!("regdoctor: checking {}…", target.registry.host_port());
    }
    let (outcomes, findings) = run_checks(session, &target, opts, plan, args.timeout)?;
    if session.progress {
        eprint!("\r\x1b[K");
    }
    let mut report = Report::new("check", session.lang);
    report.target = Some(target_info(&target, input));
    report.findings = findings;
    report.checks = outcomes;
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let report = report.finish();
    super::emit(session, &report)
}

/// Run the planned checks against `target` within `timeout_secs`; shared with `explain --check`.
pub fn run_checks(
    session: &Session,
    target: &target::Target,
    opts: CheckOptions,
    plan: engine::Plan,
    timeout_secs: f64,
) -> Result<(
    Vec<crate::report::CheckOutcome>,
    Vec<crate::report::Finding>,
)> {
    let deadline = Instant::now() + Duration::from_secs_f64(timeout_secs);
    let ctx = Arc::new(Ctx {
        target: target.clone(),
        opts,
        board: Board::default(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(engine::run(ctx, plan, deadline));
    // A getaddrinfo thread stuck on a dead DNS server must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(50));
    // "The registry requires credentials" is only worth a note until a login is shown to work:
    // once the auth check passed, it would tell a healthy user to log in.
    let auth_passed = result
        .outcomes
        .iter()
        .any(|o| o.id == "auth" && o.status == crate::report::Status::Pass);
    let observations: Vec<_> = result
        .observations
        .into_iter()
        .filter(|(_, o)| !(auth_passed && o.key == "ping.auth_required"))
        .collect();
    let findings = diagnose::from_observations(&session.rules, session.lang, &observations);
    Ok((result.outcomes, findings))
}

pub fn target_info(target: &target::Target, input: String) -> TargetInfo {
    TargetInfo {
        input,
        registry: target.registry.host_port(),
        dial_host: target.registry.dial_host().to_string(),
        port: target.registry.port_or_default(&Scheme::Https),
        docker_hub: target.registry.docker_hub,
        repository: target.image.as_ref().map(|i| i.repository.clone()),
        reference: target.image.as_ref().map(|_| target.reference()),
    }
}

pub fn options(session: &Session, args: &CheckArgs) -> Result<CheckOptions> {
    let daemon_config_path = args
        .daemon_config
        .clone()
        .unwrap_or_else(|| PathBuf::from("/etc/docker/daemon.json"));
    // Issue-level checks of daemon.json itself come from the daemon-config check; here only
    // what the network checks need. A broken file means the daemon's defaults.
    let daemon = daemon_json::read(&daemon_config_path)
        .ok()
        .flatten()
        .unwrap_or_default();
    let systemd_dir = args
        .systemd_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("/etc/systemd/system/docker.service.d"));
    let (daemon_proxy, proxy_config_problems) =
        daemon_proxy(&daemon, &daemon_config_path, &systemd_dir);
    let shell_proxy = ProxySettings {
        env: ProxyEnv::from_lookup(|k| session.env.get(k)),
        source: "this shell's environment".into(),
    };
    let data_roots: Vec<PathBuf> = args
        .data_root
        .iter()
        .cloned()
        .chain(daemon.data_root.iter().map(PathBuf::from))
        .chain(
            [
                "/var/lib/docker",
                "/var/lib/containerd",
                "/var/lib/containers",
            ]
            .iter()
            .map(PathBuf::from),
        )
        .collect();
    let kubelet_markers = match &args.kubelet_config {
        Some(p) => vec![p.clone()],
        None => [
            "/var/lib/kubelet/config.yaml",
            "/etc/kubernetes/kubelet.conf",
        ]
        .iter()
        .map(PathBuf::from)
        .collect(),
    };
    // dockerd merges its command-line flags with daemon.json (refusing to start when both set
    // the same option, which the dockerd-flags check reports); the network checks see both.
    let dockerd_cmdline = crate::config::dockerd_flags::read(&dockerd_paths(args, &systemd_dir));
    let registry_mirrors: Vec<String> = dockerd_cmdline
        .mirrors()
        .into_iter()
        .chain(daemon.registry_mirrors.iter().cloned())
        .collect();
    let insecure_registries: Vec<String> = dockerd_cmdline
        .insecure_registries()
        .into_iter()
        .chain(daemon.insecure_registries.iter().cloned())
        .collect();
    let data_roots: Vec<PathBuf> = dockerd_cmdline
        .data_root()
        .map(PathBuf::from)
        .into_iter()
        .chain(data_roots)
        .collect();
    let registries_conf = args
        .registries_conf
        .clone()
        .unwrap_or_else(|| PathBuf::from("/etc/containers/registries.conf"));
    let runtimes = crate::probe::RuntimePaths {
        containerd_config: args
            .containerd_config
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/containerd/config.toml")),
        containerd_certs_dir: args.containerd_certs_dir.clone(),
        docker_dropin_dir: systemd_dir.clone(),
        registries_conf_d: registries_conf.with_file_name("registries.conf.d"),
        registries_conf,
        policy_json: args
            .policy_json
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/containers/policy.json")),
    };
    let home = session.env.home();
    let profile_files = if !args.profile_file.is_empty() {
        args.profile_file.clone()
    } else {
        default_profile_files(&home)
    };
    let cli_credentials = match (&args.username, args.password_stdin) {
        (Some(user), true) => {
            let mut secret = String::new();
            std::io::Read::read_to_string(
                &mut std::io::stdin().lock().take(64 * 1024),
                &mut secret,
            )
            .context("cannot read the password from standard input")?;
            let secret = secret.trim_end_matches(['\n', '\r']).to_string();
            crate::report::redact::register_secret(&secret);
            Some(crate::config::credentials::Credentials {
                username: user.clone(),
                secret,
                identity_token: false,
                source: format!("--username {user:?} with --password-stdin"),
            })
        }
        _ => None,
    };
    let (podman_auth_files, registry_auth_file_set) = session.env.podman_auth_files();
    Ok(CheckOptions {
        podman_auth_files,
        registry_auth_file_set,
        intends_push: args.push || args.probe_push,
        probe_push: args.probe_push,
        offline: args.offline,
        docker_info: !args.offline || args.docker_info,
        platform: args
            .platform
            .clone()
            .unwrap_or_else(crate::probe::manifest::local_platform),
        runtimes,
        dockerd_cmdline,
        registry_mirrors,
        data_roots,
        kubelet_markers,
        cli_credentials,
        docker_config_dir: args
            .docker_config
            .clone()
            .unwrap_or_else(|| session.env.docker_config_dir()),
        path_dirs: session
            .env
            .get("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default(),
        content_trust_env: session.env.get("DOCKER_CONTENT_TRUST"),
        content_trust_server: session.env.get("DOCKER_CONTENT_TRUST_SERVER"),
        profile_files,
        daemon_proxy,
        shell_proxy,
        proxy_config_problems,
        resolve: args
            .resolve
            .iter()
            .map(|r| parse_resolve(r))
            .collect::<Result<_, _>>()?,
        nameservers: args
            .nameserver
            .iter()
            .map(|n| parse_nameserver(n))
            .collect::<Result<_, _>>()?,
        hosts_file: args
            .hosts_file
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/hosts")),
        resolv_conf: args
            .resolv_conf
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/resolv.conf")),
        certs_dir: args
            .certs_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/docker/certs.d")),
        insecure_registries,
        daemon_config_path,
    })
}

fn dockerd_paths(
    args: &CheckArgs,
    systemd_dir: &std::path::Path,
) -> crate::config::dockerd_flags::Paths {
    crate::config::dockerd_flags::Paths {
        units: if args.docker_unit.is_empty() {
            [
                "/etc/systemd/system/docker.service",
                "/lib/systemd/system/docker.service",
                "/usr/lib/systemd/system/docker.service",
            ]
            .iter()
            .map(PathBuf::from)
            .collect()
        } else {
            args.docker_unit.clone()
        },
        dropin_dir: systemd_dir.to_path_buf(),
        default_file: args
            .docker_defaults
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/default/docker")),
        sysconfig_file: args
            .docker_sysconfig
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/sysconfig/docker")),
    }
}

fn default_profile_files(home: &std::path::Path) -> Vec<PathBuf> {
    ["/etc/profile", "/etc/environment", "/etc/bash.bashrc"]
        .iter()
        .map(PathBuf::from)
        .chain(
            std::fs::read_dir("/etc/profile.d")
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "sh")),
        )
        .chain(
            [".bashrc", ".bash_profile", ".profile", ".zshrc"]
                .iter()
                .map(|f| home.join(f)),
        )
        .collect()
}

/// The proxy environment dockerd runs with: systemd drop-in `Environment=` lines, overridden by
/// daemon.json `proxies` (moby's configureProxyEnv overwrites both spellings at start-up).
fn daemon_proxy(
    daemon: &daemon_json::DaemonConfig,
    daemon_path: &std::path::Path,
    systemd_dir: &std::path::Path,
) -> (ProxySettings, Vec<String>) {
    let dropins = systemd::read_dir(systemd_dir);
    let mut sources = Vec::new();
    let from_dropin = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|n| {
            dropins
                .get(n)
                .map(|(_, v, _)| v.clone())
                .filter(|v| !v.is_empty())
        })
    };
    let mut env = ProxyEnv {
        http_proxy: from_dropin(&["HTTP_PROXY", "http_proxy"]),
        https_proxy: from_dropin(&["HTTPS_PROXY", "https_proxy"]),
        no_proxy: from_dropin(&["NO_PROXY", "no_proxy"]),
        cgi: false,
    };
    if env != ProxyEnv::default() {
        sources.push(format!("{}/*.conf", systemd_dir.display()));
    }
    let p = &daemon.proxies;
    if p.http_proxy.is_some() || p.https_proxy.is_some() || p.no_proxy.is_some() {
        sources.push(format!("{} \"proxies\"", daemon_path.display()));
        if p.http_proxy.is_some() {
            env.http_proxy = p.http_proxy.clone();
        }
        if p.https_proxy.is_some() {
            env.https_proxy = p.https_proxy.clone();
        }
        if p.no_proxy.is_some() {
            env.no_proxy = p.no_proxy.clone();
        }
    }
    let source = if sources.is_empty() {
        "no daemon proxy configured (the daemon does not inherit your shell's variables)"
            .to_string()
    } else {
        sources.join(" + ")
    };
    (ProxySettings { env, source }, dropins.problems)
}

/// curl's `host:port:addr` (an IPv6 address may be bracketed).
fn parse_resolve(s: &str) -> Result<(String, u16, IpAddr), UsageError> {
    let bad = || {
        UsageError(format!(
            "--resolve {s:?}: expected HOST:PORT:ADDRESS, e.g. reg.example:443:10.0.0.5"
        ))
    };
    let (host, rest) = s.split_once(':').ok_or_else(bad)?;
    let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let addr: IpAddr = addr.trim_matches(['[', ']']).parse().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_ascii_lowercase(), port, addr))
}

fn parse_nameserver(s: &str) -> Result<SocketAddr, UsageError> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    s.trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| {
            UsageError(format!(
                "--nameserver {s:?}: expected an IP address, optionally with :port"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_and_nameserver_syntax() {
        let (h, p, a) = parse_resolve("Reg.Example:443:10.0.0.5").unwrap();
        assert_eq!(
            (h.as_str(), p, a.to_string().as_str()),
            ("reg.example", 443, "10.0.0.5")
        );
        assert!(parse_resolve("reg:443:[::1]").is_ok());
        assert!(parse_resolve("reg:443").is_err());
        assert!(parse_resolve("reg:x:1.2.3.4").is_err());
        assert_eq!(parse_nameserver("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(parse_nameserver("127.0.0.1").unwrap().port(), 53);
        assert!(parse_nameserver("dns.example").is_err());
    }
}
