//! dockerd's daemon.json, read from a real file, and each mirror judged. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/daemon_json/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("daemon_json", data));
