//! Forward tests: a REST adapter that passes requests below its forward routes to a fake
//! upstream on a loopback port, next to operations that take precedence on their own
//! routes and methods.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use naftiko_runtime::descriptor::{
    ApiKeyPlacement, Auth, BindSource, BindVariable, Capability, ConsumedApi, Forward, HttpMethod,
    Input, JsonType, Output, OutputShape, ParamLocation, RestAdapter, RestOperation, TemplatePart,
    UpstreamParam,
};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::{rest, upstream};
use naftiko_test_support::raw::{RawResponse, raw_get};
use naftiko_test_support::{FakeUpstream, Reply, loopback_http, send, serve};
use serde_json::json;

/// The token the bearer authentication of the `notion` API renders.
const TOKEN: &str = "forward-token";

/// The key the query authentication of the `keyed` API renders.
const API_KEY: &str = "key 1";

/// The user name of the digest authentication of the `guarded` API.
const DIGEST_USER: &str = "digest-user";

static CAPABILITY: Capability = Capability {
    name: "forwarding",
    spec_file: "specs/forwarding.yaml",
    description: None,
    binds: &[
        BindVariable {
            namespace: "env",
            key: "NOTION_TOKEN",
            source: BindSource::Env("NOTION_TOKEN"),
            used_by: &["capability.consumes[0].authentication.token"],
        },
        BindVariable {
            namespace: "env",
            key: "KEYED_KEY",
            source: BindSource::Env("KEYED_KEY"),
            used_by: &["capability.consumes[1].authentication.value"],
        },
        BindVariable {
            namespace: "env",
            key: "GUARDED_USER",
            source: BindSource::Env("GUARDED_USER"),
            used_by: &["capability.consumes[2].authentication.username"],
        },
    ],
    consumes: &[&NOTION, &KEYED, &GUARDED],
    rest: &[&REST_ADAPTER],
    mcp: &[],
    control: &[],
    skill: &[],
};

/// Every test overrides both base URIs with its fake upstream's, so nothing is sent here.
static NOTION: ConsumedApi = ConsumedApi {
    namespace: "notion",
    base_uri: "http://127.0.0.1:9/v1",
    base_uri_from: None,
    auth: Some(Auth::Bearer {
        token: &[TemplatePart::Bind(0)],
    }),
};

static KEYED: ConsumedApi = ConsumedApi {
    namespace: "keyed",
    base_uri: "http://127.0.0.1:9",
    base_uri_from: None,
    auth: Some(Auth::ApiKey {
        name: "api_key",
        value: &[TemplatePart::Bind(1)],
        placement: ApiKeyPlacement::Query,
    }),
};

