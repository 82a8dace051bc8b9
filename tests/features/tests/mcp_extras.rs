//! MCP resources and prompts (`specs/mcp_extras.yaml`): a resource backed by a call, a
//! resource template filled from its URI, a static file embedded at build time, and inline
//! and file-backed prompts, read with rmcp's client.

mod common;

use naftiko_feature_tests::mcp_extras::CAPABILITY;
use naftiko_feature_tests::mcp_extras::exposes::{fleet_mcp, fleet_stdio};
use rmcp::ServiceError;
use rmcp::model::{
    GetPromptRequestParams, GetPromptResult, JsonObject, ReadResourceRequestParams,
    ResourceContents, Role,
};
use serde_json::{Value, json};

use naftiko_test_support as support;
use support::mcp::McpClient;
use support::{FakeUpstream, Reply};

const TOKEN: &str = "registry-token-10";

async fn connect() -> (FakeUpstream, McpClient) {
    let upstream = FakeUpstream::start(|request| match request.path.as_str() {
        "/ships" => Reply::json(200, json!([{"imo": "9319466"}])),
        _ => Reply::json(
            200,
            json!({"vessel_name": "Northern Star", "flag_code": "NO"}),
        ),
    })
    .await;
    let context = common::context(
        &CAPABILITY,
        &[TOKEN],
        &[("registry", upstream.base_uri.clone())],
    );
    let client = support::mcp::serve_mcp(fleet_mcp::router(context)).await;
    (upstream, client)
}

/// Returns the URI, MIME type and text of the only contents of a `resources/read`.
async fn read_text(client: &McpClient, uri: &str) -> (String, Option<String>, String) {
    let result = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap_or_else(|error| panic!("resources/read `{uri}` failed: {error}"));
    assert_eq!(result.contents.len(), 1, "one contents entry");
    match &result.contents[0] {
        ResourceContents::TextResourceContents {
            uri,
            mime_type,
            text,
            ..
        } => (uri.clone(), mime_type.clone(), text.clone()),
        other => panic!("expected text contents, got {other:?}"),
    }
}

async fn get_prompt(
    client: &McpClient,
    name: &str,
    arguments: Value,
) -> Result<GetPromptResult, ServiceError> {
    let Value::Object(arguments) = arguments else {
        panic!("prompt arguments must be an object");
    };
    let request = GetPromptRequestParams::new(name).with_arguments(JsonObject::from(arguments));
    client.get_prompt(request).await
}

fn messages(result: &GetPromptResult) -> Vec<(Role, String)> {
    result
        .messages
        .iter()
        .map(|message| {
            let text = message.content.as_text().expect("text content");
            (message.role.clone(), text.text.clone())
        })
        .collect()
}

#[tokio::test]
async fn lists_resources_and_templates() {
    let (_upstream, client) = connect().await;

    let resources = client.list_all_resources().await.expect("resources/list");
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(uris, ["fleet://ships", "fleet://readme"]);

    let templates = client
        .list_all_resource_templates()
        .await
        .expect("resources/templates/list");
    let templates: Vec<&str> = templates.iter().map(|t| t.uri_template.as_str()).collect();
    assert_eq!(templates, ["fleet://ships/{imo}"]);
}

#[tokio::test]
async fn reads_static_file_resource() {
    let (upstream, client) = connect().await;

    let (uri, mime_type, text) = read_text(&client, "fleet://readme").await;

    assert_eq!(uri, "fleet://readme");
    assert_eq!(mime_type.as_deref(), Some("text/markdown"));
    assert_eq!(
        text,
        include_str!("../specs/assets/fleet-readme.md"),
        "the file is embedded at build time"
    );
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn reads_template_resource_through_call() {
    let (upstream, client) = connect().await;

    let (uri, mime_type, text) = read_text(&client, "fleet://ships/9319466").await;

    assert_eq!(uri, "fleet://ships/9319466");
    assert_eq!(mime_type.as_deref(), Some("application/json"));
    let ship: Value = serde_json::from_str(&text).expect("JSON text");
    assert_eq!(ship["vessel_name"], "Northern Star");
    let request = upstream.only_request();
    assert_eq!(request.path, "/ships/9319466");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn renders_inline_prompt() {
    let (_upstream, client) = connect().await;

    let result = get_prompt(
        &client,
        "charter-check",
        json!({"ship": "Northern Star", "cargo": "grain"}),
    )
    .await
    .expect("prompts/get");

    assert_eq!(
        messages(&result),
        [
            (
                Role::User,
                "Is Northern Star fit to carry grain? Check its flag and status first.".to_owned()
            ),
            (
                Role::Assistant,
                "I will read the ship record before answering.".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn renders_file_prompt() {
    let (_upstream, client) = connect().await;

    let result = get_prompt(
        &client,
        "port-call",
        json!({"ship": "Northern Star", "port": "Oslo", "date": "2026-12-24"}),
    )
    .await
    .expect("prompts/get");

    assert_eq!(
        messages(&result),
        [(
            Role::User,
            "Write a port call notice for Northern Star arriving at Oslo on 2026-12-24.\n"
                .to_owned()
        )]
    );
}

#[tokio::test]
async fn prompt_without_required_argument_fails() {
    let (_upstream, client) = connect().await;

    let outcome = get_prompt(&client, "charter-check", json!({"cargo": "grain"})).await;

    match outcome {
        Err(ServiceError::McpError(error)) => {
            assert!(error.message.contains("ship"), "{}", error.message);
        }
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

#[test]
fn stdio_adapter_is_marked_stdio() {
    assert!(fleet_stdio::ADAPTER.stdio);
    assert!(!fleet_mcp::ADAPTER.stdio);
}
