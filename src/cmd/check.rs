//! `regdoctor check`: target → checks → findings → report.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::io::Read as _;

use anyhow::{Context, Result};

use super::{Session, UsageError};
use crate::cli::CheckArgs;
use crate::clients::{self, Client};
use crate::config::{daemon_json, systemd};
use crate::net::go_proxy::ProxyEnv;
use crate::probe::proxy::ProxySettings;
use crate::probe::{Board, CheckOptions, Ctx, engine};
use crate::report::{Report, TargetInfo};
use crate::rules::diagnose;
use crate::rules::facts::{self, Facts};
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
    validate_timeout(args.timeout)?;
    let opts = options(session, &args)?;
    let plan = engine::plan(&args.only, &args.skip).map_err(|e| UsageError(e.to_string()))?;

    let started = Instant::now();
    if session.progress {
        eprint!("regdoctor: checking {}…", target.registry.host_port());
    }
    let judged = run_checks_judged(session, &target, opts, plan, args.timeout)?;
    if session.progress {
        eprint!("\r\x1b[K");
    }
    let mut report = Report::new("check", session.lang);
    report.suggestion = hub_image_hint(&target, &input, session.lang);
    report.target = Some(target_info(&target, input));
    report.findings = judged.findings;
    report.checks = judged.outcomes;
    report.clients = judged.clients;
    report.facts = Some(judged.facts);
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let report = report.finish();
    super::emit(session, &report)
}

/// `myhost:5000` is, as Docker reads it, the Docker Hub image `myhost` with tag `5000`: say so,
/// since it was most likely meant as a registry.
fn hub_image_hint(target: &target::Target, input: &str, lang: crate::i18n::Lang) -> Option<String> {
    let image = target.image.as_ref()?;
    let tag = image.tag.as_deref()?;
    let looks_like_port = !tag.is_empty() && tag.chars().all(|c| c.is_ascii_digit());
    if !target.registry.docker_hub || !looks_like_port || input.contains('/') {
        return None;
    }
    let name = input.trim().split(':').next().unwrap_or_default();
    Some(match lang {
        crate::i18n::Lang::En => format!(
            "Note: `{input}` is read as Docker reads it, the Docker Hub image `{name}` with tag `{tag}`. For the registry at {name}:{tag}, write `{name}:{tag}/` or `https://{name}:{tag}`."
        ),
        crate::i18n::Lang::Zh => format!(
            "注意：`{input}` 按 Docker 的规则被理解为 Docker Hub 上的镜像 `{name}`，标签为 `{tag}`。如果要检查 {name}:{tag} 上的镜像仓库，请写成 `{name}:{tag}/` 或 `https://{name}:{tag}`。"
        ),
    })
}

/// `--timeout` of check and `explain --check`.
pub fn validate_timeout(timeout: f64) -> Result<(), UsageError> {
    if timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0 {
        Ok(())
    } else {
        Err(UsageError(
            "--timeout must be a number of seconds above 0 and at most 3600 (e.g. --timeout 10)"
                .into(),
        ))
    }
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
    Facts,
)> {
    let judged = run_checks_judged(session, target, opts, plan, timeout_secs)?;
    Ok((judged.outcomes, judged.findings, judged.facts))
}

/// What a check run found: the checks, the ranked findings (each naming the clients it
/// concerns) and one verdict per client.
pub struct Judged {
    pub outcomes: Vec<crate::report::CheckOutcome>,
    pub findings: Vec<crate::report::Finding>,
    pub clients: Vec<crate::report::ClientVerdict>,
    /// What the checks learnt for fitting the fixes (product, host class, OS).
    pub facts: Facts,
}

