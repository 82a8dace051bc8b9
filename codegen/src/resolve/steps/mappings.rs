//! Resolving the `mappings` of an orchestrated operation into its result document.
//!
//! A dotted target such as `route.from` sets a member of an object, and an output whose
//! own `mapping` or `value` reads a step counts as a mapping to its place. Each target
//! must name an output the operation declares, since the outputs shape the result
//! document and would drop any other member.

use super::*;
use crate::resolve::outputs::step_read;

impl Resolver<'_> {
    /// Resolves the `mappings`, and returns them with whether all of them resolved.
    pub(super) fn mapping_targets(
        &mut self,
        mappings: &[model::Mapping],
        known: &[Known],
        inputs: &InputSet,
        kind: AdapterKind<'_>,
    ) -> (Vec<Target>, bool) {
        let mut targets = Vec::new();
        let mut ok = true;
        for mapping in mappings {
            let segments = self.target_segments(&mapping.target);
            let shape = self.mapping(mapping, known, inputs, kind);
            match (segments, shape) {
                (Some(segments), Some(shape)) => targets.push(Target {
                    text: mapping.target.clone(),
                    segments,
                    shape,
                    from_output: false,
                }),
                _ => ok = false,
            }
        }
        (targets, ok)
    }

    /// Splits a mapping target at its dots. An empty name, as in `route..to`, is an error.
    fn target_segments(&mut self, target: &Text) -> Option<Vec<String>> {
        let segments: Vec<String> = target.value.split('.').map(str::to_string).collect();
        if segments.iter().any(String::is_empty) {
            self.diagnostics
                .error(
                    target.pos,
                    format!("mapping target `{}` has an empty name", target.value),
                )
                .hint("name an output, or a property path such as `route.from`");
            return None;
        }
        Some(segments)
    }

    /// Rejects a single unnamed output that reads a step, because no mapping target
    /// names the whole result document.
    pub(super) fn root_reads_no_step(
        &mut self,
        outputs: &[model::OutputParameter],
        known: &[Known],
    ) -> bool {
        let [only] = outputs else {
            return true;
        };
        if only.name.is_some() {
            return true;
        }
        let names: Vec<String> = known.iter().map(|k| k.name.clone()).collect();
        let Some(text) = step_read(only, &names) else {
            return true;
        };
        self.diagnostics
            .error(
                text.pos,
                format!("the unnamed output reads step output `{}`", text.value),
            )
            .hint(
                "the outputs of an orchestrated operation shape the result of its mappings; \
                 name the output, or map the step output with `mappings`",
            );
        false
    }

    /// Returns a mapping target for each declared output whose own `mapping` or `value`
    /// reads a step.
    pub(super) fn output_targets(
        &mut self,
        declared: &[(Text, model::OutputParameter)],
        known: &[Known],
    ) -> Option<Vec<Target>> {
        let names: Vec<String> = known.iter().map(|k| k.name.clone()).collect();
        let mut found = Vec::new();
        step_reading_outputs(declared, &names, &[], &mut found);
        let mut targets = Vec::new();
        for (segments, text) in found {
            let (path, _) = self.step_path(&text, known)?;
            targets.push(Target {
                text: Text {
                    pos: text.pos,
                    value: segments.join("."),
                },
                segments,
                shape: OutputShape::Value {
                    path,
                    json_type: None,
                },
                from_output: true,
            });
        }
        Some(targets)
    }

    /// Checks that a mapping target names a declared output, and returns whether it
    /// does. An output with a `mapping` or `value` of its own decides what is below it,
    /// so a target that reaches one is accepted.
    pub(super) fn check_target(
        &mut self,
        target: &Target,
        declared: &[(Text, model::OutputParameter)],
    ) -> bool {
        let mut level = declared;
        for (depth, segment) in target.segments.iter().enumerate() {
            let parent = target.segments[..depth].join(".");
            let Some((_, output)) = level.iter().find(|(name, _)| name.value == *segment) else {
                let names: Vec<&str> = level.iter().map(|(name, _)| name.value.as_str()).collect();
                let message = if parent.is_empty() {
                    format!(
                        "mapping target `{}` is not a declared output",
                        target.text.value
                    )
                } else {
                    format!(
                        "mapping target `{}` is not a declared output: `{parent}` has no \
                         property `{segment}`",
                        target.text.value
                    )
                };
                let hint = match closest(segment, &names) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("the declared names there are: {}", names.join(", ")),
                };
                self.diagnostics.error(target.text.pos, message).hint(hint);
                return false;
            };
            let last = depth + 1 == target.segments.len();
            if last || output.mapping.is_some() || output.value.is_some() {
                return true;
            }
            if output.properties.is_empty() {
                let name = target.segments[..=depth].join(".");
                self.member_of_leaf(target, &name, output.items.is_some());
                return false;
            }
            level = &output.properties;
        }
        true
    }

    /// Reports a target below output `name`, which has no properties to set.
    fn member_of_leaf(&mut self, target: &Target, name: &str, is_array: bool) {
        let (shape, hint) = if is_array {
            (
                "an array",
                format!(
                    "map the whole array with `targetName: {name}`; its `items` shape each element"
                ),
            )
        } else {
            (
                "not an object",
                format!("map `{name}` itself, or declare it as an object with `properties`"),
            )
        };
        self.diagnostics
            .error(
                target.text.pos,
                format!(
                    "{} sets a member of output `{name}`, which is {shape}",
                    target.label()
                ),
            )
            .hint(hint);
    }

    /// Adds a target to the tree of mappings, and returns whether it fitted. A target
    /// set twice, or set both whole and by its members, is an error.
    pub(super) fn place_target(&mut self, tree: &mut Vec<Placed>, target: Target) -> bool {
        let Some((leaf, parents)) = target.segments.split_last() else {
            return true;
        };
        let mut level = tree;
        for (depth, segment) in parents.iter().enumerate() {
            let index = match level.iter().position(|placed| placed.name == *segment) {
                Some(index) => index,
                None => {
                    level.push(Placed {
                        name: segment.clone(),
                        node: PlacedNode::Object(Vec::new()),
                    });
                    level.len() - 1
                }
            };
            match &mut level[index].node {
                PlacedNode::Object(members) => level = members,
                PlacedNode::Value(_) => {
                    let whole = target.segments[..=depth].join(".");
                    let message = format!(
                        "{} is inside `{whole}`, which another mapping sets whole",
                        target.label()
                    );
                    self.overlap(&target, message, &whole);
                    return false;
                }
            }
        }
        let message = match level.iter().find(|placed| placed.name == *leaf) {
            None => {
                level.push(Placed {
                    name: leaf.clone(),
                    node: PlacedNode::Value(target.shape.clone()),
                });
                return true;
            }
            Some(Placed {
                node: PlacedNode::Object(_),
                ..
            }) => format!(
                "{} is set whole, while other mappings set its members",
                target.label()
            ),
            Some(Placed {
                node: PlacedNode::Value(_),
                ..
            }) => {
                self.diagnostics
                    .error(target.text.pos, format!("{} is set twice", target.label()))
                    .hint(
                        "keep one of the two; an output whose own `mapping` reads a step \
                         counts as a mapping to that output",
                    );
                return false;
            }
        };
        self.overlap(&target, message, &target.text.value);
        false
    }

    /// Reports a target that overlaps `whole`, which is set both whole and by members.
    fn overlap(&mut self, target: &Target, message: String, whole: &str) {
        self.diagnostics
            .error(target.text.pos, message)
            .hint(format!("map either `{whole}` or its members, not both"));
    }

    /// Resolves the value of one mapping: a JSONPath into the steps document, a template
    /// or a constant.
    fn mapping(
        &mut self,
        mapping: &model::Mapping,
        known: &[Known],
        inputs: &InputSet,
        kind: AdapterKind<'_>,
    ) -> Option<OutputShape> {
        match mapping.value.as_str() {
            Some(text) if text.starts_with('$') => {
                let text = Text {
                    pos: mapping.value.pos,
                    value: text.to_string(),
                };
                let (path, _) = self.step_path(&text, known)?;
                Some(OutputShape::Value {
                    path,
                    json_type: None,
                })
            }
            _ => self.value_shape(&mapping.value, None, inputs, kind),
        }
    }
}

