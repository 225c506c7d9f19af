//! The one integration-test binary: every test runs the built `regdoctor` like a user would.

mod support;

mod check_basic;
mod cli;
mod explain_cli;
mod json_schema;