/// [`run_checks`], with the observations judged per client.
pub fn run_checks_judged(
    session: &Session,
    target: &target::Target,
    opts: CheckOptions,
    plan: engine::Plan,
    timeout_secs: f64,
) -> Result<Judged> {
    let deadline = Instant::now() + Duration::from_secs_f64(timeout_secs);
    let intends_push = opts.intends_push;
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
    let result = runtime.block_on(engine::run(ctx.clone(), plan, deadline));
    // A getaddrinfo thread stuck on a dead DNS server must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(50));
    // "The registry requires credentials" is only worth a note until a login is shown to work:
    // once the auth check passed, it would tell a healthy user to log in.
    let auth_passed = result
        .outcomes
        .iter()
        .any(|o| o.id == "auth" && o.status == crate::report::Status::Pass);
    // Registries create a repository on its first push, except Harbor, whose project must exist.
    let creates_on_push = intends_push
        && !result
            .observations
            .iter()
            .any(|(_, o)| o.key == "server.harbor_project_missing");
    let mut outcomes = result.outcomes;
    let missing_before_push = result
        .observations
        .iter()
        .any(|(c, o)| c == "manifest" && NOT_YET_PUSHED.contains(&o.key.as_str()));
    if creates_on_push && missing_before_push {
        for o in outcomes.iter_mut().filter(|o| o.id == "manifest") {
            o.status = crate::report::Status::Warn;
        }
    }
    let observations: Vec<_> = result
        .observations
        .into_iter()
        .filter(|(_, o)| !(auth_passed && o.key == "ping.auth_required"))
        .map(|(check, o)| {
            // A push creates the repository (and the tag): its absence before the push is the
            // expected state, not the cause of a push that fails.
            if creates_on_push && NOT_YET_PUSHED.contains(&o.key.as_str()) {
                (check, o.severity(crate::rules::Severity::Info))
            } else {
                (check, o)
            }
        })
        .collect();
    let profiles = clients::judge::profiles(&ctx, &ctx.opts.clients);
    let observations = clients::judge::per_client(&ctx, &profiles, observations);
    let mut findings = diagnose::from_observations(&session.rules, session.lang, &observations);
    clients::judge::mirrors_first(&ctx, &profiles, &mut findings);
    let clients = clients::judge::verdicts(&profiles, &findings);
    let registry = ctx.target.registry.host_port();
    clients::fixes::add(&profiles, &registry, session.lang, &mut findings);
    let facts = observed_facts(&ctx);
    facts::fit(&mut findings, &facts);
    Ok(Judged {
        outcomes,
        findings,
        clients,
        facts,
    })
}

/// What the checks learnt about the registry and this machine, for fitting the fixes: the
/// product (from the host name, the API's headers, the token realm, Harbor's API), the class of
/// the addresses dialled, and the OS. The client is not known: `check` speaks for all of them.
fn observed_facts(ctx: &Ctx) -> Facts {
    let reg = &ctx.target.registry;
    let host = reg.dial_host();
    let ping = ctx.board.ping.get();
    let harbor = ctx.board.harbor.get().copied();
    let product = facts::product_from_host(host)
        .or(reg.docker_hub.then_some("dockerhub"))
        .or(harbor.filter(|h| *h).map(|_| "harbor"))
        .or_else(|| {
            let p = ping?;
            facts::product_from_headers(&p.headers).or_else(|| {
                p.challenges
                    .iter()
                    .find_map(|c| c.realm().and_then(facts::product_from_realm))
            })
        })
        .or_else(|| {
            // The registry API answered, Harbor's did not, and nothing named another product.
            let api = ping?
                .headers
                .iter()
                .any(|(k, _)| k == "docker-distribution-api-version");
            (api && harbor == Some(false)).then_some("distribution")
        });
    let host_class = if reg.is_loopback() {
        Some("loopback")
    } else {
        ctx.board
            .addrs
            .get()
            .and_then(|a| facts::host_class_of_addrs(&a.iter().map(|s| s.ip()).collect::<Vec<_>>()))
            .or_else(|| facts::host_class_of_name(host))
    };
    Facts {
        product: product.map(str::to_string),
        client: None,
        host: host_class.map(str::to_string),
        os: facts::local_os(),
    }
}

