//! Rules: the data in `checks/` that turns observations and pasted text into findings.

pub mod category;
pub mod diagnose;
pub mod embedded;
pub mod facts;
pub mod literals;
pub mod matcher;
#[cfg(test)]
mod registry_tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::i18n::Text;
pub use category::{Category, Severity};

/// One rule of a pack. Field meanings are documented in `checks/README.md`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub code: String,
    pub name: String,
    pub category: Category,
    pub severity: Severity,
    #[serde(default = "default_priority")]
    pub priority: u8,
    #[serde(default)]
    pub status: RuleStatus,
    #[serde(default)]
    pub seeds: Vec<String>,
    pub source: String,
    #[serde(default)]
    pub observations: Vec<String>,
    pub title: Text,
    pub why: Text,
    #[serde(default)]
    pub patterns: Vec<Pattern>,
    #[serde(default)]
    pub causes: Vec<Cause>,
    #[serde(default)]
    pub fixes: Vec<Fix>,
}

fn default_priority() -> u8 {
    50
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    #[default]
    Active,
    Removed,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub regex: String,
    #[serde(default)]
    pub client: Option<String>,
    #[serde(default)]
    pub also: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub en: String,
    pub zh: String,
    #[serde(default)]
    pub checks: Vec<String>,
    /// Shown only where the known facts allow it (`checks/README.md`, "Conditions").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<facts::Conditions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unless: Option<facts::Conditions>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    pub en: String,
    pub zh: String,
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub snippet: Option<String>,
    #[serde(default)]
    pub distro: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<facts::Conditions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unless: Option<facts::Conditions>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pack {
    #[serde(default)]
    rule: Vec<Rule>,
}

/// Why a rule pack could not be used. Always names the file, and the line where toml knows it.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rule file {file}: {message}")]
    Parse { file: String, message: String },
    #[error("rule file {file}: rule {code}: {message}")]
    Invalid {
        file: String,
        code: String,
        message: String,
    },
    // The io error is the source: anyhow's `{:#}` prints it after this line, once.
    #[error("rule directory {dir} cannot be read")]
    Dir { dir: String, source: std::io::Error },
}

/// Every rule regdoctor knows, indexed for both inputs.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_code: HashMap<String, usize>,
    by_observation: HashMap<String, usize>,
}

impl RuleSet {
    /// The built-in packs only.
    pub fn embedded() -> Result<RuleSet, RuleError> {
        RuleSet::load(&[])
    }

    /// Built-in packs, then every `*.toml` in the extra directories, in order. A later rule with
    /// the code of an earlier one replaces it, so a company can reword or extend a built-in rule.
    pub fn load(extra_dirs: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let mut rules: Vec<(String, Rule, bool)> = Vec::new();
        for (name, text) in embedded::PACKS {
            for rule in parse_pack(name, text)? {
                // Built-in patterns are compiled by the tests; compiling each again at every
                // start would cost tens of milliseconds.
                rules.push(((*name).to_string(), rule, false));
            }
        }
        for dir in extra_dirs {
            for path in toml_files(dir)? {
                let file = path.display().to_string();
                // A rule pack is a few hundred KB at most; a cap keeps a stray big file or
                // device in the directory from filling memory.
                let text = crate::config::bounded::read_to_string(&path, 8 << 20).map_err(|e| {
                    RuleError::Parse {
                        file: file.clone(),
                        message: e.to_string(),
                    }
                })?;
                for rule in parse_pack(&file, &text)? {
                    rules.push((file.clone(), rule, true));
                }
            }
        }
        RuleSet::index(rules)
    }

