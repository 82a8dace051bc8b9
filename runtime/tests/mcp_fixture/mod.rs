//! An MCP adapter with resources, prompts and a tool with an output schema, in front of a
//! fake users API on loopback, for the resource, prompt, output schema and stdio tests.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use naftiko_runtime::descriptor::{
    Argument, Call, Capability, ConsumedApi, HttpMethod, Input, JsonType, McpAdapter, McpPrompt,
    McpResource, McpTool, Output, OutputShape, ParamLocation, PathPart, PathStep, PromptArgument,
    PromptMessage, PromptRole, Property, RawFormat, ResourceSource, TemplatePart, ToolHints,
    UpstreamOperation, UpstreamParam,
};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::BindValues;
use naftiko_runtime::upstream;
use naftiko_test_support::mcp::{McpClient, serve_mcp};
use naftiko_test_support::serve;
use serde_json::json;

/// The consumes namespace of the fake users API.
pub const API_NAMESPACE: &str = "users-api";

/// The MCP expose namespace.
pub const MCP_NAMESPACE: &str = "users-mcp";

/// The text of the static `readme` resource.
pub const README: &str = "# Users\n\nProfiles of the users API, café included.\n";

/// The bytes of the static `logo` resource, which are not UTF-8.
pub const LOGO: &[u8] = &[0x89, b'P', b'N', b'G', 0xff, 0x00, 0xfe];

/// The JSON Schema of the `get-user` tool's result.
pub const USER_SCHEMA: &str =
    r#"{"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"}}}"#;

/// rmcp's client, connected to the fixture's adapter.
pub type Client = McpClient;

pub static CAPABILITY: Capability = Capability {
    name: "users",
    spec_file: "specs/users.yaml",
    description: None,
    binds: &[],
    consumes: &[&USERS_API],
    rest: &[],
    mcp: &[&MCP_ADAPTER],
    control: &[],
    skill: &[],
};

pub static USERS_API: ConsumedApi = ConsumedApi {
    namespace: API_NAMESPACE,
    base_uri: "http://127.0.0.1:9",
    base_uri_from: None,
    auth: None,
};

/// `GET /users/{id}`.
pub static GET_USER: UpstreamOperation = UpstreamOperation {
    api: &USERS_API,
    resource: "users",
    name: "get-user",
    description: None,
    method: HttpMethod::Get,
    path: &[PathPart::Literal("/users/"), PathPart::Param(0)],
    params: &[UpstreamParam {
        name: "id",
        location: ParamLocation::Path,
        value: None,
    }],
    body: None,
    output_format: RawFormat::Json,
    output_scope: None,
};

const ID_INPUT: Input = Input {
    name: "id",
    location: ParamLocation::Path,
    json_type: JsonType::String,
    required: true,
    description: Some("The user id"),
};

const fn field(name: &'static str) -> PathStep {
    PathStep::Field(name)
}

/// `{id, name}` read from the upstream user.
static USER_SHAPE: OutputShape = OutputShape::Object {
    path: &[],
    properties: &[
        Property {
            name: "id",
            shape: OutputShape::Value {
                path: &[field("id")],
                json_type: Some(JsonType::String),
            },
        },
        Property {
            name: "name",
            shape: OutputShape::Value {
                path: &[field("name")],
                json_type: Some(JsonType::String),
            },
        },
    ],
};

