//! `content-trust`: is Docker Content Trust switched on for the shell that runs `docker`, and
//! where is it set? With it on, every unsigned image fails with `remote trust data does not
//! exist`.

use std::sync::Arc;
use std::time::Duration;

use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;

pub const PROBE: ProbeDef = ProbeDef {
    id: "content-trust",
    doc: "DOCKER_CONTENT_TRUST in the environment and in the profile files that set it",
    needs: &[],
    timeout: Duration::from_secs(5),
    on_timeout: None,
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move {
        let mut r = probe(&ctx);
        // Only when this shell has it on: then the next `docker pull` asks the server.
        let on = ctx.opts.content_trust_env.as_deref().is_some_and(enabled);
        if on && !ctx.opts.offline {
            if let Some(obs) = notary_unreachable(&ctx).await {
                r.observations.push(obs);
            }
        }
        r
    })
}

/// Docker's rule: content trust is on when the variable parses as a true boolean
/// (strconv.ParseBool: 1, t, T, TRUE, true, True).
pub fn enabled(value: &str) -> bool {
    matches!(value.trim(), "1" | "t" | "T" | "TRUE" | "true" | "True")
}

/// The Notary server the docker CLI would ask, as it picks it: `DOCKER_CONTENT_TRUST_SERVER`,
/// else Docker Hub's for Docker Hub images, else the registry's own host (port 443).
pub fn notary_server(ctx: &Ctx) -> String {
    if let Some(s) = ctx
        .opts
        .content_trust_server
        .as_ref()
        .filter(|s| !s.is_empty())
    {
        return s.trim_end_matches('/').to_string();
    }
    if ctx.target.registry.docker_hub {
        return "https://notary.docker.io".into();
    }
    format!("https://{}", ctx.target.registry.dial_host())
}

/// With content trust on, every pull first asks the Notary server: one that does not answer
/// fails every pull, signed or not.
async fn notary_unreachable(ctx: &Ctx) -> Option<crate::observe::Observation> {
    let server = notary_server(ctx);
    let url = format!("{server}/_notary_server/health");
    let roots = crate::net::trust::system();
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(4));
    if let Some(c) = crate::net::tls_verify::webpki(roots).ok().and_then(|v| {
        crate::net::tls_verify::client_config(crate::net::tls_verify::Judged::new(v, None, false))
            .ok()
    }) {
        b = b.tls_backend_preconfigured(c);
    }
    let client = b.build().ok()?;
    match client.get(&url).send().await {
        // Any HTTP answer means the server is there; what it says about this image is for
        // the docker CLI to find out.
        Ok(_) => None,
        Err(e) => Some(
            ctx.obs("content-trust.notary_unreachable")
                .evidence("request", format!("GET {url}"))
                .evidence("error", crate::net::http::describe_error(&e))
                .evidence(
                    "why this server",
                    if ctx.opts.content_trust_server.is_some() {
                        "DOCKER_CONTENT_TRUST_SERVER"
                    } else if ctx.target.registry.docker_hub {
                        "Docker Hub's Notary (the default for Docker Hub images)"
                    } else {
                        "the registry's own host (the default for other registries)"
                    },
                ),
        ),
    }
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
