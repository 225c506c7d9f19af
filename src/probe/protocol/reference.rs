//! `reference`: the image reference against what the registry in it accepts. The reference
//! grammar itself is enforced when the target is parsed; this adds the providers' stricter rules
//! from the seed documents and the classic `library/` on a registry that is not Docker Hub.

use std::sync::Arc;
use std::time::Duration;

use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;

pub const PROBE: ProbeDef = ProbeDef {
    id: "reference",
    doc: "the image reference against provider rules (ACR `library/`, SWR namespace and name rules)",
    needs: &[],
    timeout: Duration::from_secs(1),
    on_timeout: None,
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx) })
}

/// SWR's organisation rule: `^([a-z]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)$`, 1 to 64 characters
/// (seed 003 §6.2); the repository part starts with a letter or digit, up to 128.
fn swr_component_ok(s: &str, first_alpha: bool, max: usize) -> bool {
    let b = s.as_bytes();
    if s.is_empty() || s.len() > max {
        return false;
    }
    let first = b[0];
    let first_ok = if first_alpha {
        first.is_ascii_lowercase()
    } else {
        first.is_ascii_lowercase() || first.is_ascii_digit()
    };
    first_ok
        && b.last()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.split(['.', '_', '-']).all(|part| {
            part.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && !s.contains("___")
        && !s.contains("..")
}

fn probe(ctx: &Ctx) -> ProbeResult {
    let Some(image) = &ctx.target.image else {
        return ProbeResult::skip("the target names no image");
    };
    let host = ctx.target.registry.host.as_str();
    let repo = image.repository.as_str();
    let mut observations = Vec::new();
    if host.ends_with("aliyuncs.com") && repo.starts_with("library/") {
        let short = repo.trim_start_matches("library/");
        let tag = image.tag.as_deref().unwrap_or("latest");
        observations.push(
            ctx.obs("reference.acr_library")
                .evidence("reference", ctx.target.reference())
                .evidence("corrected", format!("{short}:{tag} (from Docker Hub, through the accelerator in registry-mirrors)"))
                .var("image", format!("{short}:{tag}")),
        );
    }
    if host.ends_with("myhuaweicloud.com") {
        let mut parts = repo.splitn(2, '/');
        let org = parts.next().unwrap_or_default();
        let name = parts.next().unwrap_or_default();
        if !swr_component_ok(org, true, 64)
            || name.is_empty()
            || !name.split('/').all(|n| swr_component_ok(n, false, 128))
        {
            observations.push(
                ctx.obs("reference.provider_name_rules")
                    .evidence("reference", ctx.target.reference())
                    .evidence(
                        "SWR rules",
                        "organisation: lowercase letters first, then letters, digits and single . _ __ or - separators, 1-64; repository 1-128",
                    ),
            );
        }
    }
    if observations.is_empty() {
        return ProbeResult::pass(format!("{} is a valid reference", ctx.target.reference()));
    }
    ProbeResult {
        status: Some(Status::Fail),
        summary: Some(format!(
            "{} breaks the registry's naming rules",
            ctx.target.reference()
        )),
        skip_reason: None,
        observations,
    }
}

#[cfg(test)]
mod tests {
    use super::swr_component_ok;

    #[test]
    fn swr_rules_from_the_seed() {
        assert!(swr_component_ok("my-org", true, 64));
        assert!(swr_component_ok("org__a.b", true, 64));
        assert!(!swr_component_ok("1org", true, 64));
        assert!(swr_component_ok("1app", false, 128));
        assert!(!swr_component_ok("org-", true, 64));
        assert!(!swr_component_ok(&"a".repeat(65), true, 64));
    }
}
