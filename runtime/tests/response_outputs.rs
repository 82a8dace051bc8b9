//! Response tests: upstream bodies in every raw format, converted and shaped by the
//! outputs of REST operations and MCP tools, served in front of a fake upstream on a
//! loopback port. Mock operations and tools run with no upstream at all.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use naftiko_runtime::descriptor::{
    Argument, BindSource, BindVariable, Call, Capability, ConsumedApi, HttpMethod, Input, JsonType,
    McpAdapter, McpTool, Output, OutputShape, ParamLocation, PathPart, PathStep, Property,
    RawFormat, RestAdapter, RestOperation, TemplatePart, ToolHints, UpstreamOperation,
    UpstreamParam,
};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::{mcp, rest, upstream};
use naftiko_test_support::mcp::{self as mcp_client_calls, McpClient, serve_mcp};
use naftiko_test_support::{FakeUpstream, Reply, loopback_http, serve};
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

const NAMESPACE: &str = "catalog";

/// The value the capability's one bind variable resolves to.
const REGION: &str = "eu-west";

static CAPABILITY: Capability = Capability {
    name: "catalog",
    spec_file: "specs/catalog.yaml",
    description: None,
    binds: &[BindVariable {
        namespace: "env",
        key: "REGION",
        source: BindSource::Env("CATALOG_REGION"),
        used_by: &["capability.exposes[0].operations[0].outputParameters[3].value"],
    }],
    consumes: &[&CATALOG],
    rest: &[&REST_ADAPTER],
    mcp: &[&MCP_ADAPTER],
    control: &[],
    skill: &[],
};

/// Every test overrides this base URI with its fake upstream's, so nothing is sent here.
static CATALOG: ConsumedApi = ConsumedApi {
    namespace: NAMESPACE,
    base_uri: "http://127.0.0.1:9",
    base_uri_from: None,
    auth: None,
};

const fn operation(
    name: &'static str,
    format: RawFormat,
    scope: Option<&'static str>,
) -> UpstreamOperation {
    UpstreamOperation {
        api: &CATALOG,
        resource: "items",
        name,
        description: None,
        method: HttpMethod::Get,
        path: &[PathPart::Literal("/items")],
        params: &[],
        body: None,
        output_format: format,
        output_scope: scope,
    }
}

/// `GET /orgs/{org}/users`, which returns XML.
static USERS_XML: UpstreamOperation = UpstreamOperation {
    api: &CATALOG,
    resource: "users",
    name: "list-xml",
    description: None,
    method: HttpMethod::Get,
    path: &[
        PathPart::Literal("/orgs/"),
        PathPart::Param(0),
        PathPart::Literal("/users"),
    ],
    params: &[UpstreamParam {
        name: "org",
        location: ParamLocation::Path,
        value: None,
    }],
    body: None,
    output_format: RawFormat::Xml,
    output_scope: None,
};
static CONFIG_YAML: UpstreamOperation = operation("config-yaml", RawFormat::Yaml, None);
static PRODUCTS_CSV: UpstreamOperation = operation("products-csv", RawFormat::Csv, None);
static CITIES_TSV: UpstreamOperation = operation("cities-tsv", RawFormat::Tsv, None);
static TICKETS_PSV: UpstreamOperation = operation("tickets-psv", RawFormat::Psv, None);
static PRICES_HTML: UpstreamOperation =
    operation("prices-html", RawFormat::Html, Some("table.products"));
static REPORT_MARKDOWN: UpstreamOperation = operation("report-markdown", RawFormat::Markdown, None);
static ORDER_JSON: UpstreamOperation = operation("order-json", RawFormat::Json, None);

const ORG_INPUT: Input = Input {
    name: "org",
    location: ParamLocation::Path,
    json_type: JsonType::String,
    required: true,
    description: None,
};

const fn field(name: &'static str) -> PathStep {
    PathStep::Field(name)
}

const fn value(path: &'static [PathStep], json_type: Option<JsonType>) -> OutputShape {
    OutputShape::Value { path, json_type }
}

const fn property(name: &'static str, shape: OutputShape) -> Property {
    Property { name, shape }
}

