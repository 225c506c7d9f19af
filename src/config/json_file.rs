//! The one way configuration JSON files are read: missing is `None` (defaults apply), an error
//! names the file and, for bad JSON, the line and column, as the engines themselves report it.

use std::path::Path;

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The largest settings file read (daemon.json, policy.json); a bigger one is an error, not
/// an allocation. Real ones are a few KiB; parsed into a `Value` tree JSON can take 30 times
/// its size (an array of zeros), and daemon.json is read by three checks at once.
pub const MAX_SIZE: u64 = 1 << 20;
/// config.json and auth.json may hold many credentials (CI machines); they are read raw
/// (`read_raw_object`), so 4 MiB costs about 50 MB at most.
pub const MAX_CREDENTIALS_SIZE: u64 = 4 << 20;

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
    /// Valid JSON, but a known key holds the wrong kind of value: Go's decoder refuses the
    /// whole file ("json: cannot unmarshal number into Go struct field ..."), so the engine
    /// does too.
    #[error("{path}: {what} is {found}, where {expected} is expected")]
    WrongType {
        path: String,
        what: String,
        found: &'static str,
        expected: &'static str,
    },
}

/// What a known key must hold. `null` is always accepted, as Go's decoder does.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    String,
    StringArray,
    /// An object whose values are strings (`credHelpers`, `proxies`).
    StringMap,
    /// An object whose values are objects (`auths`).
    ObjectMap,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The first known key whose value has the wrong shape, as an error.
pub fn check_shapes(
    path: &Path,
    map: &Map<String, Value>,
    shapes: &[(&str, Shape)],
) -> Result<(), JsonFileError> {
    let wrong = |what: String, found: &Value, expected: &'static str| JsonFileError::WrongType {
        path: path.display().to_string(),
        what,
        found: kind(found),
        expected,
    };
    for (key, shape) in shapes {
        let Some(v) = map.get(*key).filter(|v| !v.is_null()) else {
            continue;
        };
        // The shape of the value, then of its members (null members are accepted too).
        let (outer_ok, expected, member_ok, member): (bool, _, fn(&Value) -> bool, _) = match shape
        {
            Shape::String => (v.is_string(), "a string", |_| true, ""),
            Shape::StringArray => (
                v.is_array(),
                "a list of strings",
                Value::is_string,
                "a string",
            ),
            Shape::StringMap => (v.is_object(), "an object", Value::is_string, "a string"),
            Shape::ObjectMap => (v.is_object(), "an object", Value::is_object, "an object"),
        };
        if !outer_ok {
            return Err(wrong(format!("\"{key}\""), v, expected));
        }
        let members: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            Value::Object(o) => o.values().collect(),
            _ => Vec::new(),
        };
        if let Some(bad) = members.into_iter().find(|m| !m.is_null() && !member_ok(m)) {
            return Err(wrong(format!("an entry of \"{key}\""), bad, member));
        }
    }
    Ok(())
}

pub fn read_object(path: &Path) -> Result<Option<Map<String, Value>>, JsonFileError> {
    let Some(bytes) = read_capped(path, MAX_SIZE)? else {
        return Ok(None);
    };
    let p = path.display().to_string();
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| syntax(&p, &e))?;
    match value {
        Value::Object(map) => Ok(Some(map)),
        _ => Err(JsonFileError::NotAnObject { path: p }),
    }
}

