//! containers-policy.json: the requirement for a reference. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/policy_json/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("policy_json", data));
