//! `regdoctor explain`: pasted text (arguments, stdin or a file) → ranked causes.

use std::io::{IsTerminal, Read};
use std::time::Instant;

use anyhow::{Context, Result};

use super::{Session, UsageError};
use std::collections::BTreeMap;

use super::check;
use crate::cli::{CheckArgs, ExplainArgs};
use crate::explain;
use crate::i18n::{Label, label};
use crate::report::Report;
use crate::report::{Finding, Verdict};
use crate::rules::facts::{self, Facts};
use crate::rules::matcher::Matcher;
use crate::rules::{Category, Severity};

pub fn run(session: &Session, args: ExplainArgs) -> Result<u8> {
    // `explain RD-TLS-001` is the rule's documentation, like `rustc --explain E0308`.
    if let [one] = args.text.as_slice() {
        if crate::rules::is_valid_code(one.trim()) {
            return super::rules::show(session, one.trim());
        }
    }
    let started = Instant::now();
    let matcher = Matcher::new(&session.rules).context("cannot compile the rule patterns")?;
    let explained = if let Some(path) = &args.file {
        let file = std::fs::File::open(path)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
        explain::explain(&session.rules, &matcher, file, session.lang)
            .with_context(|| format!("cannot read {}", path.display()))?
    } else if !args.text.is_empty() {
        let text = args.text.join("\n");
        explain::explain(&session.rules, &matcher, text.as_bytes(), session.lang)?
    } else {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            return Err(UsageError(
                "nothing to explain: pass the error text as an argument, pipe it in (`docker pull x 2>&1 | regdoctor explain`), or use --file".into(),
            )
            .into());
        }
        explain::explain(
            &session.rules,
            &matcher,
            stdin.lock().take(u64::MAX),
            session.lang,
        )
        .context("cannot read standard input")?
    };

    let mut report = Report::new("explain", session.lang);
    report.findings = explained.findings;
    facts::fit(&mut report.findings, &text_facts(&explained.extracted));
    if report.findings.is_empty() {
        let hint = match explained.extracted.get("registry") {
            Some(reg) => format!(
                "{}: regdoctor check {reg}",
                label(Label::TryCheck, session.lang)
            ),
            None => format!(
                "{}: regdoctor check <registry>",
                label(Label::TryCheck, session.lang)
            ),
        };
        report.suggestion = Some(hint);
    }
    if args.check {
        live_check(session, &mut report, &explained.extracted, args.timeout)?;
    }
    report.extracted = explained.extracted;
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    super::emit(session, &report.finish())
}

/// What the text tells about the situation: the client that printed it, the registry's product
/// (from its host name or token realm) and whether that host is loopback, private or public.
/// The OS is not known: a log may come from any machine.
fn text_facts(extracted: &BTreeMap<String, String>) -> Facts {
    let registry = extracted.get("registry").map(String::as_str);
    let product = registry
        .and_then(facts::product_from_host)
        .or_else(|| {
            extracted
                .get("realm")
                .and_then(|r| facts::product_from_realm(r))
        })
        .or_else(|| {
            extracted
                .get("realm_host")
                .and_then(|h| facts::product_from_host(h))
        });
    Facts {
        product: product.map(str::to_string),
        client: extracted
            .get("client")
            .filter(|c| facts::CLIENTS.contains(&c.as_str()))
            .cloned(),
        host: registry
            .and_then(facts::host_class_of_name)
            .map(str::to_string),
        os: None,
    }
}

/// The categories the live checks can observe: a text match in one of these that no check
/// reproduces is said to be not reproduced, rather than left standing as if confirmed.
const LIVE_CATEGORIES: &[Category] = &[
    Category::DnsResolution,
    Category::NetworkUnreachable,
    Category::ProxyMisconfig,
    Category::TlsUnknownAuthority,
    Category::TlsExpiredOrClock,
    Category::TlsHostnameMismatch,
    Category::HttpVsHttps,
    Category::NotARegistry,
];

fn live_check(
    session: &Session,
    report: &mut Report,
    extracted: &BTreeMap<String, String>,
    timeout: f64,
) -> Result<()> {
    let Some(registry) = extracted.get("registry") else {
        report.suggestion = Some(format!(
            "{}: regdoctor check <registry>",
            label(Label::TryCheck, session.lang)
        ));
        return Ok(());
    };
    let target = crate::target::parse_target(&format!("{registry}/"))
        .or_else(|_| crate::target::parse_target(registry))
        .map_err(|e| {
            UsageError(format!(
                "the registry found in the text, {registry:?}, is not usable: {e}"
            ))
        })?;
    let args = CheckArgs {
        target: Some(registry.clone()),
        timeout,
        ..CheckArgs::default()
    };
    let opts = check::options(session, &args)?;
    let plan = crate::probe::engine::plan(&[], &[]).map_err(|e| UsageError(e.to_string()))?;
    let (outcomes, live, live_facts) = check::run_checks(session, &target, opts, plan, timeout)?;
    facts::fit(&mut report.findings, &live_facts);
    let live_categories: Vec<Category> = live
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.category)
        .collect();
    for f in &mut report.findings {
        if live_categories.contains(&f.category) {
            f.verdict = Some(Verdict::Confirmed);
        } else if LIVE_CATEGORIES.contains(&f.category) {
            f.verdict = Some(Verdict::NotReproduced);
        }
    }
    // Confirmed causes first, then the live findings the text did not mention, then the rest.
    let mut ranked: Vec<Finding> = Vec::new();
    let (confirmed, rest): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut report.findings)
        .into_iter()
        .partition(|f| f.verdict == Some(Verdict::Confirmed));
    ranked.extend(confirmed);
    let mentioned: Vec<Category> = ranked.iter().chain(&rest).map(|f| f.category).collect();
    ranked.extend(
        live.into_iter()
            .filter(|f| !mentioned.contains(&f.category)),
    );
    ranked.extend(rest);
    report.findings = ranked;
    report.target = Some(check::target_info(&target, registry.clone()));
    report.checks = outcomes;
    Ok(())
}
