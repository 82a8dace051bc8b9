//! MCP prompts: listing and rendering, through rmcp's client over Streamable HTTP.

mod mcp_fixture;

use mcp_fixture::{MCP_ADAPTER, connect};
use rmcp::ServiceError;
use rmcp::model::{ErrorCode, GetPromptRequestParams, GetPromptResult, JsonObject, Role};
use serde_json::{Value, json};

fn arguments(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        other => panic!("prompt arguments must be an object, not {other}"),
    }
}

async fn get(
    client: &mcp_fixture::Client,
    name: &str,
    prompt_arguments: Value,
) -> Result<GetPromptResult, ServiceError> {
    let request = GetPromptRequestParams::new(name).with_arguments(arguments(prompt_arguments));
    client.get_prompt(request).await
}

async fn get_error(client: &mcp_fixture::Client, name: &str, arguments: Value) -> rmcp::ErrorData {
    match get(client, name, arguments).await {
        Err(ServiceError::McpError(error)) => error,
        other => panic!("expected a JSON-RPC error for prompt `{name}`, got {other:?}"),
    }
}

/// Returns the role and text of every message.
fn messages(result: &GetPromptResult) -> Vec<(Role, &str)> {
    result
        .messages
        .iter()
        .map(|message| {
            let text = message.content.as_text().expect("text content");
            (message.role.clone(), text.text.as_str())
        })
        .collect()
}

#[tokio::test]
async fn list_describes_prompts() {
    let client = connect(&MCP_ADAPTER).await;
    let prompts = client.list_all_prompts().await.expect("prompts/list");
    let names: Vec<&str> = prompts.iter().map(|prompt| prompt.name.as_str()).collect();
    assert_eq!(names, ["participant-outreach", "no-arguments"]);

    let outreach = &prompts[0];
    assert_eq!(outreach.title.as_deref(), Some("Participant outreach"));
    assert_eq!(
        outreach.description.as_deref(),
        Some("Draft an outreach message.")
    );
    let arguments = outreach.arguments.as_ref().expect("arguments are listed");
    assert_eq!(arguments.len(), 2);
    assert_eq!(arguments[0].name, "participant_name");
    assert_eq!(arguments[0].required, Some(true));
    assert_eq!(
        arguments[0].description.as_deref(),
        Some("Name of the participant")
    );
    assert_eq!(arguments[1].name, "product_name");
    assert_eq!(arguments[1].required, Some(false));
    assert_eq!(prompts[1].arguments, None);
}

#[tokio::test]
async fn get_renders_messages() {
    let client = connect(&MCP_ADAPTER).await;
    let supplied = json!({"participant_name": "Ada", "product_name": "Engine", "extra": "x"});
    let result = get(&client, "participant-outreach", supplied)
        .await
        .expect("prompts/get");
    assert_eq!(
        result.description.as_deref(),
        Some("Draft an outreach message.")
    );
    assert_eq!(
        messages(&result),
        [
            (Role::User, "Write to Ada about Engine."),
            (Role::Assistant, "I'll draft it."),
        ]
    );
}

#[tokio::test]
async fn absent_optional_argument_renders_empty() {
    let client = connect(&MCP_ADAPTER).await;
    let result = get(
        &client,
        "participant-outreach",
        json!({"participant_name": "Ada"}),
    )
    .await
    .expect("prompts/get");
    assert_eq!(messages(&result)[0], (Role::User, "Write to Ada about ."));
}

#[tokio::test]
async fn missing_required_argument_is_invalid_params() {
    let client = connect(&MCP_ADAPTER).await;
    let error = get_error(
        &client,
        "participant-outreach",
        json!({"product_name": "Engine"}),
    )
    .await;
    assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
    assert!(
        error.message.contains("`participant_name`"),
        "{}",
        error.message
    );
    assert!(error.message.contains("missing"), "{}", error.message);
}

#[tokio::test]
async fn non_string_argument_is_invalid_params() {
    let client = connect(&MCP_ADAPTER).await;
    let error = get_error(
        &client,
        "participant-outreach",
        json!({"participant_name": 3}),
    )
    .await;
    assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
    assert!(
        error.message.contains("`participant_name`"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn unknown_prompt_is_invalid_params() {
    let client = connect(&MCP_ADAPTER).await;
    let error = get_error(&client, "nope", json!({})).await;
    assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
    assert!(error.message.contains("`nope`"), "{}", error.message);
}

#[tokio::test]
async fn prompt_without_arguments_renders() {
    let client = connect(&MCP_ADAPTER).await;
    let result = client
        .get_prompt(GetPromptRequestParams::new("no-arguments"))
        .await
        .expect("prompts/get without arguments");
    assert_eq!(messages(&result), [(Role::User, "Hello.")]);
}
