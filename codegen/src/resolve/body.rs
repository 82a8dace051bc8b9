//! Resolving a consumed operation's `body:` template.
//!
//! A body is either a string (JSON, XML or plain text, told apart by its first
//! character) or a mapping `{type, data}`. Placeholders name the operation's
//! parameters; a name that is neither a parameter nor a bind variable becomes a
//! parameter used only by the body, so the exposed side can pass it through.

use super::*;

impl Resolver<'_> {
    pub(super) fn body(
        &mut self,
        node: &Node,
        id: &str,
        params: &mut Vec<UpstreamParam>,
    ) -> Option<Body> {
        let (kind, data) = match &node.value {
            yaml::Value::String(text) => (sniff(text), node),
            yaml::Value::Map(_) => {
                match node.get("type").and_then(Node::as_str) {
                    Some(kind) => {
                        let Some(data) = node.get("data").or_else(|| node.get("content")) else {
                            self.diagnostics
                            .warning(node.pos, format!("body of `{id}` has no `data`, so none is sent from it"))
                            .hint("add `data:` with the body's content, or an `in: body` parameter");
                            return None;
                        };
                        (kind, data)
                    }
                    None => ("json", node),
                }
            }
            _ => {
                self.diagnostics
                    .error(
                        node.pos,
                        format!("body of `{id}` must be a string or a mapping"),
                    )
                    .hint("write `body: {type: json, data: {...}}` or a string template");
                return None;
            }
        };

        self.declare_body_params(data, params);
        let used_by = format!("`{id}` body");
        match kind {
            "json" => {
                let parts = self.json_body(data, &used_by, params)?;
                Some(text_body("application/json", parts))
            }
            "xml" | "text" | "raw" => {
                let (content_type, escape) = match kind {
                    "xml" => ("application/xml", Escape::Xml),
                    _ => ("text/plain; charset=utf-8", Escape::None),
                };
                let text = self.string_data(data, kind)?;
                let parts = self.body_template(&text, &used_by, params, |_| escape)?;
                Some(text_body(content_type, parts))
            }
            "sparql" => {
                // A value inside a SPARQL string literal is escaped as JSON escapes it,
                // which SPARQL's own escapes accept, so it cannot close the literal and
                // change the query.
                let text = self.string_data(data, kind)?;
                let parts = self.body_template(&text, &used_by, params, |before| {
                    if inside_json_string(before) {
                        Escape::JsonString
                    } else {
                        Escape::None
                    }
                })?;
                Some(text_body("application/sparql-query", parts))
            }
            "formUrlEncoded" | "multipartForm" | "form" => {
                let fields = self.fields(data, kind, &used_by, params)?;
                Some(if kind != "multipartForm" {
                    Body::Form(fields)
                } else {
                    Body::Multipart(fields)
                })
            }
            other => {
                let pos = node.get("type").map_or(node.pos, |n| n.pos);
                self.diagnostics
                    .error(pos, format!("unknown body type `{other}`"))
                    .hint("use json, text, xml, sparql, formUrlEncoded, multipartForm or raw");
                None
            }
        }
    }

    /// Adds a parameter for every placeholder that names nothing yet.
    pub(super) fn declare_body_params(&mut self, data: &Node, params: &mut Vec<UpstreamParam>) {
        let mut names = Vec::new();
        collect_placeholders(data, &mut names);
        for name in names {
            let name = strip_adapter_prefix(&name).to_string();
            let known = params.iter().any(|p| p.name == name) || self.is_bind(&name);
            if !known {
                params.push(UpstreamParam {
                    name,
                    rust_name: String::new(),
                    location: Location::TemplateOnly,
                    json_type: JsonType::String,
                    required: false,
                    description: None,
                    value: None,
                });
            }
        }
    }

    fn is_bind(&self, name: &str) -> bool {
        match name.split_once('.') {
            Some((namespace, key)) => self
                .bind_keys
                .iter()
                .any(|b| b.namespace == namespace && b.key == key),
            None => self.bind_keys.iter().any(|b| b.key == name),
        }
    }

    fn string_data(&mut self, data: &Node, kind: &str) -> Option<Text> {
        match data.as_str() {
            Some(text) => Some(Text {
                pos: data.pos,
                value: text.to_string(),
            }),
            None => {
                self.diagnostics
                    .error(
                        data.pos,
                        format!("a `{kind}` body must be a string, found {}", data.kind()),
                    )
                    .hint("write the body as a block string with `|`");
                None
            }
        }
    }

    /// Resolves a text template, choosing each placeholder's escape from the literal
    /// text before it.
    fn body_template(
        &mut self,
        text: &Text,
        used_by: &str,
        params: &[UpstreamParam],
        mut escape_after: impl FnMut(&str) -> Escape,
    ) -> Option<Vec<BodyPart>> {
        let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
        let parts = self.template_with(text, used_by, |name| {
            let name = strip_adapter_prefix(name);
            names
                .iter()
                .position(|n| n == name)
                .map(TemplatePart::Param)
        })?;
        let mut before = String::new();
        let mut body = Vec::new();
        for part in parts {
            match part {
                TemplatePart::Literal(literal) => {
                    before.push_str(&literal);
                    body.push(BodyPart::Literal(literal));
                }
                value => body.push(BodyPart::Value(value, escape_after(&before))),
            }
        }
        Some(body)
    }

    fn json_body(
        &mut self,
        data: &Node,
        used_by: &str,
        params: &[UpstreamParam],
    ) -> Option<Vec<BodyPart>> {
        let text = match data.as_str() {
            Some(text) => text.to_string(),
            // Structured data is written as JSON text first; a string that is exactly
            // one placeholder stays unquoted so the value keeps its JSON type.
            None => json_template(data),
        };
        let text = Text {
            pos: data.pos,
            value: text,
        };
        self.body_template(&text, used_by, params, |before| {
            if inside_json_string(before) {
                Escape::JsonString
            } else {
                Escape::JsonValue
            }
        })
    }

    fn fields(
        &mut self,
        data: &Node,
        kind: &str,
        used_by: &str,
        params: &[UpstreamParam],
    ) -> Option<Vec<(String, Vec<BodyPart>)>> {
        let Some(entries) = data.as_map() else {
            self.diagnostics
                .error(
                    data.pos,
                    format!(
                        "a `{kind}` body must be a mapping of fields, found {}",
                        data.kind()
                    ),
                )
                .hint("write `data: {field: value}`");
            return None;
        };
        let mut fields = Vec::new();
        for (key, value) in entries {
            let text = Text {
                pos: value.pos,
                value: scalar_text(value),
            };
            let parts = self.body_template(&text, used_by, params, |_| Escape::None)?;
            fields.push((key.name.clone(), parts));
        }
        Some(fields)
    }
}

