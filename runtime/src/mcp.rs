//! MCP adapters, served over Streamable HTTP through rmcp.
//!
//! [`router`] turns one [`McpAdapter`] into an axum router that serves MCP at `/mcp` and at
//! `/`. The tool table is built once per adapter from the static [`McpTool`] descriptors. Each
//! `tools/call` checks the arguments, calls the consumed operation through
//! [`invoke_declared`] and turns the upstream response into a tool result. An orchestrated tool
//! runs its steps through [`orchestrate::run`] instead and shapes the result document. A mock
//! tool has no consumed operation, so it builds its result from its output alone. The server keeps no
//! per-session state, so any replica behind a load balancer can serve any request.

use std::borrow::Cow;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::http::StatusCode;
use rmcp::ServiceExt as _;
use rmcp::handler::server::tool::{ToolCallContext, ToolRoute, ToolRouter};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, Implementation, JsonObject, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, Prompt, PromptsCapability,
    ReadResourceRequestParams, ReadResourceResponse, ResourcesCapability, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations, ToolsCapability,
};
use rmcp::service::{QuitReason, RequestContext};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::descriptor::{
    Input, McpAdapter, McpTool, Orchestration, Output, RawFormat, ToolHints, UpstreamOperation,
};
use crate::invoke::{CapabilityContext, InputError, inputs_from_json, invoke_declared};
use crate::mcp_resources::ResourceTable;
use crate::secret::BindValues;
use crate::upstream::{CallError, UpstreamResponse, operation_id};
use crate::{caller_auth, format, mcp_prompts, mcp_resources, orchestrate, output};

/// The maximum number of bytes of an upstream error body quoted in a tool error.
///
/// The message lands in the agent's context window, and an HTML error page can run to hundreds
/// of kilobytes, while the first few kilobytes are what explains the error.
const MAX_ERROR_BODY_BYTES: usize = 4096;

/// The `Host` header values that the MCP endpoint accepts.
///
/// rmcp checks the `Host` header of every request to stop DNS rebinding: a web page that makes
/// a browser resolve its own name to `127.0.0.1` would otherwise reach a server bound to
/// loopback. The check only makes sense for a loopback server. A server bound to another address
/// with `--address` is reached under names the runtime cannot know (its IP address, a DNS name,
/// a load balancer's name), so the loopback-only default would reject every request to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AllowedHosts {
    /// Only `localhost`, `127.0.0.1` and `::1`, on any port: rmcp's default.
    #[default]
    Loopback,
    /// The loopback names plus these host names or `host:port` authorities, as in rmcp's
    /// `StreamableHttpServerConfig::allowed_hosts`. An entry without a port matches any port.
    LoopbackAnd(Vec<String>),
    /// Any `Host` header. For a server bound to all interfaces or reached through a proxy, where
    /// the set of names is open.
    Any,
}

impl AllowedHosts {
    /// Returns the check that fits a server bound to `address`.
    ///
    /// A loopback address keeps the loopback-only check. A specific other address also accepts
    /// that address as a host. An unspecified address (`0.0.0.0` or `::`) accepts any host,
    /// because the server is then reachable on every interface under any name.
    pub fn for_bind_address(address: IpAddr) -> Self {
        if address.is_loopback() {
            Self::Loopback
        } else if address.is_unspecified() {
            Self::Any
        } else {
            let host = match address {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            };
            Self::LoopbackAnd(vec![host])
        }
    }

    fn apply(self, config: StreamableHttpServerConfig) -> StreamableHttpServerConfig {
        match self {
            Self::Loopback => config,
            Self::LoopbackAnd(extra) => {
                let mut hosts = config.allowed_hosts.clone();
                hosts.extend(extra);
                config.with_allowed_hosts(hosts)
            }
            Self::Any => config.disable_allowed_hosts(),
        }
    }
}

