//! Orchestration tests: REST operations and MCP tools whose steps call a fake upstream on
//! a loopback port, feed step outputs into later calls and lookups, and map the steps
//! document into the result.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use naftiko_runtime::descriptor::{
    Argument, Call, Capability, ConsumedApi, HttpMethod, Input, JsonType, McpAdapter, McpTool,
    Orchestration, Output, OutputShape, ParamLocation, PathPart, PathStep, Property, RawFormat,
    RestAdapter, RestOperation, Step, StepKind, TemplatePart, ToolHints, UpstreamOperation,
    UpstreamParam,
};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::BindValues;
use naftiko_runtime::{mcp, rest, upstream};
use naftiko_test_support::mcp::{serve_mcp, text_of, try_call};
use naftiko_test_support::{Reply, loopback_http, serve};
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

const NAMESPACE: &str = "registry";

/// How long each request to `/slow/...` waits for the other one before it fails.
const SLOW_WAIT: Duration = Duration::from_secs(2);

static CAPABILITY: Capability = Capability {
    name: "shipyard",
    spec_file: "specs/shipyard.yaml",
    description: None,
    binds: &[],
    consumes: &[&REGISTRY],
    rest: &[&REST_ADAPTER],
    mcp: &[&MCP_ADAPTER],
    control: &[],
    skill: &[],
};

/// Every test overrides this base URI with its fake upstream's, so nothing is sent here.
static REGISTRY: ConsumedApi = ConsumedApi {
    namespace: NAMESPACE,
    base_uri: "http://127.0.0.1:9",
    base_uri_from: None,
    auth: None,
};

const fn get(
    name: &'static str,
    path: &'static [PathPart],
    params: &'static [UpstreamParam],
    output_format: RawFormat,
) -> UpstreamOperation {
    UpstreamOperation {
        api: &REGISTRY,
        resource: "registry",
        name,
        description: None,
        method: HttpMethod::Get,
        path,
        params,
        body: None,
        output_format,
        output_scope: None,
    }
}

const fn param(name: &'static str, location: ParamLocation) -> UpstreamParam {
    UpstreamParam {
        name,
        location,
        value: None,
    }
}

/// `GET /ships/{imo_number}`.
static GET_SHIP: UpstreamOperation = get(
    "get-ship",
    &[PathPart::Literal("/ships/"), PathPart::Param(0)],
    &[param("imo_number", ParamLocation::Path)],
    RawFormat::Json,
);

/// `GET /crew.csv`: the crew as CSV, so every field is a string.
static LIST_CREW: UpstreamOperation = get(
    "list-crew",
    &[PathPart::Literal("/crew.csv")],
    &[],
    RawFormat::Csv,
);

/// `GET /ports/{code}`.
static GET_PORT: UpstreamOperation = get(
    "get-port",
    &[PathPart::Literal("/ports/"), PathPart::Param(0)],
    &[param("code", ParamLocation::Path)],
    RawFormat::Json,
);

/// `GET /assignments?crewId=...`, with one `crewId` per crew member.
static COUNT_ASSIGNMENTS: UpstreamOperation = get(
    "count-assignments",
    &[PathPart::Literal("/assignments")],
    &[param("crewId", ParamLocation::Query)],
    RawFormat::Json,
);

/// `GET /slow/a` and `GET /slow/b`: each waits until the other has arrived too.
static SLOW_A: UpstreamOperation = get(
    "slow-a",
    &[PathPart::Literal("/slow/a")],
    &[],
    RawFormat::Json,
);
static SLOW_B: UpstreamOperation = get(
    "slow-b",
    &[PathPart::Literal("/slow/b")],
    &[],
    RawFormat::Json,
);

/// `GET /voyages/{voyageId}`.
static GET_VOYAGE: UpstreamOperation = get(
    "get-voyage",
    &[PathPart::Literal("/voyages/"), PathPart::Param(0)],
    &[param("voyageId", ParamLocation::Path)],
    RawFormat::Json,
);