/// `{"@total": "2", "user": [{"@id": "1", "name": ..., ...}, ...]}` (the `<users>`
/// root element's content) as an object with a typed scalar, an array of objects, a
/// constant and a template.
static USERS_OUTPUT: OutputShape = OutputShape::Object {
    path: &[],
    properties: &[
        property("total", value(&[field("@total")], Some(JsonType::Integer))),
        property(
            "people",
            OutputShape::Array {
                path: &[field("user")],
                items: &OutputShape::Object {
                    path: &[],
                    properties: &[
                        property("id", value(&[field("@id")], Some(JsonType::Integer))),
                        property("name", value(&[field("name")], None)),
                        property("age", value(&[field("age")], Some(JsonType::Integer))),
                        property("active", value(&[field("active")], Some(JsonType::Boolean))),
                    ],
                },
            },
        ),
        property("source", OutputShape::Constant(r#""xml""#)),
        property(
            "link",
            OutputShape::Template(&[
                TemplatePart::Literal("/orgs/"),
                TemplatePart::Input(0),
                TemplatePart::Literal("/users?region="),
                TemplatePart::Bind(0),
            ]),
        ),
    ],
};

const CONFIG_OUTPUT: Output = Output::Named(&[
    property("name", value(&[field("service"), field("name")], None)),
    property(
        "replicas",
        value(
            &[field("service"), field("replicas")],
            Some(JsonType::String),
        ),
    ),
    property(
        "paths",
        OutputShape::Array {
            path: &[field("service"), field("endpoints")],
            items: &value(&[field("path")], None),
        },
    ),
    property(
        "all_methods",
        value(&[PathStep::Descendant("methods")], None),
    ),
    property(
        "last_path",
        value(
            &[
                field("service"),
                field("endpoints"),
                PathStep::Index(-1),
                field("path"),
            ],
            None,
        ),
    ),
    property("notes", value(&[field("service"), field("notes")], None)),
]);

static PRODUCTS_OUTPUT: OutputShape = OutputShape::Array {
    path: &[],
    items: &OutputShape::Object {
        path: &[],
        properties: &[
            property("sku", value(&[field("sku")], None)),
            property("name", value(&[field("name")], None)),
            property("price", value(&[field("price")], Some(JsonType::Number))),
        ],
    },
};

static CITIES_OUTPUT: OutputShape = value(&[PathStep::Wildcard, field("city")], None);

const TICKETS_OUTPUT: Output = Output::Named(&[
    property(
        "id",
        value(&[PathStep::Index(0), field("id")], Some(JsonType::Integer)),
    ),
    property(
        "status",
        value(&[PathStep::Index(0), field("status")], None),
    ),
]);

static PRICES_OUTPUT: OutputShape = OutputShape::Array {
    path: &[field("tables"), PathStep::Index(0)],
    items: &OutputShape::Object {
        path: &[],
        properties: &[
            property("name", value(&[field("Name")], None)),
            property(
                "price",
                value(&[field("Unit price")], Some(JsonType::Number)),
            ),
        ],
    },
};

/// A nested object: the order, its customer with an address, and its lines.
static ORDER_OUTPUT: OutputShape = OutputShape::Object {
    path: &[field("order")],
    properties: &[
        property("id", value(&[field("id")], None)),
        property(
            "customer",
            OutputShape::Object {
                path: &[field("customer")],
                properties: &[
                    property("name", value(&[field("name")], None)),
                    property("city", value(&[field("address"), field("city")], None)),
                ],
            },
        ),
        property(
            "lines",
            OutputShape::Array {
                path: &[field("lines")],
                items: &OutputShape::Object {
                    path: &[],
                    properties: &[
                        property("sku", value(&[field("sku")], None)),
                        property("quantity", value(&[field("qty")], Some(JsonType::Integer))),
                    ],
                },
            },
        ),
    ],
};

const MOCK_OUTPUT: Output = Output::Named(&[
    property("status", OutputShape::Constant(r#""ok""#)),
    property(
        "limits",
        OutputShape::Constant(r#"{"max": 10, "tiers": ["a", "b"]}"#),
    ),
    property(
        "greeting",
        OutputShape::Template(&[
            TemplatePart::Literal("hello "),
            TemplatePart::Input(0),
            TemplatePart::Literal(" from "),
            TemplatePart::Bind(0),
        ]),
    ),
    property("missing", value(&[field("anything")], None)),
    property(
        "list",
        OutputShape::Array {
            path: &[field("items")],
            items: &value(&[], None),
        },
    ),
]);

const fn call(operation: &'static UpstreamOperation) -> Option<Call> {
    Some(Call {
        operation,
        arguments: &[],
    })
}

const fn get(route: &'static str, call: Option<Call>, output: Output) -> RestOperation {
    RestOperation {
        steps: None,
        route,
        method: HttpMethod::Get,
        name: route,
        description: None,
        inputs: &[],
        call,
        output,
    }
}

static REST_ADAPTER: RestAdapter = RestAdapter {
    forwards: &[],
    openapi: "{}",
    auth: None,
    namespace: "catalog-rest",
    address: None,
    port: 8080,
    description: None,
    operations: &[
        RestOperation {
            steps: None,
            route: "/orgs/{org}/users",
            method: HttpMethod::Get,
            name: "list-users",
            description: None,
            inputs: &[ORG_INPUT],
            call: Some(Call {
                operation: &USERS_XML,
                arguments: &[Argument::Input(0)],
            }),
            output: Output::Shape(&USERS_OUTPUT),
        },
        get("/config", call(&CONFIG_YAML), CONFIG_OUTPUT),
        get(
            "/products",
            call(&PRODUCTS_CSV),
            Output::Shape(&PRODUCTS_OUTPUT),
        ),
        get("/cities", call(&CITIES_TSV), Output::Shape(&CITIES_OUTPUT)),
        get("/tickets", call(&TICKETS_PSV), TICKETS_OUTPUT),
        get("/prices", call(&PRICES_HTML), Output::Shape(&PRICES_OUTPUT)),
        get("/report", call(&REPORT_MARKDOWN), Output::Body),
        get(
            "/orders/latest",
            call(&ORDER_JSON),
            Output::Shape(&ORDER_OUTPUT),
        ),
        RestOperation {
            steps: None,
            route: "/mock/{org}",
            method: HttpMethod::Get,
            name: "mock",
            description: None,
            inputs: &[ORG_INPUT],
            call: None,
            output: MOCK_OUTPUT,
        },
    ],
};

const fn tool(name: &'static str, call: Option<Call>, output: Output) -> McpTool {
    McpTool {
        steps: None,
        name,
        title: None,
        description: None,
        hints: ToolHints {
            read_only: Some(true),
            destructive: None,
            idempotent: None,
            open_world: None,
        },
        inputs: &[],
        call,
        output,
        output_schema: None,
    }
}

static MCP_ADAPTER: McpAdapter = McpAdapter {
    auth: None,
    namespace: "catalog-mcp",
    address: None,
    port: 9090,
    description: None,
    tools: &[
        McpTool {
            steps: None,
            name: "list-users",
            title: None,
            description: None,
            hints: ToolHints {
                read_only: Some(true),
                destructive: None,
                idempotent: None,
                open_world: None,
            },
            inputs: &[ORG_INPUT],
            call: Some(Call {
                operation: &USERS_XML,
                arguments: &[Argument::Input(0)],
            }),
            output: Output::Shape(&USERS_OUTPUT),
            output_schema: None,
        },
        tool("get-config", call(&CONFIG_YAML), CONFIG_OUTPUT),
        tool(
            "list-products",
            call(&PRODUCTS_CSV),
            Output::Shape(&PRODUCTS_OUTPUT),
        ),
        tool(
            "list-cities",
            call(&CITIES_TSV),
            Output::Shape(&CITIES_OUTPUT),
        ),
        tool("get-report", call(&REPORT_MARKDOWN), Output::Body),
        McpTool {
            steps: None,
            name: "mock",
            title: None,
            description: None,
            hints: ToolHints {
                read_only: None,
                destructive: None,
                idempotent: None,
                open_world: None,
            },
            inputs: &[ORG_INPUT],
            call: None,
            output: MOCK_OUTPUT,
            output_schema: None,
        },
    ],
    resources: &[],
    prompts: &[],
    stdio: false,
};

const USERS_XML_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<users total="2">
  <!-- two users -->
  <user id="1"><name>Ann &amp; Co</name><age>31</age><active>true</active></user>
  <user id="2"><name>Bob</name><age> 40 </age><active>false</active></user>
</users>
"#;

const CONFIG_YAML_BODY: &str = "# service configuration
service:
  name: billing
  replicas: 3
  endpoints:
    - path: /invoices
      methods: [GET, POST]
    - path: /health
      methods:
        - GET
  notes: |
    Handles invoices.
    Owned by finance.
";

const PRODUCTS_CSV_BODY: &str =
    "sku,name,price\r\nA1,\"Tea, green\",3.50\r\nB2,\"Cake \"\"deluxe\"\"\",4\r\n";

const PRICES_HTML_BODY: &str = r#"<html><body>
<table class="nav"><tr><td>Home</td></tr></table>
<table class="products">
  <thead><tr><th>Name</th><th>Unit price</th></tr></thead>
  <tbody>
    <tr><td><b>Tea</b></td><td>3.50</td></tr>
    <tr><td>Cake &amp; cream</td><td>4</td></tr>
  </tbody>
</table>
</body></html>"#;

const REPORT_MARKDOWN_BODY: &str = "# Weekly report

| Team | Open | Notes |
|:-----|-----:|-------|
| Core | 3 | on \\| off |
| Web  | 5 | |
";

const ORDER_JSON_BODY: &str = r#"{"order": {"id": "o-9", "customer": {"name": "Ann",
  "address": {"city": "Oslo", "zip": "0150"}}, "lines": [{"sku": "A1", "qty": "2"},
  {"sku": "B2", "qty": 1}], "internal": true}}"#;

fn context_for(base_uri: &str) -> Arc<CapabilityContext> {
    let binds = BindValues::from_values(vec![Secret::new(REGION)]);
    let timeout = Duration::from_secs(5);
    let http = upstream::http_client(timeout, timeout).expect("builds the upstream HTTP client");
    let base_uris = BTreeMap::from([(NAMESPACE.to_owned(), base_uri.to_owned())]);
    Arc::new(CapabilityContext::new(&CAPABILITY, binds, http, &base_uris))
}

/// A REST response: status, content type and body text.
struct Answer {
    status: u16,
    content_type: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body {:?} is not JSON: {error}", self.body))
    }
}

/// Serves the REST adapter in front of an upstream that sends `upstream_reply`, and
/// sends `GET path` to it.
async fn rest_get(upstream_reply: Reply, path: &str) -> (Answer, FakeUpstream) {
    let upstream = FakeUpstream::start_ok().await;
    upstream.reply_with(upstream_reply);
    let server = serve(rest::router(&REST_ADAPTER, context_for(&upstream.base_uri))).await;
    let response = loopback_http()
        .get(format!("{server}{path}"))
        .send()
        .await
        .expect("the REST adapter responds");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.expect("reads the body");
    (
        Answer {
            status,
            content_type,
            body,
        },
        upstream,
    )
}

fn users_expected() -> Value {
    json!({
        "total": 2,
        "people": [
            {"id": 1, "name": "Ann & Co", "age": 31, "active": true},
            {"id": 2, "name": "Bob", "age": 40, "active": false},
        ],
        "source": "xml",
        "link": "/orgs/acme/users?region=eu-west",
    })
}

fn config_expected() -> Value {
    json!({
        "name": "billing",
        "replicas": "3",
        "paths": ["/invoices", "/health"],
        "all_methods": [["GET", "POST"], ["GET"]],
        "last_path": "/health",
        "notes": "Handles invoices.\nOwned by finance.\n",
    })
}

fn products_expected() -> Value {
    json!([
        {"sku": "A1", "name": "Tea, green", "price": 3.5},
        {"sku": "B2", "name": "Cake \"deluxe\"", "price": 4},
    ])
}

#[tokio::test]
async fn rest_xml_object_with_array() {
    let (answer, upstream) = rest_get(
        Reply::new(200, "application/xml", USERS_XML_BODY),
        "/orgs/acme/users",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.json(), users_expected());
    assert_eq!(upstream.only_request().path, "/orgs/acme/users");
}

#[tokio::test]
async fn rest_yaml_named_outputs() {
    let (answer, _upstream) = rest_get(
        Reply::new(200, "application/yaml", CONFIG_YAML_BODY),
        "/config",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), config_expected());
}

