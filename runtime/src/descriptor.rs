//! Static descriptions of compiled capabilities.
//!
//! `naftiko-codegen` emits one `static` value of these types for every consumed API,
//! consumed operation, exposed adapter, REST operation and MCP tool. Everything the
//! runtime needs to serve a capability is here, already resolved: names are bound,
//! parameters are indexed and templates are split into parts, so nothing is looked up
//! by name or parsed while a request is served.

/// One compiled capability: the contents of one spec file.
#[derive(Debug)]
pub struct Capability {
    /// The spec file's stem, for example `docker-hub-org-access-tokens`.
    pub name: &'static str,
    /// The spec file, relative to the package root, for messages.
    pub spec_file: &'static str,
    /// The capability's description (`info.description`).
    pub description: Option<&'static str>,
    /// Every bind variable that some template of this capability uses.
    pub binds: &'static [BindVariable],
    /// The consumed HTTP APIs.
    pub consumes: &'static [&'static ConsumedApi],
    /// The exposed REST adapters.
    pub rest: &'static [&'static RestAdapter],
    /// The exposed MCP adapters.
    pub mcp: &'static [&'static McpAdapter],
    /// The exposed control adapters (`type: control`): health, status and metrics.
    pub control: &'static [&'static ControlAdapter],
    /// The exposed skill adapters.
    pub skill: &'static [&'static SkillAdapter],
}

/// A variable of a `binds` entry, resolved once at start-up.
///
/// Templates refer to it by its index in [`Capability::binds`].
#[derive(Debug)]
pub struct BindVariable {
    /// The bind entry's namespace, for example `env`.
    pub namespace: &'static str,
    /// The key inside that bind entry, as templates name it.
    pub key: &'static str,
    /// The source of the value.
    pub source: BindSource,
    /// The spec fields that use the variable, for the message when it is missing.
    pub used_by: &'static [&'static str],
}

/// The source of a bind variable's value.
#[derive(Debug)]
pub enum BindSource {
    /// The environment variable of that name.
    Env(&'static str),
    /// A key of a file read at start-up: a JSON object or a flat YAML mapping of
    /// strings.
    File {
        /// The file, relative to the working directory unless absolute.
        path: &'static str,
        /// The key inside the file.
        key: &'static str,
    },
}

/// A consumed HTTP API (`capability.consumes[]`).
#[derive(Debug)]
pub struct ConsumedApi {
    /// The consumes namespace.
    pub namespace: &'static str,
    /// The base URI, without a trailing `/`; empty when `base_uri_from` builds it.
    pub base_uri: &'static str,
    /// A base URI built from bind variables at start-up, such as `{{API_URL}}`.
    pub base_uri_from: Option<Template>,
    /// Authentication applied to every call.
    pub auth: Option<Auth>,
}

/// Authentication of calls to a consumed API.
#[derive(Debug)]
pub enum Auth {
    /// `Authorization: Bearer TOKEN`.
    Bearer {
        /// The token.
        token: Template,
    },
    /// An API key in a header or query parameter.
    ApiKey {
        /// The header or query parameter name.
        name: &'static str,
        /// The key.
        value: Template,
        /// The placement of the key.
        placement: ApiKeyPlacement,
    },
    /// `Authorization: Basic` with a user name and password.
    Basic {
        /// The user name.
        username: Template,
        /// The password.
        password: Template,
    },
    /// HTTP digest authentication (RFC 7616): the first request is answered with a
    /// `401` challenge, and the request is sent again with the computed response.
    Digest {
        /// The user name.
        username: Template,
        /// The password.
        password: Template,
    },
}

/// How callers of an adapter must authenticate (`exposes[].authentication`).
///
/// The templates contain only [`TemplatePart::Literal`] and [`TemplatePart::Bind`] parts,
/// and are rendered once per adapter at start-up.
#[derive(Debug)]
pub enum CallerAuth {
    /// `Authorization: Bearer TOKEN`.
    Bearer {
        /// The token callers must send.
        token: Template,
    },
    /// An API key in a header or query parameter.
    ApiKey {
        /// The header or query parameter name.
        name: &'static str,
        /// The key callers must send.
        value: Template,
        /// The placement of the key in callers' requests.
        placement: ApiKeyPlacement,
    },
    /// `Authorization: Basic` with a user name and password (RFC 7617).
    Basic {
        /// The user name.
        username: Template,
        /// The password.
        password: Template,
    },
    /// HTTP digest authentication (RFC 7616): a request without valid credentials is
    /// answered with a `401` challenge, and the caller sends it again with the computed
    /// response.
    Digest {
        /// The user name.
        username: Template,
        /// The password.
        password: Template,
        /// The protection space sent in the challenge, such as the expose namespace.
        realm: &'static str,
    },
    /// OAuth 2.0 access tokens (RFC 6750 bearer JWTs) issued by an external authorization
    /// server: the adapter is a resource server and issues no tokens itself.
    OAuth2 {
        /// The issuer URL (`authorizationServerUri`): tokens must carry it as `iss`, and its
        /// metadata document names the key set.
        issuer: Template,
        /// The value that the token's `aud` must contain. The code generator fills it from
        /// `resource` when the spec declares no `audience`; `None` checks no audience.
        audience: Option<Template>,
        /// This server's resource identifier (RFC 8707), published in the protected-resource
        /// metadata of MCP adapters.
        resource: Option<Template>,
        /// The scopes every token must grant.
        scopes: &'static [Template],
        /// The token validation method.
        validation: TokenValidation,
    },
}

/// The method an OAuth 2.0 resource server uses to validate access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenValidation {
    /// JWTs checked locally against the issuer's JSON Web Key Set, found through the
    /// `jwks_uri` of the issuer's metadata (RFC 8414 or OpenID Connect discovery).
    Jwks,
}

