//! Resolving `consumes`: consumed APIs, their operations, parameters and auth.

use super::*;

impl Resolver<'_> {
    pub(super) fn apis(&mut self, spec: &Spec) -> Vec<Api> {
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
            let forwarded = is_forward_target(spec, &consumes.namespace.value);
            apis.push(self.api(consumes, module, forwarded));
        }
        apis
    }

    /// Resolves one consumed API. `forwarded` is true when a REST resource forwards to it,
    /// because only then are the parameters of forwarded requests resolved.
    pub(super) fn api(
        &mut self,
        consumes: &model::Consumes,
        module: String,
        forwarded: bool,
    ) -> Api {
        let namespace = consumes.namespace.value.as_str();
        self.environment_params(&consumes.input_parameters, namespace);
        for resource in &consumes.resources {
            self.environment_params(&resource.input_parameters, namespace);
        }
        // A base URI such as `{{API_URL}}` comes from bind variables at start-up.
        let (base_uri, base_uri_from) = if consumes.base_uri.value.contains("{{") {
            let used_by = format!("consumes `{namespace}` baseUri");
            (
                String::new(),
                self.template(&consumes.base_uri, &used_by, None),
            )
        } else {
            (self.base_uri(&consumes.base_uri), None)
        };
        let auth = consumes
            .authentication
            .as_ref()
            .and_then(|auth| self.auth(auth, &format!("consumes `{namespace}`")));
        let mut names = Scope::default();
        let mut operations = Vec::new();
        for resource in &consumes.resources {
            for operation in &resource.operations {
                let shared = [&consumes.input_parameters, &resource.input_parameters];
                let op =
                    self.upstream_operation(namespace, resource, operation, &shared, &mut names);
                operations.extend(op);
            }
        }
        // Authentication `headers` go with every request, as fixed header parameters.
        let mut auth_headers = Vec::new();
        if let Some(auth) = &consumes.authentication {
            auth_headers = self.auth_headers(auth, namespace);
        }
        let mut forward_params = Vec::new();
        if forwarded {
            forward_params = self.forward_params(&consumes.input_parameters, namespace);
            forward_params.extend(auth_headers.iter().cloned());
        }
        for op in &mut operations {
            op.params.extend(auth_headers.iter().cloned());
            name_arguments(&mut op.params);
        }
        Api {
            namespace: namespace.to_string(),
            module,
            base_uri,
            base_uri_from,
            description: consumes.description.as_ref().map(|t| t.value.clone()),
            auth,
            operations,
            forward_params,
        }
    }

    /// Returns the API-level parameters that a forwarded request carries: those in a
    /// header, query or cookie whose `value` names only constants and bind variables. A
    /// value that names another parameter needs a call's inputs, which a forward has not.
    fn forward_params(
        &mut self,
        parameters: &[model::Parameter],
        namespace: &str,
    ) -> Vec<UpstreamParam> {
        let mut params = Vec::new();
        for parameter in parameters {
            let Some(text) = parameter.value.as_ref().and_then(scalar_text) else {
                continue;
            };
            let location = match parameter.location.as_ref().map(|l| l.value.as_str()) {
                Some("header") => Location::Header,
                Some("cookie") => Location::Cookie,
                Some("query") | None => Location::Query,
                Some(_) => continue,
            };
            let Ok(pieces) = split_template(&text.value) else {
                continue;
            };
            let binds_only = pieces.iter().all(|piece| match piece {
                Piece::Literal(_) => true,
                Piece::Placeholder(name) => self.names_bind(name),
            });
            if !binds_only {
                continue;
            }
            let used_by = format!(
                "consumes `{namespace}` parameter `{}`",
                parameter.name.value
            );
            let value = self.template_with(&text, &used_by, |_| None);
            params.push(fixed_param(&parameter.name.value, location, value));
        }
        params
    }

    /// Declares `in: environment` parameters, an early way of naming environment
    /// variables, as bind variables that templates can use.
    fn environment_params(&mut self, parameters: &[model::Parameter], namespace: &str) {
        for parameter in parameters {
            let is_environment = parameter
                .location
                .as_ref()
                .is_some_and(|l| l.value == "environment");
            if is_environment {
                self.bind_keys.push(BindKey {
                    namespace: namespace.to_string(),
                    key: parameter.name.value.clone(),
                    source: BindSource::Env(parameter.name.value.clone()),
                });
            }
        }
    }

    pub(super) fn base_uri(&mut self, text: &Text) -> String {
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

    /// Resolves an `authentication` block; `owner` names where it is, such as
    /// ``consumes `github` ``, for messages about missing variables.
    pub(super) fn auth(&mut self, auth: &model::Authentication, owner: &str) -> Option<Auth> {
        let field = |name: &str| format!("{owner} authentication.{name}");
        match auth.kind.value.as_str() {
            "bearer" => {
                let token = self.auth_field(auth, auth.token.as_ref(), "token")?;
                Some(Auth::Bearer(self.template(token, &field("token"), None)?))
            }
            // The catalog uses `oauth2` with a `token` for a client that already holds one.
            "oauth2" if auth.token.is_some() => {
                self.diagnostics
                    .warning(
                        auth.kind.pos,
                        "oauth2 with a `token` is sent as a bearer token",
                    )
                    .hint("write `type: bearer` to say so");
                let token = auth.token.as_ref()?;
                Some(Auth::Bearer(self.template(token, &field("token"), None)?))
            }
            "apikey" => self.api_key(auth, owner),
            "basic" | "digest" => {
                let username = self.auth_field(auth, auth.username.as_ref(), "username")?;
                let username = self.template(username, &field("username"), None)?;
                let password = match &auth.password {
                    Some(password) => self.template(password, &field("password"), None)?,
                    None => Vec::new(),
                };
                Some(if auth.kind.value == "basic" {
                    Auth::Basic { username, password }
                } else {
                    Auth::Digest { username, password }
                })
            }
            other => {
                self.diagnostics
                    .error(
                        auth.kind.pos,
                        format!("authentication type `{other}` is not supported"),
                    )
                    .hint("use bearer, apikey, basic or digest");
                None
            }
        }
    }

    fn auth_field<'t>(
        &mut self,
        auth: &model::Authentication,
        value: Option<&'t Text>,
        name: &str,
    ) -> Option<&'t Text> {
        if value.is_none() {
            self.diagnostics
                .error(
                    auth.pos,
                    format!("{} authentication has no `{name}`", auth.kind.value),
                )
                .hint(if name == "key" {
                    "add `key:` with the header or query parameter name, such as `X-Api-Key`"
                        .to_string()
                } else {
                    format!(
                        "add `{name}:` with a variable from `binds`, such as '{{{{env.SECRET}}}}'"
                    )
                });
        }
        value
    }

    fn api_key(&mut self, auth: &model::Authentication, owner: &str) -> Option<Auth> {
        if !auth.headers.is_empty() && auth.key.is_none() {
            // The catalog's `headers:` map; each becomes a header parameter instead.
            return None;
        }
        let key = self.auth_field(auth, auth.key.as_ref(), "key")?;
        let value = self.auth_field(auth, auth.value.as_ref(), "value")?;
        let used_by = format!("{owner} authentication.value");
        let value = self.template(value, &used_by, None)?;
        let in_query = match auth.placement.as_ref().map(|p| p.value.as_str()) {
            Some("query") => true,
            Some("header") => false,
            None => {
                self.diagnostics
                    .warning(
                        auth.pos,
                        format!(
                            "apikey `{}` has no `placement`; sent as a header",
                            key.value
                        ),
                    )
                    .hint("add `placement: header` or `placement: query`");
                false
            }
            Some(other) => {
                let pos = auth.placement.as_ref().map_or(auth.pos, |p| p.pos);
                self.diagnostics
                    .error(pos, format!("unknown apikey placement `{other}`"))
                    .hint("use `header` or `query`");
                return None;
            }
        };
        Some(Auth::ApiKey {
            name: key.value.clone(),
            value,
            in_query,
        })
    }

    /// Returns the catalog's `headers:` map of an apikey block as header values.
    fn auth_headers(
        &mut self,
        auth: &model::Authentication,
        namespace: &str,
    ) -> Vec<UpstreamParam> {
        let mut headers = Vec::new();
        for (name, value) in &auth.headers {
            let used_by = format!(
                "consumes `{namespace}` authentication.headers.{}",
                name.value
            );
            if let Some(parts) = self.template(value, &used_by, None) {
                headers.push(fixed_param(&name.value, Location::Header, Some(parts)));
            }
        }
        headers
    }

    pub(super) fn upstream_operation(
        &mut self,
        namespace: &str,
        resource: &model::Resource,
        operation: &model::Operation,
        shared: &[&Vec<model::Parameter>],
        names: &mut Scope,
    ) -> Option<UpstreamOperation> {
        let method = self.method(&operation.method);
        let output_format = self.raw_format(operation);
        let path_text = operation.path.as_ref().unwrap_or(&resource.path);
        let (path, placeholders) = self.path_template(&with_leading_slash(path_text));

        // Path parameters come first, in path order, so client methods read like the URL.
        let mut params: Vec<UpstreamParam> = Vec::new();
        for name in &placeholders {
            if !params.iter().any(|p| &p.name == name) {
                params.push(path_param(name));
            }
        }
        let declared: Vec<&model::Parameter> = shared
            .iter()
            .flat_map(|list| list.iter())
            .chain(&operation.input_parameters)
            .filter(|p| p.location.as_ref().is_none_or(|l| l.value != "environment"))
            .collect();
        for parameter in &declared {
            if let Some(param) = self.upstream_param(parameter, &placeholders) {
                match params.iter_mut().find(|p| p.name == param.name) {
                    Some(existing) => *existing = param,
                    None => params.push(param),
                }
            }
        }
        let path_parts = path_parts(path, &mut params);

        let id = format!(
            "{namespace}.{}.{}",
            resource.name.value, operation.name.value
        );
        let body = match &operation.body {
            Some(body) => self.body(body, &id, &mut params),
            None => None,
        };
        for parameter in &declared {
            self.param_value(parameter, &id, &mut params);
        }

        let projection = self.projection(operation);
        let rust_name = format!("{}_{}", resource.name.value, operation.name.value);
        Some(UpstreamOperation {
            resource: resource.name.value.clone(),
            name: operation.name.value.clone(),
            rust_name: names.unique(ident::snake_case(&rust_name)),
            method: method?,
            path_text: path_text.value.clone(),
            path: path_parts,
            params,
            body,
            output_format,
            output_scope: operation.output_schema.as_ref().map(|t| t.value.clone()),
            projection,
            label: operation.label.as_ref().map(|t| t.value.clone()),
            description: operation.description.as_ref().map(|t| t.value.clone()),
        })
    }

    /// Resolves a consumed parameter's `value`: a constant or a template over binds and
    /// the operation's other parameters.
    fn param_value(
        &mut self,
        parameter: &model::Parameter,
        id: &str,
        params: &mut Vec<UpstreamParam>,
    ) {
        let Some(node) = &parameter.value else {
            return;
        };
        // A placeholder that names no parameter or bind variable becomes a parameter
        // of its own, which the exposed side binds like any other.
        self.declare_body_params(node, params);
        let Some(index) = params.iter().position(|p| p.name == parameter.name.value) else {
            return;
        };
        let Some(text) = scalar_text(node) else {
            self.diagnostics
                .error(
                    node.pos,
                    format!(
                        "`value` of `{}` must be a string, number or boolean",
                        parameter.name.value
                    ),
                )
                .hint("write the value as text, such as '2024-01-01'");
            return;
        };
        let used_by = format!("`{id}` parameter `{}`", parameter.name.value);
        let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
        let value = self.template_with(&text, &used_by, |name| {
            let name = strip_adapter_prefix(name);
            names
                .iter()
                .position(|n| n == name)
                .map(TemplatePart::Param)
        });
        params[index].value = value;
    }

    /// Resolves what steps see of the operation's response. Its templates may name
    /// no inputs, since a consumed operation has none.
    fn projection(&mut self, operation: &model::Operation) -> Output {
        let kind = AdapterKind {
            is_rest: false,
            namespace: "",
        };
        let outputs = &operation.output_parameters;
        self.outputs(outputs, operation.pos, &InputSet::default(), kind, true)
            .unwrap_or(Output::Body)
    }

    pub(super) fn raw_format(&mut self, operation: &model::Operation) -> RawFormat {
        let Some(format) = &operation.output_raw_format else {
            return RawFormat::Json;
        };
        match format.value.as_str() {
            "json" => RawFormat::Json,
            "xml" => RawFormat::Xml,
            "yaml" => RawFormat::Yaml,
            "csv" => RawFormat::Csv,
            "tsv" => RawFormat::Tsv,
            "psv" => RawFormat::Psv,
            "html" => RawFormat::Html,
            "markdown" => RawFormat::Markdown,
            "avro" | "protobuf" => {
                self.diagnostics
                    .error(
                        format.pos,
                        format!("outputRawFormat `{}` is not supported", format.value),
                    )
                    .hint("decoding it needs a schema the spec cannot carry; have the API answer JSON");
                RawFormat::Json
            }
            other => {
                self.diagnostics
                    .error(format.pos, format!("unknown outputRawFormat `{other}`"))
                    .hint("use json, xml, yaml, csv, tsv, psv, html or markdown");
                RawFormat::Json
            }
        }
    }

    /// Splits a path at `{name}` and `{{name}}` placeholders.
    pub(super) fn path_template(&mut self, path: &Text) -> (Vec<RawPathPart>, Vec<String>) {
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

    pub(super) fn upstream_param(
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
        // A parameter with a fixed value needs nothing from the caller.
        let has_value = parameter.value.is_some();
        Some(UpstreamParam {
            rust_name: String::new(),
            location,
            json_type: self.json_type(parameter.json_type.as_ref()),
            required: !has_value && parameter.required.unwrap_or(location == Location::Path),
            description: parameter.description.as_ref().map(|t| t.value.clone()),
            value: None,
            name,
        })
    }
}

