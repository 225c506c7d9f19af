//! One entry point per parser of untrusted input, shared by the coverage-guided targets of
//! `fuzz/` and by the test that replays the inputs that once crashed (`fixtures/fuzz/`), so a
//! regression input runs through exactly the code the fuzzer ran. Not part of the CLI.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::config::{
    containerd, daemon_json, docker_config, docker_info, dockerd_flags, policy_json,
    registries_conf, systemd,
};
use crate::net::{go_proxy, jwt, www_auth, x509};
use crate::report::redact;

/// Every target, as named in `fuzz/fuzz_targets/` and `fixtures/fuzz/`.
pub const TARGETS: &[&str] = &[
    "www_authenticate",
    "image_reference",
    "config_json",
    "daemon_json",
    "containerd_config",
    "hosts_toml",
    "registries_conf",
    "policy_json",
    "systemd_unit",
    "no_proxy",
    "jwt",
    "certificate_chain",
    "token_body",
    "explain",
    "redaction",
    "docker_info",
];

/// Feed `data` to `target`. Panics only on a bug (which is what a fuzzer looks for); an
/// unknown target name is one too.
pub fn run(target: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match target {
        "www_authenticate" => {
            let values: Vec<&str> = text.lines().collect();
            let _ = www_auth::parse(&values);
            let _ = www_auth::parse_scopes(&text);
            let _ = www_auth::parse_scope(&text);
        }
        "image_reference" => {
            if let Ok(t) = crate::target::parse_target(&text) {
                let _ = (
                    t.reference(),
                    t.registry.host_port(),
                    t.registry.config_key(),
                );
                let _ = (t.registry.dial_host(), t.registry.is_loopback());
            }
        }
        "config_json" => {
            // Read from a real file, as the engines read it.
            if let Ok(Some(c)) = docker_config::read(&temp_file("config.json", data)) {
                for (k, e) in &c.auths {
                    let _ = docker_config::normalise_key(k);
                    if let Some(a) = &e.auth {
                        let _ = docker_config::decode_auth(a);
                    }
                }
            }
        }
        "daemon_json" => {
            if let Ok(Some(c)) = daemon_json::read(&temp_file("daemon.json", data)) {
                for m in &c.registry_mirrors {
                    let _ = crate::probe::daemon_config::mirror_problem(m);
                }
            }
        }
        "containerd_config" => {
            let _ = containerd::parse(&text);
            let _ = containerd::legacy_endpoint_problem(&text);
        }
        "hosts_toml" => {
            let path = Path::new("/etc/containerd/certs.d/r.example/hosts.toml");
            if let Ok(h) = containerd::parse_hosts(&text, path) {
                for e in &h.hosts {
                    let _ = containerd::host_url_problem(&e.url, e.override_path);
                }
            }
            let _ = containerd::host_url_problem(&text, data.first().is_some_and(|b| b & 1 == 1));
        }
        "registries_conf" => {
            // Merged twice, as a drop-in over the main file, then asked about a reference
            // taken from the input itself.
            let mut conf = registries_conf::RegistriesConf::default();
            let _ = registries_conf::parse_into(&mut conf, &text, Path::new("/r.conf"));
            let _ = registries_conf::parse_into(&mut conf, &text, Path::new("/d/50.conf"));
            let reference = text.lines().next().unwrap_or("docker.io/library/nginx");
            let _ = conf.find(reference);
            let _ = conf.find("docker.io/library/nginx");
            let _ = registries_conf::prefix_match_len(reference, &text);
        }
        "policy_json" => {
            if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(data) {
                let _ = policy_json::applied(&m, "r.example/team/app:1");
                let _ = policy_json::applied(&m, "docker.io/library/nginx");
            }
            let _ = policy_json::scopes(&text);
        }
        "systemd_unit" => {
            let _ = systemd::parse_unit(&text);
            let _ = systemd::has_typographic_quotes(&text);
            let words = dockerd_flags::split_words(&text);
            let _ = dockerd_flags::without_words(&text, &words[..words.len().min(2)]);
            let _ = dockerd_flags::parse_env_file(&text);
        }
        "no_proxy" => no_proxy(&text),
        "jwt" => {
            // The input as a token, and as the payload of a well-formed JWT, so the claims
            // reader sees JSON and not only base64 errors.
            let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data);
            for token in [
                text.to_string(),
                format!("eyJhbGciOiJub25lIn0.{payload}.c2ln"),
            ] {
                if let Ok(c) = jwt::decode_claims(&token) {
                    let _ = c.granted_actions("repository", "library/alpine");
                    let _ = c.grants("registry", "catalog", "*");
                }
            }
        }
        "certificate_chain" => {
            let _ = x509::parse(data);
            for cert in CertificateDer::pem_slice_iter(data).take(200).flatten() {
                let _ = x509::parse(&cert);
            }
        }
        "token_body" => token_body(data),
        "explain" => {
            let (rules, matcher) = explain_rules();
            crate::explain::explain(rules, matcher, data, crate::i18n::Lang::En)
                .expect("reading from a slice cannot fail");
        }
        "redaction" => redaction(&text),
        "docker_info" => {
            let _ = docker_info::parse(&text);
            let _ = docker_info::without_userinfo(&text);
        }
        other => panic!("no fuzz target named {other:?}"),
    }
}

