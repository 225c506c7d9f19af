//! Docker's config.json, read from a real file. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/config_json/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("config_json", data));
