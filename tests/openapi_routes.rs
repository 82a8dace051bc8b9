//! The OpenAPI document of every REST adapter of the binary, matched against what its
//! router serves.
//!
//! Each documented path and method is called with sample values for every documented
//! parameter and request body, and must reach the handler. So the fake upstream receives
//! the call and its `200` passes through, where the router itself would respond with `404`
//! or `405`.
//! In the other direction, every route of the adapter's descriptor must be documented, and
//! no other method is served on a documented path.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use naftiko_runtime::descriptor::{Capability, RestAdapter};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::BindValues;
use naftiko_runtime::{rest, rest_shared, upstream};
use naftiko_test_support::{self as support, FakeUpstream};
use reqwest::Method;
use serde_json::{Map, Value, json};

use common::catalog::{self, token_env};

/// The methods an OpenAPI path item can hold, as its keys spell them.
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

/// One operation of a document: its path template, its method and the operation object.
struct Operation {
    path: String,
    method: &'static str,
    object: Value,
}

fn rest_adapters() -> Vec<(&'static Capability, &'static RestAdapter)> {
    naftiko_rs::CAPABILITIES
        .iter()
        .flat_map(|capability| {
            capability
                .rest
                .iter()
                .map(move |adapter| (*capability, *adapter))
        })
        .collect()
}

fn parse_document(adapter: &RestAdapter) -> Value {
    serde_json::from_str(adapter.openapi)
        .unwrap_or_else(|error| panic!("{}: the document is not JSON: {error}", adapter.namespace))
}

/// Returns every operation of `document`, failing on a path item key that is not a method.
fn operations(document: &Value) -> Vec<Operation> {
    let paths = document["paths"].as_object().expect("`paths` is an object");
    let mut found = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().expect("a path item is an object");
        for (key, object) in item {
            let method = METHODS
                .iter()
                .copied()
                .find(|method| method == key)
                .unwrap_or_else(|| panic!("{path}: `{key}` is not a method"));
            found.push(Operation {
                path: path.clone(),
                method,
                object: object.clone(),
            });
        }
    }
    found
}

/// Returns a sample value of the JSON Schema `schema`: required object properties filled,
/// and the same text for every string.
fn sample(schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("string") | None => json!("sample"),
        Some("integer") => json!(2),
        Some("number") => json!(2.5),
        Some("boolean") => json!(true),
        Some("array") => json!([sample(&schema["items"])]),
        Some("object") => {
            let mut object = Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().expect("a required name is a string");
                object.insert(name.to_owned(), sample(&schema["properties"][name]));
            }
            Value::Object(object)
        }
        Some(other) => panic!("no sample for schema type `{other}`"),
    }
}

/// Returns a parameter's sample value as the text sent in a path, query, header or cookie.
fn sample_text(parameter: &Value) -> String {
    match sample(&parameter["schema"]) {
        Value::String(text) => text,
        value => value.to_string(),
    }
}

