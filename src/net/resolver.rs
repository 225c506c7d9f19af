//! Name resolution as the Docker daemon does it: `/etc/hosts` first, then the DNS servers of
//! `/etc/resolv.conf` (Go's resolver reads the same files). hickory tells the DNS answers
//! apart (NXDOMAIN, SERVFAIL, REFUSED, no data, timeout); libc's getaddrinfo is asked too, as
//! a second opinion for setups hickory does not read (nsswitch, systemd-resolved).

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use hickory_resolver::Resolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer {
    Addrs(Vec<IpAddr>),
    NxDomain,
    /// The name exists but has no A/AAAA record.
    NoData,
    ServFail,
    Refused,
    Timeout,
    /// No server could be asked at all (empty resolv.conf, unreadable file, ...).
    NoServer(String),
    Other(String),
}

#[derive(Debug, Clone)]
pub struct DnsLookup {
    pub servers: Vec<SocketAddr>,
    pub servers_from: String,
    pub search: Vec<String>,
    pub answer: DnsAnswer,
}

/// The most of a hosts file read: blocklist-style files run to a few MB.
const HOSTS_FILE_CAP: u64 = 64 << 20;
/// Longer lines are skipped, not buffered whole.
const HOSTS_LINE_CAP: u64 = 64 << 10;

/// Every address `/etc/hosts` (or the override) gives this name, in file order. Read line by
/// line: memory stays one line whatever the file's size.
pub fn hosts_file_lookup(path: &Path, host: &str) -> Vec<IpAddr> {
    use std::io::{BufRead, Read};
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut reader = std::io::BufReader::new(file.take(HOSTS_FILE_CAP));
    let host = host.trim_end_matches('.');
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut reader)
            .take(HOSTS_LINE_CAP)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') && line.len() as u64 == HOSTS_LINE_CAP {
            // The rest of an over-long line is skipped up to its end.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                match (&mut reader)
                    .take(HOSTS_LINE_CAP)
                    .read_until(b'\n', &mut rest)
                {
                    Ok(0) | Err(_) => break,
                    Ok(_) if rest.last() == Some(&b'\n') => break,
                    Ok(_) => {}
                }
            }
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.split('#').next().unwrap_or("");
        let mut fields = text.split_whitespace();
        let Some(Ok(ip)) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        if fields.any(|name| name.trim_end_matches('.').eq_ignore_ascii_case(host))
            && seen.insert(ip)
        {
            out.push(ip);
        }
    }
    out
}

pub async fn dns_lookup(
    host: &str,
    nameservers: &[SocketAddr],
    resolv_conf: &Path,
    timeout: Duration,
) -> DnsLookup {
    let (config, mut opts, servers_from) = if nameservers.is_empty() {
        match crate::config::bounded::read(resolv_conf, 1 << 20)
            .map_err(|e| e.to_string())
            .and_then(|data| {
                hickory_resolver::system_conf::parse_resolv_conf(data).map_err(|e| e.to_string())
            }) {
            Ok((c, o)) => (c, o, resolv_conf.display().to_string()),
            Err(e) => {
                return DnsLookup {
                    servers: Vec::new(),
                    servers_from: resolv_conf.display().to_string(),
                    search: Vec::new(),
                    answer: DnsAnswer::NoServer(format!(
                        "cannot read {}: {e}",
                        resolv_conf.display()
                    )),
                };
            }
        }
    } else {
        let servers = nameservers
            .iter()
            .map(|addr| {
                let mut ns = NameServerConfig::udp(addr.ip());
                for c in &mut ns.connections {
                    c.port = addr.port();
                }
                ns
            })
            .collect();
        (
            ResolverConfig::from_name_servers(servers),
            ResolverOpts::default(),
            "--nameserver".to_string(),
        )
    };
    let servers: Vec<SocketAddr> = config
        .name_servers()
        .iter()
        .map(|ns| SocketAddr::new(ns.ip, ns.connections.first().map_or(53, |c| c.port)))
        .fold(Vec::new(), |mut v, a| {
            if !v.contains(&a) {
                v.push(a);
            }
            v
        });
    let search = config.search().iter().map(|n| n.to_string()).collect();
    if servers.is_empty() {
        return DnsLookup {
            servers,
            servers_from,
            search,
            answer: DnsAnswer::NoServer("no nameserver is configured".into()),
        };
    }
    // /etc/hosts is read separately so the report can say which one answered.
    opts.use_hosts_file = ResolveHosts::Never;
    opts.timeout = timeout;
    opts.attempts = 1;
    opts.cache_size = 0;
    let mut builder = Resolver::builder_with_config(config, TokioRuntimeProvider::default());
    *builder.options_mut() = opts;
    let answer = match builder.build() {
        Err(e) => DnsAnswer::Other(e.to_string()),
        Ok(resolver) => match resolver.lookup_ip(host).await {
            Ok(found) => {
                let addrs: Vec<IpAddr> = found.iter().collect();
                if addrs.is_empty() {
                    DnsAnswer::NoData
                } else {
                    DnsAnswer::Addrs(addrs)
                }
            }
            Err(e) => classify(&e),
        },
    };
    DnsLookup {
        servers,
        servers_from,
        search,
        answer,
    }
}

fn classify(e: &NetError) -> DnsAnswer {
    if e.is_nx_domain() {
        return DnsAnswer::NxDomain;
    }
    match e {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => match nr.response_code {
            ResponseCode::ServFail => DnsAnswer::ServFail,
            ResponseCode::Refused => DnsAnswer::Refused,
            ResponseCode::NXDomain => DnsAnswer::NxDomain,
            _ => DnsAnswer::NoData,
        },
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => DnsAnswer::ServFail,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => DnsAnswer::Refused,
        NetError::Timeout => DnsAnswer::Timeout,
        other => {
            let text = other.to_string();
            if text.to_ascii_lowercase().contains("timed out") || text.contains("timeout") {
                DnsAnswer::Timeout
            } else {
                DnsAnswer::Other(text)
            }
        }
    }
}

/// libc's answer (getaddrinfo, through nsswitch). Runs on a blocking thread that may outlive
/// the timeout; the runtime is shut down without waiting for it.
pub async fn system_lookup(host: &str, timeout: Duration) -> Result<Vec<IpAddr>, String> {
    let query = format!("{host}:0");
    match tokio::time::timeout(timeout, tokio::net::lookup_host(query)).await {
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(addrs)) => {
            let mut out: Vec<IpAddr> = Vec::new();
            for a in addrs {
                if !out.contains(&a.ip()) {
                    out.push(a.ip());
                }
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file_is_read_like_glibc() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        std::fs::write(
            &path,
            "127.0.0.1 localhost\n# 10.0.0.9 reg.example\n10.0.0.5 reg.example alias # comment\n::1 reg.example\nbogus reg.example\n",
        )
        .unwrap();
        let got = hosts_file_lookup(&path, "REG.example.");
        assert_eq!(
            got,
            vec![
                "10.0.0.5".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        assert!(hosts_file_lookup(&path, "other").is_empty());
        assert!(hosts_file_lookup(&dir.path().join("missing"), "x").is_empty());
    }
}