static OPERATION: OutputShape = OutputShape::Constant(r#""operation""#);
static PAGE_OPERATION: OutputShape = OutputShape::Constant(r#""page operation""#);
static OTHER: OutputShape = OutputShape::Constant(r#""other""#);

static GUARDED: ConsumedApi = ConsumedApi {
    namespace: "guarded",
    base_uri: "http://127.0.0.1:9",
    base_uri_from: None,
    auth: Some(Auth::Digest {
        username: &[TemplatePart::Bind(2)],
        password: &[TemplatePart::Literal("digest-password")],
    }),
};

const fn mock(route: &'static str, output: &'static OutputShape) -> RestOperation {
    RestOperation {
        route,
        method: HttpMethod::Get,
        name: route,
        description: None,
        inputs: &[],
        call: None,
        steps: None,
        output: Output::Shape(output),
    }
}

static REST_ADAPTER: RestAdapter = RestAdapter {
    openapi: "{}",
    namespace: "forwarding-rest",
    address: None,
    port: 8080,
    description: None,
    auth: None,
    operations: &[
        mock("/notion/status", &OPERATION),
        RestOperation {
            inputs: &[Input {
                name: "id",
                location: ParamLocation::Path,
                json_type: JsonType::String,
                required: true,
                description: None,
            }],
            ..mock("/notion/pages/{id}", &PAGE_OPERATION)
        },
        mock("/other", &OTHER),
    ],
    forwards: &[
        Forward {
            route: "/notion",
            api: &NOTION,
            trusted_headers: &[
                "X-Trace",
                "notion-version",
                "Connection",
                "Proxy-Authorization",
            ],
            params: &[],
        },
        Forward {
            route: "/keyed",
            api: &KEYED,
            trusted_headers: &[],
            params: &[],
        },
        Forward {
            route: "/versioned",
            api: &KEYED,
            trusted_headers: &["X-API-Version", "X-Trace"],
            params: &[
                UpstreamParam {
                    name: "X-API-Version",
                    location: ParamLocation::Header,
                    value: Some(&[TemplatePart::Literal("2026-03-03")]),
                },
                UpstreamParam {
                    name: "X-Notion-Token",
                    location: ParamLocation::Header,
                    value: Some(&[TemplatePart::Literal("Bearer "), TemplatePart::Bind(0)]),
                },
                UpstreamParam {
                    name: "api-version",
                    location: ParamLocation::Query,
                    value: Some(&[TemplatePart::Literal("v 2")]),
                },
                UpstreamParam {
                    name: "region",
                    location: ParamLocation::Cookie,
                    value: Some(&[TemplatePart::Literal("eu")]),
                },
            ],
        },
        Forward {
            route: "/guarded",
            api: &GUARDED,
            trusted_headers: &[],
            params: &[],
        },
    ],
};

fn context_for(base_uri: &str, timeout: Duration) -> Arc<CapabilityContext> {
    let binds = BindValues::from_values(vec![
        Secret::new(TOKEN),
        Secret::new(API_KEY),
        Secret::new(DIGEST_USER),
    ]);
    let http = upstream::http_client(timeout, timeout).expect("builds the upstream HTTP client");
    let base_uris = BTreeMap::from([
        ("notion".to_owned(), format!("{base_uri}/v1")),
        ("keyed".to_owned(), base_uri.to_owned()),
        ("guarded".to_owned(), base_uri.to_owned()),
    ]);
    Arc::new(CapabilityContext::new(&CAPABILITY, binds, http, &base_uris))
}

/// Serves the adapter in front of `base_uri` and returns `http://127.0.0.1:PORT`.
async fn serve_adapter(base_uri: &str, timeout: Duration) -> String {
    serve(rest::router(&REST_ADAPTER, context_for(base_uri, timeout))).await
}

/// Starts a fake upstream and the adapter in front of it.
async fn start() -> (FakeUpstream, String) {
    let upstream = FakeUpstream::start_ok().await;
    let server = serve_adapter(&upstream.base_uri, Duration::from_secs(5)).await;
    (upstream, server)
}

#[tokio::test]
async fn forward_passes_trusted_headers_only() {
    let (upstream, server) = start().await;
    let answer = send(
        loopback_http()
            .post(format!("{server}/notion/pages/search?filter=a%20b&x=1"))
            .header("X-Trace", "t-1")
            .header("Notion-Version", "2022-06-28")
            .header("X-Untrusted", "u")
            .header("Authorization", "Bearer caller-token")
            .header("Proxy-Authorization", "Basic cHJveHk=")
            .header("Connection", "keep-alive")
            .header("Content-Type", "application/json")
            .body(r#"{"title": "x"}"#),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), json!({"ok": true}));

    let request = upstream.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/pages/search");
    assert_eq!(request.query.as_deref(), Some("filter=a%20b&x=1"));
    assert_eq!(request.body.as_ref(), br#"{"title": "x"}"#);
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("x-trace").as_deref(), Some("t-1"));
    assert_eq!(header("notion-version").as_deref(), Some("2022-06-28"));
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(
        header("authorization"),
        Some(format!("Bearer {TOKEN}")),
        "the consumed API's authentication replaces the caller's"
    );
    assert_eq!(header("x-untrusted"), None);
    assert_eq!(header("proxy-authorization"), None);
    assert_eq!(header("connection"), None);
}

#[tokio::test]
async fn forward_route_itself_and_below() {
    let (upstream, server) = start().await;
    for path in ["/notion", "/notion/", "/notion/a/b"] {
        let answer = send(loopback_http().get(format!("{server}{path}"))).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    }
    let paths: Vec<String> = upstream
        .requests()
        .into_iter()
        .map(|request| request.path)
        .collect();
    assert_eq!(paths, ["/v1", "/v1/", "/v1/a/b"]);

    let answer = send(loopback_http().get(format!("{server}/notionx"))).await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    assert_eq!(upstream.requests().len(), 3);
}

#[tokio::test]
async fn forward_passes_error_statuses() {
    let (upstream, server) = start().await;
    upstream.reply_with(Reply::new(404, "text/plain", "no such page"));
    let answer = send(loopback_http().get(format!("{server}/notion/pages/x/children"))).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.content_type.as_deref(), Some("text/plain"));
    assert_eq!(answer.body, "no such page");

    upstream.reply_with(Reply::json(500, r#"{"message": "boom"}"#));
    let answer = send(loopback_http().delete(format!("{server}/notion/blocks/1"))).await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.json(), json!({"message": "boom"}));
}

#[tokio::test]
async fn forward_rejects_dot_segments() {
    let (upstream, server) = start().await;
    let targets = [
        "/notion/..",
        "/notion/../secret",
        "/notion/a/../../secret",
        "/notion/%2e%2e/secret",
        "/notion/%2E%2E/secret",
        "/notion/%2E./secret",
        "/notion/.%2e/secret",
        "/notion/./secret",
        "/notion/%2e/secret",
    ];
    for target in targets {
        let RawResponse {
            status,
            text: response,
        } = raw_get(&server, target).await;
        assert_eq!(status, 400, "{target}: {response}");
        assert!(
            response.contains(r#""code":"invalid_path""#),
            "{target}: {response}"
        );
    }
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn forward_keeps_encoded_slash_in_segment() {
    let (upstream, server) = start().await;
    for target in [
        "/notion/..%2Fsecret",
        "/notion/a%2Fb",
        "/notion/%2e%2e%2fadmin",
    ] {
        let RawResponse {
            status,
            text: response,
        } = raw_get(&server, target).await;
        assert_eq!(status, 200, "{target}: {response}");
    }
    let paths: Vec<String> = upstream
        .requests()
        .into_iter()
        .map(|request| request.path)
        .collect();
    assert_eq!(paths, ["/v1/..%2Fsecret", "/v1/a%2Fb", "/v1/..%2Fadmin"]);
}

#[tokio::test]
async fn forward_adds_query_api_key() {
    let (upstream, server) = start().await;
    let answer = send(loopback_http().get(format!("{server}/keyed/items?page=2"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = send(loopback_http().get(format!("{server}/keyed/items"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // A caller's own `api_key`, plain or encoded, cannot stand before the spec's.
    let answer = send(loopback_http().get(format!(
        "{server}/keyed/items?api_key=caller&x=1&api%5Fkey=caller"
    )))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let queries: Vec<Option<String>> = upstream
        .requests()
        .into_iter()
        .map(|request| request.query)
        .collect();
    assert_eq!(
        queries,
        [
            Some("page=2&api_key=key%201".to_owned()),
            Some("api_key=key%201".to_owned()),
            Some("x=1&api_key=key%201".to_owned()),
        ]
    );
}

#[tokio::test]
async fn operation_wins_on_same_route() {
    let (upstream, server) = start().await;
    let answer = send(loopback_http().get(format!("{server}/notion/status"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), json!("operation"));
    let answer = send(loopback_http().get(format!("{server}/notion/pages/7"))).await;
    assert_eq!(answer.json(), json!("page operation"));
    assert!(upstream.requests().is_empty());

    // Other methods on the operations' routes are forwarded.
    let answer = send(loopback_http().post(format!("{server}/notion/status"))).await;
    assert_eq!(answer.json(), json!({"ok": true}));
    let answer = send(loopback_http().delete(format!("{server}/notion/pages/7"))).await;
    assert_eq!(answer.json(), json!({"ok": true}));
    let sent: Vec<(String, String)> = upstream
        .requests()
        .into_iter()
        .map(|request| (request.method, request.path))
        .collect();
    assert_eq!(
        sent,
        [
            ("POST".to_owned(), "/v1/status".to_owned()),
            ("DELETE".to_owned(), "/v1/pages/7".to_owned())
        ]
    );
}

#[tokio::test]
async fn other_routes_keep_405_and_404() {
    let (upstream, server) = start().await;
    let answer = send(loopback_http().post(format!("{server}/other"))).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.header("allow"), Some("GET,HEAD"));
    let answer = send(loopback_http().get(format!("{server}/missing"))).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json()["error"]["code"], "not_found");
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn forward_unreachable_is_502() {
    let dead = naftiko_test_support::dead_base_uri().await;
    let server = serve_adapter(&dead, Duration::from_secs(5)).await;
    let answer = send(loopback_http().get(format!("{server}/notion/pages"))).await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert_eq!(answer.json()["error"]["code"], "upstream_unreachable");
    assert!(!answer.body.contains(TOKEN));
}

#[tokio::test]
async fn forward_timeout_is_504() {
    let upstream = FakeUpstream::start_ok().await;
    upstream.reply_with(Reply::json(200, "{}").with_delay(Duration::from_secs(3)));
    let server = serve_adapter(&upstream.base_uri, Duration::from_millis(300)).await;
    let answer = send(loopback_http().get(format!("{server}/notion/pages"))).await;
    assert_eq!(answer.status, 504, "{}", answer.body);
    assert_eq!(answer.json()["error"]["code"], "upstream_timeout");
}

/// The API's fixed parameters go with every forwarded request and win over the caller's
/// values of the same name.
#[tokio::test]
async fn forward_sends_fixed_parameters() {
    let (upstream, server) = start().await;
    let answer = send(
        loopback_http()
            .get(format!("{server}/versioned/items?api-version=old&page=2"))
            .header("X-API-Version", "1999-01-01")
            .header("X-Trace", "t-7"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    let request = upstream.only_request();
    assert_eq!(request.path, "/items");
    assert_eq!(
        request.query.as_deref(),
        Some("page=2&api-version=v%202&api_key=key%201")
    );
    let header = |name: &str| {
        let values: Vec<&str> = request
            .headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        values.join(", ")
    };
    assert_eq!(header("x-api-version"), "2026-03-03");
    assert_eq!(header("x-notion-token"), format!("Bearer {TOKEN}"));
    assert_eq!(header("cookie"), "region=eu");
    assert_eq!(header("x-trace"), "t-7");
}

#[tokio::test]
async fn forward_rejects_large_body() {
    let (upstream, server) = start().await;
    let body = vec![b'x'; naftiko_runtime::limits::DEFAULT_MAX_BODY_BYTES + 1];
    let answer = send(
        loopback_http()
            .put(format!("{server}/notion/files"))
            .body(body),
    )
    .await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn forward_retries_digest_challenge() {
    use axum::extract::Request;
    use std::sync::Mutex;

    // Sends a digest challenge to every request without a digest `Authorization` header.
    // The response hash itself is checked by the digest tests of the auth module.
    // The `Authorization` header and the body of each attempt.
    type Attempt = (Option<String>, bytes::Bytes);
    let attempts: Arc<Mutex<Vec<Attempt>>> = Arc::default();
    let recorder = Arc::clone(&attempts);
    let app = axum::Router::new().fallback(move |request: Request| {
        let recorder = Arc::clone(&recorder);
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .expect("digest server reads the body");
            let authorization = parts
                .headers
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let authorized = authorization
                .as_deref()
                .is_some_and(|value| value.starts_with("Digest "));
            recorder
                .lock()
                .expect("attempts lock")
                .push((authorization, body));
            let response = axum::response::Response::builder();
            let response = if authorized {
                response.status(200)
            } else {
                response.status(401).header(
                    "www-authenticate",
                    r#"Digest realm="forward", nonce="n-1", qop="auth", algorithm=SHA-256"#,
                )
            };
            response
                .body(axum::body::Body::from("{}"))
                .expect("digest server builds its response")
        }
    });
    let digest_server = serve(app).await;
    let server = serve_adapter(&digest_server, Duration::from_secs(5)).await;

    let answer = send(
        loopback_http()
            .post(format!("{server}/guarded/pages?x=1"))
            .body("hello"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let attempts = attempts.lock().expect("attempts lock").clone();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].0, None);
    let authorization = attempts[1].0.clone().unwrap_or_default();
    assert!(
        authorization.contains(&format!(r#"username="{DIGEST_USER}""#)),
        "{authorization}"
    );
    assert!(
        authorization.contains(r#"uri="/pages?x=1""#),
        "{authorization}"
    );
    assert_eq!(attempts[0].1.as_ref(), b"hello");
    assert_eq!(attempts[1].1.as_ref(), b"hello");
}
