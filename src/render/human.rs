//! The terminal report: a summary table, then each finding with its evidence and fixes.

use std::io::{self, Write};

use colored::Colorize;
use comfy_table::{ContentArrangement, Table, presets};

use super::{RenderOptions, verdicts};
use crate::i18n::{Label, Lang, label};
use crate::report::{Finding, Report, Status};
use crate::rules::Severity;

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let lang = report.lang;
    if let Some(t) = &report.target {
        let what = t.reference.clone().unwrap_or_else(|| t.registry.clone());
        writeln!(
            out,
            "{} {}  ({}:{})",
            format!("{}:", label(Label::Target, lang)).bold(),
            what,
            t.dial_host,
            t.port
        )?;
        writeln!(out)?;
    }
    if !report.clients.is_empty() {
        writeln!(out, "{}", format!("{}:", verdicts::heading(lang)).bold())?;
        for (programs, outcome) in verdicts::lines(report) {
            writeln!(out, "  {programs}: {outcome}")?;
        }
        writeln!(out)?;
    }
    if !report.checks.is_empty() {
        let mut table = Table::new();
        table.load_style(if opts.unicode {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_FULL_CONDENSED
        });
        table.set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(w) = opts.width {
            table.set_width(w);
        }
        table.set_header(vec![
            label(Label::Check, lang),
            label(Label::Status, lang),
            label(Label::Time, lang),
            label(Label::Observed, lang),
        ]);
        for c in &report.checks {
            let observed = c
                .summary
                .clone()
                .or_else(|| c.skip_reason.clone())
                .unwrap_or_default();
            table.add_row(vec![
                c.id.to_string(),
                status_word(c.status, opts),
                if c.status == Status::Skipped {
                    String::new()
                } else {
                    format!("{} ms", c.duration_ms)
                },
                observed,
            ]);
        }
        writeln!(out, "{table}")?;
        writeln!(out)?;
    }
    if !report.extracted.is_empty() {
        let pairs: Vec<String> = report
            .extracted
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(
            out,
            "{} {}",
            format!("{}:", label(Label::Extracted, lang)).bold(),
            pairs.join("  ")
        )?;
        writeln!(out)?;
    }
    if report.findings.is_empty() {
        match (&report.suggestion, report.command) {
            (Some(s), _) => {
                writeln!(out, "{}", label(Label::NoMatch, lang))?;
                writeln!(out, "{s}")?;
            }
            (None, _) if report.status == Status::Pass => {
                writeln!(out, "{}", label(Label::NoProblems, lang).green())?
            }
            (None, _) => {}
        }
        return Ok(());
    }
    let heading = if report.command == "explain" {
        label(Label::Matches, lang)
    } else {
        label(Label::Findings, lang)
    };
    let (e, w, i) = (
        report.summary.errors,
        report.summary.warnings,
        report.summary.infos,
    );
    let counts = match lang {
        Lang::En => format!("{e} error(s), {w} warning(s), {i} note(s)"),
        Lang::Zh => format!("{e} 个错误，{w} 个警告，{i} 条提示"),
    };
    writeln!(out, "{} ({counts})", heading.bold())?;
    for (i, f) in report.findings.iter().enumerate() {
        writeln!(out)?;
        finding(out, i + 1, f, lang, opts)?;
    }
    Ok(())
}

fn status_word(s: Status, opts: &RenderOptions) -> String {
    let (sym, word) = match s {
        Status::Pass => ("✔", "pass"),
        Status::Warn => ("!", "warn"),
        Status::Fail => ("✖", "fail"),
        Status::Skipped => ("-", "skipped"),
    };
    let text = if opts.unicode {
        format!("{sym} {word}")
    } else {
        word.to_string()
    };
    match s {
        Status::Pass => text.green().to_string(),
        Status::Warn => text.yellow().to_string(),
        Status::Fail => text.red().bold().to_string(),
        Status::Skipped => text.dimmed().to_string(),
    }
}

fn severity_word(s: Severity) -> String {
    match s {
        Severity::Error => "error".red().bold().to_string(),
        Severity::Warning => "warning".yellow().bold().to_string(),
        Severity::Info => "info".blue().to_string(),
    }
}

fn finding(
    out: &mut dyn Write,
    n: usize,
    f: &Finding,
    lang: Lang,
    opts: &RenderOptions,
) -> io::Result<()> {
    let check = f
        .check
        .as_ref()
        .map(|c| format!(" [{c}]"))
        .unwrap_or_default();
    writeln!(
        out,
        "{n}. {} {} {}{}",
        severity_word(f.severity),
        f.code.bold(),
        f.category.id().dimmed(),
        check.dimmed()
    )?;
    writeln!(out, "   {}", f.title.bold())?;
    writeln!(out, "   {}", f.why)?;
    if !f.evidence.is_empty() {
        writeln!(out, "   {}:", label(Label::Evidence, lang).bold())?;
        for e in &f.evidence {
            writeln!(out, "     - {}: {}", e.label, e.value)?;
        }
    }
    if !f.lines.is_empty() {
        writeln!(out, "   {}:", label(Label::Lines, lang).bold())?;
        for l in &f.lines {
            let rep = if l.repeats > 0 {
                format!(" (+{} more)", l.repeats)
            } else {
                String::new()
            };
            writeln!(out, "     {:>6} | {}{}", l.line, l.text, rep.dimmed())?;
        }
    }
    causes_and_fixes(out, f, lang, "   ")?;
    if opts.verbose {
        writeln!(
            out,
            "   {}: {}",
            label(Label::Source, lang).dimmed(),
            f.source.dimmed()
        )?;
    }
    Ok(())
}

/// The causes (with the checks that decide them) and the fixes of a finding, indented; shared
/// by the report and by `regdoctor rules CODE`.
pub fn causes_and_fixes(
    out: &mut dyn Write,
    f: &Finding,
    lang: Lang,
    indent: &str,
) -> io::Result<()> {
    if !f.causes.is_empty() {
        writeln!(out, "{indent}{}:", label(Label::LikelyCauses, lang).bold())?;
        for (i, c) in f.causes.iter().enumerate() {
            let by = if c.checks.is_empty() {
                String::new()
            } else {
                format!(
                    " ({}: {})",
                    label(Label::Confirm, lang),
                    c.checks.join(", ")
                )
            };
            writeln!(out, "{indent}  {}. {}{}", i + 1, c.text, by.dimmed())?;
        }
    }
    if !f.fixes.is_empty() {
        writeln!(out, "{indent}{}:", label(Label::Fixes, lang).bold())?;
        for (i, fix) in f.fixes.iter().enumerate() {
            let distro = fix
                .distro
                .as_ref()
                .map(|d| format!(" [{} {d}]", label(Label::Distro, lang)))
                .unwrap_or_default();
            writeln!(out, "{indent}  {}. {}{}", i + 1, fix.text, distro.dimmed())?;
            if let Some(file) = &fix.file {
                writeln!(
                    out,
                    "{indent}     {} {}",
                    label(Label::File, lang).dimmed(),
                    file
                )?;
            }
            if let Some(snippet) = &fix.snippet {
                for line in snippet.trim_end().lines() {
                    writeln!(out, "{indent}       {}", line.cyan())?;
                }
            }
            if let Some(cmd) = &fix.command {
                for line in cmd.trim_end().lines() {
                    writeln!(out, "{indent}     $ {}", line.cyan())?;
                }
            }
        }
    }
    Ok(())
}
