//! Read, without verifying, the claims of a registry bearer token: what it grants is in the
//! `access` claim, and a 200 from the token service proves nothing until that is read.
//! (Hand-written: the JWT crates are built to verify and pull in a crypto backend we do not need.)

use base64::Engine as _;
use serde::{Deserialize, Serialize};

const MAX_TOKEN: usize = 64 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Claims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    #[serde(default)]
    pub access: Vec<Access>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub actions: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum JwtError {
    #[error("the token is not a JWT (opaque)")]
    Opaque,
    #[error("the token is larger than 64 KiB")]
    TooLarge,
    #[error("the JWT payload is not base64url")]
    Base64,
    #[error("the JWT payload is not JSON: {0}")]
    Json(String),
}

pub fn decode_claims(token: &str) -> Result<Claims, JwtError> {
    if token.len() > MAX_TOKEN {
        return Err(JwtError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Opaque);
    };
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine.decode(payload).map_err(|_| JwtError::Base64)?;
    serde_json::from_slice(&bytes).map_err(|e| JwtError::Json(e.to_string()))
}

impl Claims {
    pub fn granted_actions(&self, kind: &str, name: &str) -> Vec<String> {
        self.access
            .iter()
            .filter(|a| a.kind == kind && (a.name == name || a.name == "*"))
            .flat_map(|a| a.actions.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str, pad: bool) -> String {
        let engine = if pad {
            base64::engine::general_purpose::URL_SAFE
        } else {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
        };
        format!("eyJhbGciOiJFUzI1NiJ9.{}.c2ln", engine.encode(payload))
    }

    #[test]
    fn reads_granted_actions() {
        let t = token(
            r#"{"iss":"x","access":[{"type":"repository","name":"ns/app","actions":["pull"]}]}"#,
            false,
        );
        let c = decode_claims(&t).unwrap();
        assert_eq!(c.granted_actions("repository", "ns/app"), vec!["pull"]);
        assert!(c.granted_actions("repository", "other").is_empty());
        let t = token(r#"{"access":[]}"#, true);
        assert!(decode_claims(&t).unwrap().access.is_empty());
    }

    #[test]
    fn junk_is_an_error() {
        assert_eq!(decode_claims("opaque-token"), Err(JwtError::Opaque));
        assert_eq!(decode_claims("a.!!!.c"), Err(JwtError::Base64));
        assert!(matches!(
            decode_claims(&token("not json", false)),
            Err(JwtError::Json(_))
        ));
        assert_eq!(decode_claims(&"a".repeat(70_000)), Err(JwtError::TooLarge));
    }
}
