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
            apis.push(self.api(consumes, module));
        }
        apis
    }

    pub(super) fn api(&mut self, consumes: &model::Consumes, module: String) -> Api {
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

    pub(super) fn auth(&mut self, auth: &model::Authentication, namespace: &str) -> Option<Auth> {
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

    pub(super) fn upstream_operation(
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

    pub(super) fn raw_format(&mut self, operation: &model::Operation) {
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
        Some(UpstreamParam {
            rust_name: String::new(),
            location,
            json_type: self.json_type(parameter.json_type.as_ref()),
            required: parameter.required.unwrap_or(location == Location::Path),
            description: parameter.description.as_ref().map(|t| t.value.clone()),
            name,
        })
    }
}

pub(super) fn path_param(name: &str) -> UpstreamParam {
    UpstreamParam {
        name: name.to_string(),
        rust_name: String::new(),
        location: Location::Path,
        json_type: JsonType::String,
        required: true,
        description: None,
    }
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
