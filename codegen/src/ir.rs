//! The resolved capability: every name bound, every reference checked.
//!
//! The emit stage turns this into Rust. It holds no YAML types and no unresolved
//! text: calls point at operations by index, inputs and bind variables are indexed,
//! and templates are split into parts. Each named item keeps its spec name (for the
//! wire and for messages) beside its Rust identifier.

/// One resolved spec file.
#[derive(Debug)]
pub struct Capability {
    /// The spec file's stem.
    pub name: String,
    /// The Rust module name.
    pub module: String,
    /// The spec file, as the user names it (`specs/x.yaml`).
    pub spec_file: String,
    /// `info.label`.
    pub label: Option<String>,
    /// `info.description`.
    pub description: Option<String>,
    /// The bind variables that templates use, in order of first use.
    pub binds: Vec<BindVariable>,
    /// The consumed APIs.
    pub apis: Vec<Api>,
    /// The REST adapters.
    pub rest: Vec<RestAdapter>,
    /// The MCP adapters.
    pub mcp: Vec<McpAdapter>,
    /// The skill adapters.
    pub skill: Vec<SkillAdapter>,
    /// The control adapters.
    pub control: Vec<ControlAdapter>,
    /// Files read besides the spec, which a rebuild must watch.
    pub files_read: Vec<std::path::PathBuf>,
}

/// A skill adapter.
#[derive(Debug)]
pub struct SkillAdapter {
    /// The expose namespace.
    pub namespace: String,
    /// The bind address.
    pub address: Option<String>,
    /// The port.
    pub port: u16,
    /// The description.
    pub description: Option<String>,
    /// How callers must authenticate.
    pub auth: Option<CallerAuth>,
    /// The skills.
    pub skills: Vec<Skill>,
}

/// A skill.
#[derive(Debug)]
pub struct Skill {
    /// The name.
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// `allowed-tools`.
    pub allowed_tools: Option<String>,
    /// `argument-hint`.
    pub argument_hint: Option<String>,
    /// The tools.
    pub tools: Vec<SkillTool>,
    /// The embedded files, by `/`-separated relative path.
    pub files: Vec<(String, Vec<u8>)>,
}

/// A tool of a skill.
#[derive(Debug)]
pub struct SkillTool {
    /// The name.
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// The operation, tool or file the tool points at.
    pub source: SkillToolSource,
}

/// The target of a skill tool.
#[derive(Debug)]
pub enum SkillToolSource {
    /// An exposed operation or tool: adapter namespace and name.
    Action(String, String),
    /// An instruction file of the skill.
    Instruction(String),
}

/// A control adapter.
#[derive(Debug)]
pub struct ControlAdapter {
    /// The expose namespace.
    pub namespace: String,
    /// The bind address.
    pub address: Option<String>,
    /// The port.
    pub port: u16,
    /// How callers must authenticate.
    pub auth: Option<CallerAuth>,
    /// Whether the health endpoints are served.
    pub health: bool,
    /// Whether the status endpoint is served.
    pub info: bool,
    /// Whether the metrics endpoint is served.
    pub metrics: bool,
}

/// An MCP resource.
#[derive(Debug)]
pub struct McpResource {
    /// The name.
    pub name: String,
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The URI, with `{param}` placeholders for a template.
    pub uri: String,
    /// The MIME type.
    pub mime_type: Option<String>,
    /// The source of the contents.
    pub source: ResourceSource,
}

/// The source of an MCP resource's contents.
#[derive(Debug)]
pub enum ResourceSource {
    /// A file embedded at build time.
    Static(Vec<u8>),
    /// A call or steps, with the URI's placeholders as inputs.
    Dynamic {
        /// The inputs.
        inputs: Vec<Input>,
        /// The call.
        call: Option<Call>,
        /// The steps.
        steps: Option<Orchestration>,
        /// The output.
        output: Output,
    },
}

/// An MCP prompt.
#[derive(Debug)]
pub struct McpPrompt {
    /// The name.
    pub name: String,
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The arguments: name, description, required.
    pub arguments: Vec<(String, Option<String>, bool)>,
    /// The messages: `true` for the user's, and the template over the arguments.
    pub messages: Vec<(bool, Vec<TemplatePart>)>,
}

/// A bind variable.
#[derive(Debug)]
pub struct BindVariable {
    /// The bind namespace.
    pub namespace: String,
    /// The key templates use.
    pub key: String,
    /// The source of its value.
    pub source: BindSource,
    /// The fields that use it.
    pub used_by: Vec<String>,
}

