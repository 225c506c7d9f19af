//! Certificates generated at test time (no key is ever committed): CAs, intermediates, leaves
//! valid, expired, not yet valid, for the wrong name, without IP SANs, self-signed.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

pub struct Ca {
    pub cert_pem: String,
    /// Certificates between this CA and the root (empty for a root), leaf-side first.
    chain_above: Vec<String>,
    issuer: Issuer<'static, KeyPair>,
}

pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    /// Leaf plus intermediates: what a well-configured server sends.
    pub chain_pem: String,
}

#[derive(Clone)]
pub struct LeafOpts {
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub ips: Vec<IpAddr>,
    /// Days relative to now.
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
}

impl LeafOpts {
    pub fn for_localhost() -> Self {
        LeafOpts {
            common_name: "regdoctor-test-registry".into(),
            dns_names: vec!["localhost".into()],
            ips: vec!["127.0.0.1".parse().expect("ip")],
            not_before: -1,
            not_after: 365,
            is_ca: false,
        }
    }
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CommonName, cn);
    d.push(DnType::OrganizationName, "regdoctor tests");
    d
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = OffsetDateTime::now_utc() - Duration::days(2);
    p.not_after = OffsetDateTime::now_utc() + Duration::days(3650);
    p
}

fn leaf_params(opts: &LeafOpts) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name = dn(&opts.common_name);
    for name in &opts.dns_names {
        p.subject_alt_names
            .push(SanType::DnsName(name.clone().try_into().expect("dns name")));
    }
    for ip in &opts.ips {
        p.subject_alt_names.push(SanType::IpAddress(*ip));
    }
    p.not_before = OffsetDateTime::now_utc() + Duration::days(opts.not_before);
    p.not_after = OffsetDateTime::now_utc() + Duration::days(opts.not_after);
    p.is_ca = if opts.is_ca {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::ExplicitNoCa
    };
    p.use_authority_key_identifier_extension = true;
    p
}

impl Ca {
    pub fn new(common_name: &str) -> Ca {
        let key = KeyPair::generate().expect("key");
        let params = ca_params(common_name);
        let cert = params.self_signed(&key).expect("self-signed CA");
        Ca {
            cert_pem: cert.pem(),
            chain_above: Vec::new(),
            issuer: Issuer::new(params, key),
        }
    }

    pub fn intermediate(&self, common_name: &str) -> Ca {
        let key = KeyPair::generate().expect("key");
        let mut params = ca_params(common_name);
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer).expect("intermediate");
        let mut chain_above = vec![cert.pem()];
        chain_above.extend(self.chain_above.iter().cloned());
        Ca {
            cert_pem: cert.pem(),
            chain_above,
            issuer: Issuer::new(params, key),
        }
    }

    pub fn leaf(&self, opts: LeafOpts) -> Leaf {
        let key = KeyPair::generate().expect("key");
        let cert = leaf_params(&opts)
            .signed_by(&key, &self.issuer)
            .expect("leaf");
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

pub fn self_signed(opts: LeafOpts) -> Leaf {
    let key = KeyPair::generate().expect("key");
    let cert = leaf_params(&opts).self_signed(&key).expect("self-signed");
    Leaf {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        chain_pem: cert.pem(),
    }
}

pub fn write(dir: &Path, name: &str, pem: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pem).expect("write pem");
    path
}
