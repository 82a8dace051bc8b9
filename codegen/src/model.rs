//! The spec model: what a spec file says, field by field, with positions.
//!
//! The parse stage fills it from the YAML tree; the resolve stage reads it and never
//! sees YAML. Names and references are still plain text here.

use crate::yaml::{Node, Pos};

/// A string field and where it was written.
#[derive(Debug, Clone)]
pub struct Text {
    /// Where the value starts.
    pub pos: Pos,
    /// The value.
    pub value: String,
}

/// A whole spec file.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `naftiko`: the schema version.
    pub version: Option<Text>,
    /// `info.label`.
    pub label: Option<Text>,
    /// `info.description`.
    pub description: Option<Text>,
    /// `binds`.
    pub binds: Vec<Bind>,
    /// `capability.consumes` declared in place; imported ones are added after loading.
    pub consumes: Vec<Consumes>,
    /// `capability.consumes` entries that import a shared file.
    pub imports: Vec<ConsumesImport>,
    /// `capability.exposes`.
    pub exposes: Vec<Expose>,
    /// `capability.aggregates`.
    pub aggregates: Vec<Aggregate>,
}

/// A `binds` entry.
#[derive(Debug, Clone)]
pub struct Bind {
    /// Where the entry starts.
    pub pos: Pos,
    /// `namespace`.
    pub namespace: Text,
    /// `location`, when the values come from somewhere other than the environment.
    pub location: Option<Text>,
    /// `keys`: the variable name templates use, and the environment variable it reads.
    pub keys: Vec<(Text, Text)>,
}

/// `import: NAME` + `location: PATH` (+ `as: ALIAS`).
#[derive(Debug, Clone)]
pub struct ConsumesImport {
    /// Where the entry starts.
    pub pos: Pos,
    /// `import`: the namespace to take from the file.
    pub import: Text,
    /// `location`: the file, relative to the importing spec's folder.
    pub location: Text,
    /// `as`: the namespace it is known by here.
    pub alias: Option<Text>,
}

/// A `consumes` entry of type `http`.
#[derive(Debug, Clone)]
pub struct Consumes {
    /// Where the entry starts.
    pub pos: Pos,
    /// `namespace`.
    pub namespace: Text,
    /// `baseUri`.
    pub base_uri: Text,
    /// `description`.
    pub description: Option<Text>,
    /// `inputParameters` shared by every operation.
    pub input_parameters: Vec<Parameter>,
    /// `authentication`.
    pub authentication: Option<Authentication>,
    /// `resources`.
    pub resources: Vec<Resource>,
}

/// `authentication` of a consumed API.
#[derive(Debug, Clone)]
pub struct Authentication {
    /// Where the block starts.
    pub pos: Pos,
    /// `type`.
    pub kind: Text,
    /// `token`, for bearer authentication.
    pub token: Option<Text>,
    /// `key`: the header or query parameter name of an API key.
    pub key: Option<Text>,
    /// `value`: the API key.
    pub value: Option<Text>,
    /// `placement`: `header` or `query`.
    pub placement: Option<Text>,
    /// `username`, for basic and digest authentication.
    pub username: Option<Text>,
    /// `password`, for basic and digest authentication.
    pub password: Option<Text>,
    /// `headers`: the catalog's API keys as a map of header names to values.
    pub headers: Vec<(Text, Text)>,
    /// `authorizationServerUri`: the issuer of the access tokens an oauth2 adapter accepts.
    pub authorization_server_uri: Option<Text>,
    /// `resource`: the adapter's own resource identifier, for oauth2.
    pub resource: Option<Text>,
    /// `audience`: the `aud` value that oauth2 access tokens must contain.
    pub audience: Option<Text>,
    /// `scopes`: the scopes that oauth2 access tokens must grant.
    pub scopes: Vec<Text>,
    /// `tokenValidation`: `jwks` or `introspection`.
    pub token_validation: Option<Text>,
    /// `tokenEndpoint`: where clients obtain tokens, which a resource server does not use.
    pub token_endpoint: Option<Text>,
}

/// A resource of a consumed API.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Where the entry starts.
    pub pos: Pos,
    /// `name`.
    pub name: Text,
    /// `path`.
    pub path: Text,
    /// `inputParameters` shared by the resource's operations.
    pub input_parameters: Vec<Parameter>,
    /// `operations`.
    pub operations: Vec<Operation>,
}

/// An operation of a consumed resource.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Where the entry starts.
    pub pos: Pos,
    /// `name`.
    pub name: Text,
    /// `method`.
    pub method: Text,
    /// `label`.
    pub label: Option<Text>,
    /// `description`.
    pub description: Option<Text>,
    /// `inputParameters`.
    pub input_parameters: Vec<Parameter>,
    /// `outputRawFormat`.
    pub output_raw_format: Option<Text>,
    /// `outputSchema`: which part of an HTML response to read.
    pub output_schema: Option<Text>,
    /// `outputParameters`: the projection of the response that steps see.
    pub output_parameters: Vec<OutputParameter>,
    /// `body`: a request body template.
    pub body: Option<Node>,
    /// `path`: the catalog's per-operation path, replacing the resource's.
    pub path: Option<Text>,
}

