//! MCP adapter tests: the Docker Hub fixture served by `mcp::router` on a loopback port,
//! driven by rmcp's own Streamable HTTP client, in front of a fake upstream.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use naftiko_runtime::descriptor::{
    Argument, Call, Input, JsonType, McpAdapter, McpTool, Output, ParamLocation, ToolHints,
};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::mcp::{self, AllowedHosts};
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;
use naftiko_test_support::mcp::{
    call, connect_mcp, find_tool, initialize_request, is_error, property_type, required_of, text_of,
};
use naftiko_test_support::{FakeUpstream, Reply, loopback_http, serve};
use rmcp::model::{CallToolRequestParams, ClientConfig, ErrorCode, ProtocolVersion};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientLifecycleMode, ClientServiceExt, ServiceError};
use serde_json::{Value, json};

use common::{CONSUMES_NAMESPACE, MCP_ADAPTER, MCP_NAMESPACE};

/// The token the fixture's bind variable resolves to.
const TOKEN: &str = "test-token-7f3a";

/// Builds a context whose consumed API sends to `base_uri`, with [`TOKEN`] as the secret.
fn context_for(base_uri: &str) -> CapabilityContext {
    context_with_timeout(base_uri, Duration::from_secs(5))
}

fn context_with_timeout(base_uri: &str, timeout: Duration) -> CapabilityContext {
    let binds = BindValues::from_values(vec![Secret::new(TOKEN)]);
    let http = upstream::http_client(timeout, timeout).expect("builds the upstream HTTP client");
    let base_uris = BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), base_uri.to_owned())]);
    CapabilityContext::new(&common::CAPABILITY, binds, http, &base_uris)
}

/// Serves `adapter` with an upstream at `base_uri`, returning the server's base URL.
async fn serve_adapter(adapter: &'static McpAdapter, base_uri: &str) -> String {
    serve(mcp::router(adapter, Arc::new(context_for(base_uri)))).await
}

/// Starts a fake upstream and the fixture's MCP adapter in front of it.
async fn start() -> (FakeUpstream, String) {
    let upstream = FakeUpstream::start_ok().await;
    let server = serve_adapter(&MCP_ADAPTER, &upstream.base_uri).await;
    (upstream, server)
}

#[tokio::test]
async fn initialize_sends_namespace_and_instructions() {
    let (_upstream, server) = start().await;
    let client = connect_mcp(&format!("{server}/mcp")).await;

    let info = client.peer_info().expect("server info after initialize");
    let server_info = info.server_info.as_ref().expect("serverInfo is sent");
    assert_eq!(server_info.name, MCP_NAMESPACE);
    assert_eq!(info.instructions.as_deref(), MCP_ADAPTER.description);
    assert!(info.capabilities.tools.is_some(), "tools capability is on");
}

#[tokio::test]
async fn root_path_serves_mcp() {
    let (_upstream, server) = start().await;
    let client = connect_mcp(&format!("{server}/")).await;

    let tools = client.list_all_tools().await.expect("tools/list at /");
    assert_eq!(tools.len(), 5);
}

#[tokio::test]
async fn tools_list_describes_every_tool() {
    let (_upstream, server) = start().await;
    let client = connect_mcp(&format!("{server}/mcp")).await;

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
        let descriptor = MCP_ADAPTER
            .tools
            .iter()
            .find(|descriptor| descriptor.name == tool.name)
            .expect("every listed tool is declared");
        assert_eq!(tool.description.as_deref(), descriptor.description);
        let annotations = tool.annotations.as_ref().expect("hints become annotations");
        assert_eq!(annotations.read_only_hint, descriptor.hints.read_only);
        assert_eq!(annotations.destructive_hint, descriptor.hints.destructive);
        assert_eq!(annotations.idempotent_hint, descriptor.hints.idempotent);
        assert_eq!(annotations.open_world_hint, None, "{}", tool.name);
    }

    let get = find_tool(&tools, "get-access-token");
    assert_eq!(required_of(get), ["org_name", "access_token_id"]);
    assert_eq!(property_type(get, "org_name"), "string");
    assert_eq!(property_type(get, "access_token_id"), "string");

    let list = find_tool(&tools, "list-access-tokens");
    assert_eq!(required_of(list), ["name"]);
    assert_eq!(property_type(list, "page"), "number");
    assert_eq!(property_type(list, "page_size"), "number");

    let create = find_tool(&tools, "create-access-token");
    assert_eq!(required_of(create), ["name", "body"]);
    assert_eq!(property_type(create, "body"), "object");
    assert_eq!(
        create.input_schema["properties"]["body"]["description"],
        "Request body (JSON)."
    );

    let delete = find_tool(&tools, "delete-access-token");
    let delete_hints = delete.annotations.as_ref().expect("annotations");
    assert_eq!(delete_hints.destructive_hint, Some(true));
}