fn syntax(path: &str, e: &serde_json::Error) -> JsonFileError {
    JsonFileError::Json {
        path: path.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

/// The members of an object (or the items of an array) left as raw JSON text.
pub type RawMembers = BTreeMap<String, Box<RawValue>>;

/// The top level of an object-shaped file with each member left as raw JSON text: a file of
/// a hundred thousand small objects (config.json `auths`) then costs about its size, where
/// a `Value` tree costs an allocation per node (1.4 KB per `auths` entry, measured).
pub fn read_raw_object(path: &Path) -> Result<Option<RawMembers>, JsonFileError> {
    let Some(bytes) = read_capped(path, MAX_CREDENTIALS_SIZE)? else {
        return Ok(None);
    };
    let p = path.display().to_string();
    let value: &RawValue = serde_json::from_slice(&bytes).map_err(|e| syntax(&p, &e))?;
    if raw_kind(value) != "an object" {
        return Err(JsonFileError::NotAnObject { path: p });
    }
    serde_json::from_str(value.get())
        .map(Some)
        .map_err(|e| syntax(&p, &e))
}

/// The kind of a raw JSON value, read from its first character (it is valid JSON).
pub fn raw_kind(v: &RawValue) -> &'static str {
    match v.get().trim_start().bytes().next() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// `check_shapes` for raw members: the same errors, in the same order.
pub fn check_raw_shapes(
    path: &Path,
    map: &RawMembers,
    shapes: &[(&str, Shape)],
) -> Result<(), JsonFileError> {
    let wrong =
        |what: String, found: &'static str, expected: &'static str| JsonFileError::WrongType {
            path: path.display().to_string(),
            what,
            found,
            expected,
        };
    for (key, shape) in shapes {
        let Some(v) = map.get(*key).filter(|v| raw_kind(v) != "null") else {
            continue;
        };
        let (outer, expected, member) = match shape {
            Shape::String => ("a string", "a string", None),
            Shape::StringArray => ("an array", "a list of strings", Some("a string")),
            Shape::StringMap => ("an object", "an object", Some("a string")),
            Shape::ObjectMap => ("an object", "an object", Some("an object")),
        };
        if raw_kind(v) != outer {
            return Err(wrong(format!("\"{key}\""), raw_kind(v), expected));
        }
        let Some(member) = member else { continue };
        let p = path.display().to_string();
        let members: Vec<Box<RawValue>> = if outer == "an array" {
            serde_json::from_str(v.get()).map_err(|e| syntax(&p, &e))?
        } else {
            let m: RawMembers = serde_json::from_str(v.get()).map_err(|e| syntax(&p, &e))?;
            m.into_values().collect()
        };
        if let Some(bad) = members
            .iter()
            .map(|m| raw_kind(m))
            .find(|k| *k != "null" && *k != member)
        {
            return Err(wrong(format!("an entry of \"{key}\""), bad, member));
        }
    }
    Ok(())
}

/// The file's bytes, `None` when it does not exist, an error when it is larger than `cap`
/// (checked while reading too: devices and pipes have no length).
fn read_capped(path: &Path, cap: u64) -> Result<Option<Vec<u8>>, JsonFileError> {
    let p = path.display().to_string();
    let unreadable = |message: String| JsonFileError::Unreadable {
        path: p.clone(),
        message,
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e.to_string())),
        Ok(m) if m.len() > cap => {
            return Err(unreadable(format!("larger than {} MiB", cap >> 20)));
        }
        Ok(_) => {}
    }
    // The size check above misses devices and pipes (length 0): the read is capped too.
    super::bounded::read(path, cap)
        .map(Some)
        .map_err(|e| unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(json: &str) -> Map<String, Value> {
        match serde_json::from_str(json).unwrap() {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn wrong_kinds_of_values_are_named() {
        let shapes = &[
            ("auths", Shape::ObjectMap),
            ("mirrors", Shape::StringArray),
            ("helpers", Shape::StringMap),
            ("root", Shape::String),
        ];
        let p = Path::new("c.json");
        let err = |json: &str| check_shapes(p, &obj(json), shapes).unwrap_err().to_string();
        assert_eq!(
            err(r#"{"auths": 5}"#),
            r#"c.json: "auths" is a number, where an object is expected"#
        );
        assert!(err(r#"{"auths": {"r": "x"}}"#).contains(r#"an entry of "auths" is a string"#));
        assert!(err(r#"{"mirrors": "https://m"}"#).contains("a list of strings"));
        assert!(err(r#"{"mirrors": ["a", 1]}"#).contains("a number, where a string"));
        assert!(err(r#"{"helpers": {"r": true}}"#).contains("a boolean"));
        assert!(err(r#"{"root": []}"#).contains("an array"));
        // null is what Go leaves alone; unknown keys are not this function's business.
        for ok in [
            r#"{}"#,
            r#"{"auths": null, "mirrors": null}"#,
            r#"{"auths": {"r": {}, "s": null}, "mirrors": ["a"], "other": 5}"#,
        ] {
            assert!(check_shapes(p, &obj(ok), shapes).is_ok(), "{ok}");
        }
    }
}
