//! Upstream request building through `invoke`: every parameter location, argument kind,
//! input check and redirect rule, against servers on loopback.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use naftiko_runtime::descriptor::{
    Argument, Auth, BindSource, BindVariable, Call, Capability, ConsumedApi, HttpMethod, Input,
    JsonType, ParamLocation, PathPart, TemplatePart, UpstreamOperation, UpstreamParam,
};
use naftiko_runtime::invoke::{self, CapabilityContext};
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream::{self, CallError};
use naftiko_test_support::FakeUpstream;
use serde_json::{Value, json};

const SECRET: &str = "s3cr3t-value";

static API: ConsumedApi = ConsumedApi {
    namespace: "example",
    base_uri: "http://127.0.0.1:9",
    base_uri_from: None,
    auth: Some(Auth::Bearer {
        token: &[TemplatePart::Literal("tok-"), TemplatePart::Bind(0)],
    }),
};

const fn param(name: &'static str, location: ParamLocation) -> UpstreamParam {
    UpstreamParam {
        name,
        location,
        value: None,
    }
}

static SEARCH: UpstreamOperation = UpstreamOperation {
    api: &API,
    resource: "items",
    name: "search",
    description: None,
    method: HttpMethod::Post,
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
    path: &[PathPart::Literal("/items/"), PathPart::Param(0)],
    params: &[
        param("id", ParamLocation::Path),
        param("tag", ParamLocation::Query),
        param("q", ParamLocation::Query),
        param("x-trace", ParamLocation::Header),
        param("title", ParamLocation::BodyField),
        param("count", ParamLocation::BodyField),
        param("mode", ParamLocation::Query),
        param("x-api-key", ParamLocation::Header),
        param("unused", ParamLocation::Query),
    ],
};

const fn input(name: &'static str, location: ParamLocation, json_type: JsonType) -> Input {
    Input {
        name,
        location,
        json_type,
        required: false,
        description: None,
    }
}

static INPUTS: &[Input] = &[
    input("item-id", ParamLocation::Path, JsonType::String),
    input("tag", ParamLocation::Query, JsonType::Array),
    input("q", ParamLocation::Query, JsonType::String),
    input("x-trace", ParamLocation::Header, JsonType::String),
    input("title", ParamLocation::BodyField, JsonType::String),
];

static CALL: Call = Call {
    operation: &SEARCH,
    arguments: &[
        Argument::Input(0),
        Argument::Input(1),
        Argument::Input(2),
        Argument::Input(3),
        Argument::Input(4),
        Argument::Literal("3"),
        Argument::Literal("\"fast\""),
        Argument::Template(&[TemplatePart::Literal("key-"), TemplatePart::Bind(0)]),
        Argument::Unbound,
    ],
};

static CAPABILITY: Capability = Capability {
    name: "example",
    spec_file: "specs/example.yaml",
    description: None,
    binds: &[BindVariable {
        namespace: "env",
        key: "EXAMPLE_SECRET",
        source: BindSource::Env("EXAMPLE_SECRET"),
        used_by: &["capability.consumes[0].authentication.token"],
    }],
    consumes: &[&API],
    rest: &[],
    mcp: &[],
    control: &[],
    skill: &[],
};

fn context(base_uri: &str) -> CapabilityContext {
    let http = upstream::http_client(Duration::from_secs(5), Duration::from_secs(2))
        .expect("HTTP client builds");
    let base_uris = BTreeMap::from([("example".to_owned(), base_uri.to_owned())]);
    let binds = BindValues::from_values(vec![Secret::new(SECRET)]);
    CapabilityContext::new(&CAPABILITY, binds, http, &base_uris)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

#[tokio::test]
async fn every_location_is_sent() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);
    let inputs = vec![
        Some(json!("a b")),
        Some(json!(["x", "y&z"])),
        Some(json!("café?#")),
        Some(json!("trace-1")),
        Some(json!("Title")),
    ];

    let response = invoke::invoke_declared(&context, &CALL, INPUTS, &inputs)
        .await
        .expect("call succeeds");

    assert_eq!(response.status, 200);
    let request = upstream.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/items/a%20b");
    assert_eq!(
        request.query.as_deref(),
        Some("tag=x&tag=y%26z&q=caf%C3%A9%3F%23&mode=fast")
    );
    assert_eq!(header(&request.headers, "x-trace"), Some("trace-1"));
    assert_eq!(
        header(&request.headers, "x-api-key"),
        Some("key-s3cr3t-value")
    );
    assert_eq!(
        header(&request.headers, "authorization"),
        Some("Bearer tok-s3cr3t-value")
    );
    assert_eq!(
        header(&request.headers, "content-type"),
        Some("application/json")
    );
    let body: Value = serde_json::from_slice(&request.body).expect("body is JSON");
    assert_eq!(body, json!({"title": "Title", "count": 3}));
}

