//! What probes record: facts with evidence, never conclusions. Rules turn them into findings.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::rules::Severity;

/// One observed fact and what was seen. `key` is `<check>.<fact>` and is explained by exactly
/// one rule (`observations = [...]` in `checks/`).
#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    pub key: String,
    pub evidence: Vec<Evidence>,
    /// Values for the placeholders of the rule's fixes (`{registry}`, `{host}`, ...).
    pub vars: BTreeMap<String, String>,
    /// Where the probe knows better than the rule, e.g. a warning that Docker itself would not
    /// hit but other clients would.
    pub severity: Option<Severity>,
    /// The clients this concerns (set when the observations are judged per client); empty
    /// until then.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<crate::clients::Client>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub label: String,
    pub value: String,
}

impl Observation {
    pub fn new(key: impl Into<String>) -> Observation {
        Observation {
            key: key.into(),
            evidence: Vec::new(),
            vars: BTreeMap::new(),
            severity: None,
            clients: Vec::new(),
        }
    }

    pub fn evidence(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.evidence.push(Evidence {
            label: label.into(),
            value: value.into(),
        });
        self
    }

    pub fn var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.insert(name.to_string(), value.into());
        self
    }

    pub fn vars(mut self, vars: &BTreeMap<String, String>) -> Self {
        for (k, v) in vars {
            self.vars.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}
