//! docker.service units and drop-ins, environment files, dockerd words. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/systemd_unit/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("systemd_unit", data));
