//! Typed readers for the client machine's own configuration files.

pub mod bounded;
pub mod containerd;
pub mod credentials;
pub mod daemon_json;
pub mod docker_config;
pub mod docker_info;
pub mod dockerd_flags;
pub mod json_file;
pub mod policy_json;
pub mod registries_conf;
pub mod systemd;
pub mod toml_file;
