//! The binary: parse arguments, run, map every outcome to an exit code. Nothing else.

// Also forbidden for the whole package in Cargo.toml [lints]; said here too so it holds for
// whoever builds this file another way.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match regdoctor::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else clap rejects is usage (2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match regdoctor::cmd::run(cli, regdoctor::env::Env::from_process()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let text = regdoctor::report::redact::text(&format!("{e:#}")).into_owned();
            eprintln!("regdoctor: error: {text}");
            ExitCode::from(2)
        }
    }
}
