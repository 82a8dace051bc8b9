//! Graceful shutdown: a request in flight when shutdown begins still completes, the port
//! then closes, and the shutdown timeout bounds the wait for a request that takes too long.

mod common;

use std::collections::BTreeMap;
use std::env::VarError;
use std::time::{Duration, Instant};

use common::{CAPABILITIES, CONSUMES_NAMESPACE, MCP_NAMESPACE, REST_NAMESPACE};
use naftiko_runtime::serve::{self, ServeOptions};
use naftiko_test_support::loopback_http;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

fn env_with_token(name: &str) -> Result<String, VarError> {
    match name {
        common::TOKEN_VARIABLE => Ok("dckr_oat_shutdown-token".to_owned()),
        _ => Err(VarError::NotPresent),
    }
}

/// Starts an upstream that responds `200 {}` to each request after `delay`.
async fn slow_upstream(delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let address = listener.local_addr().expect("has an address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0_u8; 4096];
                let _ = stream.read(&mut buffer).await;
                tokio::time::sleep(delay).await;
                let response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                                Content-Length: 2\r\nConnection: close\r\n\r\n{}";
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{address}")
}

fn options(base_uri: &str, shutdown_timeout: Duration) -> ServeOptions {
    ServeOptions {
        ports: BTreeMap::from([
            (REST_NAMESPACE.to_owned(), 0),
            (MCP_NAMESPACE.to_owned(), 0),
        ]),
        base_uris: BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), base_uri.to_owned())]),
        shutdown_timeout,
        ..ServeOptions::default()
    }
}

#[tokio::test]
async fn in_flight_request_completes() {
    let upstream = slow_upstream(Duration::from_millis(1500)).await;
    let options = options(&upstream, Duration::from_secs(10));
    let server = serve::start(CAPABILITIES, &options, env_with_token)
        .await
        .expect("server starts");
    let address = server.listeners()[0].address;
    let url = format!("http://{address}/v1/v2/orgs/acme/access-tokens");

    let request = tokio::spawn(async move { loopback_http().get(url).send().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shutdown = server.shutdown_token();
    let waiting = tokio::spawn(server.wait_with_shutdown_timeout(Duration::from_secs(10)));
    shutdown.cancel();

    let response = request
        .await
        .expect("request task joins")
        .expect("the in-flight request completes");
    assert_eq!(response.status().as_u16(), 200);
    waiting
        .await
        .expect("wait task joins")
        .expect("server stops cleanly");
    assert!(
        TcpStream::connect(address).await.is_err(),
        "the port is closed after shutdown"
    );
}

#[tokio::test]
async fn shutdown_timeout_stops_waiting() {
    let upstream = slow_upstream(Duration::from_secs(30)).await;
    let options = options(&upstream, Duration::from_millis(500));
    let server = serve::start(CAPABILITIES, &options, env_with_token)
        .await
        .expect("server starts");
    let address = server.listeners()[0].address;
    let url = format!("http://{address}/v1/v2/orgs/acme/access-tokens");

    let request = tokio::spawn(async move { loopback_http().get(url).send().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shutdown = server.shutdown_token();
    let started = Instant::now();
    shutdown.cancel();
    server
        .wait_with_shutdown_timeout(Duration::from_millis(500))
        .await
        .expect("server stops cleanly");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(
        !request.is_finished(),
        "the slow request was still in flight"
    );
    assert!(TcpStream::connect(address).await.is_err());
    request.abort();
}
