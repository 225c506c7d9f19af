//! `daemon-config`: `/etc/docker/daemon.json` read as dockerd reads it. A file dockerd refuses
//! (bad JSON, a misspelt key, an invalid mirror) means no daemon at all after the next restart.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::config::json_file::{self, JsonFileError};
use crate::observe::Observation;
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;

pub const PROBE: ProbeDef = ProbeDef {
    id: "daemon-config",
    doc: "daemon.json as dockerd reads it: JSON errors, misspelt keys, registry-mirrors, insecure-registries",
    needs: &[],
    timeout: Duration::from_secs(2),
    on_timeout: None,
    run,
};

/// Misspellings seen in the wild, and the key dockerd knows. Only these are flagged: dockerd
/// has too many options (and adds more each release) for a full list to stay right.
const MISSPELT: &[(&str, &str)] = &[
    ("registry-mirror", "registry-mirrors"),
    ("registry_mirrors", "registry-mirrors"),
    ("registryMirrors", "registry-mirrors"),
    ("mirrors", "registry-mirrors"),
    ("insecure-registry", "insecure-registries"),
    ("insecure_registries", "insecure-registries"),
    ("insecureRegistries", "insecure-registries"),
    ("proxy", "proxies"),
    ("http-proxy", "proxies"),
    ("https-proxy", "proxies"),
    ("data_root", "data-root"),
    ("graph", "data-root"),
    ("dns_search", "dns-search"),
];

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx) })
}

fn probe(ctx: &Ctx) -> ProbeResult {
    let path = &ctx.opts.daemon_config_path;
    let shown = path.display().to_string();
    let map = match json_file::read_object(path).and_then(|m| match m {
        Some(map) => {
            json_file::check_shapes(path, &map, crate::config::daemon_json::SHAPES)?;
            Ok(Some(map))
        }
        None => Ok(None),
    }) {
        Ok(Some(map)) => map,
        Ok(None) => {
            return ProbeResult::pass(format!("no {shown}: the daemon runs with its defaults"));
        }
        Err(JsonFileError::Unreadable { message, .. }) => {
            return ProbeResult::skip(format!("{shown} cannot be read: {message}"));
        }
        Err(e) => {
            let detail = match &e {
                JsonFileError::Json {
                    line,
                    column,
                    message,
                    ..
                } => format!("line {line}, column {column}: {message}"),
                other => other.to_string(),
            };
            return ProbeResult::fail(
                "daemon.json cannot be loaded: dockerd will not start with it".to_string(),
                vec![
                    ctx.obs("daemon-config.malformed")
                        .evidence("file", shown.clone())
                        .evidence("error", detail),
                ],
            );
        }
    };
    let mut observations: Vec<Observation> = Vec::new();
    for key in map.keys() {
        let right = MISSPELT
            .iter()
            .find(|(bad, _)| bad == key)
            .map(|(_, good)| *good);
        if right.is_some() || key.starts_with('_') || key.starts_with("//") {
            let mut o = ctx
                .obs("daemon-config.unknown_key")
                .evidence("file", shown.clone())
                .evidence("key", key.clone())
                .evidence(
                    "dockerd",
                    format!("the following directives don't match any configuration option: {key}"),
                );
            if let Some(good) = right {
                o = o
                    .evidence("did you mean", good.to_string())
                    .var("key", good.to_string());
            }
            observations.push(o);
        }
    }
    let strings = |k: &str| -> Vec<String> {
        map.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mirrors = strings("registry-mirrors");
    for m in &mirrors {
        if let Some(why) = mirror_problem(m) {
            observations.push(
                ctx.obs("daemon-config.mirror_invalid")
                    .evidence("file", shown.clone())
                    .evidence("registry-mirrors entry", m.clone())
                    .evidence("dockerd", why)
                    .var("mirror", m.clone()),
            );
        }
    }
    for entry in strings("insecure-registries") {
        if let Some((scheme, _)) = entry.split_once("://") {
            if scheme != "http" && scheme != "https" {
                observations.push(
                    ctx.obs("daemon-config.mirror_invalid")
                        .evidence("file", shown.clone())
                        .evidence("insecure-registries entry", entry.clone())
                        .evidence(
                            "dockerd",
                            format!("insecure registry {entry} should not contain '://'"),
                        ),
                );
            }
        }
    }
    let status = if observations.is_empty() {
        Status::Pass
    } else {
        Status::Fail
    };
    ProbeResult {
        status: Some(status),
        summary: Some(format!(
            "{shown}: {} mirror(s), {} insecure registr(y/ies)",
            mirrors.len(),
            strings("insecure-registries").len()
        )),
        skip_reason: None,
        observations,
    }
}

/// dockerd's ValidateMirror, in words.
pub fn mirror_problem(m: &str) -> Option<String> {
    let with_scheme = if m.contains("://") {
        m.to_string()
    } else {
        format!("https://{m}")
    };
    let Ok(url) = url::Url::parse(&with_scheme) else {
        return Some(format!("invalid mirror: {m:?} is not a valid URI"));
    };
    if url.scheme() != "http" && url.scheme() != "https" {
        return Some(format!(
            "invalid mirror: unsupported scheme {:?} in {m:?}",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(format!(
            "invalid mirror: username/password not allowed in URI {m:?}"
        ));
    }
    if (url.path() != "/" && !url.path().is_empty())
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Some(format!(
            "invalid mirror: path, query, or fragment at end of the URI {m:?}"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::mirror_problem;

    #[test]
    fn mirrors_are_validated_like_dockerd() {
        assert_eq!(mirror_problem("https://abc.mirror.aliyuncs.com"), None);
        assert_eq!(mirror_problem("https://m.example:5000/"), None);
        assert!(
            mirror_problem("https://m.example/v2/")
                .unwrap()
                .contains("path")
        );
        assert!(
            mirror_problem("ftp://m.example")
                .unwrap()
                .contains("scheme")
        );
        assert!(
            mirror_problem("https://u:p@m.example")
                .unwrap()
                .contains("username")
        );
    }
}
