//! The root-cause categories of `shared/taxonomy.md`: a public contract, serialised verbatim.

use serde::{Deserialize, Serialize};

macro_rules! categories {
    ($($variant:ident => $id:literal,)*) => {
        /// One root-cause category. The declaration order is the network stack from the bottom
        /// up: when two findings are otherwise equal, the lower layer is the likelier root cause
        /// (a name that does not resolve explains the failed pull, not the other way round).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Category { $($variant,)* }

        impl Category {
            pub const ALL: &'static [Category] = &[$(Category::$variant,)*];
            pub fn id(self) -> &'static str {
                match self { $(Category::$variant => $id,)* }
            }
            pub fn from_id(id: &str) -> Option<Category> {
                match id { $($id => Some(Category::$variant),)* _ => None }
            }
        }
    };
}

categories! {
    ClientSetup => "client_setup",
    DiskSpace => "disk_space",
    ConfigJson => "config_json",
    CredentialHelper => "credential_helper",
    ContentTrust => "content_trust",
    ImageReferenceInvalid => "image_reference_invalid",
    DnsResolution => "dns_resolution",
    ProxyMisconfig => "proxy_misconfig",
    NetworkUnreachable => "network_unreachable",
    TlsUnknownAuthority => "tls_unknown_authority",
    TlsExpiredOrClock => "tls_expired_or_clock",
    TlsHostnameMismatch => "tls_hostname_mismatch",
    HttpVsHttps => "http_vs_https",
    MirrorMisconfig => "mirror_misconfig",
    NotARegistry => "not_a_registry",
    AuthTokenEndpoint => "auth_token_endpoint",
    AuthBadCredentials => "auth_bad_credentials",
    K8sPullSecret => "k8s_pull_secret",
    // A repository that does not exist, or a registry that cannot do the operation at all,
    // explains a denied scope (Harbor and ACR grant nothing on a missing project; a proxy
    // cache grants no push), so both rank before it.
    RepoNotFound => "repo_not_found",
    UnsupportedOperation => "unsupported_operation",
    AuthScopeDenied => "auth_scope_denied",
    ManifestUnknown => "manifest_unknown",
    PlatformMismatch => "platform_mismatch",
    RateLimited => "rate_limited",
    QuotaExceeded => "quota_exceeded",
    RequestTooLarge => "request_too_large",
    RegistryServerError => "registry_server_error",
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// How bad a finding is. Ordered so that the worst is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The taxonomy file is the contract: every id in it is a variant here and vice versa.
    #[test]
    fn categories_match_the_shared_taxonomy() {
        let taxonomy = include_str!("../../docs/taxonomy.md");
        let ids: Vec<&str> = taxonomy
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        assert_eq!(ids.len(), Category::ALL.len(), "taxonomy ids: {ids:?}");
        for id in ids {
            let c = Category::from_id(id).unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(c.id(), id);
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{id}\""));
        }
    }

    /// Our copy of the taxonomy must not drift from the shared one when it is beside the repo.
    #[test]
    fn vendored_taxonomy_is_the_shared_one() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/taxonomy.md");
        if let Ok(text) = std::fs::read_to_string(shared) {
            assert_eq!(text, include_str!("../../docs/taxonomy.md"));
        }
    }
}
