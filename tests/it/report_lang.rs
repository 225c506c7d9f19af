//! `--lang zh`: every fixed word of the report is Chinese. What stays in Latin letters is a
//! value (addresses, paths, headers, codes, commands, quoted server and OS text) or a name
//! (Docker, Harbor, containerd, ...).

use crate::support::cmd::Regdoctor;
use crate::support::registry::{Registry, RegistryOpts};

/// Proper names and terms that are written the same way in Chinese technical text.
#[rustfmt::skip]
const NAMES: &[&str] = &[
    "docker", "dockerd", "harbor", "kubernetes", "containerd", "podman", "buildah", "skopeo",
    "kubelet", "buildkit", "buildx", "nginx", "ingress", "regdoctor", "linux", "ubuntu", "centos",
    "euleros", "debian", "rhel", "systemd", "curl", "openssl", "dig", "nslookup", "getent", "ping",
    "check", "explain", "hub", "nexus", "artifactory", "quay", "ghcr", "ecr", "acr", "swr", "tcr",
    "gcr", "aws", "alibaba", "huawei", "tencent", "aliyun", "cloud", "desktop", "windows", "macos",
    "mirror", "token", "realm", "bearer", "basic", "registry", "tag", "digest", "manifest", "api",
    "dns", "tcp", "tls", "http", "https", "ssl", "sni", "mtu", "mss", "vpn", "vpc", "nat", "eip",
    "ram", "iam", "cce", "ecs", "cri", "oci", "json", "toml", "yaml", "pem", "crt", "key", "ca",
    "x509", "jwt", "auth", "auths", "proxy", "shell", "pod", "pods", "namespace", "secret",
    "secrets", "ipv4", "ipv6", "get", "head", "put", "post", "patch", "delete", "connect", "ok",
    "rst", "syn", "ack", "nxdomain", "servfail", "refused", "www", "content", "trust", "notary",
    "cosign", "sigstore", "policy", "pull", "push", "login", "logout", "pass", "helper",
    "credsstore", "credhelpers", "insecure", "registries", "mirrors", "index", "library", "latest",
    "alpine", "busybox", "ssh", "gpg", "arm64", "amd64", "s3", "oss", "obs", "cos", "ak", "sk",
    "dockerhub", "gitlab", "github", "actions", "ci", "runner", "snap", "rootless", "tinyproxy",
    "squid", "mitm", "pac", "socks", "ftp", "note", "blob", "blobs", "layer", "layers", "apple",
    "silicon", "mac", "root", "sudo", "web", "compose", "inode", "dockerfile", "containerfile", "kubeadm", "kind", "minikube", "kubectl", "crictl", "ctr", "stderr", "stdout", "stdin", "gcloud", "azure", "wsl", "powershell", "bash", "zsh",
    "exe", "osxkeychain", "wincred", "secretservice", "keychain", "gnome", "kde",
    // Component, role and tool names the Chinese text uses as they are.
    "distribution", "amazon", "container", "lookaside", "trace", "redis", "nameserver", "developer", "context", "cntlm", "core", "chrony",
    "helm", "oras", "crane", "regctl", "nerdctl", "hosted", "group",
];

/// The values of a JSON report that the human report may show verbatim.
fn values(report: &serde_json::Value) -> Vec<String> {
    let mut v = Vec::new();
    let mut push = |s: Option<&str>| {
        if let Some(s) = s {
            v.extend(
                s.lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty()),
            );
        }
    };
    for key in ["input", "registry", "dial_host", "reference"] {
        push(report["target"][key].as_str());
    }
    for f in report["findings"].as_array().into_iter().flatten() {
        for e in f["evidence"].as_array().into_iter().flatten() {
            push(e["value"].as_str());
        }
        for l in f["lines"].as_array().into_iter().flatten() {
            push(l["text"].as_str());
        }
        for x in f["fixes"].as_array().into_iter().flatten() {
            push(x["command"].as_str());
            push(x["snippet"].as_str());
            push(x["file"].as_str());
        }
        push(f["source"].as_str());
    }
    for u in report["unrecognised"].as_array().into_iter().flatten() {
        push(u["text"].as_str());
        for (k, val) in u["facts"].as_object().into_iter().flatten() {
            push(Some(k));
            push(val.as_str());
        }
    }
    if let Some(map) = report["extracted"].as_object() {
        for (k, val) in map {
            push(Some(k));
            push(val.as_str());
        }
    }
    // Longest first, so a value is removed whole before a part of it.
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
    v
}

