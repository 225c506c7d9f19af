//! Markdown, for pasting into a support ticket or an issue.

use std::io::{self, Write};

use crate::i18n::{Label, label};
use crate::report::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let lang = report.lang;
    writeln!(out, "## regdoctor {} report", report.command)?;
    writeln!(out)?;
    if let Some(t) = &report.target {
        let what = t.reference.clone().unwrap_or_else(|| t.registry.clone());
        writeln!(
            out,
            "**{}:** `{}` ({}:{})",
            label(Label::Target, lang),
            what,
            t.dial_host,
            t.port
        )?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "regdoctor {} · schema {} · {} ms",
        report.tool.version, report.schema_version, report.duration_ms
    )?;
    writeln!(out)?;
    if !report.clients.is_empty() {
        writeln!(out, "**{}:**", super::verdicts::heading(lang))?;
        writeln!(out)?;
        for (programs, outcome) in super::verdicts::lines(report) {
            writeln!(out, "- {programs}: {outcome}")?;
        }
        writeln!(out)?;
    }
    if !report.checks.is_empty() {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            label(Label::Check, lang),
            label(Label::Status, lang),
            label(Label::Time, lang),
            label(Label::Observed, lang)
        )?;
        writeln!(out, "|---|---|---|---|")?;
        for c in &report.checks {
            let observed = c
                .summary
                .clone()
                .or_else(|| c.skip_reason.clone())
                .unwrap_or_default();
            writeln!(
                out,
                "| {} | {} | {} ms | {} |",
                c.id,
                c.status.as_str(),
                c.duration_ms,
                cell(&observed)
            )?;
        }
        writeln!(out)?;
    }
    if !report.extracted.is_empty() {
        let pairs: Vec<String> = report
            .extracted
            .iter()
            .map(|(k, v)| format!("`{k}={v}`"))
            .collect();
        writeln!(
            out,
            "**{}:** {}",
            label(Label::Extracted, lang),
            pairs.join(", ")
        )?;
        writeln!(out)?;
    }
    if report.findings.is_empty() {
        writeln!(
            out,
            "{}",
            if report.command == "explain" {
                label(Label::NoMatch, lang)
            } else {
                label(Label::NoProblems, lang)
            }
        )?;
        if let Some(s) = &report.suggestion {
            writeln!(out)?;
            writeln!(out, "{s}")?;
        }
        return Ok(());
    }
    for (i, f) in report.findings.iter().enumerate() {
        writeln!(
            out,
            "### {}. {} `{}` ({}, {})",
            i + 1,
            f.title,
            f.code,
            f.category.id(),
            f.severity.as_str()
        )?;
        writeln!(out)?;
        writeln!(out, "{}", f.why)?;
        writeln!(out)?;
        if !f.evidence.is_empty() {
            writeln!(out, "**{}**", label(Label::Evidence, lang))?;
            writeln!(out)?;
            for e in &f.evidence {
                writeln!(out, "- {}: `{}`", e.label, e.value.replace('`', "'"))?;
            }
            writeln!(out)?;
        }
        if !f.lines.is_empty() {
            writeln!(out, "```text")?;
            for l in &f.lines {
                writeln!(out, "{:>6} | {}", l.line, l.text.replace("```", "'''"))?;
            }
            writeln!(out, "```")?;
            writeln!(out)?;
        }
        if !f.causes.is_empty() {
            writeln!(out, "**{}**", label(Label::LikelyCauses, lang))?;
            writeln!(out)?;
            for (n, c) in f.causes.iter().enumerate() {
                writeln!(out, "{}. {}", n + 1, c.text)?;
            }
            writeln!(out)?;
        }
        if !f.fixes.is_empty() {
            writeln!(out, "**{}**", label(Label::Fixes, lang))?;
            writeln!(out)?;
            for (n, fix) in f.fixes.iter().enumerate() {
                let distro = fix
                    .distro
                    .as_ref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                writeln!(out, "{}. {}{}", n + 1, fix.text, distro)?;
                if let Some(file) = &fix.file {
                    writeln!(out, "   `{file}`:")?;
                }
                if let Some(s) = &fix.snippet {
                    writeln!(out, "   ```")?;
                    for line in s.trim_end().lines() {
                        writeln!(out, "   {line}")?;
                    }
                    writeln!(out, "   ```")?;
                }
                if let Some(c) = &fix.command {
                    writeln!(out, "   ```sh")?;
                    for line in c.trim_end().lines() {
                        writeln!(out, "   {line}")?;
                    }
                    writeln!(out, "   ```")?;
                }
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
