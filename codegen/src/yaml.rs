//! A YAML document as a tree of nodes that remember where they stand in the file.
//!
//! The spec model is read from this tree by hand rather than by `#[derive(Deserialize)]`
//! so that every field, known or not, keeps its line and column: unknown fields become
//! warnings that point at them, and the catalog's loose dialect can be read field by
//! field. `serde-saphyr` provides the positions; `serde_yaml` is archived upstream and
//! drops them once a value is deserialised.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A position in a spec file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// The line, from 1; 0 when unknown.
    pub line: u32,
    /// The column, from 1; 0 when unknown.
    pub column: u32,
    /// The file, as an index into the file names of a
    /// [`Diagnostics`](crate::diagnostic::Diagnostics); 0 is the spec itself.
    pub file: u32,
}

/// A YAML node and its position.
#[derive(Debug, Clone)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// The node's value.
    pub value: Value,
}

/// The value of a [`Node`].
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as YAML wrote it.
    Number(Number),
    /// A string.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order; keys keep their positions.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and its position.
#[derive(Debug, Clone)]
pub struct Key {
    /// Where the key starts.
    pub pos: Pos,
    /// The key's text.
    pub name: String,
}

/// A YAML number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A whole number.
    Integer(i64),
    /// A number with a fraction or exponent.
    Float(f64),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Integer(n) => write!(f, "{n}"),
            Self::Float(n) => write!(f, "{n}"),
        }
    }
}

/// A YAML syntax error.
#[derive(Debug)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// The parser's message.
    pub message: String,
}

/// Parses one YAML document into a node tree whose positions name `file`.
pub fn parse_file(text: &str, file: u32) -> Result<Node, SyntaxError> {
    match parse(text) {
        Ok(mut root) => {
            set_file(&mut root, file);
            Ok(root)
        }
        Err(mut error) => {
            error.pos.file = file;
            Err(error)
        }
    }
}

fn set_file(node: &mut Node, file: u32) {
    node.pos.file = file;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|item| set_file(item, file)),
        Value::Map(entries) => {
            for (key, value) in entries {
                key.pos.file = file;
                set_file(value, file);
            }
        }
        _ => {}
    }
}

/// Parses one YAML document into a node tree.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    // YAML 1.1 booleans (`y`, `on`, `no`) would turn keys such as `y:` into `true`.
    let options = serde_saphyr::options! { strict_booleans: true };
    match serde_saphyr::from_str_with_options::<Spanned<Value>>(text, options) {
        Ok(spanned) => Ok(Node {
            pos: pos_of(&spanned),
            value: spanned.value,
        }),
        Err(error) => {
            let pos = error
                .location()
                .map(|location| Pos {
                    line: location.line() as u32,
                    column: location.column() as u32,
                    file: 0,
                })
                .unwrap_or_default();
            Err(SyntaxError {
                pos,
                message: first_line(&error.without_snippet().to_string()),
            })
        }
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

fn pos_of<T>(spanned: &Spanned<T>) -> Pos {
    Pos {
        line: spanned.referenced.line() as u32,
        column: spanned.referenced.column() as u32,
        file: 0,
    }
}

impl Node {
    /// Returns the entries of a mapping node, or `None` for any other node.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Returns the items of a sequence node, or `None` for any other node.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// Returns the text of a string node, or `None` for any other node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// Returns the value of the mapping entry `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, node)| node)
    }

    /// Names the kind of node, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(Number::Integer(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        Ok(match i64::try_from(value) {
            Ok(value) => Value::Number(Number::Integer(value)),
            Err(_) => Value::Number(Number::Float(value as f64)),
        })
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        Ok(Value::Number(Number::Float(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Value>>()? {
            items.push(Node {
                pos: pos_of(&item),
                value: item.value,
            });
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Value>>()? {
            let value = map.next_value::<Spanned<Value>>()?;
            let key = Key {
                pos: pos_of(&key),
                name: scalar_text(key.value),
            };
            let node = Node {
                pos: pos_of(&value),
                value: value.value,
            };
            entries.push((key, node));
        }
        Ok(Value::Map(entries))
    }
}

/// Keys such as `200:` or `true:` are read as text, as a spec author means them.
fn scalar_text(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s,
        Value::Seq(_) | Value::Map(_) => String::from("<complex key>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_keys_and_values() {
        let node = parse("a: 1\nb:\n  - x\n  - y: true\n").expect("valid YAML");
        let entries = node.as_map().expect("a mapping");

        assert_eq!(entries[0].0.name, "a");
        assert_eq!(
            entries[0].0.pos,
            Pos {
                line: 1,
                column: 1,
                file: 0
            }
        );
        assert_eq!(
            entries[1].0.pos,
            Pos {
                line: 2,
                column: 1,
                file: 0
            }
        );

        let list = entries[1].1.as_seq().expect("a list");
        assert_eq!(list[1].pos.line, 4);
        assert_eq!(
            list[1].get("y").map(|n| n.pos),
            Some(Pos {
                line: 4,
                column: 8,
                file: 0
            })
        );
    }

    #[test]
    fn syntax_error_has_position() {
        let error = parse("a: [1, 2\nb: c\n").expect_err("unclosed list");
        assert!(error.pos.line >= 1, "{error:?}");
        assert!(!error.message.is_empty());
    }
}
