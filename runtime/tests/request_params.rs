//! Parameter `value` templates, parameter references, cookies and template-only
//! parameters of upstream requests, and cookie inputs of REST adapters.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use naftiko_runtime::descriptor::{
    Argument, BindSource, BindVariable, Call, Capability, ConsumedApi, HttpMethod, Input, JsonType,
    Output, ParamLocation, PathPart, RestAdapter, RestOperation, TemplatePart, UpstreamOperation,
    UpstreamParam,
};
use naftiko_runtime::invoke::{self, CapabilityContext};
use naftiko_runtime::rest;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream::{self, CallError};
use naftiko_test_support::FakeUpstream;
use serde_json::{Value, json};

static API: ConsumedApi = ConsumedApi {
    namespace: "catalog",
    base_uri: "http://127.0.0.1:9",
    base_uri_from: None,
    auth: None,
};

const fn param(
    name: &'static str,
    location: ParamLocation,
    value: Option<&'static [TemplatePart]>,
) -> UpstreamParam {
    UpstreamParam {
        name,
        location,
        value,
    }
}

/// `GET /orgs/{org}/items` with fixed headers, cookies, a template-only region and
/// values built from other parameters.
static LIST: UpstreamOperation = UpstreamOperation {
    api: &API,
    resource: "items",
    name: "list",
    description: None,
    method: HttpMethod::Get,
    path: &[
        PathPart::Literal("/orgs/"),
        PathPart::Param(0),
        PathPart::Literal("/items"),
    ],
    params: &[
        param("org", ParamLocation::Path, None),
        param(
            "User-Agent",
            ParamLocation::Header,
            Some(&[TemplatePart::Literal("Naftiko/1.0")]),
        ),
        param(
            "Accept",
            ParamLocation::Header,
            Some(&[TemplatePart::Literal("application/xml")]),
        ),
        param(
            "x-key",
            ParamLocation::Header,
            Some(&[TemplatePart::Bind(0)]),
        ),
        param("session", ParamLocation::Cookie, None),
        param(
            "theme",
            ParamLocation::Cookie,
            Some(&[TemplatePart::Literal("dark mode; \"x\",%")]),
        ),
        param("region", ParamLocation::TemplateOnly, None),
        // Refers to `chain` (9), which has a `value` of its own.
        param(
            "scope",
            ParamLocation::Query,
            Some(&[TemplatePart::Literal("scope:"), TemplatePart::Param(9)]),
        ),
        param(
            "label",
            ParamLocation::Query,
            Some(&[TemplatePart::Literal("none")]),
        ),
        param(
            "x-chain",
            ParamLocation::Header,
            Some(&[
                TemplatePart::Param(0),
                TemplatePart::Literal("/"),
                TemplatePart::Param(6),
            ]),
        ),
    ],
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
};

const LIST_CALL: Call = Call {
    operation: &LIST,
    arguments: &[
        Argument::Input(0),
        Argument::Unbound,
        Argument::Unbound,
        Argument::Unbound,
        Argument::Input(1),
        Argument::Unbound,
        Argument::Input(2),
        Argument::Unbound,
        Argument::Input(3),
        Argument::Unbound,
    ],
};

/// Two parameters whose values refer to each other.
static CYCLE: UpstreamOperation = UpstreamOperation {
    api: &API,
    resource: "items",
    name: "cycle",
    description: None,
    method: HttpMethod::Get,
    path: &[PathPart::Literal("/cycle")],
    params: &[
        param("a", ParamLocation::Query, Some(&[TemplatePart::Param(1)])),
        param("b", ParamLocation::Query, Some(&[TemplatePart::Param(0)])),
    ],
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
};

static CYCLE_CALL: Call = Call {
    operation: &CYCLE,
    arguments: &[Argument::Unbound, Argument::Unbound],
};

