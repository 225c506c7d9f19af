//! `Environment=` settings of the docker service's systemd drop-ins, read the way systemd
//! reads them, because that is where most daemons get their proxy variables.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DropInEnv {
    /// (name, value, file it came from), later files and lines overriding earlier ones.
    pub vars: Vec<(String, String, PathBuf)>,
    /// Lines systemd would ignore or misread, with the reason.
    pub problems: Vec<String>,
}

impl DropInEnv {
    pub fn get(&self, name: &str) -> Option<&(String, String, PathBuf)> {
        self.vars.iter().rev().find(|(n, _, _)| n == name)
    }
}

/// Read every `*.conf` in `dir` (e.g. /etc/systemd/system/docker.service.d), in name order as
/// systemd does.
pub fn read_dir(dir: &Path) -> DropInEnv {
    let mut out = DropInEnv::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    if files.len() > super::bounded::MAX_DIR_FILES {
        out.problems.push(format!(
            "{}: {} drop-in files; only the first {} were read",
            dir.display(),
            files.len(),
            super::bounded::MAX_DIR_FILES
        ));
        files.truncate(super::bounded::MAX_DIR_FILES);
    }
    for file in files {
        let Ok(text) = super::bounded::read_to_string(&file, 1 << 20) else {
            out.problems
                .push(format!("{}: cannot be read", file.display()));
            continue;
        };
        parse(&text, &file, &mut out);
    }
    out
}

fn parse(text: &str, file: &Path, out: &mut DropInEnv) {
    let unit = parse_unit(text);
    for d in &unit.directives {
        if d.key != "Environment" {
            continue;
        }
        let at = format!("{}:{}", file.display(), d.line);
        if d.section.as_deref() != Some("Service") {
            out.problems.push(format!(
                "{at}: Environment= outside a [Service] section is ignored by systemd"
            ));
            continue;
        }
        let value = d.value.as_str();
        if has_typographic_quotes(value) {
            out.problems.push(format!(
                "{at}: typographic quotes (“ ”) are not quotes to systemd; use plain \" quotes"
            ));
        }
        for assignment in split_assignments(value) {
            match assignment.split_once('=') {
                Some((k, v)) if !k.is_empty() => {
                    if v.contains('%') && !v.contains("%%") {
                        out.problems.push(format!("{at}: `%` in {k} is a systemd specifier; write `%%` for a literal percent sign"));
                    }
                    out.vars
                        .push((k.to_string(), v.replace("%%", "%"), file.to_path_buf()));
                }
                _ => out
                    .problems
                    .push(format!("{at}: {assignment:?} is not NAME=value")),
            }
        }
    }
}

pub fn has_typographic_quotes(value: &str) -> bool {
    value.contains(['“', '”', '„', '‘', '’'])
}

/// One `Key=value` line of a unit file, with the section it sits in (`None` before any
/// header, where systemd ignores it) and its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub section: Option<String>,
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unit {
    pub directives: Vec<Directive>,
}

impl Unit {
    /// The values of `key` in `[Service]`, in order, with their lines.
    pub fn service(&self, key: &str) -> impl Iterator<Item = &Directive> {
        self.directives
            .iter()
            .filter(move |d| d.key == key && d.section.as_deref() == Some("Service"))
    }
}

/// A unit file or drop-in as systemd reads it: comments (`#`, `;`), section headers, and
/// `Key=value` lines continued with a trailing backslash.
pub fn parse_unit(text: &str) -> Unit {
    let mut out = Unit::default();
    let mut section: Option<String> = None;
    let mut lines = text.lines().enumerate();
    while let Some((n, raw)) = lines.next() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            section = Some(line.trim_matches(['[', ']']).trim().to_string());
            continue;
        }
        let mut full = line.to_string();
        while full.ends_with('\\') {
            full.pop();
            full.push(' ');
            match lines.next() {
                Some((_, next)) => {
                    let next = next.trim();
                    if next.starts_with('#') || next.starts_with(';') {
                        continue;
                    }
                    full.push_str(next);
                }
                None => break,
            }
        }
        let Some((key, value)) = full.split_once('=') else {
            continue;
        };
        out.directives.push(Directive {
            section: section.clone(),
            key: key.trim().to_string(),
            value: value.trim().to_string(),
            line: n + 1,
        });
    }
    out
}

/// systemd's `Environment=` takes space-separated assignments, each optionally in double quotes.
fn split_assignments(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_drop_ins_like_systemd() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("http-proxy.conf"),
            "[Service]\nEnvironment=\"HTTP_PROXY=http://p:3128\" \"NO_PROXY=localhost,.corp\"\nEnvironment=HTTPS_PROXY=http://p:3128\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("z-bad.conf"),
            "Environment=HTTPS_PROXY=http://q:1\n[Service]\nEnvironment=“HTTP_PROXY=x”\n",
        )
        .unwrap();
        let env = read_dir(dir.path());
        assert_eq!(env.get("HTTPS_PROXY").unwrap().1, "http://p:3128");
        assert_eq!(env.get("NO_PROXY").unwrap().1, "localhost,.corp");
        assert_eq!(env.problems.len(), 2, "{:?}", env.problems);
        assert!(env.problems[0].contains("[Service]"));
        assert!(env.problems[1].contains("typographic"));
    }

    #[test]
    fn unit_lines_continue_and_keep_their_section() {
        let u = parse_unit(
            "ExecStart=/x\n[Service]\nExecStart=\nExecStart=/usr/bin/dockerd \\\n  --registry-mirror=https://m \\\n  -H fd://\n",
        );
        assert_eq!(u.directives[0].section, None);
        let exec: Vec<_> = u.service("ExecStart").collect();
        assert_eq!(exec.len(), 2);
        assert_eq!(exec[0].value, "");
        assert!(
            exec[1].value.contains("--registry-mirror=https://m")
                && exec[1].value.ends_with("fd://")
        );
        assert_eq!(exec[1].line, 4);
    }
}
