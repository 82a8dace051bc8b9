//! Building the result of an exposed operation from the converted upstream body.
//!
//! [`select`] evaluates the JSONPath steps of the descriptors, and [`build`] turns an
//! [`Output`] into the value a REST caller or an MCP client receives.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use crate::descriptor::{JsonPath, JsonType, Output, OutputShape, PathStep, Property};
use crate::secret::BindValues;
use crate::upstream::render_template;

/// An output that cannot be built from the upstream body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid output {location}: {reason}")]
pub struct OutputError {
    /// The output property (`name.items[].field`) and JSONPath that failed.
    pub location: String,
    /// What failed.
    pub reason: String,
}

/// Returns the nodes that `path` selects in `root`, in document order.
///
/// A step that finds nothing (a missing member, an index out of range, a step into a
/// scalar) selects nothing, as in RFC 9535.
pub fn select(root: &Value, path: JsonPath) -> Vec<&Value> {
    let mut nodes = vec![root];
    for step in path {
        let mut next = Vec::new();
        for node in nodes {
            match step {
                PathStep::Field(name) => next.extend(node.get(*name)),
                PathStep::Index(index) => {
                    if let Value::Array(items) = node {
                        let length = i64::try_from(items.len()).unwrap_or(i64::MAX);
                        let position = if *index < 0 { length + index } else { *index };
                        if let Some(item) = usize::try_from(position)
                            .ok()
                            .and_then(|position| items.get(position))
                        {
                            next.push(item);
                        }
                    }
                }
                PathStep::Wildcard => match node {
                    Value::Array(items) => next.extend(items),
                    Value::Object(members) => next.extend(members.values()),
                    _ => {}
                },
                PathStep::Descendant(name) => descendants(node, name, &mut next),
            }
        }
        nodes = next;
    }
    nodes
}

/// Adds the members named `name` of `node` and of every node below it, in document
/// order. Converted documents nest at most [`crate::format::MAX_DEPTH`] levels, and
/// serde_json's parser has the same limit, so the recursion is bounded.
fn descendants<'v>(node: &'v Value, name: &str, found: &mut Vec<&'v Value>) {
    match node {
        Value::Object(members) => {
            if let Some(member) = members.get(name) {
                found.push(member);
            }
            for child in members.values() {
                descendants(child, name, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                descendants(item, name, found);
            }
        }
        _ => {}
    }
}

/// Writes a path in JSONPath notation, for messages.
pub fn path_text(path: JsonPath) -> String {
    let mut text = String::from("$");
    for step in path {
        match step {
            PathStep::Field(name) if is_identifier(name) => {
                text.push('.');
                text.push_str(name);
            }
            PathStep::Field(name) => {
                text.push_str(&format!(
                    "['{}']",
                    name.replace('\\', "\\\\").replace('\'', "\\'")
                ));
            }
            PathStep::Index(index) => text.push_str(&format!("[{index}]")),
            PathStep::Wildcard => text.push_str("[*]"),
            PathStep::Descendant(name) => {
                text.push_str("..");
                text.push_str(name);
            }
        }
    }
    text
}

fn is_identifier(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_alphabetic() || first == '_')
        && characters.all(|character| character.is_alphanumeric() || matches!(character, '_' | '-'))
}

/// Builds the result of `output`.
///
/// `document` is the converted upstream body, or `None` in mock mode, where paths
/// select nothing: a value is `null`, an array is empty and an object still gets its
/// constant and template properties. Templates render from `inputs` (one value per
/// input of the exposed operation) and `binds`. `Output::Body` returns the document
/// itself, so `None` in mock mode.
pub fn build(
    output: &Output,
    document: Option<&Value>,
    inputs: &[Option<Value>],
    binds: &BindValues,
) -> Result<Option<Value>, OutputError> {
    let builder = Builder { inputs, binds };
    match output {
        Output::Body => Ok(document.cloned()),
        Output::Shape(shape) => builder.shape(shape, document, "result").map(Some),
        Output::Named(properties) => builder.properties(properties, document, "").map(Some),
    }
}

