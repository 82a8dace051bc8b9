//! Start-up of the Docker Hub capability: option checks, binds, listeners and `list`.

mod common;

use std::collections::BTreeMap;
use std::env::VarError;

use common::{CAPABILITIES, CONSUMES_NAMESPACE, MCP_NAMESPACE, REST_NAMESPACE};
use naftiko_runtime::serve::{self, AdapterKind, ServeError, ServeOptions};
use naftiko_test_support::FakeUpstream;

const TOKEN: &str = "dckr_oat_serve-token";

fn env_with_token(name: &str) -> Result<String, VarError> {
    match name {
        common::TOKEN_VARIABLE => Ok(TOKEN.to_owned()),
        _ => Err(VarError::NotPresent),
    }
}

/// Options that bind every adapter to a free loopback port.
fn loopback_options(upstream_base_uri: &str) -> ServeOptions {
    ServeOptions {
        address: None,
        ports: BTreeMap::from([
            (REST_NAMESPACE.to_owned(), 0),
            (MCP_NAMESPACE.to_owned(), 0),
        ]),
        base_uris: BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), upstream_base_uri.to_owned())]),
        ..ServeOptions::default()
    }
}

async fn start_error(options: &ServeOptions) -> String {
    match serve::start(CAPABILITIES, options, env_with_token).await {
        Ok(_) => panic!("start-up should fail"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn start_serves_rest_and_mcp() {
    let upstream = FakeUpstream::start_ok().await;
    let server = serve::start(
        CAPABILITIES,
        &loopback_options(&upstream.base_uri),
        env_with_token,
    )
    .await
    .expect("server starts");

    let listeners = server.listeners().to_vec();
    assert_eq!(listeners.len(), 2);
    assert_eq!(listeners[0].kind, AdapterKind::Rest);
    assert_eq!(listeners[0].namespace, REST_NAMESPACE);
    assert!(listeners[0].address.ip().is_loopback());
    assert_ne!(listeners[0].address.port(), 0);
    assert_eq!(listeners[1].kind, AdapterKind::Mcp);
    assert!(listeners[1].url().ends_with("/mcp"));
    assert_eq!(
        listeners[0].to_string(),
        format!(
            "rest {REST_NAMESPACE} listening on http://{}",
            listeners[0].address
        )
    );

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("test client builds");
    let response = client
        .get(format!(
            "{}/v1/v2/orgs/acme/access-tokens",
            listeners[0].url()
        ))
        .send()
        .await
        .expect("REST adapter responds");
    assert_eq!(response.status().as_u16(), 200);
    let request = upstream.only_request();
    assert_eq!(
        request.headers["authorization"].to_str().ok(),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    server.shutdown_token().cancel();
    server.wait().await.expect("adapters stop cleanly");
}

#[tokio::test]
async fn start_rejects_missing_variable() {
    let upstream = FakeUpstream::start_ok().await;
    let result = serve::start(CAPABILITIES, &loopback_options(&upstream.base_uri), |_| {
        Err(VarError::NotPresent)
    })
    .await;

    let Err(error) = result else {
        panic!("start-up should fail without the token");
    };
    assert!(matches!(error, ServeError::Bind(_)));
    let message = error.to_string();
    assert!(
        message.contains("DOCKER_HUB_API_KEY is not set"),
        "{message}"
    );
    assert!(
        message.contains("specs/docker-hub-org-access-tokens.yaml"),
        "{message}"
    );
    assert!(
        message.contains("capability.consumes[0].authentication.token"),
        "{message}"
    );
}

#[tokio::test]
async fn start_rejects_unknown_port_namespace() {
    let mut options = loopback_options("http://127.0.0.1:9");
    options.ports.insert("no-such-adapter".to_owned(), 0);

    let message = start_error(&options).await;

    assert!(
        message.contains("--port names `no-such-adapter`"),
        "{message}"
    );
    assert!(message.contains(REST_NAMESPACE), "{message}");
}

#[tokio::test]
async fn start_rejects_unknown_base_uri_namespace() {
    let mut options = loopback_options("http://127.0.0.1:9");
    options
        .base_uris
        .insert("no-such-api".to_owned(), "http://127.0.0.1:9".to_owned());

    let message = start_error(&options).await;

    assert!(
        message.contains("--base-uri names `no-such-api`"),
        "{message}"
    );
    assert!(message.contains(CONSUMES_NAMESPACE), "{message}");
}

#[tokio::test]
async fn start_rejects_invalid_base_uri() {
    for uri in ["not a url", "ftp://127.0.0.1/", "http://127.0.0.1/?key=1"] {
        let message = start_error(&loopback_options(uri)).await;
        assert!(
            message.starts_with("invalid --base-uri"),
            "{uri}: {message}"
        );
    }
}

#[tokio::test]
async fn start_reports_port_in_use() {
    let occupied = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let port = occupied.local_addr().expect("local address").port();
    let mut options = loopback_options("http://127.0.0.1:9");
    options.ports.insert(REST_NAMESPACE.to_owned(), port);

    let message = start_error(&options).await;

    assert!(
        message.contains(&format!("failed to listen on 127.0.0.1:{port}")),
        "{message}"
    );
    assert!(
        message.contains(&format!("rest adapter `{REST_NAMESPACE}`")),
        "{message}"
    );
}

#[test]
fn list_shows_routes_and_tools() {
    let mut output = Vec::new();
    serve::list(CAPABILITIES, &mut output).expect("list writes to memory");
    let text = String::from_utf8(output).expect("list output is UTF-8");

    let expected_lines = [
        "capability docker-hub-org-access-tokens (specs/docker-hub-org-access-tokens.yaml)",
        "  consumes docker-hub-org-access-tokens at https://hub.docker.com",
        "  rest docker-hub-org-access-tokens-rest on http://127.0.0.1:8080",
        "    POST /v1/v2/orgs/{name}/access-tokens -> docker-hub-org-access-tokens.v2-orgs-name-access-tokens.post (POST /v2/orgs/{name}/access-tokens)",
        "    DELETE /v1/v2/orgs/{org-name}/access-tokens/{access-token-id} -> docker-hub-org-access-tokens.v2-orgs-org_name-access-tokens-access_token_id.delete (DELETE /v2/orgs/{org_name}/access-tokens/{access_token_id})",
        "  mcp docker-hub-org-access-tokens-mcp on http://127.0.0.1:9090/mcp",
        "    tool get-access-token -> docker-hub-org-access-tokens.v2-orgs-org_name-access-tokens-access_token_id.get (GET /v2/orgs/{org_name}/access-tokens/{access_token_id})",
    ];
    for line in expected_lines {
        assert!(
            text.lines().any(|actual| actual == line),
            "missing {line:?} in:\n{text}"
        );
    }
    assert_eq!(text.lines().count(), 1 + 1 + 1 + 5 + 1 + 5);
}
