//! Resolving the `outputParameters` of REST operations and MCP tools.
//!
//! `mapping` is a JSONPath into the (converted) upstream body; `value` is a constant,
//! a `{{input}}` template, or in the catalog's dialect a JSONPath starting with `$`.
//! Objects take `properties`, arrays `items`; several named outputs form an object.
//!
//! The outputs of an orchestrated operation read the result document that its mappings
//! fill (see `steps/mappings.rs`). There every named output without `mapping` reads the
//! member of its name, objects included, and an output whose `mapping` or `value` reads
//! a step reads the member that the resolver maps that step output to.

use super::*;

/// The document that the paths of an output read.
#[derive(Clone, Copy)]
enum Source<'s> {
    /// An upstream response. An object without `mapping` reads its parent's node.
    Response,
    /// The result document of an orchestrated operation with these step names.
    Document(&'s [String]),
}

impl Resolver<'_> {
    /// Builds the output of an exposed operation; `has_call` is false in mock mode.
    pub(super) fn output(
        &mut self,
        operation: &model::ExposedOperation,
        inputs: &InputSet,
        kind: AdapterKind<'_>,
        has_call: bool,
    ) -> Option<Output> {
        let steps = step_names(&operation.steps);
        let source = if operation.steps.is_empty() {
            Source::Response
        } else {
            Source::Document(&steps)
        };
        let outputs = &operation.output_parameters;
        self.outputs_from(outputs, operation.pos, inputs, kind, has_call, source)
    }

    /// Builds an output that reads a response from `outputParameters` written at `pos`.
    pub(super) fn outputs(
        &mut self,
        outputs: &[model::OutputParameter],
        pos: Pos,
        inputs: &InputSet,
        kind: AdapterKind<'_>,
        has_call: bool,
    ) -> Option<Output> {
        self.outputs_from(outputs, pos, inputs, kind, has_call, Source::Response)
    }

    fn outputs_from(
        &mut self,
        outputs: &[model::OutputParameter],
        pos: Pos,
        inputs: &InputSet,
        kind: AdapterKind<'_>,
        has_call: bool,
        source: Source<'_>,
    ) -> Option<Output> {
        if outputs.is_empty() {
            if !has_call {
                self.diagnostics
                    .error(pos, "operation has neither `call` nor output values")
                    .hint("add `call: NAMESPACE.OPERATION`, or outputs with `value` for a mock");
                return None;
            }
            return Some(Output::Body);
        }
        if let [only] = outputs
            && only.name.is_none()
        {
            if has_call && is_whole_body(only) {
                return Some(Output::Body);
            }
            return Some(Output::Shape(self.shape(only, inputs, kind, None, source)?));
        }

        let mut named = Vec::new();
        let mut ok = true;
        for output in outputs {
            let Some(name) = &output.name else {
                self.diagnostics
                    .error(output.pos, "an output among several has no `name`")
                    .hint("name each output; the result is an object keyed by those names");
                ok = false;
                continue;
            };
            // A named output without `mapping` or `value` reads the field of its name.
            match self.shape(output, inputs, kind, Some(&name.value), source) {
                Some(shape) => named.push((name.value.clone(), shape)),
                None => ok = false,
            }
        }
        ok.then_some(Output::Named(named))
    }

    /// Resolves one output; `property` is its name when it is an object's property,
    /// which is also where it is read from when it has no `mapping`.
    fn shape(
        &mut self,
        output: &model::OutputParameter,
        inputs: &InputSet,
        kind: AdapterKind<'_>,
        property: Option<&str>,
        source: Source<'_>,
    ) -> Option<OutputShape> {
        let json_type = output.json_type.as_ref().map(|t| self.json_type(Some(t)));
        // The orchestration adds a mapping that puts what a step-reading output reads at
        // the member of its name.
        let filled = match (source, property) {
            (Source::Document(steps), Some(name)) => step_read(output, steps).map(|_| name),
            _ => None,
        };
        if let (None, Some(value)) = (filled, &output.value) {
            return self.value_shape(value, json_type, inputs, kind);
        }

        let member = |name: &str| vec![PathStep::Field(name.to_string())];
        // Without a `mapping`, a scalar property reads the member of its name, while in
        // a response an object keeps its parent's scope, so its own properties' paths
        // start there.
        let path = match (filled, &output.mapping, source) {
            (Some(name), _, _) => member(name),
            (None, Some(mapping), _) => self.json_path(mapping)?,
            (None, None, Source::Response) if !output.properties.is_empty() => Vec::new(),
            (None, None, _) => property.map(member).unwrap_or_default(),
        };
        // Below an output that reads a node of its own, paths read as in a response.
        let inner = if filled.is_some() || output.mapping.is_some() {
            Source::Response
        } else {
            source
        };

        if !output.properties.is_empty() {
            let mut properties = Vec::new();
            for (name, property) in &output.properties {
                let shape = self.shape(property, inputs, kind, Some(&name.value), inner)?;
                properties.push((name.value.clone(), shape));
            }
            return Some(OutputShape::Object { path, properties });
        }
        if let Some(items) = &output.items {
            // Item paths read each element, wherever the array came from.
            let items = self.shape(items, inputs, kind, None, Source::Response)?;
            return Some(OutputShape::Array {
                path,
                items: Box::new(items),
            });
        }
        Some(OutputShape::Value { path, json_type })
    }

    pub(super) fn value_shape(
        &mut self,
        value: &Node,
        json_type: Option<JsonType>,
        inputs: &InputSet,
        kind: AdapterKind<'_>,
    ) -> Option<OutputShape> {
        let Some(text) = value.as_str() else {
            return Some(OutputShape::Constant(json_text(value)));
        };
        let text = Text {
            pos: value.pos,
            value: text.to_string(),
        };
        if text.value.contains("{{") {
            let parts = self.template_with(&text, "an output `value`", |name| {
                let name = input_reference(name, kind).unwrap_or(name);
                inputs.find(name).map(TemplatePart::Input)
            })?;
            return Some(OutputShape::Template(parts));
        }
        if text.value.starts_with('$') {
            let path = self.json_path(&text)?;
            return Some(OutputShape::Value { path, json_type });
        }
        Some(OutputShape::Constant(typed_constant(
            &text.value,
            json_type,
        )))
    }

    /// Parses a JSONPath such as `$.a.b[0]`, `$['a b']`, `$.items[*]` or `$..id`.
    pub(super) fn json_path(&mut self, text: &Text) -> Option<Vec<PathStep>> {
        match parse_json_path(&text.value) {
            Ok(steps) => Some(steps),
            Err(message) => {
                self.diagnostics
                    .error(text.pos, format!("invalid JSONPath `{}`: {message}", text.value))
                    .hint("write paths such as `$`, `$.items[0].id`, `$['a-b']`, `$.list[*]` or `$..id`");
                None
            }
        }
    }
}

