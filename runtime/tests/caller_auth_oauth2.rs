//! oauth2 caller authentication of REST and MCP adapters, against a test authorization
//! server on loopback that publishes its metadata and key set.

mod caller_auth_fixture;
mod oauth2_fixture;

use std::time::Duration;

use naftiko_runtime::caller_auth::oauth2::MIN_FETCH_INTERVAL;
use naftiko_runtime::{mcp, rest};
use naftiko_test_support::logs::global_logs;
use naftiko_test_support::mcp::{connect_mcp_with, initialize_request};
use naftiko_test_support::{dead_base_uri, loopback_http, serve};
use reqwest::StatusCode;
use reqwest::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use rmcp::model::CallToolRequestParams;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use caller_auth_fixture::{OK_BODY, mcp_adapter, rest_adapter};
use oauth2_fixture::{
    AUDIENCE, AuthServer, EC_KID, RESOURCE, RSA_KID, SCOPE, claims, context, ec_token,
    hmac_with_public_key_token, now, oauth2, rsa_token, tampered, unsigned_token,
};

/// The challenge of the MCP adapter names this metadata URL, derived from [`RESOURCE`].
const METADATA_URL: &str = "https://tools.example.com/.well-known/oauth-protected-resource/mcp";

/// Starts a REST adapter whose tokens come from `issuer` and returns its `/ping` URL.
async fn start_rest(issuer: &str) -> String {
    global_logs();
    let adapter = rest_adapter(oauth2(AUDIENCE, None));
    let base = serve(rest::router(adapter, context(issuer))).await;
    format!("{base}/ping")
}

/// Starts an MCP adapter whose tokens come from `issuer` and returns its base URL.
async fn start_mcp(issuer: &str) -> String {
    global_logs();
    let adapter = mcp_adapter(oauth2(RESOURCE, Some(RESOURCE)));
    serve(mcp::router(adapter, context(issuer))).await
}

async fn get(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = loopback_http().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request reaches the adapter")
}

