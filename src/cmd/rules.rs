//! `regdoctor rules [CODE]` and `regdoctor checks`: the knowledge base as documentation.

use std::io::Write;

use anyhow::Result;

use super::{Session, UsageError};
use crate::render;

pub fn run(session: &Session, args: crate::cli::RulesArgs) -> Result<u8> {
    match args.code {
        Some(code) => show(session, &code),
        None => write_stdout(|out| {
            render::rules::list(
                &session.rules,
                session.format,
                session.lang,
                &session.render,
                out,
            )
        }),
    }
}

pub fn show(session: &Session, code: &str) -> Result<u8> {
    let rule = session
        .rules
        .get(code)
        .ok_or_else(|| UsageError(format!("no rule {code:?}; `regdoctor rules` lists them")))?;
    write_stdout(|out| {
        render::rules::show(rule, session.format, session.lang, &session.render, out)
    })
}

pub fn list_checks(session: &Session) -> Result<u8> {
    write_stdout(|out| render::rules::checks(session.format, out))
}

/// Render to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    render(&mut out)
        .and_then(|()| out.flush())
        .or_else(super::ignore_broken_pipe)
        .map_err(|e| anyhow::anyhow!("cannot write: {e}"))?;
    Ok(0)
}
