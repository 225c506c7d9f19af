//! What the running Docker daemon says it uses (`docker info --format '{{json .}}'`): registry
//! mirrors, insecure registries and proxies. Compared with the files, it tells whether the
//! daemon has been restarted since they changed.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaemonView {
    /// `RegistryConfig.Mirrors`, without trailing slashes.
    pub mirrors: Vec<String>,
    /// `RegistryConfig.IndexConfigs` entries with `Secure: false`.
    pub insecure_names: Vec<String>,
    /// `RegistryConfig.InsecureRegistryCIDRs`.
    pub insecure_cidrs: Vec<String>,
    pub http_proxy: String,
    pub https_proxy: String,
    pub no_proxy: String,
    /// `ServerErrors`, or an empty document: the CLI could not ask the daemon.
    pub server_errors: Vec<String>,
}

/// Parse the JSON `docker info --format '{{json .}}'` prints.
pub fn parse(text: &str) -> Result<DaemonView, String> {
    let v: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
        v.and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let s = |k: &str| {
        obj.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let server_errors = strings(obj.get("ServerErrors"));
    if !server_errors.is_empty() {
        return Ok(DaemonView {
            server_errors,
            ..Default::default()
        });
    }
    // podman's `docker` shim answers too, without Docker's registry settings: nothing to
    // compare then, rather than a false "not restarted".
    let reg = Some(
        obj.get("RegistryConfig")
            .filter(|r| r.is_object())
            .ok_or("no RegistryConfig: this `docker` is not Docker's CLI (podman-docker?)")?,
    );
    let mut insecure_names: Vec<String> = reg
        .and_then(|r| r.get("IndexConfigs"))
        .and_then(|i| i.as_object())
        .map(|m| {
            m.iter()
                .filter(|(_, c)| c.get("Secure").and_then(|s| s.as_bool()) == Some(false))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    insecure_names.sort();
    Ok(DaemonView {
        mirrors: strings(reg.and_then(|r| r.get("Mirrors")))
            .into_iter()
            .map(|m| m.trim_end_matches('/').to_string())
            .collect(),
        insecure_names,
        insecure_cidrs: strings(reg.and_then(|r| r.get("InsecureRegistryCIDRs"))),
        http_proxy: s("HTTPProxy"),
        https_proxy: s("HTTPSProxy"),
        no_proxy: s("NoProxy"),
        server_errors,
    })
}

/// A proxy URL as `docker info` shows it: credentials masked as `xxxxx`. Both sides are
/// compared without them.
pub fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host)) if !host.is_empty() => format!("{scheme}://{host}"),
            _ => url.to_string(),
        },
        None => url.to_string(),
    }
    .trim_end_matches('/')
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_registry_config_and_proxies() {
        let v = parse(
            r#"{"RegistryConfig":{"InsecureRegistryCIDRs":["::1/128","127.0.0.0/8"],
                "IndexConfigs":{"docker.io":{"Name":"docker.io","Mirrors":["https://m.example/"],"Secure":true,"Official":true},
                                "r.example:5000":{"Name":"r.example:5000","Mirrors":[],"Secure":false,"Official":false}},
                "Mirrors":["https://m.example/"]},
               "HTTPProxy":"http://xxxxx:xxxxx@proxy:3128","HTTPSProxy":"","NoProxy":"localhost"}"#,
        )
        .unwrap();
        assert_eq!(v.mirrors, vec!["https://m.example"]);
        assert_eq!(v.insecure_names, vec!["r.example:5000"]);
        assert_eq!(v.insecure_cidrs.len(), 2);
        assert_eq!(without_userinfo(&v.http_proxy), "http://proxy:3128");
        assert!(parse("[]").is_err());
        let down = parse(r#"{"ID":"","RegistryConfig":null,"ServerErrors":["Cannot connect to the Docker daemon"]}"#).unwrap();
        assert_eq!(down.server_errors.len(), 1);
        assert!(parse(r#"{"host":{"arch":"amd64"},"registries":{}}"#).is_err());
        assert!(parse("Cannot connect").is_err());
    }
}
