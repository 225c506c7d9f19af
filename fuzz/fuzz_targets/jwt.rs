//! Realm tokens: the input as a token and as a JWT payload. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/jwt/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("jwt", data));
