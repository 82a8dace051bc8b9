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
#[derive(Debug)]
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
}

/// A `binds` entry.
#[derive(Debug)]
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
#[derive(Debug)]
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
#[derive(Debug)]
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
#[derive(Debug)]
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
}

/// A resource of a consumed API.
#[derive(Debug)]
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
#[derive(Debug)]
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
    /// `body`: a request body template.
    pub body: Option<Node>,
    /// `path`: the catalog's per-operation path, replacing the resource's.
    pub path: Option<Text>,
}

/// An `inputParameters` entry, consumed or exposed.
#[derive(Debug)]
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
#[derive(Debug)]
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
#[derive(Debug)]
pub enum Expose {
    /// `type: rest`.
    Rest(RestExpose),
    /// `type: mcp`.
    Mcp(McpExpose),
}

/// A REST adapter.
#[derive(Debug)]
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
}

/// A resource of a REST adapter.
#[derive(Debug)]
pub struct RestResource {
    /// Where the entry starts.
    pub pos: Pos,
    /// `path`.
    pub path: Text,
    /// `inputParameters` shared by the resource's operations.
    pub input_parameters: Vec<Parameter>,
    /// `operations`.
    pub operations: Vec<ExposedOperation>,
}

/// What REST operations and MCP tools have in common: a call and its inputs.
#[derive(Debug)]
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
}

/// MCP tool `hints`.
#[derive(Debug, Default)]
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
#[derive(Debug)]
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
}