#[tokio::test]
async fn rest_csv_array_with_items() {
    let (answer, _upstream) =
        rest_get(Reply::new(200, "text/csv", PRODUCTS_CSV_BODY), "/products").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), products_expected());
}

#[tokio::test]
async fn rest_tsv_wildcard_scalar() {
    let body = "id\tcity\n1\tOslo\n2\tRome\n";
    let (answer, _upstream) = rest_get(
        Reply::new(200, "text/tab-separated-values", body),
        "/cities",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), json!(["Oslo", "Rome"]));
}

#[tokio::test]
async fn rest_psv_typed_scalars() {
    let body = "id|status\n7|open\n8|closed\n";
    let (answer, _upstream) = rest_get(Reply::new(200, "text/plain", body), "/tickets").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), json!({"id": 7, "status": "open"}));
}

#[tokio::test]
async fn rest_html_scoped_table() {
    let (answer, _upstream) =
        rest_get(Reply::new(200, "text/html", PRICES_HTML_BODY), "/prices").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let expected = json!([
        {"name": "Tea", "price": 3.5},
        {"name": "Cake & cream", "price": 4},
    ]);
    assert_eq!(answer.json(), expected);
}

#[tokio::test]
async fn rest_markdown_whole_body() {
    let (answer, _upstream) = rest_get(
        Reply::new(200, "text/markdown", REPORT_MARKDOWN_BODY),
        "/report",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let expected = json!({"tables": [[
        {"Team": "Core", "Open": "3", "Notes": "on | off"},
        {"Team": "Web", "Open": "5", "Notes": ""},
    ]]});
    assert_eq!(answer.json(), expected);
}

#[tokio::test]
async fn rest_json_nested_object() {
    let (answer, _upstream) = rest_get(
        Reply::new(200, "application/json", ORDER_JSON_BODY),
        "/orders/latest",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let expected = json!({
        "id": "o-9",
        "customer": {"name": "Ann", "city": "Oslo"},
        "lines": [{"sku": "A1", "quantity": 2}, {"sku": "B2", "quantity": 1}],
    });
    assert_eq!(answer.json(), expected);
}

#[tokio::test]
async fn rest_mock_needs_no_upstream() {
    let server = serve(rest::router(
        &REST_ADAPTER,
        context_for(&naftiko_test_support::dead_base_uri().await),
    ))
    .await;
    let response = loopback_http()
        .get(format!("{server}/mock/acme"))
        .send()
        .await
        .expect("the REST adapter responds");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("a JSON body");
    let expected = json!({
        "status": "ok",
        "limits": {"max": 10, "tiers": ["a", "b"]},
        "greeting": "hello acme from eu-west",
        "missing": null,
        "list": [],
    });
    assert_eq!(body, expected);
}

#[tokio::test]
async fn rest_malformed_body_is_502() {
    let cases = [
        (
            "/orgs/acme/users",
            Reply::new(200, "application/xml", "<users><user></users>"),
            "catalog.users.list-xml",
            "invalid xml body at line 1",
        ),
        (
            "/config",
            Reply::new(200, "application/yaml", "service: &a\n  name: x\n"),
            "catalog.items.config-yaml",
            "anchors",
        ),
        (
            "/products",
            Reply::new(200, "text/csv", "sku,name,price\nA1,Tea\n"),
            "catalog.items.products-csv",
            "invalid csv body at line 2",
        ),
        (
            "/products",
            Reply::new(200, "text/csv", "sku,name,price\nA1,Tea,cheap\n"),
            "catalog.items.products-csv",
            "invalid output `result[].price` at `$.price`: expected number",
        ),
        (
            "/report",
            Reply::new(200, "text/markdown", b"| a |\n|---|\n| \xff |\n"),
            "catalog.items.report-markdown",
            "invalid markdown body at line 3: the body is not valid UTF-8",
        ),
    ];
    for (path, upstream_reply, operation, reason) in cases {
        let (answer, _upstream) = rest_get(upstream_reply, path).await;
        assert_eq!(answer.status, 502, "{path}: {}", answer.body);
        let body = answer.json();
        assert_eq!(body["error"]["code"], "invalid_upstream_response", "{path}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(operation), "{path}: {message}");
        assert!(message.contains(reason), "{path}: {message}");
    }
}

#[tokio::test]
async fn rest_error_status_passes_through() {
    let (answer, _upstream) = rest_get(
        Reply::new(404, "text/html", "<h1>no such org</h1>"),
        "/orgs/acme/users",
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.content_type.as_deref(), Some("text/html"));
    assert_eq!(answer.body, "<h1>no such org</h1>");
}

#[tokio::test]
async fn rest_empty_body_keeps_status() {
    let empty = Reply::empty(204);
    let (answer, _upstream) = rest_get(empty.clone(), "/report").await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.body, "");

    // A 204 has no body even when the output is shaped.
    let (answer, _upstream) = rest_get(empty.clone(), "/tickets").await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.body, "");

    // A shaped output of another empty 2xx body is built as in mock mode.
    let empty_ok = Reply {
        status: 200,
        ..empty
    };
    let (answer, _upstream) = rest_get(empty_ok, "/tickets").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({"id": null, "status": null}));
}