fn text_body(content_type: &str, parts: Vec<BodyPart>) -> Body {
    Body::Text {
        content_type: content_type.to_string(),
        parts,
    }
}

/// Tells the kind of a string body from its first character.
fn sniff(text: &str) -> &'static str {
    match text.trim_start().chars().next() {
        Some('{' | '[') => "json",
        Some('<') => "xml",
        _ => "text",
    }
}

fn scalar_text(node: &Node) -> String {
    match &node.value {
        yaml::Value::String(text) => text.clone(),
        yaml::Value::Number(number) => number.to_string(),
        yaml::Value::Bool(flag) => flag.to_string(),
        yaml::Value::Null => String::new(),
        yaml::Value::Seq(_) | yaml::Value::Map(_) => json_text(node),
    }
}

fn collect_placeholders(node: &Node, names: &mut Vec<String>) {
    match &node.value {
        yaml::Value::String(text) => {
            for piece in split_template(text).unwrap_or_default() {
                if let Piece::Placeholder(name) = piece
                    && !names.contains(&name)
                {
                    names.push(name);
                }
            }
        }
        yaml::Value::Seq(items) => items.iter().for_each(|n| collect_placeholders(n, names)),
        yaml::Value::Map(entries) => entries
            .iter()
            .for_each(|(_, n)| collect_placeholders(n, names)),
        _ => {}
    }
}

/// Writes structured body data as JSON text with its placeholders kept; a string that
/// is exactly one placeholder is written without quotes.
fn json_template(node: &Node) -> String {
    match &node.value {
        yaml::Value::String(text) => {
            let pieces = split_template(text).unwrap_or_default();
            match pieces.as_slice() {
                [Piece::Placeholder(name)] => format!("{{{{{name}}}}}"),
                _ => json_string(text),
            }
        }
        yaml::Value::Seq(items) => {
            let items: Vec<String> = items.iter().map(json_template).collect();
            format!("[{}]", items.join(","))
        }
        yaml::Value::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{}:{}", json_string(&key.name), json_template(value)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
        _ => json_text(node),
    }
}

/// Tells whether JSON text that ends with `before` is inside a string literal.
fn inside_json_string(before: &str) -> bool {
    let mut inside = false;
    let mut escaped = false;
    for c in before.chars() {
        match (inside, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, false, '"') => inside = !inside,
            _ => {}
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_string_detection() {
        assert!(inside_json_string(r#"{"a": ""#));
        assert!(!inside_json_string(r#"{"a": "x", "b": "#));
        assert!(inside_json_string(r#"{"a": "x\"y "#));
        assert!(!inside_json_string(r#"{"a": "x\\", "b": "#));
    }

    #[test]
    fn sniff_body_kinds() {
        assert_eq!(sniff("  {\"a\": 1}"), "json");
        assert_eq!(sniff("[1]"), "json");
        assert_eq!(sniff("<a/>"), "xml");
        assert_eq!(sniff("SELECT ?x"), "text");
    }
}