/// The source of a bind variable's value.
#[derive(Debug, Clone, PartialEq)]
pub enum BindSource {
    /// An environment variable.
    Env(String),
    /// A key of a bind file.
    File {
        /// The file path.
        path: String,
        /// The key.
        key: String,
    },
}

/// A consumed API.
#[derive(Debug)]
pub struct Api {
    /// The consumes namespace.
    pub namespace: String,
    /// The Rust module name.
    pub module: String,
    /// The base URI without a trailing `/`; empty when `base_uri_from` builds it.
    pub base_uri: String,
    /// A base URI built from bind variables at start-up.
    pub base_uri_from: Option<Vec<TemplatePart>>,
    /// The description.
    pub description: Option<String>,
    /// Authentication.
    pub auth: Option<Auth>,
    /// Every operation of every resource, in declaration order.
    pub operations: Vec<UpstreamOperation>,
    /// The parameters every forwarded request carries: the API-level `inputParameters` whose
    /// value needs no call input, and the authentication's `headers`.
    pub forward_params: Vec<UpstreamParam>,
}

/// Authentication of a consumed API.
#[derive(Debug)]
pub enum Auth {
    /// A bearer token.
    Bearer(Vec<TemplatePart>),
    /// An API key in a header or query parameter.
    ApiKey {
        /// The header or query parameter name.
        name: String,
        /// The key.
        value: Vec<TemplatePart>,
        /// `true` for a query parameter, `false` for a header.
        in_query: bool,
    },
    /// Basic authentication.
    Basic {
        /// The user name.
        username: Vec<TemplatePart>,
        /// The password.
        password: Vec<TemplatePart>,
    },
    /// Digest authentication.
    Digest {
        /// The user name.
        username: Vec<TemplatePart>,
        /// The password.
        password: Vec<TemplatePart>,
    },
}

/// A part of a string template.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Literal text.
    Literal(String),
    /// A bind variable, by index.
    Bind(usize),
    /// An input of the exposed operation, by index.
    Input(usize),
    /// A parameter of the consumed operation, by index.
    Param(usize),
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// Every method, for parsing and hints.
    pub const ALL: [Method; 7] = [
        Self::Get,
        Self::Post,
        Self::Put,
        Self::Patch,
        Self::Delete,
        Self::Head,
        Self::Options,
    ];

    /// Returns the method as HTTP writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
        }
    }

    /// Parses a method name in any letter case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|method| method.as_str().eq_ignore_ascii_case(text))
    }
}

/// An operation of a consumed API.
#[derive(Debug)]
pub struct UpstreamOperation {
    /// The resource's spec name.
    pub resource: String,
    /// The operation's spec name.
    pub name: String,
    /// The Rust name of the static and the client method.
    pub rust_name: String,
    /// The HTTP method.
    pub method: Method,
    /// The resource path as the spec writes it, for docs and listings.
    pub path_text: String,
    /// The path, split at its placeholders.
    pub path: Vec<PathPart>,
    /// The operation's parameters.
    pub params: Vec<UpstreamParam>,
    /// The request body template.
    pub body: Option<Body>,
    /// The response format.
    pub output_format: RawFormat,
    /// `outputSchema`: the CSS selector of the HTML tables to read.
    pub output_scope: Option<String>,
    /// The projection of the response that a step calling this operation receives.
    pub projection: Output,
    /// `label`.
    pub label: Option<String>,
    /// `description`.
    pub description: Option<String>,
}

/// The format of an upstream response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    /// `json`
    Json,
    /// `xml`
    Xml,
    /// `yaml`
    Yaml,
    /// `csv`
    Csv,
    /// `tsv`
    Tsv,
    /// `psv`
    Psv,
    /// `html`
    Html,
    /// `markdown`
    Markdown,
}

/// A request body template.
#[derive(Debug)]
pub enum Body {
    /// A text body.
    Text {
        /// Its `Content-Type`.
        content_type: String,
        /// The template.
        parts: Vec<BodyPart>,
    },
    /// Form fields.
    Form(Vec<(String, Vec<BodyPart>)>),
    /// Multipart text fields.
    Multipart(Vec<(String, Vec<BodyPart>)>),
}

/// A part of a body template.
#[derive(Debug, PartialEq)]
pub enum BodyPart {
    /// Literal text.
    Literal(String),
    /// A value and how it is escaped.
    Value(TemplatePart, Escape),
}

/// How a value is written into a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Unchanged.
    None,
    /// Inside a JSON string.
    JsonString,
    /// As a JSON value.
    JsonValue,
    /// As XML text.
    Xml,
}

/// A part of an upstream path.
#[derive(Debug, PartialEq)]
pub enum PathPart {
    /// Literal text.
    Literal(String),
    /// A parameter, by index.
    Param(usize),
}

