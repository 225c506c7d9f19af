//! `~/.docker/config.json` (or `$DOCKER_CONFIG/config.json`): the credentials and helpers the
//! docker client uses, read with Docker's key normalisation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;
use serde_json::value::RawValue;

#[derive(Debug, Clone, Default)]
pub struct DockerConfig {
    pub path: PathBuf,
    /// Raw key as written → entry.
    pub auths: BTreeMap<String, AuthEntry>,
    pub creds_store: Option<String>,
    pub cred_helpers: BTreeMap<String, String>,
    /// Unix permission bits of the file, where known.
    pub mode: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct AuthEntry {
    pub auth: Option<String>,
    pub identity_token: Option<String>,
}

pub use super::json_file::JsonFileError as DockerConfigError;

/// What an `auth` value decodes to. Only the user name is ever shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthValue {
    Ok { user: String },
    Empty,
    NotBase64,
    NoColon,
}

const SHAPES: &[(&str, super::json_file::Shape)] = {
    use super::json_file::Shape;
    &[
        ("auths", Shape::ObjectMap),
        ("credsStore", Shape::String),
        ("credHelpers", Shape::StringMap),
    ]
};

/// `Ok(None)` when there is no config file (anonymous access, not an error).
pub fn read(path: &Path) -> Result<Option<DockerConfig>, DockerConfigError> {
    // Members stay raw JSON until read: a config.json of 100,000 `auths` (CI machines log in
    // to many registries) costs about its size, not a tree of values.
    let Some(map) = super::json_file::read_raw_object(path)? else {
        return Ok(None);
    };
    // The docker CLI refuses a config.json whose known keys hold the wrong kind of value.
    super::json_file::check_raw_shapes(path, &map, SHAPES)?;
    let mut out = DockerConfig {
        path: path.to_path_buf(),
        mode: mode(path),
        ..DockerConfig::default()
    };
    let members = |key: &str| -> BTreeMap<String, Box<RawValue>> {
        map.get(key)
            .and_then(|v| serde_json::from_str(v.get()).ok())
            .unwrap_or_default()
    };
    for (key, raw) in members("auths") {
        let entry: RawEntry = serde_json::from_str(raw.get()).unwrap_or_default();
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let e = AuthEntry {
            auth: text(entry.auth),
            identity_token: text(entry.identitytoken),
        };
        // Every secret read is masked in any output from here on.
        for secret in [&e.auth, &e.identity_token].into_iter().flatten() {
            crate::report::redact::register_secret(secret);
            if let AuthValue::Ok { .. } = decode_auth(secret) {
                if let Some(pass) = decoded_password(secret) {
                    crate::report::redact::register_secret(&pass);
                }
            }
        }
        out.auths.insert(key, e);
    }
    out.creds_store = map
        .get("credsStore")
        .and_then(|v| serde_json::from_str::<Value>(v.get()).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    for (k, v) in members("credHelpers") {
        if let Ok(Value::String(v)) = serde_json::from_str::<Value>(v.get()) {
            out.cred_helpers.insert(k, v);
        }
    }
    Ok(Some(out))
}

/// The two fields of an `auths` entry regdoctor reads; the rest is skipped unread. `null`
/// (which Docker accepts) reads as an empty entry.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct RawEntry {
    auth: Option<Value>,
    identitytoken: Option<Value>,
}

#[cfg(unix)]
fn mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode(_path: &Path) -> Option<u32> {
    None
}

/// Docker's normalisation of an `auths` key to the registry host[:port] it applies to
/// (`https://host/v1/`, `http://host`, `host` all mean `host`).
pub fn normalise_key(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".into(),
        _ => host,
    }
}

pub fn decode_auth(auth: &str) -> AuthValue {
    if auth.trim().is_empty() {
        return AuthValue::Empty;
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(auth.trim()) else {
        return AuthValue::NotBase64;
    };
    let text = String::from_utf8_lossy(&bytes);
    match text.split_once(':') {
        Some((user, _)) if !user.is_empty() => AuthValue::Ok {
            user: user.to_string(),
        },
        _ => AuthValue::NoColon,
    }
}

fn decoded_password(auth: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.split_once(':').map(|(_, p)| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalise_like_docker() {
        assert_eq!(normalise_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(
            normalise_key("registry.example.com:5000"),
            "registry.example.com:5000"
        );
        assert_eq!(
            normalise_key("https://Registry.Example.com/v1/"),
            "registry.example.com"
        );
        assert_eq!(normalise_key("http://r.example:80"), "r.example:80");
    }

    #[test]
    fn auth_values_are_checked_for_shape() {
        assert_eq!(
            decode_auth("Ym9iOnNlY3JldA=="),
            AuthValue::Ok { user: "bob".into() }
        );
        assert_eq!(decode_auth(""), AuthValue::Empty);
        assert_eq!(decode_auth("***"), AuthValue::NotBase64);
        assert_eq!(decode_auth("Ym9i"), AuthValue::NoColon);
    }
}
