//! The dockerd command line as the service manager builds it: `ExecStart=` of docker.service
//! (the one in `/etc/systemd/system` replaces the packaged one) and its drop-ins, with
//! `$VAR` / `${VAR}` taken from `Environment=` and `EnvironmentFile=` (Ubuntu's
//! `/etc/default/docker` `DOCKER_OPTS`, CentOS and EulerOS `/etc/sysconfig/docker` `OPTIONS`,
//! `INSECURE_REGISTRY`, `ADD_REGISTRY`). The flags that matter for registries are pulled out
//! so they can be merged with daemon.json the way dockerd merges them.

use std::path::{Path, PathBuf};

use super::systemd;

/// Where to look. Every path has an override on the command line.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Candidate docker.service files, the one that wins first.
    pub units: Vec<PathBuf>,
    pub dropin_dir: PathBuf,
    /// `/etc/default/docker`.
    pub default_file: PathBuf,
    /// `/etc/sysconfig/docker`.
    pub sysconfig_file: PathBuf,
}

/// Variables the packaged units pass to dockerd from their environment files.
const DEFAULT_VARS: &[&str] = &["DOCKER_OPTS"];
const SYSCONFIG_VARS: &[&str] = &[
    "OPTIONS",
    "INSECURE_REGISTRY",
    "ADD_REGISTRY",
    "BLOCK_REGISTRY",
    "REGISTRIES",
    "DOCKER_OPTS",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An `ExecStart=` line of a unit or drop-in.
    Unit { dropin: bool },
    /// A variable of an environment file, expanded into `ExecStart=`.
    EnvFile { var: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file: PathBuf,
    pub line: usize,
    pub origin: Origin,
    /// The raw value: the `ExecStart=` command, or the variable's value.
    pub text: String,
}

impl Source {
    pub fn at(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The daemon.json key the flag sets (dockerd's conflict check compares these).
    pub key: String,
    /// As written, e.g. `--registry-mirror`.
    pub name: String,
    pub value: Option<String>,
    /// The words it took on the command line (`--x=y`, or `--x` `y`).
    pub words: Vec<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// A line systemd ignores or misreads (no `[Service]` header, typographic quotes).
    Ignored,
    /// More than one `ExecStart=`: a drop-in without the empty `ExecStart=` that resets it.
    ExecStartTwice,
    /// An environment file sets dockerd flags, but the unit never reads the file or the variable.
    EnvFileUnused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub at: String,
    pub detail: String,
    /// The exact edit: the file to write and what it must say.
    pub fix_file: String,
    pub fix_snippet: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerdCommandLine {
    /// Where the command line came from, for the report.
    pub sources: Vec<String>,
    pub flags: Vec<Flag>,
    pub problems: Vec<Problem>,
}

impl DockerdCommandLine {
    fn values(&self, key: &str) -> Vec<String> {
        self.flags
            .iter()
            .filter(|f| f.key == key)
            .filter_map(|f| f.value.clone())
            .collect()
    }

    pub fn mirrors(&self) -> Vec<String> {
        self.values("registry-mirrors")
    }

    pub fn insecure_registries(&self) -> Vec<String> {
        self.values("insecure-registries")
    }

    pub fn data_root(&self) -> Option<String> {
        self.values("data-root")
            .pop()
            .or_else(|| self.values("graph").pop())
    }
}

/// dockerd flags whose daemon.json key is not the flag's own name (moby's named options).
const KEY_OF: &[(&str, &str)] = &[
    ("registry-mirror", "registry-mirrors"),
    ("insecure-registry", "insecure-registries"),
    ("host", "hosts"),
    ("H", "hosts"),
    ("g", "graph"),
    ("D", "debug"),
    ("l", "log-level"),
    ("G", "group"),
    ("p", "pidfile"),
    ("b", "bridge"),
    ("s", "storage-driver"),
    ("label", "labels"),
    ("storage-opt", "storage-opts"),
    ("exec-opt", "exec-opts"),
    ("log-opt", "log-opts"),
    ("dns-opt", "dns-opts"),
    ("authorization-plugin", "authorization-plugins"),
    ("default-ulimit", "default-ulimits"),
    ("add-runtime", "runtimes"),
];

/// dockerd flags that take no value (so the next word is not theirs).
const BOOL_FLAGS: &[&str] = &[
    "D",
    "debug",
    "live-restore",
    "experimental",
    "icc",
    "ip-forward",
    "ip-masq",
    "iptables",
    "ip6tables",
    "ipv6",
    "selinux-enabled",
    "userland-proxy",
    "tls",
    "tlsverify",
    "no-new-privileges",
    "init",
    "raw-logs",
    "validate",
    "rootless",
    "containerd-namespace-default",
];

/// The registry-related flags of a dockerd argument list (after the program name).
pub fn parse_args(words: &[String], source: &Source) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        let (name, inline) = if let Some(long) = w.strip_prefix("--") {
            match long.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (long.to_string(), None),
            }
        } else if let Some(short) = w.strip_prefix('-') {
            let mut chars = short.chars();
            let Some(c) = chars.next() else { continue };
            let rest = chars.as_str().trim_start_matches('=');
            (c.to_string(), (!rest.is_empty()).then(|| rest.to_string()))
        } else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let mut taken = vec![w.clone()];
        let value = match inline {
            Some(v) => Some(v),
            None if BOOL_FLAGS.contains(&name.as_str()) => None,
            None => match words.get(i) {
                Some(next) if !next.starts_with('-') => {
                    i += 1;
                    taken.push(next.clone());
                    Some(next.clone())
                }
                _ => None,
            },
        };
        let key = KEY_OF
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(|| name.clone(), |(_, k)| (*k).to_string());
        let name = if name.len() == 1 {
            format!("-{name}")
        } else {
            format!("--{name}")
        };
        out.push(Flag {
            key,
            name,
            value,
            words: taken,
            source: source.clone(),
        });
    }
    out
}

/// systemd's word splitting of a command line: whitespace, double and single quotes, and
/// backslash escapes inside double quotes.
pub fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// `NAME=value` lines of an environment file (systemd's `EnvironmentFile=` and the shell's
/// reading of /etc/default and /etc/sysconfig agree on this simple form), with line numbers.
pub fn parse_env_file(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let v = v.trim();
        let v = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            &v[1..v.len() - 1]
        } else {
            v
        };
        out.push((k.to_string(), v.to_string(), n + 1));
    }
    out
}

