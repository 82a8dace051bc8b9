//! Request parameters (`specs/parameters.yaml`): path in both placeholder styles, query,
//! header, cookie, body fields and a whole body, fixed and bind-template values, and
//! `with` references, literals and templates.

mod common;

use naftiko_feature_tests::parameters::CAPABILITY;
use naftiko_feature_tests::parameters::exposes::{crm_mcp, crm_rest};
use reqwest::Method;
use serde_json::json;

use naftiko_test_support as support;
use support::{FakeUpstream, RecordedRequest, Reply};

const TENANT: &str = "t-42";
const USER_AGENT: &str = "Naftiko-Feature-Tests/1.0";

async fn start_upstream() -> FakeUpstream {
    FakeUpstream::start(|_| Reply::json(200, json!({"updated": true}))).await
}

fn context(base_uri: &str) -> std::sync::Arc<naftiko_runtime::invoke::CapabilityContext> {
    common::context(&CAPABILITY, &[TENANT], &[("crm", format!("{base_uri}/v2"))])
}

async fn start_rest() -> (FakeUpstream, String) {
    let upstream = start_upstream().await;
    let adapter = support::serve(crm_rest::router(context(&upstream.base_uri))).await;
    (upstream, adapter)
}

/// Returns the value of query parameter `name`, failing unless it is sent exactly once.
fn query_value<'a>(request: &'a RecordedRequest, name: &str) -> &'a str {
    let values: Vec<&str> = request
        .query_pairs()
        .into_iter()
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .collect();
    assert_eq!(values.len(), 1, "`{name}` once in {:?}", request.query);
    values[0]
}

fn query_names(request: &RecordedRequest) -> Vec<&str> {
    let mut names: Vec<&str> = request
        .query_pairs()
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    names.sort_unstable();
    names
}

/// Checks the values every update sends whatever the caller gives.
fn assert_fixed_values(request: &RecordedRequest) {
    assert_eq!(request.header_all("user-agent"), [USER_AGENT]);
    assert_eq!(request.header_all("x-tenant"), [format!("tenant={TENANT}")]);
    assert_eq!(query_value(request, "source"), "feature-tests");
}

#[tokio::test]
async fn rest_update_sends_every_location() {
    let (upstream, adapter) = start_rest().await;
    let url = format!("{adapter}/accounts/acme%20corp/contacts/c-1?view=email&region=eu-west");
    let request = support::loopback_http()
        .patch(url)
        .header("x-request-id", "req-17")
        .header("cookie", "session=s-9")
        .header("content-type", "application/json")
        .body(json!({"name": "Ada \"A&B\" <L>", "score": 42}).to_string());

    let response = support::send(request).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), json!({"updated": true}));
    let request = upstream.only_request();
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.path, "/v2/accounts/acme%20corp/contacts/c-1");
    assert_eq!(query_names(&request), ["fields", "region", "source"]);
    assert_eq!(query_value(&request, "fields"), "email");
    assert_eq!(query_value(&request, "region"), "eu-west");
    assert_fixed_values(&request);
    assert_eq!(request.header_all("x-request-id"), ["req-17"]);
    assert_eq!(request.header_all("x-trace"), ["trace-c-1"]);
    assert_eq!(request.header("cookie"), Some("session=s-9"));
    assert_eq!(
        request.header("content-type"),
        Some("application/json"),
        "body fields go out as JSON"
    );
    assert_eq!(
        request.json_body(),
        json!({"name": "Ada \"A&B\" <L>", "score": 42})
    );
}

#[tokio::test]
async fn rest_update_omits_absent_optionals() {
    let (upstream, adapter) = start_rest().await;

    let response = support::send(
        support::loopback_http().patch(format!("{adapter}/accounts/acme/contacts/c-2")),
    )
    .await;

    assert_eq!(response.status, 200, "{}", response.body);
    let request = upstream.only_request();
    assert_eq!(request.path, "/v2/accounts/acme/contacts/c-2");
    assert_eq!(
        query_names(&request),
        ["source"],
        "only the literal from `with`"
    );
    assert_fixed_values(&request);
    assert_eq!(request.header("x-request-id"), None);
    assert_eq!(request.header_all("x-trace"), ["trace-c-2"]);
    assert_eq!(request.header("cookie"), None);
}