/// The placement of an API key in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyPlacement {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
}

/// A string made of literal parts, bind variables and inputs.
pub type Template = &'static [TemplatePart];

/// One part of a [`Template`].
#[derive(Debug)]
pub enum TemplatePart {
    /// Literal text.
    Literal(&'static str),
    /// The value of [`Capability::binds`]`[index]`.
    Bind(usize),
    /// The value of the exposed operation's input at this index, as text.
    Input(usize),
    /// The value of the consumed operation's parameter at this index, as text.
    Param(usize),
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
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

impl HttpMethod {
    /// Returns the method's name in upper case, as HTTP writes it.
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
}

/// An operation of a consumed API (`consumes[].resources[].operations[]`).
#[derive(Debug)]
pub struct UpstreamOperation {
    /// The consumed API the operation belongs to.
    pub api: &'static ConsumedApi,
    /// The resource's `name`.
    pub resource: &'static str,
    /// The operation's `name`.
    pub name: &'static str,
    /// The operation's description, for messages and docs.
    pub description: Option<&'static str>,
    /// The HTTP method.
    pub method: HttpMethod,
    /// The resource path, split at its placeholders.
    pub path: &'static [PathPart],
    /// The operation's parameters: declared ones and path placeholders.
    pub params: &'static [UpstreamParam],
    /// The request body built from a template, when the operation declares one.
    pub body: Option<RequestBody>,
    /// The format of the response body, converted to JSON before outputs read it.
    pub output_format: RawFormat,
    /// For HTML responses, the CSS selector of the tables to read, such as
    /// `table.products` (`outputSchema`); every table when absent.
    pub output_scope: Option<&'static str>,
}

/// The format of an upstream response body (`outputRawFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    /// JSON, used as it is.
    Json,
    /// XML: an object keyed by the root element's name.
    Xml,
    /// YAML: block and flow mappings, sequences and scalars.
    Yaml,
    /// Comma-separated values with a header row: an array of objects.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// Pipe-separated values with a header row.
    Psv,
    /// HTML: `{"tables": [[row objects]]}` from its `<table>` elements.
    Html,
    /// Markdown: `{"tables": [[row objects]]}` from its pipe tables.
    Markdown,
}

/// A request body rendered from a template (`body:` of a consumed operation).
#[derive(Debug)]
pub enum RequestBody {
    /// A text body sent with this content type: JSON, XML, SPARQL, plain text or raw.
    Text {
        /// The `Content-Type` header.
        content_type: &'static str,
        /// The body, split at its placeholders.
        parts: &'static [BodyPart],
    },
    /// `application/x-www-form-urlencoded` fields.
    Form {
        /// The fields, in order.
        fields: &'static [BodyField],
    },
    /// `multipart/form-data` text fields.
    Multipart {
        /// The fields, in order.
        fields: &'static [BodyField],
    },
}

/// One field of a form or multipart body.
#[derive(Debug)]
pub struct BodyField {
    /// The field name.
    pub name: &'static str,
    /// The field's value.
    pub value: &'static [BodyPart],
}

/// One part of a request body template.
#[derive(Debug)]
pub enum BodyPart {
    /// Literal text.
    Literal(&'static str),
    /// A value, escaped for its position in the template.
    Value {
        /// The source of the value.
        source: TemplatePart,
        /// The escaping applied to it.
        escape: Escape,
    },
}

/// The escaping of a value written into a body template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As text, unchanged.
    None,
    /// Inside a JSON string literal: quotes, backslashes and control characters escaped.
    JsonString,
    /// As a JSON value: strings quoted, numbers, booleans, arrays and objects as JSON.
    JsonValue,
    /// As XML character data: `&`, `<`, `>`, `"` and `'` escaped.
    Xml,
}

/// One part of an upstream path.
#[derive(Debug)]
pub enum PathPart {
    /// Literal path text, sent as it is.
    Literal(&'static str),
    /// The value of [`UpstreamOperation::params`]`[index]`, encoded as one segment.
    Param(usize),
}

/// A parameter of a consumed operation.
#[derive(Debug)]
pub struct UpstreamParam {
    /// The name the upstream API knows it by.
    pub name: &'static str,
    /// Where it goes in the request.
    pub location: ParamLocation,
    /// The spec's `value`: what is sent when the call gives no value. Its
    /// [`TemplatePart::Param`] parts refer to other parameters of the operation.
    pub value: Option<Template>,
}

/// Where a parameter travels in an HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    /// A path segment.
    Path,
    /// A query parameter; an array repeats the key.
    Query,
    /// A header.
    Header,
    /// A cookie, sent in the `Cookie` header.
    Cookie,
    /// Only used by the operation's templates (body, other values); not sent on its own.
    TemplateOnly,
    /// The whole JSON request body.
    Body,
    /// A top-level field of a JSON object request body.
    BodyField,
    /// The value at a JSONPath in the JSON request body (an exposed input's `value`).
    BodyPath(JsonPath),
}

/// The JSON type of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// A string.
    String,
    /// Any number.
    Number,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
}

