//! The terminal report, cause first: the target, a verdict line, the findings in rank order
//! (each with its fixes before its evidence), then the checks. On a terminal the check list is
//! compact; piped output keeps every check, one line each, no wider than its content.

use std::io::{self, Write};

use colored::Colorize;

use super::wrap::wrap;
use super::{RenderOptions, verdicts};
use crate::i18n::{self, Label, Lang, label};
use crate::report::{CheckOutcome, Finding, Report, Status, Verdict};
use crate::rules::Severity;

/// explain on a long CI log may rank dozens of causes; past this many the rest are counted.
pub const MAX_FINDINGS: usize = 10;

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let lang = report.lang;
    let width = opts.width.map(usize::from);
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
    }
    verdict(report, opts, out)?;
    if !report.clients.is_empty() {
        writeln!(out, "{}", format!("{}:", verdicts::heading(lang)).bold())?;
        for (programs, outcome) in verdicts::lines(report) {
            for l in wrap(&format!("{programs}: {outcome}"), "  ", width) {
                writeln!(out, "{l}")?;
            }
        }
    }
    if let Some(line) = facts_line(report) {
        writeln!(out, "{}", line.dimmed())?;
    }
    if report.command == "check" {
        if let Some(s) = &report.suggestion {
            for l in wrap(s, "", width) {
                writeln!(out, "{}", l.yellow())?;
            }
        }
    }
    writeln!(out)?;
    if !report.extracted.is_empty() {
        let pairs: Vec<String> = report
            .extracted
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let line = format!("{}: {}", label(Label::Extracted, lang), pairs.join("  "));
        for l in wrap(&line, "", width) {
            writeln!(out, "{l}")?;
        }
        writeln!(out)?;
    }
    unrecognised(report, lang, width, out)?;
    if report.findings.is_empty() && report.command != "check" {
        if let Some(s) = &report.suggestion {
            for l in wrap(s, "", width) {
                writeln!(out, "{l}")?;
            }
            writeln!(out)?;
        }
    } else {
        let heading = if report.command == "explain" {
            label(Label::Matches, lang)
        } else {
            label(Label::Findings, lang)
        };
        let s = &report.summary;
        let counts = i18n::findings_tally(lang, s.errors, s.warnings, s.infos);
        writeln!(out, "{} ({counts})", heading.bold())?;
        let cap = if opts.verbose {
            usize::MAX
        } else {
            MAX_FINDINGS
        };
        for (i, f) in report.findings.iter().take(cap).enumerate() {
            writeln!(out)?;
            finding(out, i + 1, f, lang, opts)?;
        }
        if report.findings.len() > cap {
            writeln!(out)?;
            writeln!(
                out,
                "{}",
                i18n::more_findings(lang, report.findings.len() - cap).dimmed()
            )?;
        }
        writeln!(out)?;
    }
    if let Some(s) = report
        .suggestion
        .as_ref()
        .filter(|_| !report.findings.is_empty())
    {
        for l in wrap(s, "", width) {
            writeln!(out, "{l}")?;
        }
        writeln!(out)?;
    }
    checks(report, opts, out)
}

/// What the fixes were fitted to, on one line (nothing when nothing is known).
pub fn facts_line(report: &Report) -> Option<String> {
    let f = report.facts.as_ref()?;
    let lang = report.lang;
    let zh = lang == Lang::Zh;
    let product = f
        .product
        .as_deref()
        .map(|p| product_name(p, zh).to_string());
    let host = f.host.as_deref().map(|h| {
        match (h, zh) {
            ("loopback", true) => "本机回环地址",
            ("private", true) => "内网地址",
            ("public", true) => "公网地址",
            (other, _) => other,
        }
        .to_string()
    });
    let parts: Vec<String> = [
        (label(Label::FactProduct, lang), product),
        (label(Label::FactClient, lang), f.client.clone()),
        (label(Label::FactHost, lang), host),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.map(|v| format!("{name}: {v}")))
    .collect();
    (!parts.is_empty()).then(|| format!("{} ({})", label(Label::FittedTo, lang), parts.join(", ")))
}

