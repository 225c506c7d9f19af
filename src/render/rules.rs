//! `regdoctor rules` (a table of every rule), `regdoctor rules CODE` (one rule in full, like
//! `rustc --explain`), and `regdoctor checks`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use colored::Colorize;
use comfy_table::{ContentArrangement, Table, presets};

use super::RenderOptions;
use crate::cli::Format;
use crate::i18n::{Label, Lang, label};
use crate::probe::PROBES;
use crate::rules::{Rule, RuleSet, diagnose};

pub fn list(
    rules: &RuleSet,
    format: Format,
    lang: Lang,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let active: Vec<&Rule> = rules.active().collect();
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = active
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code, "name": r.name, "category": r.category,
                        "severity": r.severity, "title": r.title.get(lang),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &items).map_err(super::json::json_io_error)?;
            writeln!(out)
        }
        Format::Markdown => {
            writeln!(out, "| code | category | title |\n|---|---|---|")?;
            for r in active {
                writeln!(
                    out,
                    "| `{}` | {} | {} |",
                    r.code,
                    r.category.id(),
                    r.title.get(lang)
                )?;
            }
            Ok(())
        }
        Format::Human => {
            let mut t = Table::new();
            t.load_style(if opts.unicode {
                presets::UTF8_FULL_CONDENSED
            } else {
                presets::ASCII_FULL_CONDENSED
            });
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_header(vec![
                label(Label::Code, lang),
                label(Label::Category, lang),
                label(Label::Title, lang),
            ]);
            for r in active {
                t.add_row(vec![
                    r.code.clone(),
                    r.category.id().to_string(),
                    r.title.get(lang).to_string(),
                ]);
            }
            writeln!(out, "{t}")
        }
    }
}

/// ` [only where product: harbor; not where host: loopback]`, or nothing.
fn conditions_note(
    when: Option<&crate::rules::facts::Conditions>,
    unless: Option<&crate::rules::facts::Conditions>,
    lang: Lang,
) -> String {
    let list = |c: &crate::rules::facts::Conditions| {
        [
            ("product", &c.product),
            ("client", &c.client),
            ("host", &c.host),
            ("os", &c.os),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}: {}", v.join("/")))
        .collect::<Vec<_>>()
        .join(", ")
    };
    let (only, not) = match lang {
        Lang::En => ("only where", "not where"),
        Lang::Zh => ("仅适用于", "不适用于"),
    };
    let mut parts = Vec::new();
    if let Some(w) = when {
        parts.push(format!("{only} {}", list(w)));
    }
    if let Some(u) = unless {
        parts.push(format!("{not} {}", list(u)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" [{}]", parts.join("; "))
    }
}

pub fn show(
    rule: &Rule,
    format: Format,
    lang: Lang,
    _opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, rule).map_err(super::json::json_io_error)?;
        return writeln!(out);
    }
    let mut f = diagnose::finding(rule, lang, &BTreeMap::new());
    // A rule shown in full says where each cause and fix applies (checks/README.md).
    for c in &mut f.causes {
        c.text
            .push_str(&conditions_note(c.when.as_ref(), c.unless.as_ref(), lang));
    }
    for x in &mut f.fixes {
        x.text
            .push_str(&conditions_note(x.when.as_ref(), x.unless.as_ref(), lang));
    }
    writeln!(out, "{} {} ({})", f.code.bold(), f.title.bold(), rule.name)?;
    writeln!(out)?;
    writeln!(
        out,
        "{}: {}    {}: {}",
        label(Label::Category, lang),
        f.category.id(),
        label(Label::Severity, lang),
        f.severity.as_str()
    )?;
    writeln!(out)?;
    writeln!(out, "{}", f.why)?;
    writeln!(out)?;
    super::human::causes_and_fixes(out, &f, lang, "")?;
    if !rule.patterns.is_empty() {
        writeln!(out, "\n{}:", label(Label::Patterns, lang).bold())?;
        for p in &rule.patterns {
            let client = p
                .client
                .as_ref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            writeln!(out, "  /{}/{}", p.regex, client)?;
        }
    }
    if !rule.observations.is_empty() {
        writeln!(
            out,
            "\n{}: {}",
            label(Label::Observes, lang).bold(),
            rule.observations.join(", ")
        )?;
    }
    writeln!(
        out,
        "\n{}: {}",
        label(Label::Source, lang),
        diagnose::readable_source(&rule.source, lang)
    )
}

pub fn checks(format: Format, out: &mut dyn Write) -> io::Result<()> {
    if format == Format::Json {
        let items: Vec<serde_json::Value> = PROBES
            .iter()
            .map(|p| serde_json::json!({"id": p.id, "needs": p.needs, "timeout_ms": p.timeout.as_millis() as u64, "doc": p.doc}))
            .collect();
        serde_json::to_writer_pretty(&mut *out, &items).map_err(super::json::json_io_error)?;
        return writeln!(out);
    }
    let id_width = PROBES.iter().map(|p| p.id.len()).max().unwrap_or(0);
    for p in PROBES {
        let needs = if p.needs.is_empty() {
            String::new()
        } else {
            format!(" (after {})", p.needs.join(", "))
        };
        writeln!(out, "{:<id_width$}  {}{}", p.id, p.doc, needs)?;
    }
    Ok(())
}
