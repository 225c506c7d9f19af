//! One hop of the path Docker takes: a host and port examined DNS → TCP → TLS. The registry
//! itself is a hop (the `dns`, `tcp` and `tls` checks); so are its token realm (`realm-path`)
//! and each configured mirror (`mirror-path`). Every hop records the same observation keys, so
//! each key stays explained by one rule; a hop other than the registry names itself in the
//! first evidence line (`hop: realm auth.example:443`) and in the fixes' placeholders.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::net::resolver::{self, DnsAnswer};
use crate::observe::Observation;
use crate::probe::cloud_names;
use crate::probe::{CheckOptions, Ctx, Transport};
use crate::report::Status;
use crate::rules::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Registry,
    Realm,
    Mirror,
}

#[derive(Debug, Clone)]
pub struct Hop {
    pub role: Role,
    /// The name (or IP, without brackets) that is dialled.
    pub host: String,
    pub port: u16,
    /// `host[:port]` as Docker names the certs.d folder whose CAs it trusts for this hop.
    pub certs_key: String,
    /// Why Docker would skip certificate checks and allow plain HTTP here, if it would.
    pub insecure: Option<String>,
    /// Insecure by configuration (not just by being on loopback).
    pub explicitly_insecure: bool,
    pub vars: BTreeMap<String, String>,
    /// Where `insecure-registries` lives, for evidence.
    pub daemon_config: String,
}

impl Hop {
    pub fn registry(ctx: &Ctx) -> Hop {
        Hop {
            role: Role::Registry,
            host: ctx.host().trim_matches(['[', ']']).to_string(),
            port: ctx.port(),
            certs_key: ctx.target.registry.host_port(),
            insecure: ctx.insecure_reason(),
            explicitly_insecure: ctx.explicitly_insecure(),
            vars: ctx.vars(),
            daemon_config: ctx.opts.daemon_config_path.display().to_string(),
        }
    }

    /// `realm auth.example:443`, `mirror mirror.example:443`, `registry r.example:5000`.
    pub fn label(&self) -> String {
        let role = match self.role {
            Role::Registry => "registry",
            Role::Realm => "realm",
            Role::Mirror => "mirror",
        };
        format!("{role} {}", self.host_port())
    }

    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// An observation for this hop: its placeholders, and, beyond the registry, its name.
    pub fn obs(&self, key: &str) -> Observation {
        let mut o = Observation::new(key).vars(&self.vars);
        if self.role != Role::Registry {
            o = o.evidence("hop", self.label());
        }
        o
    }
}

/// Docker's insecure-registries test for a hop other than the registry: loopback, a
/// `host[:port]` entry, or a CIDR holding one of the addresses.
pub fn insecure_reason_for(
    host_port: &str,
    host: &str,
    addrs: &[IpAddr],
    entries: &[String],
) -> Option<String> {
    if host == "localhost"
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
    {
        return Some("loopback addresses are insecure registries by default in Docker".into());
    }
    for entry in entries {
        let e = entry
            .trim()
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches('/');
        if e.eq_ignore_ascii_case(host_port) || e.eq_ignore_ascii_case(host) {
            return Some(format!("{e} is listed in insecure-registries"));
        }
        if let Ok(net) = e.parse::<ipnet::IpNet>() {
            if let Some(a) = addrs.iter().find(|a| net.contains(*a)) {
                return Some(format!("{a} is inside insecure-registries entry {e}"));
            }
        }
    }
    None
}

/// Per query; A and AAAA are asked together, so a dead server costs about this once.
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(2000);

/// What the DNS step found: the addresses to try and any notes, or a failure.
pub struct Resolved {
    pub addrs: Vec<IpAddr>,
    pub summary: String,
    pub status: Status,
    pub notes: Vec<Observation>,
}

