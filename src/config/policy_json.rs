//! `/etc/containers/policy.json`, the signature policy of podman, skopeo and CRI-O
//! (containers/image `signature` package): which requirements apply to an image pulled with
//! the `docker` transport, chosen by the most specific scope as containers/image does.

use std::path::Path;

use serde_json::{Map, Value};

use super::json_file::{self, JsonFileError};

#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The scope that matched: a reference, repository, namespace, host, `*.domain`, `""`
    /// (the transport's default) or `default` (the policy's).
    pub scope: String,
    /// The requirement types, e.g. `reject`, `signedBy`, `insecureAcceptAnything`.
    pub requirements: Vec<String>,
}

impl Applied {
    pub fn rejects(&self) -> bool {
        self.requirements.iter().any(|r| r == "reject")
    }

    /// Requirements that need a signature the image may not have.
    pub fn needs_signature(&self) -> bool {
        self.requirements
            .iter()
            .any(|r| r == "signedBy" || r == "sigstoreSigned" || r == "signedBaseLayer")
    }
}

pub fn read(path: &Path) -> Result<Option<Map<String, Value>>, JsonFileError> {
    json_file::read_object(path)
}

/// The candidate scopes for `reference` (`host[:port]/repo[:tag|@digest]`), most specific first,
/// as containers/image's `docker.Reference.PolicyConfigurationNamespaces` lists them.
pub fn scopes(reference: &str) -> Vec<String> {
    let mut out = vec![reference.to_string()];
    // The repository without tag or digest.
    let no_digest = reference.split('@').next().unwrap_or(reference);
    let repo = match no_digest.rsplit_once(':') {
        Some((head, tail)) if !tail.contains('/') && head.contains('/') => head,
        _ => no_digest,
    };
    if repo != reference {
        out.push(repo.to_string());
    }
    let mut cur = repo;
    while let Some((head, _)) = cur.rsplit_once('/') {
        out.push(head.to_string());
        cur = head;
    }
    // Wildcards over the host's parent domains (not for IP addresses or single labels).
    let host = cur.split(':').next().unwrap_or(cur);
    if host.parse::<std::net::IpAddr>().is_err() {
        let labels: Vec<&str> = host.split('.').collect();
        for i in 1..labels.len() {
            out.push(format!("*.{}", labels[i..].join(".")));
        }
    }
    out.dedup();
    out
}

/// The requirements the `docker` transport applies to `reference`.
pub fn applied(policy: &Map<String, Value>, reference: &str) -> Option<Applied> {
    let types = |v: &Value| -> Option<Vec<String>> {
        Some(
            v.as_array()?
                .iter()
                .map(|r| {
                    r.get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("(no type)")
                        .to_string()
                })
                .collect(),
        )
    };
    if let Some(docker) = policy
        .get("transports")
        .and_then(|t| t.get("docker"))
        .and_then(Value::as_object)
    {
        for scope in scopes(reference).into_iter().chain([String::new()]) {
            if let Some(reqs) = docker.get(&scope).and_then(types) {
                return Some(Applied {
                    scope,
                    requirements: reqs,
                });
            }
        }
    }
    policy
        .get("default")
        .and_then(types)
        .map(|requirements| Applied {
            scope: "default".into(),
            requirements,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(s: &str) -> Map<String, Value> {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn scopes_go_from_specific_to_general() {
        assert_eq!(
            scopes("r.corp.example:5000/team/app:1"),
            vec![
                "r.corp.example:5000/team/app:1",
                "r.corp.example:5000/team/app",
                "r.corp.example:5000/team",
                "r.corp.example:5000",
                "*.corp.example",
                "*.example",
            ]
        );
        assert_eq!(scopes("10.0.0.1:5000"), vec!["10.0.0.1:5000"]);
    }

    #[test]
    fn most_specific_scope_wins() {
        let p = policy(
            r#"{"default":[{"type":"insecureAcceptAnything"}],
                "transports":{"docker":{
                    "r.example/team":[{"type":"reject"}],
                    "r.example/team/signed":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k"}],
                    "":[{"type":"insecureAcceptAnything"}]}}}"#,
        );
        let a = applied(&p, "r.example/team/app:1").unwrap();
        assert!(a.rejects() && a.scope == "r.example/team");
        let s = applied(&p, "r.example/team/signed:1").unwrap();
        assert!(s.needs_signature() && !s.rejects());
        let o = applied(&p, "other.example/x:1").unwrap();
        assert_eq!(o.scope, "");
        let d = applied(&policy(r#"{"default":[{"type":"reject"}]}"#), "x/y:1").unwrap();
        assert!(d.rejects() && d.scope == "default");
        assert!(applied(&policy("{}"), "x/y:1").is_none());
    }
}