/// An `inputParameters` entry, consumed or exposed.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Where the entry starts.
    pub pos: Pos,
    /// `name`.
    pub name: Text,
    /// `in`.
    pub location: Option<Text>,
    /// `type`.
    pub json_type: Option<Text>,
    /// `description`.
    pub description: Option<Text>,
    /// `required`.
    pub required: Option<bool>,
    /// `value` (or `const`): a fixed value or template.
    pub value: Option<Node>,
}

/// An `outputParameters` entry of an exposed operation or tool, or one of its
/// nested `properties` or `items`.
#[derive(Debug, Clone)]
pub struct OutputParameter {
    /// Where the entry starts.
    pub pos: Pos,
    /// `name`.
    pub name: Option<Text>,
    /// `type`.
    pub json_type: Option<Text>,
    /// `mapping`: a JSONPath into the upstream body.
    pub mapping: Option<Text>,
    /// `value`: a constant, a `{{...}}` template, or (in the catalog) a JSONPath.
    pub value: Option<Node>,
    /// `properties`, by name, for objects.
    pub properties: Vec<(Text, OutputParameter)>,
    /// `items`, for arrays.
    pub items: Option<Box<OutputParameter>>,
}

/// An `exposes` entry.
#[derive(Debug, Clone)]
pub enum Expose {
    /// `type: rest`.
    Rest(RestExpose),
    /// `type: mcp`.
    Mcp(McpExpose),
    /// `type: skill`.
    Skill(SkillExpose),
    /// `type: control`.
    Control(ControlExpose),
}

/// A skill adapter: a catalog of agent skills.
#[derive(Debug, Clone)]
pub struct SkillExpose {
    /// Where the entry starts.
    pub pos: Pos,
    /// `namespace`.
    pub namespace: Text,
    /// `address`.
    pub address: Option<Text>,
    /// `port`.
    pub port: Option<(Pos, i64)>,
    /// `description`.
    pub description: Option<Text>,
    /// `authentication`.
    pub authentication: Option<Authentication>,
    /// `skills`.
    pub skills: Vec<Skill>,
}

/// A skill of a skill adapter.
#[derive(Debug, Clone)]
pub struct Skill {
    /// Where the entry starts.
    pub pos: Pos,
    /// `name`.
    pub name: Text,
    /// `description`.
    pub description: Option<Text>,
    /// `location`: a `file://` folder whose files belong to the skill.
    pub location: Option<Text>,
    /// `allowed-tools`.
    pub allowed_tools: Option<Text>,
    /// `argument-hint`.
    pub argument_hint: Option<Text>,
    /// `tools`.
    pub tools: Vec<SkillTool>,
}

/// A tool of a skill.
#[derive(Debug, Clone)]
pub struct SkillTool {
    /// Where the entry starts.
    pub pos: Pos,
    /// `name`.
    pub name: Text,
    /// `description`.
    pub description: Option<Text>,
    /// `from`: the adapter namespace and the operation or tool it points at.
    pub from: Option<(Text, Text)>,
    /// `instruction`: a file of the skill's folder.
    pub instruction: Option<Text>,
}

/// A control adapter: health, metrics and status endpoints.
#[derive(Debug, Clone)]
pub struct ControlExpose {
    /// Where the entry starts.
    pub pos: Pos,
    /// `namespace`.
    pub namespace: Option<Text>,
    /// `address`.
    pub address: Option<Text>,
    /// `port`.
    pub port: Option<(Pos, i64)>,
    /// `authentication`.
    pub authentication: Option<Authentication>,
    /// `management.health`.
    pub health: Option<bool>,
    /// `management.info`.
    pub info: Option<bool>,
    /// `management.metrics`.
    pub metrics: Option<bool>,
}

/// A REST adapter.
#[derive(Debug, Clone)]
pub struct RestExpose {
    /// Where the entry starts.
    pub pos: Pos,
    /// `namespace`.
    pub namespace: Text,
    /// `address`.
    pub address: Option<Text>,
    /// `port`.
    pub port: Option<(Pos, i64)>,
    /// `description`.
    pub description: Option<Text>,
    /// `resources`.
    pub resources: Vec<RestResource>,
    /// `authentication`: how callers must authenticate.
    pub authentication: Option<Authentication>,
}

/// A resource of a REST adapter.
#[derive(Debug, Clone)]
pub struct RestResource {
    /// Where the entry starts.
    pub pos: Pos,
    /// `path`.
    pub path: Text,
    /// `inputParameters` shared by the resource's operations.
    pub input_parameters: Vec<Parameter>,
    /// `operations`.
    pub operations: Vec<ExposedOperation>,
    /// `forward`.
    pub forward: Option<Forward>,
}

