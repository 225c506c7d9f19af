//! Certificate verifiers around rustls' own.
//!
//! `Recording` lets every handshake finish and keeps the whole presented chain, so the TLS
//! probe can judge the chain itself (as Go would) and show every certificate as evidence;
//! reqwest alone only ever exposes the leaf. `Judged` is what later HTTP requests use: it
//! accepts the exact leaf the TLS probe already judged acceptable, and verifies anything else
//! with webpki.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub fn webpki(roots: Arc<RootCertStore>) -> Result<Arc<WebPkiServerVerifier>, String> {
    WebPkiServerVerifier::builder_with_provider(roots, provider())
        .build()
        .map_err(|e| e.to_string())
}

#[derive(Debug)]
pub struct Recording {
    provider: Arc<CryptoProvider>,
    pub seen: Mutex<Vec<CertificateDer<'static>>>,
}

impl Recording {
    pub fn new() -> Arc<Recording> {
        Arc::new(Recording {
            provider: provider(),
            seen: Mutex::new(Vec::new()),
        })
    }

    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.seen.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
        }
        // Judged afterwards by the TLS probe; the handshake's own signatures are still checked.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[derive(Debug)]
pub struct Judged {
    inner: Arc<WebPkiServerVerifier>,
    accepted_leaf: Option<CertificateDer<'static>>,
    skip_verify: bool,
    provider: Arc<CryptoProvider>,
}

impl Judged {
    pub fn new(
        inner: Arc<WebPkiServerVerifier>,
        accepted_leaf: Option<CertificateDer<'static>>,
        skip_verify: bool,
    ) -> Arc<Judged> {
        Arc::new(Judged {
            inner,
            accepted_leaf,
            skip_verify,
            provider: provider(),
        })
    }
}

impl ServerCertVerifier for Judged {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.skip_verify
            || self
                .accepted_leaf
                .as_ref()
                .is_some_and(|l| l.as_ref() == end_entity.as_ref())
        {
            return Ok(ServerCertVerified::assertion());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client config that uses `verifier`, for both the probe connector and reqwest.
pub fn client_config(verifier: Arc<dyn ServerCertVerifier>) -> Result<rustls::ClientConfig, Error> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A config that trusts no certificate: for clients that must never speak TLS (plain-HTTP
/// registries), so that building them does not load the system roots.
pub fn trusting_nothing() -> Option<rustls::ClientConfig> {
    rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .ok()
        .map(|b| {
            b.with_root_certificates(RootCertStore::empty())
                .with_no_client_auth()
        })
}
