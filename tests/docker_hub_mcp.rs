//! The generated Docker Hub MCP adapter, served over loopback in front of a fake Docker
//! Hub and driven by rmcp's Streamable HTTP client.

mod common;

use naftiko_rs::docker_hub_org_access_tokens::exposes::docker_hub_org_access_tokens_mcp::{
    ADAPTER, router,
};
use naftiko_test_support::mcp::{
    McpClient, call, connect_mcp, find_tool, is_error, property_type, required_of, text_of,
    try_call,
};
use naftiko_test_support::{self as support, FakeUpstream};
use rmcp::model::Tool;
use serde_json::{Value, json};

use common::TOKEN;
use common::hub::SEEDED_TOKEN_ID;

/// Starts a fake Docker Hub, the generated MCP adapter in front of it, and a connected
/// client.
async fn start() -> (FakeUpstream, McpClient) {
    let hub = common::start_hub().await;
    let server = support::serve(router(common::context(&hub.base_uri))).await;
    let client = connect_mcp(&format!("{server}/mcp")).await;
    (hub, client)
}

/// Returns the tool's required input names, sorted, because the generated schema lists
/// them in the spec's order.
fn sorted_required(tool: &Tool) -> Vec<&str> {
    let mut names = required_of(tool);
    names.sort_unstable();
    names
}

#[tokio::test]
async fn initialize_names_adapter() {
    let (_hub, client) = start().await;

    let info = client.peer_info().expect("server info after initialize");
    let server_info = info.server_info.as_ref().expect("serverInfo is sent");
    assert_eq!(server_info.name, "docker-hub-org-access-tokens-mcp");
    assert_eq!(
        info.instructions.as_deref(),
        Some(
            "MCP adapter for Docker HUB API — org-access-tokens. One tool per consumed \
             operation, routed inline through this capability's consumes block."
        )
    );
    assert_eq!(info.instructions.as_deref(), ADAPTER.description);
    assert!(
        info.capabilities.tools.is_some(),
        "the tools capability is on"
    );
}

#[tokio::test]
async fn tools_list_has_five_tools() {
    let (_hub, client) = start().await;

    let tools = client.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "create-access-token",
            "list-access-tokens",
            "get-access-token",
            "update-access-token",
            "delete-access-token",
        ]
    );
    for tool in &tools {
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
    }
}

#[tokio::test]
async fn tools_list_annotations_follow_hints() {
    let (_hub, client) = start().await;
    let tools = client.list_all_tools().await.expect("tools/list");
    // (tool, readOnlyHint, destructiveHint, idempotentHint) as the spec's hints declare them.
    let cases = [
        ("create-access-token", false, false, false),
        ("list-access-tokens", true, false, true),
        ("get-access-token", true, false, true),
        ("update-access-token", false, false, true),
        ("delete-access-token", false, true, true),
    ];

    for (name, read_only, destructive, idempotent) in cases {
        let tool = find_tool(&tools, name);
        let annotations = tool.annotations.as_ref().expect("hints become annotations");
        assert_eq!(annotations.read_only_hint, Some(read_only), "{name}");
        assert_eq!(annotations.destructive_hint, Some(destructive), "{name}");
        assert_eq!(annotations.idempotent_hint, Some(idempotent), "{name}");
        assert_eq!(annotations.open_world_hint, None, "{name}");
    }
}

#[tokio::test]
async fn tools_list_input_schemas() {
    let (_hub, client) = start().await;
    let tools = client.list_all_tools().await.expect("tools/list");

    let get = find_tool(&tools, "get-access-token");
    assert_eq!(sorted_required(get), ["access_token_id", "org_name"]);
    assert_eq!(property_type(get, "org_name"), "string");
    assert_eq!(property_type(get, "access_token_id"), "string");

    let list = find_tool(&tools, "list-access-tokens");
    assert_eq!(sorted_required(list), ["name"]);
    assert_eq!(property_type(list, "page"), "number");
    assert_eq!(property_type(list, "page_size"), "number");

    let create = find_tool(&tools, "create-access-token");
    assert_eq!(sorted_required(create), ["body", "name"]);
    assert_eq!(property_type(create, "name"), "string");
    assert_eq!(property_type(create, "body"), "object");

    let update = find_tool(&tools, "update-access-token");
    assert_eq!(
        sorted_required(update),
        ["access_token_id", "body", "org_name"]
    );
    assert_eq!(property_type(update, "body"), "object");

    let delete = find_tool(&tools, "delete-access-token");
    assert_eq!(sorted_required(delete), ["access_token_id", "org_name"]);
}

