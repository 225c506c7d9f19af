//! `regdoctor rules [CODE]` and `regdoctor checks`: the knowledge base as documentation.

use std::io::Write;

use anyhow::{Context, Result};

use super::{Session, UsageError, ignore_broken_pipe};
use crate::render;

pub fn run(session: &Session, args: crate::cli::RulesArgs) -> Result<u8> {
    match args.code {
        Some(code) => show(session, &code),
        None => {
            let mut out = std::io::stdout().lock();
            render::rules::list(
                &session.rules,
                session.format,
                session.lang,
                &session.render,
                &mut out,
            )
            .and_then(|()| out.flush())
            .or_else(ignore_broken_pipe)
            .context("cannot write")?;
            Ok(0)
        }
    }
}

pub fn show(session: &Session, code: &str) -> Result<u8> {
    let rule = session
        .rules
        .get(code)
        .ok_or_else(|| UsageError(format!("no rule {code:?}; `regdoctor rules` lists them")))?;
    let mut out = std::io::stdout().lock();
    render::rules::show(
        rule,
        session.format,
        session.lang,
        &session.render,
        &mut out,
    )
    .and_then(|()| out.flush())
    .or_else(ignore_broken_pipe)
    .context("cannot write")?;
    Ok(0)
}

pub fn list_checks(session: &Session) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    render::rules::checks(session.format, &mut out)
        .and_then(|()| out.flush())
        .or_else(ignore_broken_pipe)
        .context("cannot write")?;
    Ok(0)
}