#[tokio::test]
async fn fixed_values_ignore_caller_headers() {
    let (upstream, adapter) = start_rest().await;
    let request = support::loopback_http()
        .patch(format!("{adapter}/accounts/acme/contacts/c-3"))
        .header("user-agent", "curl/8.5.0")
        .header("x-tenant", "tenant=someone-else");

    let response = support::send(request).await;

    assert_eq!(response.status, 200, "{}", response.body);
    // A parameter with a fixed `value` is the spec author's, not the caller's: the bind
    // template decides the tenant whatever headers the caller sends.
    let request = upstream.only_request();
    assert_eq!(request.header_all("x-tenant"), [format!("tenant={TENANT}")]);
    assert_eq!(request.header_all("user-agent"), [USER_AGENT]);
}

#[tokio::test]
async fn mcp_fixed_values_ignore_arguments() {
    let upstream = start_upstream().await;
    let client = support::mcp::serve_mcp(crm_mcp::router(context(&upstream.base_uri))).await;

    let result = support::mcp::call(
        &client,
        "update-contact",
        json!({
            "account": "acme",
            "contact": "c-8",
            "X-Tenant": "tenant=someone-else",
            "User-Agent": "agent/1",
        }),
    )
    .await;

    assert!(
        !support::mcp::is_error(&result),
        "{}",
        support::mcp::text_of(&result)
    );
    let request = upstream.only_request();
    assert_eq!(request.header_all("x-tenant"), [format!("tenant={TENANT}")]);
    assert_eq!(request.header_all("user-agent"), [USER_AGENT]);
}

#[tokio::test]
async fn path_values_are_single_segments() {
    let (upstream, adapter) = start_rest().await;

    for (account, contact, expected) in [
        ("a%2Fb", "c-1", "/v2/accounts/a%2Fb/contacts/c-1"),
        ("acme", "x%3Fy%23z", "/v2/accounts/acme/contacts/x%3Fy%23z"),
        (
            "acme",
            "%C3%A9t%C3%A9",
            "/v2/accounts/acme/contacts/%C3%A9t%C3%A9",
        ),
        ("acme", "50%25", "/v2/accounts/acme/contacts/50%25"),
    ] {
        let url = format!("{adapter}/accounts/{account}/contacts/{contact}");
        let response = support::send(support::loopback_http().patch(url)).await;
        assert_eq!(response.status, 200, "{contact}: {}", response.body);
        let last = upstream.requests().pop().expect("one request per call");
        assert_eq!(last.path, expected);
    }
}

#[tokio::test]
async fn rest_replace_sends_whole_body() {
    let (upstream, adapter) = start_rest().await;
    let contact = json!({"name": "Grace", "tags": ["vip", "a\"b"], "address": {"city": "Oslo"}});

    let response = support::send_json(
        Method::PUT,
        &format!("{adapter}/accounts/acme/contacts/c-4?region=eu"),
        &contact,
    )
    .await;

    assert_eq!(response.status, 200, "{}", response.body);
    let request = upstream.only_request();
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path, "/v2/accounts/acme/contacts/c-4");
    assert_eq!(request.query.as_deref(), Some("region=eu"));
    assert_eq!(request.header_all("user-agent"), [USER_AGENT]);
    assert_eq!(request.header_all("x-tenant"), [format!("tenant={TENANT}")]);
    assert_eq!(request.json_body(), contact);
}

