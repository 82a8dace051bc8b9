//! Control and skill adapters (`specs/operations.yaml`), served by `serve::start` as the
//! binary serves them: probes and metrics that follow REST traffic, and a skill catalog
//! whose files are embedded at build time.

use std::collections::BTreeMap;
use std::env::VarError;

use naftiko_feature_tests::operations::CAPABILITY;
use naftiko_runtime::serve::{self, ServeOptions};
use serde_json::json;

use naftiko_test_support as support;
use support::{FakeUpstream, Reply};

const TOKEN: &str = "registry-token-11";

fn env(name: &str) -> Result<String, VarError> {
    match name {
        "FLEET_REGISTRY_TOKEN" => Ok(TOKEN.to_owned()),
        _ => Err(VarError::NotPresent),
    }
}

/// The capability alone, as `serve --only operations` would select it.
static CAPABILITIES: &[&naftiko_runtime::descriptor::Capability] = &[&CAPABILITY];

/// Serves the capability on free loopback ports and returns the server and the URL of
/// each adapter by namespace.
async fn start(upstream: &FakeUpstream) -> (serve::Server, BTreeMap<String, String>) {
    let namespaces = ["fleet-rest", "fleet-control", "fleet-skills"];
    let options = ServeOptions {
        ports: namespaces.iter().map(|n| ((*n).to_owned(), 0)).collect(),
        base_uris: BTreeMap::from([("registry".to_owned(), upstream.base_uri.clone())]),
        ..ServeOptions::default()
    };
    let server = serve::start(CAPABILITIES, &options, env)
        .await
        .expect("the capability starts");
    let urls = server
        .listeners()
        .iter()
        .map(|listener| (listener.namespace.to_owned(), listener.url()))
        .collect();
    (server, urls)
}

#[tokio::test]
async fn control_probes_and_metrics() {
    let upstream = FakeUpstream::start(|_| Reply::json(200, json!({"vessel_name": "x"}))).await;
    let (server, urls) = start(&upstream).await;
    let control = &urls["fleet-control"];

    let live = support::get(&format!("{control}/health/live")).await;
    assert_eq!(live.status, 200, "{}", live.body);
    let ready = support::get(&format!("{control}/health/ready")).await;
    assert_eq!(ready.status, 200, "{}", ready.body);

    let ship = support::get(&format!("{}/ships/9319466", urls["fleet-rest"])).await;
    assert_eq!(ship.status, 200, "{}", ship.body);
    let metrics = support::get(&format!("{control}/metrics")).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("fleet-rest"), "{}", metrics.body);
    assert!(metrics.body.contains("get-ship"), "{}", metrics.body);

    server.shutdown_token().cancel();
    server.wait().await.expect("the server stops");
}

#[tokio::test]
async fn skill_catalog_and_files() {
    let upstream = FakeUpstream::start_ok().await;
    let (server, urls) = start(&upstream).await;
    let skills = &urls["fleet-skills"];

    let catalog = support::get(&format!("{skills}/skills")).await;
    assert_eq!(catalog.status, 200, "{}", catalog.body);
    assert!(catalog.body.contains("fleet-ops"), "{}", catalog.body);

    let guide = support::get(&format!(
        "{skills}/skills/fleet-ops/contents/charter-guide.md"
    ))
    .await;
    assert_eq!(guide.status, 200, "{}", guide.body);
    assert_eq!(
        guide.body,
        include_str!("../specs/assets/skills/fleet-ops/charter-guide.md")
    );

    server.shutdown_token().cancel();
    server.wait().await.expect("the server stops");
}
