//! What a body looks like, without what it holds. A token realm's answer is secret by nature
//! (whole, cut at the body cap, JSON or form-encoded or anything else), yet its shape is what
//! tells a user why Docker refused it: "JSON without a `token` field", "form-encoded", "an HTML
//! login page", "cut at 64 KiB". So bodies from a realm reach evidence only as their shape: the
//! kind, the length, the field names, and each value as its kind and length. Only short prose
//! under an error field (`error`, `message`, `details`...) is shown as text, because that is
//! the server's own explanation.

use super::patterns::looks_like_token;

/// The most characters a description takes; the rest is summarised as "...".
const BUDGET: usize = 400;
/// Fields whose short prose value is the server's explanation, not a credential.
const PROSE_FIELDS: &[&str] = &[
    "code",
    "error",
    "message",
    "details",
    "detail",
    "error_description",
    "token_type",
    "title",
];

/// Describe `body` (the first bytes of it when `cut`).
pub fn describe(body: &[u8], cut: bool) -> String {
    let size = if cut {
        format!("{} bytes shown of a longer body, cut", body.len())
    } else {
        format!("{} bytes", body.len())
    };
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    let (kind, detail) = if body.is_empty() {
        return "empty".to_string();
    } else if body.iter().take(4096).filter(|b| **b == 0).count() > 0 {
        ("binary", String::new())
    } else if trimmed.starts_with('{') || trimmed.starts_with('[') {
        ("JSON", json_outline(trimmed))
    } else if looks_form_encoded(trimmed) {
        ("form-encoded", form_outline(trimmed))
    } else if trimmed.len() > 1 && trimmed.starts_with('<') {
        ("HTML or XML", html_title(trimmed))
    } else {
        ("text", text_outline(trimmed))
    };
    if detail.is_empty() {
        format!("{kind}, {size}")
    } else {
        format!("{kind}, {size}: {detail}")
    }
}

fn value_shape(kind: &str, len: usize) -> String {
    format!("<{kind}, {len} bytes>")
}

/// A string that may be shown: short prose under a prose field, with no token-like word.
fn showable(field: &str, value: &str) -> bool {
    PROSE_FIELDS.contains(&field.to_ascii_lowercase().as_str())
        && value.len() <= 200
        && !value
            .split(|c: char| c.is_whitespace() || c == '"' || c == ',')
            .any(word_may_be_secret)
}

/// A word that could be (part of) a credential: long, or letters mixed with digits, or
/// shaped like a token once repeated to token length.
fn word_may_be_secret(w: &str) -> bool {
    let letters = w.chars().any(|c| c.is_ascii_alphabetic());
    let digits = w.chars().any(|c| c.is_ascii_digit());
    w.len() >= 24 || (w.len() >= 8 && letters && digits) || looks_like_token(&w.repeat(4))
}

fn looks_form_encoded(t: &str) -> bool {
    let first = t.split('&').next().unwrap_or("");
    let Some((name, _)) = first.split_once('=') else {
        return false;
    };
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'%'))
        && !t.trim_end().contains(char::is_whitespace)
}

fn form_outline(t: &str) -> String {
    let mut out = String::new();
    for (i, pair) in t.trim_end().split('&').enumerate() {
        if out.len() > BUDGET {
            out.push_str("&...");
            break;
        }
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, value)) => {
                let name = if name.len() >= 32 || looks_like_token(&name.repeat(2)) {
                    value_shape("name", name.len())
                } else {
                    name.to_string()
                };
                let shown = if showable(&name, value) {
                    value.to_string()
                } else {
                    value_shape("value", value.len())
                };
                out.push_str(&format!("{name}={shown}"));
            }
            None => out.push_str(&value_shape("text", pair.len())),
        }
    }
    out
}

fn html_title(t: &str) -> String {
    let lower = t.get(..t.len().min(8192)).unwrap_or(t).to_ascii_lowercase();
    let Some(open) = lower.find("<title>") else {
        return String::new();
    };
    let rest = &lower[open + 7..];
    let Some(close) = rest.find("</title>") else {
        return String::new();
    };
    let title = t[open + 7..open + 7 + close].trim();
    if showable("title", title) {
        format!("title \"{title}\"")
    } else {
        format!("title {}", value_shape("text", title.len()))
    }
}

