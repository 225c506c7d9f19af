//! Renderers draw a finished `Report`; they decide nothing and check nothing.
#![allow(clippy::print_stdout)]

pub mod human;
pub mod json;
pub mod markdown;
pub mod rules;
pub mod verdicts;

use std::io::{self, Write};

use crate::cli::Format;
use crate::report::Report;

#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub color: bool,
    /// Box-drawing characters and symbols (a terminal); ASCII otherwise.
    pub unicode: bool,
    pub verbose: bool,
    pub width: Option<u16>,
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