struct Case {
    tool: &'static str,
    arguments: Value,
    method: &'static str,
    path: String,
    query: Option<&'static str>,
    body: Option<Value>,
}

#[tokio::test]
async fn tool_calls_reach_upstream() {
    let (hub, client) = start().await;
    let token_path = format!("/v2/orgs/my%20org/access-tokens/{SEEDED_TOKEN_ID}");
    let cases = [
        Case {
            tool: "list-access-tokens",
            arguments: json!({"name": "my org", "page": 2, "page_size": 50}),
            method: "GET",
            path: "/v2/orgs/my%20org/access-tokens".to_owned(),
            query: Some("page=2&page_size=50"),
            body: None,
        },
        Case {
            tool: "list-access-tokens",
            arguments: json!({"name": "my org"}),
            method: "GET",
            path: "/v2/orgs/my%20org/access-tokens".to_owned(),
            query: None,
            body: None,
        },
        Case {
            tool: "create-access-token",
            arguments: json!({"name": "my org", "body": {"label": "ci"}}),
            method: "POST",
            path: "/v2/orgs/my%20org/access-tokens".to_owned(),
            query: None,
            body: Some(json!({"label": "ci"})),
        },
        Case {
            tool: "get-access-token",
            arguments: json!({"org_name": "my org", "access_token_id": SEEDED_TOKEN_ID}),
            method: "GET",
            path: token_path.clone(),
            query: None,
            body: None,
        },
        Case {
            tool: "update-access-token",
            arguments: json!({
                "org_name": "my org",
                "access_token_id": SEEDED_TOKEN_ID,
                "body": {"is_active": false},
            }),
            method: "PATCH",
            path: token_path.clone(),
            query: None,
            body: Some(json!({"is_active": false})),
        },
        Case {
            tool: "delete-access-token",
            arguments: json!({"org_name": "my org", "access_token_id": SEEDED_TOKEN_ID}),
            method: "DELETE",
            path: token_path,
            query: None,
            body: None,
        },
    ];

    for (index, case) in cases.into_iter().enumerate() {
        let result = call(&client, case.tool, case.arguments).await;
        assert!(!is_error(&result), "{}: {result:?}", case.tool);

        let requests = hub.requests();
        assert_eq!(requests.len(), index + 1, "{}: one request", case.tool);
        let request = &requests[index];
        assert_eq!(request.method, case.method, "{}", case.tool);
        assert_eq!(request.path, case.path, "{}", case.tool);
        assert_eq!(request.query.as_deref(), case.query, "{}", case.tool);
        assert_eq!(
            request.authorization(),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{}",
            case.tool
        );
        match case.body {
            Some(expected) => assert_eq!(request.json_body(), expected, "{}", case.tool),
            None => assert!(request.body.is_empty(), "{}: no body", case.tool),
        }
    }
}

#[tokio::test]
async fn get_returns_token_json() {
    let (hub, client) = start().await;

    let arguments = json!({"org_name": "acme", "access_token_id": SEEDED_TOKEN_ID});
    let result = call(&client, "get-access-token", arguments).await;

    assert!(!is_error(&result), "{result:?}");
    let text: Value = serde_json::from_str(text_of(&result)).expect("the text is JSON");
    assert_eq!(text["id"], SEEDED_TOKEN_ID);
    let structured = result
        .structured_content
        .as_ref()
        .expect("an object result");
    assert_eq!(structured, &text);
    let request = hub.only_request();
    assert_eq!(
        request.path,
        format!("/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}"),
        "get-access-token must not call the list"
    );
}

#[tokio::test]
async fn delete_204_is_success() {
    let (hub, client) = start().await;

    let arguments = json!({"org_name": "acme", "access_token_id": SEEDED_TOKEN_ID});
    let result = call(&client, "delete-access-token", arguments).await;

    assert!(!is_error(&result), "{result:?}");
    assert!(text_of(&result).contains("204"), "{}", text_of(&result));
    assert_eq!(hub.only_request().method, "DELETE");
}

