//! A fake upstream that serves the examples of one of the tutorial's OpenAPI mocks and
//! records every request, and helpers that serve a step's adapters in front of it and call
//! them over REST and MCP.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::HeaderMap;
use naftiko_runtime::descriptor::Capability;
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, JsonObject};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ServiceError, ServiceExt};
use serde_json::Value;

/// How long any single wait of a test may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// The tutorial folder, relative to this crate.
const TUTORIAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../corpus/naftiko-framework-tutorial"
);

/// The OpenAPI mock of the Maritime Registry, which responds with JSON.
pub const REGISTRY_MOCK: &str = "mocks/naftiko-shipyard-maritime-registry-api.yaml";
/// The OpenAPI mock of the legacy Dockyard, which responds with XML.
pub const LEGACY_MOCK: &str = "mocks/naftiko-shipyard-legacy-dockyard-api.yaml";

/// The test value of each bind variable, by key. The steps read these keys from
/// `shared/secrets.yaml`; the tests use values of their own, so that a value seen upstream
/// can only have come from the bind.
pub const BINDS: &[(&str, &str)] = &[
    ("REGISTRY_TOKEN", "test-registry-token"),
    ("REGISTRY_VERSION", "1.0.0-test"),
    ("MCP_SERVER_TOKEN", "sk-mcp-test-caller"),
    ("DOCKYARD_API_KEY", "test-dockyard-key"),
];

/// Returns the test value of the bind variable `key`.
pub fn bind(key: &str) -> &'static str {
    BINDS
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, value)| *value)
        .unwrap_or_else(|| panic!("no test value for the bind variable `{key}`"))
}

/// A request that [`Upstream`] received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method, in upper case.
    pub method: String,
    /// The path exactly as received, still percent-encoded.
    pub path: String,
    /// The query exactly as received, without `?`.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The request body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// Returns a header as text, failing the test when it is not valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("the header value is text"))
    }

    /// Returns the body parsed as JSON.
    pub fn json_body(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the upstream request body is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One operation of an OpenAPI mock: its path template split into segments, its method
/// and its first successful response.
#[derive(Debug, Clone)]
struct MockOperation {
    /// The path's segments, `None` for a `{parameter}` that matches any one segment.
    segments: Vec<Option<String>>,
    method: String,
    status: u16,
    content_type: String,
    /// The first example of the response, kept as JSON even for an XML body, which the
    /// mock writes as a string.
    example: Value,
}

impl MockOperation {
    fn matches(&self, method: &str, path: &str) -> bool {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.method.eq_ignore_ascii_case(method)
            && segments.len() == self.segments.len()
            && self
                .segments
                .iter()
                .zip(&segments)
                .all(|(expected, got)| expected.as_deref().is_none_or(|literal| literal == *got))
    }
}

/// The parts of an OpenAPI document that the fake upstream serves.
#[derive(serde::Deserialize)]
struct MockDocument {
    paths: BTreeMap<String, BTreeMap<String, MockPathOperation>>,
}

#[derive(serde::Deserialize)]
struct MockPathOperation {
    responses: BTreeMap<String, MockResponse>,
}

#[derive(serde::Deserialize)]
struct MockResponse {
    #[serde(default)]
    content: BTreeMap<String, MockMedia>,
}

#[derive(serde::Deserialize)]
struct MockMedia {
    examples: Option<OrderedExamples>,
    example: Option<Value>,
}

/// The `value` of each entry of an `examples` map, in document order, which a
/// `serde_json` map would sort by name.
struct OrderedExamples(Vec<Value>);

impl<'de> serde::Deserialize<'de> for OrderedExamples {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OrderedExamples;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a map of named examples")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<OrderedExamples, A::Error> {
                let mut values = Vec::new();
                while let Some((_, example)) = map.next_entry::<String, Value>()? {
                    values.push(example["value"].clone());
                }
                Ok(OrderedExamples(values))
            }
        }

        deserializer.deserialize_map(Visitor)
    }
}