/// Builds the router that serves `adapter` over Streamable HTTP at `/mcp` and at `/`, accepting
/// only loopback `Host` headers.
///
/// Use [`router_with_allowed_hosts`] for a server bound to a non-loopback address.
pub fn router(adapter: &'static McpAdapter, context: Arc<CapabilityContext>) -> axum::Router {
    router_with_allowed_hosts(adapter, context, AllowedHosts::Loopback)
}

/// Builds the router that serves `adapter` over Streamable HTTP at `/mcp` and at `/`, accepting
/// the `Host` headers that `allowed_hosts` lets through.
///
/// The server is stateless: it issues no `Mcp-Session-Id`, so every request is independent and
/// replicas need no shared store. It accepts every protocol version rmcp supports, from the
/// `initialize` handshake of older clients to the per-request metadata of `2026-07-28`, and
/// sends plain JSON responses where no notification has to be streamed. When the adapter
/// declares caller authentication, every request must pass [`caller_auth::protect_mcp`] first.
pub fn router_with_allowed_hosts(
    adapter: &'static McpAdapter,
    context: Arc<CapabilityContext>,
    allowed_hosts: AllowedHosts,
) -> axum::Router {
    let binds = context.binds().clone();
    let service = streamable_service(McpServer::new(adapter, context), allowed_hosts);
    let router = axum::Router::new()
        .route_service("/mcp", service.clone())
        .route_service("/", service);
    match &adapter.auth {
        Some(auth) => caller_auth::protect_mcp(router, adapter.namespace, auth, &binds),
        None => router,
    }
}

/// Builds the stateless Streamable HTTP service of `handler`, answering with plain JSON where
/// no notification has to be streamed.
pub(crate) fn streamable_service<H>(
    handler: H,
    allowed_hosts: AllowedHosts,
) -> StreamableHttpService<H, NeverSessionManager>
where
    H: ServerHandler + Clone + Send + Sync + 'static,
{
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true);
    let config = allowed_hosts.apply(config);
    StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}

/// Builds the `tools/list` result of `adapter`: every tool in declaration order, as its MCP
/// server sends it.
pub fn tools_list(adapter: &'static McpAdapter) -> ListToolsResult {
    ListToolsResult::with_all_items(tool_definitions(adapter))
}

fn tool_definitions(adapter: &'static McpAdapter) -> Vec<Tool> {
    adapter.tools.iter().map(tool_definition).collect()
}

/// A failure of an MCP adapter served on stdin and stdout.
#[derive(Debug, thiserror::Error)]
#[error("mcp adapter `{namespace}` on stdio failed: {reason}")]
pub struct StdioError {
    /// The expose namespace.
    pub namespace: &'static str,
    /// What failed.
    pub reason: String,
}

/// Serves `adapter` on the process's stdin and stdout until the client closes stdin.
///
/// Messages are JSON-RPC, one per line. Nothing else may write to stdout meanwhile, so
/// logs must go to stderr, as [`crate::serve::init_logging`] sends them.
pub async fn serve_stdio(
    adapter: &'static McpAdapter,
    context: Arc<CapabilityContext>,
) -> Result<(), StdioError> {
    let (stdin, stdout) = rmcp::transport::stdio_pipes();
    serve_io(adapter, context, stdin, stdout, CancellationToken::new()).await
}

/// Serves `adapter` over newline-delimited JSON-RPC, reading requests from `input` and
/// writing responses to `output`, until `input` ends or `shutdown` is cancelled.
///
/// Caller authentication does not apply: the client that started the process and owns
/// its pipes is trusted. A client that closes `input` before or after `initialize` ends
/// the session normally.
pub async fn serve_io<R, W>(
    adapter: &'static McpAdapter,
    context: Arc<CapabilityContext>,
    input: R,
    output: W,
    shutdown: CancellationToken,
) -> Result<(), StdioError>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
    W: tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    use rmcp::service::ServerInitializeError;

    let failed = |reason: String| StdioError {
        namespace: adapter.namespace,
        reason,
    };
    let server = McpServer::new(adapter, context);
    let running = match server.serve_with_ct((input, output), shutdown).await {
        Ok(running) => running,
        Err(ServerInitializeError::ConnectionClosed(_) | ServerInitializeError::Cancelled) => {
            tracing::info!(
                adapter = adapter.namespace,
                "mcp stdio session ended before initialize"
            );
            return Ok(());
        }
        Err(error) => return Err(failed(error.to_string())),
    };
    tracing::info!(adapter = adapter.namespace, "mcp stdio session initialized");
    match running.waiting().await {
        Ok(QuitReason::JoinError(error)) | Err(error) => Err(failed(error.to_string())),
        Ok(reason) => {
            tracing::info!(
                adapter = adapter.namespace,
                ?reason,
                "mcp stdio session ended"
            );
            Ok(())
        }
    }
}

