//! NO_PROXY, a host and a proxy URL, judged the Go way and the curl way. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/no_proxy/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("no_proxy", data));
