//! Authentication of consumed APIs (`specs/auth.yaml`): an API key in a header and in the
//! query, HTTP basic and HTTP digest, each checked by a fake warehouse that rejects a
//! wrong credential; and the oauth2 MCP adapter's protected-resource metadata and challenge.

mod common;

use md5::{Digest, Md5};
use naftiko_feature_tests::auth::CAPABILITY;
use naftiko_feature_tests::auth::exposes::{inventory_mcp, inventory_oauth_mcp, inventory_rest};
use serde_json::{Value, json};

use naftiko_test_support as support;
use support::{FakeUpstream, RecordedRequest, Reply};

const HEADER_KEY: &str = "hk-N0rth-Secret-1";
const QUERY_KEY: &str = "qk S0uth+Secret/=&2";
const BASIC_USER: &str = "east-reader";
const BASIC_PASSWORD: &str = "pa:ss w0rd-East-3";
const DIGEST_USER: &str = "west-reader";
const DIGEST_PASSWORD: &str = "d1gest-West-Secret-4";

const DIGEST_REALM: &str = "west-warehouse";
const DIGEST_NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
const DIGEST_OPAQUE: &str = "5ccc069c403ebaf9f0171e9517f40e41";

/// Returns every secret the capability holds, plus the basic credential as sent.
fn secrets() -> Vec<String> {
    vec![
        HEADER_KEY.to_owned(),
        QUERY_KEY.to_owned(),
        "S0uth%2BSecret".to_owned(),
        BASIC_PASSWORD.to_owned(),
        base64_basic(),
        DIGEST_PASSWORD.to_owned(),
    ]
}

fn base64_basic() -> String {
    // `east-reader:pa:ss w0rd-East-3` in base64, computed once with `base64(1)`.
    "ZWFzdC1yZWFkZXI6cGE6c3MgdzByZC1FYXN0LTM=".to_owned()
}

fn binds() -> [&'static str; 6] {
    [
        HEADER_KEY,
        QUERY_KEY,
        BASIC_USER,
        BASIC_PASSWORD,
        DIGEST_USER,
        DIGEST_PASSWORD,
    ]
}

/// Returns the context with each warehouse under its own path prefix of `base_uri`.
fn context(base_uri: &str) -> std::sync::Arc<naftiko_runtime::invoke::CapabilityContext> {
    common::context(
        &CAPABILITY,
        &binds(),
        &[
            ("header-key-api", format!("{base_uri}/north")),
            ("query-key-api", format!("{base_uri}/south")),
            ("basic-api", format!("{base_uri}/east")),
            ("digest-api", format!("{base_uri}/west")),
        ],
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn md5_hex(text: &str) -> String {
    hex(&Md5::digest(text.as_bytes()))
}

/// Splits the parameters of a `Digest` credential, unquoting quoted values.
fn digest_params(header: &str) -> Option<Vec<(String, String)>> {
    let mut rest = header.strip_prefix("Digest ")?.trim();
    let mut params = Vec::new();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"')?;
                (quoted[..end].to_owned(), &quoted[end + 1..])
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_owned(), &after[end..])
            }
        };
        params.push((name.trim().to_owned(), value));
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    Some(params)
}

/// Checks a digest `Authorization` header against the RFC 7616 MD5 `qop=auth` response
/// for [`DIGEST_USER`] and [`DIGEST_PASSWORD`].
fn digest_is_valid(request: &RecordedRequest) -> bool {
    let Some(params) = request.header("authorization").and_then(digest_params) else {
        return false;
    };
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    };
    let request_uri = match &request.query {
        Some(query) => format!("{}?{query}", request.path),
        None => request.path.clone(),
    };
    if get("username") != DIGEST_USER
        || get("realm") != DIGEST_REALM
        || get("nonce") != DIGEST_NONCE
        || get("opaque") != DIGEST_OPAQUE
        || get("uri") != request_uri
        || get("qop") != "auth"
        || get("cnonce").is_empty()
    {
        return false;
    }
    let ha1 = md5_hex(&format!("{DIGEST_USER}:{DIGEST_REALM}:{DIGEST_PASSWORD}"));
    let ha2 = md5_hex(&format!("{}:{request_uri}", request.method));
    let expected = md5_hex(&format!(
        "{ha1}:{DIGEST_NONCE}:{}:{}:auth:{ha2}",
        get("nc"),
        get("cnonce")
    ));
    get("response") == expected
}

