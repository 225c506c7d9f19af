//! Certificates generated at test time (no key is ever committed): root CAs, intermediates, and
//! leaves that are valid, expired, not yet valid, for the wrong name, without an IP SAN,
//! self-signed with or without `CA:TRUE`. All keys are ECDSA P-256 (rcgen's default).
//!
//! Which PEM to give a server:
//! - `leaf.chain_pem`: leaf + intermediates, what a well-configured server sends;
//! - `leaf.cert_pem`: the leaf alone (for a leaf under an intermediate: "missing intermediate");
//! - `ca.cert_pem`: what a client trusts (certs.d `ca.crt`, `--cacert`).

#![allow(dead_code)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

/// A certificate authority able to sign leaves and intermediates.
pub struct Ca {
    pub cert_pem: String,
    /// Certificates between this CA and the root, this CA first; empty for a root.
    chain_above: Vec<String>,
    issuer: Issuer<'static, KeyPair>,
}

pub struct Leaf {
    /// The leaf certificate alone.
    pub cert_pem: String,
    /// Its private key (PKCS#8 PEM, "BEGIN PRIVATE KEY").
    pub key_pem: String,
    /// Leaf plus every intermediate up to (not including) the root: what a server should send.
    pub chain_pem: String,
}

#[derive(Clone, Debug)]
pub struct LeafOpts {
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub ips: Vec<IpAddr>,
    /// Start of validity, in days relative to now (negative: in the past).
    pub not_before: i64,
    /// End of validity, in days relative to now.
    pub not_after: i64,
    /// `basicConstraints CA:TRUE` (what `openssl req -x509` makes by default) instead of
    /// `CA:FALSE`; such a certificate carries no key usage and no extended key usage either.
    pub is_ca: bool,
}

impl LeafOpts {
    /// CN "regdoctor-test-registry", SANs `localhost` and `127.0.0.1`, valid from yesterday for
    /// a year, `CA:FALSE`.
    pub fn for_localhost() -> Self {
        LeafOpts {
            common_name: "regdoctor-test-registry".into(),
            dns_names: vec!["localhost".into()],
            ips: vec![IpAddr::from([127, 0, 0, 1])],
            not_before: -1,
            not_after: 365,
            is_ca: false,
        }
    }

    /// Like `for_localhost`, but expired yesterday (valid -30..-1 days).
    pub fn expired() -> Self {
        LeafOpts {
            not_before: -30,
            not_after: -1,
            ..Self::for_localhost()
        }
    }

    /// Like `for_localhost`, but valid only from 10 days ahead (+10..+40 days).
    pub fn not_yet_valid() -> Self {
        LeafOpts {
            not_before: 10,
            not_after: 40,
            ..Self::for_localhost()
        }
    }

    /// Valid, but for another host: the only SAN (and the CN) is `other.example`.
    pub fn wrong_host() -> Self {
        LeafOpts {
            common_name: "other.example".into(),
            dns_names: vec!["other.example".into()],
            ips: Vec::new(),
            ..Self::for_localhost()
        }
    }

    /// Valid for `localhost` only: no IP SAN, so a client dialling `127.0.0.1` must reject it.
    pub fn dns_only() -> Self {
        LeafOpts {
            ips: Vec::new(),
            ..Self::for_localhost()
        }
    }
}

fn days_from_now(days: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(days)
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CommonName, cn);
    d.push(DnType::OrganizationName, "regdoctor tests");
    d
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    // Wider than any leaf below (-30..+365 days), so a leaf's dates are the only ones wrong.
    p.not_before = days_from_now(-400);
    p.not_after = days_from_now(3650);
    p
}

fn leaf_params(opts: &LeafOpts) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(&opts.common_name);
    for name in &opts.dns_names {
        let name = name
            .clone()
            .try_into()
            .unwrap_or_else(|e| panic!("DNS SAN {name:?}: {e}"));
        p.subject_alt_names.push(SanType::DnsName(name));
    }
    for ip in &opts.ips {
        p.subject_alt_names.push(SanType::IpAddress(*ip));
    }
    p.not_before = days_from_now(opts.not_before);
    p.not_after = days_from_now(opts.not_after);
    if opts.is_ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    } else {
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    }
    p
}

fn new_key() -> KeyPair {
    KeyPair::generate().expect("generate an ECDSA P-256 key")
}

impl Ca {
    /// A self-signed root CA, valid -400..+3650 days.
    pub fn new(common_name: &str) -> Ca {
        let key = new_key();
        let params = ca_params(common_name);
        let cert = params
            .self_signed(&key)
            .expect("self-sign the root CA certificate");
        Ca {
            cert_pem: cert.pem(),
            chain_above: Vec::new(),
            issuer: Issuer::new(params, key),
        }
    }

    /// An intermediate CA signed by this one. Its leaves' `chain_pem` includes it (and any
    /// intermediates above it); `cert_pem` of those leaves does not.
    pub fn intermediate(&self, common_name: &str) -> Ca {
        let key = new_key();
        let mut params = ca_params(common_name);
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("sign the intermediate CA certificate");
        let mut chain_above = vec![cert.pem()];
        chain_above.extend(self.chain_above.iter().cloned());
        Ca {
            cert_pem: cert.pem(),
            chain_above,
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf signed by this CA.
    pub fn leaf(&self, opts: LeafOpts) -> Leaf {
        let key = new_key();
        let mut params = leaf_params(&opts);
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("sign the leaf certificate");
        let mut chain_pem = cert.pem();
        for c in &self.chain_above {
            chain_pem.push_str(c);
        }
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            chain_pem,
        }
    }
}

/// A self-signed leaf (subject = issuer): `opts.is_ca` chooses `CA:TRUE` (the `openssl req
/// -x509` default, accepted by Go and curl when trusted, rejected by rustls) or `CA:FALSE`.
pub fn self_signed(opts: LeafOpts) -> Leaf {
    let key = new_key();
    let cert = leaf_params(&opts)
        .self_signed(&key)
        .expect("self-sign the leaf certificate");
    Leaf {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        chain_pem: cert.pem(),
    }
}

/// Writes `pem` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, pem: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pem).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}
