//! `docker info --format '{{json .}}'` output. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/docker_info/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("docker_info", data));