    fn index(rules: Vec<(String, Rule, bool)>) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet {
            rules: Vec::new(),
            by_code: HashMap::new(),
            by_observation: HashMap::new(),
        };
        for (file, rule, compile) in rules {
            validate(&file, &rule, compile)?;
            match set.by_code.get(&rule.code) {
                Some(&i) => set.rules[i] = rule,
                None => {
                    set.by_code.insert(rule.code.clone(), set.rules.len());
                    set.rules.push(rule);
                }
            }
        }
        set.by_observation.clear();
        for (i, rule) in set.rules.iter().enumerate() {
            if rule.status == RuleStatus::Removed {
                continue;
            }
            for key in &rule.observations {
                set.by_observation.insert(key.clone(), i);
            }
        }
        Ok(set)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn active(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.status == RuleStatus::Active)
    }

    pub fn get(&self, code: &str) -> Option<&Rule> {
        let code = code.trim().to_ascii_uppercase();
        self.by_code.get(&code).map(|&i| &self.rules[i])
    }

    /// The index (into `rules()`) of the rule that explains an observation key.
    pub fn observation_index(&self, key: &str) -> Option<usize> {
        self.by_observation.get(key).copied()
    }

    pub fn for_observation(&self, key: &str) -> Option<&Rule> {
        self.by_observation.get(key).map(|&i| &self.rules[i])
    }
}

fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, RuleError> {
    let entries = std::fs::read_dir(dir).map_err(|source| RuleError::Dir {
        dir: dir.display().to_string(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

fn parse_pack(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let pack: Pack = toml::from_str(text).map_err(|e| RuleError::Parse {
        file: file.to_string(),
        // toml's message already says "TOML parse error at line L, column C".
        message: e.to_string().trim_end().to_string(),
    })?;
    Ok(pack.rule)
}

/// `RD-<AREA>-<NNN>` with an upper-case area and a three-digit number.
pub fn is_valid_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let (Some("RD"), Some(area), Some(num), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    area.starts_with(|c: char| c.is_ascii_uppercase())
        && area
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && num.len() == 3
        && num.chars().all(|c| c.is_ascii_digit())
}

fn validate(file: &str, rule: &Rule, compile_patterns: bool) -> Result<(), RuleError> {
    let fail = |message: String| RuleError::Invalid {
        file: file.to_string(),
        code: rule.code.clone(),
        message,
    };
    if !is_valid_code(&rule.code) {
        return Err(fail("code must look like RD-AREA-123".into()));
    }
    for pattern in rule.patterns.iter().filter(|_| compile_patterns) {
        for re in std::iter::once(&pattern.regex).chain(&pattern.also) {
            regex::Regex::new(re)
                .map_err(|e| fail(format!("pattern {re:?} does not compile: {e}")))?;
        }
    }
    let conditions = rule
        .causes
        .iter()
        .flat_map(|c| [&c.when, &c.unless])
        .chain(rule.fixes.iter().flat_map(|f| [&f.when, &f.unless]))
        .flatten();
    for c in conditions {
        let bad = c.unknown_values();
        if !bad.is_empty() {
            return Err(fail(format!(
                "unknown condition value(s) {bad:?} (see the vocabulary in checks/README.md)"
            )));
        }
    }
    if rule.title.en.trim().is_empty() {
        return Err(fail("title.en is empty".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_format() {
        assert!(is_valid_code("RD-TLS-001"));
        assert!(is_valid_code("RD-K8S-001"));
        assert!(!is_valid_code("RD-8K-001"));
        assert!(!is_valid_code("RD-tls-001"));
        assert!(!is_valid_code("RD-TLS-01"));
        assert!(!is_valid_code("XX-TLS-001"));
        assert!(!is_valid_code("RD-TLS-001-2"));
    }

    #[test]
    fn malformed_user_rule_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "[[rule]]\ncode = \"RD-X-001\"\nname = \n",
        )
        .unwrap();
        let err = RuleSet::load(&[dir.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn user_rule_replaces_builtin_with_same_code() {
        let builtin = RuleSet::embedded().unwrap();
        let first = builtin.active().next().unwrap().clone();
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "[[rule]]\ncode = \"{}\"\nname = \"{}\"\ncategory = \"{}\"\nseverity = \"error\"\nsource = \"ours\"\npatterns = [{{ regex = 'x' }}]\ntitle = {{ en = \"Our internal wording\", zh = \"我们的说法\" }}\nwhy = {{ en = \"w\", zh = \"w\" }}\n",
            first.code, first.name, first.category
        );
        std::fs::write(dir.path().join("ours.toml"), text).unwrap();
        let set = RuleSet::load(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(
            set.get(&first.code).unwrap().title.en,
            "Our internal wording"
        );
        assert_eq!(set.rules().len(), builtin.rules().len());
    }
}
