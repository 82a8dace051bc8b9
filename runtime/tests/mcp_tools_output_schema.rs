//! MCP tools with an output schema: `outputSchema` in `tools/list` and
//! `structuredContent` in results.

mod mcp_fixture;

use mcp_fixture::{MCP_ADAPTER, USER_SCHEMA, connect};
use rmcp::model::{CallToolRequestParams, JsonObject};
use serde_json::{Value, json};

fn arguments(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        other => panic!("tool arguments must be an object, not {other}"),
    }
}

#[tokio::test]
async fn tools_list_sends_output_schema() {
    let client = connect(&MCP_ADAPTER).await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let with_schema = tools
        .iter()
        .find(|tool| tool.name == "get-user")
        .expect("get-user is listed");
    let schema = with_schema.output_schema.as_ref().expect("outputSchema");
    let expected: Value = serde_json::from_str(USER_SCHEMA).expect("fixture schema parses");
    assert_eq!(Value::Object(schema.as_ref().clone()), expected);

    let without = tools
        .iter()
        .find(|tool| tool.name == "get-user-raw")
        .expect("get-user-raw is listed");
    assert_eq!(without.output_schema, None);
}

#[tokio::test]
async fn object_result_is_structured() {
    let client = connect(&MCP_ADAPTER).await;
    let request =
        CallToolRequestParams::new("get-user").with_arguments(arguments(json!({"id": "7"})));
    let result = client.call_tool(request).await.expect("tools/call");
    assert_eq!(result.is_error, Some(false));
    let expected = json!({"id": "7", "name": "Ada"});
    assert_eq!(result.structured_content, Some(expected.clone()));
    let text = &result.content[0].as_text().expect("text content").text;
    let parsed: Value = serde_json::from_str(text).expect("text is JSON");
    assert_eq!(parsed, expected);
}
