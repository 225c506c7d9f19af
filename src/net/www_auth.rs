//! A lenient `WWW-Authenticate` parser. Like distribution's Go client it accepts unquoted
//! values containing `/` and `:` (`realm=https://x/token`), which strict RFC 7235 parsers such
//! as the `http-auth` crate reject, because real registries send them.

use serde::Serialize;

const MAX_INPUT: usize = 16 * 1024;
const MAX_PARAMS: usize = 64;
const MAX_CHALLENGES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    pub scheme: String,
    /// Names lower-cased.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn is_bearer(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("bearer")
    }
    pub fn is_basic(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("basic")
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }
    pub fn service(&self) -> Option<&str> {
        self.param("service")
    }
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }
    pub fn scopes(&self) -> Vec<Scope> {
        self.param("scope").map(parse_scopes).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WwwAuthError {
    #[error("the header is empty")]
    Empty,
    #[error("a quoted value is not terminated")]
    Unterminated,
    #[error(
        "the header is larger than {MAX_INPUT} bytes, or has too many challenges or parameters"
    )]
    TooLarge,
    #[error("malformed at byte {0}")]
    Malformed(usize),
}

pub fn parse(values: &[&str]) -> Result<Vec<Challenge>, WwwAuthError> {
    if values.iter().map(|v| v.len()).sum::<usize>() > MAX_INPUT {
        return Err(WwwAuthError::TooLarge);
    }
    let mut out = Vec::new();
    for v in values {
        out.extend(parse_one(v)?);
        if out.len() > MAX_CHALLENGES {
            return Err(WwwAuthError::TooLarge);
        }
    }
    if out.is_empty() {
        return Err(WwwAuthError::Empty);
    }
    Ok(out)
}

fn parse_one(s: &str) -> Result<Vec<Challenge>, WwwAuthError> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t' || b[*i] == b',') {
            *i += 1;
        }
    };
    let token_end = |mut j: usize| {
        while j < b.len() && !matches!(b[j], b' ' | b'\t' | b',' | b'=' | b'"') {
            j += 1;
        }
        j
    };
    loop {
        skip_ws(&mut i);
        if i >= b.len() {
            break;
        }
        // A token followed by '=' is a parameter of the current challenge; otherwise a scheme.
        let start = i;
        let end = token_end(i);
        if end == start {
            return Err(WwwAuthError::Malformed(i));
        }
        let mut j = end;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        if j < b.len() && b[j] == b'=' && !out.is_empty() {
            let name = s[start..end].to_ascii_lowercase();
            j += 1;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            let (value, next) = if j < b.len() && b[j] == b'"' {
                let mut v = String::new();
                let mut k = j + 1;
                let mut closed = false;
                while k < b.len() {
                    match b[k] {
                        b'\\' if k + 1 < b.len() => {
                            let c = s[k + 1..].chars().next().unwrap_or('\\');
                            v.push(c);
                            k += 1 + c.len_utf8();
                        }
                        b'"' => {
                            closed = true;
                            k += 1;
                            break;
                        }
                        _ => {
                            let c = s[k..].chars().next().unwrap_or('\u{fffd}');
                            v.push(c);
                            k += c.len_utf8();
                        }
                    }
                }
                if !closed {
                    return Err(WwwAuthError::Unterminated);
                }
                (v, k)
            } else {
                // Lenient: an unquoted value runs to the next comma.
                let mut k = j;
                while k < b.len() && b[k] != b',' {
                    k += 1;
                }
                (s[j..k].trim().to_string(), k)
            };
            let current = out.last_mut().ok_or(WwwAuthError::Malformed(start))?;
            if current.params.len() >= MAX_PARAMS {
                return Err(WwwAuthError::TooLarge);
            }
            current.params.push((name, value));
            i = next;
        } else if j < b.len() && b[j] == b'=' {
            return Err(WwwAuthError::Malformed(start));
        } else {
            out.push(Challenge {
                scheme: s[start..end].to_string(),
                params: Vec::new(),
            });
            i = end;
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub resource_type: String,
    pub class: Option<String>,
    pub name: String,
    pub actions: Vec<String>,
}

/// `repository:ns/app:pull,push`; the name may hold `host:port`, so actions follow the LAST ':'.
pub fn parse_scope(s: &str) -> Option<Scope> {
    let (rtype, rest) = s.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let (resource_type, class) = match rtype.split_once('(') {
        Some((t, c)) => (t.to_string(), Some(c.trim_end_matches(')').to_string())),
        None => (rtype.to_string(), None),
    };
    if resource_type.is_empty() || name.is_empty() {
        return None;
    }
    Some(Scope {
        resource_type,
        class,
        name: name.to_string(),
        actions: actions
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// Several scopes are space-separated in one `scope` parameter.
pub fn parse_scopes(s: &str) -> Vec<Scope> {
    s.split_whitespace().filter_map(parse_scope).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_registry_headers() {
        let c = parse(&[r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#]).unwrap();
        assert!(c[0].is_bearer());
        assert_eq!(c[0].realm(), Some("https://auth.docker.io/token"));
        assert_eq!(c[0].service(), Some("registry.docker.io"));
        assert_eq!(c[0].scopes()[0].actions, vec!["pull"]);

        let c = parse(&[r#"Bearer realm="https://r/token",service="r",scope="repository:library/alpine:pull,push repository:other/repo:pull",error="insufficient_scope""#]).unwrap();
        assert_eq!(c[0].scopes().len(), 2);
        assert_eq!(c[0].scopes()[0].actions, vec!["pull", "push"]);
        assert_eq!(c[0].error(), Some("insufficient_scope"));

        let c = parse(&[r#"Basic realm="basic-realm""#]).unwrap();
        assert!(c[0].is_basic());

        let c = parse(&["Bearer realm=https://x/token,service=x"]).unwrap();
        assert_eq!(c[0].realm(), Some("https://x/token"));

        let c = parse(&[r#"Basic realm="a", Bearer realm="b""#, r#"Negotiate"#]).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[1].realm(), Some("b"));
    }

    #[test]
    fn hostile_headers_are_errors_not_panics() {
        assert_eq!(parse(&[""]), Err(WwwAuthError::Empty));
        assert_eq!(
            parse(&[r#"Bearer realm="never ends"#]),
            Err(WwwAuthError::Unterminated)
        );
        assert_eq!(parse(&[&"x".repeat(1 << 20)]), Err(WwwAuthError::TooLarge));
        assert!(parse(&["=broken"]).is_err());
        let _ = parse(&["Bearer realm=\"\\"]);
        let _ = parse(&["Bearer realm=\"é\\é\""]);
    }

    #[test]
    fn scopes_split_at_the_last_colon() {
        let s = parse_scope("repository:reg.example:5000/ns/app:pull,push").unwrap();
        assert_eq!(s.name, "reg.example:5000/ns/app");
        let s = parse_scope("repository(plugin):x:pull").unwrap();
        assert_eq!(s.class.as_deref(), Some("plugin"));
        assert!(parse_scope("nonsense").is_none());
    }
}
