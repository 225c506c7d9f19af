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
        Pass => ("pass", "通过"),
        Warn => ("warn", "警告"),
        Fail => ("fail", "失败"),
        SeverityError => ("error", "错误"),
        SeverityWarning => ("warning", "警告"),
        SeverityInfo => ("note", "提示"),
        VerdictBroken => ("Not working", "无法正常工作"),
        VerdictWarn => ("Works, with warnings", "可以使用，但有警告"),
        VerdictHealthy => ("Healthy", "正常"),
        VerdictLikely => ("Most likely cause", "最可能的原因"),
        VerdictFailedCheck => ("a check failed", "有检查项失败"),
        Checks => ("Checks", "检查"),
        FittedTo => ("Fixes fitted to", "修复建议适用于"),
        FactProduct => ("registry", "仓库类型"),
        FactClient => ("client", "客户端"),
        FactHost => ("host", "主机"),
        LiveConfirmed => (
            "live check: confirmed on the registry",
            "实时检查：已在镜像仓库上确认",
        ),
        LiveNotReproduced => (
            "live check: not reproduced (the checks of this kind passed)",
            "实时检查：未复现（此类检查均已通过）",
        ),
        NoHostToCheck => (
            "--check: the text names no registry host, so no live check ran. Run `regdoctor check <registry>` yourself.",
            "--check：文本中没有镜像仓库地址，因此没有运行实时检查。请自行运行 `regdoctor check <registry>`。",
        ),
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
    Pass,
    Warn,
    Fail,
    SeverityError,
    SeverityWarning,
    SeverityInfo,
    VerdictBroken,
    VerdictWarn,
    VerdictHealthy,
    VerdictLikely,
    VerdictFailedCheck,
    Checks,
    FittedTo,
    FactProduct,
    FactClient,
    FactHost,
    LiveConfirmed,
    LiveNotReproduced,
    NoHostToCheck,
}

/// "1 failed, 2 with warnings, 14 passed, 4 skipped", leaving out the zeros.
pub fn checks_tally(
    lang: Lang,
    failed: usize,
    warned: usize,
    passed: usize,
    skipped: usize,
) -> String {
    let parts: [(usize, &str, &str); 4] = [
        (failed, "failed", "项失败"),
        (warned, "with warnings", "项有警告"),
        (passed, "passed", "项通过"),
        (skipped, "skipped", "项跳过"),
    ];
    let shown: Vec<String> = parts
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, en, zh)| match lang {
            Lang::En => format!("{n} {en}"),
            Lang::Zh => format!("{n} {zh}"),
        })
        .collect();
    match lang {
        Lang::En => shown.join(", "),
        Lang::Zh => shown.join("，"),
    }
}

/// The line that stands for the checks a terminal report folds away.
pub fn folded_checks(lang: Lang, passed: usize, skipped: usize) -> String {
    match lang {
        Lang::En => format!("{passed} passed and {skipped} skipped not shown (-v lists them)"),
        Lang::Zh => format!("另有 {passed} 项通过、{skipped} 项跳过未列出（加 -v 显示）"),
    }
}

/// The line after a capped list of findings.
pub fn more_findings(lang: Lang, n: usize) -> String {
    match lang {
        Lang::En => format!("… and {n} more (-v or --json shows them all)"),
        Lang::Zh => format!("……另有 {n} 项（加 -v 或 --json 显示全部）"),
    }
}

/// "1 error, 2 warnings, 3 notes" for the findings heading.
pub fn findings_tally(lang: Lang, errors: usize, warnings: usize, notes: usize) -> String {
    match lang {
        Lang::En => format!("{errors} error(s), {warnings} warning(s), {notes} note(s)"),
        Lang::Zh => format!("{errors} 个错误，{warnings} 个警告，{notes} 条提示"),
    }
}

/// An evidence label in the report's language. Labels that are names (HTTP headers, files,
/// settings) stay as they are: they are what a user searches for.
pub fn evidence_label(label: &str, lang: Lang) -> &str {
    if lang == Lang::En {
        return label;
    }
    match label {
        "file" => "文件",
        "request" => "请求",
        "status" => "状态",
        "error" => "错误",
        "as" => "身份",
        "address" => "地址",
        "realm request" => "令牌服务请求",
        "credentials" => "凭据",
        "setting" => "设置",
        "name" => "名称",
        "body" => "响应正文",
        "asked" => "请求的权限",
        "target" => "目标",
        "result" => "结果",
        "registry-mirrors entry" => "registry-mirrors 条目",
        "registry" => "镜像仓库",
        "reference" => "镜像引用",
        "realm" => "令牌服务 (realm)",
        "proxy" => "代理",
        "product" => "产品",
        "podman pulls" => "podman 拉取",
        "meaning" => "含义",
        "handshake error" => "握手错误",
        "flag" => "参数",
        "finding" => "发现",
        "did you mean" => "是否想输入",
        "connect" => "连接",
        "at" => "位置",
        "why plain HTTP" => "为何使用明文 HTTP",
        "why Docker allows it" => "Docker 为何允许",
        "why" => "原因",
        "what to change" => "需要修改",
        "wanted" => "期望",
        "verifier" => "校验方",
        "trust" => "信任",
        "stored under" => "保存位置",
        "short name" => "短名称",
        "set in" => "设置于",
        "search domains" => "搜索域",
        "scope" => "权限范围",
        "requirements" => "要求",
        "regdoctor's handshake" => "regdoctor 的握手",
        "problem" => "问题",
        "plain HTTP GET /v2/" => "明文 HTTP GET /v2/",
        "on disk" => "磁盘上",
        "offered" => "服务器提供",
        "note" => "说明",
        "not sent" => "未发送",
        "mirror" => "镜像加速器",
        "media type" => "媒体类型",
        "key" => "密钥",
        "issuer through the proxy" => "经代理看到的签发者",
        "issuer certificate URL (AIA)" => "签发者证书地址 (AIA)",
        "insecure-registries entry" => "insecure-registries 条目",
        "in the files" => "文件中",
        "host" => "主机",
        "hop" => "环节",
        "handshake" => "握手",
        "TLS handshake" => "TLS 握手",
        "granted" => "已授予",
        "found" => "找到",
        "entry" => "条目",
        "docker pulls" => "docker 拉取",
        "docker info (running daemon)" => "docker info（运行中的守护进程）",
        "direct" => "直连",
        "decision" => "判断",
        "corrected" => "更正为",
        "auth" => "认证",
        "answer of each server" => "各服务器的应答",
        "also set" => "同时设置了",
        "address format" => "地址格式",
        "address families" => "地址族",
        "Docker looks up" => "Docker 查找",
        "DNS answer" => "DNS 应答",
        "subject" => "主题",
        "issuer" => "签发者",
        "expires" => "到期",
        "not after" => "有效期至",
        "not before" => "生效时间",
        "chain" => "证书链",
        "certificate" => "证书",
        "elapsed" => "耗时",
        "duration" => "耗时",
        "free" => "可用空间",
        "path" => "路径",
        "addresses" => "地址",
        "user" => "用户",
        "username" => "用户名",
        "source" => "来源",
        "value" => "值",
        "line" => "行",
        "expected" => "期望",
        "got" => "实际",
        "tag" => "标签",
        "repository" => "仓库",
        "platform" => "平台",
        "platforms" => "平台",
        other => other,
    }
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