/// The placement of a parameter in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A path segment.
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
    /// The whole JSON body.
    Body,
    /// A field of a JSON object body.
    BodyField,
    /// A cookie.
    Cookie,
    /// Used only by templates.
    TemplateOnly,
}

/// A JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// `string`
    String,
    /// `number`
    Number,
    /// `integer`
    Integer,
    /// `boolean`
    Boolean,
    /// `object`
    Object,
    /// `array`
    Array,
}

/// A parameter of a consumed operation.
#[derive(Debug, Clone)]
pub struct UpstreamParam {
    /// The spec name, sent on the wire.
    pub name: String,
    /// The Rust name of the client method's argument.
    pub rust_name: String,
    /// Where it travels.
    pub location: Location,
    /// Its JSON type.
    pub json_type: JsonType,
    /// Whether the upstream requires it.
    pub required: bool,
    /// Its description.
    pub description: Option<String>,
    /// The value sent when the call gives none.
    pub value: Option<Vec<TemplatePart>>,
}

/// An input of an exposed operation or tool.
#[derive(Debug, Clone)]
pub struct Input {
    /// For a REST input read from the JSON body by JSONPath (`value: $.user.id`).
    pub body_path: Option<Vec<PathStep>>,
    /// The name callers use.
    pub name: String,
    /// Where a REST caller sends it.
    pub location: Location,
    /// Its JSON type.
    pub json_type: JsonType,
    /// Whether it is required.
    pub required: bool,
    /// Its description.
    pub description: Option<String>,
}

/// Where one upstream parameter's value comes from.
#[derive(Debug, PartialEq)]
pub enum Argument {
    /// Not sent.
    Unbound,
    /// An input, by index.
    Input(usize),
    /// A JSON literal, as JSON text.
    Literal(String),
    /// A rendered template.
    Template(Vec<TemplatePart>),
    /// The value at a path in the outputs of earlier steps.
    Step(Vec<PathStep>),
}

/// A resolved call.
#[derive(Debug)]
pub struct Call {
    /// The consumed API, by index.
    pub api: usize,
    /// The operation within it, by index.
    pub operation: usize,
    /// One argument per upstream parameter.
    pub arguments: Vec<Argument>,
}

/// How callers of an adapter must authenticate.
#[derive(Debug)]
pub enum CallerAuth {
    /// A bearer token.
    Bearer(Vec<TemplatePart>),
    /// An API key in a header or query parameter.
    ApiKey {
        /// The header or query parameter name.
        name: String,
        /// The key.
        value: Vec<TemplatePart>,
        /// `true` for a query parameter.
        in_query: bool,
    },
    /// Basic authentication.
    Basic {
        /// The user name.
        username: Vec<TemplatePart>,
        /// The password.
        password: Vec<TemplatePart>,
    },
    /// Digest authentication.
    Digest {
        /// The user name.
        username: Vec<TemplatePart>,
        /// The password.
        password: Vec<TemplatePart>,
        /// The realm sent in challenges.
        realm: String,
    },
    /// An OAuth 2.0 resource server: JWT access tokens verified with the issuer's keys.
    OAuth2 {
        /// The issuer URL (`authorizationServerUri`).
        issuer: Vec<TemplatePart>,
        /// The value the token's `aud` must contain: `audience`, or else `resource`.
        audience: Option<Vec<TemplatePart>>,
        /// The adapter's resource identifier.
        resource: Option<Vec<TemplatePart>>,
        /// The scopes every token must grant.
        scopes: Vec<Vec<TemplatePart>>,
        /// The token validation method.
        validation: TokenValidation,
    },
}

/// The method an OAuth 2.0 resource server uses to validate access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenValidation {
    /// JWTs checked with the keys that the issuer's metadata names in `jwks_uri`.
    Jwks,
}

/// A REST adapter.
#[derive(Debug)]
pub struct RestAdapter {
    /// Where it is declared, for messages that involve other specs.
    pub pos: crate::yaml::Pos,
    /// The expose namespace.
    pub namespace: String,
    /// The Rust name of its static.
    pub rust_name: String,
    /// The bind address.
    pub address: Option<String>,
    /// The port.
    pub port: u16,
    /// The description.
    pub description: Option<String>,
    /// The operations.
    pub operations: Vec<RestOperation>,
    /// The forwarding resources.
    pub forwards: Vec<Forward>,
    /// How callers must authenticate.
    pub auth: Option<CallerAuth>,
}

