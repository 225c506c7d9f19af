//! The verdict block both text renderers draw first: one line per client judged.

use crate::i18n::Lang;
use crate::report::{ClientOutcome, ClientVerdict, Report};

/// The block's heading.
pub fn heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Per client",
        Lang::Zh => "各客户端结论",
    }
}

/// One line per client: the programs, then "works" or where and why it fails.
pub fn lines(report: &Report) -> Vec<(String, String)> {
    report
        .clients
        .iter()
        .map(|v| (v.programs.clone(), outcome(v, report.lang)))
        .collect()
}

fn outcome(v: &ClientVerdict, lang: Lang) -> String {
    match (v.verdict, lang) {
        (ClientOutcome::Works, Lang::En) => "works".into(),
        (ClientOutcome::Works, Lang::Zh) => "可以正常使用".into(),
        (ClientOutcome::Fails, _) => {
            let stage = v.stage.as_deref().unwrap_or("?");
            let title = v.title.as_deref().unwrap_or_default();
            let code = v.code.as_deref().unwrap_or_default();
            let category = v.category.map(|c| c.id()).unwrap_or_default();
            match lang {
                Lang::En => format!("fails at {stage}: {title} [{code}, {category}]"),
                Lang::Zh => format!("在 {stage} 这一步失败：{title} [{code}, {category}]"),
            }
        }
    }
}
