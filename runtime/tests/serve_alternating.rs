//! One rmcp client whose consecutive HTTP requests reach two different running servers, as
//! behind a load balancer: every call succeeds because the MCP server keeps no session.

mod common;

use std::collections::BTreeMap;
use std::env::VarError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{CAPABILITIES, CONSUMES_NAMESPACE, MCP_NAMESPACE, REST_NAMESPACE};
use naftiko_runtime::serve::{self, AdapterKind, ServeOptions};
use naftiko_test_support::FakeUpstream;
use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

fn env_with_token(name: &str) -> Result<String, VarError> {
    match name {
        common::TOKEN_VARIABLE => Ok("dckr_oat_alternating-token".to_owned()),
        _ => Err(VarError::NotPresent),
    }
}

async fn start_server(upstream: &FakeUpstream) -> (serve::Server, SocketAddr) {
    let options = ServeOptions {
        ports: BTreeMap::from([
            (REST_NAMESPACE.to_owned(), 0),
            (MCP_NAMESPACE.to_owned(), 0),
        ]),
        base_uris: BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), upstream.base_uri.clone())]),
        ..ServeOptions::default()
    };
    let server = serve::start(CAPABILITIES, &options, env_with_token)
        .await
        .expect("server starts");
    let address = server
        .listeners()
        .iter()
        .find(|listener| listener.kind == AdapterKind::Mcp)
        .expect("an MCP listener")
        .address;
    (server, address)
}

/// Starts a TCP forwarder that sends each new connection to the next of `targets` in turn,
/// and returns its address and the number of connections sent to each target.
async fn alternating_forwarder(targets: [SocketAddr; 2]) -> (SocketAddr, Arc<[AtomicUsize; 2]>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let address = listener.local_addr().expect("has an address");
    let counts = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let task_counts = Arc::clone(&counts);
    tokio::spawn(async move {
        let mut next = 0_usize;
        while let Ok((mut inbound, _)) = listener.accept().await {
            let target = next % 2;
            next += 1;
            task_counts[target].fetch_add(1, Ordering::SeqCst);
            let target = targets[target];
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (address, counts)
}

#[tokio::test]
async fn client_alternates_between_servers() {
    let first_upstream = FakeUpstream::start_ok().await;
    let second_upstream = FakeUpstream::start_ok().await;
    let (first, first_address) = start_server(&first_upstream).await;
    let (second, second_address) = start_server(&second_upstream).await;
    let (forwarder, counts) = alternating_forwarder([first_address, second_address]).await;

    // No idle connection is kept, so each HTTP request opens a connection and the forwarder
    // sends consecutive requests to different servers.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .expect("builds an HTTP client");
    let transport = StreamableHttpClientTransport::with_client(
        http,
        StreamableHttpClientTransportConfig::with_uri(format!("http://{forwarder}/mcp")),
    );
    let client = ClientConfig::default()
        .serve(transport)
        .await
        .expect("client connects through the forwarder");

    let tools = client.list_all_tools().await.expect("tools/list succeeds");
    assert_eq!(tools.len(), 5);
    // One HTTP request per call, so consecutive calls reach different servers.
    for round in 0..6 {
        let arguments = json!({"name": "acme"});
        let arguments = arguments.as_object().cloned().unwrap_or_default();
        let result = client
            .call_tool(CallToolRequestParams::new("list-access-tokens").with_arguments(arguments))
            .await
            .unwrap_or_else(|error| panic!("round {round}: tools/call failed: {error}"));
        assert_eq!(result.is_error, Some(false), "round {round}");
    }
    client.cancel().await.expect("client closes");

    let first_connections = counts[0].load(Ordering::SeqCst);
    let second_connections = counts[1].load(Ordering::SeqCst);
    assert!(first_connections >= 3, "first server: {first_connections}");
    assert!(
        second_connections >= 3,
        "second server: {second_connections}"
    );
    // Each tool call made one upstream request, from whichever server served it.
    assert_eq!(first_upstream.requests().len(), 3);
    assert_eq!(second_upstream.requests().len(), 3);

    for server in [first, second] {
        server.shutdown_token().cancel();
        server.wait().await.expect("server stops cleanly");
    }
}