fn text_outline(t: &str) -> String {
    let lines = t.lines().count();
    let first = t.lines().next().unwrap_or("").trim();
    // Prose (several words, no token-like word) is the server's message; anything else is
    // shown by its length only.
    if first.contains(' ') && showable("message", first) {
        format!("{lines} line(s), the first: \"{first}\"")
    } else {
        format!("{lines} line(s)")
    }
}

/// The JSON's structure with values as shapes, read with a tolerant scanner: a body cut in
/// the middle of a string still has an outline, and nothing of the cut string is shown.
fn json_outline(t: &str) -> String {
    let mut out = String::new();
    let b = t.as_bytes();
    let mut i = 0;
    // After a key, its name (so its value can be judged); `None` inside arrays.
    let mut field: Option<String> = None;
    while i < b.len() {
        if out.len() > BUDGET {
            out.push_str(" ...");
            return out;
        }
        let c = b[i];
        match c {
            b'{' | b'[' | b'}' | b']' => {
                out.push(c as char);
                field = None;
                i += 1;
            }
            b',' => {
                out.push_str(", ");
                field = None;
                i += 1;
            }
            b':' => {
                out.push_str(": ");
                i += 1;
            }
            b'"' => {
                let (s, end, closed) = scan_string(b, i + 1);
                i = end;
                let is_key = b[i..]
                    .iter()
                    .find(|c| !c.is_ascii_whitespace())
                    .is_some_and(|c| *c == b':');
                if is_key {
                    let name = String::from_utf8_lossy(s).into_owned();
                    if name.len() >= 32 || looks_like_token(&name.repeat(2)) {
                        out.push_str(&value_shape("key", name.len()));
                    } else {
                        out.push_str(&format!("\"{name}\""));
                    }
                    field = Some(name);
                } else {
                    let v = String::from_utf8_lossy(s);
                    match &field {
                        Some(f) if closed && showable(f, &v) => {
                            out.push_str(&format!("\"{v}\""));
                        }
                        _ if closed => out.push_str(&value_shape("string", s.len())),
                        _ => out.push_str(&value_shape("string cut after", s.len())),
                    }
                    field = None;
                }
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let end = b[i..]
                    .iter()
                    .position(|c| matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace())
                    .map_or(b.len(), |p| i + p);
                let word = &b[i..end];
                match word {
                    b"true" | b"false" | b"null" => out.push_str(&String::from_utf8_lossy(word)),
                    w if w.len() <= 12
                        && w.iter()
                            .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'.')) =>
                    {
                        out.push_str(&String::from_utf8_lossy(w));
                    }
                    w => out.push_str(&value_shape("value", w.len())),
                }
                field = None;
                i = end;
            }
        }
    }
    out
}

/// The string starting at `start` (after its opening quote): its raw bytes, where scanning
/// resumes, and whether it was closed.
fn scan_string(b: &[u8], start: usize) -> (&[u8], usize, bool) {
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return (&b[start..i], i + 1, true),
            _ => i += 1,
        }
    }
    (&b[start..b.len()], b.len(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_json_token_shows_its_shape_only() {
        let token = "A1b2".repeat(300_000);
        let body = format!(r#"{{"token":"{token}","expires_in":300}}"#);
        let d = describe(&body.as_bytes()[..65536], true);
        assert!(!d.contains("A1b2"), "{d}");
        assert!(d.contains("\"token\""), "{d}");
        assert!(d.contains("cut"), "{d}");
        let whole = describe(br#"{"token":"abc.def.ghi","expires_in":300}"#, false);
        assert!(!whole.contains("abc.def"), "{whole}");
        assert!(whole.contains("300"), "{whole}");
    }

    #[test]
    fn a_form_token_shows_names_only() {
        let d = describe(
            b"access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&token_type=bearer&scope=",
            false,
        );
        assert!(!d.contains("gho_"), "{d}");
        assert!(d.starts_with("form-encoded"), "{d}");
        assert!(d.contains("access_token=<value, 40 bytes>"), "{d}");
        assert!(d.contains("token_type=bearer"), "{d}");
    }

    #[test]
    fn error_prose_stays_readable() {
        let d = describe(
            br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            false,
        );
        assert!(d.contains("\"UNAUTHORIZED\""), "{d}");
        assert!(d.contains("\"authentication required\""), "{d}");
        let d = describe(
            b"<html><head><title>502 Bad Gateway</title></head></html>",
            false,
        );
        assert!(d.contains("502 Bad Gateway"), "{d}");
        let d = describe(b"Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", false);
        assert!(!d.contains("Ab3d"), "{d}");
        assert_eq!(describe(b"", false), "empty");
    }
}
