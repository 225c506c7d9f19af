//! Read, without verifying, the claims of a registry bearer token. What a token grants is in
//! its `access` claim (distribution `docs/spec/auth/jwt.md`), and a 200 from the token service
//! proves nothing until that is read: the service returns the intersection of what was asked
//! and what is allowed, without an error.
//!
//! Hand-written (about the size of the glue a JWT crate would need): the JWT crates are built
//! to verify and pull in a crypto backend we do not need. Nothing here trusts the token; it
//! only explains it.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Deserializer, Serialize};

/// Registry tokens are a few KiB; anything much larger is not one.
const MAX_TOKEN: usize = 64 * 1024;

/// Base64url with or without `=` padding: most issuers strip it (RFC 7515), some keep it.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Claims {
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub sub: Option<String>,
    /// A string or an array of strings (RFC 7519 §4.1.3), kept as sent.
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
    /// Seconds since the epoch. Lenient: floats are truncated and numeric strings read, and any
    /// other shape is `None` rather than an error, so a quirky issuer still shows its `access`.
    #[serde(default, deserialize_with = "lenient_time")]
    pub exp: Option<i64>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub nbf: Option<i64>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub iat: Option<i64>,
    /// Missing and `null` both mean "grants nothing".
    #[serde(default, deserialize_with = "null_as_empty")]
    pub access: Vec<Access>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub actions: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum JwtError {
    /// Not three dot-separated parts: an opaque token (GCR/GAR, GHCR, …) or a JWE.
    #[error("the token is not a JWT (opaque token)")]
    Opaque,
    #[error("the token is larger than 64 KiB")]
    TooLarge,
    #[error("the JWT payload is not base64url")]
    Base64,
    #[error("the JWT payload is not a JSON claims object: {0}")]
    Json(String),
}

/// Decode the payload of a `header.payload.signature` token. The signature is not checked.
pub fn decode_claims(token: &str) -> Result<Claims, JwtError> {
    if token.len() > MAX_TOKEN {
        return Err(JwtError::TooLarge);
    }
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Opaque);
    };
    if header.is_empty() || payload.is_empty() {
        return Err(JwtError::Opaque);
    }
    let bytes = B64URL.decode(payload).map_err(|_| JwtError::Base64)?;
    serde_json::from_slice(&bytes).map_err(|e| JwtError::Json(e.to_string()))
}

impl Claims {
    /// The actions granted on one resource (`"repository"`, `"library/alpine"`), in the order
    /// the token lists them, without repeats. Names match exactly, as distribution's token
    /// checker does. `*` is returned as it is; use [`Claims::grants`] to ask about one action.
    pub fn granted_actions(&self, kind: &str, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in self
            .access
            .iter()
            .filter(|a| a.kind == kind && a.name == name)
        {
            for action in &a.actions {
                if !out.contains(action) {
                    out.push(action.clone());
                }
            }
        }
        out
    }

    /// Whether `action` is granted on the resource; `*` grants every action
    /// (distribution `registry/auth/token/util.go`, `actionSet.contains`).
    pub fn grants(&self, kind: &str, name: &str, action: &str) -> bool {
        self.granted_actions(kind, name)
            .iter()
            .any(|a| a == action || a == "*")
    }
}

fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 9.0e18)
                // Truncation is the intent: seconds.
                .map(|f| f as i64)
        }),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};

    const HEADER: &str = r#"{"alg":"ES256","typ":"JWT","kid":"ABCD:EFGH"}"#;

    fn token_with(engine: &GeneralPurpose, payload: &str) -> String {
        format!(
            "{}.{}.{}",
            engine.encode(HEADER),
            engine.encode(payload),
            URL_SAFE_NO_PAD.encode(b"not a real signature")
        )
    }

    fn token(payload: &str) -> String {
        token_with(&URL_SAFE_NO_PAD, payload)
    }

    /// A Docker Hub-shaped token payload.
    const HUB: &str = r#"{"access":[{"type":"repository","name":"library/alpine","actions":["pull"],"parameters":{"pull_limit":"100","pull_limit_interval":"21600"}}],"aud":"registry.docker.io","exp":1700000300,"iat":1700000000,"iss":"auth.docker.io","jti":"x","nbf":1699999990,"sub":"bob"}"#;

    #[test]
    fn decodes_registry_tokens() {
        let c = decode_claims(&token(HUB)).unwrap();
        assert_eq!(c.iss.as_deref(), Some("auth.docker.io"));
        assert_eq!(c.sub.as_deref(), Some("bob"));
        assert_eq!(c.aud, Some(serde_json::json!("registry.docker.io")));
        assert_eq!(
            (c.exp, c.nbf, c.iat),
            (Some(1700000300), Some(1699999990), Some(1700000000))
        );
        assert_eq!(c.access.len(), 1);
        assert_eq!(
            c.granted_actions("repository", "library/alpine"),
            vec!["pull"]
        );
    }

    /// Payload → expected granted actions on repository "ns/app", and `grants` for push.
    #[test]
    fn granted_actions_table() {
        #[rustfmt::skip]
        let cases: &[(&str, &[&str], bool)] = &[
            (r#"{"access":[{"type":"repository","name":"ns/app","actions":["pull","push"]}]}"#, &["pull", "push"], true),
            (r#"{"access":[{"type":"repository","name":"ns/app","actions":["pull"]}]}"#, &["pull"], false),
            // Asked for pull,push, granted nothing: a 200 from the realm all the same.
            (r#"{"access":[{"type":"repository","name":"ns/app","actions":[]}]}"#, &[], false),
            (r#"{"access":[]}"#, &[], false),
            (r#"{"access":null}"#, &[], false),
            (r#"{}"#, &[], false),
            (r#"{"access":[{"type":"repository","name":"ns/app"}]}"#, &[], false),
            (r#"{"access":[{"type":"repository","name":"ns/app","actions":null}]}"#, &[], false),
            (r#"{"access":[{"type":"repository","name":"ns/app","actions":["*"]}]}"#, &["*"], true),
            // Several entries for the same resource are merged, repeats dropped.
            (r#"{"access":[{"type":"repository","name":"ns/app","actions":["pull"]},{"type":"repository","name":"ns/app","actions":["pull","push"]}]}"#, &["pull", "push"], true),
            // Other resources do not count.
            (r#"{"access":[{"type":"repository","name":"ns/other","actions":["push"]},{"type":"registry","name":"ns/app","actions":["push"]},{"type":"repository","name":"ns/app2","actions":["push"]}]}"#, &[], false),
            (r#"{"access":[{"type":"repository","name":"*","actions":["push"]}]}"#, &[], false),
        ];
        for (payload, want, push) in cases {
            let c = decode_claims(&token(payload)).unwrap_or_else(|e| panic!("{payload}: {e}"));
            assert_eq!(
                c.granted_actions("repository", "ns/app"),
                want.to_vec(),
                "{payload}"
            );
            assert_eq!(c.grants("repository", "ns/app", "push"), *push, "{payload}");
        }
    }

    #[test]
    fn padding_and_alphabet() {
        // Payload lengths 1, 2 and 0 mod 3 exercise every padding case.
        for payload in [r#"{"sub":"a"}"#, r#"{"sub":"ab"}"#, r#"{"sub":"abc"}"#] {
            for engine in [&URL_SAFE_NO_PAD, &URL_SAFE] {
                let c = decode_claims(&token_with(engine, payload)).unwrap();
                assert!(c.sub.is_some(), "{payload}");
            }
        }
        // '-' and '_' (URL-safe) must decode; this payload encodes to both.
        let payload = r#"{"sub":"??>>~~"}"#;
        let t = token(payload);
        assert!(t.contains('-') || t.contains('_'), "{t}");
        assert_eq!(decode_claims(&t).unwrap().sub.as_deref(), Some("??>>~~"));
        // The standard alphabet ('+', '/') is not base64url.
        let std_token = format!(
            "{}.{}.sig",
            STANDARD.encode(HEADER),
            STANDARD.encode(payload)
        );
        assert!(
            std_token.contains('+') || std_token.contains('/'),
            "{std_token}"
        );
        assert_eq!(decode_claims(&std_token), Err(JwtError::Base64));
    }

    #[test]
    fn lenient_claim_shapes() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<i64>)] = &[
            (r#"{"exp":1700000000}"#, Some(1700000000)),
            (r#"{"exp":1700000000.75}"#, Some(1700000000)),
            (r#"{"exp":"1700000000"}"#, Some(1700000000)),
            (r#"{"exp":null}"#, None),
            (r#"{"exp":"soon"}"#, None),
            (r#"{"exp":1e300}"#, None),
            (r#"{"exp":[1]}"#, None),
            (r#"{"exp":-5}"#, Some(-5)),
        ];
        for (payload, exp) in cases {
            let c = decode_claims(&token(payload)).unwrap_or_else(|e| panic!("{payload}: {e}"));
            assert_eq!(c.exp, *exp, "{payload}");
        }
        let c = decode_claims(&token(r#"{"aud":["a","b"]}"#)).unwrap();
        assert_eq!(c.aud, Some(serde_json::json!(["a", "b"])));
    }

    #[test]
    fn errors() {
        let big = format!("a.{}.c", "A".repeat(70_000));
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        #[rustfmt::skip]
        let cases: Vec<(String, JwtError)> = vec![
            ("opaque-token".into(), JwtError::Opaque),
            ("ya29.a0AfH6SMBx".into(), JwtError::Opaque),
            ("".into(), JwtError::Opaque),
            ("a.b.c.d.e".into(), JwtError::Opaque),
            ("a.b.c.d".into(), JwtError::Opaque),
            (".payload.sig".into(), JwtError::Opaque),
            ("header..sig".into(), JwtError::Opaque),
            ("a.!!!.c".into(), JwtError::Base64),
            ("a.é.c".into(), JwtError::Base64),
            ("a.A.c".into(), JwtError::Base64),
            (big, JwtError::TooLarge),
        ];
        for (t, want) in cases {
            assert_eq!(decode_claims(&t), Err(want), "{t:.40}");
        }
        for payload in [
            "not json",
            "[1,2]",
            "\"str\"",
            "42",
            r#"{"access":"all"}"#,
            r#"{"access":[{"type":"repository"}]}"#,
            r#"{"iss":7}"#,
            &deep,
        ] {
            assert!(
                matches!(decode_claims(&token(payload)), Err(JwtError::Json(_))),
                "{payload:.40}"
            );
        }
        // The signature part may be empty (alg "none"); the claims are still readable.
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#)
        );
        assert_eq!(decode_claims(&unsigned).unwrap().sub.as_deref(), Some("x"));
        // Surrounding whitespace (a token pasted from a file) is ignored.
        assert!(decode_claims(&format!(" {}\n", token(HUB))).is_ok());
    }

    #[test]
    fn junk_never_panics() {
        let mut seed = 7u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 60) as usize;
            let s: String = (0..len)
                .map(|i| {
                    let pick = ((seed >> (i % 50)) as usize + i) % 6;
                    ['.', 'e', 'y', 'J', '=', '\u{e9}'][pick]
                })
                .collect();
            let _ = decode_claims(&s);
        }
    }
}
