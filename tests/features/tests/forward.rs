//! Forwarding (`specs/forward.yaml`): everything below `/registry` passes through to the
//! registry with the API's fixed header, query parameter and token, and only the trusted
//! caller headers. `/registry/health` is an operation, so it is never forwarded.

mod common;

use naftiko_feature_tests::forward::CAPABILITY;
use naftiko_feature_tests::forward::exposes::registry_proxy;
use reqwest::Method;
use serde_json::json;

use naftiko_test_support as support;
use support::{FakeUpstream, RecordedRequest, Reply};

const TOKEN: &str = "registry-token-9";
const TENANT: &str = "north sea";

async fn start(
    responder: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
) -> (FakeUpstream, String) {
    let upstream = FakeUpstream::start(responder).await;
    let context = common::context(
        &CAPABILITY,
        &[TOKEN, TENANT],
        &[("registry", format!("{}/api", upstream.base_uri))],
    );
    let adapter = support::serve(registry_proxy::router(context)).await;
    (upstream, adapter)
}

#[tokio::test]
async fn passes_path_query_and_trusted_headers() {
    let (upstream, adapter) = start(|_| Reply::json(200, json!({"imo": "9319466"}))).await;

    let response = support::send(
        support::loopback_http()
            .get(format!(
                "{adapter}/registry/ships/9319466?verbose=1&tenant=evil"
            ))
            .header("X-Request-Id", "req-1")
            .header("X-Api-Version", "1999-01-01")
            .header("Cookie", "session=caller"),
    )
    .await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), json!({"imo": "9319466"}));
    let request = upstream.only_request();
    assert_eq!(request.path, "/api/ships/9319466");
    // The caller's `tenant` is replaced by the spec's.
    assert_eq!(
        request.query.as_deref(),
        Some("verbose=1&tenant=north%20sea")
    );
    assert_eq!(request.header("x-request-id"), Some("req-1"));
    assert_eq!(request.header_all("x-api-version"), ["2026-03-03"]);
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.header("cookie"), None);
}

#[tokio::test]
async fn passes_method_body_and_content_type() {
    let (upstream, adapter) = start(|_| Reply::new(201, "text/plain", "created")).await;

    let response = support::send_json(
        Method::POST,
        &format!("{adapter}/registry/ships"),
        &json!({"name": "Northern Star"}),
    )
    .await;

    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(response.content_type.as_deref(), Some("text/plain"));
    assert_eq!(response.body, "created");
    let request = upstream.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.json_body(), json!({"name": "Northern Star"}));
}

#[tokio::test]
async fn upstream_error_passes_through() {
    let (_upstream, adapter) =
        start(|_| Reply::new(409, "application/problem+json", r#"{"title":"taken"}"#)).await;

    let response = support::send_json(
        Method::PUT,
        &format!("{adapter}/registry/ships/9319466"),
        &json!({}),
    )
    .await;

    assert_eq!(response.status, 409);
    assert_eq!(
        response.content_type.as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(response.body, r#"{"title":"taken"}"#);
}

#[tokio::test]
async fn encoded_dot_segments_cannot_climb() {
    let (upstream, adapter) = start(|_| Reply::json(200, json!({}))).await;

    for path in [
        "%2e%2e/admin",
        "ships/%2E%2E/%2e%2e/admin",
        ".%2e/admin",
        "../admin",
    ] {
        let reply = support::raw::raw_get(&adapter, &format!("/registry/{path}")).await;
        assert!(
            reply.text.starts_with("HTTP/1.1 400"),
            "{path}: {}",
            reply.text
        );
    }
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn operation_wins_over_forward() {
    let (upstream, adapter) = start(|_| Reply::json(200, json!({}))).await;

    let response = support::get(&format!("{adapter}/registry/health")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), json!({"status": "up"}));
    assert!(upstream.requests().is_empty());
}
