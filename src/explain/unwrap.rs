//! Pasted errors arrive wrapped: a terminal or a web page breaks a long line where it likes
//! (`x509: ` / `certificate signed by unknown authority`, `swr.cn-north-` / `1.myhuaweicloud.com`).
//! Rebuild the logical lines of a short paste so that the reader sees each error whole.

/// At most this many physical lines make one logical line: a runaway join would glue a whole
/// log into one line.
const MAX_JOINED: usize = 8;
const MAX_LEN: usize = 8 * 1024;

/// Logical lines of `text`, each with the number (from 0) of its first physical line.
pub fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut joined = 0usize;
    for (n, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((_, prev)) = out.last_mut() {
            if joined < MAX_JOINED && prev.len() + line.len() < MAX_LEN {
                if let Some(sep) = continuation(prev, line) {
                    prev.truncate(prev.trim_end().len());
                    prev.push_str(sep);
                    prev.push_str(line.trim_start());
                    joined += 1;
                    continue;
                }
            }
        }
        joined = 0;
        out.push((n, line.to_string()));
    }
    out
}

/// How `next` continues `prev`, if it does: `Some("")` to glue a word cut at a hyphen,
/// `Some(" ")` for a break between words, `None` for a new line.
fn continuation(prev: &str, next: &str) -> Option<&'static str> {
    let p = prev.trim_end();
    if p.is_empty() || next.trim().is_empty() {
        return None;
    }
    // Indented lines are items of their own (podman's "Trying to pull" blocks, YAML, events).
    if next.starts_with([' ', '\t']) || starts_record(next) {
        return None;
    }
    let last = p.chars().last()?;
    let first = next.chars().next()?;
    if last == '-' && (first.is_ascii_alphanumeric()) {
        // `swr.cn-north-` + `1.myhuaweicloud.com`: a host or word cut at its hyphen.
        return Some("");
    }
    // After a colon the cause follows; a line that starts with punctuation (`* `, `[`, `-`)
    // is a record of its own.
    if last == '=' && first.is_ascii_alphanumeric() {
        return Some(" ");
    }
    if matches!(last, ':' | ',' | '(') && (first.is_ascii_alphanumeric() || first == '"') {
        return Some(" ");
    }
    // A break between two words: only where a terminal would wrap (a long line), and not
    // before a line that opens with a tool's own prefix (`curl: `, `ctr: `, `go: `).
    let sentence_end = matches!(last, '.' | '!' | '?' | ';' | '}' | ']' | '>');
    let lowercase_start = first.is_ascii_lowercase() || first == '"';
    if !sentence_end
        && lowercase_start
        && !p.ends_with("...")
        && p.chars().count() >= 40
        && !tool_prefix(next)
    {
        return Some(" ");
    }
    None
}

/// `word: ` at the start of a line: a program naming itself.
fn tool_prefix(line: &str) -> bool {
    let word_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(line.len());
    word_end > 0 && line[word_end..].starts_with(": ")
}

/// A line that begins a log record of its own: a timestamp, a level, a layer id, a prompt.
fn starts_record(line: &str) -> bool {
    let b = line.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.len() >= r.end && b[r].iter().all(u8::is_ascii_digit);
    // 2024-01-01, 12:34:56
    if (digits(0..4) && b.get(4) == Some(&b'-')) || (digits(0..2) && b.get(2) == Some(&b':')) {
        return true;
    }
    // A docker layer progress line: twelve hex digits and a colon.
    if b.len() > 13 && b[..12].iter().all(u8::is_ascii_hexdigit) && b[12] == b':' {
        return true;
    }
    let lower = line.to_ascii_lowercase();
    [
        "time=", "level=", "$ ", "# ", "+ ", "> ", "warning:", "error:", "info:", "step ",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(text: &str) -> Vec<String> {
        logical_lines(text).into_iter().map(|(_, l)| l).collect()
    }

    #[test]
    fn wrapped_errors_are_rebuilt() {
        assert_eq!(
            joined(
                "Get https://index.docker.io/v1/: x509: \ncertificate signed by unknown authority"
            ),
            vec!["Get https://index.docker.io/v1/: x509: certificate signed by unknown authority"]
        );
        assert_eq!(
            joined(
                "Failed to pull image \"swr.cn-north-\n1.myhuaweicloud.com/a/b:1\": rpc error: code=\nNotFound desc= failed"
            ),
            vec![
                "Failed to pull image \"swr.cn-north-1.myhuaweicloud.com/a/b:1\": rpc error: code= NotFound desc= failed"
            ]
        );
    }

    #[test]
    fn separate_records_stay_apart() {
        let text = "Trying to pull docker.io/library/x:1...\n  denied: requested access to the resource is denied\nError: initializing source docker://x:1: reading manifest";
        assert_eq!(joined(text).len(), 3);
        let text = "171857c49d0f: Already exists\n419640447d26: Pulling fs layer";
        assert_eq!(joined(text).len(), 2);
        let text = "2024-01-01T00:00:00Z one\n2024-01-01T00:00:01Z two";
        assert_eq!(joined(text).len(), 2);
    }

    #[test]
    fn joins_are_bounded() {
        let text = "a:\n".repeat(100);
        assert!(joined(&text).len() >= 100 / (MAX_JOINED + 1));
    }
}
