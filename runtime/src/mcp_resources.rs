//! Resources of MCP adapters: `resources/list`, `resources/templates/list` and
//! `resources/read`.
//!
//! A resource whose URI has `{param}` placeholders and a dynamic source is a resource
//! template. Every other resource is listed with its URI unchanged. A read first looks
//! for a resource with exactly the requested URI, then for the first template, in
//! declaration order, that the URI matches.

use std::time::Instant;

use base64::Engine as _;
use percent_encoding::percent_decode_str;
use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde_json::Value;

use crate::descriptor::{
    Call, Input, JsonType, McpResource, Orchestration, Output, ResourceSource,
};
use crate::invoke::{CapabilityContext, InputError, check_input, invoke_declared};
use crate::mcp::{describe_status, error_body_excerpt, error_status_message};
use crate::upstream::{CallError, operation_id};
use crate::{format, orchestrate, output};

/// The MIME type of dynamic contents when the resource declares none: they are JSON text.
const JSON_MIME_TYPE: &str = "application/json";

/// The resources of one adapter, with their list entries built once.
pub(crate) struct ResourceTable {
    /// The `resources/list` entries, in declaration order.
    pub(crate) resources: Vec<Resource>,
    /// The `resources/templates/list` entries, in declaration order.
    pub(crate) templates: Vec<ResourceTemplate>,
    /// Every resource with its parsed URI template, in declaration order.
    entries: Vec<(&'static McpResource, UriTemplate)>,
}

impl ResourceTable {
    /// Builds the table of `resources`.
    pub(crate) fn new(resources: &'static [McpResource]) -> Self {
        let mut table = Self {
            resources: Vec::new(),
            templates: Vec::new(),
            entries: Vec::new(),
        };
        for resource in resources {
            let template = UriTemplate::parse(resource.uri);
            if is_template(resource, &template) {
                table.templates.push(template_entry(resource));
            } else {
                table.resources.push(resource_entry(resource));
            }
            table.entries.push((resource, template));
        }
        table
    }

    /// Finds the resource that serves `uri`, with the values of its URI template's
    /// placeholders.
    fn find(&self, uri: &str) -> Option<(&'static McpResource, Vec<(&'static str, String)>)> {
        let exact = self
            .entries
            .iter()
            .find(|(resource, template)| !is_template(resource, template) && resource.uri == uri);
        if let Some((resource, _)) = exact {
            return Some((resource, Vec::new()));
        }
        self.entries
            .iter()
            .filter(|(resource, template)| is_template(resource, template))
            .find_map(|(resource, template)| Some((*resource, template.matches(uri)?)))
    }
}

/// Returns whether `resource` is listed as a template: a dynamic source whose URI has
/// placeholders.
fn is_template(resource: &McpResource, template: &UriTemplate) -> bool {
    matches!(resource.source, ResourceSource::Dynamic { .. }) && template.has_params()
}

fn resource_entry(resource: &McpResource) -> Resource {
    let mut entry = Resource::new(resource.uri, resource.name);
    if let Some(title) = resource.title {
        entry = entry.with_title(title);
    }
    if let Some(description) = resource.description {
        entry = entry.with_description(description);
    }
    if let Some(mime_type) = resource.mime_type {
        entry = entry.with_mime_type(mime_type);
    }
    if let ResourceSource::Static { contents } = resource.source {
        entry = entry.with_size(contents.len() as u64);
    }
    entry
}

fn template_entry(resource: &McpResource) -> ResourceTemplate {
    let mut entry = ResourceTemplate::new(resource.uri, resource.name);
    if let Some(title) = resource.title {
        entry = entry.with_title(title);
    }
    if let Some(description) = resource.description {
        entry = entry.with_description(description);
    }
    if let Some(mime_type) = resource.mime_type {
        entry = entry.with_mime_type(mime_type);
    }
    entry
}

