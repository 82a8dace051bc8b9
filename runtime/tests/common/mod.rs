//! A hand-written descriptor of `specs/docker-hub-org-access-tokens.yaml`, shaped the way
//! `naftiko-codegen` resolves it, for tests of the runtime that must not depend on the
//! generator.
//!
//! Upstream parameters list declared parameters first, then path placeholders. The
//! get-one REST route and the `get-access-token` tool call the *Get access token*
//! operation: the `get` whose path parameters match the route's.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

use naftiko_runtime::descriptor::{
    Argument, Auth, BindSource, BindVariable, Call, Capability, ConsumedApi, HttpMethod, Input,
    JsonType, McpAdapter, McpTool, Output, ParamLocation, PathPart, RestAdapter, RestOperation,
    TemplatePart, ToolHints, UpstreamOperation, UpstreamParam,
};

/// The environment variable that contains the Docker Hub token.
pub const TOKEN_VARIABLE: &str = "DOCKER_HUB_API_KEY";

/// The consumes namespace.
pub const CONSUMES_NAMESPACE: &str = "docker-hub-org-access-tokens";

/// The REST expose namespace.
pub const REST_NAMESPACE: &str = "docker-hub-org-access-tokens-rest";

/// The MCP expose namespace.
pub const MCP_NAMESPACE: &str = "docker-hub-org-access-tokens-mcp";

pub static CAPABILITY: Capability = Capability {
    name: "docker-hub-org-access-tokens",
    spec_file: "specs/docker-hub-org-access-tokens.yaml",
    description: Some(
        "Docker HUB API — org-access-tokens. 5 operations. Lead operation: Create access \
         token. Self-contained Naftiko capability covering one Docker Hub business surface.",
    ),
    binds: &[BindVariable {
        namespace: "env",
        key: "DOCKER_HUB_API_KEY",
        source: BindSource::Env(TOKEN_VARIABLE),
        used_by: &["capability.consumes[0].authentication.token"],
    }],
    consumes: &[&DOCKER_HUB],
    rest: &[&REST_ADAPTER],
    mcp: &[&MCP_ADAPTER],
    control: &[],
    skill: &[],
};

/// All capabilities of the fixture, as the generated `CAPABILITIES` lists them.
pub static CAPABILITIES: &[&Capability] = &[&CAPABILITY];

pub static DOCKER_HUB: ConsumedApi = ConsumedApi {
    namespace: CONSUMES_NAMESPACE,
    base_uri: "https://hub.docker.com",
    base_uri_from: None,
    auth: Some(Auth::Bearer {
        token: &[TemplatePart::Bind(0)],
    }),
};

const NAME_TOKENS_PATH: &[PathPart] = &[
    PathPart::Literal("/v2/orgs/"),
    PathPart::Param(0),
    PathPart::Literal("/access-tokens"),
];

const ORG_TOKEN_PATH: &[PathPart] = &[
    PathPart::Literal("/v2/orgs/"),
    PathPart::Param(0),
    PathPart::Literal("/access-tokens/"),
    PathPart::Param(1),
];

/// `POST /v2/orgs/{name}/access-tokens`: params `name`, `body`.
pub static CREATE_TOKEN: UpstreamOperation = UpstreamOperation {
    api: &DOCKER_HUB,
    resource: "v2-orgs-name-access-tokens",
    name: "post",
    description: Some("Create access token"),
    method: HttpMethod::Post,
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
    path: NAME_TOKENS_PATH,
    params: &[
        UpstreamParam {
            name: "name",
            location: ParamLocation::Path,
            value: None,
        },
        UpstreamParam {
            name: "body",
            location: ParamLocation::Body,
            value: None,
        },
    ],
};

/// `GET /v2/orgs/{name}/access-tokens`: params `name`, `page`, `page_size`.
pub static LIST_TOKENS: UpstreamOperation = UpstreamOperation {
    api: &DOCKER_HUB,
    resource: "v2-orgs-name-access-tokens",
    name: "get",
    description: Some("List access tokens"),
    method: HttpMethod::Get,
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
    path: NAME_TOKENS_PATH,
    params: &[
        UpstreamParam {
            name: "name",
            location: ParamLocation::Path,
            value: None,
        },
        UpstreamParam {
            name: "page",
            location: ParamLocation::Query,
            value: None,
        },
        UpstreamParam {
            name: "page_size",
            location: ParamLocation::Query,
            value: None,
        },
    ],
};