/// A product id of `rules::facts::PRODUCTS` as people write it.
pub fn product_name(id: &str, zh: bool) -> &str {
    match (id, zh) {
        ("distribution", _) => "CNCF Distribution (registry:2)",
        ("harbor", _) => "Harbor",
        ("nexus", _) => "Nexus",
        ("artifactory", _) => "Artifactory",
        ("dockerhub", _) => "Docker Hub",
        ("ghcr", _) => "GHCR",
        ("ecr", _) => "Amazon ECR",
        ("acr", false) => "Alibaba Cloud ACR",
        ("acr", true) => "阿里云 ACR",
        ("azure", _) => "Azure Container Registry",
        ("swr", false) => "Huawei Cloud SWR",
        ("swr", true) => "华为云 SWR",
        ("tcr", false) => "Tencent Cloud TCR",
        ("tcr", true) => "腾讯云 TCR",
        ("quay", _) => "Quay",
        ("gcr", _) => "GCR / Artifact Registry",
        (other, _) => other,
    }
}

/// One line that answers "does it work, and if not, why": the top finding's title.
fn verdict(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let text = verdict_text(report);
    let line = if report.command == "explain" {
        if report.findings.is_empty() {
            text
        } else {
            text.bold().to_string()
        }
    } else {
        let s = if report.status == Status::Skipped {
            Status::Pass
        } else {
            report.status
        };
        let line = format!("{} {text}", symbol(s, opts));
        match s {
            Status::Fail => line.red().bold().to_string(),
            Status::Warn => line.yellow().bold().to_string(),
            _ => line.green().bold().to_string(),
        }
    };
    for l in wrap(&line, "", opts.width.map(usize::from)) {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// The verdict in words, without colour: shared with the Markdown report.
pub fn verdict_text(report: &Report) -> String {
    let lang = report.lang;
    let top = report.findings.first();
    if let Some(note) = &report.input {
        return note.message.clone();
    }
    if report.command == "explain" {
        return match top {
            Some(f) => format!("{}: {}", label(Label::VerdictLikely, lang), f.title),
            None if !report.unrecognised.is_empty() => match lang {
                Lang::En => "A registry failure was found, but no rule explains it: the live check tells more".to_string(),
                Lang::Zh => "发现了镜像仓库错误，但没有规则能解释它：请用实时检查进一步确认".to_string(),
            },
            None => label(Label::NoMatch, lang).to_string(),
        };
    }
    match report.status {
        Status::Fail => {
            let why = top
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.title.clone())
                .unwrap_or_else(|| failed_check_line(report));
            format!("{}: {why}", label(Label::VerdictBroken, lang))
        }
        Status::Warn => format!(
            "{}: {}",
            label(Label::VerdictWarn, lang),
            top.map(|f| f.title.as_str()).unwrap_or_default()
        ),
        Status::Pass | Status::Skipped => {
            let passed = report
                .checks
                .iter()
                .filter(|c| c.status == Status::Pass)
                .count();
            let detail = match lang {
                Lang::En => format!("{passed} checks passed, no problem found"),
                Lang::Zh => format!("{passed} 项检查通过，未发现问题"),
            };
            format!("{}: {detail}", label(Label::VerdictHealthy, lang))
        }
    }
}

fn failed_check_line(report: &Report) -> String {
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id)
        .collect();
    format!(
        "{} ({})",
        label(Label::VerdictFailedCheck, report.lang),
        failed.join(", ")
    )
}

fn symbol(s: Status, opts: &RenderOptions) -> &'static str {
    match (s, opts.unicode) {
        (Status::Pass, true) => "✔",
        (Status::Warn, true) => "!",
        (Status::Fail, true) => "✖",
        (Status::Skipped, true) => "-",
        (Status::Pass, false) => "[ok]",
        (Status::Warn, false) => "[!]",
        (Status::Fail, false) => "[x]",
        (Status::Skipped, false) => "[-]",
    }
}

