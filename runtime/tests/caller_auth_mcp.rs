//! Caller authentication of an MCP adapter, for every scheme: rmcp's client with the
//! credential, and raw `initialize` POSTs without it or with a wrong one.

mod caller_auth_fixture;

use std::collections::HashMap;

use naftiko_runtime::descriptor::CallerAuth;
use naftiko_runtime::mcp;
use naftiko_test_support::logs::global_logs;
use naftiko_test_support::mcp::{connect_mcp_with, initialize_request};
use naftiko_test_support::serve;
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue, WWW_AUTHENTICATE};
use rmcp::model::CallToolRequestParams;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::Value;

use caller_auth_fixture::{
    API_KEY, API_KEY_HEADER, API_KEY_QUERY, BASIC, BEARER, DIGEST, PASSWORD, TOKEN, USERNAME,
    WRONG, assert_no_credential, basic, context, digest_authorization, digest_challenges,
    mcp_adapter,
};

/// Starts an MCP adapter that requires `auth` and returns its `/mcp` URL.
async fn start(auth: CallerAuth) -> String {
    global_logs();
    let base = serve(mcp::router(mcp_adapter(auth), context())).await;
    format!("{base}/mcp")
}

/// Posts an `initialize` request with the header, if any.
async fn initialize(url: &str, header: Option<(&str, &str)>) -> reqwest::Response {
    let mut request = initialize_request(url);
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    request.send().await.expect("request reaches the adapter")
}

/// Checks a `401`: a challenge of `scheme`, the JSON error and no credential in the body.
async fn assert_unauthorized(response: reqwest::Response, scheme: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(challenge.starts_with(scheme), "challenge: {challenge}");
    let body = response.text().await.expect("reads the body");
    let error: Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(error["error"]["code"], "unauthorized", "{body}");
    assert_no_credential(&body);
}

/// Connects rmcp's client with these headers on every request, calls `ping` and checks the
/// result.
async fn assert_tool_call_works(url: &str, headers: &[(&'static str, String)]) {
    let headers: HashMap<HeaderName, HeaderValue> = headers
        .iter()
        .map(|(name, value)| {
            let value = HeaderValue::from_str(value).expect("a valid header value");
            (HeaderName::from_static(name), value)
        })
        .collect();
    let config =
        StreamableHttpClientTransportConfig::with_uri(url.to_owned()).custom_headers(headers);
    assert_rmcp_call(config).await;
}

async fn assert_rmcp_call(config: StreamableHttpClientTransportConfig) {
    let client = connect_mcp_with(config).await;
    let result = client
        .call_tool(CallToolRequestParams::new("ping"))
        .await
        .expect("tools/call");
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let _ = client.cancel().await;
}

#[tokio::test]
async fn bearer_token_checked() {
    let url = start(BEARER).await;
    let config = StreamableHttpClientTransportConfig::with_uri(url.clone()).auth_header(TOKEN);
    assert_rmcp_call(config).await;
    assert_unauthorized(initialize(&url, None).await, "Bearer").await;
    let wrong = format!("Bearer {WRONG}");
    assert_unauthorized(
        initialize(&url, Some(("authorization", &wrong))).await,
        "Bearer",
    )
    .await;
}

#[tokio::test]
async fn bearer_guards_root_path() {
    let url = start(BEARER).await;
    let root = url.trim_end_matches("/mcp").to_owned() + "/";
    assert_unauthorized(initialize(&root, None).await, "Bearer").await;
    let right = format!("Bearer {TOKEN}");
    let response = initialize(&root, Some(("authorization", &right))).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn api_key_header_checked() {
    let url = start(API_KEY_HEADER).await;
    assert_tool_call_works(&url, &[("x-api-key", API_KEY.to_owned())]).await;
    assert_unauthorized(initialize(&url, None).await, "ApiKey").await;
    let response = initialize(&url, Some(("x-api-key", WRONG))).await;
    assert_unauthorized(response, "ApiKey").await;
}

#[tokio::test]
async fn api_key_query_checked() {
    let url = start(API_KEY_QUERY).await;
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{url}?api_key={API_KEY}"));
    assert_rmcp_call(config).await;
    assert_unauthorized(initialize(&url, None).await, "ApiKey").await;
    let response = initialize(&format!("{url}?api_key={WRONG}"), None).await;
    assert_unauthorized(response, "ApiKey").await;
}

#[tokio::test]
async fn basic_credentials_checked() {
    let url = start(BASIC).await;
    assert_tool_call_works(&url, &[("authorization", basic(USERNAME, PASSWORD))]).await;
    assert_unauthorized(initialize(&url, None).await, "Basic").await;
    let wrong = basic(USERNAME, WRONG);
    assert_unauthorized(
        initialize(&url, Some(("authorization", &wrong))).await,
        "Basic",
    )
    .await;
}

#[tokio::test]
async fn digest_round_trip_and_tampering() {
    let url = start(DIGEST).await;
    let first = initialize(&url, None).await;
    let challenges = digest_challenges(first.headers());
    assert_unauthorized(first, "Digest").await;
    assert_eq!(challenges.len(), 2);

    for challenge in &challenges {
        // Every request of the session is `POST /mcp`, so one response covers all of them
        // while the nonce lasts.
        let header = digest_authorization(challenge, "POST", "/mcp", PASSWORD);
        assert_tool_call_works(&url, &[("authorization", header)]).await;
    }

    let challenge = &challenges[0];
    let wrong = digest_authorization(challenge, "POST", "/mcp", WRONG);
    let response = initialize(&url, Some(("authorization", &wrong))).await;
    assert_unauthorized(response, "Digest").await;
    let get_response = digest_authorization(challenge, "GET", "/mcp", PASSWORD);
    let response = initialize(&url, Some(("authorization", &get_response))).await;
    assert_unauthorized(response, "Digest").await;
}

#[tokio::test]
async fn rejections_logged_without_credentials() {
    let url = start(BASIC).await;
    let wrong = basic(USERNAME, WRONG);
    let response = initialize(&url, Some(("authorization", &wrong))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let logs = global_logs();
    let line = logs
        .lines()
        .find(|line| line.contains("caller authentication failed"))
        .unwrap_or_else(|| panic!("no rejection line in:\n{logs}"));
    assert!(line.contains("caller-auth-mcp"), "{line}");
    assert_no_credential(&logs);
}