/// `GET /ships`: a JSON array of ships.
static LIST_SHIPS: UpstreamOperation = get(
    "list-ships",
    &[PathPart::Literal("/ships")],
    &[],
    RawFormat::Json,
);

/// `GET /cargo`: a JSON array of cargo items.
static LIST_CARGO: UpstreamOperation = get(
    "list-cargo",
    &[PathPart::Literal("/cargo")],
    &[],
    RawFormat::Json,
);

const fn field(name: &'static str) -> PathStep {
    PathStep::Field(name)
}

const fn value(path: &'static [PathStep]) -> OutputShape {
    OutputShape::Value {
        path,
        json_type: None,
    }
}

const fn property(name: &'static str, shape: OutputShape) -> Property {
    Property { name, shape }
}

const IMO_INPUT: Input = Input {
    name: "imo",
    location: ParamLocation::Path,
    json_type: JsonType::String,
    required: true,
    description: None,
};

const fn lookup(
    name: &'static str,
    value: &'static [PathStep],
    fields: &'static [&'static str],
) -> Step {
    Step {
        name,
        kind: StepKind::Lookup {
            index: 1,
            key: "crewId",
            value,
            fields,
        },
        after: &[0, 1],
    }
}

/// The ship, its crew list, its home port (read with the ship's `homePort`), three
/// lookups in the crew list and a call whose query repeats every crew id.
static SHIP_WITH_CREW: Orchestration = Orchestration {
    steps: &[
        Step {
            name: "get-ship",
            kind: StepKind::Call {
                call: Call {
                    operation: &GET_SHIP,
                    arguments: &[Argument::Input(0)],
                },
                output: Output::Body,
            },
            after: &[],
        },
        Step {
            name: "list-crew",
            kind: StepKind::Call {
                call: Call {
                    operation: &LIST_CREW,
                    arguments: &[],
                },
                output: Output::Body,
            },
            after: &[],
        },
        Step {
            name: "get-port",
            kind: StepKind::Call {
                call: Call {
                    operation: &GET_PORT,
                    arguments: &[Argument::Step(&[field("get-ship"), field("homePort")])],
                },
                output: Output::Named(&[
                    property("name", value(&[field("portName")])),
                    property("country", value(&[field("country")])),
                ]),
            },
            after: &[0],
        },
        lookup(
            "resolve-crew",
            &[field("get-ship"), field("assignedCrew")],
            &["fullName", "role"],
        ),
        lookup("captain", &[field("get-ship"), field("captainId")], &[]),
        lookup("pilot", &[field("get-ship"), field("pilotId")], &[]),
        Step {
            name: "assignments",
            kind: StepKind::Call {
                call: Call {
                    operation: &COUNT_ASSIGNMENTS,
                    arguments: &[Argument::Step(&[
                        field("list-crew"),
                        PathStep::Wildcard,
                        field("crewId"),
                    ])],
                },
                output: Output::Shape(&OutputShape::Value {
                    path: &[field("count")],
                    json_type: Some(JsonType::Integer),
                }),
            },
            after: &[1],
        },
    ],
    mappings: &[
        property("imo", value(&[field("get-ship"), field("imo_number")])),
        property(
            "vessel",
            OutputShape::Object {
                path: &[],
                properties: &[
                    property("name", value(&[field("get-ship"), field("vessel_name")])),
                    property(
                        "port",
                        OutputShape::Object {
                            path: &[field("get-port")],
                            properties: &[
                                property("name", value(&[field("name")])),
                                property("country", value(&[field("country")])),
                            ],
                        },
                    ),
                ],
            },
        ),
        property("crew", value(&[field("resolve-crew")])),
        property(
            "crewNames",
            OutputShape::Array {
                path: &[field("resolve-crew")],
                items: &value(&[field("fullName")]),
            },
        ),
        property("captain", value(&[field("captain"), field("fullName")])),
        property("pilot", value(&[field("pilot")])),
        property("assignments", value(&[field("assignments")])),
        property("source", OutputShape::Constant(r#""registry""#)),
        property(
            "link",
            OutputShape::Template(&[TemplatePart::Literal("/ships/"), TemplatePart::Input(0)]),
        ),
    ],
};

const VOYAGE_INPUT: Input = Input {
    name: "voyageId",
    location: ParamLocation::Path,
    json_type: JsonType::String,
    required: true,
    description: None,
};

/// Builds a call step without arguments whose output is the response body.
const fn list(name: &'static str, operation: &'static UpstreamOperation) -> Step {
    Step {
        name,
        kind: StepKind::Call {
            call: Call {
                operation,
                arguments: &[],
            },
            output: Output::Body,
        },
        after: &[],
    }
}

/// A voyage, the ship found by the `imo-number` that the ship list's projection adds to
/// each ship, and the cargo found by id. The mappings set `route` and `ship` member by
/// member, as the resolver builds dotted targets such as `route.from`.
static MANIFEST: Orchestration = Orchestration {
    steps: &[
        Step {
            name: "get-voyage",
            kind: StepKind::Call {
                call: Call {
                    operation: &GET_VOYAGE,
                    arguments: &[Argument::Input(0)],
                },
                output: Output::Body,
            },
            after: &[],
        },
        Step {
            name: "list-ships",
            kind: StepKind::Call {
                call: Call {
                    operation: &LIST_SHIPS,
                    arguments: &[],
                },
                output: Output::Named(&[property("imo-number", value(&[field("imo_number")]))]),
            },
            after: &[],
        },
        Step {
            name: "resolve-ship",
            kind: StepKind::Lookup {
                index: 1,
                key: "imo-number",
                value: &[field("get-voyage"), field("shipImo")],
                fields: &["vessel_name", "flag_code"],
            },
            after: &[0, 1],
        },
        list("list-cargo", &LIST_CARGO),
        Step {
            name: "resolve-cargo",
            kind: StepKind::Lookup {
                index: 3,
                key: "cargoId",
                value: &[field("get-voyage"), field("cargoIds")],
                fields: &["type", "weight"],
            },
            after: &[0, 3],
        },
    ],
    mappings: &[
        property("voyageId", value(&[field("get-voyage"), field("voyageId")])),
        property(
            "route",
            OutputShape::Object {
                path: &[],
                properties: &[
                    property("from", value(&[field("get-voyage"), field("from")])),
                    property("to", value(&[field("get-voyage"), field("to")])),
                ],
            },
        ),
        property(
            "ship",
            OutputShape::Object {
                path: &[],
                properties: &[
                    property(
                        "name",
                        value(&[field("resolve-ship"), field("vessel_name")]),
                    ),
                    property("flag", value(&[field("resolve-ship"), field("flag_code")])),
                ],
            },
        ),
        property("cargo", value(&[field("resolve-cargo")])),
    ],
};

/// The manifest's outputs as the resolver builds them for an orchestrated operation:
/// each named object reads the member of its name, and the cargo items keep their
/// declared fields.
const MANIFEST_OUTPUT: Output = Output::Named(&[
    property("voyageId", value(&[field("voyageId")])),
    property(
        "route",
        OutputShape::Object {
            path: &[field("route")],
            properties: &[
                property("from", value(&[field("from")])),
                property("to", value(&[field("to")])),
            ],
        },
    ),
    property(
        "ship",
        OutputShape::Object {
            path: &[field("ship")],
            properties: &[
                property("name", value(&[field("name")])),
                property("flag", value(&[field("flag")])),
            ],
        },
    ),
    property(
        "cargo",
        OutputShape::Array {
            path: &[field("cargo")],
            items: &OutputShape::Object {
                path: &[],
                properties: &[
                    property("type", value(&[field("type")])),
                    property(
                        "weight",
                        OutputShape::Value {
                            path: &[field("weight")],
                            json_type: Some(JsonType::Number),
                        },
                    ),
                ],
            },
        },
    ),
]);

/// Two independent calls whose upstream delays each request until both have arrived.
static PARALLEL: Orchestration = Orchestration {
    steps: &[
        Step {
            name: "a",
            kind: StepKind::Call {
                call: Call {
                    operation: &SLOW_A,
                    arguments: &[],
                },
                output: Output::Body,
            },
            after: &[],
        },
        Step {
            name: "b",
            kind: StepKind::Call {
                call: Call {
                    operation: &SLOW_B,
                    arguments: &[],
                },
                output: Output::Body,
            },
            after: &[],
        },
    ],
    mappings: &[
        property("a", value(&[field("a"), field("name")])),
        property("b", value(&[field("b"), field("name")])),
    ],
};

/// Two lookups that each wait for the other.
static CYCLE: Orchestration = Orchestration {
    steps: &[
        Step {
            name: "first",
            kind: StepKind::Lookup {
                index: 1,
                key: "id",
                value: &[field("second")],
                fields: &[],
            },
            after: &[1],
        },
        Step {
            name: "second",
            kind: StepKind::Lookup {
                index: 0,
                key: "id",
                value: &[field("first")],
                fields: &[],
            },
            after: &[0],
        },
    ],
    mappings: &[],
};

const fn orchestrated(
    route: &'static str,
    inputs: &'static [Input],
    steps: &'static Orchestration,
) -> RestOperation {
    RestOperation {
        route,
        method: HttpMethod::Get,
        name: route,
        description: None,
        inputs,
        call: None,
        steps: Some(steps),
        output: Output::Body,
    }
}

static REST_ADAPTER: RestAdapter = RestAdapter {
    namespace: "shipyard-rest",
    address: None,
    port: 8080,
    description: None,
    forwards: &[],
    openapi: "{}",
    auth: None,
    operations: &[
        orchestrated("/ships/{imo}/crew", &[IMO_INPUT], &SHIP_WITH_CREW),
        orchestrated("/parallel", &[], &PARALLEL),
        orchestrated("/cycle", &[], &CYCLE),
        RestOperation {
            output: MANIFEST_OUTPUT,
            ..orchestrated("/voyages/{voyageId}/manifest", &[VOYAGE_INPUT], &MANIFEST)
        },
        RestOperation {
            route: "/stray-step",
            method: HttpMethod::Get,
            name: "stray-step",
            description: None,
            inputs: &[],
            call: Some(Call {
                operation: &GET_PORT,
                arguments: &[Argument::Step(&[field("get-ship")])],
            }),
            steps: None,
            output: Output::Body,
        },
    ],
};

static MCP_ADAPTER: McpAdapter = McpAdapter {
    auth: None,
    namespace: "shipyard-mcp",
    address: None,
    port: 9090,
    description: None,
    tools: &[McpTool {
        name: "get-ship-with-crew",
        title: None,
        description: None,
        hints: ToolHints {
            read_only: Some(true),
            destructive: None,
            idempotent: None,
            open_world: None,
        },
        inputs: &[Input {
            location: ParamLocation::Query,
            ..IMO_INPUT
        }],
        call: None,
        steps: Some(&SHIP_WITH_CREW),
        output: Output::Named(&[
            property("imo", value(&[field("imo")])),
            property("crewNames", value(&[field("crewNames")])),
            property("captain", value(&[field("captain")])),
            property(
                "port",
                value(&[field("vessel"), field("port"), field("name")]),
            ),
        ]),
        output_schema: None,
    }],
    resources: &[],
    prompts: &[],
    stdio: false,
};

/// A loopback HTTP server that records each request's path and query and sends the reply
/// configured for its path, or a JSON `404`. Requests to `/slow/...` wait until two of
/// them have arrived, and fail with `500` after [`SLOW_WAIT`].
struct RoutedUpstream {
    base_uri: String,
    recorded: Arc<Mutex<Vec<SentRequest>>>,
}

/// The path and query of a request the routed upstream received.
type SentRequest = (String, Option<String>);

impl RoutedUpstream {
    async fn start(replies: &[(&str, Reply)]) -> Self {
        use axum::extract::Request;

        let recorded = Arc::new(Mutex::new(Vec::new()));
        let replies: Arc<HashMap<String, Reply>> = Arc::new(
            replies
                .iter()
                .map(|(path, reply)| ((*path).to_owned(), reply.clone()))
                .collect(),
        );
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let handler_recorded = Arc::clone(&recorded);
        let app = axum::Router::new().fallback(move |request: Request| {
            let recorded = Arc::clone(&handler_recorded);
            let replies = Arc::clone(&replies);
            let barrier = Arc::clone(&barrier);
            async move {
                let path = request.uri().path().to_owned();
                let query = request.uri().query().map(str::to_owned);
                recorded
                    .lock()
                    .expect("recorded lock")
                    .push((path.clone(), query));
                let mut reply = replies
                    .get(&path)
                    .cloned()
                    .unwrap_or_else(|| Reply::json(404, r#"{"error":"no such path"}"#));
                if path.starts_with("/slow/")
                    && tokio::time::timeout(SLOW_WAIT, barrier.wait())
                        .await
                        .is_err()
                {
                    reply = Reply::json(500, r#"{"error":"the other request never came"}"#);
                }
                let mut response = axum::response::Response::builder().status(reply.status);
                for (name, value) in reply.headers {
                    response = response.header(name, value);
                }
                response
                    .body(axum::body::Body::from(reply.body))
                    .expect("routed upstream builds its response")
            }
        });
        Self {
            base_uri: serve(app).await,
            recorded,
        }
    }

    /// Returns the query sent with `path`, failing the test unless exactly one request
    /// went to it.
    fn query_of(&self, path: &str) -> Option<String> {
        let recorded = self.recorded.lock().expect("recorded lock");
        let queries: Vec<&Option<String>> = recorded
            .iter()
            .filter(|(sent, _)| sent == path)
            .map(|(_, query)| query)
            .collect();
        assert_eq!(queries.len(), 1, "expected one request to {path}");
        queries[0].clone()
    }

    fn paths(&self) -> Vec<String> {
        let recorded = self.recorded.lock().expect("recorded lock");
        recorded.iter().map(|(path, _)| path.clone()).collect()
    }
}

const SHIP_BODY: &str = r#"{"imo_number": "IMO-1", "vessel_name": "Aurora",
  "homePort": "NO-OSL", "assignedCrew": ["C-1", "nobody", 7], "captainId": 7,
  "pilotId": "P-9"}"#;

const CREW_CSV: &str = "crewId,fullName,role\nC-1,Ann,captain\n7,Bob,cook\n";

fn shipyard_replies() -> Vec<(&'static str, Reply)> {
    let csv = Reply::new(200, "text/csv", CREW_CSV);
    vec![
        ("/ships/IMO-1", Reply::json(200, SHIP_BODY)),
        ("/crew.csv", csv),
        (
            "/ports/NO-OSL",
            Reply::json(
                200,
                r#"{"portName": "Oslo", "country": "NO", "berths": 12}"#,
            ),
        ),
        ("/assignments", Reply::json(200, r#"{"count": "2"}"#)),
    ]
}

/// Returns the registry's voyages, ships and cargo. Voyage `V-2` names a ship the list
/// lacks.
fn manifest_replies() -> Vec<(&'static str, Reply)> {
    vec![
        (
            "/voyages/V-1",
            Reply::json(
                200,
                r#"{"voyageId": "V-1", "shipImo": "IMO-2", "from": "Oslo", "to": "Kiel",
                  "cargoIds": ["K-2", "K-9", "K-1"]}"#,
            ),
        ),
        (
            "/voyages/V-2",
            Reply::json(
                200,
                r#"{"voyageId": "V-2", "shipImo": "IMO-7", "from": "Bergen", "cargoIds": []}"#,
            ),
        ),
        (
            "/ships",
            Reply::json(
                200,
                r#"[{"imo_number": "IMO-1", "vessel_name": "Aurora", "flag_code": "NO"},
                   {"imo_number": "IMO-2", "vessel_name": "Borealis", "flag_code": "DK"}]"#,
            ),
        ),
        (
            "/cargo",
            Reply::json(
                200,
                r#"[{"cargoId": "K-1", "type": "bulk", "weight": "85.5"},
                   {"cargoId": "K-2", "type": "container", "weight": 12}]"#,
            ),
        ),
    ]
}

fn context_for(base_uri: &str) -> Arc<CapabilityContext> {
    let timeout = Duration::from_secs(5);
    let http = upstream::http_client(timeout, timeout).expect("builds the upstream HTTP client");
    let base_uris = BTreeMap::from([(NAMESPACE.to_owned(), base_uri.to_owned())]);
    Arc::new(CapabilityContext::new(
        &CAPABILITY,
        BindValues::from_values(Vec::new()),
        http,
        &base_uris,
    ))
}

/// Sends `GET path` to the REST adapter in front of `upstream`, returning the status and
/// the JSON body.
async fn rest_get(upstream: &RoutedUpstream, path: &str) -> (u16, Value) {
    let server = serve(rest::router(&REST_ADAPTER, context_for(&upstream.base_uri))).await;
    let response = loopback_http()
        .get(format!("{server}{path}"))
        .send()
        .await
        .expect("the REST adapter responds");
    let status = response.status().as_u16();
    let text = response.text().await.expect("reads the body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("body {text:?} is not JSON: {error}"));
    (status, body)
}

async fn mcp_call(upstream: &RoutedUpstream, arguments: Value) -> CallToolResult {
    let client = serve_mcp(mcp::router(&MCP_ADAPTER, context_for(&upstream.base_uri))).await;
    try_call(&client, "get-ship-with-crew", arguments)
        .await
        .expect("tools/call returns a result")
}

#[tokio::test]
async fn rest_steps_chain_lookups_and_mappings() {
    let upstream = RoutedUpstream::start(&shipyard_replies()).await;
    let (status, body) = rest_get(&upstream, "/ships/IMO-1/crew").await;
    assert_eq!(status, 200, "{body}");
    let expected = json!({
        "imo": "IMO-1",
        "vessel": {"name": "Aurora", "port": {"name": "Oslo", "country": "NO"}},
        "crew": [
            {"fullName": "Ann", "role": "captain"},
            {"fullName": "Bob", "role": "cook"},
        ],
        "crewNames": ["Ann", "Bob"],
        "captain": "Bob",
        "pilot": null,
        "assignments": 2,
        "source": "registry",
        "link": "/ships/IMO-1",
    });
    assert_eq!(body, expected);
}

#[tokio::test]
async fn step_outputs_feed_later_calls() {
    let upstream = RoutedUpstream::start(&shipyard_replies()).await;
    let (status, body) = rest_get(&upstream, "/ships/IMO-1/crew").await;
    assert_eq!(status, 200, "{body}");
    // The port code comes from the ship, and a path selecting every crew id repeats the key.
    assert_eq!(upstream.query_of("/ports/NO-OSL"), None);
    assert_eq!(
        upstream.query_of("/assignments").as_deref(),
        Some("crewId=C-1&crewId=7")
    );
    assert_eq!(upstream.paths().len(), 4);
}

#[tokio::test]
async fn mcp_steps_shape_structured_result() {
    let upstream = RoutedUpstream::start(&shipyard_replies()).await;
    let result = mcp_call(&upstream, json!({"imo": "IMO-1"})).await;
    assert_eq!(result.is_error, Some(false), "{}", text_of(&result));
    let expected = json!({
        "imo": "IMO-1",
        "crewNames": ["Ann", "Bob"],
        "captain": "Bob",
        "port": "Oslo",
    });
    assert_eq!(result.structured_content, Some(expected));
}

#[tokio::test]
async fn rest_failing_step_passes_status() {
    let mut replies = shipyard_replies();
    replies.retain(|(path, _)| *path != "/ports/NO-OSL");
    let upstream = RoutedUpstream::start(&replies).await;
    let (status, body) = rest_get(&upstream, "/ships/IMO-1/crew").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "upstream_error_status");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("step `get-port`"), "{message}");
    assert!(message.contains("404"), "{message}");
}

#[tokio::test]
async fn mcp_failing_step_is_tool_error() {
    let mut replies = shipyard_replies();
    replies.retain(|(path, _)| *path != "/ports/NO-OSL");
    let upstream = RoutedUpstream::start(&replies).await;
    let result = mcp_call(&upstream, json!({"imo": "IMO-1"})).await;
    assert_eq!(result.is_error, Some(true));
    let text = text_of(&result);
    assert!(text.contains("step `get-port`"), "{text}");
    assert!(text.contains("404 (Not Found)"), "{text}");
    assert!(text.contains("no such path"), "{text}");
    assert_eq!(result.structured_content, None);
}

#[tokio::test]
async fn failing_step_stops_later_steps() {
    let mut replies = shipyard_replies();
    replies.retain(|(path, _)| *path != "/ships/IMO-1");
    let upstream = RoutedUpstream::start(&replies).await;
    let (status, body) = rest_get(&upstream, "/ships/IMO-1/crew").await;
    assert_eq!(status, 404, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("step `get-ship`"), "{message}");
    // The port call needs the ship, so it never starts.
    let paths = upstream.paths();
    assert!(
        !paths.iter().any(|path| path.starts_with("/ports/")),
        "{paths:?}"
    );
}

#[tokio::test]
async fn independent_steps_overlap() {
    let upstream = RoutedUpstream::start(&[
        ("/slow/a", Reply::json(200, r#"{"name": "A"}"#)),
        ("/slow/b", Reply::json(200, r#"{"name": "B"}"#)),
    ])
    .await;
    let started = std::time::Instant::now();
    let (status, body) = rest_get(&upstream, "/parallel").await;
    // Run one after the other, the first request would wait for the second in vain and
    // fail with 500 after SLOW_WAIT.
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"a": "A", "b": "B"}));
    assert!(started.elapsed() < SLOW_WAIT, "{:?}", started.elapsed());
}

#[tokio::test]
async fn step_cycle_is_internal_error() {
    let upstream = RoutedUpstream::start(&[]).await;
    let (status, body) = rest_get(&upstream, "/cycle").await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "internal_error");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("cycle"), "{message}");
    assert!(upstream.paths().is_empty());
}

#[tokio::test]
async fn step_argument_outside_orchestration() {
    let upstream = RoutedUpstream::start(&[]).await;
    let (status, body) = rest_get(&upstream, "/stray-step").await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "internal_error");
    assert!(upstream.paths().is_empty());
}

#[tokio::test]
async fn mappings_fill_nested_outputs() {
    let upstream = RoutedUpstream::start(&manifest_replies()).await;
    let (status, body) = rest_get(&upstream, "/voyages/V-1/manifest").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["voyageId"], "V-1");
    assert_eq!(body["route"], json!({"from": "Oslo", "to": "Kiel"}));
    // The ship list's projection adds `imo-number`, and each ship keeps its own fields.
    assert_eq!(body["ship"], json!({"name": "Borealis", "flag": "DK"}));
    // Cargo ids without a match add nothing, and the declared type converts weights.
    assert_eq!(
        body["cargo"],
        json!([
            {"type": "container", "weight": 12},
            {"type": "bulk", "weight": 85.5},
        ])
    );
}

#[tokio::test]
async fn lookup_miss_leaves_members_null() {
    let upstream = RoutedUpstream::start(&manifest_replies()).await;
    let (status, body) = rest_get(&upstream, "/voyages/V-2/manifest").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ship"], json!({"name": null, "flag": null}));
    assert_eq!(body["route"], json!({"from": "Bergen", "to": null}));
    assert_eq!(body["cargo"], json!([]));
}