pub fn status_label(s: Status, lang: Lang) -> &'static str {
    label(
        match s {
            Status::Pass => Label::Pass,
            Status::Warn => Label::Warn,
            Status::Fail => Label::Fail,
            Status::Skipped => Label::Skipped,
        },
        lang,
    )
}

pub fn severity_label(s: Severity, lang: Lang) -> &'static str {
    label(
        match s {
            Severity::Error => Label::SeverityError,
            Severity::Warning => Label::SeverityWarning,
            Severity::Info => Label::SeverityInfo,
        },
        lang,
    )
}

fn severity_word(s: Severity, lang: Lang) -> String {
    let w = severity_label(s, lang);
    match s {
        Severity::Error => w.red().bold().to_string(),
        Severity::Warning => w.yellow().bold().to_string(),
        Severity::Info => w.blue().to_string(),
    }
}

/// The word for a check's status. A check that only raised notes is "warn" in the JSON
/// (its status), but says "note" here, as its findings do.
pub fn check_word(report: &Report, c: &CheckOutcome) -> &'static str {
    let mut own = report
        .findings
        .iter()
        .filter(|f| f.check.as_deref() == Some(c.id))
        .peekable();
    let only_notes = own.peek().is_some() && own.all(|f| f.severity == Severity::Info);
    if c.status == Status::Warn && only_notes {
        severity_label(Severity::Info, report.lang)
    } else {
        status_label(c.status, report.lang)
    }
}

/// Failures first, then warnings, passes, skips; each group in run order.
pub fn checks_in_order(checks: &[CheckOutcome]) -> Vec<&CheckOutcome> {
    let mut sorted: Vec<&CheckOutcome> = checks.iter().collect();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.status));
    sorted
}

fn checks(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    if report.checks.is_empty() {
        return Ok(());
    }
    let lang = report.lang;
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    let (failed, warned, passed, skipped) = (
        count(Status::Fail),
        count(Status::Warn),
        count(Status::Pass),
        count(Status::Skipped),
    );
    writeln!(
        out,
        "{} ({})",
        label(Label::Checks, lang).bold(),
        i18n::checks_tally(lang, failed, warned, passed, skipped)
    )?;
    let fold = opts.compact && !opts.verbose;
    let shown: Vec<&CheckOutcome> = checks_in_order(&report.checks)
        .into_iter()
        .filter(|c| !fold || matches!(c.status, Status::Fail | Status::Warn))
        .collect();
    let id_w = shown.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let status_w = shown
        .iter()
        .map(|c| super::wrap::width(check_word(report, c)))
        .max()
        .unwrap_or(0);
    let time_w = shown.iter().map(|c| time_text(c).len()).max().unwrap_or(0);
    let sym_w = shown
        .iter()
        .map(|c| super::wrap::width(symbol(c.status, opts)))
        .max()
        .unwrap_or(0);
    for c in shown {
        let word = check_word(report, c);
        let pad = status_w.saturating_sub(super::wrap::width(word));
        let sym = symbol(c.status, opts);
        let sym_pad = " ".repeat(sym_w.saturating_sub(super::wrap::width(sym)));
        let status = format!("{sym}{sym_pad} {word}{}", " ".repeat(pad));
        let status = match c.status {
            Status::Pass => status.green().to_string(),
            Status::Warn => status.yellow().to_string(),
            Status::Fail => status.red().bold().to_string(),
            Status::Skipped => status.dimmed().to_string(),
        };
        let head = format!("  {status}  {:<id_w$}  {:>time_w$}  ", c.id, time_text(c));
        let observed = observed_text(c, lang);
        let indent = " ".repeat(2 + sym_w + 1 + status_w + 2 + id_w + 2 + time_w + 2);
        let body = wrap(&observed, &indent, opts.width.map(usize::from));
        for (i, l) in body.iter().enumerate() {
            if i == 0 {
                writeln!(out, "{head}{}", l.trim_start())?;
            } else {
                writeln!(out, "{l}")?;
            }
        }
    }
    if fold && passed + skipped > 0 {
        writeln!(
            out,
            "  {}",
            i18n::folded_checks(lang, passed, skipped).dimmed()
        )?;
    }
    Ok(())
}

