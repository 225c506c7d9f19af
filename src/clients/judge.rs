//! Observe once, judge per client. The checks ran once, along Docker's path and with Docker's
//! trust; here every observation is tagged with the clients it concerns, what differs on
//! another client's path is added (a plain-HTTP answer podman refuses, a CA only Docker's
//! certs.d holds), and each client gets one verdict: the first error on its path, or "works".

use super::Client;
use super::profile::{self, Profile};
use crate::net::go_proxy::{self, ProxyDecision};
use crate::net::{trust, x509};
use crate::observe::Observation;
use crate::probe::Ctx;
use crate::probe::proxy::SHELL_PROXY_VAR;
use crate::probe::tls::Presented;
use crate::report::{ClientOutcome, ClientVerdict, Finding};
use crate::rules::Severity;

/// Verdicts on the certificate, which a client that skips verification never reaches.
const VERIFY_KEYS: &[&str] = &[
    "tls.unknown_authority",
    "tls.self_signed",
    "tls.missing_intermediate",
    "tls.hostname_mismatch",
    "tls.ip_not_in_sans",
    "tls.expired",
    "tls.not_yet_valid",
    "tls.clock_skew",
    "tls.legacy_signature",
    "tls.weak_key",
    "tls.expiring_soon",
];

/// Verdicts that depend on which roots the client trusts.
const TRUST_KEYS: &[&str] = &[
    "tls.unknown_authority",
    "tls.self_signed",
    "tls.missing_intermediate",
];

/// Checks whose observations are about one client's own files, whoever is judged.
fn owner(check: &str, obs: &Observation) -> Option<Client> {
    match check {
        "daemon-config" | "dockerd-flags" | "docker-info" | "content-trust" | "mirrors"
        | "mirror-path" => Some(Client::Docker),
        "proxy" if !obs.vars.contains_key(SHELL_PROXY_VAR) => Some(Client::Docker),
        "containerd" => Some(Client::Containerd),
        "containers" => Some(Client::Containers),
        _ => None,
    }
}

/// Checks on Docker Hub's own path, which Docker leaves when a mirror serves the image.
const HUB_PATH: &[&str] = &[
    "dns",
    "tcp",
    "tls",
    "proxy",
    "ping",
    "auth",
    "manifest",
    "server",
    "realm-path",
];

pub fn profiles(ctx: &Ctx, clients: &[Client]) -> Vec<Profile> {
    clients.iter().map(|c| profile::build(ctx, *c)).collect()
}

/// The observations, each tagged with the clients it concerns, plus those only another
/// client's path shows. An observation about the path that concerns none of the judged clients
/// stays, as a note.
pub fn per_client(
    ctx: &Ctx,
    profiles: &[Profile],
    observations: Vec<(String, Observation)>,
) -> Vec<(String, Observation)> {
    let url = registry_url(ctx);
    let via_proxy = |p: &Profile| {
        url.as_ref()
            .is_some_and(|u| matches!(go_proxy::decide(&p.proxy.env, u), Ok(ProxyDecision::Via(_))))
    };
    let judged: Vec<Client> = profiles.iter().map(|p| p.client).collect();
    let mirror_serves = ctx.target.registry.docker_hub && ctx.board.mirror_serves.get().is_some();
    let trusted = |p: &Profile| trusts_presented(ctx, p);
    let mut out: Vec<(String, Observation)> = Vec::new();
    let mut trust_judged = false;
    for (check, mut obs) in observations {
        if let Some(c) = owner(&check, &obs) {
            obs.clients = vec![c];
            out.push((check, obs));
            continue;
        }
        let key = obs.key.clone();
        let mut concerned: Vec<Client> = profiles
            .iter()
            .filter(|p| match check.as_str() {
                "proxy" => p.proxy.source == ctx.opts.shell_proxy.source && via_proxy(p),
                "auths" => p.client != Client::Containerd,
                // Through a proxy, the proxy resolves and connects.
                "dns" | "tcp" => !via_proxy(p),
                "tls" => tls_concerns(&key, p, &trusted),
                _ => true,
            })
            .map(|p| p.client)
            .collect();
        if mirror_serves && HUB_PATH.contains(&check.as_str()) {
            concerned.retain(|c| *c != Client::Docker);
        }
        if TRUST_KEYS.contains(&key.as_str()) || key == "tls.legacy_signature" {
            trust_judged = true;
        }
        if concerned.is_empty() && obs.vars.contains_key(SHELL_PROXY_VAR) {
            // The shell's proxy was tried for podman and skopeo, which are not judged here.
            continue;
        }
        if concerned.is_empty() {
            // An error on a path no judged client takes is a note; a warning stays one.
            let error = obs.severity.is_none_or(|s| s == Severity::Error);
            if !judged.is_empty() && error {
                obs = obs.severity(Severity::Info);
            }
        } else if VERIFY_KEYS.contains(&key.as_str()) && obs.severity == Some(Severity::Info) {
            // Docker's note ("insecure-registries: not verified") is an error for a client
            // that does verify.
            obs.severity = None;
        }
        obs.clients = concerned;
        out.push((check, obs));
    }
    out.extend(only_on_other_paths(ctx, profiles, trust_judged, &trusted));
    out
}