/// Returns a parameter that callers never give: its value comes from the spec.
fn fixed_param(name: &str, location: Location, value: Option<Vec<TemplatePart>>) -> UpstreamParam {
    UpstreamParam {
        name: name.to_string(),
        rust_name: String::new(),
        location,
        json_type: JsonType::String,
        required: false,
        description: None,
        value,
    }
}

/// Tells whether a REST resource of `spec` forwards to the consumed API `namespace`.
fn is_forward_target(spec: &Spec, namespace: &str) -> bool {
    spec.exposes.iter().any(|expose| match expose {
        model::Expose::Rest(rest) => rest.resources.iter().any(|resource| {
            resource
                .forward
                .as_ref()
                .is_some_and(|forward| forward.target.value == namespace)
        }),
        _ => false,
    })
}

/// Returns a string, number or boolean node as text.
fn scalar_text(node: &yaml::Node) -> Option<Text> {
    let value = match &node.value {
        yaml::Value::String(text) => text.clone(),
        yaml::Value::Number(number) => number.to_string(),
        yaml::Value::Bool(flag) => flag.to_string(),
        _ => return None,
    };
    Some(Text {
        pos: node.pos,
        value,
    })
}

pub(super) fn path_param(name: &str) -> UpstreamParam {
    UpstreamParam {
        name: name.to_string(),
        rust_name: String::new(),
        location: Location::Path,
        json_type: JsonType::String,
        required: true,
        description: None,
        value: None,
    }
}

