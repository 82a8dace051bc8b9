//! Retries of idempotent upstream requests after a connection failure, and none after a
//! response.

mod common;

use std::collections::BTreeMap;
use std::env::VarError;
use std::time::Duration;

use common::{CAPABILITIES, CONSUMES_NAMESPACE, MCP_NAMESPACE, REST_NAMESPACE};
use naftiko_runtime::serve::{self, ServeOptions};
use naftiko_test_support::{FakeUpstream, Reply, loopback_http};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

fn env_with_token(name: &str) -> Result<String, VarError> {
    match name {
        common::TOKEN_VARIABLE => Ok("dckr_oat_retry-token".to_owned()),
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

#[tokio::test]
async fn connection_refused_then_success() {
    // A port that refuses connections until an upstream binds it 50 ms later, before the
    // second of the two retries.
    let reserved = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let address = reserved.local_addr().expect("has an address");
    drop(reserved);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let listener = TcpListener::bind(address).await.expect("rebinds the port");
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0_u8; 4096];
            let _ = stream.read(&mut buffer).await;
            let response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                            Content-Length: 2\r\nConnection: close\r\n\r\n{}";
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });

    let server = serve::start(
        CAPABILITIES,
        &options(&format!("http://{address}")),
        env_with_token,
    )
    .await
    .expect("server starts");
    let url = format!(
        "{}/v1/v2/orgs/acme/access-tokens",
        server.listeners()[0].url()
    );
    let response = loopback_http()
        .get(url)
        .send()
        .await
        .expect("server responds");
    assert_eq!(response.status().as_u16(), 200);

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

#[tokio::test]
async fn no_retry_after_500() {
    let upstream = FakeUpstream::start_ok().await;
    upstream.reply_with(Reply::json(500, r#"{"message": "boom"}"#));
    let server = serve::start(CAPABILITIES, &options(&upstream.base_uri), env_with_token)
        .await
        .expect("server starts");
    let url = format!(
        "{}/v1/v2/orgs/acme/access-tokens",
        server.listeners()[0].url()
    );
    let response = loopback_http()
        .get(url)
        .send()
        .await
        .expect("server responds");
    assert_eq!(response.status().as_u16(), 500);
    assert_eq!(upstream.requests().len(), 1);

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}

#[tokio::test]
async fn no_retry_when_disabled() {
    let reserved = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let address = reserved.local_addr().expect("has an address");
    drop(reserved);
    let options = ServeOptions {
        retries: 0,
        ..options(&format!("http://{address}"))
    };
    let server = serve::start(CAPABILITIES, &options, env_with_token)
        .await
        .expect("server starts");
    let url = format!(
        "{}/v1/v2/orgs/acme/access-tokens",
        server.listeners()[0].url()
    );
    let response = loopback_http()
        .get(url)
        .send()
        .await
        .expect("server responds");
    assert_eq!(response.status().as_u16(), 502);

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}
