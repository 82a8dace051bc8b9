//! Resolving `call` and binding each parameter of the called operation.

use super::*;

impl Resolver<'_> {
    /// Resolves `call` when there is one; an operation without one is a mock, whose
    /// outputs are checked by [`Self::output`].
    #[allow(clippy::option_option)]
    pub(super) fn optional_call(
        &mut self,
        operation: &model::ExposedOperation,
        site: &CallSite<'_>,
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<Option<Call>> {
        if operation.call.is_none() {
            return Some(None);
        }
        self.call(operation, site, inputs, kind, apis).map(Some)
    }

    /// Resolves `call` and binds every parameter of the called operation.
    pub(super) fn call(
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
    pub(super) fn implicit_argument(
        &mut self,
        param: &UpstreamParam,
        param_index: usize,
        target: &UpstreamOperation,
        inputs: &mut InputSet,
        kind: AdapterKind<'_>,
        site: &CallSite<'_>,
        pos: Pos,
    ) -> Option<Argument> {
        // A parameter with a fixed `value` is the spec's to set, never the caller's.
        if param.value.is_some() {
            return Some(Argument::Unbound);
        }
        if let Some(index) = inputs
            .find(&param.name)
            .or_else(|| inputs.find_normalised(&param.name))
        {
            return Some(Argument::Input(index));
        }
        if kind.is_rest && param.location == Location::Path {
            return self.positional_path_argument(param, param_index, target, inputs, site, pos);
        }
        Some(pass_through(param, target.method, kind, inputs))
    }

    /// Falls back to the route parameter at the same position, when both paths have
    /// the same number of parameters.
    pub(super) fn positional_path_argument(
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
    pub(super) fn argument(
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
        // Early framework specs write input references as `$this.NAMESPACE.input`.
        let text = text.strip_prefix("$this.").unwrap_or(text);
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
                None => {
                    let mut input = Input {
                        body_path: None,
                        name: name.to_string(),
                        ..input_for(param)
                    };
                    // Route placeholders are declared first, so a new path input would
                    // have no place in the route and no caller could send it.
                    if kind.is_rest && input.location == Location::Path {
                        input.location = Location::Query;
                        self.diagnostics
                            .warning(
                                value.pos,
                                format!(
                                    "REST input `{name}` is not a route placeholder, so callers send it as a query parameter"
                                ),
                            )
                            .hint(format!("add `{{{name}}}` to the route to take it from the path"));
                    }
                    inputs.add(input)
                }
            };
            return Some(Argument::Input(index));
        }
        Some(Argument::Literal(json_string(text)))
    }

    /// Finds the consumed operation that `call` names (see the README's rules).
    pub(super) fn call_target(
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

    pub(super) fn disambiguate(
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
pub(super) fn narrow(
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

pub(super) fn path_param_names(op: &UpstreamOperation) -> BTreeSet<String> {
    op.path
        .iter()
        .filter_map(|part| match part {
            PathPart::Param(i) => Some(normalise(&op.params[*i].name)),
            PathPart::Literal(_) => None,
        })
        .collect()
}

pub(super) fn find_param(params: &[UpstreamParam], name: &str) -> Option<usize> {
    params.iter().position(|p| p.name == name).or_else(|| {
        params
            .iter()
            .position(|p| normalise(&p.name) == normalise(name))
    })
}

/// Declares an input for a consumed parameter that nothing else binds, under the
/// parameter's own name. A parameter that only the body template uses is a JSON body
/// field for REST callers of methods with a body, and a query parameter otherwise.
pub(super) fn pass_through(
    param: &UpstreamParam,
    method: Method,
    kind: AdapterKind<'_>,
    inputs: &mut InputSet,
) -> Argument {
    let mut input = input_for(param);
    if input.location == Location::TemplateOnly {
        let has_body = matches!(method, Method::Post | Method::Put | Method::Patch);
        input.location = if kind.is_rest && has_body {
            Location::BodyField
        } else {
            Location::Query
        };
    }
    Argument::Input(inputs.add(input))
}