/// Returns the names of the named steps of an orchestrated operation.
pub(super) fn step_names(steps: &[model::Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|step| step.name.as_ref())
        .map(|name| name.value.clone())
        .collect()
}

/// Returns the JSONPath of an orchestrated output whose `value`, or else `mapping`,
/// reads a step output such as `$.get-voyage.status`, or `None` when it reads none.
pub(super) fn step_read(output: &model::OutputParameter, steps: &[String]) -> Option<Text> {
    let text = match (&output.value, &output.mapping) {
        (Some(value), _) => Text {
            pos: value.pos,
            value: value.as_str()?.to_string(),
        },
        (None, Some(mapping)) => mapping.clone(),
        (None, None) => return None,
    };
    let path = parse_json_path(&text.value).ok()?;
    match path.first() {
        Some(PathStep::Field(step)) if steps.contains(step) => Some(text),
        _ => None,
    }
}

/// Tells whether an output passes the upstream body through unchanged.
fn is_whole_body(output: &model::OutputParameter) -> bool {
    let whole = output
        .mapping
        .as_ref()
        .is_none_or(|m| matches!(m.value.trim(), "$" | "$."));
    whole && output.value.is_none() && output.properties.is_empty() && output.items.is_none()
}

/// Writes a constant string as JSON, as a number or boolean when its type says so.
fn typed_constant(text: &str, json_type: Option<JsonType>) -> String {
    let typed = match json_type {
        Some(JsonType::Number | JsonType::Integer) => text.trim().parse::<f64>().is_ok(),
        Some(JsonType::Boolean) => matches!(text.trim(), "true" | "false"),
        _ => false,
    };
    if typed {
        text.trim().to_string()
    } else {
        json_string(text)
    }
}

