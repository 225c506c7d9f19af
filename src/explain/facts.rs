//! From the facts of an error chain to the observation keys `check` records, so that one rule
//! answers a live check and a pasted error the same way: a token realm refusing the connection
//! is `auth.realm_unreachable` whether `auth` saw it or `docker login` printed it.
//!
//! The stage decides between look-alikes (a 404 at the ping is not a registry; at a manifest it
//! is a missing tag), a distribution error code beats a bare status, and the reading that is
//! only a guess comes with its alternatives, so that explain can show them ranked.

use super::chain::{Chain, Client, Net, Op, Stage};

/// How firmly the text supports a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weight {
    /// Another cause the same text fits; a check decides between them.
    Alternative,
    /// Read from the status or code alone, without a stage that confirms it.
    Likely,
    /// The stage and the failure agree.
    Decided,
}

impl Weight {
    /// Added to the rule's priority when ranking: a reading backed by the protocol stage beats a
    /// generic phrase, never a specific one.
    pub fn bonus(self) -> u8 {
        match self {
            Weight::Decided => 12,
            Weight::Likely => 4,
            Weight::Alternative => 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub key: &'static str,
    pub weight: Weight,
}

struct Out(Vec<Reading>);

impl Out {
    fn put(&mut self, key: &'static str, weight: Weight) {
        match self.0.iter_mut().find(|r| r.key == key) {
            Some(r) => r.weight = r.weight.max(weight),
            None => self.0.push(Reading { key, weight }),
        }
    }
    fn decided(&mut self, key: &'static str) {
        self.put(key, Weight::Decided);
    }
    fn likely(&mut self, key: &'static str) {
        self.put(key, Weight::Likely);
    }
    fn alt(&mut self, key: &'static str) {
        self.put(key, Weight::Alternative);
    }
}

/// The observation keys this chain supports, the firmest first. Empty when the line says
/// nothing about a registry failure.
pub fn readings(c: &Chain) -> Vec<Reading> {
    let mut out = Out(Vec::new());
    // A proxy refusing a tunnel is about the registry it was asked for; other tools' lines
    // never get this far (explain drops them first).
    if !c.registry_context && c.stage != Some(Stage::ProxyConnect) {
        return out.0;
    }
    if c.mirror && c.has_failure() {
        // A request that a mirror answered for another registry: whatever failed, it failed at
        // the mirror (Docker falls back past it; containerd and podman may not).
        out.decided("mirrors.unreachable");
    }
    if let Some(net) = c.net {
        network(c, net, &mut out);
    }
    if out.0.iter().all(|r| r.weight != Weight::Decided) {
        codes(c, &mut out);
    }
    if out.0.iter().all(|r| r.weight != Weight::Decided) {
        if let Some(status) = c.status {
            by_status(c, status, &mut out);
        }
    }
    kubelet(c, &mut out);
    let mut v = out.0;
    v.sort_by_key(|r| std::cmp::Reverse(r.weight));
    v
}

fn network(c: &Chain, net: Net, out: &mut Out) {
    let realm = c.stage == Some(Stage::Token);
    match net {
        // A proxy that answered with a status was reached: what it said decides.
        Net::ProxyUnreachable | Net::ProxyRefused => match c.status {
            Some(407) => out.decided("proxy.auth_required"),
            Some(502..=504) => {
                out.decided("proxy.upstream_failed");
                out.alt("proxy.connect_refused");
            }
            Some(_) => out.decided("proxy.connect_refused"),
            None if net == Net::ProxyRefused => out.decided("proxy.connect_refused"),
            None => out.decided("proxy.unreachable"),
        },
        Net::HttpToHttps => out.decided("tls.server_speaks_http"),
        Net::NoSuchHost => {
            out.decided("dns.nxdomain");
            // A network that reaches the outside only through a proxy answers no name either.
            out.alt("proxy.config_ignored");
        }
        Net::ServerMisbehaving => out.decided("dns.servfail"),
        Net::DnsTimeout => out.decided("dns.timeout"),
        Net::DnsRefused => out.decided("dns.refused"),
        Net::Refused
        | Net::Reset
        | Net::Timeout
        | Net::Unreachable
        | Net::TlsHandshakeTimeout
        | Net::NoResponse
            if realm =>
        {
            out.decided("auth.realm_unreachable");
            out.alt(tcp_key(net));
        }
        Net::NoResponse => {
            out.decided("ping.stalled");
            out.alt("tcp.timeout");
            out.alt("proxy.unreachable");
        }
        Net::Eof | Net::UnexpectedEof if realm => {
            out.decided("auth.realm_unreachable");
            out.alt("proxy.connect_refused");
        }
        Net::Refused | Net::Reset | Net::Timeout | Net::Unreachable | Net::TlsHandshakeTimeout => {
            out.decided(tcp_key(net));
            if net == Net::Timeout || net == Net::Reset {
                out.alt("proxy.unreachable");
            }
        }
        Net::Eof => match c.stage {
            Some(Stage::Blob | Stage::BlobUpload) => out.decided("tcp.interrupted"),
            _ => {
                // The connection closed before any answer: a proxy or a balancer that ends TLS
                // and has no backend, or a server that is not speaking HTTP on that port.
                out.likely("ping.eof");
                out.alt("proxy.connect_refused");
                out.alt("tcp.reset");
            }
        },
        Net::UnexpectedEof => match c.stage {
            Some(Stage::Ping) => {
                out.likely("ping.eof");
                out.alt("proxy.connect_refused");
            }
            _ => {
                out.decided("tcp.interrupted");
                out.alt("proxy.unreachable");
            }
        },
    }
}

fn tcp_key(net: Net) -> &'static str {
    match net {
        Net::Refused => "tcp.refused",
        Net::Reset => "tcp.reset",
        Net::Unreachable => "tcp.unreachable",
        Net::TlsHandshakeTimeout => "tls.handshake_stalled",
        _ => "tcp.timeout",
    }
}

fn pushing(c: &Chain) -> bool {
    c.op == Some(Op::Push) || c.stage == Some(Stage::BlobUpload)
}

fn codes(c: &Chain, out: &mut Out) {
    // Several codes on one line: the first is the server's own answer, the rest are usually
    // the client repeating it, so the first decides.
    let Some(&code) = c.codes.first() else { return };
    let realm = c.stage == Some(Stage::Token);
    match code {
        "TOOMANYREQUESTS" => out.decided("manifest.rate_limited"),
        "NAME_UNKNOWN" => {
            out.decided("manifest.repo_not_found");
            out.alt("server.harbor_project_missing");
        }
        "MANIFEST_UNKNOWN" => {
            if c.stage == Some(Stage::Manifest) || c.stage.is_none() {
                out.decided("manifest.tag_not_found");
            } else {
                out.likely("manifest.tag_not_found");
            }
            out.alt("manifest.repo_not_found");
            out.alt("manifest.platform_missing");
        }
        "NAME_INVALID" => out.decided("reference.provider_name_rules"),
        "TAG_INVALID" => out.decided("reference.tag_invalid"),
        "MANIFEST_BLOB_UNKNOWN" if pushing(c) => out.decided("push.upload_unknown"),
        "BLOB_UNKNOWN" | "MANIFEST_BLOB_UNKNOWN" => {
            out.decided("manifest.blob_unknown");
            out.alt("push.upload_unknown");
        }
        "BLOB_UPLOAD_UNKNOWN" => out.decided("push.upload_unknown"),
        "BLOB_UPLOAD_INVALID" | "SIZE_INVALID" | "DIGEST_INVALID" => {
            out.decided("push.upload_invalid");
            out.alt("tcp.interrupted");
        }
        "MANIFEST_INVALID" | "MANIFEST_UNVERIFIED" => out.decided("push.manifest_invalid"),
        "UNSUPPORTED" => out.decided("push.unsupported"),
        "DENIED"
            if !pushing(c)
                && c.docker_hub
                && c.client == Some(Client::Kubelet)
                && !c.official_image =>
        {
            // A pod pulling a namespaced Docker Hub image that Hub refuses: private (and the pod
            // has no pull secret for it) as often as missing. An official image is never
            // private, so there it is the name.
            out.decided("host.kubernetes_node");
            out.alt("manifest.repo_not_found");
            out.alt("manifest.denied");
        }
        "DENIED" if !pushing(c) && c.docker_hub => {
            // Docker Hub denies a pull of a repository that does not exist rather than say so.
            out.decided("manifest.repo_not_found");
            out.alt("manifest.denied");
            out.alt("manifest.unauthorized");
        }
        "DENIED" => {
            if pushing(c) {
                out.decided("push.denied");
            } else {
                out.decided("manifest.denied");
            }
            // Many registries deny what does not exist rather than say so.
            out.alt("manifest.repo_not_found");
            out.alt("manifest.unauthorized");
        }
        "UNAUTHORIZED" => {
            if realm || c.op == Some(Op::Login) {
                out.decided("auth.bad_credentials");
            } else {
                out.decided("manifest.unauthorized");
            }
            out.alt("manifest.repo_not_found");
            out.alt("manifest.denied");
        }
        _ => {}
    }
}

fn by_status(c: &Chain, status: u16, out: &mut Out) {
    let stage = c.stage;
    if stage == Some(Stage::Token) {
        match status {
            401 => {
                out.decided("auth.bad_credentials");
                out.alt("auth.realm_error_status");
            }
            429 => out.decided("manifest.rate_limited"),
            403 => {
                // The token service heard the request and refused this scope to this account.
                out.decided("auth.scope_denied");
                out.alt("auth.realm_error_status");
                out.alt("manifest.repo_not_found");
            }
            s if s >= 400 => out.decided("auth.realm_error_status"),
            _ => {}
        }
        return;
    }
    let firm = |out: &mut Out, key| {
        if stage.is_some() {
            out.decided(key)
        } else {
            out.likely(key)
        }
    };
    match status {
        300..=399 => firm(out, "ping.redirect"),
        401 => {
            if c.op == Some(Op::Login) {
                firm(out, "auth.bad_credentials");
            } else {
                firm(out, "manifest.unauthorized");
            }
            out.alt("manifest.repo_not_found");
        }
        403 => {
            if pushing(c) {
                firm(out, "push.denied");
            } else {
                firm(out, "manifest.denied");
            }
            out.alt("manifest.repo_not_found");
            out.alt("proxy.connect_refused");
        }
        404 => match stage {
            Some(Stage::Ping) => out.decided("ping.not_found"),
            // Docker could not read the 404's body as a registry error: not the registry API.
            _ if c.foreign_body => out.decided("ping.not_found"),
            Some(Stage::TagList) => out.decided("manifest.repo_not_found"),
            Some(Stage::Blob) => out.decided("manifest.blob_unknown"),
            Some(Stage::BlobUpload) => out.decided("push.upload_unknown"),
            _ => {
                firm(out, "manifest.tag_not_found");
                out.alt("manifest.repo_not_found");
                out.alt("ping.not_found");
            }
        },
        405 => firm(out, "push.unsupported"),
        407 => out.decided("proxy.auth_required"),
        408 => firm(out, "tcp.timeout"),
        413 => firm(out, "push.too_large"),
        429 => {
            if stage == Some(Stage::Ping) {
                out.decided("ping.rate_limited");
            } else {
                firm(out, "manifest.rate_limited");
            }
        }
        502..=504 => {
            firm(out, "manifest.gateway_error");
            out.alt("proxy.upstream_failed");
        }
        500..=599 => match stage {
            Some(Stage::Ping) => out.decided("ping.server_error"),
            Some(Stage::BlobUpload) => out.decided("push.server_error"),
            _ if pushing(c) => firm(out, "push.server_error"),
            _ => firm(out, "manifest.server_error"),
        },
        400..=499 => firm(out, "ping.unexpected_status"),
        _ => {}
    }
}

/// Kubelet wraps what the runtime said; an authorization failure inside a pod's pull is, more
/// often than not, a missing or wrong `imagePullSecrets`.
fn kubelet(c: &Chain, out: &mut Out) {
    if c.client != Some(Client::Kubelet) {
        return;
    }
    let auth = out.0.iter().any(|r| {
        matches!(
            r.key,
            "manifest.unauthorized"
                | "manifest.denied"
                | "manifest.repo_not_found"
                | "auth.bad_credentials"
                | "auth.no_credentials"
        )
    });
    if auth && out.0.iter().all(|r| r.key != "host.kubernetes_node") {
        // The first alternative: in a pod, the pull secret is what to look at next.
        let at = out
            .0
            .iter()
            .position(|r| r.weight == Weight::Alternative)
            .unwrap_or(out.0.len());
        out.0.insert(
            at,
            Reading {
                key: "host.kubernetes_node",
                weight: Weight::Alternative,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As explain reads a line: logrus quotes unescaped first.
    fn read(line: &str) -> crate::explain::chain::Chain {
        let mut buf = String::new();
        crate::explain::chain::read(crate::explain::chain::unescape_logfmt(line, &mut buf))
    }

    fn first(line: &str) -> Option<&'static str> {
        readings(&read(line)).first().map(|r| r.key)
    }

    #[test]
    fn the_stage_decides_between_look_alikes() {
        assert_eq!(
            first(
                "Error response from daemon: Get \"https://r.example/v2/\": Get \"https://r.example/service/token?account=a&service=harbor-registry\": dial tcp 10.0.0.1:443: connect: connection refused"
            ),
            Some("auth.realm_unreachable")
        );
        assert_eq!(
            first(
                "Error response from daemon: Get \"https://r.example/v2/\": dial tcp 10.0.0.1:443: connect: connection refused"
            ),
            Some("tcp.refused")
        );
        assert_eq!(
            first(
                "Error response from daemon: error parsing HTTP 404 response body: Get \"https://r.example:8080/v2/\": 404 page not found"
            ),
            Some("ping.not_found")
        );
        assert_eq!(
            first(
                "Error: initializing source docker://r.example/a/b:1: reading manifest 1 in r.example/a/b: manifest unknown"
            ),
            Some("manifest.tag_not_found")
        );
    }

    #[test]
    fn token_request_with_an_error_status() {
        assert_eq!(
            first(
                "Error: failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aa%2Fb%3Apull&service=ghcr.io: 403 Forbidden"
            ),
            Some("auth.scope_denied")
        );
        assert_eq!(
            first(
                "Error: initializing source docker://r.example/a:1: Requesting bearer token: invalid status code from registry 500 (Internal Server Error)"
            ),
            Some("auth.realm_error_status")
        );
        // Docker puts the manifest URL in front of what its auth transport got from the realm.
        assert_eq!(
            first(
                "Error response from daemon: Head \"http://127.0.0.1:5000/v2/lib/hello/manifests/1\": received unexpected HTTP status: 500 Internal Server Error"
            ),
            Some("auth.realm_error_status")
        );
        assert_eq!(
            first("failed to fetch oauth token: unexpected status: 401 Unauthorized"),
            Some("auth.bad_credentials")
        );
    }

    #[test]
    fn proxy_refusal_reduced_to_its_reason_phrase() {
        assert_eq!(
            first(
                "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": Forbidden"
            ),
            Some("proxy.connect_refused")
        );
        assert_eq!(
            first(
                "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": Proxy Authentication Required"
            ),
            Some("proxy.auth_required")
        );
    }

    #[test]
    fn ambiguous_text_keeps_its_alternatives() {
        let r = readings(&read(
            "Error response from daemon: Get \"https://r.example/v2/\": EOF",
        ));
        let keys: Vec<_> = r.iter().map(|r| r.key).collect();
        assert_eq!(keys[0], "ping.eof");
        assert!(keys.contains(&"proxy.connect_refused"), "{keys:?}");
    }

    #[test]
    fn five_hundreds_are_server_errors_whatever_the_body() {
        assert_eq!(
            first(
                "Error response from daemon: received unexpected HTTP status: 503 Service Unavailable"
            ),
            Some("manifest.gateway_error")
        );
        assert_eq!(
            first(
                "Error response from daemon: received unexpected HTTP status: 500 Internal Server Error"
            ),
            Some("manifest.server_error")
        );
        assert_eq!(
            first(
                "FATA[0036] trying to reuse blob sha256:e00f at destination: failed to read from destination repository svc: 500 (Internal Server Error)"
            ),
            Some("push.server_error")
        );
    }

    #[test]
    fn a_mirror_is_the_host_that_answered_for_another_registry() {
        assert_eq!(
            first(
                "FATA[0000] pulling image failed: rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/ubuntu:18.04\": failed to resolve reference \"docker.io/library/ubuntu:18.04\": failed to do request: Head http://localhost:1234/v2/library/ubuntu/manifests/18.04: dial tcp 127.0.0.1:1234: connect: connection refused"
            ),
            Some("mirrors.unreachable")
        );
        // The registry itself, under another of Docker Hub's names, is no mirror.
        assert_eq!(
            first(
                "failed to resolve reference \"docker.io/library/ubuntu:18.04\": failed to do request: Head \"https://registry-1.docker.io/v2/library/ubuntu/manifests/18.04\": dial tcp 1.2.3.4:443: connect: connection refused"
            ),
            Some("tcp.refused")
        );
    }

    #[test]
    fn a_loopback_dial_for_a_remote_registry_is_a_local_proxy() {
        assert_eq!(
            first(
                "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": writing response to registry-1.docker.io:443: connecting to 127.0.0.1:1081: dial tcp 127.0.0.1:1081: connectex: No connection could be made because the target machine actively refused it."
            ),
            Some("proxy.unreachable")
        );
        // A registry on loopback dialled on loopback is just down.
        assert_eq!(
            first(
                "Error response from daemon: Get \"https://127.0.0.1:5000/v2/\": dial tcp 127.0.0.1:5000: connect: connection refused"
            ),
            Some("tcp.refused")
        );
    }

    #[test]
    fn containerd_not_found_inside_a_kubelet_log_line() {
        let r = readings(&read(
            "E1207 10:00:00.000000 1234 log.go:32] \"PullImage from image service failed\" err=\"rpc error: code = NotFound desc = failed to pull and unpack image \\\"r.example/a/b:1\\\": failed to resolve reference \\\"r.example/a/b:1\\\": r.example/a/b:1: not found\" image=\"r.example/a/b:1\"",
        ));
        let keys: Vec<_> = r.iter().map(|r| r.key).collect();
        assert_eq!(keys[0], "manifest.tag_not_found", "{keys:?}");
        assert!(keys.contains(&"manifest.repo_not_found"), "{keys:?}");
    }

    #[test]
    fn docker_hub_denies_what_does_not_exist_and_what_is_private_alike() {
        let line = |name: &str| {
            format!(
                "Warning  Failed  2m  kubelet  Failed to pull image \"{name}:1\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for {name}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
            )
        };
        // An official image is never private: the name is wrong.
        assert_eq!(first(&line("kubecloud")), Some("manifest.repo_not_found"));
        // A namespaced one may be private: in a pod, the pull secret comes first.
        assert_eq!(first(&line("acme/worker")), Some("host.kubernetes_node"));
        // Outside a pod, Hub's denial is a missing repository first.
        assert_eq!(
            first(
                "Error response from daemon: pull access denied for acme/worker, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
            ),
            Some("manifest.repo_not_found")
        );
    }

    #[test]
    fn other_tools_get_nothing() {
        assert_eq!(
            first("npm ERR! 403 403 Forbidden - GET https://registry.npmjs.org/x"),
            None
        );
        assert_eq!(
            first(
                "warning: spurious network error (3 tries remaining): [6] Could not resolve host: index.crates.io"
            ),
            None
        );
    }
}
