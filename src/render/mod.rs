//! Renderers draw a finished `Report`; they decide nothing and check nothing.
#![allow(clippy::print_stdout)]

pub mod human;
pub mod json;
pub mod markdown;
pub mod rules;
pub mod verdicts;
pub mod wrap;
pub mod zh;

use std::io::{self, Write};

use crate::cli::Format;
use crate::report::Report;

#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub color: bool,
    /// Box-drawing characters and symbols (a terminal); ASCII otherwise.
    pub unicode: bool,
    pub verbose: bool,
    /// Wrap prose to this many columns (the terminal's, or `COLUMNS`); none when piped.
    pub width: Option<u16>,
    /// A person at a terminal: fold the passed checks into a count (unless `verbose`).
    pub compact: bool,
}

pub fn render(
    report: &Report,
    format: Format,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, opts, out),
        Format::Json => json::render(report, out),
        Format::Markdown => markdown::render(report, out),
    }
}
