//! Secret redaction, applied once to every string of a report before any renderer sees it.
//!
//! Two nets: patterns for things that look like secrets wherever they come from (pasted logs,
//! server answers), and the exact secrets regdoctor itself handled (passwords, `auth` values,
//! tokens it received), registered the moment they are read.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

use regex::Regex;

use super::Report;

pub const MASK: &str = "[REDACTED]";

static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remember a secret so that it is masked wherever it would appear later. Very short values
/// are not registered: masking every "a" in a report would destroy it and protect nothing.
pub fn register_secret(secret: &str) {
    let secret = secret.trim();
    if secret.len() < 4 {
        return;
    }
    if let Ok(mut known) = KNOWN.lock() {
        // Kept sorted longest first, so a secret containing another is masked whole; a binary
        // search keeps registering cheap even when a config file holds thousands of entries.
        let place = known.binary_search_by(|k| {
            secret
                .len()
                .cmp(&k.len())
                .then_with(|| k.as_str().cmp(secret))
        });
        if let Err(i) = place {
            known.insert(i, secret.to_string());
        }
    }
}

fn patterns() -> &'static [(Regex, &'static str)] {
    static PATTERNS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let table: &[(&str, &str)] = &[
            // Authorization / Proxy-Authorization headers with a scheme, in pasted logs or
            // verbose output. The secret ends at a blank, a separator or a quote: the quote
            // that closes a `-H "Authorization: ..."` stays.
            (r#"(?i)\b((?:proxy-)?authorization\s*[:=]\s*(?:bearer|basic|token)\s+)[^\s,;"'`]+"#, "${1}[REDACTED]"),
            // JSON fields that hold secrets: config.json, auth.json, token responses.
            (
                r#"(?i)("(?:auth|identitytoken|identity_token|password|passwd|secret|token|access_token|refresh_token|registrytoken)"\s*:\s*")(?:[^"\\]|\\.)*(")"#,
                "${1}[REDACTED]${2}",
            ),
            // user:password@ in any URL (proxies, registries).
            (r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", "${1}[REDACTED]@"),
            // Secrets in query strings.
            (
                r#"(?i)([?&](?:access_token|token|password|refresh_token|secret|client_secret)=)[^&\s"'`]+"#,
                "${1}[REDACTED]",
            ),
            // A password on a command line.
            // A quoted password is masked with its quotes, an unquoted one up to a quote.
            (r#"(?i)((?:^|\s)--password(?:=|\s+))(?:"[^"\n]*"|'[^'\n]*'|[^\s"'`-][^\s"'`]*)"#, "${1}[REDACTED]"),
            // `-p` is a password only after `login`; elsewhere (`mkdir -p`) it is not.
            (r#"(?i)(\blogin\b[^\n]*?\s-p(?:=|\s+))(?:"[^"\n]*"|'[^'\n]*'|[^\s"'`-][^\s"'`]*)"#, "${1}[REDACTED]"),
            // Anything shaped like a JWT.
            (r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*", "[REDACTED-JWT]"),
        ];
        table
            .iter()
            .filter_map(|(re, with)| Regex::new(re).ok().map(|r| (r, *with)))
            .collect()
    })
}

/// `Authorization: <value>` without a scheme: the value is masked only when it is shaped like
/// a credential, so that prose such as "may require authorization: server message" is left
/// whole.
fn bare_authorization() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*)([A-Za-z0-9+/=._~-]+)").ok()
    })
    .as_ref()
}

/// Long enough, and with a digit, a base64 sign or several capitals inside: not a word.
fn looks_like_credential(value: &str) -> bool {
    let scheme = ["bearer", "basic", "token"];
    if scheme.iter().any(|s| value.eq_ignore_ascii_case(s)) {
        return false;
    }
    value.len() >= 8
        && (value
            .chars()
            .any(|c| c.is_ascii_digit() || matches!(c, '+' | '/' | '='))
            || value
                .chars()
                .skip(1)
                .filter(char::is_ascii_uppercase)
                .count()
                >= 2)
}

/// Mask secrets in one string.
pub fn text(input: &str) -> Cow<'_, str> {
    let mut out: Cow<'_, str> = Cow::Borrowed(input);
    for (re, with) in patterns() {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, *with).into_owned());
        }
    }
    if let Some(bare) = bare_authorization().filter(|re| re.is_match(&out)) {
        let masked = bare.replace_all(&out, |c: &regex::Captures| {
            if looks_like_credential(&c[2]) {
                format!("{}{MASK}", &c[1])
            } else {
                c[0].to_string()
            }
        });
        if let Cow::Owned(m) = masked {
            out = Cow::Owned(m);
        }
    }
    if let Ok(known) = KNOWN.lock() {
        for secret in known.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
        }
    }
    out
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
        for e in &mut f.evidence {
            in_place(&mut e.value);
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
    fn masks_inside_the_token_and_keeps_quotes_and_words() {
        let cases = [
            (
                r#"curl -H "Authorization: Bearer abc123xyz" https://r.io/v2/"#,
                r#"curl -H "Authorization: Bearer [REDACTED]" https://r.io/v2/"#,
            ),
            (
                "unauthorized: may require authorization: server message",
                "unauthorized: may require authorization: server message",
            ),
            ("Authorization: dXNlcjpwYXNz", "Authorization: [REDACTED]"),
            (
                "authorization: insufficient_scope",
                "authorization: insufficient_scope",
            ),
            (
                r#"GET "https://r/t?access_token=s3kr1t" failed"#,
                r#"GET "https://r/t?access_token=[REDACTED]" failed"#,
            ),
            (
                r#"sh -c "docker login -u bob -p hunter22" && echo ok"#,
                r#"sh -c "docker login -u bob -p [REDACTED]" && echo ok"#,
            ),
            (
                r#"docker login --password "two words" r.io"#,
                "docker login --password [REDACTED] r.io",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(text(input), want, "{input}");
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
