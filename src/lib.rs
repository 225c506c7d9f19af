//! regdoctor: a doctor for container registries.
//!
//! Code in this crate observes (probes the network, reads local configuration) and records
//! observations; the rule packs in `checks/` know what they mean. `check` feeds observations
//! to the rules, `explain` feeds pasted text to the same rules.

// Also forbidden for the whole package in Cargo.toml [lints]; said here too so it holds for
// whoever builds this file another way.
#![forbid(unsafe_code)]

pub mod cli;
pub mod clients;
pub mod cmd;
pub mod config;
pub mod env;
pub mod explain;
pub mod fuzzing;
pub mod i18n;
pub mod net;
pub mod observe;
pub mod probe;
pub mod render;
pub mod report;
pub mod rules;
pub mod target;
