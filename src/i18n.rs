//! Languages, bilingual text, and the report's own fixed wording (rule text lives in `checks/`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// The default language from the locale variables, in POSIX precedence
    /// (`LC_ALL` over `LC_MESSAGES` over `LANG`): any `zh*` locale means Chinese.
    pub fn from_locale(get: impl Fn(&str) -> Option<String>) -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| get(k))
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        if locale.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

/// A sentence in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl Text {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Text {
        Text {
            en: en.into(),
            zh: zh.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            // A missing translation falls back to English rather than printing nothing.
            Lang::Zh if self.zh.is_empty() => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// The report's fixed labels. One function per phrase keeps every pair next to each other.
pub fn label(key: Label, lang: Lang) -> &'static str {
    use Label::*;
    let (en, zh) = match key {
        Check => ("Check", "检查项"),
        Status => ("Status", "状态"),
        Time => ("Time", "耗时"),
        Observed => ("Observed", "观察结果"),
        Evidence => ("Evidence", "证据"),
        LikelyCauses => ("Likely causes", "可能原因"),
        Fixes => ("How to fix", "修复方法"),
        Confirm => ("decided by", "可由以下检查确认"),
        Source => ("Source", "来源"),
        NoProblems => ("No problems found.", "未发现问题。"),
        ProblemsFound => ("problem(s) found", "个问题"),
        Target => ("Target", "目标"),
        Findings => ("Findings", "发现"),
        Matches => (
            "Likely causes, most likely first",
            "可能原因（按可能性排序）",
        ),
        NoMatch => (
            "No known registry error was found in this text.",
            "在这段文本中没有找到已知的镜像仓库错误。",
        ),
        TryCheck => (
            "To test the registry itself, run",
            "要直接检测镜像仓库，请运行",
        ),
        Lines => ("matched lines", "匹配的行"),
        Extracted => ("Found in the text", "从文本中提取"),
        File => ("file", "文件"),
        Skipped => ("skipped", "已跳过"),
        Code => ("Code", "代码"),
        Category => ("Category", "类别"),
        Severity => ("Severity", "严重程度"),
        Patterns => ("Matches text like", "匹配的错误文本"),
        Observes => ("Raised by check", "由检查触发"),
        Title => ("Title", "标题"),
        Distro => ("on", "适用于"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Label {
    Check,
    Status,
    Time,
    Observed,
    Evidence,
    LikelyCauses,
    Fixes,
    Confirm,
    Source,
    NoProblems,
    ProblemsFound,
    Target,
    Findings,
    Matches,
    NoMatch,
    TryCheck,
    Lines,
    Extracted,
    File,
    Skipped,
    Code,
    Category,
    Severity,
    Patterns,
    Observes,
    Title,
    Distro,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn locale_picks_the_language() {
        assert_eq!(Lang::from_locale(env(&[("LANG", "zh_CN.UTF-8")])), Lang::Zh);
        assert_eq!(Lang::from_locale(env(&[("LANG", "en_US.UTF-8")])), Lang::En);
        assert_eq!(Lang::from_locale(env(&[])), Lang::En);
        // LC_ALL wins over LANG, and an empty value does not count.
        assert_eq!(
            Lang::from_locale(env(&[("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_locale(env(&[("LC_ALL", ""), ("LANG", "zh_TW.UTF-8")])),
            Lang::Zh
        );
    }

    #[test]
    fn missing_translation_falls_back_to_english() {
        let t = Text::new("hello", "");
        assert_eq!(t.get(Lang::Zh), "hello");
        assert_eq!(Text::new("a", "乙").get(Lang::Zh), "乙");
    }
}