/// The rmcp server handler of one MCP adapter.
///
/// rmcp creates one handler per request, so everything lives behind one shared [`Arc`] that is
/// built once per adapter.
#[derive(Clone)]
pub(crate) struct McpServer {
    state: Arc<ServerState>,
}

struct ServerState {
    adapter: &'static McpAdapter,
    context: Arc<CapabilityContext>,
    router: ToolRouter<McpServer>,
    /// The tool definitions in declaration order, since `ToolRouter::list_all` sorts by name.
    tools: Vec<Tool>,
    resources: ResourceTable,
    /// The `prompts/list` entries, in declaration order.
    prompts: Vec<Prompt>,
    info: ServerConfig,
}

impl McpServer {
    pub(crate) fn new(adapter: &'static McpAdapter, context: Arc<CapabilityContext>) -> Self {
        let mut router = ToolRouter::new();
        for tool in adapter.tools {
            router.add_route(tool_route(tool));
        }
        let tools = tool_definitions(adapter);

        let resources = ResourceTable::new(adapter.resources);
        let prompts = adapter
            .prompts
            .iter()
            .map(mcp_prompts::prompt_entry)
            .collect();

        let mut info = ServerConfig::new(capabilities(adapter)).with_server_info(
            Implementation::new(adapter.namespace, env!("CARGO_PKG_VERSION")),
        );
        if let Some(description) = adapter.description {
            info = info.with_instructions(description);
        }

        Self {
            state: Arc::new(ServerState {
                adapter,
                context,
                router,
                tools,
                resources,
                prompts,
                info,
            }),
        }
    }

    /// Returns the adapter this server serves.
    pub(crate) fn adapter(&self) -> &'static McpAdapter {
        self.state.adapter
    }

    /// Returns the `tools/list` entries, in declaration order.
    pub(crate) fn tools(&self) -> &[Tool] {
        &self.state.tools
    }

    /// Runs one tool call and logs its outcome, without argument values.
    async fn call(&self, tool: &'static McpTool, arguments: Option<JsonObject>) -> CallToolResult {
        let started = Instant::now();
        let outcome = self.run(tool, arguments.unwrap_or_default()).await;
        let is_error = outcome.result.is_error.unwrap_or(false);
        crate::metrics::record_tool_call(self.state.adapter, tool, is_error, started);
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(
            adapter = self.state.adapter.namespace,
            tool = tool.name,
            upstream_status = outcome.upstream_status,
            // An orchestrated tool makes one upstream call per call step.
            steps = tool.steps.map(|orchestration| orchestration.steps.len()),
            duration_ms,
            is_error = outcome.result.is_error.unwrap_or(false),
            failure = outcome.failure,
            error = outcome.log_detail,
            "mcp tool call finished"
        );
        outcome.result
    }

    async fn run(&self, tool: &'static McpTool, arguments: Map<String, Value>) -> Outcome {
        let inputs = match inputs_from_json(tool.inputs, &arguments) {
            Ok(inputs) => inputs,
            Err(error) => return invalid_argument(&error),
        };
        let binds = self.state.context.binds();
        if let Some(orchestration) = tool.steps {
            return orchestrated(&self.state.context, tool, orchestration, &inputs).await;
        }
        let Some(call) = &tool.call else {
            return mock_result(tool, &inputs, binds);
        };
        let operation = call.operation;
        match invoke_declared(&self.state.context, call, tool.inputs, &inputs).await {
            Ok(response) => {
                let shaping = Shaping {
                    output: &tool.output,
                    inputs: &inputs,
                    binds,
                };
                result_from_response(operation, &shaping, response)
            }
            // An empty path value or a header value with CR or LF, found while the request
            // was built, so nothing was sent.
            Err(CallError::Input(error)) => invalid_argument(&error),
            Err(error) => call_failed(error),
        }
    }
}