/// Reads the OpenAPI document at `mock`, relative to the tutorial folder, and returns one
/// [`MockOperation`] for each method of each path.
fn load_mock(mock: &str) -> Vec<MockOperation> {
    let path = format!("{TUTORIAL}/{mock}");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read the mock {path}: {error}"));
    let document: MockDocument = serde_saphyr::from_str(&text)
        .unwrap_or_else(|error| panic!("the mock {path} is not a valid OpenAPI mock: {error}"));

    let mut operations = Vec::new();
    for (template, methods) in document.paths {
        let segments = template
            .trim_start_matches('/')
            .split('/')
            .map(|segment| (!segment.starts_with('{')).then(|| segment.to_owned()))
            .collect::<Vec<_>>();
        for (method, operation) in methods {
            let (status, response) = operation
                .responses
                .into_iter()
                .find(|(status, _)| status.starts_with('2'))
                .unwrap_or_else(|| panic!("{method} {template} has no 2xx response"));
            let (content_type, media) = response
                .content
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("{method} {template} {status} has no content"));
            let example = media
                .examples
                .and_then(|examples| examples.0.into_iter().next())
                .or(media.example)
                .unwrap_or_else(|| panic!("{method} {template} {status} has no example"));
            operations.push(MockOperation {
                segments: segments.clone(),
                method,
                status: status.parse().expect("a response status is a number"),
                content_type,
                example,
            });
        }
    }
    operations
}

/// Renders the mock's `{{ request.body/FIELD }}` templates, which echo a field of the
/// request's JSON body, in every string of `example`.
fn render_example(example: &Value, body: &Value) -> Value {
    match example {
        Value::String(text) => {
            let Some(field) = text
                .strip_prefix("{{ request.body/")
                .and_then(|rest| rest.strip_suffix(" }}"))
            else {
                return example.clone();
            };
            body.get(field).cloned().unwrap_or(Value::Null)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_example(item, body))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), render_example(value, body)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A fake upstream API on `127.0.0.1` that responds to each operation of an OpenAPI mock with
/// that operation's first successful example and records every request.
///
/// A request that matches no operation gets a `404`.
pub struct Upstream {
    /// `http://127.0.0.1:PORT`, for a base-URI override.
    pub base_uri: String,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl Upstream {
    /// Starts the server for the mock at `mock`, relative to the tutorial folder, on a
    /// free loopback port.
    pub async fn start(mock: &str) -> Self {
        let operations = Arc::new(load_mock(mock));
        let recorded = Arc::new(Mutex::new(Vec::new()));

        let handler_recorded = Arc::clone(&recorded);
        let app = axum::Router::new().fallback(move |request: Request| {
            let recorded = Arc::clone(&handler_recorded);
            let operations = Arc::clone(&operations);
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .expect("the fake upstream reads the request body");
                let request = RecordedRequest {
                    method: parts.method.as_str().to_owned(),
                    path: parts.uri.path().to_owned(),
                    query: parts.uri.query().map(str::to_owned),
                    headers: parts.headers,
                    body,
                };
                let operation = operations
                    .iter()
                    .find(|operation| operation.matches(&request.method, &request.path))
                    .cloned();
                let request_json = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                recorded.lock().expect("recorded lock").push(request);

                let Some(operation) = operation else {
                    return axum::response::Response::builder()
                        .status(404)
                        .body(axum::body::Body::from("no such operation in the mock"))
                        .expect("the fake upstream builds its response");
                };
                let body = match render_example(&operation.example, &request_json) {
                    Value::String(text) => text,
                    json => json.to_string(),
                };
                axum::response::Response::builder()
                    .status(operation.status)
                    .header("content-type", operation.content_type)
                    .body(axum::body::Body::from(body))
                    .expect("the fake upstream builds its response")
            }
        });

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the fake upstream binds a loopback port");
        let address = listener.local_addr().expect("fake upstream local address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_uri: format!("http://{address}"),
            recorded,
        }
    }

    /// Returns every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.recorded.lock().expect("recorded lock").clone()
    }

    /// Returns the only request received so far, failing the test otherwise.
    pub fn only_request(&self) -> RecordedRequest {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one upstream request, got {requests:#?}"
        );
        requests[0].clone()
    }
}

/// The fake Maritime Registry and legacy Dockyard that every step after the first calls.
pub struct Upstreams {
    /// The fake Maritime Registry, for the `registry` namespace.
    pub registry: Upstream,
    /// The fake legacy Dockyard, for the `legacy` namespace.
    pub legacy: Upstream,
}

impl Upstreams {
    /// Starts both fakes.
    pub async fn start() -> Self {
        Self {
            registry: Upstream::start(REGISTRY_MOCK).await,
            legacy: Upstream::start(LEGACY_MOCK).await,
        }
    }

