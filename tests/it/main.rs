//! The one integration-test binary: every test runs the built `regdoctor` like a user would.

#![allow(clippy::unwrap_used)]

mod support;

mod bad_input;
mod check_basic;
mod check_config;
mod check_dns;
mod check_dns_facts;
mod check_harbor;
mod check_hops;
mod check_mirrors;
mod check_ping;
mod check_proxy;
mod check_proxy_tls;
mod check_registry;
mod check_runtimes;
mod check_tls;
mod check_tls_fixes;
mod check_tls_legacy;
mod check_token;
mod cli;
mod clients_real;
mod explain_chains;
mod explain_cli;
mod explain_corpus;
mod explain_edges;
mod fixes_fit;
mod fuzz_loops;
mod hostile;
mod hostile_matrix;
mod json_schema;
mod read_only;
mod report_lang;
mod report_layout;
mod scaling;
mod secrets;
