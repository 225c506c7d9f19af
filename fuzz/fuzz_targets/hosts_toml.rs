//! containerd's certs.d/<host>/hosts.toml and its host URLs. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/hosts_toml/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("hosts_toml", data));