/// What a push brings into being: missing before it is no cause of its failure.
const NOT_YET_PUSHED: &[&str] = &["manifest.repo_not_found", "manifest.tag_not_found"];

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
        containerd_dropin_dir: args
            .containerd_systemd_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/systemd/system/containerd.service.d")),
        containers_certs_dir: args
            .containers_certs_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/containers/certs.d")),
        buildkitd_config: args
            .buildkitd_config
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/buildkit/buildkitd.toml")),
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
    let path_dirs: Vec<PathBuf> = session
        .env
        .get("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let clients = chosen_clients(&args.client, &path_dirs, &runtimes.buildkitd_config)?;
    let daemon_files = crate::probe::DaemonFiles {
        registry_mirrors: registry_mirrors.clone(),
        insecure_registries: insecure_registries.clone(),
        daemon_proxy: daemon_proxy.clone(),
    };
    // What pulls is the running daemon: when it answers, its settings are Docker's path.
    // --offline opens no socket, the daemon's included, unless --docker-info asks for it.
    let ask_daemon = !args.offline || args.docker_info;
    let live_daemon = if ask_daemon && clients.contains(&Client::Docker) {
        crate::probe::docker_info::ask_blocking(&path_dirs)
    } else {
        None
    };
    let (registry_mirrors, insecure_registries, daemon_proxy) = match &live_daemon {
        Some(Ok(view)) if view.server_errors.is_empty() => (
            view.mirrors.clone(),
            live_insecure(view),
            live_proxy(view, daemon_proxy),
        ),
        _ => (registry_mirrors, insecure_registries, daemon_proxy),
    };
    Ok(CheckOptions {
        live_daemon,
        daemon_files,
        clients,
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
        path_dirs,
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

/// The running daemon's insecure registries, by name and CIDR, without the loopback ranges
/// every daemon has (the loopback rule is Docker's own, not a setting).
fn live_insecure(view: &crate::config::docker_info::DaemonView) -> Vec<String> {
    view.insecure_names
        .iter()
        .chain(
            view.insecure_cidrs
                .iter()
                .filter(|c| !matches!(c.as_str(), "127.0.0.0/8" | "::1/128")),
        )
        .cloned()
        .collect()
}

/// The files' proxy, unless they set none and the running daemon has one (set in its
/// environment some other way); `docker info` masks credentials, so they are left out.
fn live_proxy(
    view: &crate::config::docker_info::DaemonView,
    files: ProxySettings,
) -> ProxySettings {
    let none = |s: &str| s.trim().is_empty();
    if files.env != ProxyEnv::default() || (none(&view.https_proxy) && none(&view.http_proxy)) {
        return files;
    }
    let url = |s: &str| (!none(s)).then(|| crate::config::docker_info::without_userinfo(s));
    ProxySettings {
        env: ProxyEnv {
            http_proxy: url(&view.http_proxy),
            https_proxy: url(&view.https_proxy),
            no_proxy: (!none(&view.no_proxy)).then(|| view.no_proxy.clone()),
            cgi: false,
        },
        source: "the running daemon's environment (docker info)".into(),
    }
}

/// `--client`, else the clients found on this machine.
fn chosen_clients(
    asked: &[String],
    path_dirs: &[PathBuf],
    buildkitd_config: &std::path::Path,
) -> Result<Vec<Client>, UsageError> {
    if asked.is_empty() {
        let presence = clients::Presence::standard(path_dirs.to_vec(), buildkitd_config);
        return Ok(clients::detect(&presence));
    }
    let mut chosen: Vec<Client> = Vec::new();
    for a in asked {
        let Some(list) = Client::parse(a) else {
            return Err(UsageError(format!(
                "--client {a:?}: expected docker, containerd, containers, buildkit or all"
            )));
        };
        chosen.extend(list);
    }
    chosen.sort();
    chosen.dedup();
    Ok(chosen)
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