#[tokio::test]
async fn rest_bad_inputs_are_400() {
    let (upstream, adapter) = start_rest().await;

    let wrong_type = support::send_json(
        Method::PATCH,
        &format!("{adapter}/accounts/acme/contacts/c-5"),
        &json!({"score": "high"}),
    )
    .await;
    assert_eq!(wrong_type.status, 400, "{}", wrong_type.body);
    assert!(wrong_type.body.contains("score"), "{}", wrong_type.body);

    let missing_body = support::send(
        support::loopback_http().put(format!("{adapter}/accounts/acme/contacts/c-5")),
    )
    .await;
    assert_eq!(missing_body.status, 400, "{}", missing_body.body);

    assert!(upstream.requests().is_empty(), "no invalid call goes out");
}

#[tokio::test]
async fn mcp_update_sends_every_location() {
    let upstream = start_upstream().await;
    let client = support::mcp::serve_mcp(crm_mcp::router(context(&upstream.base_uri))).await;

    let result = support::mcp::call(
        &client,
        "update-contact",
        json!({
            "account": "acme corp",
            "contact": "c/1",
            "view": "email,phone",
            "region": "eu-west",
            "X-Request-Id": "req-18",
            "session": "s-10",
            "name": "Ada & <Co> \"Ltd\"",
            "score": 7,
        }),
    )
    .await;

    assert_eq!(support::mcp::json_of(&result), json!({"updated": true}));
    let request = upstream.only_request();
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.path, "/v2/accounts/acme%20corp/contacts/c%2F1");
    assert_eq!(query_names(&request), ["fields", "region", "source"]);
    assert_eq!(query_value(&request, "fields"), "email%2Cphone");
    assert_fixed_values(&request);
    assert_eq!(request.header_all("x-request-id"), ["req-18"]);
    assert_eq!(request.header_all("x-trace"), ["trace-c/1"]);
    assert_eq!(request.header("cookie"), Some("session=s-10"));
    assert_eq!(
        request.json_body(),
        json!({"name": "Ada & <Co> \"Ltd\"", "score": 7})
    );
}

#[tokio::test]
async fn mcp_replace_sends_whole_body() {
    let upstream = start_upstream().await;
    let client = support::mcp::serve_mcp(crm_mcp::router(context(&upstream.base_uri))).await;
    let contact = json!({"name": "Grace", "score": 3});

    let result = support::mcp::call(
        &client,
        "replace-contact",
        json!({"account": "acme", "contact": "c-6", "body": contact}),
    )
    .await;

    assert_eq!(support::mcp::json_of(&result), json!({"updated": true}));
    let request = upstream.only_request();
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path, "/v2/accounts/acme/contacts/c-6");
    assert_eq!(request.json_body(), contact);
}

#[tokio::test]
async fn mcp_header_with_newline_is_rejected() {
    let upstream = start_upstream().await;
    let client = support::mcp::serve_mcp(crm_mcp::router(context(&upstream.base_uri))).await;

    let result = support::mcp::call(
        &client,
        "update-contact",
        json!({"account": "acme", "contact": "c-7", "X-Request-Id": "a\r\nX-Evil: 1"}),
    )
    .await;

    assert!(support::mcp::is_error(&result), "{result:?}");
    assert!(
        support::mcp::text_of(&result).contains("X-Request-Id"),
        "{}",
        support::mcp::text_of(&result)
    );
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn mcp_schema_lists_inputs() {
    let upstream = start_upstream().await;
    let client = support::mcp::serve_mcp(crm_mcp::router(context(&upstream.base_uri))).await;

    let tools = client.list_all_tools().await.expect("tools/list succeeds");
    let update = tools
        .iter()
        .find(|tool| tool.name == "update-contact")
        .expect("update-contact is listed");
    let properties = update.input_schema["properties"]
        .as_object()
        .expect("the schema has properties");
    for name in ["account", "contact", "view", "region", "session", "name"] {
        assert!(properties.contains_key(name), "`{name}` in {properties:?}");
    }
    assert_eq!(properties["score"]["type"], "integer");
    assert_eq!(
        update.input_schema["required"],
        json!(["account", "contact"])
    );
}
