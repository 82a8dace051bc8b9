//! Running the steps of an orchestrated operation and mapping their outputs into its
//! result document.
//!
//! The steps' outputs form the document `{STEP_NAME: OUTPUT}`. A call step renders its
//! arguments from the inputs and that document, calls upstream and projects the response.
//! The elements of an array response keep their own members next to the projected ones,
//! as in the reference engine. A lookup step searches the array output of an earlier step. Steps run in waves: each
//! wave contains every step whose dependencies have finished, and its steps run concurrently.
//! A step only sees the steps it depends on, so the result equals a run in declaration
//! order. The mappings then read the document into the result document
//! `{TARGET_NAME: VALUE}`, where the resolver has turned a dotted target such as
//! `route.from` into an object property.

use futures_util::future::join_all;
use serde_json::{Map, Value};

use crate::descriptor::{
    Argument, Input, JsonPath, Orchestration, Output, PathStep, Step, StepKind,
};
use crate::invoke::{self, CapabilityContext};
use crate::upstream::{CallError, operation_id, value_text};
use crate::{format, output};

/// Runs the steps of `orchestration` and returns the result document
/// `{TARGET_NAME: VALUE}` built by its mappings.
///
/// `inputs` has one value per entry of `declared`, the inputs of the exposed operation.
/// A step that receives an upstream status of 400 or above stops the run with
/// [`CallError::StepStatus`]; later steps do not start.
pub async fn run(
    context: &CapabilityContext,
    orchestration: &'static Orchestration,
    declared: &'static [Input],
    inputs: &[Option<Value>],
) -> Result<Value, CallError> {
    let document = run_steps(context, orchestration.steps, declared, inputs).await?;
    let mappings = Output::Named(orchestration.mappings);
    let result =
        output::build(&mappings, Some(&document), inputs, context.binds()).map_err(|error| {
            CallError::InvalidResponse {
                operation: step_list(orchestration.steps),
                reason: format!("the mappings do not fit the step outputs: {error}"),
            }
        })?;
    Ok(result.unwrap_or(Value::Null))
}

/// Runs every step, wave by wave, and returns the steps document `{STEP_NAME: OUTPUT}`.
///
/// When two steps of one wave fail, the error of the one declared first is returned, so
/// the outcome does not depend on which upstream responds first.
async fn run_steps(
    context: &CapabilityContext,
    steps: &'static [Step],
    declared: &'static [Input],
    inputs: &[Option<Value>],
) -> Result<Value, CallError> {
    let dependencies: Vec<Vec<usize>> = (0..steps.len())
        .map(|index| dependencies(steps, index))
        .collect();
    let mut document = Value::Object(Map::new());
    let mut done = vec![false; steps.len()];
    let mut remaining = steps.len();
    while remaining > 0 {
        let wave: Vec<usize> = (0..steps.len())
            .filter(|&index| !done[index])
            .filter(|&index| dependencies[index].iter().all(|&other| done[other]))
            .collect();
        if wave.is_empty() {
            let stuck: Vec<&Step> = (0..steps.len())
                .filter(|&index| !done[index])
                .map(|index| &steps[index])
                .collect();
            return Err(CallError::Internal {
                operation: step_list(stuck),
                reason: "the steps depend on each other in a cycle".to_owned(),
            });
        }

        let outputs = {
            let document = &document;
            let runs = wave
                .iter()
                .map(|&index| run_step(context, steps, index, declared, inputs, document));
            join_all(runs).await
        };
        for (&index, output) in wave.iter().zip(outputs) {
            let output = output?;
            if let Value::Object(members) = &mut document {
                members.insert(steps[index].name.to_owned(), output);
            }
            done[index] = true;
            remaining -= 1;
        }
    }
    Ok(document)
}

