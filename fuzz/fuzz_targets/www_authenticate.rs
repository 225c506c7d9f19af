//! WWW-Authenticate header values, one per line, and the scopes in them. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/www_authenticate/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("www_authenticate", data));
