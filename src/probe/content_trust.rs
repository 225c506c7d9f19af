//! `content-trust`: is Docker Content Trust switched on for the shell that runs `docker`, and
//! where is it set? With it on, every unsigned image fails with `remote trust data does not
//! exist`.

use std::sync::Arc;
use std::time::Duration;

use super::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;

pub const PROBE: ProbeDef = ProbeDef {
    id: "content-trust",
    doc: "DOCKER_CONTENT_TRUST in the environment and in the profile files that set it",
    needs: &[],
    timeout: Duration::from_secs(2),
    on_timeout: None,
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx) })
}

/// Docker's rule: content trust is on when the variable parses as a true boolean
/// (strconv.ParseBool: 1, t, T, TRUE, true, True).
pub fn enabled(value: &str) -> bool {
    matches!(value.trim(), "1" | "t" | "T" | "TRUE" | "true" | "True")
}

fn probe(ctx: &Ctx) -> ProbeResult {
    let mut places = Vec::new();
    for file in &ctx.opts.profile_files {
        let Ok(text) = crate::config::bounded::read_to_string(file, 4 << 20) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.starts_with('#') {
                continue;
            }
            if let Some(pos) = l.find("DOCKER_CONTENT_TRUST=") {
                let value = l[pos + "DOCKER_CONTENT_TRUST=".len()..]
                    .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
                if enabled(value) {
                    places.push(format!("{}:{}: {l}", file.display(), n + 1));
                }
            }
        }
    }
    let env_value = ctx.opts.content_trust_env.clone();
    let on = env_value.as_deref().is_some_and(enabled);
    if !on && places.is_empty() {
        return ProbeResult::pass("content trust is off");
    }
    let mut obs = ctx.obs("content-trust.enabled");
    obs = obs.evidence(
        "DOCKER_CONTENT_TRUST",
        match &env_value {
            Some(v) => format!("{v:?} in this shell's environment"),
            None => "not set in this shell".into(),
        },
    );
    for p in &places {
        obs = obs.evidence("set in", p.clone());
    }
    if let Some(server) = &ctx.opts.content_trust_server {
        obs = obs.evidence("DOCKER_CONTENT_TRUST_SERVER", server.clone());
    }
    let mut r = ProbeResult::pass(if on {
        "content trust is ON: unsigned images will not be pulled".to_string()
    } else {
        "content trust is off here, but login shells turn it on".to_string()
    });
    r.status = Some(Status::Warn);
    r.observations.push(obs);
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_like_go_parsebool() {
        for v in ["1", "true", "TRUE", "t"] {
            assert!(super::enabled(v), "{v}");
        }
        for v in ["0", "false", "", "yes", "on"] {
            assert!(!super::enabled(v), "{v}");
        }
    }
}