struct Builder<'a> {
    inputs: &'a [Option<Value>],
    binds: &'a BindValues,
}

impl Builder<'_> {
    /// Builds one shape from `node`, the document or the node the parent selected.
    /// `location` names the property, for messages.
    fn shape(
        &self,
        shape: &OutputShape,
        node: Option<&Value>,
        location: &str,
    ) -> Result<Value, OutputError> {
        match shape {
            OutputShape::Value { path, json_type } => {
                let Some(node) = node else {
                    return Ok(Value::Null);
                };
                let value = match select(node, path).as_slice() {
                    [] => Value::Null,
                    [single] => (*single).clone(),
                    several => {
                        let items = several.iter().map(|value| (*value).clone()).collect();
                        return self.several(items, *json_type, location, path);
                    }
                };
                match json_type {
                    Some(json_type) => convert(value, *json_type).map_err(|reason| OutputError {
                        location: describe(location, path),
                        reason,
                    }),
                    None => Ok(value),
                }
            }
            OutputShape::Object { path, properties } => {
                let Some(node) = node else {
                    return self.properties(properties, None, location);
                };
                match selected(node, path) {
                    Some(target) => self.properties(properties, Some(&target), location),
                    None => Ok(Value::Null),
                }
            }
            OutputShape::Array { path, items } => {
                let Some(node) = node else {
                    return Ok(Value::Array(Vec::new()));
                };
                let elements: Vec<&Value> = match select(node, path).as_slice() {
                    [] | [Value::Null] => Vec::new(),
                    [Value::Array(elements)] => elements.iter().collect(),
                    several => several.to_vec(),
                };
                let location = format!("{location}[]");
                elements
                    .into_iter()
                    .map(|element| self.shape(items, Some(element), &location))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
            OutputShape::Constant(json) => {
                serde_json::from_str(json).map_err(|error| OutputError {
                    location: format!("`{location}`"),
                    reason: format!("the constant is not valid JSON: {error}"),
                })
            }
            OutputShape::Template(template) => render_template(template, self.binds, self.inputs)
                .map(Value::String)
                .map_err(|reason| OutputError {
                    location: format!("`{location}`"),
                    reason: format!("failed to render the template: {reason}"),
                }),
        }
    }

    /// Builds an object with one member per property, each read from `node`.
    fn properties(
        &self,
        properties: &[Property],
        node: Option<&Value>,
        location: &str,
    ) -> Result<Value, OutputError> {
        let mut object = Map::new();
        for property in properties {
            let location = if location.is_empty() {
                property.name.to_owned()
            } else {
                format!("{location}.{}", property.name)
            };
            let value = self.shape(&property.shape, node, &location)?;
            object.insert(property.name.to_owned(), value);
        }
        Ok(Value::Object(object))
    }

    /// Returns the matches of a path that selected several nodes, as an array. A
    /// declared scalar type converts each match.
    fn several(
        &self,
        items: Vec<Value>,
        json_type: Option<JsonType>,
        location: &str,
        path: JsonPath,
    ) -> Result<Value, OutputError> {
        let items = match json_type {
            Some(
                json_type @ (JsonType::String
                | JsonType::Number
                | JsonType::Integer
                | JsonType::Boolean),
            ) => items
                .into_iter()
                .map(|item| convert(item, json_type))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|reason| OutputError {
                    location: describe(location, path),
                    reason,
                })?,
            _ => items,
        };
        Ok(Value::Array(items))
    }
}

/// Returns the node an object's properties read from: the single match of `path`, or
/// an array of several matches; `None` when nothing matches.
fn selected<'v>(node: &'v Value, path: JsonPath) -> Option<Cow<'v, Value>> {
    match select(node, path).as_slice() {
        [] => None,
        [single] => Some(Cow::Borrowed(*single)),
        several => Some(Cow::Owned(Value::Array(
            several.iter().map(|value| (*value).clone()).collect(),
        ))),
    }
}

