//! `/etc/containers/registries.conf` and its `registries.conf.d/*.conf` drop-ins, read by
//! podman, buildah, skopeo and CRI-O (containers/image `sysregistriesv2`): the version 2
//! `[[registry]]` tables, `unqualified-search-registries`, short-name `[aliases]`, and the old
//! version 1 `[registries.insecure]` / `[registries.block]` lists.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::toml_file::{self, TomlFileError};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistriesConf {
    /// Files read, in the order containers/image applies them.
    pub files: Vec<PathBuf>,
    /// Files that could not be loaded: containers/image then refuses to run at all.
    pub errors: Vec<TomlFileError>,
    pub unqualified_search: Option<Vec<String>>,
    pub short_name_mode: Option<String>,
    /// Merged over the files: a drop-in entry with the same prefix replaces the earlier one.
    pub registries: Vec<RegistryEntry>,
    /// (short name, full reference, file).
    pub aliases: Vec<(String, String, PathBuf)>,
    /// Version 1 lists.
    pub v1_insecure: Vec<String>,
    pub v1_blocked: Vec<String>,
    pub v1_search: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistryEntry {
    /// `prefix`, or `location` when no prefix is given (as containers/image does).
    pub prefix: String,
    pub location: String,
    pub insecure: bool,
    pub blocked: bool,
    pub mirrors: Vec<MirrorEntry>,
    pub file: PathBuf,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MirrorEntry {
    pub location: String,
    pub insecure: bool,
}

/// Read `main` and then every `*.conf` of `dropin_dir` in name order. A missing main file is
/// normal (the built-in defaults apply).
pub fn read(main: &Path, dropin_dir: &Path) -> RegistriesConf {
    let mut out = RegistriesConf::default();
    let mut files = vec![main.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(dropin_dir) {
        let mut more: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "conf"))
            .collect();
        more.sort();
        if more.len() > super::bounded::MAX_DIR_FILES {
            out.errors.push(TomlFileError::Unreadable {
                path: dropin_dir.display().to_string(),
                message: format!(
                    "{} drop-in files; only the first {} were read",
                    more.len(),
                    super::bounded::MAX_DIR_FILES
                ),
            });
            more.truncate(super::bounded::MAX_DIR_FILES);
        }
        files.extend(more);
    }
    for file in files {
        match toml_file::read_table(&file) {
            Ok(Some(t)) => {
                out.files.push(file.clone());
                merge(&mut out, &t, &file);
            }
            Ok(None) => {}
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// One file's text merged over what came before (for tests and the random-input loops).
pub fn parse_into(
    out: &mut RegistriesConf,
    text: &str,
    file: &Path,
) -> Result<(), (usize, usize, String)> {
    let t = toml_file::parse_table(text)?;
    out.files.push(file.to_path_buf());
    merge(out, &t, file);
    Ok(())
}

fn merge(out: &mut RegistriesConf, t: &toml::Table, file: &Path) {
    if t.contains_key("unqualified-search-registries") {
        out.unqualified_search = Some(toml_file::strings(t, "unqualified-search-registries"));
    }
    if let Some(m) = toml_file::string(t, "short-name-mode") {
        out.short_name_mode = Some(m);
    }
    if let Some(aliases) = t.get("aliases").and_then(toml::Value::as_table) {
        // A later file's alias replaces an earlier one and moves to the end. Names are unique
        // within one table, so one pass over the earlier aliases does (not one per alias).
        let new: Vec<(String, String, PathBuf)> = aliases
            .iter()
            .filter_map(|(name, v)| {
                v.as_str()
                    .map(|v| (name.clone(), v.to_string(), file.to_path_buf()))
            })
            .collect();
        let names: HashSet<&str> = new.iter().map(|(n, _, _)| n.as_str()).collect();
        out.aliases.retain(|(n, _, _)| !names.contains(n.as_str()));
        out.aliases.extend(new);
    }
    if let Some(v1) = t.get("registries").and_then(toml::Value::as_table) {
        let list = |k: &str| {
            v1.get(k)
                .and_then(toml::Value::as_table)
                .map(|x| toml_file::strings(x, "registries"))
                .unwrap_or_default()
        };
        out.v1_search.extend(list("search"));
        out.v1_insecure.extend(list("insecure"));
        out.v1_blocked.extend(list("block"));
    }
    let Some(regs) = t.get("registry").and_then(toml::Value::as_array) else {
        return;
    };
    // Where each prefix already is: an entry with the same prefix replaces it in place.
    let mut at: HashMap<String, usize> = out
        .registries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.prefix.clone(), i))
        .collect();
    for r in regs {
        let Some(r) = r.as_table() else { continue };
        let location = toml_file::string(r, "location").unwrap_or_default();
        let prefix = toml_file::string(r, "prefix")
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| location.clone());
        let mirrors = r
            .get("mirror")
            .and_then(toml::Value::as_array)
            .map(|ms| {
                ms.iter()
                    .filter_map(toml::Value::as_table)
                    .map(|m| MirrorEntry {
                        location: toml_file::string(m, "location").unwrap_or_default(),
                        insecure: toml_file::boolean(m, "insecure"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let entry = RegistryEntry {
            prefix: prefix.clone(),
            location,
            insecure: toml_file::boolean(r, "insecure"),
            blocked: toml_file::boolean(r, "blocked"),
            mirrors,
            file: file.to_path_buf(),
        };
        match at.get(&prefix) {
            Some(&i) => out.registries[i] = entry,
            None => {
                at.insert(prefix, out.registries.len());
                out.registries.push(entry);
            }
        }
    }
}

impl RegistriesConf {
    /// The `[[registry]]` entry that applies to `reference` (`host[:port]/repo` or just
    /// `host[:port]`): the longest matching prefix, a `*.domain` wildcard matching sub-domains.
    pub fn find(&self, reference: &str) -> Option<&RegistryEntry> {
        self.registries
            .iter()
            .filter_map(|e| prefix_match_len(reference, &e.prefix).map(|n| (n, e)))
            .max_by_key(|(n, _)| *n)
            .map(|(_, e)| e)
    }
}

/// containers/image's `refMatchingPrefix`: how much of `reference` the prefix covers, or None.
pub fn prefix_match_len(reference: &str, prefix: &str) -> Option<usize> {
    if prefix.is_empty() {
        return None;
    }
    if let Some(domain) = prefix.strip_prefix("*.") {
        let host = reference.split('/').next().unwrap_or(reference);
        let host = host.split(':').next().unwrap_or(host);
        let suffix = format!(".{domain}");
        return (host.len() > suffix.len() && host.ends_with(&suffix)).then_some(host.len());
    }
    if reference == prefix {
        return Some(prefix.len());
    }
    let rest = reference.strip_prefix(prefix)?;
    rest.starts_with(['/', ':', '@']).then_some(prefix.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(texts: &[(&str, &str)]) -> RegistriesConf {
        let mut c = RegistriesConf::default();
        for (name, text) in texts {
            parse_into(&mut c, text, Path::new(name)).unwrap();
        }
        c
    }

    #[test]
    fn v2_tables_and_drop_in_override() {
        let c = conf(&[
            (
                "registries.conf",
                r#"unqualified-search-registries = ["docker.io", "quay.io"]
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "mirror.example.com"

[[registry]]
location = "r.example:5000"
insecure = true
[aliases]
"app" = "r.example:5000/team/app"
"#,
            ),
            (
                "50-block.conf",
                "[[registry]]\nlocation = \"r.example:5000\"\nblocked = true\n",
            ),
        ]);
        assert_eq!(c.unqualified_search.as_ref().unwrap().len(), 2);
        assert_eq!(c.registries.len(), 2);
        let r = c.find("r.example:5000/team/app").unwrap();
        assert!(r.blocked && !r.insecure, "the drop-in replaced the entry");
        assert_eq!(c.find("docker.io/library/nginx").unwrap().mirrors.len(), 1);
        assert!(c.find("quay.io/x").is_none());
        assert_eq!(c.aliases[0].0, "app");
    }

    #[test]
    fn prefixes_match_on_boundaries() {
        assert_eq!(
            prefix_match_len("docker.io/library/x", "docker.io"),
            Some(9)
        );
        assert_eq!(prefix_match_len("docker.iox/a", "docker.io"), None);
        assert_eq!(prefix_match_len("r:5000", "r"), Some(1));
        assert!(prefix_match_len("a.corp.example/x", "*.corp.example").is_some());
        assert!(prefix_match_len("corp.example/x", "*.corp.example").is_none());
    }

    #[test]
    fn version_1_lists() {
        let c = conf(&[(
            "r.conf",
            "[registries.insecure]\nregistries = ['a:5000']\n[registries.block]\nregistries = ['b']\n",
        )]);
        assert_eq!(c.v1_insecure, vec!["a:5000"]);
        assert_eq!(c.v1_blocked, vec!["b"]);
    }
}