/// What a check saw, in the report's language where the line's shape is known.
pub fn observed_text(c: &CheckOutcome, lang: Lang) -> String {
    let line = c
        .summary
        .as_deref()
        .or(c.skip_reason.as_deref())
        .unwrap_or_default();
    match lang {
        Lang::En => line.to_string(),
        Lang::Zh => super::zh::check_line(line).into_owned(),
    }
}

fn time_text(c: &CheckOutcome) -> String {
    if c.status == Status::Skipped {
        String::new()
    } else {
        format!("{} ms", c.duration_ms)
    }
}

fn finding(
    out: &mut dyn Write,
    n: usize,
    f: &Finding,
    lang: Lang,
    opts: &RenderOptions,
) -> io::Result<()> {
    let width = opts.width.map(usize::from);
    let title = format!(
        "{n}. [{}] {}",
        severity_word(f.severity, lang),
        f.title.bold()
    );
    for l in wrap(&title, "", width) {
        writeln!(out, "{l}")?;
    }
    let check = f
        .check
        .as_ref()
        .map(|c| format!(" · {}: {c}", label(Label::Check, lang)))
        .unwrap_or_default();
    writeln!(
        out,
        "   {}",
        format!("{} · {}{check}", f.code, f.category.id()).dimmed()
    )?;
    if let Some(v) = f.verdict {
        let text = match v {
            Verdict::Confirmed => label(Label::LiveConfirmed, lang).green().bold().to_string(),
            Verdict::NotReproduced => label(Label::LiveNotReproduced, lang).dimmed().to_string(),
        };
        writeln!(out, "   {text}")?;
    }
    for l in wrap(&f.why, "   ", width) {
        writeln!(out, "{l}")?;
    }
    fixes(out, f, lang, "   ", width)?;
    if !f.evidence.is_empty() {
        writeln!(out, "   {}:", label(Label::Evidence, lang).bold())?;
        for e in &f.evidence {
            let line = format!(
                "- {}: {}",
                crate::i18n::evidence_label(&e.label, lang),
                e.value
            );
            let mut lines = wrap(&line, "       ", width).into_iter();
            if let Some(first) = lines.next() {
                writeln!(out, "     {}", first.trim_start())?;
            }
            for l in lines {
                writeln!(out, "{l}")?;
            }
        }
    }
    if !f.lines.is_empty() {
        writeln!(out, "   {}:", label(Label::Lines, lang).bold())?;
        for l in &f.lines {
            let rep = if l.repeats > 0 {
                format!(" (+{})", l.repeats)
            } else {
                String::new()
            };
            let prefix = format!("     {:>6} | ", l.line);
            let hang = format!("{:width$}| ", "", width = prefix.len() - 2);
            let text = format!("{}{rep}", l.text);
            for (i, w) in wrap(&text, &hang, width).iter().enumerate() {
                if i == 0 {
                    writeln!(out, "{prefix}{}", &w[hang.len()..])?;
                } else {
                    writeln!(out, "{w}")?;
                }
            }
        }
    }
    causes(out, f, lang, "   ", width)?;
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
    causes(out, f, lang, indent, None)?;
    fixes(out, f, lang, indent, None)
}

fn causes(
    out: &mut dyn Write,
    f: &Finding,
    lang: Lang,
    indent: &str,
    width: Option<usize>,
) -> io::Result<()> {
    if f.causes.is_empty() {
        return Ok(());
    }
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
        numbered(out, indent, i + 1, &format!("{}{by}", c.text), width)?;
    }
    Ok(())
}