fn describe(location: &str, path: JsonPath) -> String {
    format!("`{location}` at `{}`", path_text(path))
}

/// Converts a value to a declared type: text to numbers and booleans and back, one
/// value to a one-item array. `null` stays `null`, because it means absent.
fn convert(value: Value, json_type: JsonType) -> Result<Value, String> {
    let mismatch = |value: &Value| {
        Err(format!(
            "expected {}, got {}",
            json_type.as_str(),
            describe_value(value)
        ))
    };
    match (json_type, value) {
        (_, Value::Null) => Ok(Value::Null),
        (JsonType::String, Value::String(text)) => Ok(Value::String(text)),
        (JsonType::String, Value::Number(number)) => Ok(Value::String(number.to_string())),
        (JsonType::String, Value::Bool(flag)) => Ok(Value::String(flag.to_string())),
        (JsonType::Number, Value::Number(number)) => Ok(Value::Number(number)),
        (JsonType::Number, Value::String(text)) => match parse_number(text.trim()) {
            Some(number) => Ok(Value::Number(number)),
            None => mismatch(&Value::String(text)),
        },
        (JsonType::Integer, Value::Number(number)) => match integer(&number) {
            Some(integer) => Ok(Value::Number(integer)),
            None => mismatch(&Value::Number(number)),
        },
        (JsonType::Integer, Value::String(text)) => {
            match parse_number(text.trim()).as_ref().and_then(integer) {
                Some(integer) => Ok(Value::Number(integer)),
                None => mismatch(&Value::String(text)),
            }
        }
        (JsonType::Boolean, Value::Bool(flag)) => Ok(Value::Bool(flag)),
        (JsonType::Boolean, Value::String(text)) => match text.trim().to_ascii_lowercase().as_str()
        {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => mismatch(&Value::String(text)),
        },
        (JsonType::Object, Value::Object(members)) => Ok(Value::Object(members)),
        (JsonType::Array, Value::Array(items)) => Ok(Value::Array(items)),
        (JsonType::Array, single) => Ok(Value::Array(vec![single])),
        (_, other) => mismatch(&other),
    }
}

