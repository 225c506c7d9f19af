//! What a user types as the target: image references, registry hosts, URLs. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/image_reference/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("image_reference", data));
