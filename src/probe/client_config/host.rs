//! `host`: facts about this machine that change the advice: free disk under the engine's data
//! root (seed 004: keep twice the image size free), and whether it is a Kubernetes node (pods
//! pull with `imagePullSecrets`, never with the node's `docker login`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;
use crate::rules::Severity;

pub const PROBE: ProbeDef = ProbeDef {
    id: "host",
    doc: "free disk under the engine's data root, and whether this is a Kubernetes node",
    needs: &[],
    timeout: Duration::from_secs(2),
    on_timeout: None,
    run,
};

/// Below this, a pull of a typical image can fail half-way.
const LOW_SPACE: u64 = 2 << 30;

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx) })
}

/// Free bytes for an unprivileged writer, through statvfs (rustix: no unsafe here).
fn available(path: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(path).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

fn probe(ctx: &Ctx) -> ProbeResult {
    let mut observations = Vec::new();
    let mut summary = Vec::new();
    // The first data root that exists: what the engine writes images to.
    let root: Option<&PathBuf> = ctx.opts.data_roots.iter().find(|p| p.exists());
    if let Some(root) = root {
        if let Some(free) = available(root) {
            let gib = free as f64 / f64::from(1u32 << 30);
            summary.push(format!("{gib:.1} GiB free under {}", root.display()));
            if free < LOW_SPACE {
                observations.push(
                    ctx.obs("host.low_disk")
                        .severity(Severity::Warning)
                        .evidence(
                            "free space",
                            format!("{gib:.2} GiB under {}", root.display()),
                        )
                        .evidence(
                            "rule of thumb",
                            "keep at least twice the size of the image free",
                        )
                        .var("data_root", root.display().to_string()),
                );
            }
        }
    }
    let k8s: Vec<&PathBuf> = ctx
        .opts
        .kubelet_markers
        .iter()
        .filter(|p| p.exists())
        .collect();
    if !k8s.is_empty() {
        summary.push("a Kubernetes node".into());
        let mut o = ctx.obs("host.kubernetes_node").severity(Severity::Info);
        for p in k8s {
            o = o.evidence("found", p.display().to_string());
        }
        observations.push(o.evidence(
            "note",
            "pods on this node pull with the credentials of their imagePullSecrets; `docker login` here does not apply to them",
        ));
    }
    let status = if observations
        .iter()
        .any(|o| o.severity == Some(Severity::Warning))
    {
        Status::Warn
    } else {
        Status::Pass
    };
    ProbeResult {
        status: Some(status),
        summary: Some(if summary.is_empty() {
            "nothing to note".into()
        } else {
            summary.join("; ")
        }),
        skip_reason: None,
        observations,
    }
}
