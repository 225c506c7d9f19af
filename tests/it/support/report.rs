//! Reading a `--json` report the way a support engineer would: a check's status, the finding
//! ranked first, a finding's evidence as text.
#![allow(dead_code)]

use serde_json::Value;

/// The status (`pass`, `warn`, `fail`, `skipped`) of check `id`; panics with the report if the
/// check is missing.
pub fn check_status<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["status"]
        .as_str()
        .unwrap_or_else(|| panic!("check {id} has no status in {report:#}"))
}

/// The whole entry of check `id`.
pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// The finding ranked first.
pub fn top(report: &Value) -> &Value {
    &report["findings"][0]
}

/// The finding with this rule code, if any.
pub fn finding<'a>(report: &'a Value, code: &str) -> Option<&'a Value> {
    report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["code"] == code))
}

/// The value of the evidence line with this label, if any.
pub fn evidence_value<'a>(finding: &'a Value, label: &str) -> Option<&'a str> {
    finding["evidence"]
        .as_array()?
        .iter()
        .find(|e| e["label"] == label)
        .and_then(|e| e["value"].as_str())
}

/// `label: value` lines of a finding's evidence.
pub fn evidence_text(finding: &Value) -> String {
    finding["evidence"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|e| {
                    format!(
                        "{}: {}\n",
                        e["label"].as_str().unwrap_or_default(),
                        e["value"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
