//! `dns`: does the registry host resolve, from where, and to what.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use super::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::net::resolver::{self, DnsAnswer};

pub const PROBE: ProbeDef = ProbeDef {
    id: "dns",
    doc: "resolve the registry host: /etc/hosts, then the DNS servers of /etc/resolv.conf",
    needs: &[],
    timeout: Duration::from_secs(5),
    on_timeout: Some("dns.timeout"),
    run,
};

/// Per query; A and AAAA are asked together, so a dead server costs about this once.
const QUERY_TIMEOUT: Duration = Duration::from_millis(2000);

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let host = ctx.host().to_string();
    let port = ctx.port();
    let publish = |addrs: &[IpAddr]| {
        let list: Vec<SocketAddr> = addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
        let _ = ctx.board.addrs.set(list);
    };
    let joined = |addrs: &[IpAddr]| {
        addrs
            .iter()
            .map(IpAddr::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };

    if let Some((_, _, ip)) = ctx
        .opts
        .resolve
        .iter()
        .find(|(h, p, _)| h.eq_ignore_ascii_case(&host) && *p == port)
    {
        publish(&[*ip]);
        return ProbeResult::pass(format!("{ip} (pinned with --resolve, DNS not asked)"));
    }
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        publish(&[ip]);
        return ProbeResult::pass(format!("{ip} is an IP address: nothing to resolve"));
    }
    let from_hosts = resolver::hosts_file_lookup(&ctx.opts.hosts_file, &host);
    if !from_hosts.is_empty() {
        publish(&from_hosts);
        return ProbeResult::pass(format!(
            "{} (from {})",
            joined(&from_hosts),
            ctx.opts.hosts_file.display()
        ));
    }

    let (dns, system) = tokio::join!(
        resolver::dns_lookup(
            &host,
            &ctx.opts.nameservers,
            &ctx.opts.resolv_conf,
            QUERY_TIMEOUT
        ),
        async {
            // getaddrinfo cannot be pointed at a test server, so it is not asked when one is.
            if ctx.opts.nameservers.is_empty() {
                Some(
                    resolver::system_lookup(&host, QUERY_TIMEOUT + Duration::from_millis(500))
                        .await,
                )
            } else {
                None
            }
        }
    );
    let servers = if dns.servers.is_empty() {
        "none".to_string()
    } else {
        dns.servers
            .iter()
            .map(SocketAddr::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let DnsAnswer::Addrs(addrs) = &dns.answer {
        publish(addrs);
        return ProbeResult::pass(format!("{} (DNS {servers})", joined(addrs)));
    }
    // DNS said no, but the system resolver found it (nsswitch, systemd-resolved, mDNS):
    // usable, and worth a note because Docker's own resolver may not see it the same way.
    if let Some(Ok(addrs)) = &system {
        if !addrs.is_empty() {
            publish(addrs);
            return ProbeResult::pass(format!(
                "{} (system resolver; DNS {servers} answered {:?})",
                joined(addrs),
                dns.answer
            ));
        }
    }

    let (key, what) = match &dns.answer {
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
                "no answer from {servers} within {} ms",
                QUERY_TIMEOUT.as_millis()
            ),
        ),
        DnsAnswer::NoServer(why) => ("dns.timeout", format!("no DNS server to ask: {why}")),
        DnsAnswer::Other(e) => ("dns.servfail", format!("lookup failed: {e}")),
        DnsAnswer::Addrs(_) => ("dns.no_address", "no address".to_string()),
    };
    let mut obs = ctx
        .obs(key)
        .evidence("name", host.clone())
        .evidence("DNS answer", what.clone())
        .evidence(
            "DNS servers",
            format!("{servers} (from {})", dns.servers_from),
        )
        .evidence(
            "hosts file",
            format!("{}: no entry", ctx.opts.hosts_file.display()),
        );
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
    if let Some(hint) = provider_hint(&host) {
        obs = obs.evidence("address format", hint);
    }
    if host.ends_with(".invalid") {
        obs = obs.evidence(
            "note",
            "`.invalid` is reserved (RFC 6761) and never resolves",
        );
    }
    ProbeResult::fail(format!("{host}: {what}"), vec![obs])
}

/// Known providers' address formats (from the seed documents), for a name that did not resolve.
pub fn provider_hint(host: &str) -> Option<String> {
    let h = host.to_ascii_lowercase();
    let labels: Vec<&str> = h.split('.').collect();
    let region_like = |r: &str| {
        let parts: Vec<&str> = r.split('-').collect();
        parts.len() >= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
    };
    if h.ends_with("myhuaweicloud.com") {
        let ok = labels.len() == 4 && labels[0] == "swr" && region_like(labels[1]);
        return Some(if ok {
            format!(
                "{h} has SWR's format (swr.<region>.myhuaweicloud.com): check that the region exists and that this network's DNS can see it (intranet endpoints need the VPC's DNS)"
            )
        } else {
            "Huawei SWR addresses look like swr.<region>.myhuaweicloud.com, e.g. swr.cn-north-4.myhuaweicloud.com".into()
        });
    }
    if h.ends_with("aliyuncs.com") {
        if labels.first().is_some_and(|l| l.ends_with("-vpc")) {
            return Some(format!(
                "{h} is an Alibaba Cloud VPC endpoint: it resolves only inside that region's VPC; from elsewhere use registry.<region>.aliyuncs.com"
            ));
        }
        let ok = (labels.len() == 4 && labels[0] == "registry" && region_like(labels[1]))
            || (labels.len() == 4 && labels[1] == "mirror")
            || (labels.len() == 5 && labels[2] == "cr");
        return Some(if ok {
            format!("{h} has an ACR format; check the region and this network's DNS")
        } else {
            "Alibaba ACR addresses look like registry.<region>.aliyuncs.com (e.g. registry.cn-hangzhou.aliyuncs.com), <instance>-registry.<region>.cr.aliyuncs.com, or <id>.mirror.aliyuncs.com for the accelerator".into()
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::provider_hint;

    #[test]
    fn provider_formats() {
        assert!(
            provider_hint("swr.cn-north-4.myhuaweicloud.com")
                .unwrap()
                .contains("has SWR's format")
        );
        assert!(
            provider_hint("swr.myhuaweicloud.com")
                .unwrap()
                .contains("swr.<region>")
        );
        assert!(
            provider_hint("registry-vpc.cn-hangzhou.aliyuncs.com")
                .unwrap()
                .contains("VPC")
        );
        assert!(
            provider_hint("registry.cn-hangzhou.aliyuncs.com")
                .unwrap()
                .contains("has an ACR format")
        );
        assert!(
            provider_hint("regsitry.aliyuncs.com")
                .unwrap()
                .contains("registry.<region>")
        );
        assert_eq!(provider_hint("registry.example.com"), None);
    }
}
