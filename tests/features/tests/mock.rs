//! Mock operations (`specs/mock.yaml`): REST routes and MCP tools without `call` that
//! answer from constant and `{{input}}` output values and never send a request.

mod common;

use naftiko_feature_tests::mock::CAPABILITY;
use naftiko_feature_tests::mock::exposes::{shipyard_mcp, shipyard_rest};
use naftiko_test_support as support;
use reqwest::Method;
use serde_json::json;

fn context() -> std::sync::Arc<naftiko_runtime::invoke::CapabilityContext> {
    // The spec consumes no API, so there is no upstream to override or to call.
    assert!(CAPABILITY.consumes.is_empty());
    common::context(&CAPABILITY, &[], &[])
}

#[tokio::test]
async fn rest_get_renders_inputs() {
    let adapter = support::serve(shipyard_rest::router(context())).await;

    let response = support::get(&format!("{adapter}/ships/9319466?registry=NO")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        response.json(),
        json!({
            "imo": "9319466",
            "name": "Northern Star",
            "label": "Ship 9319466 (NO)",
            "flag": "NO",
        })
    );
}

#[tokio::test]
async fn rest_values_escape_into_json() {
    let adapter = support::serve(shipyard_rest::router(context())).await;

    let response = support::get(&format!("{adapter}/ships/a%22b%5C?registry=%3C%26%3E%20x")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    let ship = response.json();
    assert_eq!(ship["imo"], "a\"b\\");
    assert_eq!(ship["label"], "Ship a\"b\\ (<&> x)");
}

#[tokio::test]
async fn rest_missing_required_input_is_400() {
    let adapter = support::serve(shipyard_rest::router(context())).await;

    let response = support::get(&format!("{adapter}/ships/9319466")).await;

    assert_eq!(response.status, 400, "{}", response.body);
    assert!(response.body.contains("registry"), "{}", response.body);
}

#[tokio::test]
async fn rest_post_renders_body_input() {
    let adapter = support::serve(shipyard_rest::router(context())).await;

    let response = support::send_json(
        Method::POST,
        &format!("{adapter}/ships/9319466"),
        &json!({"name": "Sea \"Wolf\" & <Co>"}),
    )
    .await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json(),
        json!({"registered": "Sea \"Wolf\" & <Co>", "status": "pending"})
    );
}

#[tokio::test]
async fn mcp_tool_renders_arguments() {
    let client = support::mcp::serve_mcp(shipyard_mcp::router(context())).await;

    let result =
        support::mcp::call(&client, "get-ship", json!({"imo_number": "IMO 9319466"})).await;

    let expected = json!({"imo": "IMO 9319466", "name": "Northern Star", "status": "active"});
    assert_eq!(support::mcp::json_of(&result), expected);
    assert_eq!(result.structured_content, Some(expected));
}

#[tokio::test]
async fn mcp_missing_argument_is_tool_error() {
    let client = support::mcp::serve_mcp(shipyard_mcp::router(context())).await;

    let result = support::mcp::call(&client, "get-ship", json!({})).await;

    assert!(support::mcp::is_error(&result), "{result:?}");
    assert!(
        support::mcp::text_of(&result).contains("imo_number"),
        "{}",
        support::mcp::text_of(&result)
    );
}
