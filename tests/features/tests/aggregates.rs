//! Aggregate functions (`specs/aggregates.yaml`): REST operations and MCP tools that name a
//! function by `ref`, its fields merged under theirs, and tool hints from its semantics.

mod common;

use naftiko_feature_tests::aggregates::CAPABILITY;
use naftiko_feature_tests::aggregates::exposes::{ships_mcp, ships_rest};
use reqwest::Method;
use serde_json::json;

use naftiko_test_support as support;
use support::{FakeUpstream, Reply};

const TOKEN: &str = "registry-token-8";

async fn start() -> (
    FakeUpstream,
    std::sync::Arc<naftiko_runtime::invoke::CapabilityContext>,
) {
    let upstream = FakeUpstream::start(|request| match request.method.as_str() {
        "DELETE" => Reply::new(204, "application/json", ""),
        _ => Reply::json(
            200,
            json!({"vessel_name": "Northern Star", "flag_code": "NO", "owner": "x"}),
        ),
    })
    .await;
    let context = common::context(
        &CAPABILITY,
        &[TOKEN],
        &[("registry", upstream.base_uri.clone())],
    );
    (upstream, context)
}

#[tokio::test]
async fn rest_operation_uses_the_function() {
    let (upstream, context) = start().await;
    let adapter = support::serve(ships_rest::router(context)).await;

    let response = support::get(&format!("{adapter}/ships/9319466")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json(),
        json!({"name": "Northern Star", "flag": "NO"})
    );
    let request = upstream.only_request();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/ships/9319466")
    );
}

#[tokio::test]
async fn rest_delete_uses_the_other_function() {
    let (upstream, context) = start().await;
    let adapter = support::serve(ships_rest::router(context)).await;

    let response = support::send(
        support::loopback_http().request(Method::DELETE, format!("{adapter}/ships/9319466")),
    )
    .await;

    assert!(
        response.status < 300,
        "{}: {}",
        response.status,
        response.body
    );
    let request = upstream.only_request();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("DELETE", "/ships/9319466")
    );
}

#[tokio::test]
async fn mcp_tools_take_the_function_fields() {
    let (_upstream, context) = start().await;
    let client = support::mcp::serve_mcp(ships_mcp::router(context)).await;

    let tools = client.list_all_tools().await.expect("tools/list answers");
    let tool = |name: &str| {
        tools
            .iter()
            .find(|tool| tool.name == name)
            .unwrap_or_else(|| panic!("no tool `{name}`"))
    };

    let get = tool("get-ship");
    assert_eq!(
        get.description.as_deref(),
        Some("Read a ship by IMO number")
    );
    assert_eq!(get.input_schema["required"], json!(["imo"]));
    let hints = get.annotations.as_ref().expect("get-ship has hints");
    assert_eq!(hints.read_only_hint, Some(true));
    assert_eq!(hints.destructive_hint, Some(false));
    assert_eq!(hints.idempotent_hint, Some(true));

    // The tool's own description and hint win over the function's.
    let retire = tool("retire-ship");
    assert_eq!(
        retire.description.as_deref(),
        Some("Retire a ship; it can no longer be chartered")
    );
    let hints = retire.annotations.as_ref().expect("retire-ship has hints");
    assert_eq!(hints.read_only_hint, Some(false));
    assert_eq!(hints.destructive_hint, Some(true));
    assert_eq!(hints.idempotent_hint, Some(true));
}

#[tokio::test]
async fn mcp_tool_calls_the_function() {
    let (upstream, context) = start().await;
    let client = support::mcp::serve_mcp(ships_mcp::router(context)).await;

    let result = support::mcp::call(&client, "get-ship", json!({"imo": "9319466"})).await;

    assert_eq!(
        support::mcp::json_of(&result),
        json!({"name": "Northern Star", "flag": "NO"})
    );
    assert_eq!(upstream.only_request().path, "/ships/9319466");
}
