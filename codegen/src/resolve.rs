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

/// Resolves a parsed spec. `name` is the file stem and `spec_file` the path used in
/// messages. Returns `None` when an error was recorded.
pub fn resolve(
    spec: &Spec,
    name: &str,
    spec_file: &str,
    diagnostics: &mut Diagnostics,
) -> Option<Capability> {
    let mut resolver = Resolver {
        diagnostics,
        bind_keys: Vec::new(),
        binds: Vec::new(),
    };
    resolver.bind_keys(spec);
    let apis = resolver.apis(spec);
    let mut rest = Vec::new();
    let mut mcp = Vec::new();
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
        spec_file: spec_file.to_string(),
        label: spec.label.as_ref().map(|t| t.value.clone()),
        description: spec.description.as_ref().map(|t| t.value.clone()),
        binds: resolver.binds,
        apis,
        rest,
        mcp,
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
    env_var: String,
}

struct Resolver<'d> {
    diagnostics: &'d mut Diagnostics,
    bind_keys: Vec<BindKey>,
    binds: Vec<BindVariable>,
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

    fn bind_keys(&mut self, spec: &Spec) {
        for bind in &spec.binds {
            if let Some(location) = &bind.location {
                self.diagnostics
                    .error(
                        location.pos,
                        format!(
                            "bind `{}` reads `{}`; bind locations are not yet supported",
                            bind.namespace.value, location.value
                        ),
                    )
                    .hint(
                        "remove `location` to read each key from the environment variable it names",
                    );
            }
            for (key, env_var) in &bind.keys {
                self.bind_keys.push(BindKey {
                    namespace: bind.namespace.value.clone(),
                    key: key.value.clone(),
                    env_var: env_var.value.clone(),
                });
            }
        }
    }

    /// Returns the index of a bind variable, recording where it is used.
    fn bind(&mut self, reference: &str, pos: Pos, used_by: &str) -> Option<usize> {
        let found = match reference.split_once('.') {
            Some((namespace, key)) => self
                .bind_keys
                .iter()
                .find(|b| b.namespace == namespace && b.key == key),
            None => self.bind_keys.iter().find(|b| b.key == reference),
        };
        let Some(found) = found else {
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
        let (namespace, key, env_var) = (
            found.namespace.clone(),
            found.key.clone(),
            found.env_var.clone(),
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
                    env_var,
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

    fn apis(&mut self, spec: &Spec) -> Vec<Api> {
        let mut namespaces = BTreeSet::new();
        let mut modules = Scope::default();
        let mut apis = Vec::new();
        for consumes in &spec.consumes {
            if !namespaces.insert(consumes.namespace.value.clone()) {
                self.diagnostics
                    .error(
                        consumes.namespace.pos,
                        format!(
                            "consumes namespace `{}` is declared twice",
                            consumes.namespace.value
                        ),
                    )
                    .hint("give each consumed API its own namespace");
            }
            let module = modules.unique(ident::snake_case(&consumes.namespace.value));
            apis.push(self.api(consumes, module));
        }
        apis
    }

    fn api(&mut self, consumes: &model::Consumes, module: String) -> Api {
        let base_uri = self.base_uri(&consumes.base_uri);
        let auth = consumes
            .authentication
            .as_ref()
            .and_then(|auth| self.auth(auth, &consumes.namespace.value));
        let mut names = Scope::default();
        let mut operations = Vec::new();
        for resource in &consumes.resources {
            for operation in &resource.operations {
                let shared = [&consumes.input_parameters, &resource.input_parameters];
                if let Some(op) = self.upstream_operation(resource, operation, &shared, &mut names)
                {
                    operations.push(op);
                }
            }
        }
        Api {
            namespace: consumes.namespace.value.clone(),
            module,
            base_uri,
            description: consumes.description.as_ref().map(|t| t.value.clone()),
            auth,
            operations,
        }
    }

    fn base_uri(&mut self, text: &Text) -> String {
        let value = text.value.trim();
        if !(value.starts_with("http://") || value.starts_with("https://")) {
            self.diagnostics
                .error(
                    text.pos,
                    format!("baseUri `{value}` is not an http:// or https:// URL"),
                )
                .hint("write the API's absolute URL, such as `https://api.example.com`");
        }
        if value.ends_with('/') {
            self.diagnostics
                .warning(
                    text.pos,
                    format!("baseUri `{value}` ends with `/`; the `/` is dropped"),
                )
                .hint("resource paths start with `/`, so the base URI should not end with one");
        }
        value.trim_end_matches('/').to_string()
    }

    fn auth(&mut self, auth: &model::Authentication, namespace: &str) -> Option<Auth> {
        if auth.kind.value != "bearer" {
            self.diagnostics
                .error(
                    auth.kind.pos,
                    format!(
                        "authentication type `{}` is not yet supported",
                        auth.kind.value
                    ),
                )
                .hint("`bearer` is supported");
            return None;
        }
        let Some(token) = &auth.token else {
            self.diagnostics
                .error(auth.pos, "bearer authentication has no `token`")
                .hint("add `token: '{{env.API_TOKEN}}'` with a variable from `binds`");
            return None;
        };
        let used_by = format!("consumes `{namespace}` authentication.token");
        let parts = self.template(token, &used_by, None)?;
        Some(Auth::Bearer(parts))
    }

    /// Splits `{{...}}` placeholders out of a string. Each names a bind variable, or an
    /// input when `inputs` is given and has it.
    fn template(
        &mut self,
        text: &Text,
        used_by: &str,
        mut inputs: Option<(&mut InputSet, AdapterKind<'_>)>,
    ) -> Option<Vec<TemplatePart>> {
        let mut parts = Vec::new();
        let mut rest = text.value.as_str();
        let mut ok = true;
        while let Some(start) = rest.find("{{") {
            let Some(length) = rest[start + 2..].find("}}") else {
                self.diagnostics
                    .error(text.pos, format!("unclosed `{{{{` in `{}`", text.value))
                    .hint("close the placeholder with `}}`");
                return None;
            };
            if start > 0 {
                parts.push(TemplatePart::Literal(rest[..start].to_string()));
            }
            let name = rest[start + 2..start + 2 + length].trim();
            let input = inputs
                .as_mut()
                .and_then(|(set, kind)| input_reference(name, *kind).and_then(|n| set.find(n)));
            match input {
                Some(index) => parts.push(TemplatePart::Input(index)),
                None => match self.bind(name, text.pos, used_by) {
                    Some(index) => parts.push(TemplatePart::Bind(index)),
                    None => ok = false,
                },
            }
            rest = &rest[start + 2 + length + 2..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Literal(rest.to_string()));
        }
        ok.then_some(parts)
    }

    fn upstream_operation(
        &mut self,
        resource: &model::Resource,
        operation: &model::Operation,
        shared: &[&Vec<model::Parameter>],
        names: &mut Scope,
    ) -> Option<UpstreamOperation> {
        let method = self.method(&operation.method);
        self.raw_format(operation);
        let (path, placeholders) = self.path_template(&resource.path);

        // Path parameters come first, in path order, so client methods read like the URL.
        let mut params: Vec<UpstreamParam> = Vec::new();
        for name in &placeholders {
            if !params.iter().any(|p| &p.name == name) {
                params.push(path_param(name));
            }
        }
        let declared = shared
            .iter()
            .flat_map(|list| list.iter())
            .chain(&operation.input_parameters);
        for parameter in declared {
            if let Some(param) = self.upstream_param(parameter, &placeholders) {
                match params.iter_mut().find(|p| p.name == param.name) {
                    Some(existing) => *existing = param,
                    None => params.push(param),
                }
            }
        }
        let mut path_parts = Vec::new();
        for part in path {
            path_parts.push(match part {
                RawPathPart::Literal(text) => PathPart::Literal(text),
                RawPathPart::Placeholder(name) => {
                    let index = match params.iter().position(|p| p.name == name) {
                        Some(index) => index,
                        None => {
                            params.push(path_param(&name));
                            params.len() - 1
                        }
                    };
                    params[index].location = Location::Path;
                    params[index].required = true;
                    PathPart::Param(index)
                }
            });
        }
        let mut arguments = Scope::default();
        for param in &mut params {
            param.rust_name = arguments.unique(ident::snake_case(&param.name));
        }

        let rust_name = format!("{}_{}", resource.name.value, operation.name.value);
        Some(UpstreamOperation {
            resource: resource.name.value.clone(),
            name: operation.name.value.clone(),
            rust_name: names.unique(ident::snake_case(&rust_name)),
            method: method?,
            path_text: resource.path.value.clone(),
            path: path_parts,
            params,
            label: operation.label.as_ref().map(|t| t.value.clone()),
            description: operation.description.as_ref().map(|t| t.value.clone()),
        })
    }

    fn raw_format(&mut self, operation: &model::Operation) {
        if let Some(format) = &operation.output_raw_format
            && format.value != "json"
        {
            self.diagnostics
                .error(
                    format.pos,
                    format!("outputRawFormat `{}` is not yet supported", format.value),
                )
                .hint("`json` is supported");
        }
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

    /// Splits a path at `{name}` and `{{name}}` placeholders.
    fn path_template(&mut self, path: &Text) -> (Vec<RawPathPart>, Vec<String>) {
        match split_path(&path.value) {
            Ok(parts) => {
                let names = parts
                    .iter()
                    .filter_map(|p| match p {
                        RawPathPart::Placeholder(name) => Some(name.clone()),
                        RawPathPart::Literal(_) => None,
                    })
                    .collect();
                (parts, names)
            }
            Err(message) => {
                self.diagnostics
                    .error(
                        path.pos,
                        format!("invalid path `{}`: {message}", path.value),
                    )
                    .hint("write placeholders as `{name}`");
                (Vec::new(), Vec::new())
            }
        }
    }

    fn upstream_param(
        &mut self,
        parameter: &model::Parameter,
        placeholders: &[String],
    ) -> Option<UpstreamParam> {
        let name = parameter.name.value.clone();
        let location = match &parameter.location {
            Some(text) => self.location(text, &name)?,
            None if placeholders.contains(&name) => Location::Path,
            None => Location::Query,
        };
        Some(UpstreamParam {
            rust_name: String::new(),
            location,
            json_type: self.json_type(parameter.json_type.as_ref()),
            required: parameter.required.unwrap_or(location == Location::Path),
            description: parameter.description.as_ref().map(|t| t.value.clone()),
            name,
        })
    }

    fn location(&mut self, text: &Text, name: &str) -> Option<Location> {
        match text.value.as_str() {
            "path" => Some(Location::Path),
            "query" => Some(Location::Query),
            "header" => Some(Location::Header),
            "body" if name == "body" => Some(Location::Body),
            "body" => Some(Location::BodyField),
            "cookie" => {
                self.diagnostics
                    .error(text.pos, "`in: cookie` parameters are not yet supported")
                    .hint("send the value as a header parameter `Cookie` instead");
                None
            }
            other => {
                self.diagnostics
                    .error(
                        text.pos,
                        format!("unknown parameter location `in: {other}`"),
                    )
                    .hint("use path, query, header or body");
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

    fn rest_adapter(&mut self, adapter: &model::RestExpose, apis: &[Api]) -> Option<RestAdapter> {
        let namespace = adapter.namespace.value.as_str();
        let port = self.port(adapter.port, adapter.pos, namespace);
        let kind = AdapterKind {
            is_rest: true,
            namespace,
        };
        let mut operations = Vec::new();
        let mut routes = BTreeSet::new();
        for resource in &adapter.resources {
            let route_params = self.route_params(&resource.path);
            for operation in &resource.operations {
                let op = self.rest_operation(resource, &route_params, operation, kind, apis);
                if let Some(op) = op {
                    if !routes.insert((op.route.clone(), op.method.as_str())) {
                        self.diagnostics
                            .error(
                                operation.pos,
                                format!("{} {} is declared twice", op.method.as_str(), op.route),
                            )
                            .hint("merge the two operations or change one's method");
                    }
                    operations.push(op);
                }
            }
        }
        Some(RestAdapter {
            namespace: namespace.to_string(),
            rust_name: ident::upper_snake_case(namespace),
            address: adapter.address.as_ref().map(|t| t.value.clone()),
            port: port?,
            description: adapter.description.as_ref().map(|t| t.value.clone()),
            operations,
        })
    }

    fn route_params(&mut self, path: &Text) -> Vec<String> {
        if !path.value.starts_with('/') {
            self.diagnostics
                .error(
                    path.pos,
                    format!("route `{}` does not start with `/`", path.value),
                )
                .hint(format!("write `/{}`", path.value));
        }
        let (parts, names) = self.path_template(path);
        let double_braces = path.value.contains("{{");
        if double_braces || parts.is_empty() && !path.value.is_empty() {
            self.diagnostics
                .error(
                    path.pos,
                    format!("route `{}` must use `{{name}}` placeholders", path.value),
                )
                .hint("write route placeholders with single braces");
        }
        for name in &names {
            if name.is_empty() || name.contains(['*', '/']) {
                self.diagnostics
                    .error(
                        path.pos,
                        format!("route placeholder `{{{name}}}` is not a valid name"),
                    )
                    .hint("use letters, digits, `-` and `_`");
            }
        }
        names
    }

    fn rest_operation(
        &mut self,
        resource: &model::RestResource,
        route_params: &[String],
        operation: &model::ExposedOperation,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<RestOperation> {
        let Some(method_text) = &operation.method else {
            self.diagnostics
                .error(operation.pos, "REST operation has no `method`")
                .hint("add `method: GET` or another HTTP method");
            return None;
        };
        let method = self.method(method_text)?;
        let site = CallSite {
            method: Some(method),
            route_params: Some(route_params),
            description: operation.description.as_ref().map(|t| t.value.as_str()),
            label: operation.label.as_ref().map(|t| t.value.as_str()),
        };
        let mut inputs = InputSet::default();
        for name in route_params {
            inputs.add(Input {
                name: name.clone(),
                location: Location::Path,
                json_type: JsonType::String,
                required: true,
                description: None,
            });
        }
        let declared = resource
            .input_parameters
            .iter()
            .chain(&operation.input_parameters);
        self.declared_inputs(declared, &mut inputs, kind, route_params);
        let call = self.call(operation, &site, &mut inputs, kind, apis)?;
        self.single_output(operation);
        Some(RestOperation {
            route: resource.path.value.clone(),
            method,
            name: operation
                .name
                .as_ref()
                .map_or_else(|| method.as_str().to_ascii_lowercase(), |t| t.value.clone()),
            description: operation.description.as_ref().map(|t| t.value.clone()),
            inputs: inputs.items,
            call,
        })
    }

    fn declared_inputs<'p>(
        &mut self,
        declared: impl Iterator<Item = &'p model::Parameter>,
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        route_params: &[String],
    ) {
        for parameter in declared {
            let name = parameter.name.value.clone();
            let location = match &parameter.location {
                Some(text) => match self.location(text, &name) {
                    Some(location) => location,
                    None => continue,
                },
                None if route_params.contains(&name) => Location::Path,
                None => Location::Query,
            };
            if kind.is_rest && location == Location::Path && !route_params.contains(&name) {
                self.diagnostics
                    .error(
                        parameter.pos,
                        format!("path input `{name}` is not a placeholder of the route"),
                    )
                    .hint(format!(
                        "add `{{{name}}}` to the resource path or change `in`"
                    ));
                continue;
            }
            let input = Input {
                json_type: self.json_type(parameter.json_type.as_ref()),
                // The Naftiko schema makes MCP arguments required unless marked optional.
                // REST query and header inputs are optional unless marked required.
                required: location == Location::Path || parameter.required.unwrap_or(!kind.is_rest),
                description: parameter.description.as_ref().map(|t| t.value.clone()),
                location,
                name,
            };
            match inputs.find(&input.name) {
                Some(index) => inputs.items[index] = input,
                None => {
                    inputs.add(input);
                }
            }
        }
    }

    fn single_output(&mut self, operation: &model::ExposedOperation) {
        if operation.output_parameters.len() > 1 {
            self.diagnostics
                .error(
                    operation.output_parameters[1].pos,
                    "several output parameters are not yet supported",
                )
                .hint("map the whole body with a single `mapping: $`");
        }
        for output in &operation.output_parameters {
            if let Some(mapping) = &output.mapping
                && !matches!(mapping.value.trim(), "$" | "$.")
            {
                self.diagnostics
                    .error(
                        mapping.pos,
                        format!("output mapping `{}` is not yet supported", mapping.value),
                    )
                    .hint("`$` (the whole upstream body) is supported");
            }
        }
    }

    fn mcp_adapter(&mut self, adapter: &model::McpExpose, apis: &[Api]) -> Option<McpAdapter> {
        let namespace = adapter.namespace.value.as_str();
        if let Some(transport) = &adapter.transport
            && transport.value != "http"
        {
            self.diagnostics
                .error(
                    transport.pos,
                    format!("MCP transport `{}` is not yet supported", transport.value),
                )
                .hint("use `transport: http` (Streamable HTTP)");
        }
        let port = self.port(adapter.port, adapter.pos, namespace);
        let kind = AdapterKind {
            is_rest: false,
            namespace,
        };
        let mut names = BTreeSet::new();
        let mut tools = Vec::new();
        for tool in &adapter.tools {
            if let Some(tool) = self.tool(tool, &mut names, kind, apis) {
                tools.push(tool);
            }
        }
        Some(McpAdapter {
            namespace: namespace.to_string(),
            rust_name: ident::upper_snake_case(namespace),
            address: adapter.address.as_ref().map(|t| t.value.clone()),
            port: port?,
            description: adapter.description.as_ref().map(|t| t.value.clone()),
            tools,
        })
    }

    fn tool(
        &mut self,
        tool: &model::ExposedOperation,
        names: &mut BTreeSet<String>,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<Tool> {
        let Some(name) = &tool.name else {
            self.diagnostics
                .error(tool.pos, "MCP tool has no `name`")
                .hint("add `name: verb-noun`, for example `list-users`");
            return None;
        };
        self.tool_name(name);
        if !names.insert(name.value.clone()) {
            self.diagnostics
                .error(name.pos, format!("tool `{}` is declared twice", name.value))
                .hint("give each tool its own name");
        }
        let site = CallSite {
            method: None,
            route_params: None,
            description: tool.description.as_ref().map(|t| t.value.as_str()),
            label: tool.label.as_ref().map(|t| t.value.as_str()),
        };
        let mut inputs = InputSet::default();
        self.declared_inputs(tool.input_parameters.iter(), &mut inputs, kind, &[]);
        let call = self.call(tool, &site, &mut inputs, kind, apis)?;
        self.single_output(tool);
        let hints = Hints {
            read_only: tool.hints.read_only,
            destructive: tool.hints.destructive,
            idempotent: tool.hints.idempotent,
            open_world: tool.hints.open_world,
        };
        Some(Tool {
            name: name.value.clone(),
            title: tool.label.as_ref().map(|t| t.value.clone()),
            description: tool.description.as_ref().map(|t| t.value.clone()),
            hints,
            inputs: inputs.items,
            call,
        })
    }

    fn tool_name(&mut self, name: &Text) {
        let valid = name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        let length = name.value.chars().count();
        if !valid || length == 0 || length > 128 {
            self.diagnostics
                .error(
                    name.pos,
                    format!("tool name `{}` is not a valid MCP tool name", name.value),
                )
                .hint("use 1 to 128 characters from A-Z, a-z, 0-9, `_`, `.` and `-`");
        } else if length > 64 {
            self.diagnostics
                .warning(
                    name.pos,
                    format!("tool name `{}` is longer than 64 characters", name.value),
                )
                .hint("several MCP clients cut tool names at 64 characters");
        }
    }

    /// Resolves `call` and binds every parameter of the called operation.
    fn call(
        &mut self,
        operation: &model::ExposedOperation,
        site: &CallSite<'_>,
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<Call> {
        let Some(call) = &operation.call else {
            self.diagnostics
                .error(operation.pos, "exposed operation has no `call`")
                .hint("add `call: NAMESPACE.OPERATION` naming a consumed operation");
            return None;
        };
        let (api, index) = self.call_target(call, site, apis)?;
        let target = &apis[api].operations[index];
        let mut arguments: Vec<Argument> =
            target.params.iter().map(|_| Argument::Unbound).collect();
        for (key, value) in &operation.with {
            let Some(param) = find_param(&target.params, &key.value) else {
                let names: Vec<&str> = target.params.iter().map(|p| p.name.as_str()).collect();
                let hint = match closest(&key.value, &names) {
                    Some(name) => format!("did you mean `{name}`?"),
                    None if names.is_empty() => "the called operation takes no parameters".into(),
                    None => format!("its parameters are: {}", names.join(", ")),
                };
                self.diagnostics
                    .error(
                        key.pos,
                        format!(
                            "`with` sets `{}`, which `{}.{}` does not take",
                            key.value, apis[api].namespace, target.name
                        ),
                    )
                    .hint(hint);
                continue;
            };
            let used_by = format!("`with.{}`", key.value);
            arguments[param] =
                self.argument(value, &target.params[param], inputs, kind, &used_by)?;
        }
        for (param_index, param) in target.params.iter().enumerate() {
            if arguments[param_index] == Argument::Unbound {
                arguments[param_index] = self.implicit_argument(
                    param,
                    param_index,
                    target,
                    inputs,
                    kind,
                    site,
                    operation.pos,
                )?;
            }
        }
        Some(Call {
            api,
            operation: index,
            arguments,
        })
    }

    /// Binds an upstream parameter that `with` leaves unset.
    #[allow(clippy::too_many_arguments)]
    fn implicit_argument(
        &mut self,
        param: &UpstreamParam,
        param_index: usize,
        target: &UpstreamOperation,
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        site: &CallSite<'_>,
        pos: Pos,
    ) -> Option<Argument> {
        if let Some(index) = inputs
            .find(&param.name)
            .or_else(|| inputs.find_normalised(&param.name))
        {
            return Some(Argument::Input(index));
        }
        if kind.is_rest && param.location == Location::Path {
            return self.positional_path_argument(param, param_index, target, inputs, site, pos);
        }
        Some(Argument::Input(inputs.add(input_for(param))))
    }

    /// Falls back to the route parameter at the same position, when both paths have
    /// the same number of parameters.
    fn positional_path_argument(
        &mut self,
        param: &UpstreamParam,
        param_index: usize,
        target: &UpstreamOperation,
        inputs: &InputSet,
        site: &CallSite<'_>,
        pos: Pos,
    ) -> Option<Argument> {
        let upstream_path_params: Vec<usize> = target
            .path
            .iter()
            .filter_map(|p| match p {
                PathPart::Param(i) => Some(*i),
                PathPart::Literal(_) => None,
            })
            .collect();
        let route_params = site.route_params.unwrap_or(&[]);
        let position = upstream_path_params.iter().position(|i| *i == param_index);
        if let Some(position) = position
            && route_params.len() == upstream_path_params.len()
            && let Some(index) = inputs.find(&route_params[position])
        {
            self.diagnostics
                .warning(
                    pos,
                    format!(
                        "upstream path parameter `{}` takes route parameter `{}`, which is at the same position",
                        param.name, route_params[position]
                    ),
                )
                .hint(format!("write `with: {{{}: rest.{}}}` to say so", param.name, route_params[position]));
            return Some(Argument::Input(index));
        }
        self.diagnostics
            .error(
                pos,
                format!(
                    "upstream path parameter `{}` of `{}` gets no value",
                    param.name, target.path_text
                ),
            )
            .hint(format!(
                "add `{{{}}}` to the route, or bind it with `with: {{{}: ...}}`",
                param.name, param.name
            ));
        None
    }

    /// Reads one `with` value: an input reference, a template or a literal.
    fn argument(
        &mut self,
        value: &Node,
        param: &UpstreamParam,
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        used_by: &str,
    ) -> Option<Argument> {
        let Some(text) = value.as_str() else {
            return Some(Argument::Literal(json_text(value)));
        };
        if text.contains("{{") {
            let text = Text {
                pos: value.pos,
                value: text.to_string(),
            };
            let parts = self.template(&text, used_by, Some((inputs, kind)))?;
            return Some(Argument::Template(parts));
        }
        if let Some((prefix, _)) = text.split_once('.')
            && (prefix == "rest" || prefix == "tools")
            && input_reference(text, kind).is_none()
        {
            let (wrong, right) = if kind.is_rest {
                ("tools", "rest")
            } else {
                ("rest", "tools")
            };
            self.diagnostics
                .error(
                    value.pos,
                    format!("`{text}` refers to a {wrong} input, but this is a {right} adapter"),
                )
                .hint(format!("write `{right}.{}`", &text[prefix.len() + 1..]));
            return None;
        }
        if let Some(name) = input_reference(text, kind) {
            let index = match inputs.find(name) {
                Some(index) => index,
                None => inputs.add(Input {
                    name: name.to_string(),
                    ..input_for(param)
                }),
            };
            return Some(Argument::Input(index));
        }
        Some(Argument::Literal(json_string(text)))
    }

    /// Finds the consumed operation that `call` names (see the README's rules).
    fn call_target(
        &mut self,
        call: &Text,
        site: &CallSite<'_>,
        apis: &[Api],
    ) -> Option<(usize, usize)> {
        let found = apis.iter().enumerate().find_map(|(i, api)| {
            let rest = call.value.strip_prefix(api.namespace.as_str())?;
            rest.strip_prefix('.').map(|rest| (i, rest))
        });
        let Some((api_index, rest)) = found else {
            let namespaces: Vec<&str> = apis.iter().map(|a| a.namespace.as_str()).collect();
            self.diagnostics
                .error(
                    call.pos,
                    format!("`call: {}` names no consumed API", call.value),
                )
                .hint(format!(
                    "write NAMESPACE.OPERATION with a namespace from `consumes`: {}",
                    namespaces.join(", ")
                ));
            return None;
        };
        let api = &apis[api_index];
        let (resource, name) = match rest.rsplit_once('.') {
            Some((resource, name)) => (Some(resource), name),
            None => (None, rest),
        };
        let candidates: Vec<usize> = api
            .operations
            .iter()
            .enumerate()
            .filter(|(_, op)| op.name == name && resource.is_none_or(|r| op.resource == r))
            .map(|(i, _)| i)
            .collect();
        match candidates.as_slice() {
            [] => {
                let names: Vec<String> = api
                    .operations
                    .iter()
                    .map(|op| format!("{}.{}", op.resource, op.name))
                    .collect();
                let plain: Vec<&str> = api.operations.iter().map(|op| op.name.as_str()).collect();
                let hint = match closest(name, &plain) {
                    Some(near) => format!("did you mean `{}.{near}`?", api.namespace),
                    None => format!("operations of `{}`: {}", api.namespace, names.join(", ")),
                };
                self.diagnostics
                    .error(
                        call.pos,
                        format!(
                            "`call: {}` names no operation of `{}`",
                            call.value, api.namespace
                        ),
                    )
                    .hint(hint);
                None
            }
            [only] => Some((api_index, *only)),
            _ => self
                .disambiguate(call, site, api, &candidates)
                .map(|index| (api_index, index)),
        }
    }

    fn disambiguate(
        &mut self,
        call: &Text,
        site: &CallSite<'_>,
        api: &Api,
        candidates: &[usize],
    ) -> Option<usize> {
        let ops = &api.operations;
        let mut left: Vec<usize> = candidates.to_vec();
        let mut rule = None;

        if let Some(method) = site.method {
            let same: Vec<usize> = left
                .iter()
                .copied()
                .filter(|i| ops[*i].method == method)
                .collect();
            narrow(
                &mut left,
                same,
                &mut rule,
                "it is the only one with the same HTTP method",
            );
        }
        if left.len() > 1
            && let Some(route_params) = site.route_params
        {
            let expected: BTreeSet<String> = route_params.iter().map(|p| normalise(p)).collect();
            let same: Vec<usize> = left
                .iter()
                .copied()
                .filter(|i| path_param_names(&ops[*i]) == expected)
                .collect();
            narrow(
                &mut left,
                same,
                &mut rule,
                "its path parameters match the route's",
            );
        }
        if left.len() > 1 {
            let texts: Vec<&str> = [site.description, site.label]
                .into_iter()
                .flatten()
                .collect();
            let same: Vec<usize> = left
                .iter()
                .copied()
                .filter(|i| {
                    let op = &ops[*i];
                    [op.description.as_deref(), op.label.as_deref()]
                        .into_iter()
                        .flatten()
                        .any(|t| texts.contains(&t))
                })
                .collect();
            narrow(
                &mut left,
                same,
                &mut rule,
                "its description matches this operation's",
            );
        }

        let describe = |i: usize| {
            let op = &ops[i];
            format!(
                "`{}.{}.{}` ({} {})",
                api.namespace,
                op.resource,
                op.name,
                op.method.as_str(),
                op.path_text
            )
        };
        match (left.as_slice(), rule) {
            ([chosen], Some(rule)) => {
                self.diagnostics
                    .warning(
                        call.pos,
                        format!(
                            "`call: {}` matches {} operations; chose {} because {rule}",
                            call.value,
                            candidates.len(),
                            describe(*chosen)
                        ),
                    )
                    .hint("write NAMESPACE.RESOURCE.OPERATION to pick one explicitly");
                Some(*chosen)
            }
            _ => {
                let listed: Vec<String> = left.iter().map(|i| describe(*i)).collect();
                self.diagnostics
                    .error(
                        call.pos,
                        format!("`call: {}` is ambiguous: {}", call.value, listed.join(", ")),
                    )
                    .hint("write NAMESPACE.RESOURCE.OPERATION to pick one");
                None
            }
        }
    }
}

/// Keeps `same` as the remaining candidates when it is not empty, noting the rule
/// that decided once a single candidate is left.
fn narrow(
    left: &mut Vec<usize>,
    same: Vec<usize>,
    rule: &mut Option<&'static str>,
    reason: &'static str,
) {
    if same.is_empty() || same.len() == left.len() {
        return;
    }
    *left = same;
    if left.len() == 1 {
        *rule = Some(reason);
    }
}

fn path_param_names(op: &UpstreamOperation) -> BTreeSet<String> {
    op.path
        .iter()
        .filter_map(|part| match part {
            PathPart::Param(i) => Some(normalise(&op.params[*i].name)),
            PathPart::Literal(_) => None,
        })
        .collect()
}

/// The inputs of one exposed operation, in the order callers see them.
#[derive(Default)]
struct InputSet {
    items: Vec<Input>,
}

impl InputSet {
    fn find(&self, name: &str) -> Option<usize> {
        self.items.iter().position(|i| i.name == name)
    }

    fn find_normalised(&self, name: &str) -> Option<usize> {
        let name = normalise(name);
        self.items.iter().position(|i| normalise(&i.name) == name)
    }

    fn add(&mut self, input: Input) -> usize {
        self.items.push(input);
        self.items.len() - 1
    }
}

/// The input a consumed parameter turns into when it is passed through.
fn input_for(param: &UpstreamParam) -> Input {
    Input {
        name: param.name.clone(),
        location: param.location,
        json_type: param.json_type,
        required: param.required,
        description: param.description.clone(),
    }
}

fn path_param(name: &str) -> UpstreamParam {
    UpstreamParam {
        name: name.to_string(),
        rust_name: String::new(),
        location: Location::Path,
        json_type: JsonType::String,
        required: true,
        description: None,
    }
}

fn find_param(params: &[UpstreamParam], name: &str) -> Option<usize> {
    params.iter().position(|p| p.name == name).or_else(|| {
        params
            .iter()
            .position(|p| normalise(&p.name) == normalise(name))
    })
}

/// Returns the input name of a reference such as `rest.page`, `tools.page` or
/// `EXPOSE_NAMESPACE.page`, or a bare name inside a template.
fn input_reference<'t>(text: &'t str, kind: AdapterKind<'_>) -> Option<&'t str> {
    let alias = if kind.is_rest { "rest" } else { "tools" };
    text.strip_prefix(alias)
        .or_else(|| text.strip_prefix(kind.namespace))
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|name| !name.is_empty())
}

/// A path split at its placeholders, before parameters are indexed.
enum RawPathPart {
    Literal(String),
    Placeholder(String),
}

fn split_path(path: &str) -> Result<Vec<RawPathPart>, String> {
    let mut parts = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let double = rest[start..].starts_with("{{");
        let (open, close) = if double { (2, "}}") } else { (1, "}") };
        let Some(length) = rest[start + open..].find(close) else {
            return Err("a `{` is never closed".into());
        };
        if start > 0 {
            parts.push(RawPathPart::Literal(rest[..start].to_string()));
        }
        let name = rest[start + open..start + open + length].trim();
        if name.is_empty() || name.contains(['{', '}']) {
            return Err(format!(
                "placeholder `{}` has no usable name",
                &rest[start..start + open + length + close.len()]
            ));
        }
        parts.push(RawPathPart::Placeholder(name.to_string()));
        rest = &rest[start + open + length + close.len()..];
    }
    if rest.contains('}') {
        return Err("a `}` has no matching `{`".into());
    }
    if !rest.is_empty() {
        parts.push(RawPathPart::Literal(rest.to_string()));
    }
    Ok(parts)
}

/// Returns the candidate closest to `name`, when one is close enough to be a typo.
fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (edit_distance(&normalise(name), &normalise(c)), *c))
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders a YAML literal as JSON text.
fn json_text(node: &Node) -> String {
    match &node.value {
        yaml::Value::Null => "null".into(),
        yaml::Value::Bool(flag) => flag.to_string(),
        yaml::Value::Number(yaml::Number::Integer(n)) => n.to_string(),
        yaml::Value::Number(yaml::Number::Float(n)) if n.is_finite() => n.to_string(),
        yaml::Value::Number(yaml::Number::Float(_)) => "null".into(),
        yaml::Value::String(text) => json_string(text),
        yaml::Value::Seq(items) => {
            let items: Vec<String> = items.iter().map(json_text).collect();
            format!("[{}]", items.join(","))
        }
        yaml::Value::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{}:{}", json_string(&key.name), json_text(value)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_folds_case_and_dashes() {
        assert_eq!(normalise("Org-Name"), "org_name");
        assert_eq!(normalise("access_token_id"), "access_token_id");
    }

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(
            closest("get-usr", &["get-user", "list-users"]),
            Some("get-user")
        );
        assert_eq!(closest("delete", &["get", "post"]), None);
    }

    #[test]
    fn split_path_both_brace_styles() {
        let parts = split_path("/a/{x}/b/{{y}}").expect("valid path");
        let names: Vec<String> = parts
            .iter()
            .filter_map(|p| match p {
                RawPathPart::Placeholder(n) => Some(n.clone()),
                RawPathPart::Literal(_) => None,
            })
            .collect();
        assert_eq!(names, ["x", "y"]);
        assert!(split_path("/a/{x").is_err());
        assert!(split_path("/a/x}").is_err());
        assert!(split_path("/a/{}").is_err());
    }

    #[test]
    fn json_text_escapes() {
        assert_eq!(json_string("a\"b\\c\n"), r#""a\"b\\c\n""#);
    }
}