/// A mapping to place in the result document.
pub(super) struct Target {
    /// The target as written, or the output's dotted place, for messages.
    text: Text,
    /// The names from the top of the result document down to the target.
    segments: Vec<String>,
    /// The value, read from the steps document.
    shape: OutputShape,
    /// Whether the target is an output whose own `mapping` or `value` reads a step.
    from_output: bool,
}

impl Target {
    /// Names the target for messages.
    fn label(&self) -> String {
        if self.from_output {
            format!("output `{}`, which reads a step output,", self.text.value)
        } else {
            format!("mapping target `{}`", self.text.value)
        }
    }
}

/// A member of the result document that the mappings build.
pub(super) struct Placed {
    name: String,
    node: PlacedNode,
}

/// The kind of a member of the result document.
enum PlacedNode {
    /// A value that one mapping sets.
    Value(OutputShape),
    /// An object whose members dotted targets set.
    Object(Vec<Placed>),
}

impl Placed {
    /// Converts the member into a named output. An object reads its members from the
    /// steps document itself (an empty path), since their paths start at a step name.
    pub(super) fn into_property(self) -> (String, OutputShape) {
        let shape = match self.node {
            PlacedNode::Value(shape) => shape,
            PlacedNode::Object(members) => OutputShape::Object {
                path: Vec::new(),
                properties: members.into_iter().map(Placed::into_property).collect(),
            },
        };
        (self.name, shape)
    }
}

