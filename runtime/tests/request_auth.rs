//! Upstream authentication through `invoke`: API keys, basic and digest, against servers
//! on loopback. The digest server issues challenges and checks every response hash.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::http::HeaderMap;
use naftiko_runtime::descriptor::{
    ApiKeyPlacement, Argument, Auth, BindSource, BindVariable, Call, Capability, ConsumedApi,
    HttpMethod, ParamLocation, PathPart, TemplatePart, UpstreamOperation, UpstreamParam,
};
use naftiko_runtime::invoke::{self, CapabilityContext};
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream::{self, CallError};
use naftiko_test_support::logs::global_logs;
use naftiko_test_support::{FakeUpstream, Reply};
use serde_json::json;
use sha2::Digest as _;

const BINDS: &[BindVariable] = &[
    BindVariable {
        namespace: "env",
        key: "USER",
        source: BindSource::Env("TEST_USER"),
        used_by: &["capability.consumes[0].authentication"],
    },
    BindVariable {
        namespace: "env",
        key: "SECRET",
        source: BindSource::Env("TEST_SECRET"),
        used_by: &["capability.consumes[0].authentication"],
    },
];

const USER: &str = "Mufasa";
const PASSWORD: &str = "Circle of Life";
/// A key with characters that a query must encode.
const KEY: &str = "k3y/with space&=";
const ENCODED_KEY: &str = "k3y%2Fwith%20space%26%3D";

const USER_TEMPLATE: &[TemplatePart] = &[TemplatePart::Bind(0)];
const SECRET_TEMPLATE: &[TemplatePart] = &[TemplatePart::Bind(1)];

/// Declares a consumed API with `auth`, a `POST /items/{id}?q=` operation with a JSON body,
/// a call that takes its three values from the inputs, and a capability.
macro_rules! authenticated_api {
    ($api:ident, $operation:ident, $call:ident, $capability:ident, $auth:expr) => {
        static $api: ConsumedApi = ConsumedApi {
            namespace: "secured",
            base_uri: "http://127.0.0.1:9",
            base_uri_from: None,
            auth: Some($auth),
        };
        static $operation: UpstreamOperation = UpstreamOperation {
            api: &$api,
            resource: "items",
            name: "update",
            description: None,
            method: HttpMethod::Post,
            path: &[PathPart::Literal("/items/"), PathPart::Param(0)],
            params: &[
                UpstreamParam {
                    name: "id",
                    location: ParamLocation::Path,
                    value: None,
                },
                UpstreamParam {
                    name: "q",
                    location: ParamLocation::Query,
                    value: None,
                },
                UpstreamParam {
                    name: "body",
                    location: ParamLocation::Body,
                    value: None,
                },
            ],
            body: None,
            output_format: naftiko_runtime::descriptor::RawFormat::Json,
            output_scope: None,
        };
        static $call: Call = Call {
            operation: &$operation,
            arguments: &[Argument::Input(0), Argument::Input(1), Argument::Input(2)],
        };
        static $capability: Capability = Capability {
            name: "secured",
            spec_file: "specs/secured.yaml",
            description: None,
            binds: BINDS,
            consumes: &[&$api],
            rest: &[],
            mcp: &[],
            control: &[],
            skill: &[],
        };
    };
}

authenticated_api!(
    HEADER_KEY_API,
    HEADER_KEY_OPERATION,
    HEADER_KEY_CALL,
    HEADER_KEY_CAPABILITY,
    Auth::ApiKey {
        name: "X-Api-Key",
        value: SECRET_TEMPLATE,
        placement: ApiKeyPlacement::Header,
    }
);

authenticated_api!(
    QUERY_KEY_API,
    QUERY_KEY_OPERATION,
    QUERY_KEY_CALL,
    QUERY_KEY_CAPABILITY,
    Auth::ApiKey {
        name: "api_key",
        value: SECRET_TEMPLATE,
        placement: ApiKeyPlacement::Query,
    }
);

authenticated_api!(
    BASIC_API,
    BASIC_OPERATION,
    BASIC_CALL,
    BASIC_CAPABILITY,
    Auth::Basic {
        username: USER_TEMPLATE,
        password: SECRET_TEMPLATE,
    }
);

authenticated_api!(
    DIGEST_API,
    DIGEST_OPERATION,
    DIGEST_CALL,
    DIGEST_CAPABILITY,
    Auth::Digest {
        username: USER_TEMPLATE,
        password: SECRET_TEMPLATE,
    }
);

