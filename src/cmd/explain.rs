//! `regdoctor explain`: pasted text (arguments, stdin or a file) → ranked causes.

use std::io::{IsTerminal, Read};
use std::time::Instant;

use anyhow::{Context, Result};

use super::{Session, UsageError};
use std::collections::BTreeMap;

use super::check;
use crate::cli::{CheckArgs, ExplainArgs};
use crate::explain;
use crate::explain::lines;
use crate::i18n::{Label, label};
use crate::report::{Finding, InputNote, InputProblem, Report, Verdict};
use crate::rules::facts::{self, Facts};
use crate::rules::matcher::Matcher;
use crate::rules::{Category, Severity};

/// Where the text came from, for saying plainly what was wrong with it.
enum Source<'a> {
    File(&'a std::path::Path),
    Args,
    Stdin,
}

pub fn run(session: &Session, args: ExplainArgs) -> Result<u8> {
    if args.file.is_some() && !args.text.is_empty() {
        return Err(UsageError(
            "give the text either as arguments or with --file, not both (the arguments would be ignored)".into(),
        )
        .into());
    }
    // `explain RD-TLS-001` is the rule's documentation, like `rustc --explain E0308`.
    if let [one] = args.text.as_slice() {
        if crate::rules::is_valid_code(one.trim()) {
            return super::rules::show(session, one.trim());
        }
    }
    if args.check {
        check::validate_timeout(args.timeout)?;
    }
    let started = Instant::now();
    let (source, input): (Source, Box<dyn Read>) = if let Some(path) = &args.file {
        let file = std::fs::File::open(path)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
        (Source::File(path), Box::new(file))
    } else if !args.text.is_empty() {
        (
            Source::Args,
            Box::new(std::io::Cursor::new(args.text.join("\n"))),
        )
    } else {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            return Err(UsageError(
                "nothing to explain: pass the error text as an argument, pipe it in (`docker pull x 2>&1 | regdoctor explain`), or use --file".into(),
            )
            .into());
        }
        (Source::Stdin, Box::new(stdin.lock()))
    };
    let what = match &source {
        Source::File(p) => p.display().to_string(),
        Source::Args => "the text".into(),
        Source::Stdin => "standard input".into(),
    };
    let mut input = input;
    let head = read_head(&mut input).with_context(|| format!("cannot read {what}"))?;
    let encoding = match lines::sniff(&head) {
        lines::InputKind::Empty => {
            return emit_input_problem(session, started, InputProblem::Empty, &source, "");
        }
        // A known format (an executable holds every error string of its own rules) is
        // refused outright; other bytes may be a log with some garbage in it.
        lines::InputKind::Binary(kind) if kind != lines::UNKNOWN_BINARY => {
            return emit_input_problem(session, started, InputProblem::Binary, &source, kind);
        }
        lines::InputKind::Binary(_) => lines::Encoding::Utf8,
        lines::InputKind::Text(encoding) => encoding,
    };
    let unknown_binary = lines::sniff(&head) == lines::InputKind::Binary(lines::UNKNOWN_BINARY);
    let matcher = Matcher::new(&session.rules).context("cannot compile the rule patterns")?;
    let mut text = ErrorWords::new(lines::Decoded::new(
        std::io::Cursor::new(head).chain(input),
        encoding,
    ))
    .context("cannot build the error-word search")?;
    let explained = explain::explain(&session.rules, &matcher, &mut text, session.lang)
        .with_context(|| format!("cannot read {what}"))?;
    if explained.findings.is_empty() && unknown_binary {
        let kind = lines::UNKNOWN_BINARY;
        return emit_input_problem(session, started, InputProblem::Binary, &source, kind);
    }
    if explained.findings.is_empty() && explained.unrecognised.is_empty() && !text.seen {
        return emit_input_problem(session, started, InputProblem::NoErrorText, &source, "");
    }

    let mut report = Report::new("explain", session.lang);
    report.findings = explained.findings;
    let read = text_facts(&explained.extracted);
    facts::fit(&mut report.findings, &read);
    report.facts = Some(read);
    report.unrecognised = explained.unrecognised;
    // Each unrecognised line already names the check to run.
    if report.findings.is_empty() && report.unrecognised.is_empty() {
        let hint = match explained.extracted.get("registry") {
            Some(reg) => format!(
                "{}: regdoctor check {reg}",
                label(Label::TryCheck, session.lang)
            ),
            None => format!(
                "{}: regdoctor check <registry>",
                label(Label::TryCheck, session.lang)
            ),
        };
        report.suggestion = Some(hint);
    }
    if args.check {
        live_check(session, &mut report, &explained.extracted, args.timeout)?;
    }
    report.extracted = explained.extracted;
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    super::emit(session, &report.finish())
}