const ORG_TOKEN_PARAMS: &[UpstreamParam] = &[
    UpstreamParam {
        name: "org_name",
        location: ParamLocation::Path,
        value: None,
    },
    UpstreamParam {
        name: "access_token_id",
        location: ParamLocation::Path,
        value: None,
    },
];

/// `GET /v2/orgs/{org_name}/access-tokens/{access_token_id}`.
pub static GET_TOKEN: UpstreamOperation = UpstreamOperation {
    api: &DOCKER_HUB,
    resource: "v2-orgs-org_name-access-tokens-access_token_id",
    name: "get",
    description: Some("Get access token"),
    method: HttpMethod::Get,
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
    path: ORG_TOKEN_PATH,
    params: ORG_TOKEN_PARAMS,
};

/// `PATCH /v2/orgs/{org_name}/access-tokens/{access_token_id}`: params `org_name`,
/// `access_token_id`, `body`.
pub static UPDATE_TOKEN: UpstreamOperation = UpstreamOperation {
    api: &DOCKER_HUB,
    resource: "v2-orgs-org_name-access-tokens-access_token_id",
    name: "patch",
    description: Some("Update access token"),
    method: HttpMethod::Patch,
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
    path: ORG_TOKEN_PATH,
    params: &[
        UpstreamParam {
            name: "org_name",
            location: ParamLocation::Path,
            value: None,
        },
        UpstreamParam {
            name: "access_token_id",
            location: ParamLocation::Path,
            value: None,
        },
        UpstreamParam {
            name: "body",
            location: ParamLocation::Body,
            value: None,
        },
    ],
};

/// `DELETE /v2/orgs/{org_name}/access-tokens/{access_token_id}`.
pub static DELETE_TOKEN: UpstreamOperation = UpstreamOperation {
    api: &DOCKER_HUB,
    resource: "v2-orgs-org_name-access-tokens-access_token_id",
    name: "delete",
    description: Some("Delete access token"),
    method: HttpMethod::Delete,
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
    path: ORG_TOKEN_PATH,
    params: ORG_TOKEN_PARAMS,
};

const fn path_input(name: &'static str) -> Input {
    Input {
        name,
        location: ParamLocation::Path,
        json_type: JsonType::String,
        required: true,
        description: None,
    }
}

const BODY_INPUT: Input = Input {
    name: "body",
    location: ParamLocation::Body,
    json_type: JsonType::Object,
    required: true,
    description: Some("Request body (JSON)."),
};

const fn page_input(name: &'static str) -> Input {
    Input {
        name,
        location: ParamLocation::Query,
        json_type: JsonType::Number,
        required: false,
        description: None,
    }
}

pub static REST_ADAPTER: RestAdapter = RestAdapter {
    forwards: &[],
    openapi: "{}",
    auth: None,
    namespace: REST_NAMESPACE,
    address: None,
    port: 8080,
    description: Some(
        "REST adapter for Docker HUB API — org-access-tokens. One Spectral-compliant \
         resource per consumed operation, prefixed with /v1.",
    ),
    operations: &[
        RestOperation {
            route: "/v1/v2/orgs/{name}/access-tokens",
            method: HttpMethod::Post,
            name: "post",
            description: Some("Create access token"),
            inputs: &[path_input("name"), BODY_INPUT],
            call: Some(Call {
                operation: &CREATE_TOKEN,
                arguments: &[Argument::Input(0), Argument::Input(1)],
            }),
            steps: None,
            output: Output::Body,
        },
        RestOperation {
            route: "/v1/v2/orgs/{name}/access-tokens",
            method: HttpMethod::Get,
            name: "get",
            description: Some("List access tokens"),
            inputs: &[
                path_input("name"),
                page_input("page"),
                page_input("page_size"),
            ],
            call: Some(Call {
                operation: &LIST_TOKENS,
                arguments: &[Argument::Input(0), Argument::Input(1), Argument::Input(2)],
            }),
            steps: None,
            output: Output::Body,
        },
        RestOperation {
            route: "/v1/v2/orgs/{org-name}/access-tokens/{access-token-id}",
            method: HttpMethod::Get,
            name: "get",
            description: Some("Get access token"),
            inputs: &[path_input("org-name"), path_input("access-token-id")],
            call: Some(Call {
                operation: &GET_TOKEN,
                arguments: &[Argument::Input(0), Argument::Input(1)],
            }),
            steps: None,
            output: Output::Body,
        },
        RestOperation {
            route: "/v1/v2/orgs/{org-name}/access-tokens/{access-token-id}",
            method: HttpMethod::Patch,
            name: "patch",
            description: Some("Update access token"),
            inputs: &[
                path_input("org-name"),
                path_input("access-token-id"),
                BODY_INPUT,
            ],
            call: Some(Call {
                operation: &UPDATE_TOKEN,
                arguments: &[Argument::Input(0), Argument::Input(1), Argument::Input(2)],
            }),
            steps: None,
            output: Output::Body,
        },
        RestOperation {
            route: "/v1/v2/orgs/{org-name}/access-tokens/{access-token-id}",
            method: HttpMethod::Delete,
            name: "delete",
            description: Some("Delete access token"),
            inputs: &[path_input("org-name"), path_input("access-token-id")],
            call: Some(Call {
                operation: &DELETE_TOKEN,
                arguments: &[Argument::Input(0), Argument::Input(1)],
            }),
            steps: None,
            output: Output::Body,
        },
    ],
};

