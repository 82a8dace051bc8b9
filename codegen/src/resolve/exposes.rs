//! Resolving `exposes`: REST adapters and MCP tools and their inputs.

use super::*;

impl Resolver<'_> {
    pub(super) fn rest_adapter(
        &mut self,
        adapter: &model::RestExpose,
        apis: &[Api],
    ) -> Option<RestAdapter> {
        let namespace = adapter.namespace.value.as_str();
        let port = self.port(adapter.port, adapter.pos, namespace);
        let auth = self.caller_auth(adapter.authentication.as_ref(), namespace);
        let kind = AdapterKind {
            is_rest: true,
            namespace,
        };
        let mut operations = Vec::new();
        let mut forwards = Vec::new();
        let mut routes = BTreeSet::new();
        for resource in &adapter.resources {
            if let Some(forward) = &resource.forward {
                forwards.extend(self.forward(&resource.path, forward, apis));
                if resource.operations.is_empty() {
                    continue;
                }
            }
            let route_params = self.route_params(&resource.path);
            for operation in &resource.operations {
                let Some(operation) = self.with_reference(operation) else {
                    continue;
                };
                let op = self.rest_operation(resource, &route_params, &operation, kind, apis);
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
            pos: adapter.pos,
            namespace: namespace.to_string(),
            rust_name: ident::upper_snake_case(namespace),
            address: adapter.address.as_ref().map(|t| t.value.clone()),
            port: port?,
            description: adapter.description.as_ref().map(|t| t.value.clone()),
            operations,
            forwards,
            auth: auth?,
        })
    }

    /// Resolves how callers of an adapter must authenticate; `None` on an error.
    #[allow(clippy::option_option)]
    pub(super) fn caller_auth(
        &mut self,
        auth: Option<&model::Authentication>,
        namespace: &str,
    ) -> Option<Option<CallerAuth>> {
        self.adapter_auth(auth, namespace, false)
    }

    /// Resolves how callers of an MCP adapter must authenticate: as [`Self::caller_auth`],
    /// but oauth2 also needs the `resource` that the protected-resource metadata publishes.
    #[allow(clippy::option_option)]
    fn mcp_caller_auth(
        &mut self,
        auth: Option<&model::Authentication>,
        namespace: &str,
    ) -> Option<Option<CallerAuth>> {
        self.adapter_auth(auth, namespace, true)
    }

    #[allow(clippy::option_option)]
    fn adapter_auth(
        &mut self,
        auth: Option<&model::Authentication>,
        namespace: &str,
        mcp: bool,
    ) -> Option<Option<CallerAuth>> {
        let Some(auth) = auth else {
            return Some(None);
        };
        if auth.kind.value == "oauth2" {
            return self.oauth2_caller_auth(auth, namespace, mcp).map(Some);
        }
        let resolved = match self.auth(auth, &format!("exposes `{namespace}`"))? {
            Auth::Bearer(token) => CallerAuth::Bearer(token),
            Auth::ApiKey {
                name,
                value,
                in_query,
            } => CallerAuth::ApiKey {
                name,
                value,
                in_query,
            },
            Auth::Basic { username, password } => CallerAuth::Basic { username, password },
            Auth::Digest { username, password } => CallerAuth::Digest {
                username,
                password,
                realm: namespace.to_string(),
            },
        };
        Some(Some(resolved))
    }

    /// Resolves a resource's `forward`: its route's literal prefix passes every
    /// request below it to the target API.
    fn forward(&mut self, path: &Text, forward: &model::Forward, apis: &[Api]) -> Option<Forward> {
        let Some(api) = apis
            .iter()
            .position(|a| a.namespace == forward.target.value)
        else {
            let names: Vec<&str> = apis.iter().map(|a| a.namespace.as_str()).collect();
            self.diagnostics
                .error(
                    forward.target.pos,
                    format!(
                        "forward target `{}` is not a consumed API",
                        forward.target.value
                    ),
                )
                .hint(match closest(&forward.target.value, &names) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("consumed APIs: {}", names.join(", ")),
                });
            return None;
        };
        let prefix = path.value.split('{').next().unwrap_or_default();
        let route = format!("/{}", prefix.trim_matches('/'));
        if path.value.contains('{') {
            self.diagnostics
                .warning(
                    path.pos,
                    format!(
                        "forward route `{}` passes on everything below `{route}`",
                        path.value
                    ),
                )
                .hint(format!(
                    "write the route as `{route}`; the rest of the path is forwarded"
                ));
        }
        Some(Forward {
            route,
            api,
            trusted_headers: forward
                .trusted_headers
                .iter()
                .map(|h| h.value.to_ascii_lowercase())
                .collect(),
            params: apis[api].forward_params.clone(),
        })
    }

    /// Returns the operation with the fields of the aggregate function its `ref` names;
    /// fields the operation sets itself win.
    pub(super) fn with_reference(
        &mut self,
        operation: &model::ExposedOperation,
    ) -> Option<model::ExposedOperation> {
        let Some(reference) = &operation.reference else {
            return Some(operation.clone());
        };
        let Some((_, function)) = self.functions.iter().find(|(n, _)| *n == reference.value) else {
            let names: Vec<&str> = self.functions.iter().map(|(n, _)| n.as_str()).collect();
            let hint = match closest(&reference.value, &names) {
                Some(near) => format!("did you mean `{near}`?"),
                None if names.is_empty() => {
                    "declare the function under `capability.aggregates`".into()
                }
                None => format!("aggregate functions: {}", names.join(", ")),
            };
            self.diagnostics
                .error(
                    reference.pos,
                    format!("`ref: {}` names no aggregate function", reference.value),
                )
                .hint(hint);
            return None;
        };
        Some(merge(operation, function))
    }

    pub(super) fn route_params(&mut self, path: &Text) -> Vec<String> {
        if !path.value.starts_with('/') {
            self.diagnostics
                .error(
                    path.pos,
                    format!("route `{}` does not start with `/`", path.value),
                )
                .hint(format!("write `/{}`", path.value));
        }
        let (_, names) = self.path_template(path);
        if path.value.contains("{{") {
            self.diagnostics
                .warning(
                    path.pos,
                    format!(
                        "route `{}` is read as `{}`",
                        path.value,
                        single_braces(&path.value)
                    ),
                )
                .hint("write route placeholders with single braces, as OpenAPI does");
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

    pub(super) fn rest_operation(
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
                body_path: None,
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
        let (call, steps) = self.action(operation, &site, &mut inputs, kind, apis)?;
        let has_call = call.is_some() || steps.is_some();
        let output = self.output(operation, &inputs, kind, has_call)?;
        Some(RestOperation {
            pos: operation.pos,
            route: single_braces(&resource.path.value),
            method,
            name: operation
                .name
                .as_ref()
                .map_or_else(|| method.as_str().to_ascii_lowercase(), |t| t.value.clone()),
            description: operation.description.as_ref().map(|t| t.value.clone()),
            inputs: inputs.items,
            call,
            steps,
            output,
        })
    }

    /// Resolves what an operation does: one call, steps, or nothing (a mock).
    pub(super) fn action(
        &mut self,
        operation: &model::ExposedOperation,
        site: &CallSite<'_>,
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<(Option<Call>, Option<Orchestration>)> {
        if operation.steps.is_empty() {
            let call = self.optional_call(operation, site, inputs, kind, apis)?;
            return Some((call, None));
        }
        let steps = self.orchestration(operation, inputs, kind, apis)?;
        Some((None, Some(steps)))
    }

    pub(super) fn declared_inputs<'p>(
        &mut self,
        declared: impl Iterator<Item = &'p model::Parameter>,
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        route_params: &[String],
    ) {
        for parameter in declared {
            let name = parameter.name.value.clone();
            // A REST input's `value: $.path` reads it from the JSON request body.
            let mut body_path = None;
            if let Some(value) = &parameter.value {
                let path = value
                    .as_str()
                    .filter(|v| kind.is_rest && v.starts_with('$'));
                let Some(path) = path else {
                    self.diagnostics
                        .error(
                            value.pos,
                            format!("`value` on exposed input `{name}` must be a JSONPath into the REST request body"),
                        )
                        .hint("write `value: $.field`, or bind the consumed parameter with `with`");
                    continue;
                };
                let text = Text {
                    pos: value.pos,
                    value: path.to_string(),
                };
                match self.json_path(&text) {
                    Some(path) => body_path = Some(path),
                    None => continue,
                }
            }
            let mut location = match &parameter.location {
                Some(text) => match self.location(text, &name) {
                    Some(location) => location,
                    None => continue,
                },
                None if route_params.contains(&name) => Location::Path,
                None => Location::Query,
            };
            // A caller cannot send a path value the route has no place for, so the
            // input is read from the query string instead.
            if kind.is_rest && location == Location::Path && !route_params.contains(&name) {
                self.diagnostics
                    .warning(
                        parameter.pos,
                        format!("path input `{name}` is not a placeholder of the route; it is read from the query string"),
                    )
                    .hint(format!("add `{{{name}}}` to the resource path, or write `in: query`"));
                location = Location::Query;
            }
            if body_path.is_some() {
                location = Location::BodyField;
            }
            let input = Input {
                body_path,
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

    pub(super) fn mcp_adapter(
        &mut self,
        adapter: &model::McpExpose,
        apis: &[Api],
    ) -> Option<McpAdapter> {
        let namespace = adapter.namespace.value.as_str();
        let stdio = match adapter.transport.as_ref().map(|t| (t, t.value.as_str())) {
            // Without a port there is nothing to listen on, so the adapter talks stdio.
            None if adapter.port.is_none() => {
                self.diagnostics
                    .warning(adapter.pos, format!("MCP adapter `{namespace}` has no `port`, so it is served on stdin and stdout"))
                    .hint("add `transport: stdio` to say so, or `port:` to serve Streamable HTTP");
                true
            }
            None | Some((_, "http")) => false,
            Some((_, "stdio")) => true,
            Some((transport, other)) => {
                self.diagnostics
                    .error(transport.pos, format!("unknown MCP transport `{other}`"))
                    .hint("use `http` (Streamable HTTP) or `stdio`");
                return None;
            }
        };
        // A stdio adapter listens on no port unless `serve --stdio` moves another one.
        let port = match (stdio, adapter.port) {
            (true, None) => Some(0),
            _ => self.port(adapter.port, adapter.pos, namespace),
        };
        let auth = self.mcp_caller_auth(adapter.authentication.as_ref(), namespace);
        let kind = AdapterKind {
            is_rest: false,
            namespace,
        };
        let mut names = BTreeSet::new();
        let mut tools = Vec::new();
        for tool in &adapter.tools {
            let Some(tool) = self.with_reference(tool) else {
                continue;
            };
            if let Some(tool) = self.tool(&tool, &mut names, kind, apis) {
                tools.push(tool);
            }
        }
        let mut resources = Vec::new();
        for resource in &adapter.resources {
            resources.extend(self.mcp_resource(resource, kind, apis));
        }
        let prompts = adapter
            .prompts
            .iter()
            .filter_map(|prompt| self.mcp_prompt(prompt))
            .collect();
        Some(McpAdapter {
            pos: adapter.pos,
            namespace: namespace.to_string(),
            rust_name: ident::upper_snake_case(namespace),
            address: adapter.address.as_ref().map(|t| t.value.clone()),
            port: port?,
            stdio,
            description: adapter.description.as_ref().map(|t| t.value.clone()),
            tools,
            auth: auth?,
            resources,
            prompts,
        })
    }

    pub(super) fn tool(
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
        let (call, steps) = self.action(tool, &site, &mut inputs, kind, apis)?;
        let has_call = call.is_some() || steps.is_some();
        let output = self.output(tool, &inputs, kind, has_call)?;
        // Semantics fill in the hints the tool leaves unset: a safe function reads only.
        let safe = tool.semantics.safe;
        let hints = Hints {
            read_only: tool.hints.read_only.or(safe),
            destructive: tool
                .hints
                .destructive
                .or(safe.filter(|s| *s).map(|_| false)),
            idempotent: tool.hints.idempotent.or(tool.semantics.idempotent),
            open_world: tool.hints.open_world,
        };
        Some(Tool {
            pos: name.pos,
            name: name.value.clone(),
            title: tool.label.as_ref().map(|t| t.value.clone()),
            description: tool.description.as_ref().map(|t| t.value.clone()),
            hints,
            inputs: inputs.items,
            call,
            steps,
            output,
        })
    }

    pub(super) fn tool_name(&mut self, name: &Text) {
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
}

/// The inputs of one exposed operation, in the order callers see them.
#[derive(Default)]
pub(super) struct InputSet {
    pub(super) items: Vec<Input>,
}

impl InputSet {
    pub(super) fn find(&self, name: &str) -> Option<usize> {
        self.items.iter().position(|i| i.name == name)
    }

    pub(super) fn find_normalised(&self, name: &str) -> Option<usize> {
        let name = normalise(name);
        self.items.iter().position(|i| normalise(&i.name) == name)
    }

    pub(super) fn add(&mut self, input: Input) -> usize {
        self.items.push(input);
        self.items.len() - 1
    }
}

/// The input a consumed parameter turns into when it is passed through.
pub(super) fn input_for(param: &UpstreamParam) -> Input {
    Input {
        body_path: None,
        name: param.name.clone(),
        location: param.location,
        json_type: param.json_type,
        required: param.required,
        description: param.description.clone(),
    }
}

/// Returns the input name of a reference such as `rest.page`, `tools.page` or
/// `EXPOSE_NAMESPACE.page`, or a bare name inside a template.
pub(super) fn input_reference<'t>(text: &'t str, kind: AdapterKind<'_>) -> Option<&'t str> {
    let alias = if kind.is_rest { "rest" } else { "tools" };
    text.strip_prefix(alias)
        .or_else(|| text.strip_prefix(kind.namespace))
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|name| !name.is_empty())
}

/// Lays the fields an operation sets over those of an aggregate function.
fn merge(
    operation: &model::ExposedOperation,
    function: &model::ExposedOperation,
) -> model::ExposedOperation {
    let mut merged = function.clone();
    merged.pos = operation.pos;
    merged.reference = None;
    merged.name = operation.name.clone().or(merged.name);
    merged.method = operation.method.clone().or(merged.method);
    merged.label = operation.label.clone().or(merged.label);
    merged.description = operation.description.clone().or(merged.description);
    if operation.call.is_some() || !operation.steps.is_empty() {
        merged.call = operation.call.clone();
        merged.steps = operation.steps.clone();
        merged.mappings = operation.mappings.clone();
    }
    if !operation.with.is_empty() {
        merged.with = operation.with.clone();
    }
    if !operation.input_parameters.is_empty() {
        merged.input_parameters = operation.input_parameters.clone();
    }
    if !operation.output_parameters.is_empty() {
        merged.output_parameters = operation.output_parameters.clone();
    }
    let hints = &operation.hints;
    merged.hints.read_only = hints.read_only.or(merged.hints.read_only);
    merged.hints.destructive = hints.destructive.or(merged.hints.destructive);
    merged.hints.idempotent = hints.idempotent.or(merged.hints.idempotent);
    merged.hints.open_world = hints.open_world.or(merged.hints.open_world);
    merged
}

/// Rewrites `{{name}}` placeholders of a route as `{name}`.
fn single_braces(route: &str) -> String {
    route.replace("{{", "{").replace("}}", "}")
}
