//! `/etc/docker/daemon.json`, the settings of the Docker daemon that change how it talks to
//! registries. Missing is normal (defaults apply); malformed is reported with line and column.

use std::path::Path;

use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DaemonConfig {
    pub insecure_registries: Vec<String>,
    pub registry_mirrors: Vec<String>,
    /// `proxies` (Engine 23.0+): overrides the daemon's proxy environment at start-up.
    pub proxies: DaemonProxies,
    pub data_root: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DaemonProxies {
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    pub no_proxy: Option<String>,
}

pub use super::json_file::JsonFileError as DaemonConfigError;

/// The keys regdoctor reads, and the kind of value dockerd's decoder requires for each: any
/// other kind stops the daemon at start-up.
pub const SHAPES: &[(&str, super::json_file::Shape)] = {
    use super::json_file::Shape;
    &[
        ("registry-mirrors", Shape::StringArray),
        ("insecure-registries", Shape::StringArray),
        ("proxies", Shape::StringMap),
        ("data-root", Shape::String),
    ]
};

/// `Ok(None)` when the file does not exist: the daemon then runs with its defaults.
pub fn read(path: &Path) -> Result<Option<DaemonConfig>, DaemonConfigError> {
    let Some(map) = super::json_file::read_object(path)? else {
        return Ok(None);
    };
    super::json_file::check_shapes(path, &map, SHAPES)?;
    let strings = |key: &str| -> Vec<String> {
        match map.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let proxy = |key: &str| -> Option<String> {
        map.get("proxies")
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(Some(DaemonConfig {
        insecure_registries: strings("insecure-registries"),
        registry_mirrors: strings("registry-mirrors"),
        data_root: map
            .get("data-root")
            .and_then(Value::as_str)
            .map(str::to_string),
        proxies: DaemonProxies {
            http_proxy: proxy("http-proxy"),
            https_proxy: proxy("https-proxy"),
            no_proxy: proxy("no-proxy"),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_and_reports_json_errors_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("daemon.json");
        std::fs::write(
            &p,
            r#"{"insecure-registries": ["r.example:5000", "10.0.0.0/8"]}"#,
        )
        .unwrap();
        let c = read(&p).unwrap().unwrap();
        assert_eq!(c.insecure_registries, vec!["r.example:5000", "10.0.0.0/8"]);
        std::fs::write(&p, "{\n  \"registry-mirrors\": [\"https://m\",]\n}").unwrap();
        match read(&p) {
            Err(DaemonConfigError::Json { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        std::fs::write(&p, "[]").unwrap();
        assert!(matches!(
            read(&p),
            Err(DaemonConfigError::NotAnObject { .. })
        ));
        assert_eq!(read(&dir.path().join("missing.json")), Ok(None));
    }
}