/// Responds like four warehouses that each check their own credential.
fn warehouse(request: &RecordedRequest) -> Reply {
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let [warehouse, "stock", sku] = segments[..] else {
        return Reply::json(404, json!({"message": "no such route"}));
    };
    let accepted = match warehouse {
        "north" => request.header("x-api-key") == Some(HEADER_KEY),
        "south" => request
            .query_pairs()
            .iter()
            .any(|(name, value)| *name == "api_key" && decode(value) == QUERY_KEY),
        "east" => request.header("authorization") == Some(&format!("Basic {}", base64_basic())),
        "west" => {
            if request.header("authorization").is_none() {
                let challenge = format!(
                    "Digest realm=\"{DIGEST_REALM}\", qop=\"auth\", algorithm=MD5, \
                     nonce=\"{DIGEST_NONCE}\", opaque=\"{DIGEST_OPAQUE}\""
                );
                return Reply::json(401, json!({"message": "authentication required"}))
                    .with_header("www-authenticate", challenge);
            }
            digest_is_valid(request)
        }
        _ => return Reply::json(404, json!({"message": "no such warehouse"})),
    };
    if accepted {
        Reply::json(
            200,
            json!({"warehouse": warehouse, "sku": sku, "quantity": 7}),
        )
    } else {
        Reply::json(403, json!({"message": "invalid credentials"}))
    }
}

/// Decodes a percent-encoded query value, with `+` as a space.
fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let high = (bytes[index + 1] as char).to_digit(16).expect("hex digit");
                let low = (bytes[index + 2] as char).to_digit(16).expect("hex digit");
                decoded.push((high * 16 + low) as u8);
                index += 3;
            }
            b'+' => {
                decoded.push(b' ');
                index += 1;
            }
            byte => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).expect("the decoded value is UTF-8")
}

fn assert_no_secret(text: &str) {
    for secret in secrets() {
        assert!(!text.contains(&secret), "`{secret}` leaked into: {text}");
    }
}

async fn start_rest() -> (FakeUpstream, String) {
    let upstream = FakeUpstream::start(warehouse).await;
    let adapter = support::serve(inventory_rest::router(context(&upstream.base_uri))).await;
    (upstream, adapter)
}

