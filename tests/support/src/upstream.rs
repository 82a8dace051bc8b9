//! A fake upstream API on loopback that records every request and responds with what a
//! responder closure returns.

use std::fmt::Display;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::HeaderMap;
use serde_json::Value;

/// A request that [`FakeUpstream`] received.
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

    /// Returns the `Authorization` header as text, or `None` when it is missing or not text.
    pub fn authorization(&self) -> Option<&str> {
        self.headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
    }

    /// Returns the path segments after the leading `/`, still percent-encoded.
    pub fn segments(&self) -> Vec<&str> {
        self.path.trim_start_matches('/').split('/').collect()
    }

    /// Returns the body as UTF-8 text, failing the test when it is not UTF-8.
    pub fn text_body(&self) -> &str {
        std::str::from_utf8(&self.body).expect("the upstream request body is UTF-8")
    }

    /// Returns the body parsed as JSON, failing the test when it is not JSON.
    pub fn json_body(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the upstream request body is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Returns the query's `name=value` pairs, still percent-encoded. A pair without `=`
    /// has an empty value.
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

/// A response of [`FakeUpstream`].
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The response headers, `Content-Type` included when one is sent.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How long the upstream waits after recording the request and before it responds.
    pub delay: Duration,
}

impl Reply {
    /// Returns a reply with `status`, a `Content-Type` and `body`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::empty(status)
            .with_header("content-type", content_type)
            .with_body(body)
    }

    /// Returns a JSON reply with `status`. `body` is written with [`Display`], so it may be
    /// JSON text or a [`serde_json::Value`].
    pub fn json(status: u16, body: impl Display) -> Self {
        Self::new(status, "application/json", body.to_string())
    }

    /// Returns a reply with `status`, no headers and an empty body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Makes the upstream wait `delay` before it responds.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    fn into_response(self) -> axum::response::Response {
        let mut response = axum::response::Response::builder().status(self.status);
        for (name, value) in self.headers {
            response = response.header(name, value);
        }
        response
            .body(axum::body::Body::from(self.body))
            .expect("the fake upstream builds its response")
    }
}

type Responder = dyn Fn(&RecordedRequest) -> Reply + Send + Sync;

/// A fake upstream API on `127.0.0.1` that records every request and responds with what its
/// responder returns for it, or with a fixed reply once [`FakeUpstream::reply_with`] set one.
///
/// A request is recorded before the responder runs, so [`FakeUpstream::requests`] includes
/// it as soon as the upstream has started to respond.
pub struct FakeUpstream {
    /// `http://127.0.0.1:PORT`, for a base-URI override.
    pub base_uri: String,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
    fixed: Arc<Mutex<Option<Reply>>>,
}

impl FakeUpstream {
    /// Starts the server on a free loopback port, responding with `responder`.
    pub async fn start(
        responder: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let fixed: Arc<Mutex<Option<Reply>>> = Arc::new(Mutex::new(None));
        let responder: Arc<Responder> = Arc::new(responder);

        let handler_recorded = Arc::clone(&recorded);
        let handler_fixed = Arc::clone(&fixed);
        let app = axum::Router::new().fallback(move |request: Request| {
            let recorded = Arc::clone(&handler_recorded);
            let fixed = Arc::clone(&handler_fixed);
            let responder = Arc::clone(&responder);
            async move {
                let request = record(request).await;
                recorded
                    .lock()
                    .expect("recorded lock")
                    .push(request.clone());
                let fixed = fixed.lock().expect("fixed reply lock").clone();
                let reply = fixed.unwrap_or_else(|| responder(&request));
                tokio::time::sleep(reply.delay).await;
                reply.into_response()
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
            fixed,
        }
    }

    /// Starts a fake upstream that responds to every request with `200 {"ok":true}`.
    pub async fn start_ok() -> Self {
        Self::start(|_| Reply::json(200, r#"{"ok":true}"#)).await
    }

    /// Responds to every later request with `reply` instead of the responder's reply.
    pub fn reply_with(&self, reply: Reply) {
        *self.fixed.lock().expect("fixed reply lock") = Some(reply);
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

async fn record(request: Request) -> RecordedRequest {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("the fake upstream reads the request body");
    RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    }
}