/// Parses the JSONPath subset that outputs use: member names (dotted or bracketed),
/// indexes, `*` and `..name`.
pub(super) fn parse_json_path(text: &str) -> Result<Vec<PathStep>, String> {
    let text = text.trim();
    let Some(mut rest) = text.strip_prefix('$') else {
        return Err("a path starts with `$`".into());
    };
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("..") {
            let (name, tail) = take_name(after);
            if name.is_empty() {
                return Err("`..` must be followed by a member name".into());
            }
            steps.push(PathStep::Descendant(name.to_string()));
            rest = tail;
        } else if let Some(after) = rest.strip_prefix('.') {
            if after.is_empty() {
                break;
            }
            if let Some(tail) = after.strip_prefix('*') {
                steps.push(PathStep::Wildcard);
                rest = tail;
                continue;
            }
            let (name, tail) = take_name(after);
            if name.is_empty() {
                return Err(format!("expected a member name at `{after}`"));
            }
            steps.push(PathStep::Field(name.to_string()));
            rest = tail;
        } else if let Some(after) = rest.strip_prefix('[') {
            let Some(end) = after.find(']') else {
                return Err("a `[` is never closed".into());
            };
            steps.push(bracket_step(after[..end].trim())?);
            rest = &after[end + 1..];
        } else {
            return Err(format!("unexpected `{rest}`"));
        }
    }
    Ok(steps)
}

fn take_name(text: &str) -> (&str, &str) {
    let end = text.find(['.', '[']).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn bracket_step(inner: &str) -> Result<PathStep, String> {
    if inner == "*" {
        return Ok(PathStep::Wildcard);
    }
    if let Some(name) = inner
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
    {
        return Ok(PathStep::Field(name.to_string()));
    }
    inner
        .parse::<i64>()
        .map(PathStep::Index)
        .map_err(|_| format!("`[{inner}]` is not an index, `*` or a quoted name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_path_table() {
        let field = |n: &str| PathStep::Field(n.to_string());
        let cases = [
            ("$", vec![]),
            ("$.", vec![]),
            ("$.a.b", vec![field("a"), field("b")]),
            ("$.tables[0]", vec![field("tables"), PathStep::Index(0)]),
            ("$['a b'][-1]", vec![field("a b"), PathStep::Index(-1)]),
            (
                "$.items[*].id",
                vec![field("items"), PathStep::Wildcard, field("id")],
            ),
            ("$.*", vec![PathStep::Wildcard]),
            ("$..id", vec![PathStep::Descendant("id".into())]),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_json_path(text),
                Ok(expected),
                "parse_json_path({text:?})"
            );
        }
    }

    #[test]
    fn json_path_errors() {
        for text in ["a.b", "$.a[", "$[x]", "$..", "$a"] {
            assert!(parse_json_path(text).is_err(), "{text} parsed");
        }
    }

    #[test]
    fn constants_keep_declared_types() {
        assert_eq!(typed_constant("42", Some(JsonType::Integer)), "42");
        assert_eq!(typed_constant("NO", Some(JsonType::String)), "\"NO\"");
        assert_eq!(typed_constant("true", Some(JsonType::Boolean)), "true");
        assert_eq!(typed_constant("abc", Some(JsonType::Number)), "\"abc\"");
    }
}