/// Returns the outcome of a call that produced no usable upstream response.
fn call_failed(error: CallError) -> Outcome {
    let message = error.to_string();
    let mut outcome = Outcome::failed(error.code(), None, message.clone());
    // The message names the operation and the transport error, never the secret,
    // the URL or an argument value, so it is safe to log.
    outcome.log_detail = Some(message);
    outcome
}

/// Runs the steps of an orchestrated tool and shapes its result document with the tool's
/// output. A step that fails with an upstream status is an error result that names the
/// step, the status and the start of the upstream body.
async fn orchestrated(
    context: &CapabilityContext,
    tool: &'static McpTool,
    orchestration: &'static Orchestration,
    inputs: &[Option<Value>],
) -> Outcome {
    let document = match orchestrate::run(context, orchestration, tool.inputs, inputs).await {
        Ok(document) => document,
        Err(CallError::Input(error)) => return invalid_argument(&error),
        Err(CallError::StepStatus {
            step,
            operation,
            status,
            body,
        }) => {
            let mut message = format!(
                "step `{step}` failed: upstream operation `{operation}` returned status {}",
                describe_status(status)
            );
            if body.is_empty() {
                message.push_str(" with an empty body");
            } else {
                message.push_str(": ");
                message.push_str(&error_body_excerpt(&body));
            }
            return Outcome::failed("upstream_error_status", Some(status), message);
        }
        Err(error) => return call_failed(error),
    };
    match output::build(&tool.output, Some(&document), inputs, context.binds()) {
        Ok(value) => Outcome::mocked(value_result(value.unwrap_or(Value::Null))),
        Err(error) => {
            let message = format!(
                "the result of the steps of tool `{}` does not fit its output: {error}",
                tool.name
            );
            Outcome::failed("invalid_output", None, message)
        }
    }
}

fn invalid_argument(error: &InputError) -> Outcome {
    let message = format!("invalid argument `{}`: {}", error.name, error.reason);
    Outcome::failed("invalid_argument", None, message)
}

/// A tool result with what the log line records about it.
struct Outcome {
    result: CallToolResult,
    upstream_status: Option<u16>,
    /// A fixed error code, free of argument values, for the log line.
    failure: Option<&'static str>,
    /// A message for the log line, set only where it contains no argument value or upstream body.
    log_detail: Option<String>,
}

impl Outcome {
    fn succeeded(status: u16, result: CallToolResult) -> Self {
        Self {
            result,
            upstream_status: Some(status),
            failure: None,
            log_detail: None,
        }
    }

    /// Returns the outcome of a mock tool, which makes no upstream call, or of an
    /// orchestrated tool, which has no single upstream status.
    fn mocked(result: CallToolResult) -> Self {
        Self {
            result,
            upstream_status: None,
            failure: None,
            log_detail: None,
        }
    }

    fn failed(failure: &'static str, status: Option<u16>, message: String) -> Self {
        Self {
            result: CallToolResult::error(vec![ContentBlock::text(message)]),
            upstream_status: status,
            failure: Some(failure),
            log_detail: None,
        }
    }
}

/// What a tool's result is built from, besides the upstream response.
struct Shaping<'a> {
    output: &'a Output,
    inputs: &'a [Option<Value>],
    binds: &'a BindValues,
}

