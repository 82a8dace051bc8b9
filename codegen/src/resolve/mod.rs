//! The resolve stage: the spec model to the [`ir`](crate::ir).
//!
//! Every name, reference and parameter is bound here, and every ambiguity settled,
//! so that the emitted code cannot fail to find anything at run time.

use std::collections::BTreeSet;

use crate::diagnostic::Diagnostics;
use crate::ident::{self, Scope};
use crate::ir::*;
use crate::model::{self, Spec, Text};
use crate::yaml::{self, Node, Pos};

mod adapters;
mod body;
mod call;
mod consumes;
mod exposes;
mod oauth2;
mod outputs;
mod steps;
mod text;

use call::{find_param, pass_through};
use consumes::strip_adapter_prefix;
use exposes::*;
use text::*;

/// Resolves a parsed spec. `name` is the file stem and `spec_file` the path used in
/// messages. Returns `None` when an error was recorded.
pub fn resolve(
    spec: &Spec,
    name: &str,
    spec_file: &std::path::Path,
    diagnostics: &mut Diagnostics,
) -> Option<Capability> {
    let mut resolver = Resolver {
        diagnostics,
        bind_keys: Vec::new(),
        binds: Vec::new(),
        functions: Vec::new(),
        folder: spec_file
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .to_path_buf(),
        files_read: Vec::new(),
    };
    resolver.bind_keys(spec);
    resolver.functions(spec);
    let apis = resolver.apis(spec);
    let mut rest = Vec::new();
    let mut mcp = Vec::new();
    let mut control = Vec::new();
    let mut adapter_names = BTreeSet::new();
    for expose in &spec.exposes {
        match expose {
            model::Expose::Rest(adapter) => {
                resolver.unique_namespace(&mut adapter_names, &adapter.namespace);
                rest.extend(resolver.rest_adapter(adapter, &apis));
            }
            model::Expose::Mcp(adapter) => {
                resolver.unique_namespace(&mut adapter_names, &adapter.namespace);
                mcp.extend(resolver.mcp_adapter(adapter, &apis));
            }
            model::Expose::Skill(adapter) => {
                resolver.unique_namespace(&mut adapter_names, &adapter.namespace);
            }
            model::Expose::Control(adapter) => {
                control.extend(resolver.control_adapter(adapter));
            }
        }
    }
    // Skill tools point at operations and tools, so they resolve once those have.
    let mut skill = Vec::new();
    for expose in &spec.exposes {
        if let model::Expose::Skill(adapter) = expose {
            skill.extend(resolver.skill_adapter(adapter, &rest, &mcp));
        }
    }
    if spec.exposes.is_empty() {
        resolver
            .diagnostics
            .warning(
                Pos::default(),
                "the capability exposes no adapter, so it serves nothing",
            )
            .hint("add a `rest` or `mcp` entry under `capability.exposes`");
    }

    if resolver.diagnostics.has_errors() {
        return None;
    }
    Some(Capability {
        name: name.to_string(),
        module: ident::snake_case(name),
        spec_file: spec_file.display().to_string(),
        label: spec.label.as_ref().map(|t| t.value.clone()),
        description: spec.description.as_ref().map(|t| t.value.clone()),
        binds: resolver.binds,
        apis,
        rest,
        mcp,
        skill,
        control,
        files_read: resolver.files_read,
    })
}

/// Folds a name for loose comparison: lower case, `-` and `_` equal.
pub fn normalise(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// A `binds` key as declared.
struct BindKey {
    namespace: String,
    key: String,
    source: BindSource,
}

struct Resolver<'d> {
    diagnostics: &'d mut Diagnostics,
    bind_keys: Vec<BindKey>,
    binds: Vec<BindVariable>,
    /// Aggregate functions by `NAMESPACE.NAME`, for `ref`.
    functions: Vec<(String, model::ExposedOperation)>,
    /// The spec's folder, which relative `file://` locations start from.
    folder: std::path::PathBuf,
    /// Files read besides the spec.
    files_read: Vec<std::path::PathBuf>,
}

/// The facts about the calling operation that can narrow an ambiguous `call`.
struct CallSite<'a> {
    method: Option<Method>,
    route_params: Option<&'a [String]>,
    description: Option<&'a str>,
    label: Option<&'a str>,
}

/// The adapter an exposed operation belongs to, for references such as `rest.x`.
#[derive(Clone, Copy)]
struct AdapterKind<'a> {
    is_rest: bool,
    namespace: &'a str,
}

