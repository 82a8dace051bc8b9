//! A fake upstream that serves the examples of one of the tutorial's OpenAPI mocks and
//! records every request, and helpers that serve a step's adapters in front of it and call
//! them over REST and MCP.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use naftiko_runtime::descriptor::Capability;
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;
use naftiko_test_support::mcp::{McpClient, connect_mcp_with, initialize_request};
use naftiko_test_support::{FakeUpstream, RecordedRequest, Reply, Response, send, serve};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::Value;

/// The tutorial folder, relative to this crate.
const TUTORIAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../corpus/naftiko-framework-tutorial"
);

/// The OpenAPI mock of the Maritime Registry, which responds with JSON.
pub const REGISTRY_MOCK: &str = "mocks/naftiko-shipyard-maritime-registry-api.yaml";
/// The OpenAPI mock of the legacy Dockyard, which responds with XML.
pub const LEGACY_MOCK: &str = "mocks/naftiko-shipyard-legacy-dockyard-api.yaml";

/// The test value of each bind variable, by key. The steps read these keys from
/// `shared/secrets.yaml`; the tests use values of their own, so that a value seen upstream
/// can only have come from the bind.
pub const BINDS: &[(&str, &str)] = &[
    ("REGISTRY_TOKEN", "test-registry-token"),
    ("REGISTRY_VERSION", "1.0.0-test"),
    ("MCP_SERVER_TOKEN", "sk-mcp-test-caller"),
    ("DOCKYARD_API_KEY", "test-dockyard-key"),
];

/// Returns the test value of the bind variable `key`.
pub fn bind(key: &str) -> &'static str {
    BINDS
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, value)| *value)
        .unwrap_or_else(|| panic!("no test value for the bind variable `{key}`"))
}

/// One operation of an OpenAPI mock: its path template split into segments, its method
/// and its first successful response.
#[derive(Debug, Clone)]
struct MockOperation {
    /// The path's segments, `None` for a `{parameter}` that matches any one segment.
    segments: Vec<Option<String>>,
    method: String,
    status: u16,
    content_type: String,
    /// The first example of the response, kept as JSON even for an XML body, which the
    /// mock writes as a string.
    example: Value,
}

impl MockOperation {
    fn matches(&self, method: &str, path: &str) -> bool {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.method.eq_ignore_ascii_case(method)
            && segments.len() == self.segments.len()
            && self
                .segments
                .iter()
                .zip(&segments)
                .all(|(expected, got)| expected.as_deref().is_none_or(|literal| literal == *got))
    }
}

/// The parts of an OpenAPI document that the fake upstream serves.
#[derive(serde::Deserialize)]
struct MockDocument {
    paths: BTreeMap<String, BTreeMap<String, MockPathOperation>>,
}

#[derive(serde::Deserialize)]
struct MockPathOperation {
    responses: BTreeMap<String, MockResponse>,
}

#[derive(serde::Deserialize)]
struct MockResponse {
    #[serde(default)]
    content: BTreeMap<String, MockMedia>,
}

#[derive(serde::Deserialize)]
struct MockMedia {
    examples: Option<OrderedExamples>,
    example: Option<Value>,
}

/// The `value` of each entry of an `examples` map, in document order, which a
/// `serde_json` map would sort by name.
struct OrderedExamples(Vec<Value>);

impl<'de> serde::Deserialize<'de> for OrderedExamples {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OrderedExamples;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a map of named examples")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<OrderedExamples, A::Error> {
                let mut values = Vec::new();
                while let Some((_, example)) = map.next_entry::<String, Value>()? {
                    values.push(example["value"].clone());
                }
                Ok(OrderedExamples(values))
            }
        }

        deserializer.deserialize_map(Visitor)
    }
}

/// Reads the OpenAPI document at `mock`, relative to the tutorial folder, and returns one
/// [`MockOperation`] for each method of each path.
fn load_mock(mock: &str) -> Vec<MockOperation> {
    let path = format!("{TUTORIAL}/{mock}");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read the mock {path}: {error}"));
    let document: MockDocument = serde_saphyr::from_str(&text)
        .unwrap_or_else(|error| panic!("the mock {path} is not a valid OpenAPI mock: {error}"));

    let mut operations = Vec::new();
    for (template, methods) in document.paths {
        let segments = template
            .trim_start_matches('/')
            .split('/')
            .map(|segment| (!segment.starts_with('{')).then(|| segment.to_owned()))
            .collect::<Vec<_>>();
        for (method, operation) in methods {
            let (status, response) = operation
                .responses
                .into_iter()
                .find(|(status, _)| status.starts_with('2'))
                .unwrap_or_else(|| panic!("{method} {template} has no 2xx response"));
            let (content_type, media) = response
                .content
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("{method} {template} {status} has no content"));
            let example = media
                .examples
                .and_then(|examples| examples.0.into_iter().next())
                .or(media.example)
                .unwrap_or_else(|| panic!("{method} {template} {status} has no example"));
            operations.push(MockOperation {
                segments: segments.clone(),
                method,
                status: status.parse().expect("a response status is a number"),
                content_type,
                example,
            });
        }
    }
    operations
}