pub static MCP_ADAPTER: McpAdapter = McpAdapter {
    auth: None,
    namespace: MCP_NAMESPACE,
    address: None,
    port: 9090,
    description: Some(
        "MCP adapter for Docker HUB API — org-access-tokens. One tool per consumed \
         operation, routed inline through this capability's consumes block.",
    ),
    tools: &[
        McpTool {
            name: "create-access-token",
            title: None,
            description: Some("Create access token"),
            hints: ToolHints {
                read_only: Some(false),
                destructive: Some(false),
                idempotent: Some(false),
                open_world: None,
            },
            inputs: &[path_input("name"), BODY_INPUT],
            call: Some(Call {
                operation: &CREATE_TOKEN,
                arguments: &[Argument::Input(0), Argument::Input(1)],
            }),
            steps: None,
            output: Output::Body,
            output_schema: None,
        },
        McpTool {
            name: "list-access-tokens",
            title: None,
            description: Some("List access tokens"),
            hints: ToolHints {
                read_only: Some(true),
                destructive: Some(false),
                idempotent: Some(true),
                open_world: None,
            },
            inputs: &[
                path_input("name"),
                page_input("page"),
                page_input("page_size"),
            ],
            call: Some(Call {
                operation: &LIST_TOKENS,
                arguments: &[Argument::Input(0), Argument::Input(1), Argument::Input(2)],
            }),
            steps: None,
            output: Output::Body,
            output_schema: None,
        },
        McpTool {
            name: "get-access-token",
            title: None,
            description: Some("Get access token"),
            hints: ToolHints {
                read_only: Some(true),
                destructive: Some(false),
                idempotent: Some(true),
                open_world: None,
            },
            inputs: &[path_input("org_name"), path_input("access_token_id")],
            call: Some(Call {
                operation: &GET_TOKEN,
                arguments: &[Argument::Input(0), Argument::Input(1)],
            }),
            steps: None,
            output: Output::Body,
            output_schema: None,
        },
        McpTool {
            name: "update-access-token",
            title: None,
            description: Some("Update access token"),
            hints: ToolHints {
                read_only: Some(false),
                destructive: Some(false),
                idempotent: Some(true),
                open_world: None,
            },
            inputs: &[
                path_input("org_name"),
                path_input("access_token_id"),
                BODY_INPUT,
            ],
            call: Some(Call {
                operation: &UPDATE_TOKEN,
                arguments: &[Argument::Input(0), Argument::Input(1), Argument::Input(2)],
            }),
            steps: None,
            output: Output::Body,
            output_schema: None,
        },
        McpTool {
            name: "delete-access-token",
            title: None,
            description: Some("Delete access token"),
            hints: ToolHints {
                read_only: Some(false),
                destructive: Some(true),
                idempotent: Some(true),
                open_world: None,
            },
            inputs: &[path_input("org_name"), path_input("access_token_id")],
            call: Some(Call {
                operation: &DELETE_TOKEN,
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