/// Returns the indexes of the steps that step `index` reads: its `after` list, the
/// searched step of a lookup, and the steps its step paths name.
///
/// A path whose first segment is a step name depends on that step. Any other path, such
/// as a wildcard or descendant at the root, depends on every earlier step. Indexes
/// outside the steps and the step itself are dropped.
fn dependencies(steps: &[Step], index: usize) -> Vec<usize> {
    let step = &steps[index];
    let mut found: Vec<usize> = step.after.to_vec();
    let mut paths: Vec<JsonPath> = Vec::new();
    match &step.kind {
        StepKind::Call { call, .. } => {
            for argument in call.arguments {
                if let Argument::Step(path) = argument {
                    paths.push(path);
                }
            }
        }
        StepKind::Lookup {
            index: searched,
            value,
            ..
        } => {
            found.push(*searched);
            paths.push(value);
        }
    }
    for path in paths {
        match path.first() {
            Some(PathStep::Field(name)) => {
                found.extend(steps.iter().position(|other| other.name == *name));
            }
            Some(PathStep::Index(_)) => {}
            Some(PathStep::Wildcard | PathStep::Descendant(_)) | None => found.extend(0..index),
        }
    }
    found.retain(|&other| other < steps.len() && other != index);
    found.sort_unstable();
    found.dedup();
    found
}

/// Runs step `index` against the outputs of the steps it depends on.
async fn run_step(
    context: &CapabilityContext,
    steps: &'static [Step],
    index: usize,
    declared: &'static [Input],
    inputs: &[Option<Value>],
    document: &Value,
) -> Result<Value, CallError> {
    let step = &steps[index];
    match &step.kind {
        StepKind::Call { call, output } => {
            let operation = call.operation;
            let response = invoke::invoke_step(context, call, declared, inputs, Some(document))
                .await
                .map_err(|error| name_step(error, step.name))?;
            let id = format!("{} (step `{}`)", operation_id(operation), step.name);
            let status = response.status;
            if status >= 400 {
                return Err(CallError::StepStatus {
                    step: step.name.to_owned(),
                    operation: operation_id(operation),
                    status,
                    body: response.body,
                });
            }
            if !(200..300).contains(&status) {
                return Err(CallError::InvalidResponse {
                    operation: id,
                    reason: format!("unexpected status {status}"),
                });
            }

            let converted = if response.body.is_empty() {
                None
            } else {
                let converted = format::to_json(
                    operation.output_format,
                    &response.body,
                    operation.output_scope,
                )
                .map_err(|error| CallError::InvalidResponse {
                    operation: id.clone(),
                    reason: error.to_string(),
                })?;
                Some(converted)
            };
            let invalid = |error: output::OutputError| CallError::InvalidResponse {
                operation: id.clone(),
                reason: error.to_string(),
            };
            // Named outputs add their members to each element of an array response, so a
            // list keeps being a list that later lookups can search by either name.
            if let (Output::Named(_), Some(Value::Array(items))) = (output, &converted) {
                let mut projected = Vec::with_capacity(items.len());
                for item in items {
                    let value = output::build(output, Some(item), inputs, context.binds())
                        .map_err(invalid)?;
                    projected.push(augment(item, value.unwrap_or(Value::Null)));
                }
                return Ok(Value::Array(projected));
            }
            let projected = output::build(output, converted.as_ref(), inputs, context.binds())
                .map_err(invalid)?;
            Ok(projected.unwrap_or(Value::Null))
        }
        StepKind::Lookup {
            index: searched,
            key,
            value,
            fields,
        } => {
            let lookup = Lookup { key, fields };
            let Some(source) = steps.get(*searched) else {
                return Err(CallError::Internal {
                    operation: format!("step `{}`", step.name),
                    reason: format!("the lookup reads step {searched}, which does not exist"),
                });
            };
            let table = match document.get(source.name) {
                None | Some(Value::Null) => &[][..],
                Some(Value::Array(items)) => items.as_slice(),
                Some(other) => {
                    return Err(CallError::InvalidResponse {
                        operation: source_id(source),
                        reason: format!(
                            "lookup step `{}` expects an array, got {}",
                            step.name,
                            kind_of(other)
                        ),
                    });
                }
            };
            Ok(lookup.find(table, invoke::step_value(document, value).as_ref()))
        }
    }
}

