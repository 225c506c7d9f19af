//! Secret redaction, applied once to every string of a report before any renderer sees it.
//!
//! Two nets: patterns for things that look like secrets wherever they come from (pasted logs,
//! server answers), and the exact secrets regdoctor itself handled (passwords, `auth` values,
//! tokens it received), registered the moment they are read.

mod known;
mod patterns;
mod shape;

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

use super::Report;

pub use patterns::looks_like_token;
pub use shape::describe as body_shape;

pub const MASK: &str = "[REDACTED]";

static KNOWN: Mutex<Option<known::Known>> = Mutex::new(None);

/// Remember a secret so that it is masked wherever it would appear later. Very short values
/// are not registered: masking every "a" in a report would destroy it and protect nothing.
pub fn register_secret(secret: &str) {
    let secret = secret.trim();
    if secret.len() < 4 {
        return;
    }
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    known
        .get_or_insert_with(known::Known::default)
        .insert(secret);
}

/// Mask secrets in one string: first the exact secrets regdoctor handled (so each is masked
/// whole, before a pattern could cut it), then everything shaped like a secret. Linear in
/// the text and in the number of secrets.
pub fn text(input: &str) -> Cow<'_, str> {
    let exact = {
        let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
        known.as_ref().and_then(|k| k.mask(input, MASK))
    };
    match exact {
        Some(masked) => Cow::Owned(patterns::mask(&masked).into_owned()),
        None => patterns::mask(input),
    }
}

/// Evidence labelled like a credential-carrying header or field.
fn secret_label(label: &str) -> bool {
    let l = label.trim().to_ascii_lowercase();
    matches!(
        l.as_str(),
        "authorization" | "proxy-authorization" | "set-cookie" | "cookie"
    ) || ["token", "password", "passwd", "secret"]
        .iter()
        .any(|s| l.ends_with(s))
}

fn in_place(s: &mut String) {
    if let Cow::Owned(masked) = text(s) {
        *s = masked;
    }
}

/// Mask every free-text string of the report: evidence, matched lines, summaries, extracted
/// values. Rule prose comes from `checks/` and cannot hold a user's secret, but fixes are
/// filled from observed values, so they are masked too.
pub fn report(report: &mut Report) {
    if let Some(t) = report.target.as_mut() {
        in_place(&mut t.input);
    }
    for c in &mut report.checks {
        if let Some(s) = c.summary.as_mut() {
            in_place(s);
        }
        if let Some(s) = c.skip_reason.as_mut() {
            in_place(s);
        }
    }
    for f in &mut report.findings {
        // Rule prose is filled with observed values (hosts, paths): masked like the rest.
        in_place(&mut f.title);
        in_place(&mut f.why);
        for c in &mut f.causes {
            in_place(&mut c.text);
        }
        for e in &mut f.evidence {
            if secret_label(&e.label) {
                // A header that carries credentials is secret whatever its value looks like.
                e.value = format!("{MASK} ({} bytes)", e.value.len());
            } else {
                in_place(&mut e.value);
            }
        }
        for l in &mut f.lines {
            in_place(&mut l.text);
        }
        for fix in &mut f.fixes {
            for s in [&mut fix.command, &mut fix.snippet, &mut fix.file]
                .into_iter()
                .flatten()
            {
                in_place(s);
            }
        }
    }
    for v in report.extracted.values_mut() {
        in_place(v);
    }
    if let Some(s) = report.suggestion.as_mut() {
        in_place(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_shapes_of_secrets() {
        let cases = [
            ("Authorization: Bearer abc.def-123", "abc.def-123"),
            ("authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
            (
                r#"{"auths":{"r.io":{"auth":"dXNlcjpzM2NyZXQ="}}}"#,
                "dXNlcjpzM2NyZXQ=",
            ),
            (r#""identitytoken": "tok-secret-1""#, "tok-secret-1"),
            ("HTTPS_PROXY=http://bob:hunter22@proxy:3128", "hunter22"),
            ("GET https://r/token?access_token=sekrit&x=1", "sekrit"),
            ("docker login -u bob -p hunter22 r.io", "hunter22"),
            ("docker login --password=hunter22 r.io", "hunter22"),
            (
                "token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl end",
                "eyJzdWIiOiJib2IifQ",
            ),
        ];
        for (input, secret) in cases {
            let out = text(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains("REDACTED"), "{input} -> {out}");
        }
    }

    #[test]
    fn masks_cut_and_form_encoded_tokens() {
        let cases = [
            (r#"{"token":"Tok3n-cut-in-the-mid"#, "Tok3n"),
            (r#"{"access_token":"abc\"#, "abc"),
            (
                "access_token=Form-Secret-1&token_type=bearer",
                "Form-Secret-1",
            ),
            ("x refresh_token=Form-Secret-2", "Form-Secret-2"),
            (
                r#"log: {\"token\":\"Escaped-Secret-3\"}"#,
                "Escaped-Secret-3",
            ),
            (r#"{"password": 12345678}"#, "12345678"),
            (
                "Set-Cookie: session=Cookie-Secret-4; Path=/; HttpOnly",
                "Cookie-Secret-4",
            ),
            (
                "Cookie: a=Cookie-Secret-5; b=Cookie-Secret-6",
                "Cookie-Secret-6",
            ),
            ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOi", "eyJzdWIiOi"),
            (
                "key dGhpcyBpcyBhIHNlY3JldCB0b2tlbiB2YWx1ZTEyMw== end",
                "dGhpcyBp",
            ),
            (
                "hex 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 end",
                "9f86d081",
            ),
        ];
        for (input, secret) in cases {
            let out = text(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains("REDACTED"), "{input} -> {out}");
        }
        assert_eq!(
            text("access_token=Form-Secret-1&token_type=bearer&expires_in=3600"),
            "access_token=[REDACTED]&token_type=bearer&expires_in=3600"
        );
    }

    #[test]
    fn the_mask_stays_inside_its_token() {
        assert_eq!(
            text(r#"curl -H "Authorization: Bearer abc.def-123" https://r.io/v2/"#),
            r#"curl -H "Authorization: Bearer [REDACTED]" https://r.io/v2/"#
        );
        let s = "unauthorized: may require authorization: server message";
        assert_eq!(text(s), s);
        assert_eq!(
            text("docker login --password 'hunter 22' r.io"),
            "docker login --password '[REDACTED]' r.io"
        );
        assert_eq!(
            text(r#"{"token":"s3cret","expires_in":60}"#),
            r#"{"token":"[REDACTED]","expires_in":60}"#
        );
        let digest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(text(digest), digest);
    }

    #[test]
    fn credential_headers_in_evidence_are_masked_whole() {
        for label in [
            "Set-Cookie",
            "authorization",
            "Proxy-Authorization",
            "x-auth-token",
        ] {
            assert!(secret_label(label), "{label}");
        }
        for label in ["body", "realm request", "WWW-Authenticate", "Content-Type"] {
            assert!(!secret_label(label), "{label}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let s = "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host";
        assert_eq!(text(s), s);
        assert_eq!(text("docker pull -q nginx"), "docker pull -q nginx");
    }

    #[test]
    fn masks_registered_secrets_anywhere() {
        register_secret("correct-horse-battery");
        assert_eq!(
            text("pw is correct-horse-battery!"),
            format!("pw is {MASK}!")
        );
        register_secret("ab"); // too short to be useful, not registered
        assert_eq!(text("abc"), "abc");
    }
}