/// Does a TLS observation (made on Docker's terms) concern this client?
fn tls_concerns(key: &str, p: &Profile, trusted: &dyn Fn(&Profile) -> bool) -> bool {
    match key {
        "tls.server_speaks_http" => p.allows_http.is_none(),
        "tls.plain_http_allowed" => p.allows_http.is_some(),
        _ if VERIFY_KEYS.contains(&key) => {
            p.http_only.is_none()
                && p.skips_verify.is_none()
                && !(TRUST_KEYS.contains(&key) && trusted(p))
        }
        _ => p.http_only.is_none(),
    }
}

/// Would this client's roots accept the chain the registry presented? (`true` when no chain
/// was seen: nothing to refuse.)
fn trusts_presented(ctx: &Ctx, p: &Profile) -> bool {
    let Some(Presented::Chain(chain)) = ctx.board.presented.get() else {
        return true;
    };
    let trust = trust::from_files(&p.trust_dir, &p.extra_cas);
    crate::probe::tls::chain_trusted(&trust, chain, ctx.host())
}

/// What the single observation run shows only for another client: a plain-HTTP answer that
/// Docker accepts and podman refuses, a certificate only Docker's certs.d vouches for, a TLS
/// port a client talks plain HTTP to.
fn only_on_other_paths(
    ctx: &Ctx,
    profiles: &[Profile],
    trust_judged: bool,
    trusted: &dyn Fn(&Profile) -> bool,
) -> Vec<(String, Observation)> {
    let mut out = Vec::new();
    let registry = ctx.target.registry.host_port();
    match ctx.board.presented.get() {
        Some(Presented::PlainHttp(line)) => {
            let refusing: Vec<&Profile> = profiles
                .iter()
                .filter(|p| p.allows_http.is_none())
                .collect();
            // Docker's own refusal is already the tls check's finding.
            let docker_refused = ctx.insecure_reason().is_none();
            let others: Vec<Client> = refusing
                .iter()
                .map(|p| p.client)
                .filter(|c| !(docker_refused && *c == Client::Docker))
                .collect();
            if !others.is_empty() && !docker_refused {
                let mut o = ctx
                    .obs("tls.server_speaks_http")
                    .evidence("plain HTTP GET /v2/", line.clone());
                for p in refusing.iter().filter(|p| others.contains(&p.client)) {
                    o = o.evidence(
                        p.client.programs(),
                        format!("speak only HTTPS to {registry}: {}", no_http_setting(p)),
                    );
                }
                o.clients = others;
                out.push(("tls".to_string(), o));
            }
        }
        Some(Presented::Chain(chain)) => {
            let leaf = chain.first().and_then(|c| x509::parse(c));
            if !trust_judged {
                let refusing: Vec<&Profile> = profiles
                    .iter()
                    // Docker's trust is the tls check's own verdict.
                    .filter(|p| p.client != Client::Docker)
                    .filter(|p| p.http_only.is_none() && p.skips_verify.is_none() && !trusted(p))
                    .collect();
                if !refusing.is_empty() {
                    let key = if leaf.as_ref().is_some_and(|l| l.self_issued) {
                        "tls.self_signed"
                    } else {
                        "tls.unknown_authority"
                    };
                    let mut o = ctx.obs(key).evidence(
                        "finding",
                        match &leaf {
                            Some(l) => {
                                format!("issuer \"{}\" is not among these clients' roots", l.issuer)
                            }
                            None => "the server certificate could not be read".into(),
                        },
                    );
                    if let Some(l) = &leaf {
                        o = o.evidence("certificate 0 (server)", l.describe());
                    }
                    for p in &refusing {
                        o = o.evidence(
                            format!("{} trusts", p.client.programs()),
                            format!(
                                "the system roots and {} CA file(s) from {}",
                                p.extra_cas.len(),
                                p.trust_dir.display()
                            ),
                        );
                    }
                    o = o.var("certs_dir", refusing[0].trust_dir.display().to_string());
                    o.clients = refusing.iter().map(|p| p.client).collect();
                    out.push(("tls".to_string(), o));
                }
            }
            let http_only: Vec<&Profile> =
                profiles.iter().filter(|p| p.http_only.is_some()).collect();
            if !http_only.is_empty() {
                let mut o = ctx.obs("ping.tls_on_http_port").evidence(
                    "registry",
                    format!("{registry} answers TLS (it presented a certificate)"),
                );
                for p in &http_only {
                    o = o.evidence(p.client.programs(), p.http_only.clone().unwrap_or_default());
                }
                o.clients = http_only.iter().map(|p| p.client).collect();
                out.push(("tls".to_string(), o));
            }
        }
        None => {}
    }
    out
}