/// Renders the mock's `{{ request.body/FIELD }}` templates, which echo a field of the
/// request's JSON body, in every string of `example`.
fn render_example(example: &Value, body: &Value) -> Value {
    match example {
        Value::String(text) => {
            let Some(field) = text
                .strip_prefix("{{ request.body/")
                .and_then(|rest| rest.strip_suffix(" }}"))
            else {
                return example.clone();
            };
            body.get(field).cloned().unwrap_or(Value::Null)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_example(item, body))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), render_example(value, body)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Starts a fake upstream on a free loopback port that responds to each operation of the
/// OpenAPI mock at `mock`, relative to the tutorial folder, with that operation's first
/// successful example, and records every request.
///
/// A request that matches no operation gets a `404`.
pub async fn start_mock(mock: &str) -> FakeUpstream {
    let operations = load_mock(mock);
    FakeUpstream::start(move |request| mock_reply(&operations, request)).await
}

/// Returns the reply of the first operation in `operations` that matches `request`.
fn mock_reply(operations: &[MockOperation], request: &RecordedRequest) -> Reply {
    let Some(operation) = operations
        .iter()
        .find(|operation| operation.matches(&request.method, &request.path))
    else {
        return Reply::empty(404).with_body("no such operation in the mock");
    };
    let request_json = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let body = match render_example(&operation.example, &request_json) {
        Value::String(text) => text,
        json => json.to_string(),
    };
    Reply::new(operation.status, &operation.content_type, body)
}

/// The fake Maritime Registry and legacy Dockyard that every step after the first calls.
pub struct Upstreams {
    /// The fake Maritime Registry, for the `registry` namespace.
    pub registry: FakeUpstream,
    /// The fake legacy Dockyard, for the `legacy` namespace.
    pub legacy: FakeUpstream,
}

impl Upstreams {
    /// Starts both fakes.
    pub async fn start() -> Self {
        Self {
            registry: start_mock(REGISTRY_MOCK).await,
            legacy: start_mock(LEGACY_MOCK).await,
        }
    }

    /// Returns a context for `capability` with the test value of each bind variable and
    /// each consumed API at its fake.
    ///
    /// Fails the test when the capability consumes an API other than `registry` and
    /// `legacy`, so that no test can send a request to a spec's own `baseUri`.
    pub fn context(&self, capability: &'static Capability) -> Arc<CapabilityContext> {
        let base_uris: BTreeMap<String, String> = capability
            .consumes
            .iter()
            .map(|api| {
                let uri = match api.namespace {
                    "registry" => self.registry.base_uri.clone(),
                    "legacy" => self.legacy.base_uri.clone(),
                    other => panic!("no fake upstream for the consumed API `{other}`"),
                };
                (api.namespace.to_owned(), uri)
            })
            .collect();
        let binds = capability
            .binds
            .iter()
            .map(|variable| Secret::new(bind(variable.key)))
            .collect();
        let http = upstream::http_client(Duration::from_secs(10), Duration::from_secs(5))
            .expect("builds the upstream HTTP client");
        Arc::new(CapabilityContext::new(
            capability,
            BindValues::from_values(binds),
            http,
            &base_uris,
        ))
    }
}

/// Serves the MCP `router` and connects rmcp's client to it with the `initialize`
/// handshake, sending `token` as a bearer credential when given.
pub async fn connect_mcp(router: axum::Router, token: Option<&str>) -> McpClient {
    let server = serve(router).await;
    let mut config = StreamableHttpClientTransportConfig::with_uri(format!("{server}/mcp"));
    if let Some(token) = token {
        config = config.auth_header(token);
    }
    connect_mcp_with(config).await
}

/// Sends an MCP `initialize` request to the MCP `router` without a credential and returns
/// the response.
pub async fn initialize_without_token(router: axum::Router) -> Response {
    let server = serve(router).await;
    send(initialize_request(&format!("{server}/mcp"))).await
}
