//! The one way configuration JSON files are read: missing is `None` (defaults apply), an error
//! names the file and, for bad JSON, the line and column, as the engines themselves report it.

use std::path::Path;

use serde_json::{Map, Value};

/// The largest config file read; a bigger one is an error, not an allocation.
const MAX_SIZE: u64 = 4 << 20;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum JsonFileError {
    #[error("{path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("{path}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: the top level must be a JSON object")]
    NotAnObject { path: String },
}

pub fn read_object(path: &Path) -> Result<Option<Map<String, Value>>, JsonFileError> {
    let p = path.display().to_string();
    let unreadable = |message: String| JsonFileError::Unreadable {
        path: p.clone(),
        message,
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e.to_string())),
        Ok(m) if m.len() > MAX_SIZE => {
            return Err(unreadable(format!("larger than {} MiB", MAX_SIZE >> 20)));
        }
        Ok(_) => {}
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| JsonFileError::Json {
        path: p.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    match value {
        Value::Object(map) => Ok(Some(map)),
        _ => Err(JsonFileError::NotAnObject { path: p }),
    }
}