#[tokio::test]
async fn upstream_404_is_tool_error() {
    let (hub, client) = start().await;

    let arguments = json!({"org_name": "acme", "access_token_id": "no-such-token"});
    let result = call(&client, "get-access-token", arguments).await;

    assert!(is_error(&result), "{result:?}");
    let text = text_of(&result);
    assert!(text.contains("404"), "{text}");
    assert!(
        text.contains("access token no-such-token not found"),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "{text}");
    assert_eq!(
        hub.only_request().path,
        "/v2/orgs/acme/access-tokens/no-such-token"
    );
}

#[tokio::test]
async fn dead_upstream_is_tool_error() {
    let base_uri = support::dead_base_uri().await;
    let server = support::serve(router(common::context(&base_uri))).await;
    let client = connect_mcp(&format!("{server}/mcp")).await;

    let arguments = json!({"org_name": "acme", "access_token_id": SEEDED_TOKEN_ID});
    let result = call(&client, "delete-access-token", arguments).await;

    assert!(is_error(&result), "{result:?}");
    let text = text_of(&result);
    assert!(
        text.contains("v2-orgs-org_name-access-tokens-access_token_id.delete"),
        "the message names the upstream operation: {text}"
    );
    assert!(!text.contains(TOKEN), "{text}");
}

#[tokio::test]
async fn missing_argument_skips_upstream() {
    let (hub, client) = start().await;
    // (tool, arguments, the argument the error must name)
    let cases = [
        (
            "get-access-token",
            json!({"org_name": "acme"}),
            "access_token_id",
        ),
        (
            "get-access-token",
            json!({"access_token_id": SEEDED_TOKEN_ID}),
            "org_name",
        ),
        ("create-access-token", json!({"name": "acme"}), "body"),
        (
            "create-access-token",
            json!({"body": {"label": "ci"}}),
            "name",
        ),
        ("list-access-tokens", json!({"page": 1}), "name"),
        (
            "update-access-token",
            json!({"org_name": "acme", "access_token_id": SEEDED_TOKEN_ID}),
            "body",
        ),
        ("delete-access-token", json!({}), "org_name"),
    ];

    for (tool, arguments, argument) in cases {
        // A refusal may come as a tool error or as a JSON-RPC error; both must name it.
        let message = match try_call(&client, tool, arguments).await {
            Ok(result) => {
                assert!(is_error(&result), "{tool}: {result:?}");
                text_of(&result).to_owned()
            }
            Err(error) => error.to_string(),
        };
        assert!(message.contains(argument), "{tool}: {message}");
    }
    assert!(hub.requests().is_empty(), "no upstream request");
}

#[tokio::test]
async fn wrong_types_skip_upstream() {
    let (hub, client) = start().await;
    let cases = [
        (
            "list-access-tokens",
            json!({"name": "acme", "page": "two"}),
            "page",
        ),
        (
            "create-access-token",
            json!({"name": "acme", "body": "{}"}),
            "body",
        ),
        (
            "get-access-token",
            json!({"org_name": "", "access_token_id": SEEDED_TOKEN_ID}),
            "org_name",
        ),
    ];

    for (tool, arguments, argument) in cases {
        let result = call(&client, tool, arguments).await;
        assert!(is_error(&result), "{tool}: {result:?}");
        assert!(text_of(&result).contains(argument), "{tool}: {result:?}");
    }
    assert!(hub.requests().is_empty(), "no upstream request");
}

#[tokio::test]
async fn org_slash_stays_in_segment() {
    let (hub, client) = start().await;

    for (org, expected) in [
        ("a/b", "a%2Fb"),
        ("../../admin", "..%2F..%2Fadmin"),
        ("a?page=9#x", "a%3Fpage%3D9%23x"),
    ] {
        let before = hub.requests().len();
        let arguments = json!({"org_name": org, "access_token_id": SEEDED_TOKEN_ID});
        let result = call(&client, "get-access-token", arguments).await;
        assert!(!is_error(&result), "{org}: {result:?}");

        let requests = hub.requests();
        assert_eq!(requests.len(), before + 1, "{org}: one upstream request");
        assert_eq!(
            requests[before].segments(),
            ["v2", "orgs", expected, "access-tokens", SEEDED_TOKEN_ID],
            "{org}"
        );
        assert_eq!(requests[before].query, None, "{org}");
    }

    let arguments = json!({"org_name": "..", "access_token_id": SEEDED_TOKEN_ID});
    let result = call(&client, "get-access-token", arguments).await;
    assert!(is_error(&result), "`..` is rejected: {result:?}");
    assert_eq!(hub.requests().len(), 3, "`..` sends no upstream request");
}
