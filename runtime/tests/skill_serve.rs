//! Starting a skill adapter through `serve::start`: its listener, `--port` overrides and
//! the `list` output.

mod skill_fixture;

use std::collections::BTreeMap;
use std::env::VarError;

use naftiko_runtime::descriptor::Capability;
use naftiko_runtime::serve::{self, AdapterKind, ServeError, ServeOptions};
use naftiko_test_support::loopback_http;
use reqwest::StatusCode;
use serde_json::Value;

use skill_fixture::CAPABILITY;

static CAPABILITIES: &[&Capability] = &[&CAPABILITY];

fn no_env(_: &str) -> Result<String, VarError> {
    Err(VarError::NotPresent)
}

/// Options that move both adapters of the fixture to free ports.
fn free_ports() -> ServeOptions {
    ServeOptions {
        ports: BTreeMap::from([
            ("orders-rest".to_owned(), 0),
            ("orders-skills".to_owned(), 0),
        ]),
        ..ServeOptions::default()
    }
}

#[tokio::test]
async fn start_serves_skill_listener() {
    let server = serve::start(CAPABILITIES, &free_ports(), no_env)
        .await
        .expect("adapters start");
    let listener = server
        .listeners()
        .iter()
        .find(|listener| listener.kind == AdapterKind::Skill)
        .expect("a skill listener")
        .clone();
    assert_eq!(listener.namespace, "orders-skills");
    // The spec's port 9097 is overridden by `--port orders-skills=0`.
    assert_ne!(listener.address.port(), 9097);
    assert_eq!(listener.url(), format!("http://{}", listener.address));
    assert_eq!(
        listener.to_string(),
        format!(
            "skill orders-skills listening on http://{}",
            listener.address
        )
    );

    let response = loopback_http()
        .get(format!("{}/skills", listener.url()))
        .send()
        .await
        .expect("request reaches the adapter");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["count"], 4);

    server.shutdown_token().cancel();
    server.wait().await.expect("adapters stop cleanly");
}

#[tokio::test]
async fn port_override_names_skill_adapter() {
    let options = ServeOptions {
        ports: BTreeMap::from([("nope".to_owned(), 0)]),
        ..ServeOptions::default()
    };
    let error = match serve::start(CAPABILITIES, &options, no_env).await {
        Ok(_) => panic!("an unknown namespace must be rejected"),
        Err(error) => error,
    };
    assert!(
        matches!(error, ServeError::UnknownAdapter { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("orders-skills"), "{message}");
}

#[test]
fn list_shows_skills() {
    let mut output = Vec::new();
    serve::list(CAPABILITIES, &mut output).expect("list writes to memory");
    let output = String::from_utf8(output).expect("UTF-8 output");
    assert!(
        output.contains("  skill orders-skills on http://127.0.0.1:9097/skills\n"),
        "{output}"
    );
    assert!(
        output.contains("    skill orders (3 tools, 3 files)\n"),
        "{output}"
    );
    assert!(
        output.contains("    skill onboarding-guide (0 tools, 0 files)\n"),
        "{output}"
    );
}
