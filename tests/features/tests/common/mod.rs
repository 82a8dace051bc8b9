//! A fake upstream on a loopback port that records every request, and helpers that serve
//! the generated adapters in front of it and call them over REST and MCP.

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

    /// Returns every value of a header, in the order received.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().expect("the header value is text"))
            .collect()
    }

    /// Returns the body as UTF-8 text.
    pub fn text_body(&self) -> &str {
        std::str::from_utf8(&self.body).expect("the upstream request body is UTF-8")
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

    /// Returns the query's `name=value` pairs, still percent-encoded.
    pub fn query_pairs(&self) -> Vec<(&str, &str)> {
        self.query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .collect()
    }
}

/// A response of the fake upstream.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The response headers, `Content-Type` included.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
}

impl Reply {
    /// Returns a reply with `status`, a `Content-Type` and `body`.
    pub fn new(status: u16, content_type: &str, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.to_owned(),
        }
    }

    /// Returns a JSON reply with `status`.
    pub fn json(status: u16, body: &Value) -> Self {
        Self::new(status, "application/json", &body.to_string())
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

type Responder = dyn Fn(&RecordedRequest) -> Reply + Send + Sync;

/// A fake upstream API on `127.0.0.1` that records every request and responds with what
/// its responder returns for it.
pub struct Upstream {
    /// `http://127.0.0.1:PORT`, for a base-URI override.
    pub base_uri: String,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl Upstream {
    /// Starts the server on a free loopback port.
    pub async fn start(
        responder: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let responder: Arc<Responder> = Arc::new(responder);

        let handler_recorded = Arc::clone(&recorded);
        let app = axum::Router::new().fallback(move |request: Request| {
            let recorded = Arc::clone(&handler_recorded);
            let responder = Arc::clone(&responder);
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
                let reply = responder(&request);
                recorded.lock().expect("recorded lock").push(request);

                let mut response = axum::response::Response::builder().status(reply.status);
                for (name, value) in reply.headers {
                    response = response.header(name, value);
                }
                response
                    .body(axum::body::Body::from(reply.body))
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

    /// Starts a fake upstream that answers every request with `{"ok": true}`.
    pub async fn start_ok() -> Self {
        Self::start(|_| Reply::json(200, &serde_json::json!({"ok": true}))).await
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

/// Returns a context for `capability` with bind values in the order of
/// `capability.binds`, the runtime's HTTP client, and each consumed API at the URI given
/// for its namespace.
///
/// Fails the test unless `base_uris` names every consumed API, so that no test can send a
/// request to a fixture's own `baseUri`.
pub fn context(
    capability: &'static Capability,
    binds: &[&str],
    base_uris: &[(&str, String)],
) -> Arc<CapabilityContext> {
    assert_eq!(
        binds.len(),
        capability.binds.len(),
        "one bind value per bind variable"
    );
    for api in capability.consumes {
        assert!(
            base_uris
                .iter()
                .any(|(namespace, _)| *namespace == api.namespace),
            "the test must override the base URI of `{}`",
            api.namespace
        );
    }
    let binds = BindValues::from_values(binds.iter().map(|value| Secret::new(*value)).collect());
    let http = upstream::http_client(Duration::from_secs(10), Duration::from_secs(5))
        .expect("builds the upstream HTTP client");
    let base_uris: BTreeMap<String, String> = base_uris
        .iter()
        .map(|(namespace, uri)| ((*namespace).to_owned(), uri.clone()))
        .collect();
    Arc::new(CapabilityContext::new(capability, binds, http, &base_uris))
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

/// Sends `body` as JSON with `method` to `url` and reads the whole response.
pub async fn send_json(method: reqwest::Method, url: &str, body: &Value) -> Response {
    let request = loopback_http()
        .request(method, url)
        .header("content-type", "application/json")
        .body(body.to_string());
    send(request).await
}

/// An MCP client connected to an adapter.
pub type McpClient = RunningService<RoleClient, ClientConfig>;

/// Serves the MCP `router` and connects rmcp's client to it with the `initialize`
/// handshake.
pub async fn connect_mcp(router: axum::Router) -> McpClient {
    let server = serve(router).await;
    let transport = StreamableHttpClientTransport::with_client(
        loopback_http(),
        StreamableHttpClientTransportConfig::with_uri(format!("{server}/mcp")),
    );
    tokio::time::timeout(WAIT, ClientConfig::default().serve(transport))
        .await
        .expect("initialize finishes in time")
        .expect("the client connects")
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