fn context_with_timeout(
    capability: &'static Capability,
    base_uri: &str,
    secret: &str,
    timeout: Duration,
) -> CapabilityContext {
    let http = upstream::http_client(timeout, Duration::from_secs(2)).expect("HTTP client builds");
    let base_uris = BTreeMap::from([("secured".to_owned(), base_uri.to_owned())]);
    let binds = BindValues::from_values(vec![Secret::new(USER), Secret::new(secret)]);
    CapabilityContext::new(capability, binds, http, &base_uris)
}

fn context(capability: &'static Capability, base_uri: &str, secret: &str) -> CapabilityContext {
    context_with_timeout(capability, base_uri, secret, Duration::from_secs(5))
}

fn inputs() -> Vec<Option<serde_json::Value>> {
    vec![
        Some(json!("42")),
        Some(json!("a b")),
        Some(json!({"name": "new"})),
    ]
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

#[tokio::test]
async fn api_key_in_header() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&HEADER_KEY_CAPABILITY, &upstream.base_uri, "key-1");

    let response = invoke::invoke(&context, &HEADER_KEY_CALL, &inputs())
        .await
        .expect("call succeeds");

    assert_eq!(response.status, 200);
    let request = upstream.only_request();
    assert_eq!(header(&request.headers, "x-api-key"), Some("key-1"));
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(request.query.as_deref(), Some("q=a%20b"));
}

#[tokio::test]
async fn api_key_in_query_is_encoded() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&QUERY_KEY_CAPABILITY, &upstream.base_uri, KEY);

    invoke::invoke(&context, &QUERY_KEY_CALL, &inputs())
        .await
        .expect("call succeeds");

    let request = upstream.only_request();
    let expected = format!("q=a%20b&api_key={ENCODED_KEY}");
    assert_eq!(request.query.as_deref(), Some(expected.as_str()));
    assert!(request.headers.get("x-api-key").is_none());
}

#[tokio::test]
async fn api_key_query_alone() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&QUERY_KEY_CAPABILITY, &upstream.base_uri, "plain");
    let inputs = vec![Some(json!("42")), None, None];

    invoke::invoke(&context, &QUERY_KEY_CALL, &inputs)
        .await
        .expect("call succeeds");

    let request = upstream.only_request();
    assert_eq!(request.query.as_deref(), Some("api_key=plain"));
}

#[tokio::test]
async fn api_key_absent_from_unreachable_error() {
    let base_uri = naftiko_test_support::dead_base_uri().await;
    let context = context(&QUERY_KEY_CAPABILITY, &base_uri, KEY);

    let error = invoke::invoke(&context, &QUERY_KEY_CALL, &inputs())
        .await
        .expect_err("nothing listens");

    assert!(matches!(error, CallError::Unreachable { .. }), "{error:?}");
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(KEY), "{text}");
        assert!(!text.contains(ENCODED_KEY), "{text}");
        assert!(!text.contains("api_key"), "{text}");
    }
}

/// A GET of the query-key API, which is retried after a connection failure.
static QUERY_KEY_READ: UpstreamOperation = UpstreamOperation {
    api: &QUERY_KEY_API,
    resource: "items",
    name: "read",
    description: None,
    method: HttpMethod::Get,
    path: &[PathPart::Literal("/items")],
    params: &[],
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
};

static QUERY_KEY_READ_CALL: Call = Call {
    operation: &QUERY_KEY_READ,
    arguments: &[],
};

#[tokio::test]
async fn api_key_absent_from_retry_logs() {
    // Installs the capturing subscriber before anything logs.
    global_logs();
    let base_uri = naftiko_test_support::dead_base_uri().await;
    let context = context(&QUERY_KEY_CAPABILITY, &base_uri, KEY);

    invoke::invoke(&context, &QUERY_KEY_READ_CALL, &[])
        .await
        .expect_err("nothing listens");

    // Each retry logs a warning, which leaves out the URL and so the key.
    let logs = global_logs();
    assert!(logs.contains("retrying"), "{logs}");
    assert!(!logs.contains(KEY), "{logs}");
    assert!(!logs.contains(ENCODED_KEY), "{logs}");
}

#[tokio::test]
async fn api_key_absent_from_timeout_error() {
    let upstream = FakeUpstream::start_ok().await;
    upstream.reply_with(Reply::json(200, "{}").with_delay(Duration::from_secs(2)));
    let context = context_with_timeout(
        &QUERY_KEY_CAPABILITY,
        &upstream.base_uri,
        KEY,
        Duration::from_millis(200),
    );

    let error = invoke::invoke(&context, &QUERY_KEY_CALL, &inputs())
        .await
        .expect_err("the upstream is too slow");

    assert!(matches!(error, CallError::Timeout { .. }), "{error:?}");
    let debug = format!("{error:?}");
    assert!(!debug.contains(ENCODED_KEY), "{debug}");
}