/// One tool call and the upstream request it must produce.
struct Case {
    tool: &'static str,
    arguments: Value,
    method: &'static str,
    path: &'static str,
    query: Option<&'static str>,
    body: Option<Value>,
}

#[tokio::test]
async fn tool_calls_reach_upstream() {
    let (upstream, server) = start().await;
    let client = connect_mcp(&format!("{server}/mcp")).await;
    let token_body = json!({"name": "ci", "scopes": ["repo:read"]});
    let cases = [
        Case {
            tool: "create-access-token",
            arguments: json!({"name": "acme", "body": token_body}),
            method: "POST",
            path: "/v2/orgs/acme/access-tokens",
            query: None,
            body: Some(token_body.clone()),
        },
        Case {
            tool: "list-access-tokens",
            arguments: json!({"name": "acme", "page": 2, "page_size": 50}),
            method: "GET",
            path: "/v2/orgs/acme/access-tokens",
            query: Some("page=2&page_size=50"),
            body: None,
        },
        Case {
            tool: "get-access-token",
            arguments: json!({"org_name": "acme", "access_token_id": "tok-1"}),
            method: "GET",
            path: "/v2/orgs/acme/access-tokens/tok-1",
            query: None,
            body: None,
        },
        Case {
            tool: "update-access-token",
            arguments: json!({
                "org_name": "acme",
                "access_token_id": "tok-1",
                "body": {"is_active": false},
            }),
            method: "PATCH",
            path: "/v2/orgs/acme/access-tokens/tok-1",
            query: None,
            body: Some(json!({"is_active": false})),
        },
        Case {
            tool: "delete-access-token",
            arguments: json!({"org_name": "acme", "access_token_id": "tok-1"}),
            method: "DELETE",
            path: "/v2/orgs/acme/access-tokens/tok-1",
            query: None,
            body: None,
        },
    ];

    for (index, case) in cases.into_iter().enumerate() {
        let reply = json!({"tool": case.tool});
        upstream.reply_with(Reply::json(200, &reply));

        let result = call(&client, case.tool, case.arguments).await;
        assert!(!is_error(&result), "{}: {result:?}", case.tool);
        let text: Value = serde_json::from_str(text_of(&result)).expect("text is JSON");
        assert_eq!(text, reply, "{}", case.tool);
        assert_eq!(result.structured_content, Some(reply), "{}", case.tool);

        let requests = upstream.requests();
        assert_eq!(requests.len(), index + 1, "{}: one request", case.tool);
        let request = &requests[index];
        assert_eq!(request.method, case.method, "{}", case.tool);
        assert_eq!(request.path, case.path, "{}", case.tool);
        assert_eq!(request.query.as_deref(), case.query, "{}", case.tool);
        let authorization = request.headers.get("authorization").expect("auth header");
        assert_eq!(authorization, &format!("Bearer {TOKEN}"), "{}", case.tool);
        match case.body {
            Some(expected) => {
                let sent: Value = serde_json::from_slice(&request.body).expect("JSON body");
                assert_eq!(sent, expected, "{}", case.tool);
            }
            None => assert!(request.body.is_empty(), "{}: no body", case.tool),
        }
    }
}

