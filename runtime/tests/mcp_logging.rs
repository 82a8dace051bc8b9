//! The log line of an MCP tool call. It lives in its own test binary because `tracing` caches
//! per-callsite interest globally, so a thread-local subscriber can miss events while other
//! tests log from parallel threads.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::mcp;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;
use naftiko_test_support::logs::LogBuffer;
use naftiko_test_support::mcp::{serve_mcp, try_call};
use naftiko_test_support::{FakeUpstream, Reply};
use serde_json::json;

use common::{CONSUMES_NAMESPACE, MCP_ADAPTER, MCP_NAMESPACE};

const TOKEN: &str = "test-token-5c1e";

#[tokio::test]
async fn tool_call_log_omits_values() {
    let logs = LogBuffer::default();
    let subscriber = logs.subscriber();
    // The test runtime has one thread, so the server's tasks log to this subscriber too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let upstream = FakeUpstream::start_ok().await;
    upstream.reply_with(Reply::json(404, r#"{"message":"upstream-body-text"}"#));
    let binds = BindValues::from_values(vec![Secret::new(TOKEN)]);
    let http = upstream::http_client(Duration::from_secs(5), Duration::from_secs(5))
        .expect("builds the upstream HTTP client");
    let base_uris = BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), upstream.base_uri.clone())]);
    let context = CapabilityContext::new(&common::CAPABILITY, binds, http, &base_uris);

    let client = serve_mcp(mcp::router(&MCP_ADAPTER, Arc::new(context))).await;
    let arguments = json!({"org_name": "org-value-81", "access_token_id": "id-value-29"});
    let result = try_call(&client, "get-access-token", arguments)
        .await
        .expect("tools/call");
    assert_eq!(result.is_error, Some(true), "{result:?}");

    let logs = logs.contents();
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