#[tokio::test]
async fn api_key_header_with_line_break_is_hidden() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&HEADER_KEY_CAPABILITY, &upstream.base_uri, "bad\r\nkey");

    let error = invoke::invoke(&context, &HEADER_KEY_CALL, &inputs())
        .await
        .expect_err("CR/LF in a key is rejected");

    assert_eq!(error.status(), 500);
    assert!(!error.to_string().contains("bad"), "{error}");
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn basic_credentials() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&BASIC_CAPABILITY, &upstream.base_uri, "open sesame");

    invoke::invoke(&context, &BASIC_CALL, &inputs())
        .await
        .expect("call succeeds");

    let request = upstream.only_request();
    // base64("Mufasa:open sesame")
    assert_eq!(
        header(&request.headers, "authorization"),
        Some("Basic TXVmYXNhOm9wZW4gc2VzYW1l")
    );
}

#[tokio::test]
async fn basic_empty_password() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&BASIC_CAPABILITY, &upstream.base_uri, "");

    invoke::invoke(&context, &BASIC_CALL, &inputs())
        .await
        .expect("call succeeds");

    let request = upstream.only_request();
    // base64("Mufasa:")
    assert_eq!(
        header(&request.headers, "authorization"),
        Some("Basic TXVmYXNhOg==")
    );
}

/// What the digest server challenges with.
#[derive(Clone)]
struct DigestSetup {
    /// The `algorithm` value, such as `SHA-256` or `MD5-sess`.
    algorithm: &'static str,
    /// The `qop` value, if any.
    qop: Option<&'static str>,
}

const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
const OPAQUE: &str = "5ccc069c403ebaf9f0171e9517f40e41";
const REALM: &str = "testrealm@host.com";

/// A recorded request to the digest server: its `Authorization` header, body and the
/// server's verdict.
#[derive(Debug, Clone)]
struct DigestAttempt {
    authorization: Option<String>,
    body: bytes::Bytes,
    accepted: bool,
}