/// Sends `operation` to `base_url` with a sample value for every documented parameter and
/// request body, and returns the response status.
async fn send_sample(http: &reqwest::Client, base_url: &str, operation: &Operation) -> u16 {
    let mut path = operation.path.clone();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    let mut cookies = Vec::new();
    for parameter in operation.object["parameters"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = parameter["name"].as_str().expect("a parameter has a name");
        let value = sample_text(parameter);
        match parameter["in"].as_str() {
            Some("path") => path = path.replace(&format!("{{{name}}}"), &value),
            Some("query") => query.push((name.to_owned(), value)),
            Some("header") => headers.push((name.to_owned(), value)),
            Some("cookie") => cookies.push(format!("{name}={value}")),
            other => panic!("{}: parameter `{name}` in {other:?}", operation.path),
        }
    }
    assert!(
        !path.contains('{'),
        "{}: a placeholder has no path parameter",
        operation.path
    );

    let method = Method::from_bytes(operation.method.to_ascii_uppercase().as_bytes())
        .expect("a valid method");
    // Names and sample values contain no character that needs percent-encoding.
    let query: Vec<String> = query
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let url = if query.is_empty() {
        format!("{base_url}{path}")
    } else {
        format!("{base_url}{path}?{}", query.join("&"))
    };
    let mut request = http.request(method, url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if !cookies.is_empty() {
        request = request.header("cookie", cookies.join("; "));
    }
    let body_schema = &operation.object["requestBody"]["content"]["application/json"]["schema"];
    if !body_schema.is_null() {
        request = request
            .header("content-type", "application/json")
            .body(sample(body_schema).to_string());
    }
    let response = request.send().await.expect("the adapter responds");
    response.status().as_u16()
}

/// Calls every operation of `document` on `base_url` and checks that each reaches the
/// upstream `hub`, which responds to every request with `200`.
async fn assert_operations_reach_upstream(
    label: &str,
    base_url: &str,
    document: &Value,
    hub: &FakeUpstream,
) {
    let operations = operations(document);
    assert!(!operations.is_empty(), "{label}: no operation documented");
    let http = support::loopback_http();
    for operation in &operations {
        let before = hub.requests().len();
        let status = send_sample(&http, base_url, operation).await;
        let request_label = format!("{label}: {} {}", operation.method, operation.path);
        assert_eq!(
            status, 200,
            "{request_label}: the call did not reach the handler"
        );
        let requests = hub.requests();
        assert_eq!(
            requests.len(),
            before + 1,
            "{request_label}: one upstream request"
        );
        assert_eq!(
            requests[before].method,
            operation.method.to_ascii_uppercase(),
            "{request_label}"
        );
    }
}

/// Returns the context of `capability` with [`common::TOKEN`] for its bind variables and
/// every consumed API at `base_uri`.
fn context(capability: &'static Capability, base_uri: &str) -> Arc<CapabilityContext> {
    let binds = BindValues::resolve(capability, token_env).expect("the token resolves every bind");
    let http = upstream::http_client(Duration::from_secs(10), Duration::from_secs(5))
        .expect("builds the upstream HTTP client");
    let base_uris = capability
        .consumes
        .iter()
        .map(|api| (api.namespace.to_owned(), base_uri.to_owned()))
        .collect();
    Arc::new(CapabilityContext::new(capability, binds, http, &base_uris))
}

/// Serves `adapter` alone, as a listener with only this adapter serves it.
async fn serve_alone(
    capability: &'static Capability,
    adapter: &'static RestAdapter,
    base_uri: &str,
) -> String {
    let router = rest::router(adapter, context(capability, base_uri));
    support::serve(rest_shared::with_openapi(router, &[adapter])).await
}

async fn upstream_replying_200() -> FakeUpstream {
    FakeUpstream::start_ok().await
}

#[test]
fn descriptor_routes_are_documented() {
    for (_, adapter) in rest_adapters() {
        let document = parse_document(adapter);
        let documented: BTreeSet<(String, String)> = operations(&document)
            .into_iter()
            .map(|operation| (operation.path, operation.method.to_ascii_uppercase()))
            .collect();
        let served: BTreeSet<(String, String)> = adapter
            .operations
            .iter()
            .map(|operation| {
                (
                    operation.route.to_owned(),
                    operation.method.as_str().to_owned(),
                )
            })
            .collect();
        assert_eq!(documented, served, "{}", adapter.namespace);
        assert_eq!(
            served.len(),
            adapter.operations.len(),
            "{}: a route twice",
            adapter.namespace
        );
        // Forwarded paths are served but not documented, so none must exist here.
        assert!(
            adapter.forwards.is_empty(),
            "{}: forwards are not documented",
            adapter.namespace
        );
    }
}

#[tokio::test]
async fn documented_operations_reach_handlers() {
    let hub = upstream_replying_200().await;

    for (capability, adapter) in rest_adapters() {
        let base_url = serve_alone(capability, adapter, &hub.base_uri).await;

        let served = common::send(Method::GET, &format!("{base_url}/openapi.json"), None).await;
        assert_eq!(served.status, 200, "{}", adapter.namespace);
        let document = parse_document(adapter);
        assert_eq!(served.json(), document, "{}", adapter.namespace);
        assert_operations_reach_upstream(adapter.namespace, &base_url, &document, &hub).await;
    }
}

#[tokio::test]
async fn undocumented_requests_are_rejected() {
    let hub = upstream_replying_200().await;
    let http = support::loopback_http();

    for (capability, adapter) in rest_adapters() {
        let base_url = serve_alone(capability, adapter, &hub.base_uri).await;
        let document = parse_document(adapter);
        for (path, item) in document["paths"].as_object().expect("paths") {
            let concrete = path.replace('{', "x-").replace('}', "");
            for method in METHODS {
                // axum serves HEAD on every GET route, so HEAD is not checked there.
                let documented =
                    item.get(method).is_some() || (method == "head" && item.get("get").is_some());
                if documented {
                    continue;
                }
                let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                    .expect("a valid method");
                let response = http
                    .request(method.clone(), format!("{base_url}{concrete}"))
                    .send()
                    .await
                    .expect("the adapter responds");
                assert_eq!(
                    response.status().as_u16(),
                    405,
                    "{}: {method} {path}",
                    adapter.namespace
                );
            }
        }
        let unknown = common::send(Method::GET, &format!("{base_url}/v1/undocumented"), None).await;
        assert_eq!(unknown.status, 404, "{}", adapter.namespace);
    }
    assert!(
        hub.requests().is_empty(),
        "no rejected request reaches upstream"
    );
}

#[tokio::test]
async fn shared_listener_serves_merged_document() {
    let catalog = catalog::shared();
    let adapters: Vec<&'static RestAdapter> = rest_adapters()
        .into_iter()
        .map(|(_, adapter)| adapter)
        .collect();

    let served = common::send(
        Method::GET,
        &format!("{}/openapi.json", catalog.rest_url),
        None,
    )
    .await;
    assert_eq!(served.status, 200, "{}", served.body);
    let merged = served.json();
    let expected = rest_shared::openapi_document(&adapters).expect("the documents merge");
    assert_eq!(merged, expected);

    let mut merged_operations: Vec<(String, &str)> = operations(&merged)
        .into_iter()
        .map(|operation| (operation.path, operation.method))
        .collect();
    let mut every_operation: Vec<(String, &str)> = adapters
        .iter()
        .flat_map(|adapter| operations(&parse_document(adapter)))
        .map(|operation| (operation.path, operation.method))
        .collect();
    merged_operations.sort();
    every_operation.sort();
    assert_eq!(
        merged_operations, every_operation,
        "the merge keeps every operation once"
    );

    assert_operations_reach_upstream("shared listener", &catalog.rest_url, &merged, &catalog.hub)
        .await;
}