/// Returns the outputs at the top of the result document by name: the named outputs,
/// or the properties of a single unnamed object. It is `None` when nothing is declared
/// there, or when a single unnamed output reads a node of its own.
pub(super) fn top_outputs(
    outputs: &[model::OutputParameter],
) -> Option<Vec<(Text, model::OutputParameter)>> {
    match outputs {
        [] => None,
        [only] if only.name.is_none() => {
            let reads_node = only.mapping.is_some() || only.value.is_some();
            (!reads_node && !only.properties.is_empty()).then(|| only.properties.clone())
        }
        named => Some(
            named
                .iter()
                .filter_map(|output| Some((output.name.clone()?, output.clone())))
                .collect(),
        ),
    }
}

/// Collects the place and path of each output under `prefix` whose own `mapping` or
/// `value` reads a step. The search follows the properties of outputs that read no node
/// themselves, and never enters `items`, whose paths read each element.
fn step_reading_outputs(
    level: &[(Text, model::OutputParameter)],
    steps: &[String],
    prefix: &[String],
    found: &mut Vec<(Vec<String>, Text)>,
) {
    for (name, output) in level {
        let mut segments = prefix.to_vec();
        segments.push(name.value.clone());
        if let Some(text) = step_read(output, steps) {
            found.push((segments, text));
        } else if output.mapping.is_none() && output.value.is_none() {
            step_reading_outputs(&output.properties, steps, &segments, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A tool whose mappings set `voyageId` and `route.to`, and whose outputs read
    /// `route.from` and `ship` from a step themselves.
    const SPEC: &str = r#"
naftiko: 1.0.0-alpha2
info:
  label: Example
capability:
  consumes:
  - type: http
    namespace: registry
    baseUri: https://api.example.com
    resources:
    - name: voyage
      path: /voyages/{voyageId}
      operations:
      - name: get-voyage
        method: GET
  exposes:
  - type: mcp
    namespace: voyages-mcp
    port: 9090
    tools:
    - name: voyage-manifest
      inputParameters:
      - name: voyageId
        type: string
      steps:
      - name: get-voyage
        type: call
        call: registry.get-voyage
      mappings:
      - targetName: voyageId
        value: $.get-voyage.voyageId
      - targetName: route.to
        value: $.get-voyage.arrivalPort
      outputParameters:
      - name: voyageId
        type: string
      - name: route
        type: object
        properties:
          from:
            type: string
            mapping: $.get-voyage.departurePort
          to:
            type: string
      - name: ship
        type: object
        mapping: $.get-voyage.ship
        properties:
          specs:
            type: object
            properties:
              built:
                type: number
                mapping: $.year_built
"#;

    /// Writes a shape as text: a path as `$.a.b`, an object as `@PATH{name: shape}`.
    fn describe(shape: &OutputShape) -> String {
        let path_text = |path: &[PathStep]| {
            let names: Vec<String> = path
                .iter()
                .map(|step| match step {
                    PathStep::Field(name) => format!(".{name}"),
                    other => format!("{other:?}"),
                })
                .collect();
            format!("${}", names.concat())
        };
        match shape {
            OutputShape::Value { path, .. } => path_text(path),
            OutputShape::Object { path, properties } => {
                let members: Vec<String> = properties
                    .iter()
                    .map(|(name, shape)| format!("{name}: {}", describe(shape)))
                    .collect();
                format!("@{}{{{}}}", path_text(path), members.join(", "))
            }
            other => format!("{other:?}"),
        }
    }

    fn manifest_tool() -> Tool {
        let mut diagnostics = crate::diagnostic::Diagnostics::new("spec.yaml");
        let capability = crate::compile_text(
            SPEC,
            Path::new("spec.yaml"),
            "spec",
            &mut diagnostics,
            &mut Vec::new(),
        );
        let rendered: Vec<String> = diagnostics
            .into_sorted()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(rendered.is_empty(), "{rendered:?}");
        let mut capability = capability.expect("the spec compiles");
        capability.mcp.remove(0).tools.remove(0)
    }

    #[test]
    fn dotted_and_output_targets_nest() {
        let tool = manifest_tool();
        let orchestration = tool.steps.expect("the tool has steps");
        let mappings: Vec<String> = orchestration
            .mappings
            .iter()
            .map(|(name, shape)| format!("{name} = {}", describe(shape)))
            .collect();
        assert_eq!(
            mappings,
            [
                "voyageId = $.get-voyage.voyageId",
                "route = @${to: $.get-voyage.arrivalPort, from: $.get-voyage.departurePort}",
                "ship = $.get-voyage.ship",
            ]
        );
    }

    #[test]
    fn outputs_read_mapped_members() {
        let Output::Named(outputs) = manifest_tool().output else {
            panic!("the tool has named outputs");
        };
        let outputs: Vec<String> = outputs
            .iter()
            .map(|(name, shape)| format!("{name} = {}", describe(shape)))
            .collect();
        // Below `ship`, which reads a step, `specs` keeps its parent's node as in a
        // response.
        assert_eq!(
            outputs,
            [
                "voyageId = $.voyageId",
                "route = @$.route{from: $.from, to: $.to}",
                "ship = @$.ship{specs: @${built: $.year_built}}",
            ]
        );
    }
}
