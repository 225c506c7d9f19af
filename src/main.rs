//! The binary: parse arguments, run, map every outcome to an exit code. Nothing else.

// Also forbidden for the whole package in Cargo.toml [lints]; said here too so it holds for
// whoever builds this file another way.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let json = regdoctor::cmd::wants_json(std::env::args_os().skip(1));
    let cli = match regdoctor::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else clap rejects is usage (2).
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::SUCCESS;
            }
            if json {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                regdoctor::cmd::print_json_error("usage", first.trim_start_matches("error: "));
            }
            return ExitCode::from(2);
        }
    };
    match regdoctor::cmd::run(cli, regdoctor::env::Env::from_process()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let text = regdoctor::report::redact::text(&format!("{e:#}")).into_owned();
            eprintln!("regdoctor: error: {text}");
            if json {
                let kind = if e.downcast_ref::<regdoctor::cmd::UsageError>().is_some() {
                    "usage"
                } else {
                    "internal"
                };
                regdoctor::cmd::print_json_error(kind, &text);
            }
            ExitCode::from(2)
        }
    }
}
