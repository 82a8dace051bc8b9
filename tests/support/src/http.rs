//! Loopback servers and the tests' own HTTP client.

use axum::http::HeaderMap;
use serde_json::Value;

use crate::WAIT;

/// Serves `router` on a free loopback port and returns `http://127.0.0.1:PORT`.
///
/// The server runs as a task of the calling runtime, so it stops when the test ends.
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

/// Returns a loopback port that was free a moment ago.
///
/// NOTE: another process could bind the port between this call and its use.
pub async fn free_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    listener.local_addr().expect("local address").port()
}

/// Returns a base URI on a loopback port that nothing listens on.
///
/// NOTE: another process could bind the port between this call and its use. A test that
/// uses it would then see a response instead of a connection error.
pub async fn dead_base_uri() -> String {
    format!("http://127.0.0.1:{}", free_port().await)
}

/// Returns an HTTP client for the tests' own requests, which never goes through a proxy
/// and gives up on a request after [`WAIT`].
pub fn loopback_http() -> reqwest::Client {
    // The workspace builds reqwest with rustls but without a crypto provider, so the test
    // installs one. An error only means that one is installed already.
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
    /// The `Content-Type` header, when it is valid text.
    pub content_type: Option<String>,
    /// Every response header.
    pub headers: HeaderMap,
    /// The body as text, with invalid UTF-8 replaced.
    pub body: String,
}

impl Response {
    /// Returns a header as text, or `None` when it is missing or not valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Returns the body parsed as JSON, failing the test when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("the body is not JSON ({error}): {}", self.body))
    }

    /// Returns `error.code` of a JSON error body.
    pub fn error_code(&self) -> Option<String> {
        let value: Value = serde_json::from_str(&self.body).ok()?;
        value["error"]["code"].as_str().map(str::to_owned)
    }

    /// Returns `error.message` of a JSON error body, or an empty string when there is none.
    pub fn error_message(&self) -> String {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|value| value["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Sends `request` and reads the whole response.
pub async fn send(request: reqwest::RequestBuilder) -> Response {
    let response = request.send().await.expect("the server responds");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.expect("the response body reads");
    Response {
        status,
        content_type,
        headers,
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