#[tokio::test]
async fn apikey_header_is_accepted() {
    let (upstream, adapter) = start_rest().await;

    let response = support::get(&format!("{adapter}/north/stock/A-100")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json(),
        json!({"warehouse": "north", "sku": "A-100", "quantity": 7})
    );
    let request = upstream.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/north/stock/A-100");
    assert_eq!(request.query, None);
    assert_eq!(request.header_all("x-api-key"), [HEADER_KEY]);
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn apikey_query_is_encoded_and_accepted() {
    let (upstream, adapter) = start_rest().await;

    let response = support::get(&format!("{adapter}/south/stock/A-100?site=dock%207")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["warehouse"], "south");
    let request = upstream.only_request();
    assert_eq!(request.path, "/south/stock/A-100");
    let pairs = request.query_pairs();
    let keys: Vec<&str> = pairs
        .iter()
        .filter(|(name, _)| *name == "api_key")
        .map(|(_, value)| *value)
        .collect();
    assert_eq!(keys.len(), 1, "one api_key in {:?}", request.query);
    assert_eq!(decode(keys[0]), QUERY_KEY);
    assert!(
        !keys[0].contains(['&', ' ', '/', '+', '=']),
        "reserved characters of the key are percent-encoded: {}",
        keys[0]
    );
    assert!(pairs.contains(&("site", "dock%207")), "{pairs:?}");
    assert_eq!(request.header("x-api-key"), None);
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn basic_credentials_are_accepted() {
    let (upstream, adapter) = start_rest().await;

    let response = support::get(&format!("{adapter}/east/stock/B-7")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["warehouse"], "east");
    let request = upstream.only_request();
    assert_eq!(request.path, "/east/stock/B-7");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Basic {}", base64_basic()).as_str())
    );
}

#[tokio::test]
async fn digest_answers_challenge_with_valid_hash() {
    let (upstream, adapter) = start_rest().await;

    let response = support::get(&format!("{adapter}/west/stock/C%2033")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json(),
        json!({"warehouse": "west", "sku": "C%2033", "quantity": 7})
    );
    let requests = upstream.requests();
    assert_eq!(
        requests.len(),
        2,
        "a challenge, then the answer: {requests:#?}"
    );
    assert_eq!(requests[0].header("authorization"), None);
    assert!(digest_is_valid(&requests[1]), "{:?}", requests[1].headers);
    assert_eq!(requests[1].path, "/west/stock/C%2033");
    let credential = requests[1].header("authorization").unwrap_or_default();
    assert!(!credential.contains(DIGEST_PASSWORD), "{credential}");
}

#[tokio::test]
async fn digest_wrong_password_is_rejected() {
    let upstream = FakeUpstream::start(warehouse).await;
    let mut wrong = binds();
    wrong[5] = "not-the-password";
    let context = common::context(
        &CAPABILITY,
        &wrong,
        &[
            ("header-key-api", format!("{}/north", upstream.base_uri)),
            ("query-key-api", format!("{}/south", upstream.base_uri)),
            ("basic-api", format!("{}/east", upstream.base_uri)),
            ("digest-api", format!("{}/west", upstream.base_uri)),
        ],
    );
    let adapter = support::serve(inventory_rest::router(context)).await;

    let response = support::get(&format!("{adapter}/west/stock/C-1")).await;

    // The fake verifies the hash, so a wrong password cannot pass.
    assert_eq!(response.status, 403, "{}", response.body);
    assert_eq!(response.json()["message"], "invalid credentials");
    assert!(!response.body.contains("not-the-password"));
}

#[tokio::test]
async fn unreachable_upstream_errors_hide_secrets() {
    // A port that was free a moment ago, so every call fails to connect.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let dead = format!("http://{}", listener.local_addr().expect("local address"));
    drop(listener);
    let adapter = support::serve(inventory_rest::router(context(&dead))).await;

    for warehouse in ["north", "south", "east", "west"] {
        let response = support::get(&format!("{adapter}/{warehouse}/stock/A-1?site=x")).await;

        assert_eq!(response.status, 502, "{warehouse}: {}", response.body);
        let error: Value = response.json();
        assert!(error["error"]["code"].is_string(), "{warehouse}: {error}");
        assert_no_secret(&response.body);
    }
}

#[tokio::test]
async fn rejected_credentials_error_hides_secrets() {
    let upstream = FakeUpstream::start(|_| {
        Reply::new(401, "text/plain", "unauthorized").with_header(
            "www-authenticate",
            format!(
                "Digest realm=\"{DIGEST_REALM}\", qop=\"auth\", nonce=\"{DIGEST_NONCE}\", \
                 opaque=\"{DIGEST_OPAQUE}\""
            ),
        )
    })
    .await;
    let client = support::mcp::serve_mcp(inventory_mcp::router(context(&upstream.base_uri))).await;

    for tool in ["north-stock", "south-stock", "east-stock", "west-stock"] {
        let result = support::mcp::call(&client, tool, json!({"sku": "A-1"})).await;

        assert!(support::mcp::is_error(&result), "{tool}: {result:?}");
        let text = support::mcp::text_of(&result);
        assert!(text.contains("401"), "{tool}: {text}");
        assert_no_secret(text);
    }
}

#[tokio::test]
async fn mcp_tools_authenticate_each_scheme() {
    let upstream = FakeUpstream::start(warehouse).await;
    let client = support::mcp::serve_mcp(inventory_mcp::router(context(&upstream.base_uri))).await;

    for (tool, warehouse) in [
        ("north-stock", "north"),
        ("south-stock", "south"),
        ("east-stock", "east"),
        ("west-stock", "west"),
    ] {
        let result = support::mcp::call(&client, tool, json!({"sku": "D-4"})).await;

        assert_eq!(
            support::mcp::json_of(&result),
            json!({"warehouse": warehouse, "sku": "D-4", "quantity": 7}),
            "{tool}"
        );
    }
    let paths: Vec<String> = upstream.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/north/stock/D-4",
            "/south/stock/D-4",
            "/east/stock/D-4",
            "/west/stock/D-4",
            "/west/stock/D-4",
        ]
    );
}

#[tokio::test]
async fn oauth2_mcp_adapter_publishes_metadata() {
    // Neither request below needs the issuer's keys, so no request leaves this test. The
    // consumed APIs point at a loopback port that was free a moment ago.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let dead = format!("http://{}", listener.local_addr().expect("local address"));
    drop(listener);
    let adapter = support::serve(inventory_oauth_mcp::router(context(&dead))).await;

    let response = support::get(&format!(
        "{adapter}/.well-known/oauth-protected-resource/mcp"
    ))
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json(),
        json!({
            "resource": "https://tools.warehouse.example.com/mcp",
            "authorization_servers": ["https://login.warehouse.example.com"],
            "scopes_supported": ["stock:read"],
            "bearer_methods_supported": ["header"],
        })
    );

    let response = support::loopback_http()
        .post(format!("{adapter}/mcp"))
        .send()
        .await
        .expect("request reaches the adapter");
    assert_eq!(response.status(), 401);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    assert_eq!(
        challenge,
        "Bearer realm=\"inventory-oauth-mcp\", scope=\"stock:read\", resource_metadata=\"https://tools.warehouse.example.com/.well-known/oauth-protected-resource/mcp\""
    );
}