fn joined(addrs: &[IpAddr]) -> String {
    addrs
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn server_list(servers: &[SocketAddr]) -> String {
    if servers.is_empty() {
        "none".to_string()
    } else {
        servers
            .iter()
            .map(SocketAddr::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The server that answered, as far as it can be told: with one server configured, that one;
/// with several, the resolver asked them in order and the first to answer counts.
fn answered_by(servers: &[SocketAddr]) -> String {
    match servers {
        [one] => one.to_string(),
        [] => "none".to_string(),
        many => format!("one of {} (asked in this order)", server_list(many)),
    }
}

fn describe_answer(answer: &DnsAnswer) -> String {
    match answer {
        DnsAnswer::Addrs(a) => joined(a),
        DnsAnswer::NxDomain => "NXDOMAIN".into(),
        DnsAnswer::NoData => "no A/AAAA record".into(),
        DnsAnswer::ServFail => "SERVFAIL".into(),
        DnsAnswer::Refused => "REFUSED".into(),
        DnsAnswer::Timeout => "no answer".into(),
        DnsAnswer::NoServer(why) => why.clone(),
        DnsAnswer::Other(e) => e.clone(),
    }
}

/// With several nameservers the resolver's verdict hides who said what: each is asked on its
/// own (at once, briefly) so the evidence names the server behind each answer. Only on the
/// paths that report, never on a plain success, so a dead secondary costs nothing there.
async fn per_server(opts: &CheckOptions, host: &str, servers: &[SocketAddr]) -> Option<String> {
    if servers.len() < 2 {
        return None;
    }
    let mut set = tokio::task::JoinSet::new();
    for (i, server) in servers.iter().copied().take(4).enumerate() {
        let host = host.to_string();
        let resolv_conf = opts.resolv_conf.clone();
        set.spawn(async move {
            let r = resolver::dns_lookup(&host, &[server], &resolv_conf, PER_SERVER_TIMEOUT).await;
            (i, format!("{server}: {}", describe_answer(&r.answer)))
        });
    }
    let mut answers = set.join_all().await;
    answers.sort_by_key(|(i, _)| *i);
    Some(
        answers
            .into_iter()
            .map(|(_, a)| a)
            .collect::<Vec<_>>()
            .join("; "),
    )
}

const PER_SERVER_TIMEOUT: Duration = Duration::from_millis(1200);

/// Resolve a hop's host as the daemon would: `--resolve` pins, IP literals, the hosts file,
/// then the DNS servers of resolv.conf (and getaddrinfo as a second opinion).
pub async fn resolve(opts: &CheckOptions, hop: &Hop) -> Result<Resolved, (String, Observation)> {
    let host = hop.host.clone();
    let port = hop.port;
    if let Some((_, _, ip)) = opts
        .resolve
        .iter()
        .find(|(h, p, _)| h.eq_ignore_ascii_case(&host) && *p == port)
    {
        return Ok(Resolved {
            addrs: vec![*ip],
            summary: format!("{ip} (pinned with --resolve, DNS not asked)"),
            status: Status::Pass,
            notes: Vec::new(),
        });
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Resolved {
            addrs: vec![ip],
            summary: format!("{ip} is an IP address: nothing to resolve"),
            status: Status::Pass,
            notes: Vec::new(),
        });
    }
    let from_hosts = resolver::hosts_file_lookup(&opts.hosts_file, &host);
    if !from_hosts.is_empty() {
        let mut resolved = Resolved {
            summary: format!(
                "{} (from {})",
                joined(&from_hosts),
                opts.hosts_file.display()
            ),
            addrs: from_hosts.clone(),
            status: Status::Pass,
            notes: Vec::new(),
        };
        // Does the hosts file hide what DNS says? Not asked for single-label names and
        // loopback entries (`localhost`), which every hosts file has.
        let worth_asking =
            host.contains('.') && !from_hosts.iter().all(|ip| ip.to_canonical().is_loopback());
        if worth_asking {
            let dns =
                resolver::dns_lookup(&host, &opts.nameservers, &opts.resolv_conf, QUERY_TIMEOUT)
                    .await;
            if let DnsAnswer::Addrs(dns_addrs) = &dns.answer {
                let same = dns_addrs.iter().all(|a| from_hosts.contains(a))
                    && from_hosts.iter().all(|a| dns_addrs.contains(a));
                if !same {
                    resolved.status = Status::Warn;
                    resolved
                        .summary
                        .push_str(&format!("; DNS says {} instead", joined(dns_addrs)));
                    resolved.notes.push(
                        hop.obs("dns.hosts_override")
                            .evidence("name", host.clone())
                            .evidence(
                                "hosts file",
                                format!(
                                    "{}: {} (used: the hosts file is read first)",
                                    opts.hosts_file.display(),
                                    joined(&from_hosts)
                                ),
                            )
                            .evidence(
                                "DNS answer",
                                format!(
                                    "{} (from {}, servers from {})",
                                    joined(dns_addrs),
                                    answered_by(&dns.servers),
                                    dns.servers_from
                                ),
                            )
                            .var("hosts_file", opts.hosts_file.display().to_string()),
                    );
                }
            }
        }
        private_note(hop, &mut resolved, "the hosts file");
        return Ok(resolved);
    }

    // The whole wait is reported: A and AAAA queries and a retry over TCP may each take up to
    // QUERY_TIMEOUT, so the check's time can be a multiple of it.
    let asked = std::time::Instant::now();
    let (dns, system) = tokio::join!(
        resolver::dns_lookup(&host, &opts.nameservers, &opts.resolv_conf, QUERY_TIMEOUT),
        async {
            // getaddrinfo cannot be pointed at a test server, so it is not asked when one is.
            if opts.nameservers.is_empty() {
                Some(
                    resolver::system_lookup(&host, QUERY_TIMEOUT + Duration::from_millis(500))
                        .await,
                )
            } else {
                None
            }
        }
    );
    let waited_ms = asked.elapsed().as_millis();
    let servers = server_list(&dns.servers);
    if let DnsAnswer::Addrs(addrs) = &dns.answer {
        let mut resolved = Resolved {
            addrs: addrs.clone(),
            summary: format!("{} (DNS {})", joined(addrs), answered_by(&dns.servers)),
            status: Status::Pass,
            notes: Vec::new(),
        };
        private_note(hop, &mut resolved, &format!("DNS {servers}"));
        return Ok(resolved);
    }
    // DNS said no, but the system resolver found it (nsswitch, systemd-resolved, mDNS):
    // usable, and worth a note because Docker's own resolver may not see it the same way.
    if let Some(Ok(addrs)) = &system {
        if !addrs.is_empty() {
            let mut resolved = Resolved {
                addrs: addrs.clone(),
                summary: format!(
                    "{} (system resolver; DNS {servers} answered {:?})",
                    joined(addrs),
                    dns.answer
                ),
                status: Status::Pass,
                notes: Vec::new(),
            };
            private_note(hop, &mut resolved, "the system resolver");
            return Ok(resolved);
        }
    }

    let hint = cloud_names::provider_hint(&host);
    let (mut key, what) = match &dns.answer {
        DnsAnswer::NxDomain => (
            "dns.nxdomain",
            "NXDOMAIN: the name does not exist".to_string(),
        ),
        DnsAnswer::NoData => (
            "dns.no_address",
            "the name exists but has no A or AAAA record".to_string(),
        ),
        DnsAnswer::ServFail => (
            "dns.servfail",
            "SERVFAIL: the server failed to answer for this name".to_string(),
        ),
        DnsAnswer::Refused => (
            "dns.refused",
            "REFUSED: the server will not answer this query".to_string(),
        ),
        DnsAnswer::Timeout => (
            "dns.timeout",
            format!(
                "no answer from {servers} in {waited_ms} ms (each query waits up to {} ms)",
                QUERY_TIMEOUT.as_millis()
            ),
        ),
        DnsAnswer::NoServer(why) => ("dns.timeout", format!("no DNS server to ask: {why}")),
        DnsAnswer::Other(e) => ("dns.servfail", format!("lookup failed: {e}")),
        DnsAnswer::Addrs(_) => ("dns.no_address", "no address".to_string()),
    };
    // A cloud registry name that does not exist: the address is wrong (a typo, the old
    // domain) or is a VPC endpoint used from outside its VPC. Its own rule says so.
    if matches!(dns.answer, DnsAnswer::NxDomain | DnsAnswer::NoData)
        && cloud_names::is_cloud_registry_name(&host)
    {
        key = "dns.cloud_endpoint_unresolved";
    }
    let mut obs = hop
        .obs(key)
        .evidence("name", host.clone())
        .evidence("DNS answer", what.clone())
        .evidence(
            "DNS servers",
            format!("{servers} (from {})", dns.servers_from),
        )
        .evidence(
            "hosts file",
            format!("{}: no entry", opts.hosts_file.display()),
        );
    if let Some(each) = per_server(opts, &host, &dns.servers).await {
        obs = obs.evidence("answer of each server", each);
    }
    if !dns.search.is_empty() {
        obs = obs.evidence("search domains", dns.search.join(" "));
    }
    if let Some(system) = &system {
        obs = obs.evidence(
            "system resolver (getaddrinfo)",
            match system {
                Ok(a) if a.is_empty() => "no address".to_string(),
                Ok(a) => joined(a),
                Err(e) => e.clone(),
            },
        );
    }
    if let Some(h) = hint {
        obs = obs.evidence("address format", h.text);
        if let Some(s) = h.suggestion {
            obs = obs
                .evidence("did you mean", s.clone())
                .var("suggested_host", s);
        }
    }
    if host.ends_with(".invalid") {
        obs = obs.evidence(
            "note",
            "`.invalid` is reserved (RFC 6761) and never resolves",
        );
    }
    Err((format!("{host}: {what}"), obs))
}

/// A cloud registry name that resolves only to private addresses is reached over that cloud's
/// intranet: fine inside its VPC, a dead end anywhere else.
fn private_note(hop: &Hop, resolved: &mut Resolved, source: &str) {
    let host = &hop.host;
    if resolved.addrs.is_empty()
        || !resolved.addrs.iter().all(|ip| cloud_names::is_private(*ip))
        || !cloud_names::is_cloud_registry_name(host)
    {
        return;
    }
    let mut obs = hop
        .obs("dns.private_cloud_endpoint")
        .severity(Severity::Info)
        .evidence("name", host.clone())
        .evidence(
            "addresses",
            format!(
                "{} (from {source}): private addresses only (RFC 1918, 100.64.0.0/10 or fc00::/7)",
                joined(&resolved.addrs)
            ),
        );
    if let Some(public) = cloud_names::vpc_public_twin(host) {
        obs = obs
            .evidence(
                "endpoint",
                format!("{host} is a VPC endpoint; its public endpoint is {public}"),
            )
            .var("public_host", public);
    } else if cloud_names::is_swr_name(host) {
        obs = obs.evidence(
            "endpoint",
            "SWR answers with intranet addresses inside a Huawei Cloud VPC of the same region",
        );
    }
    resolved.notes.push(obs);
}

/// The TCP step's verdict for the addresses of a hop.
pub struct Connected {
    pub addr: SocketAddr,
    pub summary: String,
}

/// DNS → TCP → TLS for a hop other than the registry; `https` false stops after TCP (a realm
/// or mirror on plain HTTP).
pub async fn examine(opts: &CheckOptions, hop: &Hop, https: bool) -> HopResult {
    let mut hop = hop.clone();
    let mut out = HopResult {
        status: Status::Pass,
        steps: Vec::new(),
        observations: Vec::new(),
        transport: None,
    };
    let resolved = match resolve(opts, &hop).await {
        Ok(r) => r,
        Err((summary, obs)) => {
            out.status = Status::Fail;
            out.steps.push(format!("dns: {summary}"));
            out.observations.push(obs);
            return out;
        }
    };
    out.status = out.status.max(resolved.status);
    out.steps.push(format!("dns: {}", resolved.summary));
    if hop.role == Role::Mirror {
        // A CIDR entry of insecure-registries can only be matched once the addresses are known.
        hop.insecure = insecure_reason_for(
            &hop.certs_key,
            &hop.host,
            &resolved.addrs,
            &opts.insecure_registries,
        );
        hop.explicitly_insecure = hop.insecure.is_some()
            && !hop
                .insecure
                .as_deref()
                .is_some_and(|r| r.starts_with("loopback"));
    }
    out.observations.extend(resolved.notes);
    let addrs: Vec<SocketAddr> = resolved
        .addrs
        .iter()
        .map(|ip| SocketAddr::new(*ip, hop.port))
        .collect();
    let connected = match crate::probe::tcp::connect_all(&hop, &addrs).await {
        Ok(c) => c,
        Err((summary, obs)) => {
            out.status = Status::Fail;
            out.steps.push(format!("tcp: {summary}"));
            out.observations.push(obs);
            return out;
        }
    };
    out.steps.push(format!("tcp: {}", connected.summary));
    if !https {
        return out;
    }
    let (tls, transport) = crate::probe::tls::examine(opts, &hop, connected.addr).await;
    out.status = out.status.max(tls.status.unwrap_or(Status::Pass));
    out.steps
        .push(format!("tls: {}", tls.summary.unwrap_or_default()));
    out.observations.extend(tls.observations);
    out.transport = transport;
    out
}

/// The daemon's proxy for this URL, as Go decides it: a hop reached through a proxy is not
/// dialled by Docker itself, so a direct failure there is a note, not the cause of a failure.
pub fn daemon_proxy_for(opts: &CheckOptions, url: &url::Url) -> Option<String> {
    match crate::net::go_proxy::decide(&opts.daemon_proxy.env, url) {
        Ok(crate::net::go_proxy::ProxyDecision::Via(p)) => Some(format!(
            "{}://{}:{}",
            p.scheme(),
            p.host_str().unwrap_or_default(),
            p.port_or_known_default().unwrap_or(3128)
        )),
        _ => None,
    }
}

impl HopResult {
    /// Marks the findings of a hop the daemon reaches through `proxy`.
    pub fn through_proxy(&mut self, hop: &Hop, proxy: &str) {
        for o in &mut self.observations {
            o.evidence.push(crate::observe::Evidence {
                label: "daemon's path".into(),
                value: format!(
                    "through the proxy {proxy} (Go's NO_PROXY rules): Docker does not dial {} itself, so this direct failure only affects clients without that proxy",
                    hop.host_port()
                ),
            });
            o.severity = Some(Severity::Info);
        }
        if self.status == Status::Fail {
            self.status = Status::Warn;
        }
    }
}

pub struct HopResult {
    pub status: Status,
    pub steps: Vec<String>,
    pub observations: Vec<Observation>,
    pub transport: Option<Transport>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_entries_match_hosts_and_cidrs() {
        let entries = vec!["mirror.example:5000".to_string(), "10.0.0.0/8".to_string()];
        assert!(
            insecure_reason_for("mirror.example:5000", "mirror.example", &[], &entries).is_some()
        );
        assert!(
            insecure_reason_for(
                "other.example:443",
                "other.example",
                &["10.1.2.3".parse().unwrap()],
                &entries
            )
            .is_some_and(|r| r.contains("10.0.0.0/8"))
        );
        assert!(insecure_reason_for("other.example:443", "other.example", &[], &entries).is_none());
        assert!(insecure_reason_for("localhost:5000", "localhost", &[], &[]).is_some());
    }
}