fn read_text(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    super::bounded::read_to_string(path, 1 << 20).ok()
}

struct EnvVar {
    value: String,
    file: PathBuf,
    line: usize,
    from_file: bool,
}

/// Build the command line from the files under `paths`.
pub fn read(paths: &Paths) -> DockerdCommandLine {
    let mut out = DockerdCommandLine::default();
    let main = paths.units.iter().find(|p| p.is_file());
    let mut dropins: Vec<PathBuf> = std::fs::read_dir(&paths.dropin_dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    dropins.sort();
    // Past the cap, systemd::read_dir reports the directory (it reads the same one).
    dropins.truncate(super::bounded::MAX_DIR_FILES);
    let env_files_by_name = |declared: &str| -> PathBuf {
        // The packaged units name the real paths; point them at the overrides.
        match declared {
            "/etc/default/docker" => paths.default_file.clone(),
            "/etc/sysconfig/docker" => paths.sysconfig_file.clone(),
            other => PathBuf::from(other),
        }
    };

    if main.is_none() && dropins.is_empty() {
        // No systemd unit here: sysvinit/upstart hosts read the classic files directly.
        for (file, vars) in [
            (&paths.default_file, DEFAULT_VARS),
            (&paths.sysconfig_file, SYSCONFIG_VARS),
        ] {
            let Some(text) = read_text(file) else {
                continue;
            };
            out.sources.push(file.display().to_string());
            for (k, v, line) in parse_env_file(&text) {
                if vars.contains(&k.as_str()) {
                    let source = Source {
                        file: file.clone(),
                        line,
                        origin: Origin::EnvFile { var: k.clone() },
                        text: v.clone(),
                    };
                    out.flags.extend(parse_args(&split_words(&v), &source));
                }
            }
        }
        return out;
    }

    let mut env: Vec<(String, EnvVar)> = Vec::new();
    let mut env_files_read: Vec<PathBuf> = Vec::new();
    let mut exec: Vec<(systemd::Directive, PathBuf, bool)> = Vec::new();
    let units = main
        .iter()
        .map(|p| ((*p).clone(), false))
        .chain(dropins.iter().map(|p| (p.clone(), true)));
    for (file, dropin) in units {
        let Some(text) = read_text(&file) else {
            continue;
        };
        out.sources.push(file.display().to_string());
        let unit = systemd::parse_unit(&text);
        for d in &unit.directives {
            let at = format!("{}:{}", file.display(), d.line);
            if matches!(d.key.as_str(), "ExecStart" | "EnvironmentFile")
                && d.section.as_deref() != Some("Service")
            {
                if d.section.is_none() {
                    let body: String = unit
                        .directives
                        .iter()
                        .filter(|x| x.section.is_none())
                        .map(|x| format!("{}={}\n", x.key, x.value))
                        .collect();
                    out.problems.push(Problem {
                        kind: ProblemKind::Ignored,
                        at,
                        detail: format!(
                            "{}= before any section header: systemd ignores it (\"Assignment outside of section\"); it must follow a [Service] line",
                            d.key
                        ),
                        fix_file: file.display().to_string(),
                        fix_snippet: format!("[Service]\n{body}").trim_end().to_string(),
                    });
                } else if let Some(section) = &d.section {
                    out.problems.push(Problem {
                        kind: ProblemKind::Ignored,
                        at,
                        detail: format!(
                            "{}= under [{section}]: systemd knows it only in [Service] and ignores it here",
                            d.key
                        ),
                        fix_file: file.display().to_string(),
                        fix_snippet: format!("[Service]\n{}={}", d.key, d.value),
                    });
                }
                continue;
            }
            if d.section.as_deref() != Some("Service") {
                continue;
            }
            match d.key.as_str() {
                "ExecStart" => {
                    if systemd::has_typographic_quotes(&d.value) {
                        let fixed = d
                            .value
                            .replace(['“', '”', '„'], "\"")
                            .replace(['‘', '’'], "'");
                        out.problems.push(Problem {
                            kind: ProblemKind::Ignored,
                            at: at.clone(),
                            detail: "typographic quotes (“ ” ‘ ’) are not quotes to systemd: they reach dockerd as part of the arguments".into(),
                            fix_file: file.display().to_string(),
                            fix_snippet: format!("[Service]\nExecStart=\nExecStart={fixed}"),
                        });
                    }
                    exec.push((d.clone(), file.clone(), dropin));
                }
                "Environment" => {
                    for a in split_words(&d.value) {
                        if let Some((k, v)) = a.split_once('=') {
                            env.retain(|(n, _)| n != k);
                            env.push((
                                k.to_string(),
                                EnvVar {
                                    value: v.to_string(),
                                    file: file.clone(),
                                    line: d.line,
                                    from_file: false,
                                },
                            ));
                        }
                    }
                }
                "EnvironmentFile" => {
                    for declared in split_words(&d.value) {
                        let declared = declared.trim_start_matches('-');
                        let path = env_files_by_name(declared);
                        let Some(text) = read_text(&path) else {
                            continue;
                        };
                        env_files_read.push(path.clone());
                        for (k, v, line) in parse_env_file(&text) {
                            env.retain(|(n, _)| *n != k);
                            env.push((
                                k,
                                EnvVar {
                                    value: v,
                                    file: path.clone(),
                                    line,
                                    from_file: true,
                                },
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    // ExecStart= with an empty value resets the list; a service that is not Type=oneshot
    // may have only one command left.
    let mut effective: Vec<&(systemd::Directive, PathBuf, bool)> = Vec::new();
    for e in &exec {
        if e.0.value.is_empty() {
            effective.clear();
        } else {
            effective.push(e);
        }
    }
    if effective.len() > 1 {
        if let Some((d, file, _)) = effective.last() {
            out.problems.push(Problem {
                kind: ProblemKind::ExecStartTwice,
                at: format!("{}:{}", file.display(), d.line),
                detail: format!(
                    "docker.service now has {} ExecStart= commands: systemd refuses to load it (\"Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services\"); an override must first clear the list with an empty ExecStart=",
                    effective.len()
                ),
                fix_file: file.display().to_string(),
                fix_snippet: format!("[Service]\nExecStart=\nExecStart={}", d.value),
            });
        }
    }
    let mut used_vars: Vec<String> = Vec::new();
    if let Some((d, file, dropin)) = effective.last() {
        let cmd = d.value.trim_start_matches(['-', '@', '+', '!', ':']);
        let words = split_words(cmd);
        let program = words.first().map(String::as_str).unwrap_or_default();
        let program = program.rsplit('/').next().unwrap_or(program);
        let is_dockerd = program.starts_with("dockerd")
            || (program == "docker" && words.get(1).is_some_and(|w| w == "daemon" || w == "-d"));
        if is_dockerd {
            let unit_source = Source {
                file: file.clone(),
                line: d.line,
                origin: Origin::Unit { dropin: *dropin },
                text: cmd.to_string(),
            };
            // Expand words one by one, keeping each run of literal words with the unit line
            // and each expanded variable with the line that set it.
            let mut literal: Vec<String> = Vec::new();
            let flush = |literal: &mut Vec<String>, out: &mut DockerdCommandLine| {
                if !literal.is_empty() {
                    out.flags.extend(parse_args(literal, &unit_source));
                    literal.clear();
                }
            };
            for w in words.iter().skip(1) {
                let var = w
                    .strip_prefix("${")
                    .and_then(|v| v.strip_suffix('}'))
                    .map(|v| (v, false))
                    .or_else(|| w.strip_prefix('$').map(|v| (v, true)));
                match var {
                    Some((name, split)) if !name.is_empty() => {
                        flush(&mut literal, &mut out);
                        used_vars.push(name.to_string());
                        if let Some((_, v)) = env.iter().find(|(n, _)| n == name) {
                            let source = Source {
                                file: v.file.clone(),
                                line: v.line,
                                origin: if v.from_file {
                                    Origin::EnvFile {
                                        var: name.to_string(),
                                    }
                                } else {
                                    Origin::Unit { dropin: true }
                                },
                                text: v.value.clone(),
                            };
                            let words = if split {
                                split_words(&v.value)
                            } else {
                                vec![v.value.clone()]
                            };
                            out.flags.extend(parse_args(&words, &source));
                        }
                    }
                    _ => literal.push(w.clone()),
                }
            }
            flush(&mut literal, &mut out);
        }
    }

    // Flags written in the classic files that this unit never passes to dockerd.
    for (file, vars) in [
        (&paths.default_file, DEFAULT_VARS),
        (&paths.sysconfig_file, SYSCONFIG_VARS),
    ] {
        let Some(text) = read_text(file) else {
            continue;
        };
        let read_by_unit = env_files_read.contains(file);
        for (k, v, line) in parse_env_file(&text) {
            if !vars.contains(&k.as_str()) || !v.trim_start().starts_with('-') {
                continue;
            }
            if read_by_unit && used_vars.contains(&k) {
                continue;
            }
            let why = if read_by_unit {
                format!(
                    "docker.service reads {} but its ExecStart= never uses ${k}",
                    file.display()
                )
            } else {
                format!(
                    "docker.service has no EnvironmentFile= for {}, so ${k} never reaches dockerd",
                    file.display()
                )
            };
            let dropin = paths.dropin_dir.join("10-docker-opts.conf");
            let base = effective
                .last()
                .map(|(d, _, _)| d.value.clone())
                .unwrap_or_else(|| {
                    "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock".into()
                });
            out.problems.push(Problem {
                kind: ProblemKind::EnvFileUnused,
                at: format!("{}:{line}", file.display()),
                detail: format!("{k}={v:?} is set, but {why}"),
                fix_file: dropin.display().to_string(),
                fix_snippet: format!(
                    "[Service]\nEnvironmentFile=-{}\nExecStart=\nExecStart={base} ${k}",
                    match file {
                        f if f == &paths.default_file => "/etc/default/docker",
                        _ => "/etc/sysconfig/docker",
                    }
                ),
            });
        }
    }
    out
}

/// `text` (a command line or variable value) without the words `words`, for the exact edit
/// that drops one flag.
pub fn without_words(text: &str, words: &[String]) -> String {
    let all = split_words(text);
    let mut kept: Vec<String> = Vec::new();
    let mut i = 0;
    while i < all.len() {
        if !words.is_empty() && all[i..].starts_with(words) {
            i += words.len();
            continue;
        }
        kept.push(all[i].clone());
        i += 1;
    }
    kept.iter()
        .map(|w| {
            if w.is_empty() || w.contains(char::is_whitespace) {
                format!("\"{w}\"")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> Source {
        Source {
            file: PathBuf::from("/u"),
            line: 1,
            origin: Origin::Unit { dropin: false },
            text: String::new(),
        }
    }

    fn w(s: &str) -> Vec<String> {
        split_words(s)
    }

    #[test]
    fn flags_in_every_spelling() {
        let f = parse_args(
            &w(
                "-H fd:// --registry-mirror=https://a --registry-mirror https://b --insecure-registry r:5000 -D -g /data --live-restore --data-root=/d2 -Htcp://0.0.0.0:2375",
            ),
            &src(),
        );
        let keys: Vec<(&str, Option<&str>)> = f
            .iter()
            .map(|f| (f.key.as_str(), f.value.as_deref()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("hosts", Some("fd://")),
                ("registry-mirrors", Some("https://a")),
                ("registry-mirrors", Some("https://b")),
                ("insecure-registries", Some("r:5000")),
                ("debug", None),
                ("graph", Some("/data")),
                ("live-restore", None),
                ("data-root", Some("/d2")),
                ("hosts", Some("tcp://0.0.0.0:2375")),
            ]
        );
    }

    #[test]
    fn words_and_env_files() {
        assert_eq!(
            w(r#"a "b c" 'd e' "f\"g""#),
            vec!["a", "b c", "d e", "f\"g"]
        );
        let env = parse_env_file(
            "# c\nDOCKER_OPTS=\"--dns 8.8.8.8 --registry-mirror=https://m\"\nexport X='y'\nbad line\n",
        );
        assert_eq!(env[0].0, "DOCKER_OPTS");
        assert_eq!(env[0].2, 2);
        assert_eq!(env[1], ("X".into(), "y".into(), 3));
        assert_eq!(
            without_words(
                "--dns 8.8.8.8 --registry-mirror=https://m",
                &["--registry-mirror=https://m".into()]
            ),
            "--dns 8.8.8.8"
        );
    }

    fn paths(dir: &Path) -> Paths {
        Paths {
            units: vec![
                dir.join("etc/docker.service"),
                dir.join("lib/docker.service"),
            ],
            dropin_dir: dir.join("docker.service.d"),
            default_file: dir.join("default/docker"),
            sysconfig_file: dir.join("sysconfig/docker"),
        }
    }

    #[test]
    fn unit_with_environment_file_and_drop_in() {
        let d = tempfile::tempdir().unwrap();
        let p = paths(d.path());
        for sub in ["lib", "docker.service.d", "default"] {
            std::fs::create_dir_all(d.path().join(sub)).unwrap();
        }
        std::fs::write(
            d.path().join("lib/docker.service"),
            "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/bin/dockerd -H fd:// $DOCKER_OPTS\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("default/docker"),
            "DOCKER_OPTS=\"--insecure-registry 10.0.0.0/8\"\n",
        )
        .unwrap();
        let c = read(&p);
        assert_eq!(c.insecure_registries(), vec!["10.0.0.0/8"]);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert!(matches!(c.flags[1].source.origin, Origin::EnvFile { .. }));

        // A drop-in that adds a second ExecStart without clearing the first.
        std::fs::write(
            d.path().join("docker.service.d/override.conf"),
            "[Service]\nExecStart=/usr/bin/dockerd --registry-mirror=https://m\n",
        )
        .unwrap();
        let c = read(&p);
        assert_eq!(c.problems[0].kind, ProblemKind::ExecStartTwice);
        assert!(
            c.problems[0]
                .fix_snippet
                .contains("ExecStart=\nExecStart=/usr/bin/dockerd")
        );
        assert_eq!(c.mirrors(), vec!["https://m"]);

        // Without a [Service] header the override is ignored.
        std::fs::write(
            d.path().join("docker.service.d/override.conf"),
            "ExecStart=\nExecStart=/usr/bin/dockerd --registry-mirror=https://m\n",
        )
        .unwrap();
        let c = read(&p);
        assert_eq!(c.problems[0].kind, ProblemKind::Ignored);
        assert!(
            c.problems[0]
                .fix_snippet
                .starts_with("[Service]\nExecStart=\n")
        );
        assert!(c.mirrors().is_empty());
    }

    #[test]
    fn unit_that_never_reads_default_docker() {
        let d = tempfile::tempdir().unwrap();
        let p = paths(d.path());
        std::fs::create_dir_all(d.path().join("lib")).unwrap();
        std::fs::create_dir_all(d.path().join("default")).unwrap();
        std::fs::write(
            d.path().join("lib/docker.service"),
            "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("default/docker"),
            "DOCKER_OPTS=\"--registry-mirror=https://m\"\n",
        )
        .unwrap();
        let c = read(&p);
        assert!(c.mirrors().is_empty());
        assert_eq!(c.problems[0].kind, ProblemKind::EnvFileUnused);
        assert!(
            c.problems[0]
                .fix_snippet
                .contains("EnvironmentFile=-/etc/default/docker")
        );
    }

    #[test]
    fn no_unit_means_the_classic_files_are_read() {
        let d = tempfile::tempdir().unwrap();
        let p = paths(d.path());
        std::fs::create_dir_all(d.path().join("sysconfig")).unwrap();
        std::fs::write(
            d.path().join("sysconfig/docker"),
            "OPTIONS='--selinux-enabled --log-driver=journald'\nINSECURE_REGISTRY='--insecure-registry r.example:5000'\n",
        )
        .unwrap();
        let c = read(&p);
        assert_eq!(c.insecure_registries(), vec!["r.example:5000"]);
        assert!(c.problems.is_empty());
    }
}
