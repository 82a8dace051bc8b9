//! The `--health` listener: liveness and readiness on their own port, and nothing else.

mod common;

use std::collections::BTreeMap;
use std::env::VarError;

use common::{CAPABILITIES, CONSUMES_NAMESPACE, MCP_NAMESPACE, REST_NAMESPACE};
use naftiko_runtime::serve::{self, ServeOptions};
use naftiko_test_support::loopback_http;
use serde_json::Value;

fn env_with_token(name: &str) -> Result<String, VarError> {
    match name {
        common::TOKEN_VARIABLE => Ok("dckr_oat_health-token".to_owned()),
        _ => Err(VarError::NotPresent),
    }
}

async fn get(url: &str) -> (u16, Value) {
    let response = loopback_http()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|error| panic!("request to {url} failed: {error}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn health_listener_serves_probes_only() {
    let options = ServeOptions {
        ports: BTreeMap::from([
            (REST_NAMESPACE.to_owned(), 0),
            (MCP_NAMESPACE.to_owned(), 0),
        ]),
        // Port 9 on loopback: nothing is sent there, because no adapter request is made.
        base_uris: BTreeMap::from([(
            CONSUMES_NAMESPACE.to_owned(),
            "http://127.0.0.1:9".to_owned(),
        )]),
        health: Some("127.0.0.1:0".parse().expect("valid address")),
        ..ServeOptions::default()
    };
    let server = serve::start(CAPABILITIES, &options, env_with_token)
        .await
        .expect("server starts");
    let health = server.health_address().expect("health listener is bound");
    assert!(health.ip().is_loopback());
    assert_ne!(health.port(), 0);

    let (status, body) = get(&format!("http://{health}/health/live")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "UP");
    let (status, body) = get(&format!("http://{health}/health/ready")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "UP");
    let (status, _) = get(&format!("http://{health}/v1/v2/orgs/acme/access-tokens")).await;
    assert_eq!(status, 404);

    assert!(server.stop_listener(0));
    let (status, body) = get(&format!("http://{health}/health/ready")).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "DEGRADED");

    server.shutdown_token().cancel();
    server.wait().await.expect("server stops cleanly");
}
