//! `auths`: what `~/.docker/config.json` gives Docker for this registry: the entry it would use
//! (by Docker's key normalisation), a credential helper that must exist, the shape of `auth`,
//! and file permissions. Reads only; never prints a secret.

use std::sync::Arc;
use std::time::Duration;

use crate::config::docker_config::{self, AuthValue};
use crate::observe::Observation;
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;

pub const PROBE: ProbeDef = ProbeDef {
    id: "auths",
    doc: "~/.docker/config.json: the auths entry for this registry, credsStore/credHelpers, file permissions",
    needs: &[],
    timeout: Duration::from_secs(2),
    on_timeout: None,
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx) })
}

fn probe(ctx: &Ctx) -> ProbeResult {
    let path = ctx.opts.docker_config_dir.join("config.json");
    let config = match docker_config::read(&path) {
        Ok(None) => {
            return ProbeResult::pass(format!("no {} (pulls are anonymous)", path.display()));
        }
        Ok(Some(c)) => c,
        Err(e) => {
            return ProbeResult::fail(
                "config.json cannot be used".to_string(),
                vec![
                    ctx.obs("auths.malformed")
                        .evidence("file", path.display().to_string())
                        .evidence("error", e.to_string()),
                ],
            );
        }
    };
    let wanted = docker_config::normalise_key(&ctx.target.registry.config_key());
    let mut observations: Vec<Observation> = Vec::new();
    let mut status = Status::Pass;

    // Which helper, if any, Docker asks for this registry: credHelpers beats credsStore.
    let helper = config
        .cred_helpers
        .iter()
        .find(|(k, _)| docker_config::normalise_key(k) == wanted)
        .map(|(_, v)| (v.clone(), "credHelpers"))
        .or_else(|| config.creds_store.clone().map(|s| (s, "credsStore")));
    let mut source = String::new();
    if let Some((name, field)) = &helper {
        let binary = format!("docker-credential-{name}");
        let found = ctx
            .opts
            .path_dirs
            .iter()
            .map(|d| d.join(&binary))
            .find(|p| p.is_file());
        match found {
            Some(p) => source = format!("credential helper {} ({field})", p.display()),
            None => {
                observations.push(
                    ctx.obs("auths.helper_missing")
                        .evidence("file", path.display().to_string())
                        .evidence(field.to_string(), name.clone())
                        .evidence(
                            "looked for",
                            format!(
                                "{binary} on PATH ({} directories)",
                                ctx.opts.path_dirs.len()
                            ),
                        )
                        .var("helper", name.clone()),
                );
                status = Status::Fail;
            }
        }
    }

    let entry = config
        .auths
        .iter()
        .find(|(k, _)| docker_config::normalise_key(k) == wanted);
    match entry {
        Some((key, e)) => {
            if e.identity_token.is_some() {
                source = format!("identity token under {key:?}");
            } else if let Some(auth) = &e.auth {
                match docker_config::decode_auth(auth) {
                    AuthValue::Ok { user } => source = format!("user {user:?} under {key:?}"),
                    bad => {
                        let what = match bad {
                            AuthValue::Empty => "empty",
                            AuthValue::NotBase64 => "not valid base64",
                            _ => "not of the form user:password once decoded",
                        };
                        observations.push(
                            ctx.obs("auths.bad_auth_value")
                                .evidence("file", path.display().to_string())
                                .evidence("entry", key.clone())
                                .evidence("auth", format!("{what} (value not shown)")),
                        );
                        status = status.max(Status::Warn);
                    }
                }
            } else if helper.is_none() {
                source = format!("entry {key:?} holds no credentials");
            }
        }
        None => {
            // Stored under a near-miss key: same host, another port, or the reverse.
            let host = wanted.split(':').next().unwrap_or(&wanted).to_string();
            let near: Vec<&String> = config
                .auths
                .keys()
                .filter(|k| {
                    let n = docker_config::normalise_key(k);
                    n != wanted && n.split(':').next() == Some(host.as_str())
                })
                .collect();
            if let Some(k) = near.first() {
                observations.push(
                    ctx.obs("auths.key_mismatch")
                        .evidence("file", path.display().to_string())
                        .evidence("stored under", (*k).clone())
                        .evidence("Docker looks up", ctx.target.registry.config_key())
                        .var("stored_key", (*k).clone()),
                );
                status = status.max(Status::Warn);
            }
        }
    }

    let holds_secrets = config
        .auths
        .values()
        .any(|e| e.auth.is_some() || e.identity_token.is_some());
    if let Some(mode) = config.mode {
        if holds_secrets && mode & 0o077 != 0 {
            observations.push(
                ctx.obs("auths.permissions")
                    .evidence("file", path.display().to_string())
                    .evidence(
                        "mode",
                        format!("{mode:o} (others or the group can read the stored credentials)"),
                    ),
            );
            status = status.max(Status::Warn);
        }
    }
    let summary = if source.is_empty() {
        format!(
            "no credentials for {} in {}",
            ctx.target.registry.config_key(),
            path.display()
        )
    } else {
        format!("{source} in {}", path.display())
    };
    ProbeResult {
        status: Some(status),
        summary: Some(summary),
        skip_reason: None,
        observations,
    }
}
