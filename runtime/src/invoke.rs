//! Turning the inputs of an exposed operation into an upstream call.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::descriptor::{Argument, Call, Capability, ConsumedApi, Input, JsonPath, JsonType};
use crate::output;
use crate::secret::BindValues;
use crate::upstream::{self, CallError, UpstreamClient, UpstreamResponse};

/// The run-time state of one capability: its resolved bind variables and one
/// upstream client per consumed API.
#[derive(Debug)]
pub struct CapabilityContext {
    capability: &'static Capability,
    binds: BindValues,
    clients: Vec<UpstreamClient>,
}

impl CapabilityContext {
    /// Creates the context of `capability`, with one client per consumed API over the
    /// shared `http` client.
    ///
    /// `base_uris` maps consumes namespaces to base URIs that replace the spec's. Keys
    /// that name no consumed API of this capability are ignored, because one map serves
    /// every capability of the binary.
    pub fn new(
        capability: &'static Capability,
        binds: BindValues,
        http: reqwest::Client,
        base_uris: &BTreeMap<String, String>,
    ) -> Self {
        let clients = capability
            .consumes
            .iter()
            .map(|api| {
                let from_binds = match (base_uris.get(api.namespace), api.base_uri_from) {
                    (None, Some(template)) => render_base_uri(template, &binds),
                    _ => None,
                };
                let base_uri = base_uris
                    .get(api.namespace)
                    .map(String::as_str)
                    .or(from_binds.as_deref());
                UpstreamClient::new(http.clone(), api, base_uri)
            })
            .collect();
        Self {
            capability,
            binds,
            clients,
        }
    }

    /// Sets the retries after a connection failure of every upstream client, as
    /// [`UpstreamClient::set_retries`] describes.
    pub fn set_retries(&mut self, retries: u32) {
        for client in &mut self.clients {
            client.set_retries(retries);
        }
    }

    /// Returns the capability this context serves.
    pub fn capability(&self) -> &'static Capability {
        self.capability
    }

    /// Returns the resolved bind variables.
    pub fn binds(&self) -> &BindValues {
        &self.binds
    }

    /// Returns the client of a consumed API of this capability.
    ///
    /// # Panics
    ///
    /// Panics when `api` belongs to another capability, which generated code never does.
    /// [`CapabilityContext::find_client`] returns `None` instead.
    pub fn client(&self, api: &'static ConsumedApi) -> &UpstreamClient {
        match self.find_client(api) {
            Some(client) => client,
            None => panic!(
                "consumed API {} is not part of capability {}",
                api.namespace, self.capability.name
            ),
        }
    }

    /// Returns the client of a consumed API, or `None` if `api` is not part of this
    /// capability.
    pub fn find_client(&self, api: &'static ConsumedApi) -> Option<&UpstreamClient> {
        self.clients
            .iter()
            .find(|client| std::ptr::eq(client.api(), api))
            .or_else(|| {
                self.clients
                    .iter()
                    .find(|client| client.api().namespace == api.namespace)
            })
    }
}