/// Parses a JSON number from text; infinities and NaN are no JSON numbers.
fn parse_number(text: &str) -> Option<Number> {
    if let Ok(integer) = text.parse::<i64>() {
        return Some(Number::from(integer));
    }
    if let Ok(integer) = text.parse::<u64>() {
        return Some(Number::from(integer));
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// Returns the number as an integer when it has no fraction.
fn integer(number: &Number) -> Option<Number> {
    if number.is_i64() || number.is_u64() {
        return Some(number.clone());
    }
    let float = number.as_f64()?;
    // 2^63: above it, the cast to i64 would saturate.
    if float.fract() != 0.0 || float.abs() >= 9_223_372_036_854_775_808.0 {
        return None;
    }
    Some(Number::from(float as i64))
}

/// Describes a value for a message: its type, and the value itself when it is short.
fn describe_value(value: &Value) -> String {
    match value {
        Value::String(text) if text.chars().count() <= 40 => format!("the string {value}"),
        Value::String(_) => "a long string".to_owned(),
        Value::Number(number) => format!("the number {number}"),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Object(_) => "an object".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Null => "null".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::TemplatePart;
    use crate::secret::Secret;
    use serde_json::json;

    fn document() -> Value {
        json!({
            "data": {
                "id": "42",
                "active": "true",
                "price": "3.50",
                "count": 7.0,
                "tags": ["a", "b", "c"],
                "users": [
                    {"name": "Ann", "age": "31", "address": {"city": "Oslo"}},
                    {"name": "Bob", "age": 40, "address": {"city": "Rome"}},
                ],
                "owner": {"name": "Eve"},
            },
            "odd key": 1,
        })
    }

    fn build_with(output: &Output, document: Option<&Value>) -> Result<Option<Value>, OutputError> {
        let binds = BindValues::from_values(vec![Secret::new("bound")]);
        let inputs = [Some(json!("acme")), None, Some(json!(3))];
        build(output, document, &inputs, &binds)
    }

    fn shape(shape: &'static OutputShape) -> Value {
        let document = document();
        build_with(&Output::Shape(shape), Some(&document))
            .unwrap_or_else(|error| panic!("{shape:?} should build: {error}"))
            .unwrap_or(Value::Null)
    }

    #[test]
    fn select_steps() {
        let document = document();
        let cases: &[(JsonPath, Value)] = &[
            (&[], document.clone()),
            (
                &[PathStep::Field("data"), PathStep::Field("id")],
                json!(["42"]),
            ),
            (
                &[
                    PathStep::Field("data"),
                    PathStep::Field("tags"),
                    PathStep::Index(0),
                ],
                json!(["a"]),
            ),
            (
                &[
                    PathStep::Field("data"),
                    PathStep::Field("tags"),
                    PathStep::Index(-1),
                ],
                json!(["c"]),
            ),
            (
                &[
                    PathStep::Field("data"),
                    PathStep::Field("tags"),
                    PathStep::Index(3),
                ],
                json!([]),
            ),
            (
                &[
                    PathStep::Field("data"),
                    PathStep::Field("tags"),
                    PathStep::Index(-4),
                ],
                json!([]),
            ),
            (
                &[
                    PathStep::Field("data"),
                    PathStep::Field("tags"),
                    PathStep::Wildcard,
                ],
                json!(["a", "b", "c"]),
            ),
            (
                &[
                    PathStep::Field("data"),
                    PathStep::Field("owner"),
                    PathStep::Wildcard,
                ],
                json!(["Eve"]),
            ),
            // serde_json keeps members sorted by key, so `owner` comes before `users`.
            (
                &[PathStep::Descendant("name")],
                json!(["Eve", "Ann", "Bob"]),
            ),
            (&[PathStep::Descendant("city")], json!(["Oslo", "Rome"])),
            (
                &[PathStep::Field("missing"), PathStep::Field("x")],
                json!([]),
            ),
            (&[PathStep::Field("odd key")], json!([1])),
            (
                &[
                    PathStep::Field("data"),
                    PathStep::Field("id"),
                    PathStep::Field("x"),
                ],
                json!([]),
            ),
        ];
        for (path, expected) in cases {
            let selected: Vec<Value> = select(&document, path).into_iter().cloned().collect();
            let expected = match path.is_empty() {
                true => vec![expected.clone()],
                false => expected.as_array().cloned().unwrap_or_default(),
            };
            assert_eq!(selected, expected, "{}", path_text(path));
        }
    }

    #[test]
    fn path_text_notation() {
        let path: JsonPath = &[
            PathStep::Field("data"),
            PathStep::Field("odd key"),
            PathStep::Index(-1),
            PathStep::Wildcard,
            PathStep::Descendant("id"),
        ];
        assert_eq!(path_text(path), "$.data['odd key'][-1][*]..id");
    }

    #[test]
    fn value_shapes_convert_types() {
        static ID: OutputShape = OutputShape::Value {
            path: &[PathStep::Field("data"), PathStep::Field("id")],
            json_type: Some(JsonType::Integer),
        };
        static ACTIVE: OutputShape = OutputShape::Value {
            path: &[PathStep::Field("data"), PathStep::Field("active")],
            json_type: Some(JsonType::Boolean),
        };
        static PRICE: OutputShape = OutputShape::Value {
            path: &[PathStep::Field("data"), PathStep::Field("price")],
            json_type: Some(JsonType::Number),
        };
        static COUNT: OutputShape = OutputShape::Value {
            path: &[PathStep::Field("data"), PathStep::Field("count")],
            json_type: Some(JsonType::Integer),
        };
        static COUNT_TEXT: OutputShape = OutputShape::Value {
            path: &[PathStep::Field("data"), PathStep::Field("count")],
            json_type: Some(JsonType::String),
        };
        static MISSING: OutputShape = OutputShape::Value {
            path: &[PathStep::Field("nothing")],
            json_type: Some(JsonType::String),
        };
        static AGES: OutputShape = OutputShape::Value {
            path: &[PathStep::Descendant("age")],
            json_type: Some(JsonType::Integer),
        };
        static TAG: OutputShape = OutputShape::Value {
            path: &[
                PathStep::Field("data"),
                PathStep::Field("tags"),
                PathStep::Index(1),
            ],
            json_type: Some(JsonType::Array),
        };
        assert_eq!(shape(&ID), json!(42));
        assert_eq!(shape(&ACTIVE), json!(true));
        assert_eq!(shape(&PRICE), json!(3.5));
        assert_eq!(shape(&COUNT), json!(7));
        assert_eq!(shape(&COUNT_TEXT), json!("7.0"));
        assert_eq!(shape(&MISSING), Value::Null);
        assert_eq!(shape(&AGES), json!([31, 40]));
        assert_eq!(shape(&TAG), json!(["b"]));
    }

    #[test]
    fn value_conversion_error_names_path() {
        static OUTPUT: Output = Output::Named(&[Property {
            name: "owner",
            shape: OutputShape::Object {
                path: &[],
                properties: &[Property {
                    name: "name",
                    shape: OutputShape::Value {
                        path: &[
                            PathStep::Field("data"),
                            PathStep::Field("owner"),
                            PathStep::Field("name"),
                        ],
                        json_type: Some(JsonType::Number),
                    },
                }],
            },
        }]);
        let document = document();
        let error = build_with(&OUTPUT, Some(&document)).expect_err("Eve is no number");
        assert_eq!(
            error.to_string(),
            "invalid output `owner.name` at `$.data.owner.name`: expected number, got the \
             string \"Eve\""
        );
    }

    #[test]
    fn object_array_and_nested_shapes() {
        static USERS: OutputShape = OutputShape::Object {
            path: &[PathStep::Field("data")],
            properties: &[
                Property {
                    name: "owner",
                    shape: OutputShape::Value {
                        path: &[PathStep::Field("owner"), PathStep::Field("name")],
                        json_type: None,
                    },
                },
                Property {
                    name: "users",
                    shape: OutputShape::Array {
                        path: &[PathStep::Field("users")],
                        items: &OutputShape::Object {
                            path: &[],
                            properties: &[
                                Property {
                                    name: "name",
                                    shape: OutputShape::Value {
                                        path: &[PathStep::Field("name")],
                                        json_type: None,
                                    },
                                },
                                Property {
                                    name: "age",
                                    shape: OutputShape::Value {
                                        path: &[PathStep::Field("age")],
                                        json_type: Some(JsonType::Integer),
                                    },
                                },
                                Property {
                                    name: "city",
                                    shape: OutputShape::Value {
                                        path: &[
                                            PathStep::Field("address"),
                                            PathStep::Field("city"),
                                        ],
                                        json_type: None,
                                    },
                                },
                            ],
                        },
                    },
                },
                Property {
                    name: "tags",
                    shape: OutputShape::Array {
                        path: &[PathStep::Field("tags")],
                        items: &OutputShape::Value {
                            path: &[],
                            json_type: None,
                        },
                    },
                },
                Property {
                    name: "single",
                    shape: OutputShape::Array {
                        path: &[PathStep::Field("owner")],
                        items: &OutputShape::Value {
                            path: &[PathStep::Field("name")],
                            json_type: None,
                        },
                    },
                },
                Property {
                    name: "none",
                    shape: OutputShape::Array {
                        path: &[PathStep::Field("missing")],
                        items: &OutputShape::Value {
                            path: &[],
                            json_type: None,
                        },
                    },
                },
                Property {
                    name: "absent",
                    shape: OutputShape::Object {
                        path: &[PathStep::Field("missing")],
                        properties: &[],
                    },
                },
            ],
        };
        let expected = json!({
            "owner": "Eve",
            "users": [
                {"name": "Ann", "age": 31, "city": "Oslo"},
                {"name": "Bob", "age": 40, "city": "Rome"},
            ],
            "tags": ["a", "b", "c"],
            "single": ["Eve"],
            "none": [],
            "absent": null,
        });
        assert_eq!(shape(&USERS), expected);
    }

    static NAMED: Output = Output::Named(&[
        Property {
            name: "id",
            shape: OutputShape::Value {
                path: &[PathStep::Field("data"), PathStep::Field("id")],
                json_type: None,
            },
        },
        Property {
            name: "kind",
            shape: OutputShape::Constant(r#"{"version": 2}"#),
        },
        Property {
            name: "link",
            shape: OutputShape::Template(&[
                TemplatePart::Literal("/orgs/"),
                TemplatePart::Input(0),
                TemplatePart::Literal("?page="),
                TemplatePart::Input(2),
                TemplatePart::Input(1),
                TemplatePart::Literal("&by="),
                TemplatePart::Bind(0),
            ]),
        },
        Property {
            name: "names",
            shape: OutputShape::Array {
                path: &[PathStep::Field("data"), PathStep::Field("users")],
                items: &OutputShape::Value {
                    path: &[PathStep::Field("name")],
                    json_type: None,
                },
            },
        },
    ]);

    #[test]
    fn named_outputs_constants_and_templates() {
        let document = document();
        let built = build_with(&NAMED, Some(&document)).expect("builds");
        let expected = json!({
            "id": "42",
            "kind": {"version": 2},
            "link": "/orgs/acme?page=3&by=bound",
            "names": ["Ann", "Bob"],
        });
        assert_eq!(built, Some(expected));
    }

    #[test]
    fn mock_mode_without_document() {
        let built = build_with(&NAMED, None).expect("builds");
        let expected = json!({
            "id": null,
            "kind": {"version": 2},
            "link": "/orgs/acme?page=3&by=bound",
            "names": [],
        });
        assert_eq!(built, Some(expected));
        assert_eq!(build_with(&Output::Body, None), Ok(None));
    }

    #[test]
    fn body_output_is_document() {
        let document = document();
        assert_eq!(
            build_with(&Output::Body, Some(&document)),
            Ok(Some(document.clone()))
        );
    }

    #[test]
    fn invalid_constant_is_error() {
        static CONSTANT: OutputShape = OutputShape::Constant("{not json");
        let error = build_with(&Output::Shape(&CONSTANT), None).expect_err("invalid constant");
        assert!(
            error
                .to_string()
                .starts_with("invalid output `result`: the constant is not valid JSON"),
            "{error}"
        );
    }

    #[test]
    fn convert_table() {
        let cases = [
            (json!("12"), JsonType::Integer, Ok(json!(12))),
            (json!("12.0"), JsonType::Integer, Ok(json!(12))),
            (json!("12.5"), JsonType::Integer, Err(())),
            (json!(12.5), JsonType::Integer, Err(())),
            (json!(" 1e2 "), JsonType::Number, Ok(json!(100.0))),
            (json!("NaN"), JsonType::Number, Err(())),
            (json!("abc"), JsonType::Number, Err(())),
            (json!("FALSE"), JsonType::Boolean, Ok(json!(false))),
            (json!(1), JsonType::Boolean, Err(())),
            (json!(true), JsonType::String, Ok(json!("true"))),
            (json!({"a": 1}), JsonType::String, Err(())),
            (json!([1]), JsonType::Object, Err(())),
            (json!({"a": 1}), JsonType::Object, Ok(json!({"a": 1}))),
            (Value::Null, JsonType::Integer, Ok(Value::Null)),
        ];
        for (value, json_type, expected) in cases {
            let result = convert(value.clone(), json_type).map_err(|_| ());
            assert_eq!(result, expected, "{value} as {}", json_type.as_str());
        }
    }
}
