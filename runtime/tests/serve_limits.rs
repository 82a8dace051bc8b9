//! Listener limits and upstream timeouts set through `ServeOptions`: the largest request
//! body, the most concurrent requests, the upstream timeout and `select_capabilities`.

mod common;

use std::collections::BTreeMap;
use std::env::VarError;
use std::time::{Duration, Instant};

use common::{CAPABILITIES, CONSUMES_NAMESPACE, MCP_NAMESPACE, REST_NAMESPACE};
use naftiko_runtime::serve::{self, ServeOptions};
use naftiko_test_support::loopback_http;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

fn env_with_token(name: &str) -> Result<String, VarError> {
    match name {
        common::TOKEN_VARIABLE => Ok("dckr_oat_limits-token".to_owned()),
        _ => Err(VarError::NotPresent),
    }
}

fn options(base_uri: &str) -> ServeOptions {
    ServeOptions {
        ports: BTreeMap::from([
            (REST_NAMESPACE.to_owned(), 0),
            (MCP_NAMESPACE.to_owned(), 0),
        ]),
        base_uris: BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), base_uri.to_owned())]),
        ..ServeOptions::default()
    }
}

/// Starts an upstream that accepts connections and reads requests but never responds.
async fn silent_upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let address = listener.local_addr().expect("has an address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0_u8; 1024];
                while matches!(stream.read(&mut buffer).await, Ok(read) if read > 0) {}
            });
        }
    });
    format!("http://{address}")
}

fn tokens_url(server: &serve::Server) -> String {
    format!(
        "{}/v1/v2/orgs/acme/access-tokens",
        server.listeners()[0].url()
    )
}

#[tokio::test]
async fn oversized_body_gets_413() {
    let upstream = silent_upstream().await;
    let options = ServeOptions {
        max_body_bytes: 16,
        ..options(&upstream)
    };
    let server = serve::start(CAPABILITIES, &options, env_with_token)
        .await
        .expect("server starts");

    let response = loopback_http()
        .post(tokens_url(&server))
        .header("content-type", "application/json")
        .body(format!(r#"{{"label": "{}"}}"#, "x".repeat(64)))
        .send()
        .await
        .expect("server responds");
    assert_eq!(response.status().as_u16(), 413);
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["error"]["code"], "body_too_large");

    // A chunked body has no declared length, so it is counted while it is read.
    let address = server.listeners()[0].address;
    let mut stream = TcpStream::connect(address).await.expect("connects");
    let chunk = "y".repeat(40);
    let request = format!(
        "POST /v1/v2/orgs/acme/access-tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         {:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.expect("reads");
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

/// A limit above the default holds for REST operations too, not only for MCP.
#[tokio::test]
async fn raised_body_limit_reaches_rest_operations() {
    let upstream = naftiko_test_support::FakeUpstream::start_ok().await;
    upstream.reply_with(naftiko_test_support::Reply::json(201, "{}"));
    let options = ServeOptions {
        max_body_bytes: 2 * serve::DEFAULT_MAX_BODY_BYTES,
        ..options(&upstream.base_uri)
    };
    let server = serve::start(CAPABILITIES, &options, env_with_token)
        .await
        .expect("server starts");

    let label = "x".repeat(serve::DEFAULT_MAX_BODY_BYTES + 1);
    let response = loopback_http()
        .post(tokens_url(&server))
        .header("content-type", "application/json")
        .body(format!(r#"{{"label": "{label}"}}"#))
        .send()
        .await
        .expect("server responds");
    assert_eq!(response.status().as_u16(), 201);
    let sent: Value = serde_json::from_slice(&upstream.only_request().body).expect("JSON body");
    assert_eq!(sent["label"].as_str().map(str::len), Some(label.len()));

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

/// A client that never finishes its headers loses the connection, so slow clients cannot
/// hold the server's file descriptors.
#[tokio::test]
async fn unfinished_headers_are_cut_off() {
    let upstream = silent_upstream().await;
    let server = serve::start(CAPABILITIES, &options(&upstream), env_with_token)
        .await
        .expect("server starts");

    let address = server.listeners()[0].address;
    let mut stream = TcpStream::connect(address).await.expect("connects");
    stream
        .write_all(b"GET /v1/v2/orgs/acme/access-tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("sends part of the headers");
    let limit = naftiko_runtime::http_server::HEADER_READ_TIMEOUT + Duration::from_secs(5);
    let mut reply = Vec::new();
    let closed = tokio::time::timeout(limit, stream.read_to_end(&mut reply)).await;
    assert!(
        closed.is_ok(),
        "the connection is still open after {limit:?}"
    );

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

#[tokio::test]
async fn excess_concurrency_gets_503() {
    let upstream = silent_upstream().await;
    let options = ServeOptions {
        max_concurrency: Some(1),
        ..options(&upstream)
    };
    let server = serve::start(CAPABILITIES, &options, env_with_token)
        .await
        .expect("server starts");

    // This request holds the only permit while its body never arrives.
    let address = server.listeners()[0].address;
    let mut held = TcpStream::connect(address).await.expect("connects");
    held.write_all(
        b"POST /v1/v2/orgs/acme/access-tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .await
    .expect("sends");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let response = loopback_http()
        .get(tokens_url(&server))
        .send()
        .await
        .expect("server responds");
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["error"]["code"], "overloaded");
    drop(held);

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

#[tokio::test]
async fn upstream_timeout_gets_504() {
    let upstream = silent_upstream().await;
    let options = ServeOptions {
        upstream_timeout: Duration::from_secs(1),
        ..options(&upstream)
    };
    let server = serve::start(CAPABILITIES, &options, env_with_token)
        .await
        .expect("server starts");

    let started = Instant::now();
    let response = loopback_http()
        .get(tokens_url(&server))
        .send()
        .await
        .expect("server responds");
    assert_eq!(response.status().as_u16(), 504);
    assert!(started.elapsed() < Duration::from_secs(10));
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["error"]["code"], "upstream_timeout");

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

#[test]
fn only_selects_named_capabilities() {
    let all = serve::select_capabilities(CAPABILITIES, &[]).expect("empty selects all");
    assert_eq!(all.len(), CAPABILITIES.len());

    let named = [common::CAPABILITY.name.to_owned()];
    let selected = serve::select_capabilities(CAPABILITIES, &named).expect("known name");
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0].name, common::CAPABILITY.name);

    let error = serve::select_capabilities(CAPABILITIES, &["nope".to_owned()])
        .expect_err("unknown name is rejected")
        .to_string();
    assert!(error.contains("`nope`"), "{error}");
    assert!(error.contains(common::CAPABILITY.name), "{error}");
}