/// Serves one `resources/read` and logs its outcome, without the URI, whose
/// placeholders may carry caller data.
pub(crate) async fn read(
    table: &ResourceTable,
    context: &CapabilityContext,
    adapter: &'static str,
    uri: &str,
) -> Result<ReadResourceResult, ErrorData> {
    let Some((resource, params)) = table.find(uri) else {
        tracing::info!(adapter, "mcp resource read rejected: unknown resource");
        return Err(ErrorData::resource_not_found(
            format!("resource `{uri}` not found"),
            None,
        ));
    };
    let started = Instant::now();
    let outcome = read_contents(resource, context, uri, &params).await;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(
        adapter,
        resource = resource.name,
        upstream_status = outcome.upstream_status,
        duration_ms,
        failure = outcome.result.as_ref().err().map(|failure| failure.code),
        "mcp resource read finished"
    );
    match outcome.result {
        Ok(contents) => Ok(ReadResourceResult::new(vec![contents])),
        Err(failure) => Err(failure.error),
    }
}

/// The contents of one read, or why there are none, with what the log line records.
struct ReadOutcome {
    result: Result<ResourceContents, ReadFailure>,
    upstream_status: Option<u16>,
}

struct ReadFailure {
    /// A fixed error code, free of caller data, for the log line.
    code: &'static str,
    error: ErrorData,
}

impl ReadOutcome {
    fn failed(code: &'static str, status: Option<u16>, error: ErrorData) -> Self {
        Self {
            result: Err(ReadFailure { code, error }),
            upstream_status: status,
        }
    }
}