/// What REST operations and MCP tools have in common: a call and its inputs.
#[derive(Debug, Clone)]
pub struct ExposedOperation {
    /// Where the entry starts.
    pub pos: Pos,
    /// `name`.
    pub name: Option<Text>,
    /// `method`, for REST operations.
    pub method: Option<Text>,
    /// `label`.
    pub label: Option<Text>,
    /// `description`.
    pub description: Option<Text>,
    /// `call`.
    pub call: Option<Text>,
    /// `with`, in document order.
    pub with: Vec<(Text, Node)>,
    /// `inputParameters`.
    pub input_parameters: Vec<Parameter>,
    /// `outputParameters`.
    pub output_parameters: Vec<OutputParameter>,
    /// `hints`, for MCP tools.
    pub hints: Hints,
    /// `steps`: orchestrated calls and lookups, in order.
    pub steps: Vec<Step>,
    /// `mappings`: how step outputs become the result's fields.
    pub mappings: Vec<Mapping>,
    /// `ref`: an aggregate function this operation takes its fields from.
    pub reference: Option<Text>,
    /// `semantics`, for aggregate functions.
    pub semantics: Semantics,
}

/// A step of an orchestrated operation.
#[derive(Debug, Clone)]
pub struct Step {
    /// Where the entry starts.
    pub pos: Pos,
    /// `name`.
    pub name: Option<Text>,
    /// `type`: `call`, `lookup` or `script`; `call` when absent and `call` is given.
    pub kind: Option<Text>,
    /// `call`, for call steps.
    pub call: Option<Text>,
    /// `with`, for call steps.
    pub with: Vec<(Text, Node)>,
    /// `index`: the call step a lookup searches.
    pub index: Option<Text>,
    /// `match`: the field a lookup compares.
    pub key: Option<Text>,
    /// `lookupValue`: the value or values a lookup looks for.
    pub lookup_value: Option<Text>,
    /// `outputParameters` of a lookup: the fields it keeps.
    pub fields: Vec<Text>,
}

/// A `mappings` entry of an orchestrated operation.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Where the entry starts.
    pub pos: Pos,
    /// `targetName`: the output it sets.
    pub target: Text,
    /// `value`: a JSONPath into the step outputs, a template or a constant.
    pub value: Node,
}

/// `semantics` of an aggregate function.
#[derive(Debug, Default, Clone)]
pub struct Semantics {
    /// `safe`: the function changes nothing.
    pub safe: Option<bool>,
    /// `idempotent`: calling it twice does what calling it once does.
    pub idempotent: Option<bool>,
}

/// A `capability.aggregates` entry.
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// Where the entry starts.
    pub pos: Pos,
    /// `namespace`.
    pub namespace: Text,
    /// `functions`.
    pub functions: Vec<ExposedOperation>,
}

/// A resource's `forward` block.
#[derive(Debug, Clone)]
pub struct Forward {
    /// Where the block starts.
    pub pos: Pos,
    /// `targetNamespace`: the consumed API that receives the requests.
    pub target: Text,
    /// `trustedHeaders`: the request headers that are passed on.
    pub trusted_headers: Vec<Text>,
}

/// An MCP resource: a static file or the result of a call.
#[derive(Debug, Clone)]
pub struct McpResource {
    /// The call, steps, outputs, name, label and description.
    pub operation: ExposedOperation,
    /// `uri`, with `{param}` placeholders for a resource template.
    pub uri: Option<Text>,
    /// `mimeType`.
    pub mime_type: Option<Text>,
    /// `location`: a `file://` file whose contents are the resource.
    pub location: Option<Text>,
}

/// An MCP prompt.
#[derive(Debug, Clone)]
pub struct McpPrompt {
    /// Where the entry starts.
    pub pos: Pos,
    /// `name`.
    pub name: Text,
    /// `label`.
    pub label: Option<Text>,
    /// `description`.
    pub description: Option<Text>,
    /// `arguments`: name, description and whether it is required.
    pub arguments: Vec<(Text, Option<Text>, Option<bool>)>,
    /// `template`: role and content of each message.
    pub messages: Vec<(Text, Text)>,
    /// `location`: a `file://` file holding the template text.
    pub location: Option<Text>,
}

/// MCP tool `hints`.
#[derive(Debug, Default, Clone)]
pub struct Hints {
    /// `readOnly`.
    pub read_only: Option<bool>,
    /// `destructive`.
    pub destructive: Option<bool>,
    /// `idempotent`.
    pub idempotent: Option<bool>,
    /// `openWorld`.
    pub open_world: Option<bool>,
}

/// An MCP adapter.
#[derive(Debug, Clone)]
pub struct McpExpose {
    /// Where the entry starts.
    pub pos: Pos,
    /// `namespace`.
    pub namespace: Text,
    /// `address`.
    pub address: Option<Text>,
    /// `port`.
    pub port: Option<(Pos, i64)>,
    /// `transport`.
    pub transport: Option<Text>,
    /// `description`.
    pub description: Option<Text>,
    /// `tools`.
    pub tools: Vec<ExposedOperation>,
    /// `authentication`: how callers must authenticate.
    pub authentication: Option<Authentication>,
    /// `resources`.
    pub resources: Vec<McpResource>,
    /// `prompts`.
    pub prompts: Vec<McpPrompt>,
}
