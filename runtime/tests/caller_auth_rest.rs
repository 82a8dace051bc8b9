//! Caller authentication of a REST adapter, for every scheme, over loopback HTTP.

mod caller_auth_fixture;

use std::collections::BTreeMap;

use naftiko_runtime::descriptor::{
    Auth, BindSource, BindVariable, CallerAuth, Capability, ConsumedApi, HttpMethod, PathPart,
    RawFormat, TemplatePart, UpstreamOperation,
};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::rest;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_test_support::logs::global_logs;
use naftiko_test_support::{loopback_http, serve};
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::Value;

use caller_auth_fixture::{
    API_KEY, API_KEY_HEADER, API_KEY_QUERY, BASIC, BEARER, DIGEST, OK_BODY, PASSWORD, REALM, TOKEN,
    UNRENDERABLE, USERNAME, WRONG, assert_no_credential, basic, context, digest_authorization,
    digest_challenges, rest_adapter,
};

/// Starts a REST adapter that requires `auth` and returns its base URL.
async fn start(auth: CallerAuth) -> String {
    global_logs();
    serve(rest::router(rest_adapter(auth), context())).await
}

/// Sends `GET url` with the header, if any.
async fn get(url: &str, header: Option<(&str, &str)>) -> reqwest::Response {
    let mut request = loopback_http().get(url);
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
    assert!(error["error"]["message"].is_string(), "{body}");
    assert_no_credential(&body);
    assert_no_credential(&challenge);
}

async fn assert_ok(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.expect("reads the body");
    assert_eq!(body, OK_BODY);
}

#[tokio::test]
async fn bearer_token_checked() {
    let base = start(BEARER).await;
    let url = format!("{base}/ping");
    assert_ok(get(&url, Some(("authorization", &format!("Bearer {TOKEN}")))).await).await;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    assert_ok(get(&url, Some(("authorization", &format!("bearer {TOKEN}")))).await).await;
    assert_unauthorized(get(&url, None).await, "Bearer").await;
    let wrong = get(&url, Some(("authorization", &format!("Bearer {WRONG}")))).await;
    let challenge = wrong.headers().get(WWW_AUTHENTICATE).cloned();
    assert_unauthorized(wrong, "Bearer").await;
    assert_eq!(
        challenge.as_ref().and_then(|value| value.to_str().ok()),
        Some("Bearer realm=\"caller-auth-rest\", error=\"invalid_token\"")
    );
    // A prefix of the token is as wrong as any other value.
    let prefix = &TOKEN[..TOKEN.len() - 1];
    let response = get(&url, Some(("authorization", &format!("Bearer {prefix}")))).await;
    assert_unauthorized(response, "Bearer").await;
    // The token under another scheme is not a bearer token.
    let response = get(&url, Some(("authorization", &format!("Basic {TOKEN}")))).await;
    assert_unauthorized(response, "Bearer").await;
}