/// Starts a server that responds to every request without a valid `Authorization: Digest`
/// header with a `401` challenge, and every valid one with `200 {"ok":true}`.
async fn digest_server(setup: DigestSetup) -> (String, Arc<Mutex<Vec<DigestAttempt>>>) {
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&attempts);
    let app = axum::Router::new().fallback(move |request: Request| {
        let recorder = Arc::clone(&recorder);
        let setup = setup.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .expect("digest server reads the body");
            let authorization = header(&parts.headers, "authorization").map(str::to_owned);
            let target = match parts.uri.query() {
                Some(query) => format!("{}?{query}", parts.uri.path()),
                None => parts.uri.path().to_owned(),
            };
            let accepted = authorization.as_deref().is_some_and(|authorization| {
                verify(&setup, authorization, parts.method.as_str(), &target)
            });
            recorder.lock().expect("attempts lock").push(DigestAttempt {
                authorization,
                body,
                accepted,
            });
            let mut response = axum::response::Response::builder();
            if accepted {
                response = response
                    .status(200)
                    .header("content-type", "application/json");
                return response
                    .body(axum::body::Body::from(r#"{"ok":true}"#))
                    .expect("response builds");
            }
            let mut challenge = format!(
                "Digest realm=\"{REALM}\", nonce=\"{NONCE}\", opaque=\"{OPAQUE}\", algorithm={}",
                setup.algorithm
            );
            if let Some(qop) = setup.qop {
                challenge.push_str(&format!(", qop=\"{qop}\""));
            }
            response
                .status(401)
                .header("www-authenticate", "Basic realm=\"other\"")
                .header("www-authenticate", challenge)
                .body(axum::body::Body::from("unauthorized"))
                .expect("response builds")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("digest server binds a loopback port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}"), attempts)
}

/// Splits `Digest a="x", b=y` into pairs; the values in these tests contain no commas.
fn digest_fields(authorization: &str) -> Option<BTreeMap<String, String>> {
    let fields = authorization.strip_prefix("Digest ")?;
    Some(
        fields
            .split(", ")
            .filter_map(|field| field.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.trim_matches('"').to_owned()))
            .collect(),
    )
}

fn hash(algorithm: &str, text: &str) -> String {
    let bytes: Vec<u8> = if algorithm.starts_with("SHA-256") {
        sha2::Sha256::digest(text.as_bytes()).to_vec()
    } else {
        md5::Md5::digest(text.as_bytes()).to_vec()
    };
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Checks a digest response the way RFC 7616 §3.4.1 defines it, for the known user.
fn verify(setup: &DigestSetup, authorization: &str, method: &str, target: &str) -> bool {
    let Some(fields) = digest_fields(authorization) else {
        return false;
    };
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    if field("username") != USER
        || field("realm") != REALM
        || field("nonce") != NONCE
        || field("opaque") != OPAQUE
        || field("uri") != target
        || field("algorithm") != setup.algorithm
    {
        return false;
    }
    let algorithm = setup.algorithm;
    let cnonce = field("cnonce");
    let mut ha1 = hash(algorithm, &format!("{USER}:{REALM}:{PASSWORD}"));
    if algorithm.ends_with("-sess") {
        ha1 = hash(algorithm, &format!("{ha1}:{NONCE}:{cnonce}"));
    }
    let ha2 = hash(algorithm, &format!("{method}:{target}"));
    let expected = match setup.qop {
        Some(qop) => {
            if field("qop") != qop || field("nc") != "00000001" || cnonce.len() < 16 {
                return false;
            }
            hash(
                algorithm,
                &format!("{ha1}:{NONCE}:00000001:{cnonce}:{qop}:{ha2}"),
            )
        }
        None => hash(algorithm, &format!("{ha1}:{NONCE}:{ha2}")),
    };
    field("response") == expected
}

async fn digest_round_trip(setup: DigestSetup) -> Vec<DigestAttempt> {
    let (base_uri, attempts) = digest_server(setup).await;
    let context = context(&DIGEST_CAPABILITY, &base_uri, PASSWORD);

    let response = invoke::invoke(&context, &DIGEST_CALL, &inputs())
        .await
        .expect("call succeeds");

    assert_eq!(response.status, 200);
    assert_eq!(&response.body[..], br#"{"ok":true}"#);
    attempts.lock().expect("attempts lock").clone()
}

fn assert_challenged_then_accepted(attempts: &[DigestAttempt]) {
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert!(attempts[0].authorization.is_none());
    assert!(!attempts[0].accepted);
    assert!(attempts[1].accepted);
    assert_eq!(&attempts[1].body[..], br#"{"name":"new"}"#);
    assert_eq!(attempts[0].body, attempts[1].body);
}

#[tokio::test]
async fn digest_md5_auth() {
    let attempts = digest_round_trip(DigestSetup {
        algorithm: "MD5",
        qop: Some("auth"),
    })
    .await;
    assert_challenged_then_accepted(&attempts);
}

#[tokio::test]
async fn digest_sha256_auth() {
    let attempts = digest_round_trip(DigestSetup {
        algorithm: "SHA-256",
        qop: Some("auth"),
    })
    .await;
    assert_challenged_then_accepted(&attempts);
}

#[tokio::test]
async fn digest_md5_sess() {
    let attempts = digest_round_trip(DigestSetup {
        algorithm: "MD5-sess",
        qop: Some("auth"),
    })
    .await;
    assert_challenged_then_accepted(&attempts);
}

#[tokio::test]
async fn digest_without_qop() {
    let attempts = digest_round_trip(DigestSetup {
        algorithm: "MD5",
        qop: None,
    })
    .await;
    assert_challenged_then_accepted(&attempts);
}

#[tokio::test]
async fn digest_wrong_password_returns_401() {
    let (base_uri, attempts) = digest_server(DigestSetup {
        algorithm: "SHA-256",
        qop: Some("auth"),
    })
    .await;
    let context = context(&DIGEST_CAPABILITY, &base_uri, "wrong password");

    let response = invoke::invoke(&context, &DIGEST_CALL, &inputs())
        .await
        .expect("the 401 response is returned");

    assert_eq!(response.status, 401);
    let attempts = attempts.lock().expect("attempts lock").clone();
    assert_eq!(attempts.len(), 2, "exactly one retry");
    assert!(attempts[1].authorization.is_some());
    assert!(!attempts[1].accepted);
}

#[tokio::test]
async fn digest_without_challenge_sends_once() {
    let upstream = FakeUpstream::start_ok().await;
    upstream.reply_with(Reply::json(401, r#"{"error":"no"}"#));
    let context = context(&DIGEST_CAPABILITY, &upstream.base_uri, PASSWORD);

    let response = invoke::invoke(&context, &DIGEST_CALL, &inputs())
        .await
        .expect("the 401 response is returned");

    assert_eq!(response.status, 401);
    let request = upstream.only_request();
    assert!(request.headers.get("authorization").is_none());
}
