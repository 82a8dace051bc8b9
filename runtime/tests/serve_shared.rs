//! Adapters of different capabilities that declare one address and port: REST adapters
//! merged on one listener, MCP adapters served alone and as a union, and the mixes that
//! start-up rejects.

use std::collections::BTreeMap;
use std::env::VarError;

use naftiko_runtime::descriptor::{
    Capability, HttpMethod, McpAdapter, McpTool, Output, OutputShape, RestAdapter, RestOperation,
    ToolHints,
};
use naftiko_runtime::serve::{self, ServeOptions};
use naftiko_test_support::mcp::{McpClient, connect_mcp, tool_names};
use naftiko_test_support::{free_port, loopback_http};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use serde_json::Value;

const ALPHA_REST: &str = "alpha-rest";
const ALPHA_MCP: &str = "alpha-mcp";
const BETA_REST: &str = "beta-rest";
const BETA_MCP: &str = "beta-mcp";

const fn constant_operation(
    route: &'static str,
    method: HttpMethod,
    shape: &'static OutputShape,
) -> RestOperation {
    RestOperation {
        route,
        method,
        name: route,
        description: None,
        inputs: &[],
        call: None,
        steps: None,
        output: Output::Shape(shape),
    }
}

const fn constant_tool(name: &'static str, shape: &'static OutputShape) -> McpTool {
    McpTool {
        name,
        title: None,
        description: None,
        hints: ToolHints {
            read_only: None,
            destructive: None,
            idempotent: None,
            open_world: None,
        },
        inputs: &[],
        call: None,
        steps: None,
        output: Output::Shape(shape),
        output_schema: None,
    }
}

const fn capability(
    name: &'static str,
    spec_file: &'static str,
    rest: &'static [&'static RestAdapter],
    mcp: &'static [&'static McpAdapter],
) -> Capability {
    Capability {
        name,
        spec_file,
        description: None,
        binds: &[],
        consumes: &[],
        rest,
        mcp,
        control: &[],
        skill: &[],
    }
}

