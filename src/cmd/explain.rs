//! `regdoctor explain`: pasted text (arguments, stdin or a file) → ranked causes.

use std::io::{IsTerminal, Read};
use std::time::Instant;

use anyhow::{Context, Result};

use super::{Session, UsageError};
use crate::cli::ExplainArgs;
use crate::explain;
use crate::i18n::{label, Label};
use crate::report::Report;
use crate::rules::matcher::Matcher;

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
        explain::explain(&session.rules, &matcher, stdin.lock().take(u64::MAX), session.lang)
            .context("cannot read standard input")?
    };

    let mut report = Report::new("explain", session.lang);
    report.findings = explained.findings;
    if report.findings.is_empty() {
        let hint = match explained.extracted.get("registry") {
            Some(reg) => format!("{}: regdoctor check {reg}", label(Label::TryCheck, session.lang)),
            None => format!("{}: regdoctor check <registry>", label(Label::TryCheck, session.lang)),
        };
        report.suggestion = Some(hint);
    }
    report.extracted = explained.extracted;
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    super::emit(session, &report.finish())
}