/// Returns an element of an array response with the members of its named projection
/// added, the projection winning where both have a member. An element that is no object
/// is replaced by its projection.
fn augment(element: &Value, projection: Value) -> Value {
    match (element, projection) {
        (Value::Object(members), Value::Object(projected)) => {
            let mut augmented = members.clone();
            augmented.extend(projected);
            Value::Object(augmented)
        }
        (_, projection) => projection,
    }
}

/// The parameters of one lookup step.
struct Lookup<'a> {
    key: &'a str,
    fields: &'a [&'a str],
}

impl Lookup<'_> {
    /// Returns the lookup's result. For an array of lookup values, it is every match of
    /// each value in order, so a value without a match adds nothing. For a single value,
    /// it is the first match, or `null` on a miss or when the path selected nothing.
    fn find(&self, table: &[Value], lookup_value: Option<&Value>) -> Value {
        match lookup_value {
            None => Value::Null,
            Some(Value::Array(values)) => Value::Array(
                values
                    .iter()
                    .flat_map(|lookup_value| self.matches(table, lookup_value))
                    .collect(),
            ),
            Some(lookup_value) => self
                .matches(table, lookup_value)
                .next()
                .unwrap_or(Value::Null),
        }
    }

    /// Returns every element of `table` whose key field equals `lookup_value`, with only
    /// the lookup's fields.
    fn matches<'t>(
        &'t self,
        table: &'t [Value],
        lookup_value: &'t Value,
    ) -> impl Iterator<Item = Value> + 't {
        table
            .iter()
            .filter_map(Value::as_object)
            .filter(move |element| {
                element
                    .get(self.key)
                    .is_some_and(|candidate| same_key(candidate, lookup_value))
            })
            .map(|element| self.project(element))
    }

    /// Keeps the lookup's fields of a matching element, or all of them when it names
    /// none. A field the element lacks is left out.
    fn project(&self, element: &Map<String, Value>) -> Value {
        if self.fields.is_empty() {
            return Value::Object(element.clone());
        }
        let selected = self
            .fields
            .iter()
            .filter_map(|field| {
                element
                    .get(*field)
                    .map(|value| ((*field).to_owned(), value.clone()))
            })
            .collect();
        Value::Object(selected)
    }
}

/// Returns whether a key field equals a lookup value. Strings and numbers compare by
/// their text, so `7`, `7.0` and `"7"` are equal. Booleans compare with booleans, and
/// `null`, arrays and objects never match.
fn same_key(candidate: &Value, lookup_value: &Value) -> bool {
    match (candidate, lookup_value) {
        (Value::String(_) | Value::Number(_), Value::String(_) | Value::Number(_)) => {
            value_text(candidate) == value_text(lookup_value)
        }
        (Value::Bool(left), Value::Bool(right)) => left == right,
        _ => false,
    }
}

/// Adds the step's name to the operation an error names, so a caller can tell which of
/// several calls to one operation failed. Input errors keep the parameter's name.
fn name_step(error: CallError, step: &str) -> CallError {
    let with_step = |operation: String| format!("{operation} (step `{step}`)");
    match error {
        CallError::Unreachable { operation, reason } => CallError::Unreachable {
            operation: with_step(operation),
            reason,
        },
        CallError::Timeout { operation } => CallError::Timeout {
            operation: with_step(operation),
        },
        CallError::InvalidResponse { operation, reason } => CallError::InvalidResponse {
            operation: with_step(operation),
            reason,
        },
        CallError::Internal { operation, reason } => CallError::Internal {
            operation: with_step(operation),
            reason,
        },
        other => other,
    }
}

