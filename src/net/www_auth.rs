//! A lenient `WWW-Authenticate` parser (RFC 9110 §11.6.1 challenges) and the registry token
//! `scope` grammar (distribution `docs/spec/auth/scope.md`).
//!
//! Why our own: the `http-auth` crate is strict and rejects unquoted parameter values that
//! contain `/` or `:` (`Bearer realm=https://x/token,service=x`), which some registries and
//! proxies send; we want to read those and show them. Note that Docker does **not** read them
//! either: distribution's challenge parser (`registry/client/auth/challenge/authchallenge.go`,
//! also in moby and containerd) stops an unquoted value at the first non-token character, so
//! that realm reaches Docker as `https`. [`Challenge::unquoted`] and [`Challenge::docker_value`]
//! let the caller say so. Those Go parsers also read only the first challenge of each header
//! line; this one reads them all.
//!
//! Repeated header fields are parsed as if joined with ", " (RFC 9110 §5.3), so
//! [`WwwAuthError::Malformed`] offsets count in that joined text.

use serde::Serialize;

/// Caps keep the work on a hostile header small and predictable.
const MAX_INPUT: usize = 16 * 1024;
const MAX_PARAMS: usize = 64;
const MAX_CHALLENGES: usize = 16;
/// A real `scope` holds a handful of scopes; more is junk.
const MAX_SCOPES: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// As sent (compare with [`Challenge::is_bearer`] / [`Challenge::is_basic`]).
    pub scheme: String,
    /// Names lowercased, values unquoted and unescaped, in order. A token68 credential
    /// (`Negotiate abc==`) is stored with the empty name `""`.
    pub params: Vec<(String, String)>,
    /// Names of the params whose value came without quotes: Docker reads those only up to the
    /// first character outside the HTTP token set (see [`Challenge::docker_value`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unquoted: Vec<String>,
}

impl Challenge {
    pub fn is_bearer(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("bearer")
    }

    pub fn is_basic(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("basic")
    }

    /// The value of a parameter (name matched case-insensitively). A repeated name gives the
    /// last value, as Go's map-based parser in Docker does.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| !k.is_empty() && k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    pub fn service(&self) -> Option<&str> {
        self.param("service")
    }

    /// All scopes of the `scope` parameter (space-separated, unparsable ones skipped).
    pub fn scopes(&self) -> Vec<Scope> {
        self.param("scope").map(parse_scopes).unwrap_or_default()
    }

    /// `invalid_token`, `insufficient_scope`, … (RFC 6750 §3).
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }

    /// The token68 credential, if the challenge carries one instead of parameters.
    pub fn token68(&self) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// What Docker (distribution's challenge parser) reads for this parameter: the whole value
    /// when it was quoted, else only its leading HTTP token characters
    /// (`realm=https://x/token` → `https`).
    pub fn docker_value(&self, name: &str) -> Option<&str> {
        let value = self.param(name)?;
        if !self.unquoted.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Some(value);
        }
        let end = value
            .bytes()
            .position(|b| !is_tchar(b))
            .unwrap_or(value.len());
        // `end` is at an ASCII byte or the end, so a char boundary.
        value.get(..end)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WwwAuthError {
    #[error("the WWW-Authenticate header is empty")]
    Empty,
    #[error("a quoted value in the WWW-Authenticate header is not terminated")]
    Unterminated,
    #[error(
        "the WWW-Authenticate header is too large (over {MAX_INPUT} bytes, {MAX_CHALLENGES} challenges or {MAX_PARAMS} parameters in one challenge)"
    )]
    TooLarge,
    #[error("the WWW-Authenticate header is malformed at byte {at}")]
    Malformed { at: usize },
}