#[tokio::test]
async fn delete_with_204_is_success() {
    let (upstream, server) = start().await;
    let client = connect_mcp(&format!("{server}/mcp")).await;
    upstream.reply_with(Reply::empty(204));

    let arguments = json!({"org_name": "acme", "access_token_id": "tok-1"});
    let result = call(&client, "delete-access-token", arguments).await;
    assert!(!is_error(&result), "{result:?}");
    assert!(text_of(&result).contains("204"), "{}", text_of(&result));
    assert_eq!(result.structured_content, None);
}

#[tokio::test]
async fn upstream_404_is_tool_error() {
    let (upstream, server) = start().await;
    let client = connect_mcp(&format!("{server}/mcp")).await;
    upstream.reply_with(Reply::json(404, r#"{"message":"token not found"}"#));

    let arguments = json!({"org_name": "acme", "access_token_id": "missing"});
    let result = call(&client, "get-access-token", arguments).await;
    assert!(is_error(&result), "{result:?}");
    let text = text_of(&result);
    assert!(text.contains("404"), "{text}");
    assert!(text.contains("token not found"), "{text}");
}

#[tokio::test]
async fn dead_upstream_is_tool_error() {
    let base_uri = naftiko_test_support::dead_base_uri().await;
    let server = serve_adapter(&MCP_ADAPTER, &base_uri).await;
    let client = connect_mcp(&format!("{server}/mcp")).await;

    let arguments = json!({"org_name": "acme", "access_token_id": "tok-1"});
    let result = call(&client, "get-access-token", arguments).await;
    assert!(is_error(&result), "{result:?}");
    let text = text_of(&result);
    let operation =
        "docker-hub-org-access-tokens.v2-orgs-org_name-access-tokens-access_token_id.get";
    assert!(text.contains(operation), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(!text.contains(&base_uri), "{text}");
}

#[tokio::test]
async fn slow_upstream_is_tool_error() {
    let upstream = FakeUpstream::start_ok().await;
    upstream.reply_with(Reply::json(200, "{}").with_delay(Duration::from_secs(2)));
    let context = context_with_timeout(&upstream.base_uri, Duration::from_millis(200));
    let server = serve(mcp::router(&MCP_ADAPTER, Arc::new(context))).await;
    let client = connect_mcp(&format!("{server}/mcp")).await;

    let arguments = json!({"org_name": "acme", "access_token_id": "tok-1"});
    let result = call(&client, "get-access-token", arguments).await;
    assert!(is_error(&result), "{result:?}");
    assert!(text_of(&result).contains("timed out"), "{result:?}");
}

#[tokio::test]
async fn invalid_arguments_skip_upstream() {
    let (upstream, server) = start().await;
    let client = connect_mcp(&format!("{server}/mcp")).await;

    let result = call(&client, "get-access-token", json!({"org_name": "acme"})).await;
    assert!(is_error(&result), "{result:?}");
    assert!(text_of(&result).contains("access_token_id"), "{result:?}");

    let result = call(
        &client,
        "list-access-tokens",
        json!({"name": "acme", "page": "two"}),
    )
    .await;
    assert!(is_error(&result), "{result:?}");
    assert!(text_of(&result).contains("page"), "{result:?}");

    let result = call(&client, "create-access-token", json!({"name": "acme"})).await;
    assert!(is_error(&result), "{result:?}");
    assert!(text_of(&result).contains("body"), "{result:?}");

    let empty_org = json!({"org_name": "", "access_token_id": "tok-1"});
    let result = call(&client, "get-access-token", empty_org).await;
    assert!(is_error(&result), "{result:?}");
    assert!(text_of(&result).contains("org_name"), "{result:?}");

    assert!(upstream.requests().is_empty(), "no upstream request");
}

#[tokio::test]
async fn unknown_tool_is_jsonrpc_error() {
    let (upstream, server) = start().await;
    let client = connect_mcp(&format!("{server}/mcp")).await;

    let outcome = client
        .call_tool(CallToolRequestParams::new("drop-all-tokens"))
        .await;
    match outcome {
        Err(ServiceError::McpError(error)) => {
            assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
            assert!(
                error.message.contains("drop-all-tokens"),
                "{}",
                error.message
            );
        }
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
    assert!(upstream.requests().is_empty(), "no upstream request");
}

#[tokio::test]
async fn non_json_bodies_become_text() {
    let (upstream, server) = start().await;
    let client = connect_mcp(&format!("{server}/mcp")).await;
    let arguments = json!({"org_name": "acme", "access_token_id": "tok-1"});

    upstream.reply_with(Reply::new(200, "text/plain", "plain words"));
    let result = call(&client, "get-access-token", arguments.clone()).await;
    assert!(!is_error(&result), "{result:?}");
    assert_eq!(text_of(&result), "plain words");
    assert_eq!(result.structured_content, None);

    upstream.reply_with(Reply::json(200, "[1,2]"));
    let result = call(&client, "get-access-token", arguments.clone()).await;
    assert!(!is_error(&result), "{result:?}");
    assert_eq!(text_of(&result), "[1,2]");
    assert_eq!(
        result.structured_content, None,
        "only objects are structured"
    );

    upstream.reply_with(Reply::json(200, "{not json"));
    let result = call(&client, "get-access-token", arguments).await;
    assert!(is_error(&result), "{result:?}");
    assert!(text_of(&result).contains("not valid JSON"), "{result:?}");
}

#[tokio::test]
async fn separate_clients_alternate_calls() {
    let (upstream, server) = start().await;
    let url = format!("{server}/mcp");
    let first = connect_mcp(&url).await;
    let second = connect_mcp(&url).await;

    for round in 0..3 {
        for (client, org) in [(&first, "first"), (&second, "second")] {
            let arguments = json!({"org_name": org, "access_token_id": format!("tok-{round}")});
            let result = call(client, "get-access-token", arguments).await;
            assert!(!is_error(&result), "{org} round {round}: {result:?}");
        }
    }
    assert_eq!(upstream.requests().len(), 6);
}

#[tokio::test]
async fn initialize_issues_no_session_id() {
    let (_upstream, server) = start().await;
    let response = initialize_request(&format!("{server}/mcp"))
        .send()
        .await
        .expect("initialize POST");

    assert_eq!(response.status(), 200);
    assert!(response.headers().get("mcp-session-id").is_none());
}

#[tokio::test]
async fn discover_lifecycle_calls_tools() {
    let (upstream, server) = start().await;
    let lifecycle = ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    };
    let client = ClientConfig::default()
        .serve_with_lifecycle(
            StreamableHttpClientTransport::with_client(
                loopback_http(),
                StreamableHttpClientTransportConfig::with_uri(format!("{server}/mcp")),
            ),
            lifecycle,
        )
        .await
        .expect("discover succeeds");

    let tools = client.list_all_tools().await.expect("tools/list");
    assert_eq!(tools.len(), 5);
    let arguments = json!({"org_name": "acme", "access_token_id": "tok-1"});
    let result = call(&client, "get-access-token", arguments).await;
    assert!(!is_error(&result), "{result:?}");
    assert_eq!(upstream.requests().len(), 1);
}

/// Sends an `initialize` POST with the given `Host` header and returns the HTTP status.
async fn initialize_status(server: &str, host: &str) -> u16 {
    initialize_request(&format!("{server}/mcp"))
        .header("host", host)
        .send()
        .await
        .expect("initialize POST")
        .status()
        .as_u16()
}

#[tokio::test]
async fn host_check_follows_allowed_hosts() {
    let upstream = FakeUpstream::start_ok().await;
    let context = || Arc::new(context_for(&upstream.base_uri));

    let loopback = serve(mcp::router(&MCP_ADAPTER, context())).await;
    assert_eq!(initialize_status(&loopback, "localhost:9090").await, 200);
    assert_eq!(initialize_status(&loopback, "mcp.example.com").await, 403);

    let named = AllowedHosts::LoopbackAnd(vec!["mcp.example.com".into()]);
    let named = serve(mcp::router_with_allowed_hosts(
        &MCP_ADAPTER,
        context(),
        named,
    ))
    .await;
    assert_eq!(initialize_status(&named, "mcp.example.com:9090").await, 200);
    assert_eq!(initialize_status(&named, "127.0.0.1").await, 200);
    assert_eq!(initialize_status(&named, "other.example.com").await, 403);

    let any = serve(mcp::router_with_allowed_hosts(
        &MCP_ADAPTER,
        context(),
        AllowedHosts::Any,
    ))
    .await;
    assert_eq!(initialize_status(&any, "other.example.com").await, 200);
}

#[test]
fn allowed_hosts_follow_bind_address() {
    let loopback = "127.0.0.1".parse().expect("IP address");
    assert_eq!(
        AllowedHosts::for_bind_address(loopback),
        AllowedHosts::Loopback
    );
    let unspecified = "0.0.0.0".parse().expect("IP address");
    assert_eq!(
        AllowedHosts::for_bind_address(unspecified),
        AllowedHosts::Any
    );
    let private = "10.1.2.3".parse().expect("IP address");
    assert_eq!(
        AllowedHosts::for_bind_address(private),
        AllowedHosts::LoopbackAnd(vec!["10.1.2.3".into()])
    );
    let ipv6 = "fd00::1".parse().expect("IP address");
    assert_eq!(
        AllowedHosts::for_bind_address(ipv6),
        AllowedHosts::LoopbackAnd(vec!["[fd00::1]".into()])
    );
}

const ORG_INPUTS: &[Input] = &[
    Input {
        name: "org_name",
        location: ParamLocation::Path,
        json_type: JsonType::String,
        required: true,
        description: Some("The organization."),
    },
    Input {
        name: "access_token_id",
        location: ParamLocation::Path,
        json_type: JsonType::String,
        required: true,
        description: None,
    },
];

/// An adapter with a titled tool, an `openWorldHint` and a tool without hints, which the
/// Docker Hub fixture lacks.
static TITLED_ADAPTER: McpAdapter = McpAdapter {
    auth: None,
    namespace: "titled",
    address: None,
    port: 0,
    description: None,
    tools: &[
        McpTool {
            name: "get-token",
            title: Some("Get an access token"),
            description: Some("Get access token"),
            hints: ToolHints {
                read_only: None,
                destructive: None,
                idempotent: None,
                open_world: Some(true),
            },
            inputs: ORG_INPUTS,
            call: Some(Call {
                operation: &common::GET_TOKEN,
                arguments: &[Argument::Input(0), Argument::Input(1)],
            }),
            steps: None,
            output: Output::Body,
            output_schema: None,
        },
        McpTool {
            name: "get-token-plain",
            title: None,
            description: None,
            hints: ToolHints {
                read_only: None,
                destructive: None,
                idempotent: None,
                open_world: None,
            },
            inputs: ORG_INPUTS,
            call: Some(Call {
                operation: &common::GET_TOKEN,
                arguments: &[Argument::Input(0), Argument::Input(1)],
            }),
            steps: None,
            output: Output::Body,
            output_schema: None,
        },
    ],
    resources: &[],
    prompts: &[],
    stdio: false,
};

#[tokio::test]
async fn titles_and_hints_are_optional() {
    let upstream = FakeUpstream::start_ok().await;
    let server = serve_adapter(&TITLED_ADAPTER, &upstream.base_uri).await;
    let client = connect_mcp(&format!("{server}/mcp")).await;

    let info = client.peer_info().expect("server info");
    assert_eq!(info.instructions, None);

    let tools = client.list_all_tools().await.expect("tools/list");
    let titled = find_tool(&tools, "get-token");
    assert_eq!(titled.title.as_deref(), Some("Get an access token"));
    let annotations = titled.annotations.as_ref().expect("annotations");
    assert_eq!(annotations.open_world_hint, Some(true));
    assert_eq!(annotations.read_only_hint, None);
    assert_eq!(
        titled.input_schema["properties"]["org_name"]["description"],
        "The organization."
    );

    let plain = find_tool(&tools, "get-token-plain");
    assert_eq!(plain.title, None);
    assert_eq!(plain.description, None);
    assert_eq!(plain.annotations, None);
}