/// Serves the MCP adapter in front of `base_uri` and connects rmcp's client to it.
async fn mcp_client(base_uri: &str) -> McpClient {
    serve_mcp(mcp::router(&MCP_ADAPTER, context_for(base_uri))).await
}

/// Calls `tool` in front of an upstream that sends `upstream_reply`.
async fn mcp_call(upstream_reply: Reply, tool: &'static str, arguments: Value) -> CallToolResult {
    let upstream = FakeUpstream::start_ok().await;
    upstream.reply_with(upstream_reply);
    let client = mcp_client(&upstream.base_uri).await;
    mcp_client_calls::call(&client, tool, arguments).await
}

fn text_of(result: &CallToolResult) -> &str {
    assert_eq!(result.content.len(), 1, "expected one content block");
    &result.content[0]
        .as_text()
        .expect("the content block is text")
        .text
}

fn is_error(result: &CallToolResult) -> bool {
    result.is_error.unwrap_or(false)
}

#[tokio::test]
async fn mcp_xml_object_is_structured() {
    let result = mcp_call(
        Reply::new(200, "application/xml", USERS_XML_BODY),
        "list-users",
        json!({"org": "acme"}),
    )
    .await;
    assert!(!is_error(&result), "{}", text_of(&result));
    let text: Value = serde_json::from_str(text_of(&result)).expect("the text is JSON");
    assert_eq!(text, users_expected());
    assert_eq!(result.structured_content, Some(users_expected()));
}