/// A REST operation.
#[derive(Debug)]
pub struct RestOperation {
    /// Where it is declared, for messages that involve other specs.
    pub pos: crate::yaml::Pos,
    /// The route.
    pub route: String,
    /// The method.
    pub method: Method,
    /// The spec name.
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// The inputs.
    pub inputs: Vec<Input>,
    /// The call; `None` for a mock or an orchestration.
    pub call: Option<Call>,
    /// The orchestrated steps.
    pub steps: Option<Orchestration>,
    /// The output.
    pub output: Output,
}

/// Orchestrated steps and the mappings of their outputs.
#[derive(Debug)]
pub struct Orchestration {
    /// The steps.
    pub steps: Vec<Step>,
    /// The mappings, by target name.
    pub mappings: Vec<(String, OutputShape)>,
}

/// One step.
#[derive(Debug)]
pub struct Step {
    /// Its name.
    pub name: String,
    /// What it does.
    pub kind: StepKind,
    /// The earlier steps it reads, by index.
    pub after: Vec<usize>,
}

/// What a step does.
#[derive(Debug)]
pub enum StepKind {
    /// A call and the projection of its response.
    Call {
        /// The call.
        call: Call,
        /// The projection.
        output: Output,
    },
    /// A lookup in an earlier step's array output.
    Lookup {
        /// The searched step.
        index: usize,
        /// The compared field.
        key: String,
        /// The value or values looked for.
        value: Vec<PathStep>,
        /// The kept fields.
        fields: Vec<String>,
    },
}

/// A resource that passes requests through to a consumed API.
#[derive(Debug)]
pub struct Forward {
    /// The route prefix.
    pub route: String,
    /// The consumed API, by index.
    pub api: usize,
    /// The trusted request headers.
    pub trusted_headers: Vec<String>,
    /// The consumed API's [`Api::forward_params`].
    pub params: Vec<UpstreamParam>,
}

/// How a result is built.
#[derive(Debug, Clone)]
pub enum Output {
    /// The upstream body.
    Body,
    /// One shaped value.
    Shape(OutputShape),
    /// Named values.
    Named(Vec<(String, OutputShape)>),
}

/// A shaped output value.
#[derive(Debug, Clone)]
pub enum OutputShape {
    /// The value at a path.
    Value {
        /// The path.
        path: Vec<PathStep>,
        /// The declared type.
        json_type: Option<JsonType>,
    },
    /// An object.
    Object {
        /// The node its properties read from.
        path: Vec<PathStep>,
        /// The properties.
        properties: Vec<(String, OutputShape)>,
    },
    /// An array.
    Array {
        /// The array.
        path: Vec<PathStep>,
        /// Each item.
        items: Box<OutputShape>,
    },
    /// A constant, as JSON text.
    Constant(String),
    /// A rendered template.
    Template(Vec<TemplatePart>),
}

/// A JSONPath step.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    /// A member.
    Field(String),
    /// An element.
    Index(i64),
    /// Every element or member.
    Wildcard,
    /// Every member of that name at any depth.
    Descendant(String),
}

/// An MCP adapter.
#[derive(Debug)]
pub struct McpAdapter {
    /// Where it is declared, for messages that involve other specs.
    pub pos: crate::yaml::Pos,
    /// The expose namespace.
    pub namespace: String,
    /// The Rust name of its static.
    pub rust_name: String,
    /// The bind address.
    pub address: Option<String>,
    /// The port.
    pub port: u16,
    /// The description.
    pub description: Option<String>,
    /// The tools.
    pub tools: Vec<Tool>,
    /// Whether it is served on stdin and stdout.
    pub stdio: bool,
    /// How callers must authenticate.
    pub auth: Option<CallerAuth>,
    /// The resources.
    pub resources: Vec<McpResource>,
    /// The prompts.
    pub prompts: Vec<McpPrompt>,
}

/// An MCP tool.
#[derive(Debug)]
pub struct Tool {
    /// Where it is declared, for messages that involve other specs.
    pub pos: crate::yaml::Pos,
    /// The tool name.
    pub name: String,
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The annotations.
    pub hints: Hints,
    /// The arguments.
    pub inputs: Vec<Input>,
    /// The call; `None` for a mock or an orchestration.
    pub call: Option<Call>,
    /// The orchestrated steps.
    pub steps: Option<Orchestration>,
    /// The output.
    pub output: Output,
}

/// MCP tool annotations.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hints {
    /// `readOnlyHint`.
    pub read_only: Option<bool>,
    /// `destructiveHint`.
    pub destructive: Option<bool>,
    /// `idempotentHint`.
    pub idempotent: Option<bool>,
    /// `openWorldHint`.
    pub open_world: Option<bool>,
}
