//! Caller authentication (`specs/callers.yaml`): REST adapters behind a bearer token, an
//! API key in a header or in the query, and basic credentials, and MCP adapters behind
//! digest and bearer. Each accepts the right credential and responds with 401 otherwise.

mod common;

use naftiko_feature_tests::callers::CAPABILITY;
use naftiko_feature_tests::callers::exposes::{
    status_basic, status_bearer, status_bearer_mcp, status_digest_mcp, status_header_key,
    status_query_key,
};
use naftiko_test_support as support;
use serde_json::json;

const BEARER_TOKEN: &str = "caller-token-1";
const API_KEY: &str = "caller key/2";
const USER: &str = "skipper";
const PASSWORD: &str = "pass:word 3";

fn context() -> std::sync::Arc<naftiko_runtime::invoke::CapabilityContext> {
    common::context(&CAPABILITY, &[BEARER_TOKEN, API_KEY, USER, PASSWORD], &[])
}

/// Sends `request` and checks it is rejected with a bearer, API key or basic challenge.
async fn assert_rejected(request: reqwest::RequestBuilder, scheme: &str) {
    let response = request.send().await.expect("the adapter responds");
    assert_eq!(response.status().as_u16(), 401);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(challenge.starts_with(scheme), "{challenge}");
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn rest_bearer_token() {
    let adapter = support::serve(status_bearer::router(context())).await;
    let url = format!("{adapter}/status");
    let http = support::loopback_http();

    let accepted = support::send(http.get(&url).bearer_auth(BEARER_TOKEN)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(accepted.json(), json!({"status": "sailing"}));

    assert_rejected(http.get(&url), "Bearer").await;
    assert_rejected(http.get(&url).bearer_auth("caller-token-2"), "Bearer").await;
}

#[tokio::test]
async fn rest_api_key_in_header() {
    let adapter = support::serve(status_header_key::router(context())).await;
    let url = format!("{adapter}/status");
    let http = support::loopback_http();

    let accepted = support::send(http.get(&url).header("X-Api-Key", API_KEY)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    assert_rejected(http.get(&url), "ApiKey").await;
    assert_rejected(http.get(&url).header("X-Api-Key", "other"), "ApiKey").await;
}

#[tokio::test]
async fn rest_api_key_in_query() {
    let adapter = support::serve(status_query_key::router(context())).await;
    let url = format!("{adapter}/status");
    let http = support::loopback_http();

    // `caller key/2`, percent-encoded as a query value.
    let accepted = support::send(http.get(format!("{url}?api_key=caller%20key%2F2"))).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    assert_rejected(http.get(&url), "ApiKey").await;
    assert_rejected(http.get(format!("{url}?api_key=other")), "ApiKey").await;
}

#[tokio::test]
async fn rest_basic_credentials() {
    let adapter = support::serve(status_basic::router(context())).await;
    let url = format!("{adapter}/status");
    let http = support::loopback_http();

    let accepted = support::send(http.get(&url).basic_auth(USER, Some(PASSWORD))).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    assert_rejected(http.get(&url), "Basic").await;
    assert_rejected(http.get(&url).basic_auth(USER, Some("wrong")), "Basic").await;
}

#[tokio::test]
async fn mcp_bearer_token() {
    let adapter = support::serve(status_bearer_mcp::router(context())).await;
    let post = || support::mcp::initialize_request(&format!("{adapter}/mcp"));

    let accepted = post()
        .bearer_auth(BEARER_TOKEN)
        .send()
        .await
        .expect("responds");
    assert_eq!(accepted.status().as_u16(), 200);

    assert_rejected(post(), "Bearer").await;
    assert_rejected(post().bearer_auth("caller-token-2"), "Bearer").await;
}

#[tokio::test]
async fn mcp_digest_challenge() {
    let adapter = support::serve(status_digest_mcp::router(context())).await;

    let response = support::loopback_http()
        .post(format!("{adapter}/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .expect("the adapter responds");

    assert_eq!(response.status().as_u16(), 401);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    assert!(challenge.starts_with("Digest "), "{challenge}");
    assert!(
        challenge.contains(r#"realm="status-digest-mcp""#),
        "{challenge}"
    );
    assert!(challenge.contains("nonce="), "{challenge}");
}
