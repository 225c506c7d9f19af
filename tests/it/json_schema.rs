//! Real `--json` output validates against the published schema.

use crate::support::cmd::Regdoctor;
use crate::support::registry::{Registry, RegistryOpts};

fn validate(doc: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/report.schema.json"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

#[test]
fn check_and_explain_output_match_the_schema() {
    let reg = Registry::start(RegistryOpts::default());
    validate(
        &Regdoctor::new()
            .args(["check", &reg.addr, "--json"])
            .run()
            .json(),
    );
    validate(
        &Regdoctor::new()
            .args(["check", "does-not-exist.invalid", "--json"])
            .run()
            .json(),
    );
    validate(
        &Regdoctor::new()
            .args(["check", "127.0.0.1:1", "--json", "--lang", "zh"])
            .run()
            .json(),
    );
    validate(
        &Regdoctor::new()
            .args(["explain", "--json", "x509: certificate signed by unknown authority\ntoomanyrequests: You have reached your pull rate limit"])
            .run()
            .json(),
    );
    validate(
        &Regdoctor::new()
            .args(["explain", "--json", "all good"])
            .run()
            .json(),
    );
}