#[tokio::test]
async fn mcp_yaml_named_outputs() {
    let result = mcp_call(
        Reply::new(200, "application/yaml", CONFIG_YAML_BODY),
        "get-config",
        json!({}),
    )
    .await;
    assert!(!is_error(&result), "{}", text_of(&result));
    assert_eq!(result.structured_content, Some(config_expected()));
}

#[tokio::test]
async fn mcp_array_result_is_text_only() {
    let result = mcp_call(
        Reply::new(200, "text/csv", PRODUCTS_CSV_BODY),
        "list-products",
        json!({}),
    )
    .await;
    assert!(!is_error(&result), "{}", text_of(&result));
    let text: Value = serde_json::from_str(text_of(&result)).expect("the text is JSON");
    assert_eq!(text, products_expected());
    assert_eq!(result.structured_content, None);

    let result = mcp_call(
        Reply::new(200, "text/tab-separated-values", "city\nOslo\n"),
        "list-cities",
        json!({}),
    )
    .await;
    assert_eq!(text_of(&result), r#""Oslo""#);
}

#[tokio::test]
async fn mcp_markdown_body_is_converted() {
    let result = mcp_call(
        Reply::new(200, "text/markdown", REPORT_MARKDOWN_BODY),
        "get-report",
        json!({}),
    )
    .await;
    assert!(!is_error(&result), "{}", text_of(&result));
    let tables = &result.structured_content.as_ref().expect("an object")["tables"];
    assert_eq!(tables[0][0]["Notes"], "on | off");
}

#[tokio::test]
async fn mcp_malformed_body_is_error() {
    let result = mcp_call(
        Reply::new(200, "application/xml", "<users>"),
        "list-users",
        json!({"org": "acme"}),
    )
    .await;
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(text.contains("catalog.users.list-xml"), "{text}");
    assert!(text.contains("invalid xml body"), "{text}");

    let result = mcp_call(
        Reply::new(200, "text/csv", "sku,name,price\nA1,Tea,cheap\n"),
        "list-products",
        json!({}),
    )
    .await;
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(text.contains("does not fit the tool's output"), "{text}");
    assert!(text.contains("`result[].price` at `$.price`"), "{text}");
}

#[tokio::test]
async fn mcp_mock_needs_no_upstream() {
    let client = mcp_client(&naftiko_test_support::dead_base_uri().await).await;
    let result = mcp_client_calls::call(&client, "mock", json!({"org": "acme"})).await;
    assert!(!is_error(&result), "{}", text_of(&result));
    let expected = json!({
        "status": "ok",
        "limits": {"max": 10, "tiers": ["a", "b"]},
        "greeting": "hello acme from eu-west",
        "missing": null,
        "list": [],
    });
    assert_eq!(result.structured_content, Some(expected));
}