async fn read_contents(
    resource: &'static McpResource,
    context: &CapabilityContext,
    uri: &str,
    params: &[(&'static str, String)],
) -> ReadOutcome {
    match &resource.source {
        ResourceSource::Static { contents } => ReadOutcome {
            result: Ok(static_contents(resource, contents, uri)),
            upstream_status: None,
        },
        ResourceSource::Dynamic {
            inputs,
            call,
            steps,
            output,
        } => {
            let values = match uri_inputs(inputs, params) {
                Ok(values) => values,
                Err(error) => {
                    let message =
                        format!("invalid URI parameter `{}`: {}", error.name, error.reason);
                    let error = ErrorData::invalid_params(message, None);
                    return ReadOutcome::failed("invalid_argument", None, error);
                }
            };
            let source = DynamicSource {
                resource,
                inputs,
                call: call.as_ref(),
                steps: *steps,
                output,
            };
            let (status, result) = source.evaluate(context, &values).await;
            let result = result.map(|value| {
                let mime_type = resource.mime_type.unwrap_or(JSON_MIME_TYPE);
                ResourceContents::text(value.to_string(), uri).with_mime_type(mime_type)
            });
            ReadOutcome {
                result,
                upstream_status: status,
            }
        }
    }
}

/// Returns embedded contents: text when they are UTF-8, base64 otherwise.
fn static_contents(resource: &McpResource, contents: &[u8], uri: &str) -> ResourceContents {
    let contents = match std::str::from_utf8(contents) {
        Ok(text) => ResourceContents::text(text, uri),
        Err(_) => {
            let blob = base64::engine::general_purpose::STANDARD.encode(contents);
            ResourceContents::blob(blob, uri)
        }
    };
    match resource.mime_type {
        Some(mime_type) => contents.with_mime_type(mime_type),
        None => contents,
    }
}

/// Returns one checked value per input from the placeholders of the requested URI.
///
/// A placeholder value is text, so an input of another type takes the JSON value the
/// text spells, such as `42` or `true`.
fn uri_inputs(
    inputs: &'static [Input],
    params: &[(&'static str, String)],
) -> Result<Vec<Option<Value>>, InputError> {
    inputs
        .iter()
        .map(|input| {
            let text = params
                .iter()
                .find(|(name, _)| *name == input.name)
                .map(|(_, value)| value.as_str());
            let value = text.map(|text| match input.json_type {
                JsonType::String => Value::String(text.to_owned()),
                _ => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())),
            });
            check_input(input, value)
        })
        .collect()
}

/// The parts of a dynamic resource that produce its contents.
struct DynamicSource<'a> {
    resource: &'static McpResource,
    inputs: &'static [Input],
    call: Option<&'static Call>,
    steps: Option<&'static Orchestration>,
    output: &'a Output,
}

impl DynamicSource<'_> {
    /// Runs the steps or the call, or builds a mock output, and returns the upstream
    /// status of a single call with the JSON contents.
    async fn evaluate(
        &self,
        context: &CapabilityContext,
        inputs: &[Option<Value>],
    ) -> (Option<u16>, Result<Value, ReadFailure>) {
        if let Some(orchestration) = self.steps {
            let document = match orchestrate::run(context, orchestration, self.inputs, inputs).await
            {
                Ok(document) => document,
                Err(error) => return (None, Err(call_failure(error))),
            };
            return (None, self.shape(Some(&document), inputs, context));
        }
        let Some(call) = self.call else {
            return (None, self.shape(None, inputs, context));
        };
        let response = match invoke_declared(context, call, self.inputs, inputs).await {
            Ok(response) => response,
            Err(error) => return (None, Err(call_failure(error))),
        };
        let status = response.status;
        let operation = call.operation;
        if !(200..300).contains(&status) {
            let message = error_status_message(operation, &response);
            let error = ErrorData::internal_error(message, None);
            let failure = ReadFailure {
                code: "upstream_error_status",
                error,
            };
            return (Some(status), Err(failure));
        }
        if response.body.is_empty() {
            return (Some(status), self.shape(None, inputs, context));
        }
        let document = format::to_json(
            operation.output_format,
            &response.body,
            operation.output_scope,
        );
        match document {
            Ok(document) => (Some(status), self.shape(Some(&document), inputs, context)),
            Err(error) => {
                let message = format!(
                    "upstream operation `{}` returned status {} with a body that could not be \
                     read: {error}",
                    operation_id(operation),
                    describe_status(status)
                );
                let failure = ReadFailure {
                    code: "invalid_upstream_response",
                    error: ErrorData::internal_error(message, None),
                };
                (Some(status), Err(failure))
            }
        }
    }

    /// Builds the contents from `document`: the upstream body, the steps' result
    /// document, or nothing in mock mode.
    fn shape(
        &self,
        document: Option<&Value>,
        inputs: &[Option<Value>],
        context: &CapabilityContext,
    ) -> Result<Value, ReadFailure> {
        match output::build(self.output, document, inputs, context.binds()) {
            Ok(value) => Ok(value.unwrap_or(Value::Null)),
            Err(error) => {
                let message = format!(
                    "the contents of resource `{}` do not fit its output: {error}",
                    self.resource.name
                );
                Err(ReadFailure {
                    code: "invalid_output",
                    error: ErrorData::internal_error(message, None),
                })
            }
        }
    }
}

/// Returns the error of a call or steps that produced no usable response.
fn call_failure(error: CallError) -> ReadFailure {
    match error {
        CallError::Input(error) => {
            let message = format!("invalid URI parameter `{}`: {}", error.name, error.reason);
            ReadFailure {
                code: "invalid_argument",
                error: ErrorData::invalid_params(message, None),
            }
        }
        CallError::StepStatus {
            step,
            operation,
            status,
            body,
        } => {
            let mut message = format!(
                "step `{step}` failed: upstream operation `{operation}` returned status {}",
                describe_status(status)
            );
            if body.is_empty() {
                message.push_str(" with an empty body");
            } else {
                message.push_str(": ");
                message.push_str(&error_body_excerpt(&body));
            }
            ReadFailure {
                code: "upstream_error_status",
                error: ErrorData::internal_error(message, None),
            }
        }
        error => ReadFailure {
            code: error.code(),
            error: ErrorData::internal_error(error.to_string(), None),
        },
    }
}

