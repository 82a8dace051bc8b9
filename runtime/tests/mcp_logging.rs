//! The log line of an MCP tool call. It lives in its own test binary because `tracing` caches
//! per-callsite interest globally, so a thread-local subscriber can miss events while other
//! tests log from parallel threads.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::mcp;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::json;

use common::{CONSUMES_NAMESPACE, FakeUpstream, MCP_ADAPTER, MCP_NAMESPACE, Reply};

const TOKEN: &str = "test-token-5c1e";

/// A `tracing` writer that appends to a shared buffer.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("log buffer lock")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tool_call_log_omits_values() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime has one thread, so the server's tasks log to this subscriber too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let upstream = FakeUpstream::start().await;
    upstream.reply_with(Reply::json(404, r#"{"message":"upstream-body-text"}"#));
    let binds = BindValues::from_values(vec![Secret::new(TOKEN)]);
    let http = upstream::http_client(Duration::from_secs(5), Duration::from_secs(5))
        .expect("builds the upstream HTTP client");
    let base_uris = BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), upstream.base_uri.clone())]);
    let context = CapabilityContext::new(&common::CAPABILITY, binds, http, &base_uris);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a loopback port");
    let address = listener.local_addr().expect("local address");
    let router = mcp::router(&MCP_ADAPTER, Arc::new(context));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });

    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("builds an HTTP client");
    let config = StreamableHttpClientTransportConfig::with_uri(format!("http://{address}/mcp"));
    let client = ClientConfig::default()
        .serve(StreamableHttpClientTransport::with_client(http, config))
        .await
        .expect("client connects");
    let arguments = json!({"org_name": "org-value-81", "access_token_id": "id-value-29"});
    let serde_json::Value::Object(arguments) = arguments else {
        unreachable!("the arguments are an object literal");
    };
    let result = client
        .call_tool(CallToolRequestParams::new("get-access-token").with_arguments(arguments))
        .await
        .expect("tools/call");
    assert_eq!(result.is_error, Some(true), "{result:?}");

    let logs = String::from_utf8_lossy(&logs.0.lock().expect("log buffer lock")).into_owned();
    let line = logs
        .lines()
        .find(|line| line.contains("mcp tool call finished"))
        .unwrap_or_else(|| panic!("no tool call line in:\n{logs}"));
    assert!(line.contains(MCP_NAMESPACE), "{line}");
    assert!(line.contains("tool=\"get-access-token\""), "{line}");
    assert!(line.contains("upstream_status=404"), "{line}");
    assert!(line.contains("duration_ms="), "{line}");
    assert!(!logs.contains("org-value-81"), "{logs}");
    assert!(!logs.contains("id-value-29"), "{logs}");
    assert!(!logs.contains("upstream-body-text"), "{logs}");
    assert!(!logs.contains(TOKEN), "{logs}");
}
