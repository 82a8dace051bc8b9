//! The parse stage: a spec file's text to the [`model`](crate::model).
//!
//! Reading is lenient where the meaning is plain: an unknown field is a warning that
//! points at it. A field the schema defines but this compiler does not implement yet is
//! an error, since ignoring it would change what the capability does.

use crate::diagnostic::Diagnostics;
use crate::model::*;
use crate::yaml::{self, Key, Node, Pos, Value};

/// Parses a spec file's text, recording problems in `diagnostics`.
///
/// Returns `None` when the text is not YAML or not a capability at all.
pub fn parse(text: &str, diagnostics: &mut Diagnostics) -> Option<Spec> {
    let root = yaml_root(text, 0, diagnostics)?;
    let mut reader = Reader {
        diagnostics,
        imports: Vec::new(),
    };
    let mut spec = reader.spec(&root)?;
    spec.imports = reader.imports;
    Some(spec)
}

/// Parses a shared consumes file: a top-level `consumes` list, or the
/// `capability.consumes` of another capability. `file` is the index its positions
/// carry in `diagnostics`.
pub fn parse_consumes_file(
    text: &str,
    file: u32,
    diagnostics: &mut Diagnostics,
) -> Option<Vec<Consumes>> {
    let root = yaml_root(text, file, diagnostics)?;
    let mut reader = Reader {
        diagnostics,
        imports: Vec::new(),
    };
    let list = match root.get("capability") {
        Some(capability) => capability.get("consumes"),
        None => root.get("consumes"),
    };
    let Some(list) = list.and_then(Node::as_seq) else {
        reader
            .diagnostics
            .error(root.pos, "the imported file has no `consumes` list")
            .hint("a shared consumes file has a top-level `consumes:` list");
        return None;
    };
    let consumes = list.iter().filter_map(|n| reader.consumes(n)).collect();
    if let Some(nested) = reader.imports.first() {
        reader
            .diagnostics
            .error(
                nested.pos,
                "an imported consumes file cannot import another one",
            )
            .hint("declare the consumed API in place");
    }
    Some(consumes)
}

fn is_file_name(text: &str) -> bool {
    text.ends_with(".yaml") || text.ends_with(".yml")
}

/// Tells whether a node is a list of exactly one entry without a `name`.
fn is_single_unnamed(node: &Node) -> bool {
    matches!(node.as_seq(), Some([only]) if only.get("name").is_none())
}

fn yaml_root(text: &str, file: u32, diagnostics: &mut Diagnostics) -> Option<Node> {
    match yaml::parse_file(text, file) {
        Ok(root) => Some(root),
        Err(error) => {
            diagnostics
                .error(error.pos, format!("invalid YAML: {}", error.message))
                .hint("fix the YAML syntax at this position");
            None
        }
    }
}

/// The fields of one mapping, tracking which ones were read so that the rest can be
/// reported as unknown.
struct Fields<'a> {
    context: &'static str,
    entries: &'a [(Key, Node)],
    read: Vec<bool>,
}

impl<'a> Fields<'a> {
    fn get(&mut self, name: &str) -> Option<&'a Node> {
        let index = self.entries.iter().position(|(key, _)| key.name == name)?;
        self.read[index] = true;
        Some(&self.entries[index].1)
    }

    /// Marks fields as read that carry no meaning for the generated code.
    fn ignore(&mut self, names: &[&str]) {
        for name in names {
            self.get(name);
        }
    }
}

struct Reader<'d> {
    diagnostics: &'d mut Diagnostics,
    imports: Vec<ConsumesImport>,
}

