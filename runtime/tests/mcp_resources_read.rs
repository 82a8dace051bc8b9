//! MCP resources: listing, templates and reads of static and dynamic resources, through
//! rmcp's client against a fake users API on loopback.

mod mcp_fixture;

use base64::Engine as _;
use mcp_fixture::{LOGO, MCP_ADAPTER, README, connect};
use naftiko_runtime::descriptor::McpAdapter;
use rmcp::ServiceError;
use rmcp::model::{ErrorCode, ReadResourceRequestParams, ReadResourceResult, ResourceContents};
use serde_json::{Value, json};

async fn read(client: &mcp_fixture::Client, uri: &str) -> ReadResourceResult {
    client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap_or_else(|error| panic!("resources/read `{uri}` failed: {error}"))
}

async fn read_error(client: &mcp_fixture::Client, uri: &str) -> rmcp::ErrorData {
    match client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
    {
        Err(ServiceError::McpError(error)) => error,
        other => panic!("expected a JSON-RPC error for `{uri}`, got {other:?}"),
    }
}

/// Returns the URI, MIME type and text of the only contents of `result`.
fn only_text(result: &ReadResourceResult) -> (&str, Option<&str>, &str) {
    assert_eq!(result.contents.len(), 1, "expected one contents entry");
    match &result.contents[0] {
        ResourceContents::TextResourceContents {
            uri,
            mime_type,
            text,
            ..
        } => (uri, mime_type.as_deref(), text),
        other => panic!("expected text contents, got {other:?}"),
    }
}

#[tokio::test]
async fn capabilities_advertise_resources() {
    let client = connect(&MCP_ADAPTER).await;
    let info = client.peer_info().expect("server info after initialize");
    assert!(
        info.capabilities.resources.is_some(),
        "resources capability"
    );
    assert!(info.capabilities.prompts.is_some(), "prompts capability");
    assert!(info.capabilities.tools.is_some(), "tools capability");
}

/// The fixture's tools, without resources or prompts.
static TOOLS_ONLY: McpAdapter = McpAdapter {
    namespace: mcp_fixture::MCP_NAMESPACE,
    address: None,
    port: 0,
    description: None,
    tools: MCP_ADAPTER.tools,
    auth: None,
    resources: &[],
    prompts: &[],
    stdio: false,
};

#[tokio::test]
async fn capabilities_omit_absent_features() {
    let client = connect(&TOOLS_ONLY).await;
    let info = client.peer_info().expect("server info after initialize");
    assert!(info.capabilities.tools.is_some(), "tools capability");
    assert!(info.capabilities.resources.is_none(), "no resources");
    assert!(info.capabilities.prompts.is_none(), "no prompts");
}

#[tokio::test]
async fn list_names_fixed_resources() {
    let client = connect(&MCP_ADAPTER).await;
    let resources = client.list_all_resources().await.expect("resources/list");
    let uris: Vec<&str> = resources.iter().map(|entry| entry.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "file:///docs/readme.md",
            "file:///docs/logo.png",
            "data://status"
        ]
    );

    let readme = &resources[0];
    assert_eq!(readme.name, "readme");
    assert_eq!(readme.title.as_deref(), Some("Read me"));
    assert_eq!(
        readme.description.as_deref(),
        Some("What the users API offers.")
    );
    assert_eq!(readme.mime_type.as_deref(), Some("text/markdown"));
    assert_eq!(readme.size, Some(README.len() as u64));
    assert_eq!(resources[2].mime_type, None);
}

#[tokio::test]
async fn templates_list_uri_templates() {
    let client = connect(&MCP_ADAPTER).await;
    let templates = client
        .list_all_resource_templates()
        .await
        .expect("resources/templates/list");
    assert_eq!(templates.len(), 1);
    let profile = &templates[0];
    assert_eq!(profile.uri_template, "data://users/{id}/profile");
    assert_eq!(profile.name, "user-profile");
    assert_eq!(profile.title.as_deref(), Some("User profile"));
    assert_eq!(profile.mime_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn static_text_read() {
    let client = connect(&MCP_ADAPTER).await;
    let result = read(&client, "file:///docs/readme.md").await;
    let (uri, mime_type, text) = only_text(&result);
    assert_eq!(uri, "file:///docs/readme.md");
    assert_eq!(mime_type, Some("text/markdown"));
    assert_eq!(text, README);
}

#[tokio::test]
async fn static_binary_read_as_blob() {
    let client = connect(&MCP_ADAPTER).await;
    let result = read(&client, "file:///docs/logo.png").await;
    assert_eq!(result.contents.len(), 1);
    match &result.contents[0] {
        ResourceContents::BlobResourceContents {
            uri,
            mime_type,
            blob,
            ..
        } => {
            assert_eq!(uri, "file:///docs/logo.png");
            assert_eq!(mime_type.as_deref(), Some("image/png"));
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(blob)
                .expect("blob is base64");
            assert_eq!(bytes, LOGO);
        }
        other => panic!("expected blob contents, got {other:?}"),
    }
}

#[tokio::test]
async fn dynamic_template_read_calls_upstream() {
    let client = connect(&MCP_ADAPTER).await;
    let uri = "data://users/ada%2042/profile";
    let result = read(&client, uri).await;
    let (read_uri, mime_type, text) = only_text(&result);
    assert_eq!(read_uri, uri);
    assert_eq!(mime_type, Some("application/json"));
    let value: Value = serde_json::from_str(text).expect("contents are JSON");
    assert_eq!(value, json!({"id": "ada 42", "name": "Ada"}));
}

#[tokio::test]
async fn dynamic_mock_read_defaults_to_json() {
    let client = connect(&MCP_ADAPTER).await;
    let result = read(&client, "data://status").await;
    let (_, mime_type, text) = only_text(&result);
    assert_eq!(mime_type, Some("application/json"));
    assert_eq!(text, r#"{"healthy":true}"#);
}

#[tokio::test]
async fn unknown_uri_is_not_found() {
    let client = connect(&MCP_ADAPTER).await;
    let error = read_error(&client, "file:///nowhere").await;
    assert_eq!(error.code, ErrorCode::RESOURCE_NOT_FOUND);
    assert!(
        error.message.contains("file:///nowhere"),
        "{}",
        error.message
    );

    // The template's placeholder matches one path segment, no more.
    let error = read_error(&client, "data://users/a/b/profile").await;
    assert_eq!(error.code, ErrorCode::RESOURCE_NOT_FOUND);
}

#[tokio::test]
async fn upstream_error_names_status() {
    let client = connect(&MCP_ADAPTER).await;
    let error = read_error(&client, "data://users/missing/profile").await;
    assert_eq!(error.code, ErrorCode::INTERNAL_ERROR);
    assert!(
        error.message.contains("users-api.users.get-user"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("404 (Not Found)"),
        "{}",
        error.message
    );
    assert!(error.message.contains("no such user"), "{}", error.message);
}