const fn input(name: &'static str, location: ParamLocation) -> Input {
    Input {
        name,
        location,
        json_type: JsonType::String,
        required: false,
        description: None,
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
    operations: &[RestOperation {
        route: "/orgs/{org}/items",
        method: HttpMethod::Get,
        name: "list",
        description: None,
        inputs: &[
            input("org", ParamLocation::Path),
            input("session", ParamLocation::Cookie),
            input("region", ParamLocation::Query),
            input("label", ParamLocation::Query),
        ],
        call: Some(LIST_CALL),
        steps: None,
        output: Output::Body,
    }],
};

static CAPABILITY: Capability = Capability {
    name: "catalog",
    spec_file: "specs/catalog.yaml",
    description: None,
    binds: &[BindVariable {
        namespace: "env",
        key: "CATALOG_KEY",
        source: BindSource::Env("CATALOG_KEY"),
        used_by: &["capability.consumes[0].resources[0].operations[0].inputParameters[3]"],
    }],
    consumes: &[&API],
    rest: &[&REST_ADAPTER],
    mcp: &[],
    control: &[],
    skill: &[],
};

const KEY: &str = "bound-key";

fn context(base_uri: &str) -> CapabilityContext {
    let http = upstream::http_client(Duration::from_secs(5), Duration::from_secs(2))
        .expect("HTTP client builds");
    let base_uris = BTreeMap::from([("catalog".to_owned(), base_uri.to_owned())]);
    let binds = BindValues::from_values(vec![Secret::new(KEY)]);
    CapabilityContext::new(&CAPABILITY, binds, http, &base_uris)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

#[tokio::test]
async fn values_fill_absent_params() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);
    let inputs = vec![Some(json!("acme")), None, Some(json!("eu")), None];

    invoke::invoke(&context, &LIST_CALL, &inputs)
        .await
        .expect("call succeeds");

    let request = upstream.only_request();
    assert_eq!(request.path, "/orgs/acme/items");
    assert_eq!(
        request.query.as_deref(),
        Some("scope=scope%3Aacme%2Feu&label=none")
    );
    assert_eq!(header(&request.headers, "user-agent"), Some("Naftiko/1.0"));
    assert_eq!(header(&request.headers, "accept"), Some("application/xml"));
    assert_eq!(request.headers.get_all("accept").iter().count(), 1);
    assert_eq!(header(&request.headers, "x-key"), Some(KEY));
    assert_eq!(header(&request.headers, "x-chain"), Some("acme/eu"));
    assert_eq!(
        header(&request.headers, "cookie"),
        Some("theme=dark%20mode%3B%20%22x%22%2C%")
    );
}

#[tokio::test]
async fn provided_value_wins() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);
    let inputs = vec![
        Some(json!("acme")),
        Some(json!("s-1")),
        None,
        Some(json!("mine")),
    ];

    invoke::invoke(&context, &LIST_CALL, &inputs)
        .await
        .expect("call succeeds");

    let request = upstream.only_request();
    assert_eq!(
        request.query.as_deref(),
        Some("scope=scope%3Aacme%2F&label=mine")
    );
    assert_eq!(
        header(&request.headers, "cookie"),
        Some("session=s-1; theme=dark%20mode%3B%20%22x%22%2C%")
    );
}

#[tokio::test]
async fn template_only_param_not_sent() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);
    let inputs = vec![Some(json!("acme")), None, Some(json!("eu")), None];

    invoke::invoke(&context, &LIST_CALL, &inputs)
        .await
        .expect("call succeeds");

    let request = upstream.only_request();
    let query = request.query.unwrap_or_default();
    assert!(!query.contains("region"), "{query}");
    assert!(request.headers.get("region").is_none());
    let cookie = header(&request.headers, "cookie").unwrap_or_default();
    assert!(!cookie.contains("region"), "{cookie}");
}

#[tokio::test]
async fn cookie_line_break_is_input_error() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);
    let inputs = vec![Some(json!("acme")), Some(json!("a\r\nb")), None, None];

    let error = invoke::invoke(&context, &LIST_CALL, &inputs)
        .await
        .expect_err("CR/LF in a cookie is rejected");

    assert_eq!(error.status(), 400);
    assert!(error.to_string().contains("`session`"), "{error}");
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn value_cycle_is_internal_error() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);

    let error = invoke::invoke(&context, &CYCLE_CALL, &[])
        .await
        .expect_err("a cycle cannot be rendered");

    assert!(matches!(error, CallError::Internal { .. }), "{error:?}");
    assert!(
        error.to_string().contains("refers back to itself"),
        "{error}"
    );
    assert!(upstream.requests().is_empty());
}

async fn serve_adapter(upstream_base_uri: &str) -> String {
    let context = Arc::new(context(upstream_base_uri));
    let app = rest::router(&REST_ADAPTER, context);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("adapter binds a loopback port");
    let address = listener.local_addr().expect("adapter local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

async fn get_with_cookie(url: &str, cookie: &str) -> (u16, String) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("test client builds");
    let response = client
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("adapter responds");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body reads"))
}

#[tokio::test]
async fn rest_reads_cookie_input() {
    let upstream = FakeUpstream::start_ok().await;
    let adapter = serve_adapter(&upstream.base_uri).await;

    let (status, body) = get_with_cookie(
        &format!("{adapter}/orgs/acme/items?region=eu"),
        "other=1; session=\"abc%2F1\"; theme=light",
    )
    .await;

    assert_eq!(status, 200, "{body}");
    let request = upstream.only_request();
    assert_eq!(
        header(&request.headers, "cookie"),
        Some("session=abc%2F1; theme=dark%20mode%3B%20%22x%22%2C%")
    );
    assert_eq!(header(&request.headers, "x-chain"), Some("acme/eu"));
}

#[tokio::test]
async fn rest_repeated_cookie_rejected() {
    let upstream = FakeUpstream::start_ok().await;
    let adapter = serve_adapter(&upstream.base_uri).await;

    let (status, body) = get_with_cookie(
        &format!("{adapter}/orgs/acme/items"),
        "session=a; session=b",
    )
    .await;

    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON error body");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("`session`"), "{message}");
    assert!(upstream.requests().is_empty());
}