fn fixes(
    out: &mut dyn Write,
    f: &Finding,
    lang: Lang,
    indent: &str,
    width: Option<usize>,
) -> io::Result<()> {
    if f.fixes.is_empty() {
        return Ok(());
    }
    writeln!(out, "{indent}{}:", label(Label::Fixes, lang).bold())?;
    for (i, fix) in f.fixes.iter().enumerate() {
        let distro = fix
            .distro
            .as_ref()
            .map(|d| format!(" [{} {d}]", label(Label::Distro, lang)))
            .unwrap_or_default();
        numbered(out, indent, i + 1, &format!("{}{distro}", fix.text), width)?;
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
        // Commands are never wrapped: they must paste as printed.
        if let Some(cmd) = &fix.command {
            for line in cmd.trim_end().lines() {
                writeln!(out, "{indent}     $ {}", line.cyan())?;
            }
        }
    }
    Ok(())
}

/// `  N. text`, the text wrapped under itself.
fn numbered(
    out: &mut dyn Write,
    indent: &str,
    n: usize,
    text: &str,
    width: Option<usize>,
) -> io::Result<()> {
    let hang = format!("{indent}     ");
    let mut lines = wrap(text, &hang, width).into_iter();
    if let Some(first) = lines.next() {
        writeln!(out, "{indent}  {n}. {}", first.trim_start())?;
    }
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// Registry failures the text reports that no rule explains: said plainly, with what was read
/// and the check that can tell more, rather than dropped.
fn unrecognised(
    report: &Report,
    lang: Lang,
    width: Option<usize>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    if report.unrecognised.is_empty() {
        return Ok(());
    }
    let heading = match lang {
        Lang::En => "A registry failure that no rule explains:",
        Lang::Zh => "无法由任何规则解释的仓库错误：",
    };
    writeln!(out, "{}", heading.bold())?;
    for u in &report.unrecognised {
        writeln!(out, "  {:>6} | {}", u.line, u.text)?;
        let facts: Vec<String> = u
            .facts
            .iter()
            .filter(|(k, _)| k.as_str() != "url")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !facts.is_empty() {
            let read = match lang {
                Lang::En => "read",
                Lang::Zh => "读出的信息",
            };
            for l in wrap(&format!("{read}: {}", facts.join("  ")), "         ", width) {
                writeln!(out, "{l}")?;
            }
        }
        let host = u
            .facts
            .get("registry")
            .or_else(|| u.facts.get("realm_host"))
            .map_or("<registry>", String::as_str);
        let next = match lang {
            Lang::En => "to see what the registry does",
            Lang::Zh => "实时检查该仓库",
        };
        writeln!(out, "         $ regdoctor check {host}    ({next})")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckOutcome, Report};

    fn outcome(id: &'static str, status: Status) -> CheckOutcome {
        CheckOutcome {
            id,
            status,
            duration_ms: 3,
            summary: Some(format!("{id} saw something")),
            skip_reason: None,
        }
    }

    fn rendered(opts: &RenderOptions) -> String {
        let mut report = Report::new("check", Lang::En);
        report.checks = vec![
            outcome("dns", Status::Pass),
            outcome("tcp", Status::Fail),
            outcome("tls", Status::Skipped),
            outcome("host", Status::Warn),
        ];
        let report = report.finish();
        let mut out = Vec::new();
        render(&report, opts, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_terminal_folds_the_passes_and_verbose_or_a_pipe_lists_them() {
        let mut opts = RenderOptions {
            color: false,
            unicode: true,
            verbose: false,
            width: Some(80),
            compact: true,
        };
        let terminal = rendered(&opts);
        assert!(!terminal.contains("dns saw"), "{terminal}");
        assert!(
            terminal.contains("1 passed and 1 skipped not shown"),
            "{terminal}"
        );
        // Failures before warnings.
        let (fail, warn) = (
            terminal.find("tcp saw").unwrap(),
            terminal.find("host saw").unwrap(),
        );
        assert!(fail < warn, "{terminal}");
        opts.verbose = true;
        assert!(rendered(&opts).contains("dns saw"));
        opts.verbose = false;
        opts.compact = false;
        let piped = rendered(&opts);
        assert!(
            piped.contains("dns saw") && piped.contains("tls saw"),
            "{piped}"
        );
        // The verdict comes first, right after the (absent) target.
        assert!(piped.starts_with("✖ Not working"), "{piped}");
    }
}
