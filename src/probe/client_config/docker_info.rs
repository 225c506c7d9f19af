//! `docker-info`: when a `docker` CLI is on PATH, ask the running daemon what it uses
//! (`docker info`) and compare with the files: a difference means the daemon has not been
//! restarted since the files changed. Local only: the CLI talks to the local daemon socket.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::docker_info::{self, DaemonView, without_userinfo};
use crate::observe::Observation;
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;

pub const PROBE: ProbeDef = ProbeDef {
    id: "docker-info",
    doc: "the running daemon's mirrors, insecure registries and proxies (docker info) against the files: not restarted yet?",
    needs: &[],
    timeout: Duration::from_secs(4),
    on_timeout: None,
    run,
};

const CLI_TIMEOUT: Duration = Duration::from_secs(3);

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

fn docker_cli(ctx: &Ctx) -> Option<PathBuf> {
    ctx.opts
        .path_dirs
        .iter()
        .map(|d| d.join("docker"))
        .find(|p| p.is_file())
}

async fn ask(cli: &PathBuf) -> Result<String, String> {
    let child = tokio::process::Command::new(cli)
        .args(["info", "--format", "{{json .}}"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", cli.display()))?;
    let out = tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("{} info did not answer within 3 s", cli.display()))?
        .map_err(|e| e.to_string())?;
    let cap = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(1 << 20)]).into_owned();
    if !out.status.success() {
        let err = cap(&out.stderr);
        return Err(err.lines().next().unwrap_or("failed").trim().to_string());
    }
    Ok(cap(&out.stdout))
}

/// `docker info` asked before the checks start (they use what the running daemon uses):
/// `None` without a docker CLI on `path_dirs`.
pub fn ask_blocking(path_dirs: &[PathBuf]) -> Option<Result<DaemonView, String>> {
    let cli = path_dirs
        .iter()
        .map(|d| d.join("docker"))
        .find(|p| p.is_file())?;
    let mut child = match std::process::Command::new(&cli)
        .args(["info", "--format", "{{json .}}"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Some(Err(format!("cannot run {}: {e}", cli.display()))),
    };
    let deadline = std::time::Instant::now() + CLI_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Some(Err(format!(
                    "{} info did not answer within 3 s",
                    cli.display()
                )));
            }
        }
    }
    let out = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => return Some(Err(e.to_string())),
    };
    let cap = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(1 << 20)]).into_owned();
    if !out.status.success() {
        let err = cap(&out.stderr);
        return Some(Err(err
            .lines()
            .next()
            .unwrap_or("failed")
            .trim()
            .to_string()));
    }
    Some(docker_info::parse(&cap(&out.stdout)))
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    if !ctx.opts.docker_info {
        return ProbeResult::skip(
            "--offline: `docker info` was not run (it talks to the local daemon's socket); add --docker-info to ask the daemon",
        );
    }
    let asked = match &ctx.opts.live_daemon {
        // Already asked before the checks started: once per run.
        Some(answer) => answer.clone(),
        None => {
            let Some(cli) = docker_cli(ctx) else {
                return ProbeResult::pass(
                    "no docker CLI on PATH: the running daemon was not asked",
                );
            };
            ask(&cli).await.and_then(|t| docker_info::parse(&t))
        }
    };
    let view = match asked {
        Ok(v) if v.server_errors.is_empty() => v,
        Ok(v) => {
            return ProbeResult::skip(format!("docker info: {}", v.server_errors.join("; ")));
        }
        Err(e) => return ProbeResult::skip(format!("docker info: {e}")),
    };
    let observations = compare(ctx, &view);
    let summary = format!(
        "running daemon: {} mirror(s), {} insecure registr(y/ies) by name, proxy {}",
        view.mirrors.len(),
        view.insecure_names.len(),
        if view.https_proxy.is_empty() && view.http_proxy.is_empty() {
            "none".to_string()
        } else {
            without_userinfo(if view.https_proxy.is_empty() {
                &view.http_proxy
            } else {
                &view.https_proxy
            })
        }
    );
    ProbeResult {
        status: Some(if observations.is_empty() {
            Status::Pass
        } else {
            Status::Warn
        }),
        summary: Some(summary),
        skip_reason: None,
        observations,
    }
}

fn differ(ctx: &Ctx, key: &str, what: &str, files: String, daemon: String) -> Observation {
    ctx.obs(key)
        .evidence("in the files", files)
        .evidence("docker info (running daemon)", daemon)
        .evidence(
            "meaning",
            format!("the daemon still runs with the {what} it read at its last start"),
        )
}

fn compare(ctx: &Ctx, view: &DaemonView) -> Vec<Observation> {
    let mut out = Vec::new();
    let norm = |v: &[String]| -> Vec<String> {
        let mut v: Vec<String> = v
            .iter()
            .map(|m| m.trim().trim_end_matches('/').to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let files = &ctx.opts.daemon_files;
    let files_mirrors = norm(&files.registry_mirrors);
    if files_mirrors != norm(&view.mirrors) {
        out.push(differ(
            ctx,
            "docker-info.mirrors_differ",
            "registry-mirrors",
            format!("[{}]", files_mirrors.join(", ")),
            format!("[{}]", norm(&view.mirrors).join(", ")),
        ));
    }
    // Each insecure entry of the files must be known to the daemon, by name or by CIDR.
    let missing: Vec<&String> = files
        .insecure_registries
        .iter()
        .filter(|e| {
            let e = e.trim();
            if e.parse::<ipnet::IpNet>().is_ok() {
                !view.insecure_cidrs.iter().any(|c| c == e)
            } else {
                !view
                    .insecure_names
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(e))
            }
        })
        .collect();
    // And the daemon should not still trust one the files no longer list (loopback is built in).
    let stale: Vec<&String> = view
        .insecure_names
        .iter()
        .filter(|n| {
            !files
                .insecure_registries
                .iter()
                .any(|e| e.trim().eq_ignore_ascii_case(n))
        })
        .collect();
    if !missing.is_empty() || !stale.is_empty() {
        out.push(differ(
            ctx,
            "docker-info.insecure_differ",
            "insecure-registries",
            format!("[{}]", files.insecure_registries.join(", ")),
            format!(
                "names [{}], CIDRs [{}]",
                view.insecure_names.join(", "),
                view.insecure_cidrs.join(", ")
            ),
        ));
    }
    let env = &files.daemon_proxy.env;
    let pairs = [
        ("HTTPProxy", env.http_proxy.as_deref(), &view.http_proxy),
        ("HTTPSProxy", env.https_proxy.as_deref(), &view.https_proxy),
        ("NoProxy", env.no_proxy.as_deref(), &view.no_proxy),
    ];
    let mut proxy_diffs = Vec::new();
    for (name, files, daemon) in pairs {
        let f = without_userinfo(files.unwrap_or_default());
        let d = without_userinfo(daemon);
        if f != d {
            proxy_diffs.push(format!("{name}: files {f:?}, daemon {d:?}"));
        }
    }
    if !proxy_diffs.is_empty() {
        out.push(differ(
            ctx,
            "docker-info.proxy_differ",
            "proxy settings",
            files.daemon_proxy.source.clone(),
            proxy_diffs.join("; "),
        ));
    }
    out
}