/// Indexes the path's placeholders into `params`, adding any that is not declared.
fn path_parts(path: Vec<RawPathPart>, params: &mut Vec<UpstreamParam>) -> Vec<PathPart> {
    let mut parts = Vec::new();
    for part in path {
        parts.push(match part {
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
    parts
}

/// Gives each parameter a unique Rust argument name.
fn name_arguments(params: &mut [UpstreamParam]) {
    let mut arguments = Scope::default();
    for param in params {
        param.rust_name = arguments.unique(ident::snake_case(&param.name));
    }
}

/// Returns a resource path that starts with `/`, so that it joins the base URI with
/// exactly one `/`.
fn with_leading_slash(path: &Text) -> Text {
    let mut path = path.clone();
    if !path.value.starts_with('/') {
        path.value.insert(0, '/');
    }
    path
}

/// Drops the catalog's `rest.` or `tools.` in front of a consumed-side placeholder.
pub(super) fn strip_adapter_prefix(name: &str) -> &str {
    name.strip_prefix("rest.")
        .or_else(|| name.strip_prefix("tools."))
        .unwrap_or(name)
}

/// A path split at its placeholders, before parameters are indexed.
pub(super) enum RawPathPart {
    Literal(String),
    Placeholder(String),
}

pub(super) fn split_path(path: &str) -> Result<Vec<RawPathPart>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