#[tokio::test]
async fn bearer_guards_unknown_paths() {
    let base = start(BEARER).await;
    assert_unauthorized(get(&format!("{base}/nowhere"), None).await, "Bearer").await;
    let authorized = format!("Bearer {TOKEN}");
    let response = get(
        &format!("{base}/nowhere"),
        Some(("authorization", &authorized)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_key_header_checked() {
    let base = start(API_KEY_HEADER).await;
    let url = format!("{base}/ping");
    assert_ok(get(&url, Some(("x-api-key", API_KEY))).await).await;
    assert_unauthorized(get(&url, None).await, "ApiKey").await;
    assert_unauthorized(get(&url, Some(("x-api-key", WRONG))).await, "ApiKey").await;
    // The key in the query does not count for a header key.
    let response = get(&format!("{url}?X-Api-Key={API_KEY}"), None).await;
    assert_unauthorized(response, "ApiKey").await;
}

#[tokio::test]
async fn api_key_query_checked() {
    let base = start(API_KEY_QUERY).await;
    assert_ok(get(&format!("{base}/ping?api_key={API_KEY}"), None).await).await;
    assert_ok(get(&format!("{base}/ping?page=2&api_key={API_KEY}"), None).await).await;
    assert_unauthorized(get(&format!("{base}/ping"), None).await, "ApiKey").await;
    let response = get(&format!("{base}/ping?api_key={WRONG}"), None).await;
    assert_unauthorized(response, "ApiKey").await;
    // Two keys leave unclear which one is meant, even when one is right.
    let response = get(
        &format!("{base}/ping?api_key={API_KEY}&api_key={WRONG}"),
        None,
    )
    .await;
    assert_unauthorized(response, "ApiKey").await;
    let response = get(&format!("{base}/ping"), Some(("api_key", API_KEY))).await;
    assert_unauthorized(response, "ApiKey").await;
}

#[tokio::test]
async fn basic_credentials_checked() {
    let base = start(BASIC).await;
    let url = format!("{base}/ping");
    assert_ok(get(&url, Some(("authorization", &basic(USERNAME, PASSWORD)))).await).await;
    assert_unauthorized(get(&url, None).await, "Basic").await;
    let cases = [
        basic(USERNAME, WRONG),
        basic(WRONG, PASSWORD),
        basic(USERNAME, ""),
        format!("Basic {WRONG}"),
        "Basic".to_owned(),
        format!("Bearer {PASSWORD}"),
    ];
    for header in cases {
        let response = get(&url, Some(("authorization", &header))).await;
        assert_unauthorized(response, "Basic").await;
    }
}

#[tokio::test]
async fn digest_round_trip_with_both_algorithms() {
    let base = start(DIGEST).await;
    let url = format!("{base}/ping?page=2");
    let first = get(&url, None).await;
    let challenges = digest_challenges(first.headers());
    assert_unauthorized(first, "Digest").await;
    let algorithms: Vec<&str> = challenges.iter().map(|c| c.algorithm.as_str()).collect();
    assert_eq!(algorithms, ["SHA-256", "MD5"]);
    for challenge in &challenges {
        assert_eq!(challenge.realm, REALM);
        assert_eq!(challenge.qop, "auth");
        assert!(!challenge.stale);
        let header = digest_authorization(challenge, "GET", "/ping?page=2", PASSWORD);
        assert_ok(get(&url, Some(("authorization", &header))).await).await;
    }
}

#[tokio::test]
async fn digest_rejects_tampered_responses() {
    let base = start(DIGEST).await;
    let url = format!("{base}/ping");
    let first = get(&url, None).await;
    let challenge = digest_challenges(first.headers())
        .into_iter()
        .next()
        .expect("a challenge");

    let wrong_password = digest_authorization(&challenge, "GET", "/ping", WRONG);
    let response = get(&url, Some(("authorization", &wrong_password))).await;
    assert_unauthorized(response, "Digest").await;

    // One hex digit of the response changed.
    let good = digest_authorization(&challenge, "GET", "/ping", PASSWORD);
    let start = good.find("response=\"").expect("a response") + "response=\"".len();
    let digit = if &good[start..=start] == "0" {
        "1"
    } else {
        "0"
    };
    let tampered = format!("{}{digit}{}", &good[..start], &good[start + 1..]);
    let response = get(&url, Some(("authorization", &tampered))).await;
    assert_unauthorized(response, "Digest").await;

    // A valid response for another URI does not open this one.
    let other_uri = digest_authorization(&challenge, "GET", "/other", PASSWORD);
    let response = get(&url, Some(("authorization", &other_uri))).await;
    assert_unauthorized(response, "Digest").await;

    // A nonce this server never issued, with a response computed for it.
    let mut forged = challenge.clone();
    forged.nonce = format!("{:016x}{}", 1_u64 << 40, "ab".repeat(32));
    let header = digest_authorization(&forged, "GET", "/ping", PASSWORD);
    let response = get(&url, Some(("authorization", &header))).await;
    assert_unauthorized(response, "Digest").await;

    // The right header is still accepted, so the rejections above are the tampering.
    assert_ok(get(&url, Some(("authorization", &good))).await).await;
}

#[tokio::test]
async fn digest_nonce_valid_on_replica() {
    // Two routers built separately stand for two replicas: a nonce from one opens the other.
    let first = start(DIGEST).await;
    let second = start(DIGEST).await;
    let response = get(&format!("{first}/ping"), None).await;
    let challenge = digest_challenges(response.headers())
        .into_iter()
        .next()
        .expect("a challenge");
    let header = digest_authorization(&challenge, "GET", "/ping", PASSWORD);
    assert_ok(get(&format!("{second}/ping"), Some(("authorization", &header))).await).await;
}

static DIGEST_CLIENT_CAPABILITY: Capability = Capability {
    name: "digest-client",
    spec_file: "specs/digest-client.yaml",
    description: None,
    binds: &[BindVariable {
        namespace: "env",
        key: "PASSWORD",
        source: BindSource::Env("PASSWORD"),
        used_by: &[],
    }],
    consumes: &[&PROTECTED_API],
    rest: &[],
    mcp: &[],
    control: &[],
    skill: &[],
};

static PROTECTED_API: ConsumedApi = ConsumedApi {
    namespace: "protected",
    base_uri: "http://127.0.0.1:9",
    base_uri_from: None,
    auth: Some(Auth::Digest {
        username: &[TemplatePart::Literal(USERNAME)],
        password: &[TemplatePart::Bind(0)],
    }),
};

static PING: UpstreamOperation = UpstreamOperation {
    api: &PROTECTED_API,
    resource: "ping",
    name: "ping",
    description: None,
    method: HttpMethod::Get,
    path: &[PathPart::Literal("/ping")],
    params: &[],
    body: None,
    output_format: RawFormat::Json,
    output_scope: None,
};

/// Calls the protected adapter through the runtime's own upstream client, whose digest
/// support answers the challenge.
async fn call_through_upstream_client(base: &str, password: &str) -> u16 {
    let binds = BindValues::from_values(vec![Secret::new(password)]);
    let base_uris = BTreeMap::from([("protected".to_owned(), base.to_owned())]);
    let context = CapabilityContext::new(
        &DIGEST_CLIENT_CAPABILITY,
        binds,
        loopback_http(),
        &base_uris,
    );
    naftiko_runtime::codegen::call(&context, &PING, &[])
        .await
        .expect("the call reaches the adapter")
        .status
}

#[tokio::test]
async fn digest_accepts_runtime_client() {
    let base = start(DIGEST).await;
    assert_eq!(call_through_upstream_client(&base, PASSWORD).await, 200);
    assert_eq!(call_through_upstream_client(&base, WRONG).await, 401);
}

#[tokio::test]
async fn unrenderable_credential_rejects_all() {
    let base = start(UNRENDERABLE).await;
    let response = get(&format!("{base}/ping"), Some(("authorization", "Bearer "))).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let response = get(&format!("{base}/ping"), None).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn rejections_logged_without_credentials() {
    let base = start(BEARER).await;
    let wrong = format!("Bearer {WRONG}");
    let response = get(
        &format!("{base}/ping?marker=log-check"),
        Some(("authorization", &wrong)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let right = format!("Bearer {TOKEN}");
    assert_ok(get(&format!("{base}/ping"), Some(("authorization", &right))).await).await;

    let logs = global_logs();
    let line = logs
        .lines()
        .find(|line| line.contains("caller authentication failed"))
        .unwrap_or_else(|| panic!("no rejection line in:\n{logs}"));
    assert!(line.contains("caller-auth-rest"), "{line}");
    assert!(line.contains("reason="), "{line}");
    assert!(!logs.contains("marker=log-check"), "{logs}");
    assert_no_credential(&logs);
}
