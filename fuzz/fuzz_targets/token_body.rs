//! Token and error bodies from a realm or a registry, and their shape for evidence. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/token_body/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("token_body", data));
