//! All `explain` patterns compiled once into a `RegexSet`: one pass per line finds every rule
//! whose text appears, and only those rules' `also` conditions run afterwards.

use regex::{Regex, RegexSet, RegexSetBuilder};

use super::RuleSet;

pub struct Matcher {
    set: RegexSet,
    /// Parallel to the set's patterns.
    entries: Vec<Entry>,
}

struct Entry {
    rule: usize,
    also: Vec<Regex>,
}

impl Matcher {
    pub fn new(rules: &RuleSet) -> Result<Matcher, regex::Error> {
        let mut sources = Vec::new();
        let mut entries = Vec::new();
        for (i, rule) in rules.rules().iter().enumerate() {
            if rule.status != super::RuleStatus::Active {
                continue;
            }
            for p in &rule.patterns {
                sources.push(p.regex.clone());
                let also = p
                    .also
                    .iter()
                    .map(|a| regex::RegexBuilder::new(a).case_insensitive(true).build())
                    .collect::<Result<Vec<_>, _>>()?;
                entries.push(Entry { rule: i, also });
            }
        }
        let set = RegexSetBuilder::new(&sources)
            .case_insensitive(true)
            // Hundreds of case-insensitive patterns exceed the default limits.
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()?;
        Ok(Matcher { set, entries })
    }

    /// Indices (into `RuleSet::rules`) of the rules matching this line, each once, in rule order.
    pub fn match_line(&self, line: &str, out: &mut Vec<usize>) {
        out.clear();
        if !self.set.is_match(line) {
            return;
        }
        for i in self.set.matches(line).iter() {
            let entry = &self.entries[i];
            if entry.also.iter().all(|re| re.is_match(line)) {
                out.push(entry.rule);
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}
