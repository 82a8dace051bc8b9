//! Shared fixtures of the caller authentication tests: one REST and one MCP adapter per
//! scheme, all in mock mode, and a digest client.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use md5::Md5;
use naftiko_runtime::descriptor::{
    ApiKeyPlacement, BindSource, BindVariable, CallerAuth, Capability, HttpMethod, McpAdapter,
    McpTool, Output, OutputShape, RestAdapter, RestOperation, TemplatePart, ToolHints,
};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_test_support::loopback_http;
use sha2::{Digest, Sha256};

/// The bearer token, bind variable 0.
pub const TOKEN: &str = "bearer-secret-5150";
/// The API key, bind variable 1.
pub const API_KEY: &str = "api-key-secret-8086";
/// The basic and digest password, bind variable 2.
pub const PASSWORD: &str = "password-secret-6502";
/// The basic and digest user name.
pub const USERNAME: &str = "ops";
/// The digest realm.
pub const REALM: &str = "shipyard";
/// A wrong credential, which must never come back either.
pub const WRONG: &str = "wrong-secret-1802";
/// The body of the mock operation and the `instructions` marker of the mock tool.
pub const OK_BODY: &str = r#"{"ok":true}"#;

pub static CAPABILITY: Capability = Capability {
    name: "caller-auth",
    spec_file: "specs/caller-auth.yaml",
    description: None,
    binds: &[
        bind("MCP_SERVER_TOKEN"),
        bind("MCP_API_KEY"),
        bind("MCP_PASSWORD"),
    ],
    consumes: &[],
    rest: &[],
    mcp: &[],
    control: &[],
    skill: &[],
};

const fn bind(name: &'static str) -> BindVariable {
    BindVariable {
        namespace: "env",
        key: name,
        source: BindSource::Env(name),
        used_by: &[],
    }
}

pub const BEARER: CallerAuth = CallerAuth::Bearer {
    token: &[TemplatePart::Bind(0)],
};
pub const API_KEY_HEADER: CallerAuth = CallerAuth::ApiKey {
    name: "X-Api-Key",
    value: &[TemplatePart::Bind(1)],
    placement: ApiKeyPlacement::Header,
};
pub const API_KEY_QUERY: CallerAuth = CallerAuth::ApiKey {
    name: "api_key",
    value: &[TemplatePart::Bind(1)],
    placement: ApiKeyPlacement::Query,
};
pub const BASIC: CallerAuth = CallerAuth::Basic {
    username: &[TemplatePart::Literal(USERNAME)],
    password: &[TemplatePart::Bind(2)],
};
pub const DIGEST: CallerAuth = CallerAuth::Digest {
    username: &[TemplatePart::Literal(USERNAME)],
    password: &[TemplatePart::Bind(2)],
    realm: REALM,
};
/// A bearer token whose bind variable does not exist.
pub const UNRENDERABLE: CallerAuth = CallerAuth::Bearer {
    token: &[TemplatePart::Bind(9)],
};

static OK_SHAPE: OutputShape = OutputShape::Constant(OK_BODY);

static OPERATIONS: &[RestOperation] = &[RestOperation {
    route: "/ping",
    method: HttpMethod::Get,
    name: "ping",
    description: None,
    inputs: &[],
    call: None,
    steps: None,
    output: Output::Shape(&OK_SHAPE),
}];

static TOOLS: &[McpTool] = &[McpTool {
    name: "ping",
    title: None,
    description: None,
    hints: ToolHints {
        read_only: Some(true),
        destructive: None,
        idempotent: None,
        open_world: None,
    },
    inputs: &[],
    call: None,
    steps: None,
    output: Output::Shape(&OK_SHAPE),
    output_schema: None,
}];

/// Returns a REST adapter with `/ping` in mock mode that requires `auth`.
pub fn rest_adapter(auth: CallerAuth) -> &'static RestAdapter {
    Box::leak(Box::new(RestAdapter {
        namespace: "caller-auth-rest",
        address: None,
        port: 0,
        description: None,
        operations: OPERATIONS,
        forwards: &[],
        openapi: "{}",
        auth: Some(auth),
    }))
}

