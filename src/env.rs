//! The one door to environment variables: read once at start, passed down, so every rule about
//! which variable wins (Docker's, Go's, POSIX locale) lives in one place and tests can set any.

use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    pub fn from_process() -> Env {
        Env {
            // Variables that are not valid UTF-8 cannot be a path or setting we use.
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Env {
        Env {
            vars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    /// Set and not empty.
    pub fn non_empty(&self, name: &str) -> Option<String> {
        self.vars.get(name).filter(|v| !v.is_empty()).cloned()
    }

    pub fn home(&self) -> PathBuf {
        self.non_empty("HOME")
            .map_or_else(|| PathBuf::from("/root"), PathBuf::from)
    }

    /// Docker's client config directory: `$DOCKER_CONFIG`, else `~/.docker`.
    pub fn docker_config_dir(&self) -> PathBuf {
        self.non_empty("DOCKER_CONFIG")
            .map_or_else(|| self.home().join(".docker"), PathBuf::from)
    }

    /// Where podman, skopeo and buildah keep logins, in the order they look:
    /// `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
    /// `$XDG_CONFIG_HOME/containers/auth.json`. The flag says whether the first was set
    /// explicitly (the user then works with those tools, not Docker).
    pub fn podman_auth_files(&self) -> (Vec<PathBuf>, bool) {
        let mut out = Vec::new();
        let explicit = self.non_empty("REGISTRY_AUTH_FILE").map(PathBuf::from);
        let is_explicit = explicit.is_some();
        out.extend(explicit);
        if let Some(run) = self.non_empty("XDG_RUNTIME_DIR") {
            out.push(PathBuf::from(run).join("containers/auth.json"));
        }
        out.push(self.config_home().join("containers/auth.json"));
        (out, is_explicit)
    }

    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub fn config_home(&self) -> PathBuf {
        self.non_empty("XDG_CONFIG_HOME")
            .map_or_else(|| self.home().join(".config"), PathBuf::from)
    }

    /// https://no-color.org: present and not empty disables colour.
    pub fn no_color(&self) -> bool {
        self.non_empty("NO_COLOR").is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_dir_follows_docker() {
        let e = Env::from_pairs(&[("HOME", "/home/u")]);
        assert_eq!(e.docker_config_dir(), PathBuf::from("/home/u/.docker"));
        let e = Env::from_pairs(&[("HOME", "/home/u"), ("DOCKER_CONFIG", "/etc/dc")]);
        assert_eq!(e.docker_config_dir(), PathBuf::from("/etc/dc"));
        let e = Env::from_pairs(&[("HOME", "/home/u"), ("DOCKER_CONFIG", "")]);
        assert_eq!(e.docker_config_dir(), PathBuf::from("/home/u/.docker"));
    }
}