/// Names a step for an error about its output: its operation and name for a call step.
fn source_id(step: &Step) -> String {
    match &step.kind {
        StepKind::Call { call, .. } => {
            format!("{} (step `{}`)", operation_id(call.operation), step.name)
        }
        StepKind::Lookup { .. } => format!("of step `{}`", step.name),
    }
}

/// Lists step names for a message, as `` of steps `a`, `b` ``.
fn step_list<'s>(steps: impl IntoIterator<Item = &'s Step>) -> String {
    let names: Vec<String> = steps
        .into_iter()
        .map(|step| format!("`{}`", step.name))
        .collect();
    format!("of steps {}", names.join(", "))
}

/// Returns the JSON type of a value with its article, for messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crew() -> Vec<Value> {
        let table = json!([
            {"crewId": "C-1", "fullName": "Ann", "role": "captain", "age": 51},
            {"crewId": 7, "fullName": "Bob", "role": "cook"},
            {"crewId": "C-3", "fullName": "Cy"},
            "not an object",
            {"fullName": "no key"},
        ]);
        match table {
            Value::Array(items) => items,
            _ => Vec::new(),
        }
    }

    const LOOKUP: Lookup<'static> = Lookup {
        key: "crewId",
        fields: &["fullName", "role"],
    };

    #[test]
    fn lookup_scalar_hit_and_miss() {
        let table = crew();
        assert_eq!(
            LOOKUP.find(&table, Some(&json!("C-1"))),
            json!({"fullName": "Ann", "role": "captain"})
        );
        assert_eq!(LOOKUP.find(&table, Some(&json!("C-9"))), Value::Null);
        assert_eq!(LOOKUP.find(&table, None), Value::Null);
    }

    #[test]
    fn lookup_number_matches_its_text() {
        let table = crew();
        let bob = json!({"fullName": "Bob", "role": "cook"});
        assert_eq!(LOOKUP.find(&table, Some(&json!("7"))), bob);
        assert_eq!(LOOKUP.find(&table, Some(&json!(7.0))), bob);
    }

    #[test]
    fn lookup_array_skips_misses() {
        let table = crew();
        let found = LOOKUP.find(&table, Some(&json!(["C-3", "nobody", 7])));
        let expected = json!([{"fullName": "Cy"}, {"fullName": "Bob", "role": "cook"}]);
        assert_eq!(found, expected);
    }

    #[test]
    fn lookup_without_fields_keeps_all() {
        let table = crew();
        let lookup = Lookup {
            key: "crewId",
            fields: &[],
        };
        assert_eq!(lookup.find(&table, Some(&json!("C-3"))), table[2]);
    }

    #[test]
    fn augment_keeps_element_members() {
        let element = json!({"imo_number": "IMO-1", "vessel_name": "Aurora", "flag": "NO"});
        let projection = json!({"imo-number": "IMO-1", "flag": "Norway"});
        let expected = json!({
            "imo_number": "IMO-1",
            "vessel_name": "Aurora",
            "imo-number": "IMO-1",
            "flag": "Norway",
        });
        assert_eq!(augment(&element, projection), expected);
    }

    #[test]
    fn augment_replaces_scalar_element() {
        let projection = json!({"imo-number": null});
        assert_eq!(augment(&json!("IMO-1"), projection.clone()), projection);
    }

    #[test]
    fn same_key_table() {
        let cases = [
            (json!("C-1"), json!("C-1"), true),
            (json!(7), json!("7"), true),
            (json!("7"), json!(7), true),
            (json!(7), json!(7.0), true),
            (json!("7.0"), json!(7), false),
            (json!(true), json!(true), true),
            (json!(true), json!("true"), false),
            (Value::Null, Value::Null, false),
            (json!({"a": 1}), json!({"a": 1}), false),
        ];
        for (candidate, lookup_value, expected) in cases {
            assert_eq!(
                same_key(&candidate, &lookup_value),
                expected,
                "{candidate} against {lookup_value}"
            );
        }
    }
}
