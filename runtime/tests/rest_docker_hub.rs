//! The Docker Hub REST adapter served over loopback against a fake upstream.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::{CAPABILITY, CONSUMES_NAMESPACE, REST_ADAPTER};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::rest;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;
use naftiko_test_support::{FakeUpstream, Reply};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "dckr_oat_s3cr3t-token";

/// Serves the REST adapter on a loopback port, calling `upstream_base_uri`, and returns
/// its base URL.
async fn serve_adapter(upstream_base_uri: &str, timeout: Duration) -> String {
    let http = upstream::http_client(timeout, Duration::from_secs(2)).expect("HTTP client builds");
    let base_uris = BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), upstream_base_uri.to_owned())]);
    let binds = BindValues::from_values(vec![Secret::new(TOKEN)]);
    let context = Arc::new(CapabilityContext::new(&CAPABILITY, binds, http, &base_uris));
    let app = rest::router(&REST_ADAPTER, context);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("adapter binds a loopback port");
    let address = listener.local_addr().expect("adapter local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

async fn start() -> (FakeUpstream, String) {
    let upstream = FakeUpstream::start_ok().await;
    let adapter = serve_adapter(&upstream.base_uri, Duration::from_secs(5)).await;
    (upstream, adapter)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("test client builds")
}

async fn send(
    method: reqwest::Method,
    url: &str,
    body: Option<&str>,
) -> (u16, Option<String>, String, reqwest::header::HeaderMap) {
    let mut request = client().request(method, url);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.expect("adapter responds");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("response body reads");
    (status, content_type, text, headers)
}

/// Sends a request line exactly as written, for paths an HTTP client would normalise.
async fn send_raw(adapter: &str, method: &str, path: &str) -> String {
    let address = adapter.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("adapter accepts a connection");
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request is written");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response is read");
    response
}

fn error_code(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    value["error"]["code"].as_str().map(str::to_owned)
}

fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|value| value["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[tokio::test]
async fn create_posts_body_with_bearer() {
    let (upstream, adapter) = start().await;
    upstream.reply_with(Reply::json(201, r#"{"token":"new"}"#));

    let (status, content_type, body, _) = send(
        reqwest::Method::POST,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens"),
        Some(r#"{"token_label":"ci","scopes":["repo:read"]}"#),
    )
    .await;

    assert_eq!(status, 201);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(body, r#"{"token":"new"}"#);
    let request = upstream.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v2/orgs/acme/access-tokens");
    assert_eq!(request.query, None);
    assert_eq!(
        request.headers["authorization"].to_str().ok(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        request.headers["content-type"].to_str().ok(),
        Some("application/json")
    );
    let sent: Value = serde_json::from_slice(&request.body).expect("upstream body is JSON");
    assert_eq!(sent, json!({"token_label": "ci", "scopes": ["repo:read"]}));
}

#[tokio::test]
async fn list_without_query() {
    let (upstream, adapter) = start().await;

    let (status, _, body, _) = send(
        reqwest::Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens"),
        None,
    )
    .await;

    assert_eq!(status, 200);
    assert_eq!(body, r#"{"ok":true}"#);
    let request = upstream.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/v2/orgs/acme/access-tokens");
    assert_eq!(request.query, None);
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn list_forwards_given_query() {
    let (upstream, adapter) = start().await;

    let (status, _, _, _) = send(
        reqwest::Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens?page=2&page_size=25"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _, _) = send(
        reqwest::Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens?page_size=10"),
        None,
    )
    .await;
    assert_eq!(status, 200);

    let requests = upstream.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].query.as_deref(), Some("page=2&page_size=25"));
    assert_eq!(requests[1].query.as_deref(), Some("page_size=10"));
}

#[tokio::test]
async fn list_rejects_non_numeric_page() {
    let (upstream, adapter) = start().await;

    let (status, _, body, _) = send(
        reqwest::Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens?page=two"),
        None,
    )
    .await;

    assert_eq!(status, 400);
    assert_eq!(error_code(&body).as_deref(), Some("invalid_input"));
    assert!(error_message(&body).contains("`page`"), "{body}");
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn get_one_calls_token_path() {
    let (upstream, adapter) = start().await;

    let (status, _, _, _) = send(
        reqwest::Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens/a1b2-c3"),
        None,
    )
    .await;

    assert_eq!(status, 200);
    let request = upstream.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/v2/orgs/acme/access-tokens/a1b2-c3");
    assert_eq!(
        request.headers["authorization"].to_str().ok(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn update_patches_body() {
    let (upstream, adapter) = start().await;

    let (status, _, _, _) = send(
        reqwest::Method::PATCH,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens/a1b2"),
        Some(r#"{"is_active":false}"#),
    )
    .await;

    assert_eq!(status, 200);
    let request = upstream.only_request();
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.path, "/v2/orgs/acme/access-tokens/a1b2");
    let sent: Value = serde_json::from_slice(&request.body).expect("upstream body is JSON");
    assert_eq!(sent, json!({"is_active": false}));
}

#[tokio::test]
async fn delete_returns_empty_204() {
    let (upstream, adapter) = start().await;
    upstream.reply_with(Reply::empty(204));

    let (status, content_type, body, _) = send(
        reqwest::Method::DELETE,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens/a1b2"),
        None,
    )
    .await;

    assert_eq!(status, 204);
    assert_eq!(body, "");
    assert_eq!(content_type, None);
    let request = upstream.only_request();
    assert_eq!(request.method, "DELETE");
    assert_eq!(request.path, "/v2/orgs/acme/access-tokens/a1b2");
}

#[tokio::test]
async fn upstream_404_passes_through() {
    let (upstream, adapter) = start().await;
    upstream.reply_with(Reply::new(404, "text/plain", "no such token"));

    let (status, content_type, body, _) = send(
        reqwest::Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens/missing"),
        None,
    )
    .await;

    assert_eq!(status, 404);
    assert_eq!(content_type.as_deref(), Some("text/plain"));
    assert_eq!(body, "no such token");
}

#[tokio::test]
async fn unreachable_upstream_is_502() {
    let dead = naftiko_test_support::dead_base_uri().await;
    let adapter = serve_adapter(&dead, Duration::from_secs(5)).await;

    let (status, content_type, body, _) = send(
        reqwest::Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens?page=1"),
        None,
    )
    .await;

    assert_eq!(status, 502);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(error_code(&body).as_deref(), Some("upstream_unreachable"));
    let message = error_message(&body);
    assert!(
        message.contains("docker-hub-org-access-tokens.v2-orgs-name-access-tokens.get"),
        "{message}"
    );
    assert!(!body.contains(TOKEN), "{body}");
    assert!(!body.contains("page=1"), "{body}");
}

#[tokio::test]
async fn slow_upstream_is_504() {
    let upstream = FakeUpstream::start_ok().await;
    upstream.reply_with(Reply::json(200, "{}").with_delay(Duration::from_secs(3)));
    let adapter = serve_adapter(&upstream.base_uri, Duration::from_millis(300)).await;

    let (status, _, body, _) = send(
        reqwest::Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens/a1b2"),
        None,
    )
    .await;

    assert_eq!(status, 504);
    assert_eq!(error_code(&body).as_deref(), Some("upstream_timeout"));
    assert!(error_message(&body).contains("v2-orgs-org_name-access-tokens-access_token_id.get"));
    assert!(!body.contains(TOKEN), "{body}");
}

#[tokio::test]
async fn non_json_success_is_502() {
    let (upstream, adapter) = start().await;
    upstream.reply_with(Reply::new(200, "text/html", "<html>login</html>"));

    let (status, _, body, _) = send(
        reqwest::Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens"),
        None,
    )
    .await;

    assert_eq!(status, 502);
    assert_eq!(
        error_code(&body).as_deref(),
        Some("invalid_upstream_response")
    );
    assert!(!body.contains(TOKEN), "{body}");
}

#[tokio::test]
async fn malformed_json_is_400_without_call() {
    let (upstream, adapter) = start().await;

    let (status, _, body, _) = send(
        reqwest::Method::POST,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens"),
        Some(r#"{"token_label": "#),
    )
    .await;

    assert_eq!(status, 400);
    assert_eq!(error_code(&body).as_deref(), Some("invalid_input"));
    assert!(error_message(&body).contains("`body`"), "{body}");
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn missing_body_is_400() {
    let (upstream, adapter) = start().await;

    let (status, _, body, _) = send(
        reqwest::Method::PATCH,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens/a1b2"),
        None,
    )
    .await;

    assert_eq!(status, 400);
    assert_eq!(error_message(&body), "invalid input `body`: missing");
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn non_object_body_is_400() {
    let (upstream, adapter) = start().await;

    let (status, _, body, _) = send(
        reqwest::Method::POST,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens"),
        Some("[1, 2]"),
    )
    .await;

    assert_eq!(status, 400);
    assert_eq!(
        error_message(&body),
        "invalid input `body`: expected object, got array"
    );
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn org_name_delimiters_stay_in_segment() {
    let (upstream, adapter) = start().await;
    // The route value as the caller encodes it, then the upstream path expected.
    let cases = [
        ("a%2Fb", "/v2/orgs/a%2Fb/access-tokens/t1"),
        ("a%3Fx%3D1", "/v2/orgs/a%3Fx%3D1/access-tokens/t1"),
        ("a%23b", "/v2/orgs/a%23b/access-tokens/t1"),
        ("%252F", "/v2/orgs/%252F/access-tokens/t1"),
        (
            "..%2F..%2Fadmin",
            "/v2/orgs/..%2F..%2Fadmin/access-tokens/t1",
        ),
        ("a%20b", "/v2/orgs/a%20b/access-tokens/t1"),
    ];

    for (org, _) in cases {
        let (status, _, _, _) = send(
            reqwest::Method::GET,
            &format!("{adapter}/v1/v2/orgs/{org}/access-tokens/t1"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{org}");
    }

    let requests = upstream.requests();
    assert_eq!(requests.len(), cases.len());
    for (request, (org, expected)) in requests.iter().zip(cases) {
        assert_eq!(request.path, expected, "{org}");
        assert_eq!(request.query, None, "{org}");
    }
}

#[tokio::test]
async fn dot_segment_org_is_400() {
    let (upstream, adapter) = start().await;

    for path in [
        "/v1/v2/orgs/../access-tokens/t1",
        "/v1/v2/orgs/%2E%2E/access-tokens/t1",
        "/v1/v2/orgs/./access-tokens/t1",
    ] {
        let response = send_raw(&adapter, "GET", path).await;
        assert!(response.starts_with("HTTP/1.1 400"), "{path}: {response}");
        assert!(response.contains("`org-name`"), "{path}: {response}");
    }
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn unknown_path_is_json_404() {
    let (upstream, adapter) = start().await;

    let (status, content_type, body, _) =
        send(reqwest::Method::GET, &format!("{adapter}/v1/nothing"), None).await;

    assert_eq!(status, 404);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(error_code(&body).as_deref(), Some("not_found"));
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let (upstream, adapter) = start().await;

    let (status, _, _, headers) = send(
        reqwest::Method::PUT,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens"),
        None,
    )
    .await;

    assert_eq!(status, 405);
    let allow = headers
        .get("allow")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    assert!(allow.contains("GET"), "{allow}");
    assert!(allow.contains("POST"), "{allow}");
    assert!(upstream.requests().is_empty());
}
