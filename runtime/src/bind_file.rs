//! Reading bind variables from files at start-up.
//!
//! A bind file is a JSON object of strings, or a flat YAML mapping of strings, one
//! `key: value` per line. The YAML side is a small strict reader rather than a YAML
//! library, so the binary links none: anything richer than flat string pairs is an
//! error that names the line.

use std::collections::BTreeMap;

/// The bind files read so far, each parsed once.
#[derive(Default)]
pub(crate) struct Files {
    parsed: BTreeMap<&'static str, Result<BTreeMap<String, String>, String>>,
}

impl Files {
    /// Returns the value of `key` in the file at `path`, or why it cannot be had.
    pub(crate) fn get(&mut self, path: &'static str, key: &str) -> Result<String, String> {
        let entries = self.parsed.entry(path).or_insert_with(|| read(path));
        match entries {
            Ok(entries) => entries
                .get(key)
                .cloned()
                .ok_or_else(|| "is not in the file".to_owned()),
            Err(problem) => Err(problem.clone()),
        }
    }
}

fn read(path: &str) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot be read: the file cannot be opened ({error})"))?;
    if text.trim_start().starts_with('{') {
        parse_json(&text)
    } else {
        parse_flat_yaml(&text)
    }
}

fn parse_json(text: &str) -> Result<BTreeMap<String, String>, String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| format!("cannot be read: invalid JSON ({error})"))?;
    let Some(object) = value.as_object() else {
        return Err("cannot be read: the file is not a JSON object".to_owned());
    };
    let mut entries = BTreeMap::new();
    for (key, value) in object {
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            serde_json::Value::Bool(flag) => flag.to_string(),
            _ => {
                return Err(format!(
                    "cannot be read: the value of `{key}` is not a string"
                ));
            }
        };
        entries.insert(key.clone(), text);
    }
    Ok(entries)
}

/// Reads `key: value` lines; values may be quoted; `#` starts a comment outside quotes.
fn parse_flat_yaml(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut entries = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
            continue;
        }
        let invalid = |what: &str| format!("cannot be read: line {} {what}", number + 1);
        if line.starts_with([' ', '\t']) {
            return Err(invalid(
                "is indented; only a flat `key: value` mapping is read",
            ));
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            return Err(invalid("is not `key: value`"));
        };
        let key = unquote(key.trim()).ok_or_else(|| invalid("has an unclosed quote"))?;
        let value = value_text(value.trim()).ok_or_else(|| invalid("has an unclosed quote"))?;
        if value.starts_with(['{', '[', '|', '>', '&', '*', '!']) {
            return Err(invalid("has a value that is not a plain string"));
        }
        entries.insert(key, value);
    }
    Ok(entries)
}

fn value_text(value: &str) -> Option<String> {
    if value.starts_with(['"', '\'']) {
        return unquote(value);
    }
    let without_comment = match value.find(" #") {
        Some(index) => &value[..index],
        None => value,
    };
    Some(without_comment.trim().to_owned())
}

fn unquote(text: &str) -> Option<String> {
    for quote in ['"', '\''] {
        if let Some(rest) = text.strip_prefix(quote) {
            let end = rest.rfind(quote)?;
            let inner = &rest[..end];
            return Some(if quote == '"' {
                inner.replace("\\\"", "\"").replace("\\\\", "\\")
            } else {
                inner.replace("''", "'")
            });
        }
    }
    Some(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_yaml_values() {
        let text = "# secrets\nregistry-bearer-token: \"abc 123\"\nversion: 2024-01 # comment\nquoted: 'it''s'\n";
        let entries = parse_flat_yaml(text).expect("a flat mapping");
        assert_eq!(entries["registry-bearer-token"], "abc 123");
        assert_eq!(entries["version"], "2024-01");
        assert_eq!(entries["quoted"], "it's");
    }

    #[test]
    fn flat_yaml_rejects_nesting() {
        let error = parse_flat_yaml("outer:\n  inner: x\n").expect_err("nested");
        assert!(error.contains("line 2"), "{error}");
        let error = parse_flat_yaml("list: [a, b]\n").expect_err("a flow list");
        assert!(error.contains("line 1"), "{error}");
    }

    #[test]
    fn json_objects_only() {
        let entries = parse_json(r#"{"token": "t", "port": 8080}"#).expect("an object");
        assert_eq!(entries["token"], "t");
        assert_eq!(entries["port"], "8080");
        assert!(parse_json("[1]").is_err());
        assert!(parse_json(r#"{"a": {"b": 1}}"#).is_err());
    }
}