impl Reader<'_> {
    fn fields<'a>(&mut self, node: &'a Node, context: &'static str) -> Option<Fields<'a>> {
        let Some(entries) = node.as_map() else {
            self.diagnostics.error(
                node.pos,
                format!("{context} must be a mapping, found {}", node.kind()),
            );
            return None;
        };
        Some(Fields {
            context,
            entries,
            read: vec![false; entries.len()],
        })
    }

    /// Warns about every field that was not read.
    fn finish(&mut self, fields: Fields<'_>) {
        for ((key, _), read) in fields.entries.iter().zip(fields.read) {
            if !read {
                self.diagnostics
                    .warning(
                        key.pos,
                        format!(
                            "unknown field `{}` in {}, ignored",
                            key.name, fields.context
                        ),
                    )
                    .hint("check the spelling against the Naftiko schema");
            }
        }
    }

    /// Rejects schema fields that this compiler cannot honour yet.
    fn unsupported(&mut self, fields: &mut Fields<'_>, names: &[&str]) {
        for name in names {
            if let Some(node) = fields.get(name) {
                self.diagnostics
                    .error(
                        node.pos,
                        format!("`{name}` in {} is not yet supported", fields.context),
                    )
                    .hint("remove it, or see the README's list of unsupported features");
            }
        }
    }

    fn text(&mut self, fields: &mut Fields<'_>, name: &str) -> Option<Text> {
        let node = fields.get(name)?;
        self.text_of(node, name)
    }

    fn text_of(&mut self, node: &Node, name: &str) -> Option<Text> {
        let value = match &node.value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            Value::Null => return None,
            Value::Seq(_) | Value::Map(_) => {
                self.diagnostics.error(
                    node.pos,
                    format!("`{name}` must be a string, found {}", node.kind()),
                );
                return None;
            }
        };
        Some(Text {
            pos: node.pos,
            value,
        })
    }

    fn required_text(&mut self, fields: &mut Fields<'_>, pos: Pos, name: &str) -> Option<Text> {
        let text = self.text(fields, name);
        if text.is_none() {
            self.diagnostics
                .error(pos, format!("{} has no `{name}`", fields.context))
                .hint(format!("add a `{name}` field"));
        }
        text
    }

    fn flag(&mut self, fields: &mut Fields<'_>, name: &str) -> Option<bool> {
        let node = fields.get(name)?;
        match &node.value {
            Value::Bool(flag) => Some(*flag),
            Value::String(text) if text == "true" || text == "false" => Some(text == "true"),
            Value::Null => None,
            _ => {
                self.diagnostics.error(
                    node.pos,
                    format!("`{name}` must be true or false, found {}", node.kind()),
                );
                None
            }
        }
    }

    fn integer(&mut self, fields: &mut Fields<'_>, name: &str) -> Option<(Pos, i64)> {
        let node = fields.get(name)?;
        let value = match &node.value {
            Value::Number(yaml::Number::Integer(n)) => Some(*n),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        };
        if value.is_none() {
            self.diagnostics.error(
                node.pos,
                format!("`{name}` must be a whole number, found {}", node.kind()),
            );
        }
        value.map(|value| (node.pos, value))
    }

    /// Reads a list field, calling `item` on each entry; a missing field is an empty list.
    fn list<T>(
        &mut self,
        fields: &mut Fields<'_>,
        name: &str,
        mut item: impl FnMut(&mut Self, &Node) -> Option<T>,
    ) -> Vec<T> {
        let Some(node) = fields.get(name) else {
            return Vec::new();
        };
        match &node.value {
            Value::Seq(items) => items.iter().filter_map(|n| item(self, n)).collect(),
            Value::Null => Vec::new(),
            _ => {
                self.diagnostics.error(
                    node.pos,
                    format!("`{name}` must be a list, found {}", node.kind()),
                );
                Vec::new()
            }
        }
    }

    /// Reads a mapping of strings, such as `headers: {X-Key: '{{KEY}}'}`.
    fn text_map(&mut self, fields: &mut Fields<'_>, name: &str) -> Vec<(Text, Text)> {
        let Some(node) = fields.get(name) else {
            return Vec::new();
        };
        let Some(entries) = node.as_map() else {
            self.diagnostics.error(
                node.pos,
                format!("`{name}` must be a mapping, found {}", node.kind()),
            );
            return Vec::new();
        };
        let mut pairs = Vec::new();
        for (key, value) in entries {
            if let Some(value) = self.text_of(value, &key.name) {
                let key = Text {
                    pos: key.pos,
                    value: key.name.clone(),
                };
                pairs.push((key, value));
            }
        }
        pairs
    }

    fn spec(&mut self, root: &Node) -> Option<Spec> {
        let mut fields = self.fields(root, "the spec")?;
        let version = self.text(&mut fields, "naftiko");
        let Some(capability) = fields.get("capability") else {
            self.diagnostics
                .error(root.pos, "not a Naftiko capability: no `capability` field")
                .hint("a capability spec has `naftiko`, `info` and `capability` at the top level");
            return None;
        };
        if version.is_none() {
            self.diagnostics
                .warning(root.pos, "no `naftiko` schema version; read as the latest")
                .hint("add `naftiko: 1.0.0-alpha2` or the version the spec was written for");
        }

        let (label, description) = self.info(&mut fields);
        let binds = self.list(&mut fields, "binds", Self::bind);
        self.finish(fields);

        let mut capability = self.fields(capability, "`capability`")?;
        let consumes = self.list(&mut capability, "consumes", Self::consumes);
        let exposes = self.list(&mut capability, "exposes", Self::expose);
        let aggregates = self.list(&mut capability, "aggregates", Self::aggregate);
        self.finish(capability);

        Some(Spec {
            version,
            label,
            description,
            binds,
            consumes,
            imports: Vec::new(),
            exposes,
            aggregates,
        })
    }

    fn info(&mut self, fields: &mut Fields<'_>) -> (Option<Text>, Option<Text>) {
        let Some(node) = fields.get("info") else {
            return (None, None);
        };
        let Some(mut info) = self.fields(node, "`info`") else {
            return (None, None);
        };
        let label = self.text(&mut info, "label");
        // The catalog writes `title` or `name` where the schema has `label`.
        let title = self.text(&mut info, "title");
        let name = self.text(&mut info, "name");
        let label = label.or(title).or(name);
        let description = self.text(&mut info, "description");
        info.ignore(&["version", "tags", "created", "modified", "stakeholders"]);
        self.finish(info);
        (label, description)
    }

    fn bind(&mut self, node: &Node) -> Option<Bind> {
        let mut fields = self.fields(node, "a `binds` entry")?;
        let namespace = self.required_text(&mut fields, node.pos, "namespace");
        let location = self.text(&mut fields, "location");
        fields.ignore(&["description"]);
        let mut keys = Vec::new();
        if let Some(keys_node) = fields.get("keys")
            && let Some(mut key_fields) = self.fields(keys_node, "`keys`")
        {
            for (key, value) in key_fields.entries {
                if let Some(value) = self.text_of(value, &key.name) {
                    let key = Text {
                        pos: key.pos,
                        value: key.name.clone(),
                    };
                    keys.push((key, value));
                }
            }
            key_fields.read.fill(true);
            self.finish(key_fields);
        }
        self.finish(fields);
        Some(Bind {
            pos: node.pos,
            namespace: namespace?,
            location,
            keys,
        })
    }

    fn consumes(&mut self, node: &Node) -> Option<Consumes> {
        let mut fields = self.fields(node, "a `consumes` entry")?;
        if fields.entries.iter().any(|(key, _)| key.name == "import") {
            self.import(node.pos, &mut fields);
            self.finish(fields);
            return None;
        }
        let kind = self.text(&mut fields, "type");
        if let Some(kind) = &kind
            && kind.value != "http"
        {
            self.diagnostics
                .error(
                    kind.pos,
                    format!("consumes type `{}` is not supported", kind.value),
                )
                .hint("only `type: http` can be consumed");
        }
        let namespace = self.required_text(&mut fields, node.pos, "namespace");
        let base_uri = self.required_text(&mut fields, node.pos, "baseUri");
        let description = self.text(&mut fields, "description");
        let input_parameters = self.list(&mut fields, "inputParameters", Self::parameter);
        let authentication = match fields.get("authentication") {
            Some(auth) => self.authentication(auth),
            None => None,
        };
        let resources = self.list(&mut fields, "resources", Self::resource);
        fields.ignore(&["label", "name"]);
        self.finish(fields);
        Some(Consumes {
            pos: node.pos,
            namespace: namespace?,
            base_uri: base_uri?,
            description,
            input_parameters,
            authentication,
            resources,
        })
    }

    fn import(&mut self, pos: Pos, fields: &mut Fields<'_>) {
        let import = self.required_text(fields, pos, "import");
        let alias = self.text(fields, "as");
        // Schema 0.5 named the file in `import` and the namespace in `as`.
        let location = match (self.text(fields, "location"), &import) {
            (Some(location), _) => Some(location),
            (None, Some(import)) if is_file_name(&import.value) => Some(import.clone()),
            (None, _) => {
                self.diagnostics
                    .error(pos, "a `consumes` import has no `location`")
                    .hint("add `location: ./shared/FILE.yaml`, relative to this spec");
                None
            }
        };
        if let (Some(import), Some(location)) = (import, location) {
            self.imports.push(ConsumesImport {
                pos,
                import,
                location,
                alias,
            });
        }
    }

    fn authentication(&mut self, node: &Node) -> Option<Authentication> {
        let mut fields = self.fields(node, "`authentication`")?;
        let kind = self.required_text(&mut fields, node.pos, "type")?;
        let token = self.text(&mut fields, "token");
        // The catalog also writes an API key OpenAPI's way, as `name` and `in`.
        let key = self.text(&mut fields, "key");
        let key = key.or_else(|| self.text(&mut fields, "name"));
        let value = self.text(&mut fields, "value");
        let placement = self.text(&mut fields, "placement");
        let placement = placement.or_else(|| self.text(&mut fields, "in"));
        let username = self.text(&mut fields, "username");
        let password = self.text(&mut fields, "password");
        let headers = self.text_map(&mut fields, "headers");
        // The reference engine's Java model spells the issuer field `authorizationServerUrl`.
        let issuer = self.text(&mut fields, "authorizationServerUri");
        let issuer = issuer.or_else(|| self.text(&mut fields, "authorizationServerUrl"));
        let resource = self.text(&mut fields, "resource");
        let audience = self.text(&mut fields, "audience");
        let scopes = self.list(&mut fields, "scopes", Self::scope);
        let token_validation = self.text(&mut fields, "tokenValidation");
        let token_endpoint = self.text(&mut fields, "tokenEndpoint");
        fields.ignore(&["description"]);
        self.finish(fields);
        Some(Authentication {
            pos: node.pos,
            kind,
            token,
            key,
            value,
            placement,
            username,
            password,
            headers,
            authorization_server_uri: issuer,
            resource,
            audience,
            scopes,
            token_validation,
            token_endpoint,
        })
    }

    fn scope(&mut self, node: &Node) -> Option<Text> {
        let Some(scope) = node.as_str() else {
            self.diagnostics
                .error(
                    node.pos,
                    format!("a scope must be a string, found {}", node.kind()),
                )
                .hint("list scopes as strings, such as `- stock:read`");
            return None;
        };
        Some(Text {
            pos: node.pos,
            value: scope.to_string(),
        })
    }

    fn resource(&mut self, node: &Node) -> Option<Resource> {
        let mut fields = self.fields(node, "a consumed resource")?;
        let name = self.required_text(&mut fields, node.pos, "name");
        let path = self.required_text(&mut fields, node.pos, "path");
        let input_parameters = self.list(&mut fields, "inputParameters", Self::parameter);
        let operations = self.list(&mut fields, "operations", Self::operation);
        fields.ignore(&["label", "description"]);
        self.finish(fields);
        Some(Resource {
            pos: node.pos,
            name: name?,
            path: path?,
            input_parameters,
            operations,
        })
    }

    fn operation(&mut self, node: &Node) -> Option<Operation> {
        let mut fields = self.fields(node, "a consumed operation")?;
        let name = self.required_text(&mut fields, node.pos, "name");
        let method = self.required_text(&mut fields, node.pos, "method");
        let label = self.text(&mut fields, "label");
        let description = self.text(&mut fields, "description");
        let input_parameters = self.list(&mut fields, "inputParameters", Self::parameter);
        let output_raw_format = self.text(&mut fields, "outputRawFormat");
        let output_schema = self.text(&mut fields, "outputSchema");
        let body = fields.get("body").cloned();
        let path = self.text(&mut fields, "path");
        // The projection of the response that orchestrated steps see; a direct call
        // hands the whole body to the exposed operation's own outputs.
        let output_parameters = self.list(&mut fields, "outputParameters", Self::output_parameter);
        self.finish(fields);
        Some(Operation {
            pos: node.pos,
            name: name?,
            method: method?,
            label,
            description,
            input_parameters,
            output_raw_format,
            output_schema,
            output_parameters,
            body,
            path,
        })
    }

    fn parameter(&mut self, node: &Node) -> Option<Parameter> {
        let mut fields = self.fields(node, "an input parameter")?;
        let name = self.required_text(&mut fields, node.pos, "name");
        let location = self.text(&mut fields, "in");
        let json_type = self.text(&mut fields, "type");
        let description = self.text(&mut fields, "description");
        let required = self.flag(&mut fields, "required");
        let value = fields.get("value").or_else(|| fields.get("const")).cloned();
        fields.ignore(&["label", "example", "format", "default", "enum"]);
        self.finish(fields);
        Some(Parameter {
            pos: node.pos,
            name: name?,
            location,
            json_type,
            description,
            required,
            value,
        })
    }

    fn output_parameter(&mut self, node: &Node) -> Option<OutputParameter> {
        let mut fields = self.fields(node, "an output parameter")?;
        let name = self.text(&mut fields, "name");
        let json_type = self.text(&mut fields, "type");
        let mapping = self.text(&mut fields, "mapping");
        let value = fields.get("value").or_else(|| fields.get("const")).cloned();
        let properties = match fields.get("properties") {
            Some(node) => self.properties(node),
            None => Vec::new(),
        };
        let items = match fields.get("items") {
            // Schema 0.3 wrote the item schema as a list of one unnamed entry.
            Some(node) if is_single_unnamed(node) => node
                .as_seq()
                .and_then(|items| self.output_parameter(&items[0]))
                .map(Box::new),
            // A list of named entries describes the properties of each item.
            Some(node) if node.as_seq().is_some() => Some(Box::new(OutputParameter {
                pos: node.pos,
                name: None,
                json_type: None,
                mapping: None,
                value: None,
                properties: self.properties(node),
                items: None,
            })),
            Some(node) => self.output_parameter(node).map(Box::new),
            None => None,
        };
        fields.ignore(&["description", "label", "required", "targetName", "example"]);
        self.finish(fields);
        Some(OutputParameter {
            pos: node.pos,
            name,
            json_type,
            mapping,
            value,
            properties,
            items,
        })
    }

    /// Reads `properties`: a mapping from names to outputs, or a list of named outputs.
    fn properties(&mut self, node: &Node) -> Vec<(Text, OutputParameter)> {
        let mut properties = Vec::new();
        if let Some(items) = node.as_seq() {
            for item in items {
                let Some(property) = self.output_parameter(item) else {
                    continue;
                };
                match property.name.clone() {
                    Some(name) => properties.push((name, property)),
                    None => {
                        self.diagnostics
                            .error(item.pos, "a property in a list has no `name`")
                            .hint("add `name:` to each property");
                    }
                }
            }
            return properties;
        }
        let Some(mut entries) = self.fields(node, "`properties`") else {
            return properties;
        };
        for (key, value) in entries.entries {
            if let Some(property) = self.output_parameter(value) {
                let key = Text {
                    pos: key.pos,
                    value: key.name.clone(),
                };
                properties.push((key, property));
            }
        }
        entries.read.fill(true);
        self.finish(entries);
        properties
    }

    fn expose(&mut self, node: &Node) -> Option<Expose> {
        let mut fields = self.fields(node, "an `exposes` entry")?;
        let kind = self.required_text(&mut fields, node.pos, "type")?;
        let expose = match kind.value.as_str() {
            "rest" => Expose::Rest(self.rest(node.pos, &mut fields)?),
            // Versions 0.3 and 0.4 of the schema called the REST adapter `api`.
            "api" => {
                self.diagnostics
                    .warning(kind.pos, "exposes type `api` is read as `rest`")
                    .hint("write `type: rest`, its name since schema 0.5");
                Expose::Rest(self.rest(node.pos, &mut fields)?)
            }
            "mcp" => Expose::Mcp(self.mcp(node.pos, &mut fields)?),
            "skill" => Expose::Skill(self.skill_adapter(node.pos, &mut fields)?),
            // The catalog's name for the skill adapter.
            "agent-skill" => {
                self.diagnostics
                    .warning(kind.pos, "exposes type `agent-skill` is read as `skill`")
                    .hint("write `type: skill`");
                Expose::Skill(self.skill_adapter(node.pos, &mut fields)?)
            }
            "control" => Expose::Control(self.control_adapter(node.pos, &mut fields)),
            other => {
                self.diagnostics
                    .error(
                        kind.pos,
                        format!("exposes type `{other}` is not yet supported"),
                    )
                    .hint("`rest` and `mcp` adapters are supported");
                return None;
            }
        };
        self.finish(fields);
        Some(expose)
    }

    fn rest(&mut self, pos: Pos, fields: &mut Fields<'_>) -> Option<RestExpose> {
        let namespace = self.required_text(fields, pos, "namespace");
        let address = self.text(fields, "address");
        let port = self.integer(fields, "port");
        let description = self.text(fields, "description");
        let resources = self.list(fields, "resources", Self::rest_resource);
        let authentication = match fields.get("authentication") {
            Some(auth) => self.authentication(auth),
            None => None,
        };
        fields.ignore(&["label", "name"]);
        Some(RestExpose {
            pos,
            namespace: namespace?,
            address,
            port,
            description,
            resources,
            authentication,
        })
    }

    fn rest_resource(&mut self, node: &Node) -> Option<RestResource> {
        let mut fields = self.fields(node, "a REST resource")?;
        let path = self.required_text(&mut fields, node.pos, "path");
        let input_parameters = self.list(&mut fields, "inputParameters", Self::parameter);
        let operations = self.list(&mut fields, "operations", Self::exposed_operation);
        let forward = match fields.get("forward") {
            Some(forward) => self.forward(forward),
            None => None,
        };
        fields.ignore(&["name", "label", "description"]);
        self.finish(fields);
        Some(RestResource {
            pos: node.pos,
            path: path?,
            input_parameters,
            operations,
            forward,
        })
    }

    fn mcp(&mut self, pos: Pos, fields: &mut Fields<'_>) -> Option<McpExpose> {
        let namespace = self.required_text(fields, pos, "namespace");
        let address = self.text(fields, "address");
        let port = self.integer(fields, "port");
        let transport = self.text(fields, "transport");
        let description = self.text(fields, "description");
        let tools = self.list(fields, "tools", Self::exposed_operation);
        let authentication = match fields.get("authentication") {
            Some(auth) => self.authentication(auth),
            None => None,
        };
        let resources = self.list(fields, "resources", Self::mcp_resource);
        let prompts = self.list(fields, "prompts", Self::mcp_prompt);
        fields.ignore(&["label", "name"]);
        Some(McpExpose {
            pos,
            namespace: namespace?,
            address,
            port,
            transport,
            description,
            tools,
            authentication,
            resources,
            prompts,
        })
    }

    fn exposed_operation(&mut self, node: &Node) -> Option<ExposedOperation> {
        let mut fields = self.fields(node, "an exposed operation")?;
        let operation = self.operation_fields(node.pos, &mut fields);
        self.finish(fields);
        Some(operation)
    }

    /// Reads the fields an exposed operation, tool, resource or aggregate function
    /// has in common.
    fn operation_fields(&mut self, pos: Pos, fields: &mut Fields<'_>) -> ExposedOperation {
        let name = self.text(fields, "name");
        let method = self.text(fields, "method");
        let label = self.text(fields, "label");
        let description = self.text(fields, "description");
        let call = self.text(fields, "call");
        let with = self.with(fields);
        let input_parameters = self.list(fields, "inputParameters", Self::parameter);
        let output_parameters = self.list(fields, "outputParameters", Self::output_parameter);
        let hints = self.hints(fields);
        let steps = self.list(fields, "steps", Self::step);
        let mappings = self.list(fields, "mappings", Self::mapping);
        let reference = self.text(fields, "ref");
        let semantics = self.semantics(fields);
        fields.ignore(&["title"]);
        ExposedOperation {
            pos,
            name,
            method,
            label,
            description,
            call,
            with,
            input_parameters,
            output_parameters,
            hints,
            steps,
            mappings,
            reference,
            semantics,
        }
    }

    fn mcp_resource(&mut self, node: &Node) -> Option<McpResource> {
        let mut fields = self.fields(node, "an MCP resource")?;
        let uri = self.text(&mut fields, "uri");
        let mime_type = self.text(&mut fields, "mimeType");
        let location = self.text(&mut fields, "location");
        let operation = self.operation_fields(node.pos, &mut fields);
        self.finish(fields);
        Some(McpResource {
            operation,
            uri,
            mime_type,
            location,
        })
    }

    fn mcp_prompt(&mut self, node: &Node) -> Option<McpPrompt> {
        let mut fields = self.fields(node, "an MCP prompt")?;
        let name = self.required_text(&mut fields, node.pos, "name");
        let label = self.text(&mut fields, "label");
        let description = self.text(&mut fields, "description");
        let location = self.text(&mut fields, "location");
        let arguments = self.list(&mut fields, "arguments", Self::prompt_argument);
        let messages = self.list(&mut fields, "template", Self::prompt_message);
        self.finish(fields);
        Some(McpPrompt {
            pos: node.pos,
            name: name?,
            label,
            description,
            arguments,
            messages,
            location,
        })
    }

    fn prompt_argument(&mut self, node: &Node) -> Option<(Text, Option<Text>, Option<bool>)> {
        let mut fields = self.fields(node, "a prompt argument")?;
        let name = self.required_text(&mut fields, node.pos, "name");
        let description = self.text(&mut fields, "description");
        let required = self.flag(&mut fields, "required");
        fields.ignore(&["type"]);
        self.finish(fields);
        Some((name?, description, required))
    }

    fn prompt_message(&mut self, node: &Node) -> Option<(Text, Text)> {
        let mut fields = self.fields(node, "a prompt message")?;
        let role = self.required_text(&mut fields, node.pos, "role");
        let content = self.required_text(&mut fields, node.pos, "content");
        self.finish(fields);
        Some((role?, content?))
    }

    fn skill_adapter(&mut self, pos: Pos, fields: &mut Fields<'_>) -> Option<SkillExpose> {
        let namespace = self.required_text(fields, pos, "namespace");
        let address = self.text(fields, "address");
        let port = self.integer(fields, "port");
        let description = self.text(fields, "description");
        let authentication = match fields.get("authentication") {
            Some(auth) => self.authentication(auth),
            None => None,
        };
        let skills = self.list(fields, "skills", Self::skill);
        fields.ignore(&["label", "name"]);
        Some(SkillExpose {
            pos,
            namespace: namespace?,
            address,
            port,
            description,
            authentication,
            skills,
        })
    }

    fn skill(&mut self, node: &Node) -> Option<Skill> {
        let mut fields = self.fields(node, "a skill")?;
        let name = self.required_text(&mut fields, node.pos, "name");
        let description = self.text(&mut fields, "description");
        let location = self.text(&mut fields, "location");
        let allowed_tools = self.text(&mut fields, "allowed-tools");
        let argument_hint = self.text(&mut fields, "argument-hint");
        let tools = self.list(&mut fields, "tools", Self::skill_tool);
        fields.ignore(&["label"]);
        self.finish(fields);
        Some(Skill {
            pos: node.pos,
            name: name?,
            description,
            location,
            allowed_tools,
            argument_hint,
            tools,
        })
    }

    fn skill_tool(&mut self, node: &Node) -> Option<SkillTool> {
        let mut fields = self.fields(node, "a skill tool")?;
        let name = self.required_text(&mut fields, node.pos, "name");
        let description = self.text(&mut fields, "description");
        let instruction = self.text(&mut fields, "instruction");
        let from = match fields.get("from") {
            Some(from) => self.skill_source(from),
            None => None,
        };
        fields.ignore(&["label"]);
        self.unsupported(&mut fields, &["steps", "call"]);
        self.finish(fields);
        Some(SkillTool {
            pos: node.pos,
            name: name?,
            description,
            from,
            instruction,
        })
    }

    fn skill_source(&mut self, node: &Node) -> Option<(Text, Text)> {
        let mut fields = self.fields(node, "`from`")?;
        let namespace = self.required_text(&mut fields, node.pos, "sourceNamespace");
        let action = self.required_text(&mut fields, node.pos, "action");
        self.finish(fields);
        Some((namespace?, action?))
    }

    fn control_adapter(&mut self, pos: Pos, fields: &mut Fields<'_>) -> ControlExpose {
        let namespace = self.text(fields, "namespace");
        let address = self.text(fields, "address");
        let port = self.integer(fields, "port");
        let authentication = match fields.get("authentication") {
            Some(auth) => self.authentication(auth),
            None => None,
        };
        let (mut health, mut info, mut metrics) = (None, None, None);
        if let Some(node) = fields.get("management")
            && let Some(mut management) = self.fields(node, "`management`")
        {
            health = self.flag(&mut management, "health");
            info = self.flag(&mut management, "info");
            metrics = self.flag(&mut management, "metrics");
            self.finish(management);
        }
        // Traces stay in the process log; `observability` settings change nothing here.
        fields.ignore(&["observability", "label", "description"]);
        self.unsupported(fields, &["scripting"]);
        ControlExpose {
            pos,
            namespace,
            address,
            port,
            authentication,
            health,
            info,
            metrics,
        }
    }

    fn step(&mut self, node: &Node) -> Option<Step> {
        let mut fields = self.fields(node, "a step")?;
        let name = self.text(&mut fields, "name");
        let kind = self.text(&mut fields, "type");
        let call = self.text(&mut fields, "call");
        let with = self.with(&mut fields);
        let index = self.text(&mut fields, "index");
        let key = self.text(&mut fields, "match");
        let lookup_value = self.text(&mut fields, "lookupValue");
        let fields_kept = match fields.get("outputParameters") {
            Some(list) => self.field_names(list),
            None => Vec::new(),
        };
        // A script's source and language only matter once scripts can run.
        fields.ignore(&["description", "language", "script", "location", "file"]);
        self.finish(fields);
        Some(Step {
            pos: node.pos,
            name,
            kind,
            call,
            with,
            index,
            key,
            lookup_value,
            fields: fields_kept,
        })
    }

    /// Reads a lookup's `outputParameters`: field names, or entries with a `name`.
    fn field_names(&mut self, node: &Node) -> Vec<Text> {
        let Some(items) = node.as_seq() else {
            self.diagnostics.error(
                node.pos,
                format!("`outputParameters` must be a list, found {}", node.kind()),
            );
            return Vec::new();
        };
        let mut names = Vec::new();
        for item in items {
            let name = item
                .as_str()
                .or_else(|| item.get("name").and_then(Node::as_str));
            match name {
                Some(name) => names.push(Text {
                    pos: item.pos,
                    value: name.to_string(),
                }),
                None => {
                    self.diagnostics
                        .error(item.pos, "a lookup output must be a field name")
                        .hint("list the fields to keep, such as `- fullName`");
                }
            }
        }
        names
    }

    fn mapping(&mut self, node: &Node) -> Option<Mapping> {
        let mut fields = self.fields(node, "a mapping")?;
        let target = self.required_text(&mut fields, node.pos, "targetName");
        let value = fields.get("value").cloned();
        if value.is_none() {
            self.diagnostics
                .error(node.pos, "a mapping has no `value`")
                .hint("add `value: $.STEP.field` naming an earlier step's output");
        }
        fields.ignore(&["description", "type"]);
        self.finish(fields);
        Some(Mapping {
            pos: node.pos,
            target: target?,
            value: value?,
        })
    }

    fn semantics(&mut self, fields: &mut Fields<'_>) -> Semantics {
        let Some(node) = fields.get("semantics") else {
            return Semantics::default();
        };
        let Some(mut entries) = self.fields(node, "`semantics`") else {
            return Semantics::default();
        };
        let semantics = Semantics {
            safe: self.flag(&mut entries, "safe"),
            idempotent: self.flag(&mut entries, "idempotent"),
        };
        entries.ignore(&["cacheable"]);
        self.finish(entries);
        semantics
    }

    fn aggregate(&mut self, node: &Node) -> Option<Aggregate> {
        let mut fields = self.fields(node, "an `aggregates` entry")?;
        let namespace = self.required_text(&mut fields, node.pos, "namespace");
        let functions = self.list(&mut fields, "functions", Self::exposed_operation);
        fields.ignore(&["label", "description"]);
        self.finish(fields);
        Some(Aggregate {
            pos: node.pos,
            namespace: namespace?,
            functions,
        })
    }

    fn forward(&mut self, node: &Node) -> Option<Forward> {
        let mut fields = self.fields(node, "`forward`")?;
        let target = self.required_text(&mut fields, node.pos, "targetNamespace");
        let trusted_headers = match fields.get("trustedHeaders") {
            Some(list) => list
                .as_seq()
                .unwrap_or_default()
                .iter()
                .filter_map(|item| self.text_of(item, "trustedHeaders"))
                .collect(),
            None => Vec::new(),
        };
        self.finish(fields);
        Some(Forward {
            pos: node.pos,
            target: target?,
            trusted_headers,
        })
    }

    fn with(&mut self, fields: &mut Fields<'_>) -> Vec<(Text, Node)> {
        let Some(node) = fields.get("with") else {
            return Vec::new();
        };
        let Some(entries) = node.as_map() else {
            self.diagnostics.error(
                node.pos,
                format!("`with` must be a mapping, found {}", node.kind()),
            );
            return Vec::new();
        };
        entries
            .iter()
            .map(|(key, value)| {
                let key = Text {
                    pos: key.pos,
                    value: key.name.clone(),
                };
                (key, value.clone())
            })
            .collect()
    }

    fn hints(&mut self, fields: &mut Fields<'_>) -> Hints {
        let Some(node) = fields.get("hints") else {
            return Hints::default();
        };
        let Some(mut hints) = self.fields(node, "`hints`") else {
            return Hints::default();
        };
        let result = Hints {
            read_only: self.flag(&mut hints, "readOnly"),
            destructive: self.flag(&mut hints, "destructive"),
            idempotent: self.flag(&mut hints, "idempotent"),
            open_world: self.flag(&mut hints, "openWorld"),
        };
        self.finish(hints);
        result
    }
}
