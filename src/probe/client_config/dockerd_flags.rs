//! `dockerd-flags`: the dockerd command line outside daemon.json (systemd units and drop-ins,
//! `/etc/default/docker`, `/etc/sysconfig/docker`). dockerd refuses to start when a flag and
//! daemon.json set the same option, and systemd silently drops lines it cannot place.

use std::sync::Arc;
use std::time::Duration;

use crate::config::dockerd_flags::{Flag, Origin, ProblemKind, without_words};
use crate::config::json_file;
use crate::observe::Observation;
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;

pub const PROBE: ProbeDef = ProbeDef {
    id: "dockerd-flags",
    doc: "dockerd flags in systemd units, /etc/default/docker and /etc/sysconfig/docker: conflicts with daemon.json, ignored drop-ins",
    needs: &[],
    timeout: Duration::from_secs(2),
    on_timeout: None,
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx) })
}

fn probe(ctx: &Ctx) -> ProbeResult {
    let cmd = &ctx.opts.dockerd_cmdline;
    if cmd.sources.is_empty() {
        return ProbeResult::pass(
            "no docker.service unit, /etc/default/docker or /etc/sysconfig/docker found",
        );
    }
    let mut observations: Vec<Observation> = Vec::new();
    for p in &cmd.problems {
        let key = match p.kind {
            ProblemKind::Ignored => "dockerd-flags.unit_ignored",
            ProblemKind::ExecStartTwice => "dockerd-flags.exec_start_twice",
            ProblemKind::EnvFileUnused => "dockerd-flags.env_file_unused",
        };
        observations.push(
            ctx.obs(key)
                .evidence("at", p.at.clone())
                .evidence("systemd", p.detail.clone())
                .var("edit_file", p.fix_file.clone())
                .var("edit_snippet", p.fix_snippet.clone()),
        );
    }
    for f in cmd.flags.iter().filter(|f| f.key == "registry-mirrors") {
        if let Some(m) = &f.value {
            if let Some(why) = crate::probe::daemon_config::mirror_problem(m) {
                observations.push(
                    ctx.obs("dockerd-flags.mirror_invalid")
                        .evidence("at", f.source.at())
                        .evidence("flag", format!("{} {m}", f.name))
                        .evidence("dockerd", why)
                        .var("mirror", m.clone()),
                );
            }
        }
    }
    // moby's findConfigurationConflicts: any option given both ways stops the daemon.
    let daemon_json = json_file::read_object(&ctx.opts.daemon_config_path)
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut reported: Vec<&str> = Vec::new();
    for f in &cmd.flags {
        let Some(in_file) = daemon_json.get(&f.key) else {
            continue;
        };
        if reported.contains(&f.key.as_str()) {
            continue;
        }
        reported.push(&f.key);
        let from_flag: Vec<String> = cmd
            .flags
            .iter()
            .filter(|g| g.key == f.key)
            .map(|g| g.value.clone().unwrap_or_else(|| "true".into()))
            .collect();
        let (edit_file, edit_snippet) = drop_flag_edit(ctx, f);
        observations.push(
            ctx.obs("dockerd-flags.conflict")
                .evidence("flag", format!("{} at {}", f.words.join(" "), f.source.at()))
                .evidence(
                    "daemon.json",
                    format!("\"{}\": {in_file} in {}", f.key, ctx.opts.daemon_config_path.display()),
                )
                .evidence(
                    "dockerd",
                    format!(
                        "the following directives are specified both as a flag and in the configuration file: {}: (from flag: [{}], from file: {in_file})",
                        f.key,
                        from_flag.join(" ")
                    ),
                )
                .var("key", f.key.clone())
                .var("flag", f.name.clone())
                .var("edit_file", edit_file)
                .var("edit_snippet", edit_snippet),
        );
    }
    let summary = format!(
        "{}: {} flag(s); {} mirror(s), {} insecure registr(y/ies) from flags",
        cmd.sources.join(" + "),
        cmd.flags.len(),
        cmd.mirrors().len(),
        cmd.insecure_registries().len()
    );
    let status = if observations.is_empty() {
        Status::Pass
    } else {
        Status::Fail
    };
    ProbeResult {
        status: Some(status),
        summary: Some(summary),
        skip_reason: None,
        observations,
    }
}

/// The exact edit that removes `flag` where it was written: the variable's line without it,
/// or a drop-in whose `ExecStart=` no longer has it (the packaged unit is never edited).
fn drop_flag_edit(ctx: &Ctx, f: &Flag) -> (String, String) {
    let rest = without_words(&f.source.text, &f.words);
    match &f.source.origin {
        Origin::EnvFile { var } => (
            f.source.file.display().to_string(),
            format!("{var}=\"{rest}\""),
        ),
        Origin::Unit { dropin } => {
            let file = if *dropin {
                f.source.file.clone()
            } else {
                ctx.opts.runtimes.docker_dropin_dir.join("override.conf")
            };
            (
                file.display().to_string(),
                format!("[Service]\nExecStart=\nExecStart={rest}"),
            )
        }
    }
}
