//! Runs the checks: each as soon as the checks it needs are done, concurrently with every
//! check it does not depend on, each under its own timeout inside one run-wide deadline.
//! A check whose precondition failed is reported as skipped, with the reason.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{Ctx, PROBES, ProbeDef, ProbeResult};
use crate::observe::{Evidence, Observation};
use crate::report::{CheckOutcome, Status};

pub struct Plan {
    pub run: Vec<&'static ProbeDef>,
    /// Checks not run, with why (named by `--skip`, or needing one that was).
    pub excluded: Vec<(&'static ProbeDef, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("unknown check {0:?}; the checks are: {1}")]
    Unknown(String, String),
}

/// `--only` keeps the named checks and what they need; `--skip` drops checks and everything
/// that needs them.
pub fn plan(only: &[String], skip: &[String]) -> Result<Plan, PlanError> {
    let known = || PROBES.iter().map(|p| p.id).collect::<Vec<_>>().join(", ");
    for id in only.iter().chain(skip) {
        if super::find(id).is_none() {
            return Err(PlanError::Unknown(id.clone(), known()));
        }
    }
    let mut wanted: Vec<&str> = if only.is_empty() {
        PROBES.iter().map(|p| p.id).collect()
    } else {
        only.iter().map(String::as_str).collect()
    };
    // Close over needs; PROBES is in dependency order, so walking it backwards suffices.
    for p in PROBES.iter().rev() {
        if wanted.contains(&p.id) {
            for need in p.needs {
                if !wanted.contains(need) {
                    wanted.push(need);
                }
            }
        }
    }
    let mut run = Vec::new();
    let mut excluded: Vec<(&'static ProbeDef, String)> = Vec::new();
    for p in PROBES {
        if !wanted.contains(&p.id) {
            continue;
        }
        if skip.iter().any(|s| s == p.id) {
            excluded.push((p, "skipped with --skip".into()));
        } else if let Some(n) = p
            .needs
            .iter()
            .find(|n| excluded.iter().any(|(e, _)| e.id == **n))
        {
            excluded.push((p, format!("needs `{n}`, which was skipped with --skip")));
        } else {
            run.push(p);
        }
    }
    Ok(Plan { run, excluded })
}

pub struct EngineRun {
    pub outcomes: Vec<CheckOutcome>,
    /// (check id, observation), in check order.
    pub observations: Vec<(String, Observation)>,
}

pub async fn run(ctx: Arc<Ctx>, plan: Plan, deadline: Instant) -> EngineRun {
    let mut senders = HashMap::new();
    let mut receivers = HashMap::new();
    for p in &plan.run {
        let (tx, rx) = watch::channel(None::<Status>);
        senders.insert(p.id, tx);
        receivers.insert(p.id, rx);
    }
    let mut tasks = JoinSet::new();
    for p in &plan.run {
        let def: &'static ProbeDef = p;
        let deps: Vec<(&'static str, watch::Receiver<Option<Status>>)> = def
            .needs
            .iter()
            .filter_map(|n| receivers.get(n).map(|rx| (*n, rx.clone())))
            .collect();
        let Some(tx) = senders.remove(def.id) else {
            continue;
        };
        let ctx = ctx.clone();
        tasks.spawn(async move {
            let (result, took) = run_one(def, ctx, deps, deadline).await;
            let status = result.status.unwrap_or(Status::Pass);
            // Nobody listening is fine: no later check needs this one.
            let _ = tx.send(Some(status));
            (def.id, took, result)
        });
    }

    let mut results: HashMap<&'static str, (Duration, ProbeResult)> = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        // A panic inside a check must not take the report with it; the check then shows as
        // failed below (its id is not known from a JoinError).
        if let Ok((id, took, result)) = joined {
            results.insert(id, (took, result));
        }
    }

    let mut outcomes = Vec::new();
    let mut observations = Vec::new();
    for p in PROBES {
        if let Some((_, reason)) = plan.excluded.iter().find(|(e, _)| e.id == p.id) {
            outcomes.push(skipped(p.id, reason.clone()));
            continue;
        }
        if !plan.run.iter().any(|r| r.id == p.id) {
            continue;
        }
        let Some((took, result)) = results.remove(p.id) else {
            outcomes.push(CheckOutcome {
                id: p.id,
                status: Status::Fail,
                duration_ms: 0,
                summary: Some("internal error: the check stopped unexpectedly".into()),
                skip_reason: None,
            });
            continue;
        };
        outcomes.push(CheckOutcome {
            id: p.id,
            status: result.status.unwrap_or(Status::Pass),
            duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            summary: result.summary,
            skip_reason: result.skip_reason,
        });
        observations.extend(
            result
                .observations
                .into_iter()
                .map(|o| (p.id.to_string(), o)),
        );
    }
    EngineRun {
        outcomes,
        observations,
    }
}

fn skipped(id: &'static str, reason: String) -> CheckOutcome {
    CheckOutcome {
        id,
        status: Status::Skipped,
        duration_ms: 0,
        summary: None,
        skip_reason: Some(reason),
    }
}

/// Waits for the checks this one needs, then runs it; the duration counts only its own run.
async fn run_one(
    def: &'static ProbeDef,
    ctx: Arc<Ctx>,
    deps: Vec<(&'static str, watch::Receiver<Option<Status>>)>,
    deadline: Instant,
) -> (ProbeResult, Duration) {
    if ctx.opts.offline && super::NETWORK_CHECKS.contains(&def.id) {
        return (
            ProbeResult::skip("--offline: this check talks to the network"),
            Duration::ZERO,
        );
    }
    for (name, mut rx) in deps {
        let status = match rx.wait_for(Option::is_some).await {
            Ok(s) => *s,
            Err(_) => None,
        };
        match status {
            Some(Status::Fail) => {
                return (
                    ProbeResult::skip(format!("needs `{name}`, which failed")),
                    Duration::ZERO,
                );
            }
            Some(Status::Skipped) | None => {
                return (
                    ProbeResult::skip(format!("needs `{name}`, which was skipped")),
                    Duration::ZERO,
                );
            }
            _ => {}
        }
    }
    let now = Instant::now();
    if now >= deadline {
        return (
            ProbeResult::skip(
                "the run's deadline (--timeout) passed before this check could start",
            ),
            Duration::ZERO,
        );
    }
    let remaining = deadline - now;
    let limit = def.timeout.min(remaining);
    let by_deadline = limit < def.timeout;
    let result = match tokio::time::timeout(limit, (def.run)(ctx.clone())).await {
        Ok(result) => result,
        Err(_) => {
            let why = if by_deadline {
                format!(
                    "no result within {} ms, when the run's deadline (--timeout) ended it",
                    limit.as_millis()
                )
            } else {
                format!(
                    "no result within the check's own limit of {} ms",
                    limit.as_millis()
                )
            };
            let mut result = ProbeResult::fail(why.clone(), Vec::new());
            if let Some(key) = def.on_timeout {
                let mut obs = ctx.obs(key);
                obs.evidence.push(Evidence {
                    label: "stalled step".into(),
                    value: format!("{}: {why}", def.id),
                });
                result.observations.push(obs);
            }
            result
        }
    };
    (result, now.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&ProbeDef]) -> Vec<&'static str> {
        v.iter().map(|p| p.id).collect()
    }

    #[test]
    fn only_pulls_in_what_a_check_needs() {
        let p = plan(&["tcp".into()], &[]).unwrap();
        assert_eq!(ids(&p.run), vec!["dns", "tcp"]);
    }

    #[test]
    fn skip_removes_dependents_with_a_reason() {
        let p = plan(&[], &["tcp".into()]).unwrap();
        let run = ids(&p.run);
        assert!(run.contains(&"dns") && run.contains(&"proxy"), "{run:?}");
        assert!(
            !["tcp", "tls", "ping"].iter().any(|c| run.contains(c)),
            "{run:?}"
        );
        let reasons: Vec<_> = p.excluded.iter().map(|(d, r)| (d.id, r.as_str())).collect();
        assert_eq!(reasons[0], ("tcp", "skipped with --skip"));
        assert!(reasons[1].1.contains("needs `tcp`"));
    }

    #[test]
    fn unknown_check_is_a_usage_error() {
        let err = plan(&["dsn".into()], &[]).err().unwrap().to_string();
        assert!(err.contains("dsn") && err.contains("dns"), "{err}");
    }
}
