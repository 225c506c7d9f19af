//! The credentials Docker would send to a registry, found the way Docker finds them:
//! `credHelpers[host]`, else `credsStore`, else the `auths` entry; or given on the command
//! line. Every secret is registered for redaction the moment it is read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::docker_config::{self, DockerConfig};
use crate::report::redact::register_secret;

#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
    /// `<token>` as user name means the secret is an identity (refresh) token.
    pub identity_token: bool,
    /// Where they came from, for the report (never the secret).
    pub source: String,
}

#[derive(Debug, Clone)]
pub enum Lookup {
    Found(Credentials),
    None(String),
    Failed(String),
}

const HELPER_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn find(
    config: Option<&DockerConfig>,
    config_key: &str,
    path_dirs: &[PathBuf],
) -> Lookup {
    let Some(config) = config else {
        return Lookup::None("no config.json".into());
    };
    let wanted = docker_config::normalise_key(config_key);
    let helper = config
        .cred_helpers
        .iter()
        .find(|(k, _)| docker_config::normalise_key(k) == wanted)
        .map(|(_, v)| v.clone())
        .or_else(|| config.creds_store.clone());
    if let Some(name) = helper {
        return run_helper(&name, config_key, path_dirs).await;
    }
    let Some((key, entry)) = config
        .auths
        .iter()
        .find(|(k, _)| docker_config::normalise_key(k) == wanted)
    else {
        return Lookup::None(format!(
            "no auths entry for {config_key} in {}",
            config.path.display()
        ));
    };
    if let Some(token) = &entry.identity_token {
        return Lookup::Found(Credentials {
            username: "<token>".into(),
            secret: token.clone(),
            identity_token: true,
            source: format!("identity token in {} ({key:?})", config.path.display()),
        });
    }
    let Some(auth) = &entry.auth else {
        return Lookup::None(format!("the {key:?} entry holds no auth"));
    };
    match base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| {
            t.split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string()))
        }) {
        Some((username, secret)) => {
            register_secret(&secret);
            Lookup::Found(Credentials {
                source: format!("user {username:?} from {} ({key:?})", config.path.display()),
                username,
                secret,
                identity_token: false,
            })
        }
        None => Lookup::Failed(format!(
            "the auth value under {key:?} is not base64 of user:password"
        )),
    }
}

/// The docker-credential-helpers protocol: `docker-credential-<name> get`, server URL on stdin,
/// JSON on stdout. A miss is exit 1 with "credentials not found": anonymous, not an error.
async fn run_helper(name: &str, server: &str, path_dirs: &[PathBuf]) -> Lookup {
    let binary = format!("docker-credential-{name}");
    let Some(path) = path_dirs
        .iter()
        .map(|d| d.join(&binary))
        .find(|p| p.is_file())
    else {
        return Lookup::Failed(format!("{binary} is not on PATH"));
    };
    match tokio::time::timeout(HELPER_TIMEOUT, helper_get(&path, server)).await {
        Err(_) => Lookup::Failed(format!(
            "{binary} get did not answer within {} s",
            HELPER_TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => Lookup::Failed(format!("{binary} get: {e}")),
        Ok(Ok((code, stdout, stderr))) => {
            if code != Some(0) {
                let text = format!("{} {}", stdout.trim(), stderr.trim());
                if text.to_ascii_lowercase().contains("credentials not found") {
                    return Lookup::None(format!("{binary} has no credentials for {server}"));
                }
                // What it printed, shortened: a broken helper can print anything, at length.
                let text = text.trim();
                let shown: String = text.chars().take(300).collect();
                let more = if shown.len() < text.len() { " …" } else { "" };
                let how = match code {
                    Some(c) => format!("exited with {c}"),
                    None => "was stopped (it printed more than 64 KiB, or died on a signal)".into(),
                };
                return Lookup::Failed(format!("{binary} get {how}: {shown}{more}"));
            }
            let v: serde_json::Value = match serde_json::from_str(&stdout) {
                Ok(v) => v,
                Err(e) => {
                    return Lookup::Failed(format!(
                        "{binary} get printed something that is not JSON: {e}"
                    ));
                }
            };
            let get = |k: &str| {
                v.get(k)
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let (username, secret) = (get("Username"), get("Secret"));
            register_secret(&secret);
            Lookup::Found(Credentials {
                identity_token: username == "<token>",
                source: format!("credential helper {}", path.display()),
                username,
                secret,
            })
        }
    }
}

async fn helper_get(path: &Path, server: &str) -> std::io::Result<(Option<i32>, String, String)> {
    let mut child = tokio::process::Command::new(path)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(server.as_bytes()).await?;
    }
    // Read at most CAP bytes of each stream: a broken helper that prints without end (or a
    // `yes` put there by mistake) must not fill memory before the timeout stops it.
    const CAP: u64 = 64 * 1024;
    async fn capped(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> Vec<u8> {
        let mut buf = Vec::new();
        if let Some(p) = pipe {
            let _ = p.take(CAP).read_to_end(&mut buf).await;
        }
        buf
    }
    let (stdout, stderr) = tokio::join!(capped(child.stdout.take()), capped(child.stderr.take()));
    if stdout.len() as u64 >= CAP || stderr.len() as u64 >= CAP {
        let _ = child.start_kill();
    }
    let status = child.wait().await?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Ok((status.code(), text(&stdout), text(&stderr)))
}
