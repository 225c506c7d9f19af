//! Redaction of any text, with a planted secret that must never survive. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/redaction/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("redaction", data));