/// The first `SNIFF` bytes (fewer only at the end of the input).
fn read_head(input: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(lines::SNIFF);
    input.take(lines::SNIFF as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// A report that says what is wrong with the input itself, with its own exit code.
fn emit_input_problem(
    session: &Session,
    started: Instant,
    problem: InputProblem,
    source: &Source,
    kind: &str,
) -> Result<u8> {
    let lang = session.lang;
    let zh = lang == crate::i18n::Lang::Zh;
    let pipe_hint_en = "Docker and most clients print their errors on stderr, which `|` alone does not carry: run `docker pull IMAGE 2>&1 | regdoctor explain`.";
    let pipe_hint_zh = "Docker 和大多数客户端把错误输出到 stderr，单独的 `|` 不会传递它：请运行 `docker pull IMAGE 2>&1 | regdoctor explain`。";
    let message = match (problem, source) {
        (InputProblem::Empty, Source::Stdin) if zh => format!("标准输入上什么也没有收到。{pipe_hint_zh}"),
        (InputProblem::Empty, Source::Stdin) => format!("Nothing arrived on standard input. {pipe_hint_en}"),
        (InputProblem::Empty, Source::File(p)) if zh => format!("{} 是空的（没有内容，或只有空行）。", p.display()),
        (InputProblem::Empty, Source::File(p)) => format!("{} is empty (no bytes, or only blank lines).", p.display()),
        (InputProblem::Empty, Source::Args) if zh => "给出的文本是空的。".to_string(),
        (InputProblem::Empty, Source::Args) => "The text given is empty.".to_string(),
        (InputProblem::Binary, source) => {
            let what = match source {
                Source::File(p) => p.display().to_string(),
                Source::Stdin if zh => "标准输入".into(),
                Source::Stdin => "Standard input".into(),
                Source::Args if zh => "给出的文本".into(),
                Source::Args => "The text".into(),
            };
            if zh {
                format!("{what} 不是文本（看起来是{}）：explain 读取的是错误信息和日志，请传入日志或错误文本。", kind_zh(kind))
            } else {
                format!("{what} is not text (it looks like {kind}): explain reads error messages and logs. Give it the log or the error text instead.")
            }
        }
        (InputProblem::NoErrorText, Source::Stdin) if zh => format!("输入中没有任何错误信息。{pipe_hint_zh}"),
        (InputProblem::NoErrorText, Source::Stdin) => format!("The input holds no error message. {pipe_hint_en}"),
        (InputProblem::NoErrorText, _) if zh => "文本中没有任何错误信息（没有 `error`、`denied`、`failed` 之类的词）。如果它是某个命令的输出，请同时捕获 stderr（`2>&1`）。".to_string(),
        (InputProblem::NoErrorText, _) => "The text holds no error message (no word like `error`, `denied` or `failed`). If it is a command's output, capture its stderr too (`2>&1`).".to_string(),
    };
    let mut report = Report::new("explain", lang);
    report.input = Some(InputNote { problem, message });
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    super::emit(session, &report.finish())
}

fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "an ELF executable" => "ELF 可执行文件",
        "a Windows executable" => "Windows 可执行文件",
        "a Mach-O executable" => "Mach-O 可执行文件",
        "a gzip archive" => "gzip 压缩包",
        "a zip archive" => "zip 压缩包",
        "a zstd archive" => "zstd 压缩包",
        "a PNG image" => "PNG 图片",
        "a PDF document" => "PDF 文档",
        _ => "二进制数据",
    }
}

/// Passes the text through and notes whether any word of an error message went by, so that
/// "no known error" is told apart from "no error at all" (stdout piped without stderr).
struct ErrorWords<R> {
    inner: R,
    finder: aho_corasick::AhoCorasick,
    /// The end of the previous chunk, for a word cut in two by a read.
    tail: Vec<u8>,
    seen: bool,
}

const ERROR_WORDS: &[&str] = &[
    "error",
    "denied",
    "fail",
    "unauthori",
    "forbidden",
    "refused",
    "timeout",
    "timed out",
    "x509",
    "no such",
    "not found",
    "invalid",
    "cannot",
    "can't",
    "unable",
    "exceeded",
    "unexpected",
    "reset",
    "unknown",
    "错误",
    "失败",
    "拒绝",
];

impl<R: Read> ErrorWords<R> {
    fn new(inner: R) -> Result<Self, aho_corasick::BuildError> {
        let finder = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(ERROR_WORDS)?;
        Ok(ErrorWords {
            inner,
            finder,
            tail: Vec::new(),
            seen: false,
        })
    }
}

impl<R: Read> Read for ErrorWords<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if !self.seen && n > 0 {
            self.tail.extend_from_slice(&buf[..n]);
            self.seen = self.finder.is_match(&self.tail[..]);
            let keep = self.tail.len().saturating_sub(16);
            self.tail.drain(..keep);
        }
        Ok(n)
    }
}

