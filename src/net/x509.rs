//! What a certificate says, in the words a support engineer checks: subject, issuer, names,
//! dates, key. Parsing never fails loudly: a certificate we cannot read is reported as such.

use std::net::IpAddr;

use serde::Serialize;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
    /// Issuer and subject are the same name: the certificate signed itself.
    pub self_issued: bool,
    pub key: String,
    /// The key's size when it is RSA: Go refuses under 1024 bits, under 2048 is weak.
    pub rsa_bits: Option<usize>,
    /// How the issuer signed this certificate, in Go's names (`SHA256-RSA`, `ECDSA-SHA256`,
    /// `SHA1-RSA`, ...), or the OID when Go has no name for it.
    pub signature: String,
    pub ca_issuers_urls: Vec<String>,
}

/// Go's names for the signature algorithms it knows (crypto/x509 `SignatureAlgorithm`).
fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "MD5-RSA",
        "1.2.840.113549.1.1.5" => "SHA1-RSA",
        "1.2.840.113549.1.1.11" => "SHA256-RSA",
        "1.2.840.113549.1.1.12" => "SHA384-RSA",
        "1.2.840.113549.1.1.13" => "SHA512-RSA",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        "1.2.840.10040.4.3" => "DSA-SHA1",
        "1.2.840.10045.4.1" => "ECDSA-SHA1",
        "1.2.840.10045.4.3.2" => "ECDSA-SHA256",
        "1.2.840.10045.4.3.3" => "ECDSA-SHA384",
        "1.2.840.10045.4.3.4" => "ECDSA-SHA512",
        "1.3.101.112" => "Ed25519",
        other => return other.to_string(),
    }
    .to_string()
}

impl CertInfo {
    /// Signed with SHA-1 (or MD5), which Go stopped accepting on certificates in 1.18.
    pub fn legacy_signature(&self) -> bool {
        matches!(
            self.signature.as_str(),
            "SHA1-RSA" | "ECDSA-SHA1" | "DSA-SHA1" | "MD5-RSA"
        )
    }
}

pub fn parse(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => dns_names.push((*d).to_string()),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_from_bytes(bytes) {
                        ip_addresses.push(ip);
                    }
                }
                _ => {}
            }
        }
    }
    let mut ca_issuers_urls = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for desc in aia.iter() {
                // id-ad-caIssuers = 1.3.6.1.5.5.7.48.2
                if desc.access_method.to_id_string() == "1.3.6.1.5.5.7.48.2" {
                    if let GeneralName::URI(uri) = &desc.access_location {
                        ca_issuers_urls.push((*uri).to_string());
                    }
                }
            }
        }
    }
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    Some(CertInfo {
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        subject: if subject.is_empty() {
            "(empty)".into()
        } else {
            subject
        },
        issuer: if issuer.is_empty() {
            "(empty)".into()
        } else {
            issuer
        },
        dns_names,
        ip_addresses,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        is_ca: cert.is_ca(),
        key: key_description(&cert),
        rsa_bits: match cert.public_key().parsed() {
            Ok(PublicKey::RSA(rsa)) => Some(rsa.key_size()),
            _ => None,
        },
        signature: signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
        ca_issuers_urls,
    })
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn key_description(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {} bits", rsa.key_size()),
        Ok(PublicKey::EC(ec)) => format!("EC {} bits", ec.key_size()),
        Ok(PublicKey::DSA(_)) => "DSA".into(),
        Ok(_) => spki.algorithm.algorithm.to_id_string(),
        Err(_) => "unreadable key".into(),
    }
}

impl CertInfo {
    /// "subject ← issuer, valid from … to …, names …": one line of evidence.
    pub fn describe(&self) -> String {
        let mut names: Vec<String> = self.dns_names.clone();
        names.extend(self.ip_addresses.iter().map(|ip| format!("IP:{ip}")));
        format!(
            "subject \"{}\", issuer \"{}\", valid {} to {}, names [{}]{}, key {}, signed {}",
            self.subject,
            self.issuer,
            date(self.not_before),
            date(self.not_after),
            names.join(", "),
            if self.is_ca { ", CA:TRUE" } else { "" },
            self.key,
            self.signature
        )
    }

    /// Does the certificate name this host, by Go's rules (IP literals need an IP SAN; names
    /// match a SAN exactly or a single leftmost `*` label)?
    pub fn names_host(&self, host: &str) -> bool {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return self.ip_addresses.contains(&ip);
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.dns_names.iter().any(|pattern| {
            let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
            match pattern.strip_prefix("*.") {
                Some(suffix) => host
                    .split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
                None => pattern == host,
            }
        })
    }
}

/// RFC 3339 date-time in UTC, for evidence.
pub fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(dns: &[&str], ips: &[&str]) -> CertInfo {
        CertInfo {
            subject: "CN=x".into(),
            issuer: "CN=y".into(),
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            ip_addresses: ips.iter().map(|s| s.parse().unwrap()).collect(),
            not_before: 0,
            not_after: 0,
            is_ca: false,
            self_issued: false,
            key: String::new(),
            rsa_bits: None,
            signature: "ECDSA-SHA256".into(),
            ca_issuers_urls: vec![],
        }
    }

    #[test]
    fn host_matching_follows_go() {
        let c = info(
            &["registry.example.com", "*.mirror.example.com"],
            &["10.0.0.1"],
        );
        assert!(c.names_host("registry.example.com"));
        assert!(c.names_host("REGISTRY.example.com."));
        assert!(c.names_host("a.mirror.example.com"));
        assert!(!c.names_host("a.b.mirror.example.com"));
        assert!(!c.names_host("mirror.example.com"));
        assert!(c.names_host("10.0.0.1"));
        // An IP is never matched by a DNS name, even one spelling the IP.
        assert!(!info(&["127.0.0.1"], &[]).names_host("127.0.0.1"));
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse(b"not a certificate").is_none());
        assert!(parse(&[]).is_none());
    }
}
