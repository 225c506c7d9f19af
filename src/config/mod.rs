//! Typed readers for the client machine's own configuration files.

pub mod bounded;
pub mod credentials;
pub mod daemon_json;
pub mod docker_config;
pub mod json_file;
pub mod systemd;