/// Returns an MCP adapter with the tool `ping` in mock mode that requires `auth`.
pub fn mcp_adapter(auth: CallerAuth) -> &'static McpAdapter {
    Box::leak(Box::new(McpAdapter {
        namespace: "caller-auth-mcp",
        address: None,
        port: 0,
        description: None,
        tools: TOOLS,
        auth: Some(auth),
        resources: &[],
        prompts: &[],
        stdio: false,
    }))
}

/// Returns the capability context with the three credentials bound.
pub fn context() -> Arc<CapabilityContext> {
    let binds = BindValues::from_values(vec![
        Secret::new(TOKEN),
        Secret::new(API_KEY),
        Secret::new(PASSWORD),
    ]);
    Arc::new(CapabilityContext::new(
        &CAPABILITY,
        binds,
        loopback_http(),
        &BTreeMap::new(),
    ))
}

/// Asserts that no secret of the fixture and not `WRONG` appear in `text`.
pub fn assert_no_credential(text: &str) {
    for secret in [TOKEN, API_KEY, PASSWORD, WRONG] {
        assert!(!text.contains(secret), "`{secret}` leaked into:\n{text}");
    }
}

/// Returns `Basic base64(user:password)`.
pub fn basic(username: &str, password: &str) -> String {
    use base64::Engine as _;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

/// The parameters of one `Digest` challenge.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub algorithm: String,
    pub realm: String,
    pub nonce: String,
    pub qop: String,
    pub stale: bool,
}

/// Reads the `Digest` challenges of a response, in order. The values contain no escaped
/// quotes, so a plain split suffices.
pub fn digest_challenges(headers: &reqwest::header::HeaderMap) -> Vec<Challenge> {
    headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.strip_prefix("Digest "))
        .map(|params| {
            let get = |key: &str| {
                params
                    .split(", ")
                    .filter_map(|param| param.split_once('='))
                    .find(|(name, _)| *name == key)
                    .map(|(_, value)| value.trim_matches('"').to_owned())
                    .unwrap_or_default()
            };
            Challenge {
                algorithm: get("algorithm"),
                realm: get("realm"),
                nonce: get("nonce"),
                qop: get("qop"),
                stale: get("stale") == "true",
            }
        })
        .collect()
}

/// Computes the RFC 7616 `response` with `qop=auth`, written out independently of the
/// runtime so that a shared mistake cannot hide.
pub fn digest_response(
    challenge: &Challenge,
    method: &str,
    uri: &str,
    password: &str,
    cnonce: &str,
    nc: &str,
) -> String {
    let hash = |text: String| -> String {
        let bytes: Vec<u8> = match challenge.algorithm.as_str() {
            "MD5" => Md5::digest(text.as_bytes()).to_vec(),
            _ => Sha256::digest(text.as_bytes()).to_vec(),
        };
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    };
    let ha1 = hash(format!("{USERNAME}:{}:{password}", challenge.realm));
    let ha2 = hash(format!("{method}:{uri}"));
    hash(format!(
        "{ha1}:{}:{nc}:{cnonce}:auth:{ha2}",
        challenge.nonce
    ))
}

/// Returns the `Authorization: Digest` value answering `challenge` for `method` and `uri`.
pub fn digest_authorization(
    challenge: &Challenge,
    method: &str,
    uri: &str,
    password: &str,
) -> String {
    let cnonce = "0a4f113b";
    let nc = "00000001";
    let response = digest_response(challenge, method, uri, password, cnonce, nc);
    format!(
        "Digest username=\"{USERNAME}\", realm=\"{}\", uri=\"{uri}\", algorithm={}, \
         nonce=\"{}\", response=\"{response}\", qop=auth, nc={nc}, cnonce=\"{cnonce}\"",
        challenge.realm, challenge.algorithm, challenge.nonce
    )
}
