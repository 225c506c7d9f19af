//! Observations (from `check`) and rule matches (from `explain`) become findings the same way,
//! so both commands say the same thing in the same words.

use std::collections::BTreeMap;

use crate::i18n::Lang;
use crate::observe::Observation;
use crate::report::{CauseOut, Finding, FixOut};

use super::category::Category;
use super::{Rule, RuleSet};

/// A finding for `rule`, in `lang`, with `{placeholders}` filled from `vars`.
pub fn finding(rule: &Rule, lang: Lang, vars: &BTreeMap<String, String>) -> Finding {
    let fill = |s: &str| fill_placeholders(s, vars);
    Finding {
        code: rule.code.clone(),
        name: rule.name.clone(),
        category: rule.category,
        severity: rule.severity,
        check: None,
        clients: Vec::new(),
        title: fill(pick(lang, &rule.title.en, &rule.title.zh)),
        why: fill(pick(lang, &rule.why.en, &rule.why.zh)),
        evidence: Vec::new(),
        causes: rule
            .causes
            .iter()
            .map(|c| CauseOut {
                text: fill(pick(lang, &c.en, &c.zh)),
                checks: c.checks.clone(),
                when: c.when.clone(),
                unless: c.unless.clone(),
            })
            .collect(),
        fixes: rule
            .fixes
            .iter()
            .map(|f| FixOut {
                text: fill(pick(lang, &f.en, &f.zh)),
                command: f.command.as_deref().map(fill),
                file: f.file.as_deref().map(fill),
                snippet: f.snippet.as_deref().map(fill),
                distro: f.distro.clone(),
                when: f.when.clone(),
                unless: f.unless.clone(),
            })
            .collect(),
        source: readable_source(&rule.source, lang),
        score: None,
        lines: Vec::new(),
        verdict: None,
    }
}

/// The source documents behind the rules (`/work/shared/seeds/README.md`), by the titles a
/// reader can ask for, instead of their internal numbers.
const SEED_TITLES: &[(&str, &str, &str)] = &[
    (
        "seed 000",
        "Alibaba Cloud ACR troubleshooting guide",
        "阿里云 ACR 问题排查指南",
    ),
    (
        "seed 001",
        "incident report \"wrong use of the ACR mirror\"",
        "事故报告《ACR 镜像加速器的错误用法》",
    ),
    (
        "seed 002",
        "FAQ of a self-hosted pull-through cache (distribution proxy mode)",
        "自建拉取缓存（distribution 代理模式）常见问题",
    ),
    (
        "seed 003",
        "Huawei Cloud SWR FAQ (2023-08-04)",
        "华为云 SWR 常见问题（2023-08-04）",
    ),
    (
        "seed 004",
        "push guide for ACR and self-hosted registries",
        "ACR 与自建仓库推送指南",
    ),
];

/// A rule's `source` with the seed numbers replaced by document titles (sections stay).
pub fn readable_source(source: &str, lang: Lang) -> String {
    let mut out = source.to_string();
    for (id, en, zh) in SEED_TITLES {
        if out.contains(id) {
            out = out.replace(id, pick(lang, en, zh));
        }
    }
    out
}

fn pick<'a>(lang: Lang, en: &'a str, zh: &'a str) -> &'a str {
    match lang {
        Lang::Zh if !zh.trim().is_empty() => zh,
        _ => en,
    }
}

/// `{name}` becomes the value, or `<name>` when nothing was observed for it. Braces that are
/// not a placeholder (JSON snippets) are left as they are.
pub fn fill_placeholders(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            match vars.get(name) {
                Some(v) => out.push_str(v),
                None => {
                    out.push('<');
                    out.push_str(name);
                    out.push('>');
                }
            }
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The category a finding ranks as. A token realm that refuses or drops connections is, by the
/// taxonomy, a token endpoint problem (`auth_token_endpoint`: "the realm is unreachable"), so
/// the realm hop's connection failures rank with it, after the auth check's own finding; a
/// realm name that does not resolve stays `dns_resolution`, which names the realm too.
fn rank_category(f: &Finding) -> Category {
    if f.check.as_deref() == Some("realm-path") && f.category == Category::NetworkUnreachable {
        Category::AuthTokenEndpoint
    } else {
        f.category
    }
}

/// Findings about the registry's own path come before those about a side hop (the realm, a
/// mirror) of the same rank.
fn on_hop(f: &Finding) -> bool {
    matches!(f.check.as_deref(), Some("realm-path" | "mirror-path"))
}

/// Findings from a check run: one per observation, ranked with the likeliest root cause first:
/// errors before warnings before notes, then the lower network layer first (a DNS failure
/// explains everything after it), then the more specific rule.
pub fn from_observations(
    rules: &RuleSet,
    lang: Lang,
    observations: &[(String, Observation)],
) -> Vec<Finding> {
    let mut ranked: Vec<(Finding, u8)> = Vec::new();
    for (check, obs) in observations {
        let Some(rule) = rules.for_observation(&obs.key) else {
            // A probe emitted a key no rule explains: a bug the registry tests catch. Keep the
            // evidence visible rather than dropping it.
            continue;
        };
        let mut f = finding(rule, lang, &obs.vars);
        f.check = Some(check.clone());
        f.clients = obs.clients.clone();
        f.evidence = obs.evidence.clone();
        if let Some(sev) = obs.severity {
            f.severity = sev;
        }
        ranked.push((f, rule.priority));
    }
    ranked.sort_by(|(a, pa), (b, pb)| {
        b.severity
            .cmp(&a.severity)
            .then(rank_category(a).cmp(&rank_category(b)))
            .then(on_hop(a).cmp(&on_hop(b)))
            .then(pb.cmp(pa))
    });
    ranked.into_iter().map(|(f, _)| f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_or_shown_as_unknown() {
        let mut vars = BTreeMap::new();
        vars.insert("registry".to_string(), "r.example:5000".to_string());
        assert_eq!(
            fill_placeholders("/etc/docker/certs.d/{registry}/ca.crt", &vars),
            "/etc/docker/certs.d/r.example:5000/ca.crt"
        );
        assert_eq!(
            fill_placeholders("docker pull {image}", &vars),
            "docker pull <image>"
        );
        let json = r#"{ "insecure-registries": ["{registry}"] }"#;
        assert_eq!(
            fill_placeholders(json, &vars),
            r#"{ "insecure-registries": ["r.example:5000"] }"#
        );
        assert_eq!(
            fill_placeholders("{ unterminated {abc", &vars),
            "{ unterminated {abc"
        );
    }
}