/// Posts an MCP `initialize` request with the token, if any.
async fn initialize(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = initialize_request(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request reaches the adapter")
}

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Checks a denial: its status, the JSON error code, and a challenge without any token.
async fn assert_denied(
    response: reqwest::Response,
    status: StatusCode,
    code: &str,
    challenge_text: &str,
    case: &str,
) {
    assert_eq!(response.status(), status, "{case}");
    let challenge = challenge(&response);
    assert_eq!(challenge, challenge_text, "{case}");
    let body = response.text().await.expect("reads the body");
    let error: Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(error["error"]["code"], code, "{case}: {body}");
    assert!(error["error"]["message"].is_string(), "{case}: {body}");
}

/// Returns tokens that must each be rejected with `error="invalid_token"`.
fn invalid_tokens(issuer: &str, audience: &str) -> Vec<(&'static str, String)> {
    let valid = claims(issuer, audience);
    let with = |field: &str, value: Value| {
        let mut claims = valid.clone();
        claims[field] = value;
        claims
    };
    let without = |field: &str| {
        let mut claims = valid.clone();
        claims.as_object_mut().expect("an object").remove(field);
        claims
    };
    vec![
        ("bad signature", tampered(&rsa_token(&valid, Some(RSA_KID)))),
        (
            "expired",
            rsa_token(&with("exp", json!(now() - 600)), Some(RSA_KID)),
        ),
        (
            "not yet valid",
            rsa_token(&with("nbf", json!(now() + 600)), Some(RSA_KID)),
        ),
        ("no exp", rsa_token(&without("exp"), Some(RSA_KID))),
        (
            "wrong issuer",
            rsa_token(
                &with("iss", json!("https://evil.example.com")),
                Some(RSA_KID),
            ),
        ),
        ("no issuer", rsa_token(&without("iss"), Some(RSA_KID))),
        (
            "wrong audience",
            rsa_token(
                &with("aud", json!("https://other.example.com")),
                Some(RSA_KID),
            ),
        ),
        ("no audience", rsa_token(&without("aud"), Some(RSA_KID))),
        ("unknown kid", rsa_token(&valid, Some("rotated-away"))),
        ("alg none", unsigned_token(&valid)),
        (
            "HS256 with the public key",
            hmac_with_public_key_token(&valid),
        ),
        ("not a JWT", "opaque-token-value".to_owned()),
    ]
}

#[tokio::test]
async fn rest_accepts_valid_tokens() {
    let server = AuthServer::start_with(&[RSA_KID, EC_KID]).await;
    let url = start_rest(&server.issuer).await;
    let valid = claims(&server.issuer, AUDIENCE);
    let mut scp_array = valid.clone();
    scp_array
        .as_object_mut()
        .expect("an object")
        .remove("scope");
    scp_array["scp"] = json!(["openid", SCOPE]);
    let mut audiences = valid.clone();
    audiences["aud"] = json!(["https://other.example.com", AUDIENCE]);
    let cases = [
        ("RS256 with kid", rsa_token(&valid, Some(RSA_KID))),
        ("ES256 with kid", ec_token(&valid)),
        ("scp array", rsa_token(&scp_array, Some(RSA_KID))),
        ("audience in a list", rsa_token(&audiences, Some(RSA_KID))),
    ];
    for (case, token) in cases {
        let response = get(&url, Some(&token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{case}");
        assert_eq!(response.text().await.expect("reads the body"), OK_BODY);
    }
    // Metadata and key set were fetched once for all of them.
    assert_eq!(server.key_set_fetches(), 1);
}

#[tokio::test]
async fn rest_token_without_kid_needs_one_key() {
    let server = AuthServer::start().await;
    let url = start_rest(&server.issuer).await;
    let token = rsa_token(&claims(&server.issuer, AUDIENCE), None);
    assert_eq!(get(&url, Some(&token)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn rest_rejects_missing_token() {
    let server = AuthServer::start().await;
    let url = start_rest(&server.issuer).await;
    let expected = format!("Bearer realm=\"caller-auth-rest\", scope=\"{SCOPE}\"");
    let response = get(&url, None).await;
    assert_denied(
        response,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        &expected,
        "none",
    )
    .await;
    // Basic credentials are no bearer token.
    let response = loopback_http()
        .get(&url)
        .basic_auth("agent", Some("secret"))
        .send()
        .await
        .expect("request reaches the adapter");
    assert_denied(
        response,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        &expected,
        "basic",
    )
    .await;
}

#[tokio::test]
async fn rest_rejects_invalid_tokens() {
    let server = AuthServer::start().await;
    let url = start_rest(&server.issuer).await;
    let expected =
        format!("Bearer realm=\"caller-auth-rest\", error=\"invalid_token\", scope=\"{SCOPE}\"");
    for (case, token) in invalid_tokens(&server.issuer, AUDIENCE) {
        let response = get(&url, Some(&token)).await;
        assert_denied(
            response,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            &expected,
            case,
        )
        .await;
    }
    let logs = global_logs();
    assert!(logs.contains("wrong audience"), "{logs}");
    assert!(logs.contains("expired token"), "{logs}");
    for (_, token) in invalid_tokens(&server.issuer, AUDIENCE) {
        assert!(!logs.contains(&token), "a token leaked into the log");
    }
}

#[tokio::test]
async fn rest_missing_scope_is_forbidden() {
    let server = AuthServer::start().await;
    let url = start_rest(&server.issuer).await;
    let mut claims = claims(&server.issuer, AUDIENCE);
    claims["scope"] = json!("openid stock:write");
    let response = get(&url, Some(&rsa_token(&claims, Some(RSA_KID)))).await;
    let expected = format!(
        "Bearer realm=\"caller-auth-rest\", error=\"insufficient_scope\", scope=\"{SCOPE}\""
    );
    assert_denied(
        response,
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        &expected,
        "no stock:read",
    )
    .await;
}

#[tokio::test]
async fn rest_unavailable_keys_answer_503() {
    let issuer = dead_base_uri().await;
    let url = start_rest(&issuer).await;
    let token = rsa_token(&claims(&issuer, AUDIENCE), Some(RSA_KID));
    for _ in 0..2 {
        let response = get(&url, Some(&token)).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let retry = response.headers().get(RETRY_AFTER).cloned();
        assert_eq!(
            retry.as_ref().and_then(|value| value.to_str().ok()),
            Some(MIN_FETCH_INTERVAL.as_secs().to_string().as_str())
        );
        let error: Value = response.json().await.expect("a JSON body");
        assert_eq!(error["error"]["code"], "auth_unavailable");
    }
    let logs = global_logs();
    assert!(
        logs.contains("failed to fetch the authorization server's signing keys"),
        "{logs}"
    );
    assert!(!logs.contains(&token), "the token leaked into the log");
}

#[tokio::test]
async fn unknown_kids_do_not_refetch_keys() {
    let server = AuthServer::start().await;
    let url = start_rest(&server.issuer).await;
    let valid = claims(&server.issuer, AUDIENCE);
    assert_eq!(
        get(&url, Some(&rsa_token(&valid, Some(RSA_KID))))
            .await
            .status(),
        StatusCode::OK
    );
    for index in 0..20 {
        let token = rsa_token(&valid, Some(&format!("made-up-{index}")));
        assert_eq!(
            get(&url, Some(&token)).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(server.key_set_fetches(), 1);
}

#[tokio::test]
async fn rotated_key_fetched_after_interval() {
    let server = AuthServer::start().await;
    let url = start_rest(&server.issuer).await;
    let valid = claims(&server.issuer, AUDIENCE);
    assert_eq!(
        get(&url, Some(&rsa_token(&valid, Some(RSA_KID))))
            .await
            .status(),
        StatusCode::OK
    );
    server.publish(&[RSA_KID, EC_KID]);
    // Within the interval the new key is unknown, and the set is not fetched again.
    assert_eq!(
        get(&url, Some(&ec_token(&valid))).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.key_set_fetches(), 1);
    tokio::time::sleep(MIN_FETCH_INTERVAL + Duration::from_millis(200)).await;
    assert_eq!(
        get(&url, Some(&ec_token(&valid))).await.status(),
        StatusCode::OK
    );
    assert_eq!(server.key_set_fetches(), 2);
}

#[tokio::test]
async fn mcp_tool_call_with_token() {
    let server = AuthServer::start().await;
    let base = start_mcp(&server.issuer).await;
    let token = rsa_token(&claims(&server.issuer, RESOURCE), Some(RSA_KID));
    let config =
        StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp")).auth_header(token);
    let client = connect_mcp_with(config).await;
    let result = client
        .call_tool(CallToolRequestParams::new("ping"))
        .await
        .expect("tools/call");
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let _ = client.cancel().await;
}

#[tokio::test]
async fn mcp_challenges_name_resource_metadata() {
    let server = AuthServer::start().await;
    let base = start_mcp(&server.issuer).await;
    let url = format!("{base}/mcp");
    let unauthorized = format!(
        "Bearer realm=\"caller-auth-mcp\", scope=\"{SCOPE}\", resource_metadata=\"{METADATA_URL}\""
    );
    let response = initialize(&url, None).await;
    assert_denied(
        response,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        &unauthorized,
        "none",
    )
    .await;

    let invalid = format!(
        "Bearer realm=\"caller-auth-mcp\", error=\"invalid_token\", scope=\"{SCOPE}\", \
         resource_metadata=\"{METADATA_URL}\""
    );
    for (case, token) in invalid_tokens(&server.issuer, RESOURCE) {
        let response = initialize(&url, Some(&token)).await;
        assert_denied(
            response,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            &invalid,
            case,
        )
        .await;
    }

    let mut claims = claims(&server.issuer, RESOURCE);
    claims.as_object_mut().expect("an object").remove("scope");
    let response = initialize(&url, Some(&rsa_token(&claims, Some(RSA_KID)))).await;
    let forbidden = format!(
        "Bearer realm=\"caller-auth-mcp\", error=\"insufficient_scope\", scope=\"{SCOPE}\", \
         resource_metadata=\"{METADATA_URL}\""
    );
    assert_denied(
        response,
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        &forbidden,
        "no scope",
    )
    .await;
}

#[tokio::test]
async fn mcp_serves_protected_resource_metadata() {
    let server = AuthServer::start().await;
    let base = start_mcp(&server.issuer).await;
    let expected = json!({
        "resource": RESOURCE,
        "authorization_servers": [server.issuer],
        "scopes_supported": [SCOPE],
        "bearer_methods_supported": ["header"],
    });
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let response = get(&format!("{base}{path}"), None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let document: Value = response.json().await.expect("a JSON document");
        assert_eq!(document, expected, "{path}");
    }
    // Other well-known paths stay protected.
    let response = get(&format!("{base}/.well-known/other"), None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn mcp_unavailable_keys_answer_503() {
    let issuer = dead_base_uri().await;
    let base = start_mcp(&issuer).await;
    let token = rsa_token(&claims(&issuer, RESOURCE), Some(RSA_KID));
    let response = initialize(&format!("{base}/mcp"), Some(&token)).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let error: Value = response.json().await.expect("a JSON body");
    assert_eq!(error["error"]["code"], "auth_unavailable");
    // The metadata document needs no keys.
    let response = get(
        &format!("{base}/.well-known/oauth-protected-resource"),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}