#[tokio::test]
async fn absent_inputs_send_nothing() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);
    let inputs = vec![Some(json!("7")), None, None, None, None];

    invoke::invoke_declared(&context, &CALL, INPUTS, &inputs)
        .await
        .expect("call succeeds");

    let request = upstream.only_request();
    assert_eq!(request.query.as_deref(), Some("mode=fast"));
    assert!(request.headers.get("x-trace").is_none());
    let body: Value = serde_json::from_slice(&request.body).expect("body is JSON");
    assert_eq!(body, json!({"count": 3}));
}

#[tokio::test]
async fn empty_path_value_is_input_error() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);
    let inputs = vec![Some(json!("")), None, None, None, None];

    let error = invoke::invoke_declared(&context, &CALL, INPUTS, &inputs)
        .await
        .expect_err("an empty path value is rejected");

    let CallError::Input(error) = error else {
        panic!("expected an input error, got {error:?}");
    };
    assert_eq!(error.name, "item-id");
    assert_eq!(error.reason, "must not be empty");
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn missing_path_value_names_param_without_declared() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);

    let error = invoke::invoke(&context, &CALL, &[None, None, None, None, None])
        .await
        .expect_err("a missing path value is rejected");

    assert_eq!(error.status(), 400);
    assert_eq!(error.to_string(), "invalid input `id`: missing");
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn header_line_break_is_input_error() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);
    let inputs = vec![
        Some(json!("7")),
        None,
        None,
        Some(json!("a\r\nx-injected: yes")),
        None,
    ];

    let error = invoke::invoke_declared(&context, &CALL, INPUTS, &inputs)
        .await
        .expect_err("CR/LF in a header is rejected");

    assert_eq!(error.status(), 400);
    assert!(error.to_string().contains("`x-trace`"), "{error}");
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn context_debug_hides_secret() {
    let context = context("http://127.0.0.1:9");
    let debug = format!("{context:?}");
    assert!(!debug.contains(SECRET), "{debug}");
}

/// Starts a server that redirects `/items/same` to `/landing` on itself and `/items/cross` to
/// `other_origin`, recording the `Authorization` header of every request by path.
async fn redirecting_server(other_origin: String) -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    use axum::extract::Request;
    use axum::response::{IntoResponse, Redirect};

    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |request: Request| {
        let recorder = Arc::clone(&recorder);
        let other_origin = other_origin.clone();
        async move {
            let path = request.uri().path().to_owned();
            let authorization = header(request.headers(), "authorization")
                .unwrap_or_default()
                .to_owned();
            recorder
                .lock()
                .expect("recorder lock")
                .push((path.clone(), authorization));
            match path.as_str() {
                "/items/same" => Redirect::temporary("/landing").into_response(),
                "/items/cross" => {
                    Redirect::temporary(&format!("{other_origin}/stolen")).into_response()
                }
                _ => axum::Json(json!({"landed": true})).into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("redirecting server binds a loopback port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}"), seen)
}

#[tokio::test]
async fn same_origin_redirect_is_followed() {
    let (base_uri, seen) = redirecting_server("http://127.0.0.1:9".to_owned()).await;
    let context = context(&base_uri);
    let inputs = vec![Some(json!("same")), None, None, None, None];

    let response = invoke::invoke_declared(&context, &CALL, INPUTS, &inputs)
        .await
        .expect("call succeeds");

    assert_eq!(response.status, 200);
    let seen = seen.lock().expect("recorder lock").clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].0, "/landing");
}

#[tokio::test]
async fn cross_origin_redirect_is_not_followed() {
    let other = FakeUpstream::start_ok().await;
    let (base_uri, seen) = redirecting_server(other.base_uri.clone()).await;
    let context = context(&base_uri);
    let inputs = vec![Some(json!("cross")), None, None, None, None];

    let response = invoke::invoke_declared(&context, &CALL, INPUTS, &inputs)
        .await
        .expect("the redirect response is returned");

    assert_eq!(response.status, 307);
    assert_eq!(seen.lock().expect("recorder lock").len(), 1);
    assert!(other.requests().is_empty());
}
