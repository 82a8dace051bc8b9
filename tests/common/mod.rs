//! A fake Docker Hub on a loopback port that records every request, and helpers shared by
//! the tests of the generated adapters and of the `naftiko-rs` binary.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

pub mod catalog;
pub mod hub;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::HeaderMap;
use naftiko_rs::docker_hub_org_access_tokens::CAPABILITY;
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use hub::{Hub, HubResponse};

/// The bind value the tests use for `DOCKER_HUB_API_KEY`: distinctive, so a search of any
/// output for it finds only a leak.
pub const TOKEN: &str = "dckr_oat_E2E-9xQv7Lm2-leak-canary";

/// The consumes namespace of the Docker Hub spec.
pub const CONSUMES_NAMESPACE: &str = "docker-hub-org-access-tokens";

/// How long any single wait of a test may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// A request that [`FakeHub`] received.
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
    /// Returns the `Authorization` header as text.
    pub fn authorization(&self) -> Option<&str> {
        self.headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
    }

    /// Returns the path segments after the leading `/`.
    pub fn segments(&self) -> Vec<&str> {
        self.path.trim_start_matches('/').split('/').collect()
    }

    /// Returns the body parsed as JSON.
    pub fn json_body(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the upstream request body is JSON")
    }
}

/// A fixed response that replaces the fake Docker Hub's own behaviour.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, when one is sent.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: String,
}

impl Reply {
    /// Returns a JSON reply with `status`.
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            content_type: Some("application/json"),
            body: body.to_owned(),
        }
    }
}

/// A fake Docker Hub on `127.0.0.1` that records every request and responds like
/// [`Hub`], or with a fixed [`Reply`] once one is set.
pub struct FakeHub {
    /// `http://127.0.0.1:PORT`, for a base-URI override.
    pub base_uri: String,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
    reply: Arc<Mutex<Option<Reply>>>,
}

impl FakeHub {
    /// Starts the server on a free loopback port.
    pub async fn start() -> Self {
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let reply: Arc<Mutex<Option<Reply>>> = Arc::new(Mutex::new(None));
        let hub = Arc::new(Hub::default());

        let handler_recorded = Arc::clone(&recorded);
        let handler_reply = Arc::clone(&reply);
        let app = axum::Router::new().fallback(move |request: Request| {
            let recorded = Arc::clone(&handler_recorded);
            let reply = Arc::clone(&handler_reply);
            let hub = Arc::clone(&hub);
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .expect("the fake hub reads the request body");
                let request = RecordedRequest {
                    method: parts.method.as_str().to_owned(),
                    path: parts.uri.path().to_owned(),
                    query: parts.uri.query().map(str::to_owned),
                    headers: parts.headers,
                    body,
                };
                recorded
                    .lock()
                    .expect("recorded lock")
                    .push(request.clone());

                let fixed = reply.lock().expect("reply lock").clone();
                let reply = fixed.unwrap_or_else(|| {
                    let response = hub.handle(
                        &request.method,
                        &request.path,
                        request.authorization(),
                        &request.body,
                    );
                    hub_reply(response)
                });
                let mut response = axum::response::Response::builder().status(reply.status);
                if let Some(content_type) = reply.content_type {
                    response = response.header("content-type", content_type);
                }
                response
                    .body(axum::body::Body::from(reply.body))
                    .expect("the fake hub builds its response")
            }
        });

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the fake hub binds a loopback port");
        let address = listener.local_addr().expect("fake hub local address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_uri: format!("http://{address}"),
            recorded,
            reply,
        }
    }

    /// Responds to every later request with `reply` instead of the fake's own behaviour.
    pub fn reply_with(&self, reply: Reply) {
        *self.reply.lock().expect("reply lock") = Some(reply);
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
            "expected exactly one upstream request, got {requests:?}"
        );
        requests[0].clone()
    }
}

fn hub_reply(response: HubResponse) -> Reply {
    match response.body {
        Some(body) => Reply {
            status: response.status,
            content_type: Some("application/json"),
            body: body.to_string(),
        },
        None => Reply {
            status: response.status,
            content_type: None,
            body: String::new(),
        },
    }
}

/// Returns a base URI on a loopback port that nothing listens on.
///
/// NOTE: another process could bind the port between this call and its use; the tests that
/// use it would then see a response instead of a connection error.
pub async fn dead_base_uri() -> String {
    format!("http://127.0.0.1:{}", free_port().await)
}

/// Returns a loopback port that was free a moment ago.
pub async fn free_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    listener.local_addr().expect("local address").port()
}

/// Returns the generated capability's context: [`TOKEN`] as `DOCKER_HUB_API_KEY`, the
/// runtime's HTTP client, and the Docker Hub API at `base_uri`.
pub fn context(base_uri: &str) -> Arc<CapabilityContext> {
    let binds = BindValues::from_values(vec![Secret::new(TOKEN)]);
    let http = upstream::http_client(Duration::from_secs(10), Duration::from_secs(5))
        .expect("builds the upstream HTTP client");
    let base_uris = BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), base_uri.to_owned())]);
    Arc::new(CapabilityContext::new(&CAPABILITY, binds, http, &base_uris))
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
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("the body is not JSON ({error}): {}", self.body))
    }

    /// Returns `error.code` of a JSON error body.
    pub fn error_code(&self) -> Option<String> {
        let value: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        value["error"]["code"].as_str().map(str::to_owned)
    }

    /// Returns `error.message` of a JSON error body.
    pub fn error_message(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|value| value["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Sends one request with an optional JSON body and reads the whole response.
pub async fn send(method: reqwest::Method, url: &str, body: Option<&str>) -> Response {
    let mut request = loopback_http().request(method, url);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
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

/// Sends a request line exactly as written, for paths an HTTP client would normalise,
/// and returns the status code.
pub async fn send_raw(base_url: &str, method: &str, path: &str) -> u16 {
    let address = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("the adapter accepts a connection");
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is written");
    let mut response = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut response))
        .await
        .expect("the adapter responds in time")
        .expect("the response is read");
    response
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"))
}
