//! Resolving orchestrated operations: `steps`, their `with`, and `mappings`.
//!
//! Steps run in declaration order as far as a reader can tell: a step may read only
//! the outputs of steps declared before it, so forward references and cycles are
//! build errors. The outputs form a document `{STEP_NAME: OUTPUT}` that later steps
//! and mappings address with JSONPath (`$.get-ship.assignedCrew`). The mappings fill
//! the result document that the operation's outputs then shape (see `mappings`).

mod mappings;

use super::*;
use mappings::{Placed, top_outputs};

/// What the resolver knows about a step once it is resolved.
struct Known {
    name: String,
    is_call: bool,
    /// The step's output fields, when its projection names them.
    fields: Option<Vec<String>>,
}

impl Resolver<'_> {
    pub(super) fn orchestration(
        &mut self,
        operation: &model::ExposedOperation,
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<Orchestration> {
        if let Some(call) = &operation.call {
            self.diagnostics
                .error(call.pos, "an operation has both `call` and `steps`")
                .hint("put the call in a step of type `call`, or remove `steps`");
            return None;
        }
        let mut known: Vec<Known> = Vec::new();
        let mut steps = Vec::new();
        let mut steps_ok = true;
        for step in &operation.steps {
            match self.step(step, &known, inputs, kind, apis) {
                Some((resolved, info)) => {
                    known.push(info);
                    steps.push(resolved);
                }
                None => steps_ok = false,
            }
        }

        let (mut targets, mut ok) = self.mapping_targets(&operation.mappings, &known, inputs, kind);
        let outputs = &operation.output_parameters;
        let declared = top_outputs(outputs);
        // With a step missing, an output that reads it would be reported as reading an
        // undeclared step.
        if steps_ok {
            ok &= self.root_reads_no_step(outputs, &known);
            if let Some(declared) = &declared {
                match self.output_targets(declared, &known) {
                    Some(found) => targets.extend(found),
                    None => ok = false,
                }
            }
        }

        let mut placed = Vec::new();
        for target in targets {
            if let Some(declared) = &declared {
                ok &= self.check_target(&target, declared);
            }
            ok &= self.place_target(&mut placed, target);
        }
        let mappings = placed.into_iter().map(Placed::into_property).collect();
        (steps_ok && ok).then_some(Orchestration { steps, mappings })
    }

    fn step(
        &mut self,
        step: &model::Step,
        known: &[Known],
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<(Step, Known)> {
        let Some(name) = &step.name else {
            self.diagnostics
                .error(step.pos, "a step has no `name`")
                .hint("name each step; later steps and mappings refer to it by name");
            return None;
        };
        if known.iter().any(|k| k.name == name.value) {
            self.diagnostics
                .error(name.pos, format!("step `{}` is declared twice", name.value))
                .hint("give each step its own name");
            return None;
        }
        let step_kind = match (&step.kind, &step.call) {
            (Some(kind), _) => kind.value.as_str(),
            (None, Some(_)) => "call",
            (None, None) => {
                self.diagnostics
                    .error(step.pos, format!("step `{}` has no `type`", name.value))
                    .hint("use `type: call` or `type: lookup`");
                return None;
            }
        };
        match step_kind {
            "call" => self.call_step(step, name, known, inputs, kind, apis),
            "lookup" => self.lookup_step(step, name, known),
            "script" => {
                let pos = step.kind.as_ref().map_or(step.pos, |k| k.pos);
                self.diagnostics
                    .error(
                        pos,
                        format!("script step `{}` is not supported", name.value),
                    )
                    .hint(
                        "naftiko-rs runs no code from specs; do the work in an upstream API \
                         and call it with a `call` step",
                    );
                None
            }
            other => {
                let pos = step.kind.as_ref().map_or(step.pos, |k| k.pos);
                self.diagnostics
                    .error(pos, format!("unknown step type `{other}`"))
                    .hint("use `call` or `lookup`");
                None
            }
        }
    }

    fn call_step(
        &mut self,
        step: &model::Step,
        name: &Text,
        known: &[Known],
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<(Step, Known)> {
        let Some(call) = &step.call else {
            self.diagnostics
                .error(
                    step.pos,
                    format!("call step `{}` has no `call`", name.value),
                )
                .hint("add `call: NAMESPACE.OPERATION`");
            return None;
        };
        let site = CallSite {
            method: None,
            route_params: None,
            description: None,
            label: None,
        };
        let (api, index) = self.call_target(call, &site, apis)?;
        let target = &apis[api].operations[index];

        let mut arguments: Vec<Argument> =
            target.params.iter().map(|_| Argument::Unbound).collect();
        let mut after = BTreeSet::new();
        for (key, value) in &step.with {
            let Some(param) = find_param(&target.params, &key.value) else {
                let names: Vec<&str> = target.params.iter().map(|p| p.name.as_str()).collect();
                self.diagnostics
                    .error(
                        key.pos,
                        format!(
                            "step `{}` sets `{}`, which `{}` does not take",
                            name.value, key.value, target.name
                        ),
                    )
                    .hint(match closest(&key.value, &names) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => format!("its parameters are: {}", names.join(", ")),
                    });
                return None;
            };
            let path_text = value.as_str().and_then(|text| step_reference(text, known));
            let argument = match path_text {
                Some(text) => {
                    let text = Text {
                        pos: value.pos,
                        value: text.to_string(),
                    };
                    let (path, source) = self.step_path(&text, known)?;
                    after.insert(source);
                    Argument::Step(path)
                }
                None => {
                    let used_by = format!("step `{}` `with.{}`", name.value, key.value);
                    self.argument(value, &target.params[param], inputs, kind, &used_by)?
                }
            };
            arguments[param] = argument;
        }
        for (param_index, param) in target.params.iter().enumerate() {
            if arguments[param_index] != Argument::Unbound || param.value.is_some() {
                continue;
            }
            let found = inputs
                .find(&param.name)
                .or_else(|| inputs.find_normalised(&param.name));
            arguments[param_index] = match found {
                Some(index) => Argument::Input(index),
                None => pass_through(param, target.method, kind, inputs),
            };
        }

        let fields = match &target.projection {
            Output::Named(named) => Some(named.iter().map(|(n, _)| n.clone()).collect()),
            _ => None,
        };
        let resolved = Step {
            name: name.value.clone(),
            kind: StepKind::Call {
                call: Call {
                    api,
                    operation: index,
                    arguments,
                },
                output: target.projection.clone(),
            },
            after: after.into_iter().collect(),
        };
        let info = Known {
            name: name.value.clone(),
            is_call: true,
            fields,
        };
        Some((resolved, info))
    }

    fn lookup_step(
        &mut self,
        step: &model::Step,
        name: &Text,
        known: &[Known],
    ) -> Option<(Step, Known)> {
        let mut missing = Vec::new();
        if step.index.is_none() {
            missing.push("index");
        }
        if step.key.is_none() {
            missing.push("match");
        }
        if step.lookup_value.is_none() {
            missing.push("lookupValue");
        }
        if !missing.is_empty() {
            self.diagnostics
                .error(step.pos, format!("lookup step `{}` has no `{}`", name.value, missing.join("`, `")))
                .hint("a lookup names the call step to search (`index`), the field to compare (`match`) and the value to find (`lookupValue`)");
            return None;
        }
        let (index_text, key, value) = (
            step.index.as_ref()?,
            step.key.as_ref()?,
            step.lookup_value.as_ref()?,
        );

        let index = known
            .iter()
            .position(|k| k.name == index_text.value && k.is_call);
        let Some(index) = index else {
            let calls: Vec<&str> = known
                .iter()
                .filter(|k| k.is_call)
                .map(|k| k.name.as_str())
                .collect();
            self.diagnostics
                .error(
                    index_text.pos,
                    format!(
                        "lookup index `{}` is not an earlier call step",
                        index_text.value
                    ),
                )
                .hint(if calls.is_empty() {
                    "declare the call step whose output is searched before the lookup".to_string()
                } else {
                    format!("earlier call steps: {}", calls.join(", "))
                });
            return None;
        };
        let (path, source) = self.step_path(value, known)?;
        let mut after: Vec<usize> = vec![index, source];
        after.sort_unstable();
        after.dedup();

        let fields: Vec<String> = step.fields.iter().map(|f| f.value.clone()).collect();
        let resolved = Step {
            name: name.value.clone(),
            kind: StepKind::Lookup {
                index,
                key: key.value.clone(),
                value: path,
                fields: fields.clone(),
            },
            after,
        };
        let info = Known {
            name: name.value.clone(),
            is_call: false,
            fields: (!fields.is_empty()).then_some(fields),
        };
        Some((resolved, info))
    }

    /// Parses a JSONPath into the step outputs and returns it with the index of the
    /// step it reads, which must be declared earlier.
    fn step_path(&mut self, text: &Text, known: &[Known]) -> Option<(Vec<PathStep>, usize)> {
        let path = self.json_path(text)?;
        let Some(PathStep::Field(step)) = path.first() else {
            self.diagnostics
                .error(text.pos, format!("`{}` names no step", text.value))
                .hint("start the path with a step name, such as `$.get-ship.name`");
            return None;
        };
        let Some(source) = known.iter().position(|k| &k.name == step) else {
            let names: Vec<&str> = known.iter().map(|k| k.name.as_str()).collect();
            self.diagnostics
                .error(
                    text.pos,
                    format!(
                        "`{}` reads step `{step}`, which is not declared before it",
                        text.value
                    ),
                )
                .hint(match closest(step, &names) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None if names.is_empty() => "no step runs before this one".to_string(),
                    None => format!("earlier steps: {}", names.join(", ")),
                });
            return None;
        };
        if let (Some(fields), Some(PathStep::Field(field))) = (&known[source].fields, path.get(1))
            && !fields.contains(field)
        {
            let names: Vec<&str> = fields.iter().map(String::as_str).collect();
            self.diagnostics
                .error(
                    text.pos,
                    format!("step `{step}` has no output field `{field}`"),
                )
                .hint(match closest(field, &names) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("its fields are: {}", names.join(", ")),
                });
            return None;
        }
        Some((path, source))
    }
}

/// Returns the JSONPath of a `with` value that reads earlier steps: `$.step.field`, or
/// the early form `{{step.field}}` when `step` names an earlier step.
fn step_reference(text: &str, known: &[Known]) -> Option<String> {
    // `$this.NAMESPACE.input` names an input, not a step.
    if text.starts_with('$') && !text.starts_with("$this.") {
        return Some(text.to_string());
    }
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let (step, _) = inner.split_once('.')?;
    known
        .iter()
        .any(|k| k.name == step)
        .then(|| format!("$.{inner}"))
}