    /// Returns a context for `capability` with the test value of each bind variable and
    /// each consumed API at its fake.
    ///
    /// Fails the test when the capability consumes an API other than `registry` and
    /// `legacy`, so that no test can send a request to a spec's own `baseUri`.
    pub fn context(&self, capability: &'static Capability) -> Arc<CapabilityContext> {
        let base_uris: BTreeMap<String, String> = capability
            .consumes
            .iter()
            .map(|api| {
                let uri = match api.namespace {
                    "registry" => self.registry.base_uri.clone(),
                    "legacy" => self.legacy.base_uri.clone(),
                    other => panic!("no fake upstream for the consumed API `{other}`"),
                };
                (api.namespace.to_owned(), uri)
            })
            .collect();
        let binds = capability
            .binds
            .iter()
            .map(|variable| Secret::new(bind(variable.key)))
            .collect();
        let http = upstream::http_client(Duration::from_secs(10), Duration::from_secs(5))
            .expect("builds the upstream HTTP client");
        Arc::new(CapabilityContext::new(
            capability,
            BindValues::from_values(binds),
            http,
            &base_uris,
        ))
    }
}

/// Serves `router` on a free loopback port and returns `http://127.0.0.1:PORT`.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{address}")
}

/// Returns an HTTP client for the tests' own requests, which never goes through a proxy.
pub fn loopback_http() -> reqwest::Client {
    // reqwest is built with rustls but without a crypto provider, so the test installs one.
    // An error only means that one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(WAIT)
        .build()
        .expect("builds the test HTTP client")
}

/// A response read in full.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body as text.
    pub body: String,
}

impl Response {
    /// Returns the body parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("the body is not JSON ({error}): {}", self.body))
    }
}

/// Sends `request` and reads the whole response.
pub async fn send(request: reqwest::RequestBuilder) -> Response {
    let response = request.send().await.expect("the adapter responds");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.expect("the response body reads");
    Response {
        status,
        content_type,
        body,
    }
}

/// Sends a GET to `url` and reads the whole response.
pub async fn get(url: &str) -> Response {
    send(loopback_http().get(url)).await
}

/// An MCP client connected to an adapter.
pub type McpClient = RunningService<RoleClient, ClientConfig>;

/// Serves the MCP `router` and connects rmcp's client to it with the `initialize`
/// handshake, sending `token` as a bearer credential when given.
pub async fn connect_mcp(router: axum::Router, token: Option<&str>) -> McpClient {
    let server = serve(router).await;
    let mut config = StreamableHttpClientTransportConfig::with_uri(format!("{server}/mcp"));
    if let Some(token) = token {
        config = config.auth_header(token);
    }
    let transport = StreamableHttpClientTransport::with_client(loopback_http(), config);
    tokio::time::timeout(WAIT, ClientConfig::default().serve(transport))
        .await
        .expect("initialize finishes in time")
        .expect("the client connects")
}

/// Sends an MCP `initialize` request to the MCP `router` without a credential and returns
/// the response.
pub async fn initialize_without_token(router: axum::Router) -> Response {
    let server = serve(router).await;
    let request = loopback_http()
        .post(format!("{server}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(
            serde_json::json!({
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "tutorial-tests", "version": "0"},
                },
            })
            .to_string(),
        );
    send(request).await
}

/// Calls `tool` with `arguments`, an object, and returns the JSON-RPC outcome.
pub async fn try_call(
    client: &McpClient,
    tool: &'static str,
    arguments: Value,
) -> Result<CallToolResult, ServiceError> {
    let Value::Object(arguments) = arguments else {
        panic!("tool arguments must be an object, not {arguments}");
    };
    let request = CallToolRequestParams::new(tool).with_arguments(JsonObject::from(arguments));
    tokio::time::timeout(WAIT, client.call_tool(request))
        .await
        .expect("tools/call finishes in time")
}

/// Calls `tool`, failing the test on a JSON-RPC error.
pub async fn call(client: &McpClient, tool: &'static str, arguments: Value) -> CallToolResult {
    try_call(client, tool, arguments)
        .await
        .unwrap_or_else(|error| panic!("tools/call `{tool}` failed: {error}"))
}

/// Returns the text of the result's only content block.
pub fn text_of(result: &CallToolResult) -> &str {
    assert_eq!(result.content.len(), 1, "expected one content block");
    &result.content[0]
        .as_text()
        .expect("the content block is text")
        .text
}

/// Returns the JSON in the text of a successful tool result.
pub fn json_of(result: &CallToolResult) -> Value {
    assert!(
        !result.is_error.unwrap_or(false),
        "the tool failed: {}",
        text_of(result)
    );
    let text = text_of(result);
    serde_json::from_str(text)
        .unwrap_or_else(|error| panic!("the tool result is not JSON ({error}): {text}"))
}

/// Returns the names of the tools that the MCP adapter lists.
pub async fn tool_names(client: &McpClient) -> Vec<String> {
    let tools = tokio::time::timeout(WAIT, client.list_all_tools())
        .await
        .expect("tools/list finishes in time")
        .expect("tools/list succeeds");
    tools
        .into_iter()
        .map(|tool| tool.name.into_owned())
        .collect()
}