impl Resolver<'_> {
    fn unique_namespace(&mut self, seen: &mut BTreeSet<String>, namespace: &Text) {
        if !seen.insert(namespace.value.clone()) {
            self.diagnostics
                .error(
                    namespace.pos,
                    format!(
                        "namespace `{}` is used by two exposes entries",
                        namespace.value
                    ),
                )
                .hint("give each adapter its own namespace");
        }
    }

    /// Collects the aggregate functions that `ref` can name.
    fn functions(&mut self, spec: &Spec) {
        for aggregate in &spec.aggregates {
            for function in &aggregate.functions {
                let Some(name) = &function.name else {
                    self.diagnostics
                        .error(function.pos, "an aggregate function has no `name`")
                        .hint("name it; operations refer to it as `ref: NAMESPACE.NAME`");
                    continue;
                };
                let key = format!("{}.{}", aggregate.namespace.value, name.value);
                if self.functions.iter().any(|(n, _)| *n == key) {
                    self.diagnostics
                        .error(
                            name.pos,
                            format!("aggregate function `{key}` is declared twice"),
                        )
                        .hint("give each function its own name");
                    continue;
                }
                self.functions.push((key, function.clone()));
            }
        }
    }

    fn bind_keys(&mut self, spec: &Spec) {
        for bind in &spec.binds {
            let file = match &bind.location {
                Some(location) => match bind_file(&location.value) {
                    Some(path) => Some(path),
                    None => {
                        self.diagnostics
                            .error(
                                location.pos,
                                format!(
                                    "bind `{}` location `{}` is not a file:// URL",
                                    bind.namespace.value, location.value
                                ),
                            )
                            .hint("write `file:///./secrets.yaml` (relative to the working directory) or `file:///etc/app/secrets.json`");
                        continue;
                    }
                },
                None => None,
            };
            for (key, value) in &bind.keys {
                let source = match &file {
                    Some(path) => BindSource::File {
                        path: path.clone(),
                        key: value.value.clone(),
                    },
                    None => BindSource::Env(value.value.clone()),
                };
                self.bind_keys.push(BindKey {
                    namespace: bind.namespace.value.clone(),
                    key: key.value.clone(),
                    source,
                });
            }
        }
    }

    /// Returns the index of a bind variable, recording where it is used.
    fn bind(&mut self, reference: &str, pos: Pos, used_by: &str) -> Option<usize> {
        let Some(found) = self.find_bind(reference) else {
            let known: Vec<String> = self
                .bind_keys
                .iter()
                .map(|b| format!("{}.{}", b.namespace, b.key))
                .collect();
            let hint = if known.is_empty() {
                "declare it under `binds`".to_string()
            } else {
                format!("declared variables: {}", known.join(", "))
            };
            self.diagnostics
                .error(pos, format!("`{{{{{reference}}}}}` names no bind variable"))
                .hint(hint);
            return None;
        };
        let (namespace, key, source) = (
            found.namespace.clone(),
            found.key.clone(),
            found.source.clone(),
        );
        let index = match self
            .binds
            .iter()
            .position(|b| b.namespace == namespace && b.key == key)
        {
            Some(index) => index,
            None => {
                self.binds.push(BindVariable {
                    namespace,
                    key,
                    source,
                    used_by: Vec::new(),
                });
                self.binds.len() - 1
            }
        };
        let uses = &mut self.binds[index].used_by;
        if !uses.iter().any(|u| u == used_by) {
            uses.push(used_by.to_string());
        }
        Some(index)
    }

    /// Splits `{{...}}` placeholders out of a string. Each names a bind variable, or an
    /// input when `inputs` is given and has it.
    fn template(
        &mut self,
        text: &Text,
        used_by: &str,
        mut inputs: Option<(&mut InputSet, AdapterKind<'_>)>,
    ) -> Option<Vec<TemplatePart>> {
        // Inputs come first, named with or without their adapter prefix; a prefixed
        // name that no input has declares one.
        let binds: Vec<String> = self.bind_keys.iter().map(|b| b.key.clone()).collect();
        self.template_with(text, used_by, |name| {
            let (set, kind) = inputs.as_mut()?;
            let reference = input_reference(name, *kind);
            let bare = reference.unwrap_or(name);
            if let Some(index) = set.find(bare) {
                return Some(TemplatePart::Input(index));
            }
            if reference.is_none() || binds.iter().any(|b| b == bare) {
                return None;
            }
            let index = set.add(Input {
                body_path: None,
                name: bare.to_string(),
                location: Location::Query,
                json_type: JsonType::String,
                required: !kind.is_rest,
                description: None,
            });
            Some(TemplatePart::Input(index))
        })
    }

    /// Returns the bind variable `reference` names, as `KEY` or `NAMESPACE.KEY`.
    fn find_bind(&self, reference: &str) -> Option<&BindKey> {
        match reference.split_once('.') {
            Some((namespace, key)) => self
                .bind_keys
                .iter()
                .find(|b| b.namespace == namespace && b.key == key),
            None => self.bind_keys.iter().find(|b| b.key == reference),
        }
    }

    /// Tells whether `reference` names a bind variable.
    fn names_bind(&self, reference: &str) -> bool {
        self.find_bind(reference).is_some()
    }

    /// Splits `{{...}}` placeholders out of a string, naming each with `lookup` or,
    /// when it returns `None`, as a bind variable.
    fn template_with(
        &mut self,
        text: &Text,
        used_by: &str,
        mut lookup: impl FnMut(&str) -> Option<TemplatePart>,
    ) -> Option<Vec<TemplatePart>> {
        let pieces = match split_template(&text.value) {
            Ok(pieces) => pieces,
            Err(message) => {
                self.diagnostics
                    .error(
                        text.pos,
                        format!("invalid template `{}`: {message}", text.value),
                    )
                    .hint("write placeholders as `{{name}}`");
                return None;
            }
        };
        let mut parts = Vec::new();
        let mut ok = true;
        for piece in pieces {
            match piece {
                Piece::Literal(literal) => parts.push(TemplatePart::Literal(literal)),
                Piece::Placeholder(name) => match lookup(&name) {
                    Some(part) => parts.push(part),
                    None => match self.bind(&name, text.pos, used_by) {
                        Some(index) => parts.push(TemplatePart::Bind(index)),
                        None => ok = false,
                    },
                },
            }
        }
        ok.then_some(parts)
    }

    fn method(&mut self, text: &Text) -> Option<Method> {
        let method = Method::parse(&text.value);
        if method.is_none() {
            let all: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
            self.diagnostics
                .error(text.pos, format!("unknown HTTP method `{}`", text.value))
                .hint(format!("use one of {}", all.join(", ")));
        }
        method
    }

    fn location(&mut self, text: &Text, name: &str) -> Option<Location> {
        match text.value.as_str() {
            "path" => Some(Location::Path),
            "query" => Some(Location::Query),
            "header" => Some(Location::Header),
            "body" if name == "body" => Some(Location::Body),
            "body" => Some(Location::BodyField),
            "cookie" => Some(Location::Cookie),
            other => {
                self.diagnostics
                    .error(
                        text.pos,
                        format!("unknown parameter location `in: {other}`"),
                    )
                    .hint("use path, query, header, cookie or body");
                None
            }
        }
    }

    fn json_type(&mut self, text: Option<&Text>) -> JsonType {
        let Some(text) = text else {
            return JsonType::String;
        };
        match text.value.as_str() {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            other => {
                self.diagnostics
                    .warning(
                        text.pos,
                        format!("unknown type `{other}`, read as `string`"),
                    )
                    .hint("use string, number, integer, boolean, object or array");
                JsonType::String
            }
        }
    }

    fn port(&mut self, port: Option<(Pos, i64)>, pos: Pos, namespace: &str) -> Option<u16> {
        let Some((port_pos, value)) = port else {
            self.diagnostics
                .error(pos, format!("adapter `{namespace}` has no `port`"))
                .hint("add `port: 8080` or another free TCP port");
            return None;
        };
        let port = u16::try_from(value).ok().filter(|p| *p != 0);
        if port.is_none() {
            self.diagnostics
                .error(port_pos, format!("port {value} is not between 1 and 65535"))
                .hint("pick a free TCP port such as 8080");
        }
        port
    }
}

/// Returns the path of a `file://` bind location. `file:///./x` and `file:///../x`
/// are relative to the working directory, as the reference engine reads them.
fn bind_file(location: &str) -> Option<String> {
    let path = location.strip_prefix("file://")?;
    let relative = path
        .strip_prefix('/')
        .filter(|p| p.starts_with("./") || p.starts_with("../"));
    Some(relative.unwrap_or(path).to_string())
}
