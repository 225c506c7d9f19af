//! Network plumbing the probes use. Knows nothing about rules, codes or categories.

pub mod go_proxy;
pub mod http;
pub mod jwt;
pub mod resolver;
pub mod tls_verify;
pub mod trust;
pub mod www_auth;
pub mod x509;