/// A resource URI split at its `{param}` placeholders (RFC 6570 simple expansion).
#[derive(Debug)]
struct UriTemplate {
    parts: Vec<UriPart>,
}

#[derive(Debug, PartialEq, Eq)]
enum UriPart {
    Literal(&'static str),
    Param(&'static str),
}

impl UriTemplate {
    /// Splits `uri` at its placeholders. A `{` without a closing `}` is literal text.
    fn parse(uri: &'static str) -> Self {
        let mut parts = Vec::new();
        let mut rest = uri;
        while let Some(open) = rest.find('{') {
            let Some(length) = rest[open..].find('}') else {
                break;
            };
            if open > 0 {
                parts.push(UriPart::Literal(&rest[..open]));
            }
            parts.push(UriPart::Param(&rest[open + 1..open + length]));
            rest = &rest[open + length + 1..];
        }
        if !rest.is_empty() {
            parts.push(UriPart::Literal(rest));
        }
        Self { parts }
    }

    fn has_params(&self) -> bool {
        self.parts
            .iter()
            .any(|part| matches!(part, UriPart::Param(_)))
    }

    /// Returns the decoded value of every placeholder when `uri` matches, or `None`.
    ///
    /// Each placeholder takes the shortest non-empty text up to the next literal part,
    /// or the rest of the URI when it is last. Simple expansion percent-encodes `/`, `?`
    /// and `#`, so a value that contains one of them does not match, and neither does one
    /// that does not decode to UTF-8.
    // NOTE: two placeholders with no literal text between them never match, because
    // nothing marks where the first value ends.
    fn matches(&self, uri: &str) -> Option<Vec<(&'static str, String)>> {
        let mut values = Vec::new();
        let mut rest = uri;
        for (index, part) in self.parts.iter().enumerate() {
            match part {
                UriPart::Literal(literal) => rest = rest.strip_prefix(literal)?,
                UriPart::Param(name) => {
                    let end = match self.parts.get(index + 1) {
                        Some(UriPart::Literal(literal)) => rest.find(literal)?,
                        Some(UriPart::Param(_)) => return None,
                        None => rest.len(),
                    };
                    let raw = &rest[..end];
                    if raw.is_empty() || raw.contains(['/', '?', '#']) {
                        return None;
                    }
                    let value = percent_decode_str(raw).decode_utf8().ok()?;
                    values.push((*name, value.into_owned()));
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_template_parses_placeholders() {
        let template = UriTemplate::parse("data://users/{userId}/profile");
        assert_eq!(
            template.parts,
            [
                UriPart::Literal("data://users/"),
                UriPart::Param("userId"),
                UriPart::Literal("/profile"),
            ]
        );
        assert!(template.has_params());
        assert!(!UriTemplate::parse("file:///a{b").has_params());
    }

    #[test]
    fn uri_template_matches_values() {
        let template = UriTemplate::parse("data://users/{userId}/profile");
        let values = template.matches("data://users/ada%20l/profile");
        assert_eq!(values, Some(vec![("userId", "ada l".to_owned())]));
    }

    #[test]
    fn uri_template_rejects_mismatches() {
        let template = UriTemplate::parse("data://users/{userId}/profile");
        assert_eq!(template.matches("data://users//profile"), None);
        assert_eq!(template.matches("data://users/a/b/profile"), None);
        assert_eq!(template.matches("data://users/a/profile/extra"), None);
        assert_eq!(template.matches("data://groups/a/profile"), None);
        assert_eq!(template.matches("data://users/%FF/profile"), None);
    }

    #[test]
    fn uri_template_last_placeholder_takes_rest() {
        let template = UriTemplate::parse("weather://{city}");
        let values = template.matches("weather://Paris");
        assert_eq!(values, Some(vec![("city", "Paris".to_owned())]));
        assert_eq!(UriTemplate::parse("x://{a}{b}").matches("x://ab"), None);
    }
}
