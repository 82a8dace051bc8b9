//! rmcp's Streamable HTTP client: connecting to an MCP adapter, calling and listing tools,
//! and reading tool results.

use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, JsonObject, Tool};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ServiceError, ServiceExt};
use serde_json::{Value, json};

use crate::{WAIT, loopback_http, serve};

/// An MCP client connected to an adapter.
pub type McpClient = RunningService<RoleClient, ClientConfig>;

/// Connects rmcp's client to the MCP endpoint at `url` with the `initialize` handshake.
pub async fn connect_mcp(url: &str) -> McpClient {
    connect_mcp_with(StreamableHttpClientTransportConfig::with_uri(
        url.to_owned(),
    ))
    .await
}

/// Connects rmcp's client with `config`, for a credential or custom headers, over
/// [`loopback_http`].
pub async fn connect_mcp_with(config: StreamableHttpClientTransportConfig) -> McpClient {
    let transport = StreamableHttpClientTransport::with_client(loopback_http(), config);
    tokio::time::timeout(WAIT, ClientConfig::default().serve(transport))
        .await
        .expect("initialize finishes in time")
        .expect("the client connects")
}

/// Serves the MCP `router` on a free loopback port and connects rmcp's client to its
/// `/mcp` endpoint.
pub async fn serve_mcp(router: axum::Router) -> McpClient {
    let server = serve(router).await;
    connect_mcp(&format!("{server}/mcp")).await
}

/// Returns `arguments` as the object of a `tools/call` request, failing the test when it
/// is not a JSON object.
pub fn arguments(arguments: Value) -> JsonObject {
    match arguments {
        Value::Object(object) => object,
        other => panic!("tool arguments must be an object, not {other}"),
    }
}

/// Calls `tool` with `tool_arguments`, an object, and returns the JSON-RPC outcome.
pub async fn try_call(
    client: &McpClient,
    tool: &'static str,
    tool_arguments: Value,
) -> Result<CallToolResult, ServiceError> {
    let request = CallToolRequestParams::new(tool).with_arguments(arguments(tool_arguments));
    tokio::time::timeout(WAIT, client.call_tool(request))
        .await
        .expect("tools/call finishes in time")
}

/// Calls `tool`, failing the test on a JSON-RPC error.
pub async fn call(client: &McpClient, tool: &'static str, tool_arguments: Value) -> CallToolResult {
    try_call(client, tool, tool_arguments)
        .await
        .unwrap_or_else(|error| panic!("tools/call `{tool}` failed: {error}"))
}

/// Returns the text of the result's only content block, failing the test when there is
/// not exactly one text block.
pub fn text_of(result: &CallToolResult) -> &str {
    assert_eq!(result.content.len(), 1, "expected one content block");
    &result.content[0]
        .as_text()
        .expect("the content block is text")
        .text
}

/// Tells whether the tool result is marked `isError`.
pub fn is_error(result: &CallToolResult) -> bool {
    result.is_error.unwrap_or(false)
}

/// Returns the JSON in the text of a successful tool result.
pub fn json_of(result: &CallToolResult) -> Value {
    assert!(!is_error(result), "the tool failed: {}", text_of(result));
    let text = text_of(result);
    serde_json::from_str(text)
        .unwrap_or_else(|error| panic!("the tool result is not JSON ({error}): {text}"))
}

/// Returns every tool that the MCP adapter lists, following pagination.
pub async fn list_tools(client: &McpClient) -> Vec<Tool> {
    tokio::time::timeout(WAIT, client.list_all_tools())
        .await
        .expect("tools/list finishes in time")
        .expect("tools/list succeeds")
}

/// Returns the names of the tools that the MCP adapter lists.
pub async fn tool_names(client: &McpClient) -> Vec<String> {
    list_tools(client)
        .await
        .into_iter()
        .map(|tool| tool.name.into_owned())
        .collect()
}

/// Returns the tool called `name`, failing the test when the list has none.
pub fn find_tool<'a>(tools: &'a [Tool], name: &str) -> &'a Tool {
    tools
        .iter()
        .find(|tool| tool.name == name)
        .unwrap_or_else(|| panic!("tools/list has no `{name}`"))
}

/// Returns the `required` property names of the tool's input schema.
pub fn required_of(tool: &Tool) -> Vec<&str> {
    tool.input_schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Returns the JSON Schema `type` of the input property `name`, failing the test when the
/// property or its type is missing.
pub fn property_type<'a>(tool: &'a Tool, name: &str) -> &'a str {
    tool.input_schema
        .get("properties")
        .and_then(|properties| properties.get(name))
        .and_then(|property| property.get("type"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{}` has no typed property `{name}`", tool.name))
}

/// Returns a JSON-RPC `initialize` request, as an MCP client sends it first.
pub fn initialize_message() -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "naftiko-test-support", "version": "0"},
        },
    })
}

/// Returns a POST of [`initialize_message`] to the MCP endpoint at `url`, with the
/// `Content-Type` and `Accept` headers of Streamable HTTP, for a test to add headers to.
pub fn initialize_request(url: &str) -> reqwest::RequestBuilder {
    loopback_http()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(initialize_message().to_string())
}
