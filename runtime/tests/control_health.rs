//! Health, readiness and status endpoints of the control adapter, its listener line, `list`
//! and endpoints that the adapter does not enable.

mod common;
mod control_fixture;

use std::time::Duration;

use common::{MCP_NAMESPACE, REST_NAMESPACE};
use control_fixture::{CONTROL_NAMESPACE, OPEN_CAPABILITIES, client, start, url_of};
use naftiko_runtime::serve::{self, AdapterKind};
use naftiko_test_support::FakeUpstream;
use serde_json::Value;

async fn get_json(url: &str) -> (u16, Value) {
    let response = client()
        .get(url)
        .send()
        .await
        .expect("control adapter responds");
    let status = response.status().as_u16();
    let body = response.json().await.expect("JSON body");
    (status, body)
}

#[tokio::test]
async fn live_answers_up() {
    let upstream = FakeUpstream::start_ok().await;
    let server = start(OPEN_CAPABILITIES, &upstream.base_uri).await;
    let control = url_of(&server, AdapterKind::Control);
    let (status, body) = get_json(&format!("{control}/health/live")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "UP");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_flips_when_a_listener_stops() {
    let upstream = FakeUpstream::start_ok().await;
    let server = start(OPEN_CAPABILITIES, &upstream.base_uri).await;
    let control = url_of(&server, AdapterKind::Control);
    let ready_url = format!("{control}/health/ready");

    let (status, body) = get_json(&ready_url).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "UP");
    let adapters = body["adapters"].as_array().expect("adapters array");
    assert_eq!(adapters.len(), 3, "{body}");
    assert!(
        adapters.iter().all(|adapter| adapter["state"] == "started"),
        "{body}"
    );

    let rest_index = server
        .listeners()
        .iter()
        .position(|listener| listener.kind == AdapterKind::Rest)
        .expect("a REST listener");
    assert!(server.stop_listener(rest_index));
    assert!(!server.stop_listener(99));

    // The flag drops once the server task polls the cancelled token, so poll briefly.
    let mut last = (0, Value::Null);
    for _ in 0..50 {
        last = get_json(&ready_url).await;
        if last.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = last;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "DEGRADED");
    let rest = body["adapters"]
        .as_array()
        .and_then(|adapters| adapters.iter().find(|adapter| adapter["type"] == "rest"))
        .expect("the REST adapter is listed");
    assert_eq!(rest["state"], "stopped", "{body}");
    assert_eq!(rest["namespace"], REST_NAMESPACE);
    let mcp = body["adapters"]
        .as_array()
        .and_then(|adapters| adapters.iter().find(|adapter| adapter["type"] == "mcp"))
        .expect("the MCP adapter is listed");
    assert_eq!(mcp["state"], "started", "{body}");
    assert!(!server.listener_states().all_serving());
}

#[tokio::test]
async fn status_lists_capabilities_and_adapters() {
    let upstream = FakeUpstream::start_ok().await;
    let server = start(OPEN_CAPABILITIES, &upstream.base_uri).await;
    let control = url_of(&server, AdapterKind::Control);
    let (status, body) = get_json(&format!("{control}/status")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["capabilities"][0]["name"],
        "docker-hub-org-access-tokens"
    );
    assert_eq!(
        body["capabilities"][0]["specFile"],
        "specs/docker-hub-org-access-tokens.yaml"
    );
    assert_eq!(body["engine"]["version"], env!("CARGO_PKG_VERSION"));
    let uptime = body["uptime"].as_str().expect("uptime string");
    assert!(
        uptime.starts_with("PT") && uptime.ends_with(['S', 'M', 'H']),
        "{uptime}"
    );
    assert!(
        body["uptimeSeconds"]
            .as_f64()
            .is_some_and(|seconds| seconds >= 0.0)
    );

    let adapters = body["adapters"].as_array().expect("adapters array");
    let namespaces: Vec<&str> = adapters
        .iter()
        .filter_map(|adapter| adapter["namespace"].as_str())
        .collect();
    assert_eq!(
        namespaces,
        [REST_NAMESPACE, MCP_NAMESPACE, CONTROL_NAMESPACE]
    );
    for (adapter, listener) in adapters.iter().zip(server.listeners()) {
        assert_eq!(adapter["address"], listener.address.to_string());
        assert_eq!(adapter["port"], listener.address.port());
        assert_eq!(adapter["url"], listener.url());
        assert_eq!(adapter["state"], "started");
    }
}

#[tokio::test]
async fn unknown_path_is_json_404() {
    let upstream = FakeUpstream::start_ok().await;
    let server = start(OPEN_CAPABILITIES, &upstream.base_uri).await;
    let control = url_of(&server, AdapterKind::Control);
    let (status, body) = get_json(&format!("{control}/traces")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn control_listener_line_and_port_override() {
    let upstream = FakeUpstream::start_ok().await;
    let server = start(OPEN_CAPABILITIES, &upstream.base_uri).await;
    let listener = server
        .listeners()
        .iter()
        .find(|listener| listener.kind == AdapterKind::Control)
        .expect("a control listener");
    // `--port ops=0` replaced the spec's port 9199.
    assert_ne!(listener.address.port(), 9199);
    assert!(listener.address.ip().is_loopback());
    assert_eq!(
        listener.to_string(),
        format!(
            "control {CONTROL_NAMESPACE} listening on http://{}",
            listener.address
        )
    );
}

#[test]
fn list_shows_control_endpoints() {
    let mut out = Vec::new();
    serve::list(OPEN_CAPABILITIES, &mut out).expect("list writes");
    let text = String::from_utf8(out).expect("UTF-8 output");
    assert!(
        text.contains(&format!(
            "  control {CONTROL_NAMESPACE} on http://127.0.0.1:9199\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("    GET /health/live, GET /health/ready\n"),
        "{text}"
    );
    assert!(text.contains("    GET /status\n"), "{text}");
    assert!(text.contains("    GET /metrics\n"), "{text}");
}
