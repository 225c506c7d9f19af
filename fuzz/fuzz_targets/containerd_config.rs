//! containerd's config.toml (versions 1 to 3) and its legacy endpoints. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/containerd_config/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("containerd_config", data));