/// An input that is missing, of the wrong type or otherwise unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid input `{name}`: {reason}")]
pub struct InputError {
    /// The input's name, as callers spell it.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Checks JSON arguments against declared inputs, returning one value per input.
///
/// A missing or `null` optional input is `None`. Arguments that match no input are
/// ignored.
pub fn inputs_from_json(
    inputs: &'static [Input],
    arguments: &serde_json::Map<String, Value>,
) -> Result<Vec<Option<Value>>, InputError> {
    inputs
        .iter()
        .map(|input| check_input(input, arguments.get(input.name).cloned()))
        .collect()
}

/// Checks one input's value: present when required, and of the declared JSON type.
pub fn check_input(input: &Input, value: Option<Value>) -> Result<Option<Value>, InputError> {
    let value = value.filter(|value| !value.is_null());
    let Some(value) = value else {
        if input.required {
            return Err(InputError {
                name: input.name.to_owned(),
                reason: "missing".to_owned(),
            });
        }
        return Ok(None);
    };
    if !has_type(&value, input.json_type) {
        return Err(InputError {
            name: input.name.to_owned(),
            reason: format!(
                "expected {}, got {}",
                input.json_type.as_str(),
                json_type_name(&value)
            ),
        });
    }
    Ok(Some(value))
}

fn has_type(value: &Value, json_type: JsonType) -> bool {
    match json_type {
        JsonType::String => value.is_string(),
        JsonType::Number => value.is_number(),
        JsonType::Integer => {
            value.is_i64()
                || value.is_u64()
                || value.as_f64().is_some_and(|number| number.fract() == 0.0)
        }
        JsonType::Boolean => value.is_boolean(),
        JsonType::Object => value.is_object(),
        JsonType::Array => value.is_array(),
    }
}

/// Returns the JSON Schema type name of a value, for messages.
fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Calls the consumed operation of `call` with values taken from `inputs`.
///
/// `inputs` has one value per input of the exposed operation, as
/// [`inputs_from_json`] returns them. An input error names the upstream parameter,
/// while [`invoke_declared`] names the caller's input.
pub async fn invoke(
    context: &CapabilityContext,
    call: &'static Call,
    inputs: &[Option<Value>],
) -> Result<UpstreamResponse, CallError> {
    invoke_declared(context, call, &[], inputs).await
}

/// Calls the consumed operation of `call` like [`invoke`], naming the input of
/// `declared` that feeds a parameter in input errors.
pub async fn invoke_declared(
    context: &CapabilityContext,
    call: &'static Call,
    declared: &'static [Input],
    inputs: &[Option<Value>],
) -> Result<UpstreamResponse, CallError> {
    invoke_step(context, call, declared, inputs, None).await
}

/// Calls the consumed operation of `call` like [`invoke_declared`], reading
/// [`Argument::Step`] values from `steps`, the outputs of earlier steps as
/// `{STEP_NAME: OUTPUT}`.
///
/// A step argument takes the one node its path selects, an array of the nodes when it
/// selects several, and no value when it selects none. Without `steps`, a step argument
/// is an internal error, because only orchestrations bind parameters to steps.
pub async fn invoke_step(
    context: &CapabilityContext,
    call: &'static Call,
    declared: &'static [Input],
    inputs: &[Option<Value>],
    steps: Option<&Value>,
) -> Result<UpstreamResponse, CallError> {
    let operation = call.operation;
    let internal = |reason: String| CallError::Internal {
        operation: upstream::operation_id(operation),
        reason,
    };

    let mut values = Vec::with_capacity(operation.params.len());
    for (index, param) in operation.params.iter().enumerate() {
        let value = match call.arguments.get(index) {
            None | Some(Argument::Unbound) => None,
            Some(Argument::Input(input)) => inputs.get(*input).cloned().flatten(),
            Some(Argument::Literal(json)) => Some(serde_json::from_str(json).map_err(|error| {
                internal(format!("invalid literal for `{}`: {error}", param.name))
            })?),
            Some(Argument::Template(template)) => Some(Value::String(
                upstream::render_template(template, &context.binds, inputs).map_err(internal)?,
            )),
            Some(Argument::Step(path)) => {
                let Some(steps) = steps else {
                    return Err(internal(format!(
                        "parameter `{}` reads a step output outside an orchestration",
                        param.name
                    )));
                };
                step_value(steps, path)
            }
        };
        values.push(value);
    }

    let client = context.find_client(operation.api).ok_or_else(|| {
        internal(format!(
            "consumed API {} is not part of capability {}",
            operation.api.namespace, context.capability.name
        ))
    })?;
    match client.send(operation, &values, &context.binds).await {
        Err(CallError::Input(mut error)) => {
            if let Some(name) = input_name(call, declared, &error.name) {
                error.name = name.to_owned();
            }
            Err(CallError::Input(error))
        }
        result => result,
    }
}

/// Returns the value that `path` selects in the steps document: the one match, an array
/// of several matches, or `None` when nothing matches.
pub fn step_value(steps: &Value, path: JsonPath) -> Option<Value> {
    match output::select(steps, path).as_slice() {
        [] => None,
        [single] => Some((*single).clone()),
        several => Some(Value::Array(
            several.iter().map(|value| (*value).clone()).collect(),
        )),
    }
}

/// Returns the name of the declared input that feeds the upstream parameter `param`.
fn input_name(call: &Call, declared: &'static [Input], param: &str) -> Option<&'static str> {
    let index = call
        .operation
        .params
        .iter()
        .position(|candidate| candidate.name == param)?;
    match call.arguments.get(index)? {
        Argument::Input(input) => declared.get(*input).map(|input| input.name),
        _ => None,
    }
}

/// Renders a base URI built from bind variables. A failure leaves the spec's (empty)
/// base URI, so calls fail with an invalid-URL error that names the operation.
fn render_base_uri(template: crate::descriptor::Template, binds: &BindValues) -> Option<String> {
    match upstream::render_template(template, binds, &[]) {
        Ok(uri) => Some(uri),
        Err(error) => {
            tracing::error!(error = %error, "cannot build a base URI from bind variables");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::ParamLocation;
    use serde_json::json;

    static INPUTS: &[Input] = &[
        Input {
            name: "org",
            location: ParamLocation::Path,
            json_type: JsonType::String,
            required: true,
            description: None,
        },
        Input {
            name: "page",
            location: ParamLocation::Query,
            json_type: JsonType::Integer,
            required: false,
            description: None,
        },
        Input {
            name: "body",
            location: ParamLocation::Body,
            json_type: JsonType::Object,
            required: false,
            description: None,
        },
    ];

    fn arguments(value: Value) -> serde_json::Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }

    #[test]
    fn inputs_in_declared_order() {
        let values = inputs_from_json(INPUTS, &arguments(json!({"page": 2, "org": "acme"})))
            .expect("valid arguments");
        assert_eq!(values, vec![Some(json!("acme")), Some(json!(2)), None]);
    }

    #[test]
    fn inputs_missing_required() {
        let error = inputs_from_json(INPUTS, &arguments(json!({"page": 2}))).expect_err("no org");
        assert_eq!(error.name, "org");
        assert_eq!(error.reason, "missing");
    }

    #[test]
    fn inputs_null_required_is_missing() {
        let error = inputs_from_json(INPUTS, &arguments(json!({"org": null}))).expect_err("null");
        assert_eq!(error.name, "org");
    }

    #[test]
    fn inputs_wrong_type() {
        let error = inputs_from_json(INPUTS, &arguments(json!({"org": "acme", "page": "2"})))
            .expect_err("page is a string");
        assert_eq!(error.name, "page");
        assert_eq!(error.reason, "expected integer, got string");
    }

    #[test]
    fn inputs_integer_rejects_fraction() {
        let error = inputs_from_json(INPUTS, &arguments(json!({"org": "acme", "page": 1.5})))
            .expect_err("page is not whole");
        assert_eq!(error.name, "page");
    }

    #[test]
    fn inputs_ignore_unknown_arguments() {
        let values = inputs_from_json(INPUTS, &arguments(json!({"org": "acme", "extra": 1})))
            .expect("extra arguments are ignored");
        assert_eq!(values.len(), 3);
    }
}
