//! Certificates: the input as DER, and as a PEM chain. The body is `regdoctor::fuzzing::run`, which the
//! regression test replays `fixtures/fuzz/certificate_chain/` through.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| regdoctor::fuzzing::run("certificate_chain", data));