static FROM_ALPHA: OutputShape = OutputShape::Constant(r#"{"from": "alpha"}"#);
static FROM_BETA: OutputShape = OutputShape::Constant(r#"{"from": "beta"}"#);

static ALPHA_REST_ADAPTER: RestAdapter = RestAdapter {
    namespace: ALPHA_REST,
    address: None,
    port: 18080,
    description: None,
    operations: &[
        constant_operation("/alpha", HttpMethod::Get, &FROM_ALPHA),
        constant_operation("/things", HttpMethod::Get, &FROM_ALPHA),
    ],
    forwards: &[],
    openapi: r#"{"openapi": "3.1.0", "info": {"title": "alpha"}, "paths": {"/alpha": {"get": {}}, "/things": {"get": {}}}}"#,
    auth: None,
};

static BETA_REST_ADAPTER: RestAdapter = RestAdapter {
    namespace: BETA_REST,
    address: None,
    port: 18080,
    description: None,
    operations: &[
        constant_operation("/beta", HttpMethod::Get, &FROM_BETA),
        constant_operation("/things", HttpMethod::Post, &FROM_BETA),
    ],
    forwards: &[],
    openapi: r#"{"openapi": "3.1.0", "info": {"title": "beta"}, "paths": {"/beta": {"get": {}}, "/things": {"post": {}}}}"#,
    auth: None,
};

/// Declares `GET /alpha` again, as the alpha adapter does.
static GAMMA_REST_ADAPTER: RestAdapter = RestAdapter {
    namespace: "gamma-rest",
    address: None,
    port: 18080,
    description: None,
    operations: &[constant_operation("/alpha", HttpMethod::Get, &FROM_BETA)],
    forwards: &[],
    openapi: "{}",
    auth: None,
};

static ALPHA_MCP_ADAPTER: McpAdapter = McpAdapter {
    namespace: ALPHA_MCP,
    address: None,
    port: 19090,
    description: Some("Alpha tools"),
    tools: &[
        constant_tool("ping", &FROM_ALPHA),
        constant_tool("alpha-only", &FROM_ALPHA),
    ],
    auth: None,
    resources: &[],
    prompts: &[],
    stdio: false,
};

static BETA_MCP_ADAPTER: McpAdapter = McpAdapter {
    namespace: BETA_MCP,
    address: None,
    port: 19090,
    description: Some("Beta tools"),
    tools: &[
        constant_tool("ping", &FROM_BETA),
        constant_tool("beta-only", &FROM_BETA),
    ],
    auth: None,
    resources: &[],
    prompts: &[],
    stdio: false,
};

static ALPHA: Capability = capability(
    "alpha",
    "specs/alpha.yaml",
    &[&ALPHA_REST_ADAPTER],
    &[&ALPHA_MCP_ADAPTER],
);
static BETA: Capability = capability(
    "beta",
    "specs/beta.yaml",
    &[&BETA_REST_ADAPTER],
    &[&BETA_MCP_ADAPTER],
);
static GAMMA: Capability = capability("gamma", "specs/gamma.yaml", &[&GAMMA_REST_ADAPTER], &[]);

static ALPHA_AND_BETA: &[&Capability] = &[&ALPHA, &BETA];
static ALPHA_AND_GAMMA: &[&Capability] = &[&ALPHA, &GAMMA];

fn no_env(_name: &str) -> Result<String, VarError> {
    Err(VarError::NotPresent)
}

fn options(ports: &[(&str, u16)]) -> ServeOptions {
    ServeOptions {
        address: None,
        ports: ports
            .iter()
            .map(|(namespace, port)| ((*namespace).to_owned(), *port))
            .collect::<BTreeMap<_, _>>(),
        base_uris: BTreeMap::new(),
        ..ServeOptions::default()
    }
}

async fn get_json(client: &reqwest::Client, method: reqwest::Method, url: &str) -> (u16, Value) {
    let response = client
        .request(method, url)
        .send()
        .await
        .unwrap_or_else(|error| panic!("request to {url} failed: {error}"));
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn listener_url(server: &serve::Server, namespace: &str) -> String {
    server
        .listeners()
        .iter()
        .find(|listener| listener.namespace == namespace)
        .unwrap_or_else(|| panic!("no listener for `{namespace}`"))
        .url()
}

async fn call_text(client: &McpClient, name: &str) -> String {
    let result: CallToolResult = client
        .call_tool(CallToolRequestParams::new(name.to_owned()))
        .await
        .unwrap_or_else(|error| panic!("tools/call `{name}` failed: {error}"));
    assert_eq!(result.is_error, Some(false), "tool `{name}` failed");
    result.content[0]
        .as_text()
        .map(|text| text.text.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn rest_adapters_share_one_listener() {
    let port = free_port().await;
    let mcp_port = free_port().await;
    let ports = [
        (ALPHA_REST, port),
        (BETA_REST, port),
        (ALPHA_MCP, mcp_port),
        (BETA_MCP, mcp_port),
    ];
    let server = serve::start(ALPHA_AND_BETA, &options(&ports), no_env)
        .await
        .expect("server starts");
    assert_eq!(server.listeners().len(), 4);
    assert_eq!(
        listener_url(&server, ALPHA_REST),
        listener_url(&server, BETA_REST)
    );

    let client = loopback_http();
    let base = format!("http://127.0.0.1:{port}");
    let (status, body) = get_json(&client, reqwest::Method::GET, &format!("{base}/alpha")).await;
    assert_eq!(status, 200);
    assert_eq!(body["from"], "alpha");
    let (status, body) = get_json(&client, reqwest::Method::GET, &format!("{base}/beta")).await;
    assert_eq!(status, 200);
    assert_eq!(body["from"], "beta");

    // One route, a method from each adapter.
    let (status, body) = get_json(&client, reqwest::Method::GET, &format!("{base}/things")).await;
    assert_eq!(status, 200);
    assert_eq!(body["from"], "alpha");
    let (status, body) = get_json(&client, reqwest::Method::POST, &format!("{base}/things")).await;
    assert_eq!(status, 200);
    assert_eq!(body["from"], "beta");
    let (status, _) = get_json(&client, reqwest::Method::DELETE, &format!("{base}/things")).await;
    assert_eq!(status, 405);

    let (status, body) = get_json(&client, reqwest::Method::GET, &format!("{base}/none")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");

    let (status, document) = get_json(
        &client,
        reqwest::Method::GET,
        &format!("{base}/openapi.json"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(document["info"]["title"], "alpha, beta");
    assert!(document["paths"]["/alpha"]["get"].is_object());
    assert!(document["paths"]["/beta"]["get"].is_object());
    assert!(document["paths"]["/things"]["get"].is_object());
    assert!(document["paths"]["/things"]["post"].is_object());

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

#[tokio::test]
async fn single_rest_adapter_serves_openapi() {
    let ports = [
        (ALPHA_REST, 0),
        (BETA_REST, 0),
        (ALPHA_MCP, 0),
        (BETA_MCP, 0),
    ];
    let server = serve::start(ALPHA_AND_BETA, &options(&ports), no_env)
        .await
        .expect("server starts");
    let url = format!("{}/openapi.json", listener_url(&server, BETA_REST));
    let (status, document) = get_json(&loopback_http(), reqwest::Method::GET, &url).await;
    assert_eq!(status, 200);
    assert_eq!(document["info"]["title"], "beta");
    assert!(document["paths"].get("/alpha").is_none());
    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

#[tokio::test]
async fn mcp_union_qualifies_clashing_tools() {
    let rest_port = free_port().await;
    let port = free_port().await;
    let ports = [
        (ALPHA_REST, rest_port),
        (BETA_REST, rest_port),
        (ALPHA_MCP, port),
        (BETA_MCP, port),
    ];
    let server = serve::start(ALPHA_AND_BETA, &options(&ports), no_env)
        .await
        .expect("server starts");

    let union = connect_mcp(&format!("http://127.0.0.1:{port}/mcp")).await;
    let names = tool_names(&union).await;
    assert_eq!(
        names,
        ["alpha-mcp.ping", "alpha-only", "beta-mcp.ping", "beta-only"]
    );
    assert!(call_text(&union, "alpha-mcp.ping").await.contains("alpha"));
    assert!(call_text(&union, "beta-mcp.ping").await.contains("beta"));
    assert!(call_text(&union, "beta-only").await.contains("beta"));
    let unknown = union.call_tool(CallToolRequestParams::new("ping")).await;
    assert!(unknown.is_err(), "an unqualified clashing name is unknown");
    union.cancel().await.expect("client closes");

    let alpha = connect_mcp(&format!("http://127.0.0.1:{port}/mcp/{ALPHA_MCP}")).await;
    assert_eq!(tool_names(&alpha).await, ["ping", "alpha-only"]);
    assert!(call_text(&alpha, "ping").await.contains("alpha"));
    alpha.cancel().await.expect("client closes");

    let beta = connect_mcp(&format!("http://127.0.0.1:{port}/mcp/{BETA_MCP}")).await;
    assert_eq!(tool_names(&beta).await, ["ping", "beta-only"]);
    assert!(call_text(&beta, "ping").await.contains("beta"));
    beta.cancel().await.expect("client closes");

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

async fn start_error(
    capabilities: &'static [&'static Capability],
    ports: &[(&str, u16)],
) -> String {
    match serve::start(capabilities, &options(ports), no_env).await {
        Ok(_) => panic!("start-up should fail"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn duplicate_route_is_rejected() {
    let port = free_port().await;
    let message = start_error(
        ALPHA_AND_GAMMA,
        &[(ALPHA_REST, port), ("gamma-rest", port), (ALPHA_MCP, 0)],
    )
    .await;
    assert!(message.contains("GET /alpha"), "{message}");
    assert!(
        message.contains("`alpha-rest` (specs/alpha.yaml)"),
        "{message}"
    );
    assert!(
        message.contains("`gamma-rest` (specs/gamma.yaml)"),
        "{message}"
    );
}

#[tokio::test]
async fn rest_and_mcp_on_one_port_is_rejected() {
    let port = free_port().await;
    let message = start_error(
        ALPHA_AND_BETA,
        &[
            (ALPHA_REST, port),
            (BETA_REST, 0),
            (ALPHA_MCP, port),
            (BETA_MCP, 0),
        ],
    )
    .await;
    assert!(
        message.contains("rest adapter `alpha-rest` (specs/alpha.yaml)"),
        "{message}"
    );
    assert!(
        message.contains("mcp adapter `alpha-mcp` (specs/alpha.yaml)"),
        "{message}"
    );
}
