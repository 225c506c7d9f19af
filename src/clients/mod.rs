//! The clients that pull from a registry, and how each one's path differs. The checks observe
//! once (one DNS lookup, one TLS handshake, one CONNECT per distinct proxy); [`judge`] then says,
//! for each client, which of those observations concern it and what its verdict is.
//!
//! - [`profile`]: where each client takes its proxy, which hosts it treats as insecure, which
//!   roots it trusts, whether mirrors apply, where its credentials come from.
//! - [`judge`]: the observations re-read per client, and one verdict per client.

pub mod fixes;
pub mod judge;
pub mod profile;

use std::path::{Path, PathBuf};

use serde::Serialize;

/// A family of clients that share one registry stack (and so one verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Client {
    /// dockerd: `docker pull`, `docker build` with the classic builder, `docker login`.
    Docker,
    /// containerd's resolver: the kubelet through CRI, nerdctl, `ctr --hosts-dir`.
    Containerd,
    /// containers/image: podman, skopeo, buildah, CRI-O.
    Containers,
    /// A standalone buildkitd with its own `buildkitd.toml`.
    Buildkit,
}

impl Client {
    pub const ALL: [Client; 4] = [
        Client::Docker,
        Client::Containerd,
        Client::Containers,
        Client::Buildkit,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Client::Docker => "docker",
            Client::Containerd => "containerd",
            Client::Containers => "containers",
            Client::Buildkit => "buildkit",
        }
    }

    /// The programs a user knows this client by.
    pub fn programs(self) -> &'static str {
        match self {
            Client::Docker => "docker (dockerd)",
            Client::Containerd => "containerd (kubelet, nerdctl, ctr)",
            Client::Containers => "podman, skopeo, buildah, CRI-O",
            Client::Buildkit => "buildkitd",
        }
    }

    pub fn parse(s: &str) -> Option<Vec<Client>> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Some(Client::ALL.to_vec()),
            "docker" | "dockerd" => Some(vec![Client::Docker]),
            "containerd" | "kubelet" | "nerdctl" | "ctr" => Some(vec![Client::Containerd]),
            "containers" | "podman" | "skopeo" | "buildah" | "cri-o" | "crio" => {
                Some(vec![Client::Containers])
            }
            "buildkit" | "buildkitd" => Some(vec![Client::Buildkit]),
            _ => None,
        }
    }
}

/// What marks a client as present on this machine.
#[derive(Debug, Clone)]
pub struct Presence {
    /// `$PATH`, split.
    pub path_dirs: Vec<PathBuf>,
    /// Sockets and configuration files, per client.
    pub markers: Vec<(Client, PathBuf)>,
}

impl Presence {
    /// The usual places: binaries on `$PATH`, the daemons' sockets, their configuration.
    pub fn standard(path_dirs: Vec<PathBuf>, buildkitd_config: &Path) -> Presence {
        let markers = [
            (Client::Docker, "/var/run/docker.sock"),
            (Client::Docker, "/etc/docker/daemon.json"),
            (Client::Containerd, "/run/containerd/containerd.sock"),
            (Client::Containerd, "/etc/containerd/config.toml"),
            (Client::Containers, "/etc/containers/registries.conf"),
            (Client::Containers, "/var/run/crio/crio.sock"),
        ]
        .iter()
        .map(|(c, p)| (*c, PathBuf::from(p)))
        .chain(std::iter::once((
            Client::Buildkit,
            buildkitd_config.to_path_buf(),
        )))
        .collect();
        Presence { path_dirs, markers }
    }

    fn on_path(&self, binary: &str) -> bool {
        self.path_dirs.iter().any(|d| d.join(binary).is_file())
    }
}

/// The clients found on this machine, in a fixed order; Docker when none is found. BuildKit
/// counts only with its own `buildkitd.toml`: inside Docker it follows dockerd's settings.
pub fn detect(presence: &Presence) -> Vec<Client> {
    let binaries: [(Client, &[&str]); 3] = [
        (Client::Docker, &["dockerd", "docker"]),
        (Client::Containerd, &["containerd", "ctr", "nerdctl"]),
        (Client::Containers, &["podman", "skopeo", "buildah", "crio"]),
    ];
    let mut found: Vec<Client> = Vec::new();
    for (client, names) in binaries {
        if names.iter().any(|b| presence.on_path(b)) {
            found.push(client);
        }
    }
    for (client, marker) in &presence.markers {
        if marker.exists() && !found.contains(client) {
            found.push(*client);
        }
    }
    found.sort();
    if found.is_empty() {
        found.push(Client::Docker);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_users_type_map_to_their_client() {
        assert_eq!(Client::parse("podman"), Some(vec![Client::Containers]));
        assert_eq!(Client::parse("Kubelet"), Some(vec![Client::Containerd]));
        assert_eq!(Client::parse("all").map(|v| v.len()), Some(4));
        assert_eq!(Client::parse("rkt"), None);
    }

    #[test]
    fn detection_reads_path_and_markers_and_falls_back_to_docker() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let none = Presence {
            path_dirs: vec![bin.clone()],
            markers: vec![(Client::Buildkit, dir.path().join("buildkitd.toml"))],
        };
        assert_eq!(detect(&none), vec![Client::Docker]);
        std::fs::write(bin.join("skopeo"), "").unwrap();
        std::fs::write(dir.path().join("buildkitd.toml"), "").unwrap();
        assert_eq!(
            detect(&none),
            vec![Client::Containers, Client::Buildkit],
            "found, in a fixed order"
        );
    }
}