/// Builds the result of a mock tool (no `call`) from its output alone.
fn mock_result(tool: &McpTool, inputs: &[Option<Value>], binds: &BindValues) -> Outcome {
    match output::build(&tool.output, None, inputs, binds) {
        Ok(value) => Outcome::mocked(value_result(value.unwrap_or(Value::Null))),
        Err(error) => {
            let message = format!(
                "failed to build the output of tool `{}`: {error}",
                tool.name
            );
            Outcome::failed("invalid_output", None, message)
        }
    }
}

/// Turns an upstream response into the tool result the agent receives.
///
/// A 2xx body is converted from the operation's raw format to JSON and shaped by the
/// output. A body that does not convert, or does not fit the output, is an error result.
fn result_from_response(
    operation: &'static UpstreamOperation,
    shaping: &Shaping<'_>,
    response: UpstreamResponse,
) -> Outcome {
    let status = response.status;
    if !(200..300).contains(&status) {
        let message = error_status_message(operation, &response);
        return Outcome::failed("upstream_error_status", Some(status), message);
    }

    let whole_body = matches!(shaping.output, Output::Body);
    // A 204 or 205 carries no body, so its shaped output would only hold nulls.
    let bodiless = matches!(status, 204 | 205);
    if response.body.is_empty() && (whole_body || bodiless) {
        let message = format!(
            "success: upstream returned status {} with an empty body",
            describe_status(status)
        );
        let result = CallToolResult::success(vec![ContentBlock::text(message)]);
        return Outcome::succeeded(status, result);
    }
    if whole_body && operation.output_format == RawFormat::Json {
        return body_result(operation, response);
    }

    let document = if response.body.is_empty() {
        None
    } else {
        match format::to_json(
            operation.output_format,
            &response.body,
            operation.output_scope,
        ) {
            Ok(document) => Some(document),
            Err(error) => {
                let message = format!(
                    "upstream operation `{}` returned status {} with a body that could not be \
                     read: {error}",
                    operation_id(operation),
                    describe_status(status)
                );
                return Outcome::failed("invalid_upstream_response", Some(status), message);
            }
        }
    };
    match output::build(
        shaping.output,
        document.as_ref(),
        shaping.inputs,
        shaping.binds,
    ) {
        Ok(value) => Outcome::succeeded(status, value_result(value.unwrap_or(Value::Null))),
        Err(error) => {
            let message = format!(
                "the response of upstream operation `{}` does not fit the tool's output: {error}",
                operation_id(operation)
            );
            Outcome::failed("invalid_upstream_response", Some(status), message)
        }
    }
}

/// Builds a successful result from a JSON value: its JSON text, plus structured content
/// when it is an object.
fn value_result(value: Value) -> CallToolResult {
    let text = value.to_string();
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    if value.is_object() {
        result.structured_content = Some(value);
    }
    result
}

/// Builds the result of a 2xx response with a body: JSON as text plus structured content when
/// it is an object, anything else as text.
fn body_result(operation: &'static UpstreamOperation, response: UpstreamResponse) -> Outcome {
    let status = response.status;
    let declared_json = response.content_type.as_deref().map(is_json_media_type);
    if declared_json == Some(false) {
        let text = String::from_utf8_lossy(&response.body).into_owned();
        return Outcome::succeeded(
            status,
            CallToolResult::success(vec![ContentBlock::text(text)]),
        );
    }

    match serde_json::from_slice::<Value>(&response.body) {
        Ok(value) => {
            // The body parsed as JSON, so it is valid UTF-8 and can be sent unchanged.
            let text = String::from_utf8_lossy(&response.body).into_owned();
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            if value.is_object() {
                result.structured_content = Some(value);
            }
            Outcome::succeeded(status, result)
        }
        // Without a `Content-Type` the body is only guessed to be JSON, so text is a valid result.
        Err(_) if declared_json.is_none() => {
            let text = String::from_utf8_lossy(&response.body).into_owned();
            Outcome::succeeded(
                status,
                CallToolResult::success(vec![ContentBlock::text(text)]),
            )
        }
        Err(error) => {
            let message = format!(
                "upstream operation `{}` returned status {} with a body that is not valid JSON: \
                 {error}",
                operation_id(operation),
                describe_status(status)
            );
            Outcome::failed("invalid_upstream_response", Some(status), message)
        }
    }
}

