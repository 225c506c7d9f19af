//! Dispatch: the only place that picks a renderer, a language and a writer.

pub mod check;
pub mod explain;
pub mod rules;

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, Format};
use crate::env::Env;
use crate::i18n::Lang;
use crate::render::{self, RenderOptions};
use crate::report::Report;
use crate::rules::RuleSet;

/// Everything a command needs from the outside world, resolved once.
pub struct Session {
    pub env: Env,
    pub lang: Lang,
    pub format: Format,
    pub render: RenderOptions,
    pub rules: RuleSet,
    /// A progress line is shown on stderr only when stderr is a terminal.
    pub progress: bool,
}

/// Run the command; the returned value is the process exit code.
pub fn run(cli: Cli, env: Env) -> Result<u8> {
    // Generated from the argument definitions: no rules, no language, no report.
    match &cli.command {
        Command::Completions { shell } => return completions(*shell),
        Command::Man => return man_page(),
        _ => {}
    }
    let lang = cli
        .global
        .lang
        .unwrap_or_else(|| Lang::from_locale(|k| env.get(k)));
    let format = match (cli.global.json, cli.global.format) {
        (true, _) => Format::Json,
        (false, Some(f)) => f,
        (false, None) => Format::Human,
    };
    let stdout_tty = std::io::stdout().is_terminal();
    let color = stdout_tty && !cli.global.no_color && !env.no_color() && format == Format::Human;
    colored::control::set_override(color);
    let mut dirs = Vec::new();
    let user_rules = env.config_home().join("regdoctor/rules");
    if user_rules.is_dir() {
        dirs.push(user_rules);
    }
    dirs.extend(cli.global.rules_dirs.iter().cloned());
    let rules = RuleSet::load(&dirs).context("cannot load the rule packs")?;
    let width = report_width(&env, stdout_tty);
    let session = Session {
        env,
        lang,
        format,
        render: RenderOptions {
            color,
            unicode: stdout_tty,
            verbose: cli.global.verbose,
            width,
            compact: stdout_tty,
        },
        rules,
        progress: std::io::stderr().is_terminal() && format == Format::Human,
    };
    match cli.command {
        Command::Check(args) => check::run(&session, *args),
        Command::Explain(args) => explain::run(&session, args),
        Command::Rules(args) => rules::run(&session, args),
        Command::Checks => rules::list_checks(&session),
        Command::Completions { .. } | Command::Man => Ok(0),
    }
}

/// The columns to wrap prose at: `COLUMNS` when set (so a test or a script can ask for a
/// width), else the terminal's; none for a pipe, whose lines are as long as their content.
fn report_width(env: &Env, stdout_tty: bool) -> Option<u16> {
    if let Some(cols) = env
        .get("COLUMNS")
        .and_then(|c| c.trim().parse::<u16>().ok())
    {
        return (cols >= 20).then_some(cols);
    }
    if !stdout_tty {
        return None;
    }
    terminal_size::terminal_size().map(|(terminal_size::Width(w), _)| w)
}

/// Render to stdout, then return the report's exit code.
pub fn emit(session: &Session, report: &Report) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    render::render(report, session.format, &session.render, &mut out)
        .and_then(|()| out.flush())
        .or_else(ignore_broken_pipe)
        .context("cannot write the report")?;
    Ok(report.exit_code())
}

/// `regdoctor ... | head` closing the pipe early is not an error worth a message.
pub fn ignore_broken_pipe(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}

/// A usage error found after clap (a bad target, a bad --resolve): exit 2 with the reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Whether the raw arguments ask for JSON, for errors that happen before (or instead of) a
/// report: a script that passed `--json` reads stdout, and must find a document there.
pub fn wants_json(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--json"
            || a == "--format=json"
            || (a == "--format" && args.get(i + 1).is_some_and(|n| n == "json"))
    })
}

/// The JSON document of a run that ended in an error (exit 2): the message is also on stderr.
#[allow(clippy::print_stdout)]
pub fn print_json_error(kind: &str, message: &str) {
    let doc = serde_json::json!({
        "schema_version": crate::report::SCHEMA_VERSION,
        "tool": crate::report::Tool::default(),
        "error": { "kind": kind, "message": message },
        "exit_code": 2,
    });
    if let Ok(text) = serde_json::to_string_pretty(&doc) {
        println!("{text}");
    }
}

fn completions(shell: clap_complete::Shell) -> Result<u8> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "regdoctor", &mut out);
    write_all_stdout(&out)
}

fn man_page() -> Result<u8> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .context("cannot render the manual page")?;
    write_all_stdout(&out)
}

fn write_all_stdout(bytes: &[u8]) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .or_else(ignore_broken_pipe)
        .context("cannot write to standard output")?;
    Ok(0)
}
