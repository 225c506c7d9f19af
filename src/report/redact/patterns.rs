//! Things shaped like secrets, wherever they come from (pasted logs, server answers, cut
//! bodies). Each pattern masks the secret inside its own token and keeps what surrounds it
//! (quotes, the next words), and each runs once over the text: the regex engine is linear, so
//! the whole pass is too.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::{Captures, Regex};

use super::MASK;

/// Names of fields that hold a secret, as a suffix (`access_token`, `x-amz-security-token`,
/// `client_secret`, `registrytoken`, `identitytoken`), plus the `auth` of config.json.
const SECRET_NAME: &str =
    r"(?:auth|[a-z0-9_.-]*(?:token|password|passwd|secret|signature|credential))";

/// Characters a credential is made of: everything up to a blank, a quote or a separator.
const CREDENTIAL: &str = r#"[^\s"'`,;<>\\]+"#;

type Masker = fn(&Captures<'_>, &str) -> String;

struct Pattern {
    re: Regex,
    mask: Masker,
}

fn patterns() -> &'static [Pattern] {
    static PATTERNS: OnceLock<Vec<Pattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let table: Vec<(String, Masker)> = vec![
            // JWTs, whole or cut after the header.
            (
                r"\beyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}".into(),
                |_, _| "[REDACTED-JWT]".into(),
            ),
            // Authorization / Proxy-Authorization in pasted logs or verbose output: the
            // credential after a scheme is always secret; without a scheme, only a word that
            // looks like a credential is ("authorization: server message" stays).
            (
                format!(
                    r#"(?i)\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|negotiate|digest|aws4-hmac-sha256|jwt)(\s+))?({CREDENTIAL})"#
                ),
                |c, _| {
                    let cred = &c[4];
                    if c.get(2).is_none() && !looks_like_credential(cred) {
                        return c[0].to_string();
                    }
                    format!(
                        "{}{}{}{MASK}",
                        &c[1],
                        c.get(2).map_or("", |m| m.as_str()),
                        c.get(3).map_or("", |m| m.as_str())
                    )
                },
            ),
            // Cookie and Set-Cookie: every value, not the attributes (Path, Expires...).
            (
                r#"(?i)\b((?:set-)?cookie\s*:\s*)([^\r\n"'`]*)"#.into(),
                |c, _| format!("{}{}", &c[1], mask_cookies(&c[2])),
            ),
            // JSON fields holding secrets, closed or cut before the closing quote.
            (
                format!(r#"(?is)("{SECRET_NAME}"\s*:\s*")(?:[^"\\]|\\.)*("|\\?\z)"#),
                |c, _| format!("{}{MASK}{}", &c[1], &c[2]),
            ),
            // The same inside an escaped JSON string (a JSON body quoted in a log line).
            (
                format!(r#"(?i)(\\"{SECRET_NAME}\\"\s*:\s*\\")(?:[^"\\]|\\[^"])*(\\"|\\?\z)"#),
                |c, _| format!("{}{MASK}{}", &c[1], &c[2]),
            ),
            // `key = "value"` (TOML: hosts.toml headers, registries.conf) and `key: "value"`
            // (YAML), for the names that hold secrets.
            (
                format!(r#"(?i)\b({SECRET_NAME}\s*[:=]\s*)("|')[^"'\n]*("|')"#),
                |c, _| format!("{}{}{MASK}{}", &c[1], &c[2], &c[3]),
            ),
            // A secret field holding a number.
            (
                format!(r#"(?i)("{SECRET_NAME}"\s*:\s*)-?[0-9][0-9.eE+-]*"#),
                |c, _| format!("{}{MASK}", &c[1]),
            ),
            // user:password@ in any URL (proxies, registries).
            (
                r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@".into(),
                |c, _| format!("{}{MASK}@", &c[1]),
            ),
            // name=value pairs: query strings, form-encoded bodies (`access_token=...&...`
            // with nothing before it), environment lines, `--token=...`.
            (
                format!(r#"(?i)\b({SECRET_NAME}=)[^\s"'`,;<>\\&]+"#),
                |c, _| format!("{}{MASK}", &c[1]),
            ),
            // A password on a command line, bare or quoted.
            (
                r#"(?i)((?:^|\s)--password(?:=|\s+))("[^"]*"|'[^']*'|[^\s"'`-][^\s"'`]*)"#.into(),
                |c, _| format!("{}{}", &c[1], keep_quotes(&c[2])),
            ),
            // `-p` is a password only after `login`; elsewhere (`mkdir -p`) it is not.
            (
                r#"(?i)(\blogin\b[^\n]*?\s-p(?:=|\s+))("[^"]*"|'[^']*'|[^\s"'`-][^\s"'`]*)"#.into(),
                |c, _| format!("{}{}", &c[1], keep_quotes(&c[2])),
            ),
            // Long runs of base64 or hex: tokens, keys, cut bodies.
            (r"[A-Za-z0-9+/_=-]{32,}".into(), |c, hay| {
                let m = c.get(0).map_or("", |m| m.as_str());
                let start = c.get(0).map_or(0, |m| m.start());
                if looks_like_token(m) && !after_digest_prefix(hay, start) {
                    MASK.to_string()
                } else {
                    m.to_string()
                }
            }),
        ];
        table
            .into_iter()
            .filter_map(|(re, mask)| Regex::new(&re).ok().map(|re| Pattern { re, mask }))
            .collect()
    })
}

/// Mask every pattern in `input`.
pub fn mask(input: &str) -> Cow<'_, str> {
    let mut out: Cow<'_, str> = Cow::Borrowed(input);
    for p in patterns() {
        if !p.re.is_match(&out) {
            continue;
        }
        let hay: &str = &out;
        let replaced = p.re.replace_all(hay, |c: &Captures<'_>| (p.mask)(c, hay));
        if let Cow::Owned(s) = replaced {
            out = Cow::Owned(s);
        }
    }
    out
}

fn keep_quotes(value: &str) -> String {
    match value.chars().next() {
        Some(q @ ('"' | '\'')) if value.len() >= 2 => format!("{q}{MASK}{q}"),
        _ => MASK.to_string(),
    }
}

fn mask_cookies(value: &str) -> String {
    const ATTRIBUTES: &[&str] = &[
        "path",
        "domain",
        "expires",
        "max-age",
        "samesite",
        "secure",
        "httponly",
        "priority",
        "partitioned",
    ];
    value
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((name, v))
                if !v.trim().is_empty()
                    && !ATTRIBUTES.contains(&name.trim().to_ascii_lowercase().as_str()) =>
            {
                format!("{name}={MASK}")
            }
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// After `Authorization:` with no scheme: a credential has digits, inner capitals or
/// base64 punctuation and some length; a prose word has none of these.
fn looks_like_credential(word: &str) -> bool {
    if word.len() < 8 || word == MASK {
        return false;
    }
    let inner_upper = word.chars().skip(1).any(|c| c.is_ascii_uppercase());
    let digit = word.chars().any(|c| c.is_ascii_digit());
    let punct = word
        .chars()
        .any(|c| matches!(c, '=' | '+' | '/' | '_' | '.' | '-'));
    inner_upper || digit || punct
}

/// A run of 32+ base64/hex characters that is a token, not a path or a name: random base64
/// mixes capitals, small letters and digits, switching between them at most characters (about
/// 6 times in 10), where a path or a name has long runs of one kind (`tmpUMT1vY/bin/docker-
/// credential-test` switches 4 times in 36); a long run of hex digits is a key unless it is a
/// digest (see `after_digest_prefix`).
pub fn looks_like_token(run: &str) -> bool {
    let b = run.as_bytes();
    let hex = b.len() >= 40
        && (b
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
            || b.iter()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c)));
    if hex {
        return true;
    }
    let class = |c: &u8| match c {
        b'A'..=b'Z' => 1,
        b'a'..=b'z' => 2,
        b'0'..=b'9' => 3,
        _ => 0,
    };
    let classes: Vec<u8> = b.iter().map(class).filter(|k| *k != 0).collect();
    let has = |k: u8| classes.contains(&k);
    let switches = classes.windows(2).filter(|w| w[0] != w[1]).count();
    let longest_segment = run.split('/').map(str::len).max().unwrap_or(0);
    has(1) && has(2) && has(3) && switches * 4 >= b.len() && longest_segment >= 16
}

/// `sha256:<hex>` and its kin are content digests, which identify public content and are what
/// a user compares: never secret.
fn after_digest_prefix(hay: &str, start: usize) -> bool {
    let before = &hay.as_bytes()[start.saturating_sub(8)..start];
    before.ends_with(b"sha256:") || before.ends_with(b"sha512:") || before.ends_with(b"sha384:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_not_tokens() {
        assert!(looks_like_token(
            "dXNlcjpzM2NyZXQtcGFzc3dvcmQtdmFsdWU9MTIzNDU2"
        ));
        assert!(looks_like_token(&"0123456789abcdef".repeat(3)));
        assert!(!looks_like_token("registry-mirror-configuration-file"));
        assert!(!looks_like_token("library/Nginx2/blobs/uploads/Abc/Def"));
        assert!(!looks_like_token("tmpUMT1vY/bin/docker-credential-test"));
        assert!(!looks_like_token("RegistryMirrorConfiguration2024Edition"));
        assert!(looks_like_token("Zq8RealmSecretXyZq8RealmSecretXy"));
        assert!(looks_like_token("ghp_16C7e42F292c6912E7710c838347Ae178B4a"));
        assert!(looks_like_credential("dXNlcjpwYXNz"));
        assert!(!looks_like_credential("server"));
        assert!(!looks_like_credential("required"));
    }
}