/// What the text tells about the situation: the client that printed it, the registry's product
/// (from its host name or token realm) and whether that host is loopback, private or public.
/// The OS is not known: a log may come from any machine.
fn text_facts(extracted: &BTreeMap<String, String>) -> Facts {
    let registry = extracted.get("registry").map(String::as_str);
    let product = registry
        .and_then(facts::product_from_host)
        .or_else(|| {
            extracted
                .get("realm")
                .and_then(|r| facts::product_from_realm(r))
        })
        .or_else(|| {
            extracted
                .get("realm_host")
                .and_then(|h| facts::product_from_host(h))
        });
    Facts {
        product: product.map(str::to_string),
        // The fixes name the client family: the daemon's own log lines are Docker's.
        client: extracted
            .get("client")
            .map(|c| if c == "dockerd" { "docker" } else { c.as_str() })
            .filter(|c| facts::CLIENTS.contains(c))
            .map(str::to_string),
        host: registry
            .and_then(facts::host_class_of_name)
            .map(str::to_string),
        os: None,
    }
}

/// The categories the live checks can observe: a text match in one of these that no check
/// reproduces is said to be not reproduced, rather than left standing as if confirmed.
const LIVE_CATEGORIES: &[Category] = &[
    Category::DnsResolution,
    Category::NetworkUnreachable,
    Category::ProxyMisconfig,
    Category::TlsUnknownAuthority,
    Category::TlsExpiredOrClock,
    Category::TlsHostnameMismatch,
    Category::HttpVsHttps,
    Category::NotARegistry,
];

/// The client the text came from, as `--client` names it. BuildKit's "failed to solve" comes
/// from dockerd's builder unless a standalone buildkitd has its own configuration.
fn text_client(extracted: &BTreeMap<String, String>) -> Option<String> {
    let name = extracted.get("client")?;
    let standalone = std::path::Path::new("/etc/buildkit/buildkitd.toml").exists();
    let name = if name == "buildkit" && !standalone {
        "docker"
    } else {
        name.as_str()
    };
    crate::clients::Client::parse(name).map(|_| name.to_string())
}

fn live_check(
    session: &Session,
    report: &mut Report,
    extracted: &BTreeMap<String, String>,
    timeout: f64,
) -> Result<()> {
    let Some(registry) = extracted.get("registry") else {
        report.suggestion = Some(label(Label::NoHostToCheck, session.lang).to_string());
        return Ok(());
    };
    let target = crate::target::parse_target(&format!("{registry}/"))
        .or_else(|_| crate::target::parse_target(registry))
        .map_err(|e| {
            UsageError(format!(
                "the registry found in the text, {registry:?}, is not usable: {e}"
            ))
        })?;
    let args = CheckArgs {
        target: Some(registry.clone()),
        timeout,
        client: text_client(extracted).into_iter().collect(),
        ..CheckArgs::default()
    };
    let opts = check::options(session, &args)?;
    let judged = opts.clients.clone();
    let plan = crate::probe::engine::plan(&[], &[]).map_err(|e| UsageError(e.to_string()))?;
    let (outcomes, live, live_facts) = check::run_checks(session, &target, opts, plan, timeout)?;
    // Only what lies on the path of the client the text came from confirms a cause.
    let live: Vec<Finding> = live
        .into_iter()
        .filter(|f| f.clients.is_empty() || f.clients.iter().any(|c| judged.contains(c)))
        .collect();
    facts::fit(&mut report.findings, &live_facts);
    // What the checks saw wins over what the text suggested; the client stays the text's.
    let client = report.facts.as_ref().and_then(|f| f.client.clone());
    report.facts = Some(Facts {
        client,
        ..live_facts
    });
    let live_categories: Vec<Category> = live
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.category)
        .collect();
    for f in &mut report.findings {
        if live_categories.contains(&f.category) {
            f.verdict = Some(Verdict::Confirmed);
        } else if LIVE_CATEGORIES.contains(&f.category) {
            f.verdict = Some(Verdict::NotReproduced);
        }
    }
    // Confirmed causes first, then the live findings the text did not mention, then the rest.
    let mut ranked: Vec<Finding> = Vec::new();
    let (confirmed, rest): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut report.findings)
        .into_iter()
        .partition(|f| f.verdict == Some(Verdict::Confirmed));
    ranked.extend(confirmed);
    let mentioned: Vec<Category> = ranked.iter().chain(&rest).map(|f| f.category).collect();
    ranked.extend(
        live.into_iter()
            .filter(|f| !mentioned.contains(&f.category)),
    );
    ranked.extend(rest);
    report.findings = ranked;
    report.target = Some(check::target_info(&target, registry.clone()));
    report.checks = outcomes;
    Ok(())
}
