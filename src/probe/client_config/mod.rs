//! Checks of each client's own configuration on this machine: dockerd's daemon.json, flags
//! and live settings, containerd's hosts.toml, containers/image's registries.conf and
//! policy.json, stored credentials, content trust, mirrors, and the host itself.

pub mod auths;
pub mod containerd;
pub mod containers;
pub mod content_trust;
pub mod daemon_config;
pub mod docker_info;
pub mod dockerd_flags;
pub mod host;
pub mod mirrors;