/// English words left in `text` once values, code spans, quoted text, names and
/// identifier-shaped tokens are taken out.
fn english_words(text: &str, values: &[String]) -> Vec<String> {
    // Code spans, quoted text, placeholders, and HTTP statuses with their reason phrase.
    let spans = regex::Regex::new(
        r#"`[^`]*`|"[^"]*"|“[^”]*”|'[^'\s]*'|<[^>\s]*>|\[[^\]\s]*\]|[1-5][0-9][0-9]( [A-Z][A-Za-z]*)+"#,
    )
    .unwrap();
    // Values first (a quoted value may hold a quote), then the spans; a short value such as
    // `403` is removed last, as it may be part of a status phrase.
    let mut rest = text.to_string();
    for v in values.iter().filter(|v| v.len() > 4) {
        rest = rest.replace(v.as_str(), " ");
    }
    let mut rest = spans.replace_all(&rest, " ").into_owned();
    for v in values.iter().filter(|v| v.len() <= 4) {
        rest = rest.replace(v.as_str(), " ");
    }
    let mut words = Vec::new();
    for token in
        rest.split(|c: char| c.is_whitespace() || !c.is_ascii() || "()（）,，;；。!?".contains(c))
    {
        let t = token.trim_matches(|c: char| ".:,;!?".contains(c));
        // Identifiers, paths, addresses, flags, versions, codes: values, not words.
        if t.len() < 3
            || t.chars()
                .any(|c| c.is_ascii_digit() || "/.:_-=@$%*#{}|~+&\\".contains(c))
            || t.chars().filter(char::is_ascii_uppercase).count() > 1
        {
            continue;
        }
        if !t.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        let lower = t.to_ascii_lowercase();
        let check_id = regdoctor::probe::PROBES.iter().any(|p| p.id == lower);
        if check_id || NAMES.contains(&lower.as_str()) {
            continue;
        }
        words.push(t.to_string());
    }
    words
}

fn assert_chinese(args: &[&str], env_path: Option<&str>, case: &str) {
    let left = english_left(args, env_path, case);
    assert!(left.is_empty(), "{}", left.join("\n"));
}

/// The complaints for one run in both formats (empty when all is Chinese).
fn english_left(args: &[&str], env_path: Option<&str>, case: &str) -> Vec<String> {
    let mut left = Vec::new();
    let run = |extra: &[&str]| {
        let mut r = Regdoctor::new()
            .args(args.iter().copied())
            .args(extra.iter().copied());
        if let Some(p) = env_path {
            r = r.env("PATH", p);
        }
        r.run()
    };
    let json = run(&["--lang", "zh", "--json"]).json();
    let values = values(&json);
    for format in ["human", "markdown"] {
        let out = run(&["--lang", "zh", "-v", "--format", format]);
        let words = english_words(&out.stdout, &values);
        // The markdown heading names the command; the footer the tool and schema.
        let words: Vec<&String> = words
            .iter()
            .filter(|w| !["report", "schema", "details", "summary", "sub"].contains(&w.as_str()))
            .collect();
        if !words.is_empty() {
            left.push(format!(
                "{case} ({format}): English left in --lang zh: {words:?}"
            ));
        }
    }
    left
}

/// Every file check reads, pointed at nothing, so the lines do not depend on this machine.
fn quiet_machine(dir: &std::path::Path) -> Vec<String> {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    [
        ("--daemon-config", p("daemon.json")),
        ("--docker-config", p("docker")),
        ("--systemd-dir", p("sd")),
        ("--docker-unit", p("docker.service")),
        ("--containerd-config", p("config.toml")),
        ("--registries-conf", p("registries.conf")),
        ("--policy-json", p("policy.json")),
        ("--hosts-file", p("hosts")),
        ("--profile-file", p("profile")),
        ("--data-root", p("data")),
        ("--kubelet-config", p("kubelet")),
        ("--docker-defaults", p("default")),
        ("--docker-sysconfig", p("sysconfig")),
        ("--timeout", "4".to_string()),
    ]
    .into_iter()
    .flat_map(|(k, v)| [k.to_string(), v])
    .collect()
}

#[test]
fn check_reports_have_no_english_words_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let quiet = quiet_machine(dir.path());
    let reg = Registry::start(RegistryOpts::default());
    for target in [
        "127.0.0.1:1".to_string(),
        reg.addr.clone(),
        format!("{}/team/app:1.0", reg.addr),
    ] {
        let mut args = vec!["check".to_string(), target.clone()];
        args.extend(quiet.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_chinese(&args, Some("/nonexistent"), &target);
    }
}

#[test]
fn explain_reports_have_no_english_words_in_chinese() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/errors");
    let mut left = Vec::new();
    for category in std::fs::read_dir(corpus).unwrap() {
        let mut files: Vec<_> = std::fs::read_dir(category.unwrap().path())
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        files.sort();
        let path = files[0].to_str().unwrap().to_string();
        left.extend(english_left(&["explain", "--file", &path], None, &path));
    }
    assert!(left.is_empty(), "{}", left.join("\n"));
}