static STATUS_SHAPE: OutputShape = OutputShape::Constant(r#"{"healthy":true}"#);

pub static MCP_ADAPTER: McpAdapter = McpAdapter {
    namespace: MCP_NAMESPACE,
    address: None,
    port: 0,
    description: Some("Users, their profiles and outreach prompts."),
    tools: &[
        McpTool {
            name: "get-user",
            title: Some("Get user"),
            description: Some("Returns one user."),
            hints: ToolHints {
                read_only: Some(true),
                destructive: None,
                idempotent: None,
                open_world: None,
            },
            inputs: &[ID_INPUT],
            call: Some(Call {
                operation: &GET_USER,
                arguments: &[Argument::Input(0)],
            }),
            steps: None,
            output: Output::Shape(&USER_SHAPE),
            output_schema: Some(USER_SCHEMA),
        },
        McpTool {
            name: "get-user-raw",
            title: None,
            description: Some("Returns the upstream user unchanged."),
            hints: ToolHints {
                read_only: None,
                destructive: None,
                idempotent: None,
                open_world: None,
            },
            inputs: &[ID_INPUT],
            call: Some(Call {
                operation: &GET_USER,
                arguments: &[Argument::Input(0)],
            }),
            steps: None,
            output: Output::Body,
            output_schema: None,
        },
    ],
    auth: None,
    resources: &[
        McpResource {
            name: "readme",
            title: Some("Read me"),
            description: Some("What the users API offers."),
            uri: "file:///docs/readme.md",
            mime_type: Some("text/markdown"),
            source: ResourceSource::Static {
                contents: README.as_bytes(),
            },
        },
        McpResource {
            name: "logo",
            title: None,
            description: None,
            uri: "file:///docs/logo.png",
            mime_type: Some("image/png"),
            source: ResourceSource::Static { contents: LOGO },
        },
        McpResource {
            name: "status",
            title: None,
            description: Some("A fixed status document."),
            uri: "data://status",
            mime_type: None,
            source: ResourceSource::Dynamic {
                inputs: &[],
                call: None,
                steps: None,
                output: Output::Shape(&STATUS_SHAPE),
            },
        },
        McpResource {
            name: "user-profile",
            title: Some("User profile"),
            description: Some("A user's profile by id."),
            uri: "data://users/{id}/profile",
            mime_type: Some("application/json"),
            source: ResourceSource::Dynamic {
                inputs: &[ID_INPUT],
                call: Some(Call {
                    operation: &GET_USER,
                    arguments: &[Argument::Input(0)],
                }),
                steps: None,
                output: Output::Shape(&USER_SHAPE),
            },
        },
    ],
    prompts: &[
        McpPrompt {
            name: "participant-outreach",
            title: Some("Participant outreach"),
            description: Some("Draft an outreach message."),
            arguments: &[
                PromptArgument {
                    name: "participant_name",
                    description: Some("Name of the participant"),
                    required: true,
                },
                PromptArgument {
                    name: "product_name",
                    description: None,
                    required: false,
                },
            ],
            messages: &[
                PromptMessage {
                    role: PromptRole::User,
                    text: &[
                        TemplatePart::Literal("Write to "),
                        TemplatePart::Input(0),
                        TemplatePart::Literal(" about "),
                        TemplatePart::Input(1),
                        TemplatePart::Literal("."),
                    ],
                },
                PromptMessage {
                    role: PromptRole::Assistant,
                    text: &[TemplatePart::Literal("I'll draft it.")],
                },
            ],
        },
        McpPrompt {
            name: "no-arguments",
            title: None,
            description: None,
            arguments: &[],
            messages: &[PromptMessage {
                role: PromptRole::User,
                text: &[TemplatePart::Literal("Hello.")],
            }],
        },
    ],
    stdio: false,
};

/// Starts the fake users API on loopback and returns its base URI.
///
/// `GET /users/missing` is a JSON `404`. Any other id returns a user named `Ada` with the
/// requested `id` and an `internal` field, which outputs leave out.
pub async fn start_upstream() -> String {
    async fn user(Path(id): Path<String>) -> axum::response::Response {
        if id == "missing" {
            let body = json!({"message": "no such user"}).to_string();
            return (
                StatusCode::NOT_FOUND,
                [("content-type", "application/json")],
                body,
            )
                .into_response();
        }
        let body = json!({"id": id, "name": "Ada", "internal": 1}).to_string();
        ([("content-type", "application/json")], body).into_response()
    }
    let app = axum::Router::new().route("/users/{id}", axum::routing::get(user));
    serve(app).await
}

/// Builds a context whose users API is at `base_uri`.
pub fn context_for(base_uri: &str) -> Arc<CapabilityContext> {
    let timeout = Duration::from_secs(5);
    let http = upstream::http_client(timeout, timeout).expect("builds the upstream HTTP client");
    let base_uris = BTreeMap::from([(API_NAMESPACE.to_owned(), base_uri.to_owned())]);
    let binds = BindValues::from_values(Vec::new());
    Arc::new(CapabilityContext::new(&CAPABILITY, binds, http, &base_uris))
}

/// Starts the fake upstream and `adapter` over Streamable HTTP, and connects rmcp's client.
pub async fn connect(adapter: &'static McpAdapter) -> Client {
    let upstream = start_upstream().await;
    serve_mcp(naftiko_runtime::mcp::router(
        adapter,
        context_for(&upstream),
    ))
    .await
}
