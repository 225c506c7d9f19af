//! The built-in rule packs, compiled into the binary. One line per file in `checks/`
//! (a test fails when a pack is added to the folder but not here).

pub const PACKS: &[(&str, &str)] = &[
    ("checks/auth.toml", include_str!("../../checks/auth.toml")),
    (
        "checks/client_config.toml",
        include_str!("../../checks/client_config.toml"),
    ),
    ("checks/disk.toml", include_str!("../../checks/disk.toml")),
    ("checks/dns.toml", include_str!("../../checks/dns.toml")),
    ("checks/http.toml", include_str!("../../checks/http.toml")),
    ("checks/k8s.toml", include_str!("../../checks/k8s.toml")),
    (
        "checks/mirror.toml",
        include_str!("../../checks/mirror.toml"),
    ),
    (
        "checks/network.toml",
        include_str!("../../checks/network.toml"),
    ),
    ("checks/proxy.toml", include_str!("../../checks/proxy.toml")),
    (
        "checks/registry_server.toml",
        include_str!("../../checks/registry_server.toml"),
    ),
    ("checks/repo.toml", include_str!("../../checks/repo.toml")),
    (
        "checks/runtimes.toml",
        include_str!("../../checks/runtimes.toml"),
    ),
    ("checks/tls.toml", include_str!("../../checks/tls.toml")),
    ("checks/trust.toml", include_str!("../../checks/trust.toml")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pack_in_the_folder_is_embedded_and_sorted() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .map(|n| format!("checks/{n}"))
            .collect();
        on_disk.sort();
        let listed: Vec<String> = PACKS.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(listed, on_disk);
    }
}
