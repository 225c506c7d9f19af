//! containers-registries.conf, merged as a drop-in, and the entry for a reference. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/registries_conf/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("registries_conf", data));
