//! The one result model every renderer draws: built once, redacted once, language resolved.

pub mod redact;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::i18n::Lang;
use crate::observe::Evidence;
use crate::rules::{Category, Severity};

/// Bumped on any incompatible change of the JSON document (see `schema/report.schema.json`).
pub const SCHEMA_VERSION: &str = "1.0";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub tool: Tool,
    pub command: &'static str,
    pub lang: Lang,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetInfo>,
    pub duration_ms: u64,
    pub status: Status,
    pub summary: Summary,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckOutcome>,
    /// `check` only: one verdict per client judged, in a fixed order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientVerdict>,
    /// Ranked: the most likely root cause first.
    pub findings: Vec<Finding>,
    /// `explain` only: what the text itself told (host, repository, client, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extracted: BTreeMap<String, String>,
    /// `explain` only: lines that report a registry failure no rule explains, with what the
    /// reader of error chains made of them. Never dropped silently.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrecognised: Vec<crate::explain::Unrecognised>,
    /// `explain` only: a next step when nothing matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// `explain` only: the input itself was empty, binary, or held no error message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<InputNote>,
    /// What the fixes were fitted to: product, client, host class, OS (known ones only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<crate::rules::facts::Facts>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputNote {
    pub problem: InputProblem,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputProblem {
    /// Nothing, or only blanks (exit 3).
    Empty,
    /// Text without any word of an error message: stdout piped without stderr (exit 4).
    NoErrorText,
    /// Not text at all (exit 5).
    Binary,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "regdoctor",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    pub input: String,
    /// host[:port] as Docker dials it.
    pub registry: String,
    pub dial_host: String,
    pub port: u16,
    pub docker_hub: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// Ordered so that the worst status is the maximum (a summary is `max()` of its parts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Skipped,
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub id: &'static str,
    pub status: Status,
    pub duration_ms: u64,
    /// One line: what the check saw (addresses, status code, certificate subject, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub code: String,
    pub name: String,
    pub category: Category,
    pub severity: Severity,
    /// The check that observed it; absent for `explain` matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// `check` only: the clients it concerns (a private CA on loopback concerns podman, not
    /// Docker).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<crate::clients::Client>,
    pub title: String,
    pub why: String,
    pub evidence: Vec<Evidence>,
    pub causes: Vec<CauseOut>,
    pub fixes: Vec<FixOut>,
    pub source: String,
    /// `explain` only: how strongly the text points here, and where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<MatchedLine>,
    /// `explain --check` only: whether the live checks reproduced this cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// Would this client's pull (or push) work, and if not, the first cause on its path.
#[derive(Debug, Clone, Serialize)]
pub struct ClientVerdict {
    pub client: crate::clients::Client,
    /// The programs that share this client's stack.
    pub programs: String,
    pub verdict: ClientOutcome,
    /// The first finding on this client's path (the cause when it fails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The check where it fails (`tls`, `proxy`, `manifest`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientOutcome {
    Works,
    Fails,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A live check observed this very category.
    Confirmed,
    /// The live checks cover this category and saw nothing wrong.
    NotReproduced,
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseOut {
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// The rule's conditions, applied by `rules::facts::fit` once the facts are known.
    #[serde(skip)]
    pub when: Option<crate::rules::facts::Conditions>,
    #[serde(skip)]
    pub unless: Option<crate::rules::facts::Conditions>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FixOut {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distro: Option<String>,
    #[serde(skip)]
    pub when: Option<crate::rules::facts::Conditions>,
    #[serde(skip)]
    pub unless: Option<crate::rules::facts::Conditions>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatchedLine {
    pub line: u64,
    pub text: String,
    /// How many more lines said the same thing.
    #[serde(skip_serializing_if = "is_zero")]
    pub repeats: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Report {
    pub fn new(command: &'static str, lang: Lang) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            command,
            lang,
            target: None,
            duration_ms: 0,
            status: Status::Pass,
            summary: Summary::default(),
            checks: Vec::new(),
            clients: Vec::new(),
            findings: Vec::new(),
            extracted: BTreeMap::new(),
            unrecognised: Vec::new(),
            suggestion: None,
            input: None,
            facts: None,
        }
    }

    /// Counts, overall status and redaction: the last step before any renderer sees the report.
    pub fn finish(mut self) -> Report {
        let mut summary = Summary::default();
        for f in &self.findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
        // A failed check always counts, even if no rule explained what it saw.
        let failed_check = self.checks.iter().any(|c| c.status == Status::Fail);
        // A registry failure read from the text is a problem even when no rule names it.
        self.status = if summary.errors > 0 || failed_check || !self.unrecognised.is_empty() {
            Status::Fail
        } else if summary.warnings > 0 {
            Status::Warn
        } else {
            Status::Pass
        };
        self.summary = summary;
        redact::report(&mut self);
        self
    }

    /// 0 nothing wrong, 1 problems found. Usage and internal errors (2) never reach a report.
    /// explain's input problems have their own: 3 empty, 4 no error message, 5 not text.
    pub fn exit_code(&self) -> u8 {
        if let Some(note) = &self.input {
            return match note.problem {
                InputProblem::Empty => 3,
                InputProblem::NoErrorText => 4,
                InputProblem::Binary => 5,
            };
        }
        match self.command {
            // explain succeeds in explaining; its exit tells whether it recognised anything.
            "explain" if self.findings.is_empty() && self.unrecognised.is_empty() => 0,
            "explain" => 1,
            _ if self.status != Status::Pass => 1,
            _ => 0,
        }
    }
}
