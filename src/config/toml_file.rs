//! The one way TOML configuration files (containerd, containers-registries) are read: missing is
//! `None`, a syntax error names the file with line and column, as `containerd` and `podman`
//! print it.

use std::path::Path;

/// The largest TOML file read; a bigger one is an error, not an allocation. Real containerd
/// and containers files are a few KiB; parsed TOML takes about 30 times its size in memory
/// (a 3.9 MB hosts.toml took 118 MB), so 1 MiB keeps a hostile file near 30 MB.
pub const MAX_SIZE: u64 = 1 << 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum TomlFileError {
    #[error("{path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("{path}: invalid TOML at line {line}, column {column}: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

impl TomlFileError {
    pub fn path(&self) -> &str {
        match self {
            TomlFileError::Unreadable { path, .. } | TomlFileError::Syntax { path, .. } => path,
        }
    }
}

pub fn read_table(path: &Path) -> Result<Option<toml::Table>, TomlFileError> {
    let p = path.display().to_string();
    let unreadable = |message: String| TomlFileError::Unreadable {
        path: p.clone(),
        message,
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e.to_string())),
        Ok(m) if m.is_dir() => return Err(unreadable("is a directory".into())),
        Ok(m) if m.len() > MAX_SIZE => {
            return Err(unreadable(format!("larger than {} MiB", MAX_SIZE >> 20)));
        }
        Ok(_) => {}
    }
    // The size check above misses devices and pipes (length 0): the read is capped too.
    let bytes = super::bounded::read(path, MAX_SIZE).map_err(|e| unreadable(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| unreadable(format!("not UTF-8: {e}")))?;
    parse_table(&text)
        .map(Some)
        .map_err(|(line, column, message)| TomlFileError::Syntax {
            path: p.clone(),
            line,
            column,
            message,
        })
}

/// Parse TOML text; an error is (line, column, message), both 1-based.
pub fn parse_table(text: &str) -> Result<toml::Table, (usize, usize, String)> {
    text.parse::<toml::Table>().map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_column(text, s.start))
            .unwrap_or((1, 1));
        (line, column, e.message().trim().to_string())
    })
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit_once('\n')
        .map_or(before, |(_, tail)| tail)
        .chars()
        .count()
        + 1;
    (line, col)
}

/// A string, or a list of strings, at `key`: several containerd and containers options take
/// either form.
pub fn strings(table: &toml::Table, key: &str) -> Vec<String> {
    match table.get(key) {
        Some(toml::Value::String(s)) => vec![s.clone()],
        Some(toml::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn boolean(table: &toml::Table, key: &str) -> bool {
    table
        .get(key)
        .and_then(toml::Value::as_bool)
        .unwrap_or(false)
}

pub fn string(table: &toml::Table, key: &str) -> Option<String> {
    table.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse_table("a = 1\nb = [1,\nc = \"x\"\n").unwrap_err();
        assert_eq!(err.0, 3, "{err:?}");
        let err = parse_table("ok = 1\n[x\n").unwrap_err();
        assert_eq!(err.0, 2, "{err:?}");
        assert!(parse_table("é = 1").is_err());
        assert_eq!(line_column("ab\ncdé", 7), (2, 4));
    }

    #[test]
    fn missing_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_table(&dir.path().join("nope.toml")), Ok(None));
        assert!(matches!(
            read_table(dir.path()),
            Err(TomlFileError::Unreadable { .. })
        ));
    }
}