/// NO_PROXY, a host and a proxy URL, one per line, judged the Go way and the curl way.
fn no_proxy(text: &str) {
    let mut parts = text.splitn(3, '\n');
    let (no_proxy, host, proxy) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or("r.example"),
        parts.next().unwrap_or("http://p:3128"),
    );
    let env = go_proxy::ProxyEnv {
        http_proxy: Some(proxy.to_string()),
        https_proxy: Some(proxy.to_string()),
        no_proxy: Some(no_proxy.to_string()),
        cgi: false,
    };
    for scheme in ["https", "http"] {
        if let Ok(url) = url::Url::parse(&format!("{scheme}://{host}/v2/")) {
            let _ = go_proxy::decide(&env, &url);
        }
    }
    let _ = go_proxy::curl_no_proxy_matches(no_proxy, host);
    let _ = go_proxy::suggested_no_proxy_entry(host);
    let _ = go_proxy::suggested_no_proxy_domain(host);
}

/// A realm's or a registry's answer, read as the auth check reads it and described for
/// evidence: the description stays short and never carries a long run of the body.
fn token_body(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let token = v.get("token").or_else(|| v.get("access_token"));
        if let Some(t) = token.and_then(serde_json::Value::as_str) {
            let _ = jwt::decode_claims(t);
        }
    }
    for (body, cut) in [(data, false), (&data[..data.len() / 2], true)] {
        let d = redact::body_shape(body, cut);
        assert!(d.len() < 2048, "a {}-byte description", d.len());
        let text = String::from_utf8_lossy(body);
        if let Some(run) = text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .find(|w| w.len() >= 40)
        {
            assert!(!d.contains(run), "the description shows {run:?}: {d}");
        }
    }
}

/// Any text, with a registered secret planted in its middle: never a panic, and the secret
/// never survives, whatever surrounds it.
fn redaction(text: &str) {
    let _ = redact::text(text);
    let secret = "Fuzz-Planted-Secret-7q";
    redact::register_secret(secret);
    let half = text
        .char_indices()
        .nth(text.chars().count() / 2)
        .map_or(text.len(), |(i, _)| i);
    let planted = format!("{}{secret}{}", &text[..half], &text[half..]);
    let out = redact::text(&planted);
    assert!(!out.contains(secret), "planted secret shown: {out:?}");
}

fn explain_rules() -> &'static (crate::rules::RuleSet, crate::rules::matcher::Matcher) {
    static RULES: OnceLock<(crate::rules::RuleSet, crate::rules::matcher::Matcher)> =
        OnceLock::new();
    RULES.get_or_init(|| {
        let rules = crate::rules::RuleSet::embedded().expect("the embedded rules load");
        let matcher =
            crate::rules::matcher::Matcher::new(&rules).expect("the embedded rules compile");
        (rules, matcher)
    })
}

/// `data` in a file of this process's own temporary folder.
fn temp_file(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("regdoctor-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(name);
    std::fs::write(&file, data).expect("the temporary folder is writable");
    file
}
