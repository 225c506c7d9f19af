//! Markdown, for a support ticket, an issue or `$GITHUB_STEP_SUMMARY`, in the order of the
//! terminal report: verdict, findings with their fixes, then the checks (passes folded).

use std::io::{self, Write};

use super::human::{self, MAX_FINDINGS, severity_label};
use crate::i18n::{self, Label, label};
use crate::report::{CheckOutcome, Report, Status, Verdict};

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
    writeln!(out, "**{}**", human::verdict_text(report))?;
    writeln!(out)?;
    if !report.clients.is_empty() {
        writeln!(out, "**{}:**", super::verdicts::heading(lang))?;
        writeln!(out)?;
        for (programs, outcome) in super::verdicts::lines(report) {
            writeln!(out, "- {programs}: {outcome}")?;
        }
        writeln!(out)?;
    }
    if !report.unrecognised.is_empty() {
        let heading = match lang {
            crate::i18n::Lang::En => "A registry failure that no rule explains",
            crate::i18n::Lang::Zh => "无法由任何规则解释的仓库错误",
        };
        writeln!(out, "**{heading}:**")?;
        writeln!(out)?;
        for u in &report.unrecognised {
            let host = u
                .facts
                .get("registry")
                .or_else(|| u.facts.get("realm_host"))
                .map_or("<registry>", String::as_str);
            writeln!(
                out,
                "- line {}: `{}` (`regdoctor check {host}`)",
                u.line,
                u.text.replace('`', "'")
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
    if let Some(s) = &report.suggestion {
        writeln!(out, "{s}")?;
        writeln!(out)?;
    }
    for (i, f) in report.findings.iter().take(MAX_FINDINGS).enumerate() {
        writeln!(
            out,
            "### {}. {} ({})",
            i + 1,
            f.title,
            severity_label(f.severity, lang)
        )?;
        writeln!(out)?;
        let check = f
            .check
            .as_ref()
            .map(|c| format!(" · {}: `{c}`", label(Label::Check, lang)))
            .unwrap_or_default();
        writeln!(out, "`{}` · {}{check}", f.code, f.category.id())?;
        writeln!(out)?;
        if let Some(v) = f.verdict {
            let text = match v {
                Verdict::Confirmed => label(Label::LiveConfirmed, lang),
                Verdict::NotReproduced => label(Label::LiveNotReproduced, lang),
            };
            writeln!(out, "*{text}*")?;
            writeln!(out)?;
        }
        writeln!(out, "{}", f.why)?;
        writeln!(out)?;
        if !f.fixes.is_empty() {
            writeln!(out, "**{}**", label(Label::Fixes, lang))?;
            writeln!(out)?;
            for (n, fix) in f.fixes.iter().enumerate() {
                let distro = fix
                    .distro
                    .as_ref()
                    .map(|d| format!(" ({} {d})", label(Label::Distro, lang)))
                    .unwrap_or_default();
                writeln!(out, "{}. {}{}", n + 1, fix.text, distro)?;
                if let Some(file) = &fix.file {
                    writeln!(out, "   `{file}`:")?;
                }
                if let Some(s) = &fix.snippet {
                    fenced(out, "", s)?;
                }
                if let Some(c) = &fix.command {
                    fenced(out, "sh", c)?;
                }
            }
            writeln!(out)?;
        }
        if !f.evidence.is_empty() {
            writeln!(out, "**{}**", label(Label::Evidence, lang))?;
            writeln!(out)?;
            for e in &f.evidence {
                writeln!(
                    out,
                    "- {}: `{}`",
                    i18n::evidence_label(&e.label, lang),
                    e.value.replace('`', "'")
                )?;
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
    }
    if report.findings.len() > MAX_FINDINGS {
        writeln!(
            out,
            "{}",
            i18n::more_findings(lang, report.findings.len() - MAX_FINDINGS)
        )?;
        writeln!(out)?;
    }
    checks(report, out)?;
    writeln!(
        out,
        "<sub>regdoctor {} · schema {} · {} ms</sub>",
        report.tool.version, report.schema_version, report.duration_ms
    )
}

fn checks(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.checks.is_empty() {
        return Ok(());
    }
    let lang = report.lang;
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    writeln!(
        out,
        "### {} ({})",
        label(Label::Checks, lang),
        i18n::checks_tally(
            lang,
            count(Status::Fail),
            count(Status::Warn),
            count(Status::Pass),
            count(Status::Skipped)
        )
    )?;
    writeln!(out)?;
    let ordered = human::checks_in_order(&report.checks);
    let (bad, rest): (Vec<&CheckOutcome>, Vec<&CheckOutcome>) = ordered
        .into_iter()
        .partition(|c| matches!(c.status, Status::Fail | Status::Warn));
    if !bad.is_empty() {
        table(report, &bad, out)?;
        writeln!(out)?;
    }
    if !rest.is_empty() {
        writeln!(
            out,
            "<details><summary>{}</summary>",
            i18n::checks_tally(lang, 0, 0, count(Status::Pass), count(Status::Skipped))
        )?;
        writeln!(out)?;
        table(report, &rest, out)?;
        writeln!(out)?;
        writeln!(out, "</details>")?;
        writeln!(out)?;
    }
    Ok(())
}

fn table(report: &Report, rows: &[&CheckOutcome], out: &mut dyn Write) -> io::Result<()> {
    let lang = report.lang;
    writeln!(
        out,
        "| {} | {} | {} | {} |",
        label(Label::Check, lang),
        label(Label::Status, lang),
        label(Label::Time, lang),
        label(Label::Observed, lang)
    )?;
    writeln!(out, "|---|---|---|---|")?;
    for c in rows {
        let observed = human::observed_text(c, lang);
        let time = if c.status == Status::Skipped {
            String::new()
        } else {
            format!("{} ms", c.duration_ms)
        };
        writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            c.id,
            human::check_word(report, c),
            time,
            cell(&observed)
        )?;
    }
    Ok(())
}

fn fenced(out: &mut dyn Write, lang: &str, text: &str) -> io::Result<()> {
    writeln!(out, "   ```{lang}")?;
    for line in text.trim_end().lines() {
        writeln!(out, "   {line}")?;
    }
    writeln!(out, "   ```")
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