/// Returns whether a `Content-Type` value names JSON: `application/json` or a `+json` type.
fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// Formats a status code with its reason phrase, for example `404 (Not Found)`.
/// Returns the message of an upstream response outside 2xx: the operation, the status and
/// the start of the body.
pub(crate) fn error_status_message(
    operation: &'static UpstreamOperation,
    response: &UpstreamResponse,
) -> String {
    let mut message = format!(
        "upstream operation `{}` returned status {}",
        operation_id(operation),
        describe_status(response.status)
    );
    if response.body.is_empty() {
        message.push_str(" with an empty body");
    } else {
        message.push_str(": ");
        message.push_str(&error_body_excerpt(&response.body));
    }
    message
}

pub(crate) fn describe_status(status: u16) -> String {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason());
    match reason {
        Some(reason) => format!("{status} ({reason})"),
        None => status.to_string(),
    }
}

/// Returns the upstream error body as text, cut at [`MAX_ERROR_BODY_BYTES`].
pub(crate) fn error_body_excerpt(body: &[u8]) -> String {
    if body.len() <= MAX_ERROR_BODY_BYTES {
        return String::from_utf8_lossy(body).into_owned();
    }
    // A cut inside a multi-byte character shows up as one replacement character at the end.
    let mut text = String::from_utf8_lossy(&body[..MAX_ERROR_BODY_BYTES]).into_owned();
    text.push_str(&format!(" [truncated, {} bytes in all]", body.len()));
    text
}

/// Builds the route of one tool: its definition and the call that serves it.
fn tool_route(tool: &'static McpTool) -> ToolRoute<McpServer> {
    ToolRoute::new_dyn(tool_definition(tool), move |call| call_route(tool, call))
}

type CallFuture<'a> =
    Pin<Box<dyn Future<Output = Result<CallToolResponse, ErrorData>> + Send + 'a>>;

fn call_route<'a>(tool: &'static McpTool, call: ToolCallContext<'a, McpServer>) -> CallFuture<'a> {
    let server = call.service;
    let arguments = call.arguments;
    Box::pin(async move { Ok(server.call(tool, arguments).await.into()) })
}

/// Builds the `tools/list` entry of a tool.
fn tool_definition(tool: &'static McpTool) -> Tool {
    let description = tool.description.map(Cow::Borrowed);
    let mut definition = Tool::new_with_raw(tool.name, description, input_schema(tool.inputs));
    if let Some(title) = tool.title {
        definition = definition.with_title(title);
    }
    if let Some(annotations) = annotations(&tool.hints) {
        definition = definition.with_annotations(annotations);
    }
    if let Some(schema) = tool
        .output_schema
        .and_then(|text| output_schema(tool.name, text))
    {
        definition = definition.with_raw_output_schema(schema);
    }
    definition
}

/// Parses a tool's `outputSchema` text. Text that is not a JSON object is left out with a
/// warning, because the tool still works without it.
fn output_schema(tool: &str, text: &str) -> Option<Arc<JsonObject>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(schema)) => Some(Arc::new(schema)),
        Ok(_) => {
            tracing::warn!(tool, "output schema is not a JSON object, leaving it out");
            None
        }
        Err(error) => {
            tracing::warn!(tool, %error, "output schema is not valid JSON, leaving it out");
            None
        }
    }
}

/// Returns the capabilities of `adapter`: tools, resources and prompts, each only when
/// the adapter declares at least one.
pub(crate) fn capabilities(adapter: &McpAdapter) -> ServerCapabilities {
    let mut capabilities = ServerCapabilities::default();
    if !adapter.tools.is_empty() {
        capabilities.tools = Some(ToolsCapability::default());
    }
    if !adapter.resources.is_empty() {
        capabilities.resources = Some(ResourcesCapability::default());
    }
    if !adapter.prompts.is_empty() {
        capabilities.prompts = Some(PromptsCapability::default());
    }
    capabilities
}

