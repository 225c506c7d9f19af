//! The JSON report: the contract in `schema/report.schema.json` (`schema_version` says which).

use std::io::{self, Write};

use crate::report::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(json_io_error)?;
    writeln!(out)
}

/// Keep the I/O kind (a closed pipe must stay a `BrokenPipe`, which callers ignore).
pub fn json_io_error(e: serde_json::Error) -> io::Error {
    match e.io_error_kind() {
        Some(kind) => io::Error::new(kind, e),
        None => io::Error::other(e),
    }
}