/// Parse every challenge of one or several `WWW-Authenticate` header values.
pub fn parse(values: &[&str]) -> Result<Vec<Challenge>, WwwAuthError> {
    // Size first, before touching the text: a 1 MB header costs one pass over the lengths.
    let total = values
        .iter()
        .map(|v| v.len().saturating_add(2))
        .fold(0usize, usize::saturating_add);
    if total > MAX_INPUT.saturating_add(2) {
        return Err(WwwAuthError::TooLarge);
    }
    let joined = values.join(", ");
    let out = Parser {
        s: &joined,
        b: joined.as_bytes(),
        i: 0,
    }
    .run()?;
    if out.is_empty() {
        return Err(WwwAuthError::Empty);
    }
    Ok(out)
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9110 `token68` characters (without the trailing `=` padding).
fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.i += 1;
        }
    }

    fn malformed(&self) -> WwwAuthError {
        WwwAuthError::Malformed { at: self.i }
    }

    /// Every boundary we slice at sits next to an ASCII byte, so `get` never fails in
    /// practice; the fallback keeps it panic-free regardless.
    fn slice(&self, from: usize, to: usize) -> &str {
        self.s.get(from..to).unwrap_or("")
    }

    fn run(mut self) -> Result<Vec<Challenge>, WwwAuthError> {
        // Control characters (other than tab) never belong in a header value.
        if let Some(at) = self
            .b
            .iter()
            .position(|&c| (c < 0x20 && c != b'\t') || c == 0x7f)
        {
            return Err(WwwAuthError::Malformed { at });
        }
        let mut out: Vec<Challenge> = Vec::new();
        loop {
            while self.peek().is_some_and(|c| is_ws(c) || c == b',') {
                self.i += 1;
            }
            if self.peek().is_none() {
                break;
            }
            let start = self.i;
            while self.peek().is_some_and(is_tchar) {
                self.i += 1;
            }
            if self.i == start {
                return Err(self.malformed());
            }
            let name_end = self.i;
            self.skip_ws();
            if self.peek() == Some(b'=') {
                // `name=value`: a parameter of the current challenge (after a comma, or
                // leniently after a space).
                let Some(current) = out.last_mut() else {
                    return Err(WwwAuthError::Malformed { at: start });
                };
                if current.params.len() >= MAX_PARAMS {
                    return Err(WwwAuthError::TooLarge);
                }
                self.i += 1;
                let name = self.slice(start, name_end).to_ascii_lowercase();
                let (value, quoted) = self.value()?;
                if !quoted {
                    current.unquoted.push(name.clone());
                }
                current.params.push((name, value));
                continue;
            }
            // A new challenge: the scheme must be followed by a space, a comma or the end.
            self.i = name_end;
            if self.peek().is_some_and(|c| !is_ws(c) && c != b',') {
                return Err(self.malformed());
            }
            if out.len() >= MAX_CHALLENGES {
                return Err(WwwAuthError::TooLarge);
            }
            let mut challenge = Challenge {
                scheme: self.slice(start, name_end).to_string(),
                params: Vec::new(),
                unquoted: Vec::new(),
            };
            if self.peek().is_some_and(is_ws) {
                self.skip_ws();
                if let Some(end) = self.token68_end() {
                    challenge
                        .params
                        .push((String::new(), self.slice(self.i, end).to_string()));
                    self.i = end;
                }
            }
            out.push(challenge);
        }
        Ok(out)
    }

    /// A token68 starts here if its characters and `=` padding are followed by the end, or by
    /// a comma and then a new challenge (otherwise what looks like one is `name=value`).
    fn token68_end(&self) -> Option<usize> {
        let mut j = self.i;
        while self.at(j).is_some_and(is_token68_char) {
            j += 1;
        }
        if j == self.i {
            return None;
        }
        while self.at(j) == Some(b'=') {
            j += 1;
        }
        let end = j;
        while self.at(j).is_some_and(is_ws) {
            j += 1;
        }
        match self.at(j) {
            None => Some(end),
            // Only if what follows the comma is not a parameter of this challenge
            // (`Bearer realm=,service=x` is a broken parameter list, not a token68).
            Some(b',') => {
                while self.at(j).is_some_and(|c| is_ws(c) || c == b',') {
                    j += 1;
                }
                while self.at(j).is_some_and(is_tchar) {
                    j += 1;
                }
                while self.at(j).is_some_and(is_ws) {
                    j += 1;
                }
                (self.at(j) != Some(b'=')).then_some(end)
            }
            Some(_) => None,
        }
    }

    /// The value after `=`: a quoted-string (with `\` escapes) or, leniently, everything up
    /// to the next comma or space. Returns the value and whether it was quoted.
    fn value(&mut self) -> Result<(String, bool), WwwAuthError> {
        self.skip_ws();
        if self.peek() == Some(b'"') {
            self.i += 1;
            let mut v = String::new();
            let rest = self.s.get(self.i..).unwrap_or("");
            let mut chars = rest.char_indices();
            while let Some((off, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, escaped)) => v.push(escaped),
                        None => return Err(WwwAuthError::Unterminated),
                    },
                    '"' => {
                        self.i += off + 1;
                        self.after_value()?;
                        return Ok((v, true));
                    }
                    _ => v.push(c),
                }
            }
            return Err(WwwAuthError::Unterminated);
        }
        let start = self.i;
        while self.peek().is_some_and(|c| !is_ws(c) && c != b',') {
            self.i += 1;
        }
        if self.i == start {
            return Err(self.malformed());
        }
        let v = self.slice(start, self.i).to_string();
        Ok((v, false))
    }

    /// After a quoted value only spaces, a comma or the end may follow.
    fn after_value(&mut self) -> Result<(), WwwAuthError> {
        match self.peek() {
            None | Some(b',') => Ok(()),
            Some(c) if is_ws(c) => Ok(()),
            Some(_) => Err(self.malformed()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// `repository`, `registry`, …
    pub resource_type: String,
    /// The `(class)` suffix of the type, e.g. `plugin` in `repository(plugin)`.
    pub class: Option<String>,
    /// `library/alpine`, `reg.example:5000/ns/app`, `catalog`.
    pub name: String,
    /// `pull`, `push`, `delete`, `*`; empty entries dropped.
    pub actions: Vec<String>,
}

/// One scope: `resourcetype[(class)]:resourcename:action[,action]*`. The actions follow the
/// LAST ':' because a resource name may hold a `host:port`.
pub fn parse_scope(s: &str) -> Option<Scope> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (rtype, rest) = s.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let word = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    };
    let (resource_type, class) = match rtype.split_once('(') {
        Some((t, c)) => (t, Some(c.strip_suffix(')')?)),
        None => (rtype, None),
    };
    if !word(resource_type) || !class.is_none_or(word) || name.is_empty() {
        return None;
    }
    Some(Scope {
        resource_type: resource_type.to_string(),
        class: class.map(str::to_string),
        name: name.to_string(),
        actions: actions
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// Several scopes, separated by spaces (one `scope` parameter may hold several); at most
/// 256 are returned.
pub fn parse_scopes(s: &str) -> Vec<Scope> {
    s.split_ascii_whitespace()
        .filter_map(parse_scope)
        .take(MAX_SCOPES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// (scheme, params) of one expected challenge.
    type Expected<'a> = (&'a str, Vec<(&'a str, &'a str)>);
    /// (type, class, name, actions) of one expected scope.
    type ScopeRow<'a> = (&'a str, Option<&'a str>, &'a str, &'a [&'a str]);

    /// Real and tricky headers → (scheme, params) of each challenge.
    #[test]
    fn parses_real_headers() {
        #[rustfmt::skip]
        let cases: Vec<(Vec<&str>, Vec<Expected>)> = vec![
            (vec![r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#],
             vec![("Bearer", vec![("realm", "https://auth.docker.io/token"), ("service", "registry.docker.io"), ("scope", "repository:library/alpine:pull")])]),
            (vec![r#"Bearer realm="https://r.example/token",service="r.example",scope="repository:library/alpine:pull,push repository:other/repo:pull",error="insufficient_scope""#],
             vec![("Bearer", vec![("realm", "https://r.example/token"), ("service", "r.example"), ("scope", "repository:library/alpine:pull,push repository:other/repo:pull"), ("error", "insufficient_scope")])]),
            (vec![r#"Basic realm="basic-realm""#], vec![("Basic", vec![("realm", "basic-realm")])]),
            (vec![r#"Bearer realm="https://harbor.x/service/token",service="harbor-registry""#],
             vec![("Bearer", vec![("realm", "https://harbor.x/service/token"), ("service", "harbor-registry")])]),
            (vec!["Bearer realm=https://x/token,service=x"],
             vec![("Bearer", vec![("realm", "https://x/token"), ("service", "x")])]),
            // Two challenges in one value, then a third in a repeated header.
            (vec![r#"Basic realm="a", Bearer realm="b""#, "Negotiate"],
             vec![("Basic", vec![("realm", "a")]), ("Bearer", vec![("realm", "b")]), ("Negotiate", vec![])]),
            (vec![r#"Bearer realm="x""#, r#"Basic realm="y""#],
             vec![("Bearer", vec![("realm", "x")]), ("Basic", vec![("realm", "y")])]),
            // Escapes, commas and spaces inside quotes; BWS around '='; upper-case names.
            (vec![r#"Bearer REALM = "a \"quoted\", realm" , Service="s\\x""#],
             vec![("Bearer", vec![("realm", r#"a "quoted", realm"#), ("service", r"s\x")])]),
            // token68, alone and followed by another challenge.
            (vec!["Negotiate YWJjZGVm==, Basic realm=\"r\""],
             vec![("Negotiate", vec![("", "YWJjZGVm==")]), ("Basic", vec![("realm", "r")])]),
            (vec!["Negotiate abc/+~.-_"], vec![("Negotiate", vec![("", "abc/+~.-_")])]),
            // Lenient: parameters separated by spaces only, empty list elements, tabs.
            (vec!["Bearer realm=\"r\" service=\"s\""], vec![("Bearer", vec![("realm", "r"), ("service", "s")])]),
            (vec![" ,, Bearer\trealm=\"r\" ,,, "], vec![("Bearer", vec![("realm", "r")])]),
            // Empty quoted value and non-ASCII inside quotes are kept.
            (vec![r#"Basic realm="", charset="UTF-8""#], vec![("Basic", vec![("realm", ""), ("charset", "UTF-8")])]),
            (vec![r#"Basic realm="Zoë's registry""#], vec![("Basic", vec![("realm", "Zoë's registry")])]),
            // Registry-style scheme case variants.
            (vec![r#"bearer realm="x""#], vec![("bearer", vec![("realm", "x")])]),
        ];
        for (values, want) in cases {
            let got = parse(&values).unwrap_or_else(|e| panic!("{values:?}: {e}"));
            let got: Vec<(String, Vec<(String, String)>)> =
                got.into_iter().map(|c| (c.scheme, c.params)).collect();
            let want: Vec<(String, Vec<(String, String)>)> = want
                .into_iter()
                .map(|(s, ps)| (s.to_string(), p(&ps)))
                .collect();
            assert_eq!(got, want, "{values:?}");
        }
    }

    #[test]
    fn accessors() {
        let c = parse(&[r#"Bearer realm="https://r/token",service="r",scope="repository:a/b:pull,push registry:catalog:*",error="insufficient_scope",realm="second""#]).unwrap();
        let c = &c[0];
        assert!(c.is_bearer() && !c.is_basic());
        assert_eq!(c.realm(), Some("second"), "last value wins, as in Docker");
        assert_eq!(c.service(), Some("r"));
        assert_eq!(c.error(), Some("insufficient_scope"));
        assert_eq!(c.param("SERVICE"), Some("r"));
        assert_eq!(c.param("missing"), None);
        assert_eq!(c.token68(), None);
        let scopes = c.scopes();
        assert_eq!(scopes.len(), 2);
        assert_eq!(scopes[0].actions, vec!["pull", "push"]);
        assert_eq!(
            (scopes[1].resource_type.as_str(), scopes[1].name.as_str()),
            ("registry", "catalog")
        );
        let basic = parse(&["BASIC realm=x"]).unwrap();
        assert!(basic[0].is_basic() && !basic[0].is_bearer());
        assert_eq!(basic[0].scopes(), vec![]);
    }

    #[test]
    fn docker_reads_unquoted_values_only_up_to_a_separator() {
        // (header, param, lenient value, what Docker reads)
        #[rustfmt::skip]
        let cases = [
            ("Bearer realm=https://x/token,service=x", "realm", "https://x/token", "https"),
            ("Bearer realm=https://x/token,service=x", "service", "x", "x"),
            ("Bearer realm=\"https://x/token\",service=reg.example:5000", "realm", "https://x/token", "https://x/token"),
            ("Bearer realm=\"https://x/token\",service=reg.example:5000", "service", "reg.example:5000", "reg.example"),
        ];
        for (header, name, lenient, docker) in cases {
            let c = parse(&[header]).unwrap();
            assert_eq!(c[0].param(name), Some(lenient), "{header}");
            assert_eq!(c[0].docker_value(name), Some(docker), "{header}");
        }
    }

    #[test]
    fn errors() {
        let big = format!("Bearer realm=\"{}\"", "x".repeat(1 << 20));
        let many_params = format!(
            "Bearer {}",
            (0..65)
                .map(|i| format!("p{i}=v"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let many_challenges = vec!["Basic"; 17];
        let under_cap = vec!["Basic"; 16];
        #[rustfmt::skip]
        let cases: Vec<(Vec<&str>, WwwAuthError)> = vec![
            (vec![""], WwwAuthError::Empty),
            (vec![], WwwAuthError::Empty),
            (vec!["  ", " , ,"], WwwAuthError::Empty),
            (vec![r#"Bearer realm="never ends"#], WwwAuthError::Unterminated),
            (vec![r#"Bearer realm="ends in a backslash\"#], WwwAuthError::Unterminated),
            (vec![r#"Bearer realm="x", service=""#], WwwAuthError::Unterminated),
            (vec![big.as_str()], WwwAuthError::TooLarge),
            (vec![many_params.as_str()], WwwAuthError::TooLarge),
            (many_challenges, WwwAuthError::TooLarge),
            (vec!["=broken"], WwwAuthError::Malformed { at: 0 }),
            (vec![r#"realm="x""#], WwwAuthError::Malformed { at: 0 }),
            (vec![r#"Bearer realm="x"junk"#], WwwAuthError::Malformed { at: 16 }),
            (vec![r#"Bearer "quoted""#], WwwAuthError::Malformed { at: 7 }),
            (vec!["Bearer realm=,service=x"], WwwAuthError::Malformed { at: 13 }),
            (vec!["Bear/er realm=x"], WwwAuthError::Malformed { at: 4 }),
            (vec!["Bearer realm=\"a\r\nb\""], WwwAuthError::Malformed { at: 15 }),
            (vec!["Basic realm=x", "\u{0}"], WwwAuthError::Malformed { at: 15 }),
        ];
        for (values, want) in cases {
            assert_eq!(parse(&values), Err(want.clone()), "{values:?}");
        }
        assert_eq!(parse(&under_cap).map(|c| c.len()), Ok(16));
    }

    #[test]
    fn a_megabyte_header_is_refused_fast() {
        let huge = "a".repeat(1 << 20);
        let start = std::time::Instant::now();
        for _ in 0..100 {
            assert_eq!(parse(&[&huge]), Err(WwwAuthError::TooLarge));
        }
        assert!(start.elapsed() < std::time::Duration::from_millis(100));
        let many: Vec<&str> = vec!["x"; 100_000];
        assert_eq!(parse(&many), Err(WwwAuthError::TooLarge));
    }

    #[test]
    fn junk_never_panics() {
        let alphabet: Vec<char> = "Bb =\",\\\t/:é\u{1F600}\u{0}a".chars().collect();
        let mut seed = 42u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let s: String = (0..len)
                .map(|i| alphabet[((seed >> (i % 50)) as usize + i) % alphabet.len()])
                .collect();
            if let Ok(list) = parse(&[&s]) {
                for c in &list {
                    let _ = (c.docker_value("realm"), c.scopes(), c.token68());
                }
            }
            let _ = parse_scopes(&s);
        }
    }

    #[test]
    fn scopes() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<ScopeRow>)] = &[
            ("repository:library/alpine:pull", Some(("repository", None, "library/alpine", &["pull"]))),
            ("repository:ns/app:pull,push", Some(("repository", None, "ns/app", &["pull", "push"]))),
            ("repository:reg.example:5000/ns/app:pull,push", Some(("repository", None, "reg.example:5000/ns/app", &["pull", "push"]))),
            ("repository(plugin):x:pull", Some(("repository", Some("plugin"), "x", &["pull"]))),
            ("registry:catalog:*", Some(("registry", None, "catalog", &["*"]))),
            ("repository:a/b:", Some(("repository", None, "a/b", &[]))),
            ("repository:a/b:pull,,push,", Some(("repository", None, "a/b", &["pull", "push"]))),
            ("nonsense", None),
            ("repository:only-two", None),
            (":name:pull", None),
            ("repository::pull", None),
            ("repository(:x:pull", None),
            ("repository(plugin:x:pull", None),
            ("repo sitory:x:pull", None),
            ("", None),
        ];
        for (input, want) in cases {
            let got = parse_scope(input);
            let got = got.as_ref().map(|s| {
                (
                    s.resource_type.as_str(),
                    s.class.as_deref(),
                    s.name.as_str(),
                    s.actions.iter().map(String::as_str).collect::<Vec<_>>(),
                )
            });
            let want = want.map(|(t, c, n, a)| (t, c, n, a.to_vec()));
            assert_eq!(got, want, "{input:?}");
        }
        let several = parse_scopes("repository:a:pull  repository:b:push\tjunk registry:catalog:*");
        let names: Vec<&str> = several.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "catalog"]);
        let flood = "r:n:a ".repeat(10_000);
        assert_eq!(parse_scopes(&flood).len(), 256);
    }
}