/// Builds the JSON Schema of a tool's arguments: every input with its type and description,
/// and the required ones listed under `required`.
fn input_schema(inputs: &[Input]) -> Arc<JsonObject> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for input in inputs {
        let mut property = Map::new();
        property.insert("type".into(), json!(input.json_type.as_str()));
        if let Some(description) = input.description {
            property.insert("description".into(), json!(description));
        }
        properties.insert(input.name.into(), Value::Object(property));
        if input.required {
            required.push(json!(input.name));
        }
    }

    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    // JSON Schema draft 4 requires at least one entry, so an empty list is left out.
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    Arc::new(schema)
}

/// Converts spec hints into tool annotations, or `None` when the spec gives none.
fn annotations(hints: &ToolHints) -> Option<ToolAnnotations> {
    let ToolHints {
        read_only,
        destructive,
        idempotent,
        open_world,
    } = *hints;
    if read_only.is_none() && destructive.is_none() && idempotent.is_none() && open_world.is_none()
    {
        return None;
    }
    Some(ToolAnnotations::from_raw(
        None,
        read_only,
        destructive,
        idempotent,
        open_world,
    ))
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        self.state.info.clone()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.state.tools.clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.state.router.get(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !self.state.router.has_route(&request.name) {
            tracing::info!(
                adapter = self.state.adapter.namespace,
                tool = ?request.name,
                "mcp tool call rejected: unknown tool"
            );
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`", request.name),
                None,
            ));
        }
        let call = ToolCallContext::new(self, request, context);
        self.state.router.call(call).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resources = self.state.resources.resources.clone();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let templates = self.state.resources.templates.clone();
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let state = &self.state;
        let namespace = state.adapter.namespace;
        mcp_resources::read(&state.resources, &state.context, namespace, &request.uri)
            .await
            .map(Into::into)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(
            self.state.prompts.clone(),
        ))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let state = &self.state;
        mcp_prompts::get(
            state.adapter.prompts,
            state.context.binds(),
            state.adapter.namespace,
            &request.name,
            request.arguments.as_ref(),
        )
        .map(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::{JsonType, ParamLocation};

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/problem+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("text/html; charset=utf-8"));
    }

    #[test]
    fn status_with_reason_phrase() {
        assert_eq!(describe_status(404), "404 (Not Found)");
        assert_eq!(describe_status(204), "204 (No Content)");
        assert_eq!(describe_status(599), "599");
    }

    #[test]
    fn error_body_excerpt_truncates() {
        assert_eq!(error_body_excerpt(b"short"), "short");

        let long = vec![b'x'; MAX_ERROR_BODY_BYTES + 10];
        let excerpt = error_body_excerpt(&long);
        assert!(excerpt.starts_with(&"x".repeat(MAX_ERROR_BODY_BYTES)));
        let total = MAX_ERROR_BODY_BYTES + 10;
        assert!(excerpt.ends_with(&format!(" [truncated, {total} bytes in all]")));
    }

    #[test]
    fn input_schema_without_required_inputs() {
        static INPUTS: &[Input] = &[Input {
            name: "page",
            location: ParamLocation::Query,
            json_type: JsonType::Integer,
            required: false,
            description: None,
        }];
        let schema = Value::Object(input_schema(INPUTS).as_ref().clone());
        let expected = json!({"type": "object", "properties": {"page": {"type": "integer"}}});
        assert_eq!(schema, expected);
    }

    #[test]
    fn empty_hints_give_no_annotations() {
        assert_eq!(annotations(&ToolHints::default()), None);
        let hints = ToolHints {
            read_only: Some(true),
            ..ToolHints::default()
        };
        let annotations = annotations(&hints).expect("one hint gives annotations");
        assert_eq!(annotations.read_only_hint, Some(true));
        assert_eq!(annotations.destructive_hint, None);
    }
}