fn no_http_setting(p: &Profile) -> String {
    match p.client {
        Client::Docker => "not in insecure-registries".into(),
        Client::Containers => "no `insecure = true` for it in registries.conf".into(),
        Client::Containerd => format!(
            "no hosts.toml with an http:// server under {}",
            p.trust_dir.display()
        ),
        Client::Buildkit => "no `http = true` for it in buildkitd.toml".into(),
    }
}

fn registry_url(ctx: &Ctx) -> Option<url::Url> {
    let host = ctx.host();
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    url::Url::parse(&format!("https://{host}:{}/v2/", ctx.port())).ok()
}

/// Docker Hub behind registry-mirrors, no mirror serving the image and Docker Hub failing too:
/// Docker prints only Docker Hub's error, but the mirror's failure is the one to fix first.
pub fn mirrors_first(ctx: &Ctx, profiles: &[Profile], findings: &mut [Finding]) {
    let docker_mirrors = profiles
        .iter()
        .any(|p| p.client == Client::Docker && p.docker_mirrors);
    if !(ctx.target.registry.docker_hub && docker_mirrors)
        || ctx.board.mirror_serves.get().is_some()
    {
        return;
    }
    let hub_fails = findings.iter().any(|f| {
        f.severity == Severity::Error
            && f.clients.contains(&Client::Docker)
            && f.check.as_deref().is_some_and(|c| HUB_PATH.contains(&c))
    });
    if !hub_fails {
        return;
    }
    let is_mirror = |f: &Finding| {
        matches!(f.check.as_deref(), Some("mirrors" | "mirror-path"))
            && f.severity >= Severity::Warning
    };
    for f in findings.iter_mut().filter(|f| is_mirror(f)) {
        f.severity = Severity::Error;
    }
    // A stable sort: the mirror's findings first, each group in its own order.
    findings.sort_by_key(|f| !is_mirror(f));
}

/// One verdict per judged client: the first error on its path, or "works".
pub fn verdicts(profiles: &[Profile], findings: &[Finding]) -> Vec<ClientVerdict> {
    profiles
        .iter()
        .map(|p| {
            let cause = findings
                .iter()
                .find(|f| f.severity == Severity::Error && f.clients.contains(&p.client));
            ClientVerdict {
                client: p.client,
                programs: p.client.programs().to_string(),
                verdict: if cause.is_some() {
                    ClientOutcome::Fails
                } else {
                    ClientOutcome::Works
                },
                code: cause.map(|f| f.code.clone()),
                category: cause.map(|f| f.category),
                stage: cause.and_then(|f| f.check.clone()),
                title: cause.map(|f| f.title.clone()),
            }
        })
        .collect()
}
