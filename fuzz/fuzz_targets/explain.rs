//! `explain` on arbitrary bytes: the error-chain reader and every rule. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/explain/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("explain", data));