impl JsonType {
    /// Returns the JSON Schema name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Object => "object",
            Self::Array => "array",
        }
    }
}

/// An input of an exposed REST operation or MCP tool.
#[derive(Debug)]
pub struct Input {
    /// The name callers use: the route placeholder, query key, header or tool argument.
    pub name: &'static str,
    /// Where a REST caller sends it; MCP tools take every input as an argument.
    pub location: ParamLocation,
    /// The JSON type the value must have.
    pub json_type: JsonType,
    /// Whether a call without it is rejected.
    pub required: bool,
    /// The description shown to callers.
    pub description: Option<&'static str>,
}

/// Where the value of one upstream parameter comes from.
#[derive(Debug)]
pub enum Argument {
    /// Nothing binds the parameter, so it is not sent.
    Unbound,
    /// The exposed operation's input at this index, sent only when given.
    Input(usize),
    /// A JSON literal, as JSON text.
    Literal(&'static str),
    /// A string rendered from a template.
    Template(Template),
    /// The value at a JSONPath in the outputs of earlier steps, `{STEP_NAME: OUTPUT}`.
    Step(JsonPath),
}

/// A call from an exposed operation to a consumed operation.
#[derive(Debug)]
pub struct Call {
    /// The consumed operation.
    pub operation: &'static UpstreamOperation,
    /// One argument per entry of [`UpstreamOperation::params`], in the same order.
    pub arguments: &'static [Argument],
}

/// How an exposed operation builds its result from the upstream response.
#[derive(Debug)]
pub enum Output {
    /// The whole upstream body, unchanged.
    Body,
    /// One value shaped from the (converted) upstream body.
    Shape(&'static OutputShape),
    /// An object with one entry per named output.
    Named(&'static [Property]),
}

/// A value built from a JSON document: the upstream body, or for nested shapes the
/// node their parent selected.
#[derive(Debug)]
pub enum OutputShape {
    /// The value at `path`, converted to `json_type` when one is declared.
    Value {
        /// Where the value is.
        path: JsonPath,
        /// The declared type.
        json_type: Option<JsonType>,
    },
    /// An object with the given properties, each read from the node at `path`.
    Object {
        /// The node the properties read from.
        path: JsonPath,
        /// The properties, in order.
        properties: &'static [Property],
    },
    /// An array with one item per element of the array at `path`.
    Array {
        /// The array.
        path: JsonPath,
        /// How each element becomes an item.
        items: &'static OutputShape,
    },
    /// A constant, as JSON text.
    Constant(&'static str),
    /// A string rendered from inputs and bind variables.
    Template(Template),
}

/// A named part of an output.
#[derive(Debug)]
pub struct Property {
    /// The name in the result.
    pub name: &'static str,
    /// Its value.
    pub shape: OutputShape,
}

/// A JSONPath (RFC 9535) query, as steps from the root `$`.
pub type JsonPath = &'static [PathStep];

/// One step of a [`JsonPath`].
#[derive(Debug, PartialEq, Eq)]
pub enum PathStep {
    /// `.name` or `['name']`: an object member.
    Field(&'static str),
    /// `[n]`: an array element; negative counts from the end.
    Index(i64),
    /// `[*]` or `.*`: every element or member value.
    Wildcard,
    /// `..name`: every member of that name at any depth.
    Descendant(&'static str),
}

/// Tool annotations of an MCP tool (`hints`).
#[derive(Debug, Default)]
pub struct ToolHints {
    /// `readOnlyHint`.
    pub read_only: Option<bool>,
    /// `destructiveHint`.
    pub destructive: Option<bool>,
    /// `idempotentHint`.
    pub idempotent: Option<bool>,
    /// `openWorldHint`.
    pub open_world: Option<bool>,
}

/// An exposed skill adapter (`type: skill`): a read-only catalog of agent skills served
/// over HTTP on its own port.
#[derive(Debug)]
pub struct SkillAdapter {
    /// The expose namespace.
    pub namespace: &'static str,
    /// The bind address from the spec, if it names one.
    pub address: Option<&'static str>,
    /// The port from the spec.
    pub port: u16,
    /// The adapter's description.
    pub description: Option<&'static str>,
    /// The credential every caller must present; `None` serves callers unauthenticated.
    pub auth: Option<CallerAuth>,
    /// The skills, in declaration order.
    pub skills: &'static [Skill],
}

/// A skill of a [`SkillAdapter`] (`skills[]`).
#[derive(Debug)]
pub struct Skill {
    /// The skill name, unique within the adapter and used in its URLs.
    pub name: &'static str,
    /// The description.
    pub description: &'static str,
    /// The `allowed-tools` value, as the spec writes it.
    pub allowed_tools: Option<&'static str>,
    /// The `argument-hint` value.
    pub argument_hint: Option<&'static str>,
    /// The tools, in declaration order.
    pub tools: &'static [SkillTool],
    /// The files of the skill's folder (`location: file:///...`), embedded in the binary
    /// at build time and sorted by path; empty when the skill has no `location`.
    pub files: &'static [SkillFile],
}

/// A tool of a [`Skill`].
#[derive(Debug)]
pub struct SkillTool {
    /// The tool name.
    pub name: &'static str,
    /// The description.
    pub description: &'static str,
    /// What the tool refers to.
    pub source: SkillToolSource,
}

/// What a [`SkillTool`] refers to.
#[derive(Debug)]
pub enum SkillToolSource {
    /// An operation or tool of another adapter of the capability (`from`).
    Action {
        /// The expose namespace of that adapter (`sourceNamespace`).
        namespace: &'static str,
        /// The operation or tool name (`action`).
        action: &'static str,
    },
    /// An instruction file in the skill's folder (`instruction`).
    Instruction {
        /// The file's path, relative to the skill's folder, as in [`SkillFile::path`].
        file: &'static str,
    },
}

/// A file of a [`Skill`]'s folder, embedded at build time.
#[derive(Debug)]
pub struct SkillFile {
    /// The path relative to the skill's folder, with `/` between segments and no `.` or
    /// `..` segment, such as `examples/usage.md`.
    pub path: &'static str,
    /// The file's bytes.
    pub contents: &'static [u8],
}

/// An exposed REST adapter.
#[derive(Debug)]
pub struct RestAdapter {
    /// The expose namespace.
    pub namespace: &'static str,
    /// The bind address from the spec, if it names one.
    pub address: Option<&'static str>,
    /// The port from the spec.
    pub port: u16,
    /// The adapter's description.
    pub description: Option<&'static str>,
    /// Every operation of every resource, in declaration order.
    pub operations: &'static [RestOperation],
    /// Resources that pass requests through to a consumed API.
    pub forwards: &'static [Forward],
    /// The adapter's OpenAPI 3.1 document, as JSON text, generated at build time.
    pub openapi: &'static str,
    /// The credential every caller must present; `None` serves callers unauthenticated.
    pub auth: Option<CallerAuth>,
}

/// A resource that passes requests through to a consumed API (`forward`).
///
/// It answers its route and every path below it, unless an operation of the adapter
/// has that route and method.
#[derive(Debug)]
pub struct Forward {
    /// The route, without placeholders, such as `/notion`.
    pub route: &'static str,
    /// The consumed API that receives the requests.
    pub api: &'static ConsumedApi,
    /// The request headers passed on, compared without regard to case; no others are.
    pub trusted_headers: &'static [&'static str],
    /// Parameters the consumed API sends with every request, each with a value made of
    /// constants and bind variables: a header, query parameter or cookie.
    pub params: &'static [UpstreamParam],
}

/// Steps that run for one exposed operation, and how their outputs become its result.
///
/// The steps' outputs form a document `{STEP_NAME: OUTPUT}`. Each mapping reads that
/// document into a field of the result document `{TARGET_NAME: VALUE}`, which the
/// operation's [`Output`] then shapes.
#[derive(Debug)]
pub struct Orchestration {
    /// The steps, in declaration order.
    pub steps: &'static [Step],
    /// The mappings, in declaration order.
    pub mappings: &'static [Property],
}

/// One step of an [`Orchestration`].
#[derive(Debug)]
pub struct Step {
    /// The name later steps and mappings refer to it by.
    pub name: &'static str,
    /// What it does.
    pub kind: StepKind,
    /// The indexes of the earlier steps whose outputs it reads; steps that do not
    /// depend on each other may run concurrently.
    pub after: &'static [usize],
}

/// What a [`Step`] does.
#[derive(Debug)]
pub enum StepKind {
    /// Calls a consumed operation; its output is the operation's projected response.
    Call {
        /// The call; its arguments may read earlier steps with [`Argument::Step`].
        call: Call,
        /// The projection of the response (the consumed operation's outputs).
        output: Output,
    },
    /// Looks values up in the array output of an earlier call step.
    Lookup {
        /// The step whose output is searched.
        index: usize,
        /// The field of each element that is compared.
        key: &'static str,
        /// The value, or array of values, to look for, in the steps' outputs.
        value: JsonPath,
        /// The fields kept from each matching element; all when empty.
        fields: &'static [&'static str],
    },
}

/// An operation of a REST adapter.
#[derive(Debug)]
pub struct RestOperation {
    /// The route in axum syntax (`/v1/orgs/{org-name}`), equal to the spec's path.
    pub route: &'static str,
    /// The HTTP method it answers.
    pub method: HttpMethod,
    /// The operation's `name` in the spec.
    pub name: &'static str,
    /// The operation's description.
    pub description: Option<&'static str>,
    /// The inputs: route parameters first, then query, header and body inputs.
    pub inputs: &'static [Input],
    /// The consumed operation it calls; `None` with no `steps` answers from `output`
    /// alone (mock mode).
    pub call: Option<Call>,
    /// The orchestrated steps that run instead of a single call.
    pub steps: Option<&'static Orchestration>,
    /// How the response body is built.
    pub output: Output,
}

/// An exposed MCP adapter.
#[derive(Debug)]
pub struct McpAdapter {
    /// The expose namespace, sent as `serverInfo.name`.
    pub namespace: &'static str,
    /// The bind address from the spec, if it names one.
    pub address: Option<&'static str>,
    /// The port from the spec.
    pub port: u16,
    /// The adapter's description, sent as `instructions`.
    pub description: Option<&'static str>,
    /// The tools, in declaration order.
    pub tools: &'static [McpTool],
    /// The credential every caller must present; `None` serves callers unauthenticated.
    pub auth: Option<CallerAuth>,
    /// The resources, in declaration order.
    pub resources: &'static [McpResource],
    /// The prompts, in declaration order.
    pub prompts: &'static [McpPrompt],
    /// Whether the spec declares `transport: stdio`: the adapter is served on stdin and
    /// stdout instead of on its port.
    pub stdio: bool,
}

/// A tool of an MCP adapter.
#[derive(Debug)]
pub struct McpTool {
    /// The tool name.
    pub name: &'static str,
    /// The title (`label`).
    pub title: Option<&'static str>,
    /// The description.
    pub description: Option<&'static str>,
    /// The tool annotations.
    pub hints: ToolHints,
    /// The arguments.
    pub inputs: &'static [Input],
    /// The consumed operation it calls; `None` with no `steps` answers from `output`
    /// alone (mock mode).
    pub call: Option<Call>,
    /// The orchestrated steps that run instead of a single call.
    pub steps: Option<&'static Orchestration>,
    /// How the result is built.
    pub output: Output,
    /// The JSON Schema of the result, as JSON text, sent as the tool's `outputSchema`.
    /// MCP requires its top-level type to be `object`.
    pub output_schema: Option<&'static str>,
}

/// A resource of an MCP adapter (`resources[]`).
#[derive(Debug)]
pub struct McpResource {
    /// The resource name.
    pub name: &'static str,
    /// The title (`label`).
    pub title: Option<&'static str>,
    /// The description.
    pub description: Option<&'static str>,
    /// The URI. One with `{param}` placeholders is an RFC 6570 URI template, listed by
    /// `resources/templates/list`; each placeholder names an input of a
    /// [`ResourceSource::Dynamic`] source.
    pub uri: &'static str,
    /// The MIME type of the contents (`mimeType`).
    pub mime_type: Option<&'static str>,
    /// Where the contents come from.
    pub source: ResourceSource,
}

/// Where the contents of an [`McpResource`] come from.
#[derive(Debug)]
pub enum ResourceSource {
    /// A file (`location: file:///...`) embedded in the binary at build time.
    Static {
        /// The file's bytes.
        contents: &'static [u8],
    },
    /// A call or steps run on every `resources/read`, like a tool without arguments
    /// other than the URI template's placeholders.
    Dynamic {
        /// The URI template's placeholders, as string inputs named like them.
        inputs: &'static [Input],
        /// The consumed operation it calls; `None` with no `steps` answers from `output`
        /// alone (mock mode).
        call: Option<Call>,
        /// The orchestrated steps that run instead of a single call.
        steps: Option<&'static Orchestration>,
        /// How the contents are built, sent as JSON text.
        output: Output,
    },
}

/// A prompt of an MCP adapter (`prompts[]`).
#[derive(Debug)]
pub struct McpPrompt {
    /// The prompt name.
    pub name: &'static str,
    /// The title (`label`).
    pub title: Option<&'static str>,
    /// The description.
    pub description: Option<&'static str>,
    /// The arguments; [`TemplatePart::Input`] in the messages refers to them by index.
    pub arguments: &'static [PromptArgument],
    /// The messages, in order, read from the spec or from the prompt's file at build time.
    pub messages: &'static [PromptMessage],
}

/// An argument of an [`McpPrompt`]. Prompt arguments are always strings.
#[derive(Debug)]
pub struct PromptArgument {
    /// The argument name.
    pub name: &'static str,
    /// The description.
    pub description: Option<&'static str>,
    /// Whether `prompts/get` without it is rejected.
    pub required: bool,
}

/// A message of an [`McpPrompt`].
#[derive(Debug)]
pub struct PromptMessage {
    /// Who speaks the message.
    pub role: PromptRole,
    /// The text, rendered from the prompt's arguments and bind variables; an absent
    /// optional argument renders as nothing.
    pub text: Template,
}

/// The speaker of a [`PromptMessage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptRole {
    /// `user`.
    User,
    /// `assistant`.
    Assistant,
}

/// An exposed control adapter (`type: control`): the management endpoints of the whole
/// binary, served on a port of their own.
#[derive(Debug)]
pub struct ControlAdapter {
    /// The expose namespace, or `control` when the spec names none; `--port` uses it.
    pub namespace: &'static str,
    /// The bind address from the spec, if it names one.
    pub address: Option<&'static str>,
    /// The port from the spec.
    pub port: u16,
    /// The credential every caller must present; `None` serves callers unauthenticated.
    pub auth: Option<CallerAuth>,
    /// Whether `/health/live` and `/health/ready` are served (`management.health`).
    pub health: bool,
    /// Whether `/status` is served (`management.info`).
    pub info: bool,
    /// Whether `/metrics` is served: true unless `observability.enabled` or
    /// `observability.metrics.local.enabled` is `false`.
    pub metrics: bool,
}
