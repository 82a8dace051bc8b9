//! MCP over stdio: the server's input and output are in-process pipes, rmcp's client speaks
//! to it through them, and every byte the server writes is checked to be JSON-RPC.

mod mcp_fixture;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_fixture::{MCP_ADAPTER, context_for, start_upstream};
use naftiko_runtime::mcp;
use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, ClientConfig, GetPromptRequestParams, JsonObject,
    ReadResourceRequestParams,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_util::sync::CancellationToken;

/// Copies everything the server writes to the client, keeping a copy of each byte.
async fn tee(mut from: DuplexStream, mut to: DuplexStream, copy: Arc<Mutex<Vec<u8>>>) {
    let mut buffer = [0_u8; 4096];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(count) => {
                copy.lock()
                    .expect("copy lock")
                    .extend_from_slice(&buffer[..count]);
                if to.write_all(&buffer[..count]).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// Asserts that `bytes` are newline-terminated lines, each one JSON-RPC 2.0 message.
fn assert_json_rpc_lines(bytes: &[u8]) -> usize {
    let text = std::str::from_utf8(bytes).expect("server output is UTF-8");
    assert!(
        text.ends_with('\n'),
        "server output ends mid-line: {text:?}"
    );
    let mut count = 0;
    for line in text.lines() {
        let message: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {line:?}"));
        assert_eq!(message["jsonrpc"], "2.0", "not JSON-RPC 2.0: {line}");
        count += 1;
    }
    count
}

fn arguments(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        other => panic!("arguments must be an object, not {other}"),
    }
}

#[tokio::test]
async fn stdio_session_writes_only_json_rpc() {
    let upstream = start_upstream().await;
    // The client writes to the server's input; the server's output goes through the tee.
    let (client_writer, server_input) = tokio::io::duplex(64 * 1024);
    let (server_output, tee_input) = tokio::io::duplex(64 * 1024);
    let (tee_output, client_reader) = tokio::io::duplex(64 * 1024);
    let written = Arc::new(Mutex::new(Vec::new()));
    let copier = tokio::spawn(tee(tee_input, tee_output, Arc::clone(&written)));

    let shutdown = CancellationToken::new();
    let server = tokio::spawn(mcp::serve_io(
        &MCP_ADAPTER,
        context_for(&upstream),
        server_input,
        server_output,
        shutdown.clone(),
    ));

    let client = ClientConfig::default()
        .serve((client_reader, client_writer))
        .await
        .expect("client initializes over the pipes");
    let info = client.peer_info().expect("server info");
    let server_info = info.server_info.as_ref().expect("serverInfo is sent");
    assert_eq!(server_info.name, mcp_fixture::MCP_NAMESPACE);

    let tools = client.list_all_tools().await.expect("tools/list");
    assert_eq!(tools.len(), 2);
    let request =
        CallToolRequestParams::new("get-user").with_arguments(arguments(json!({"id": "9"})));
    let result = client.call_tool(request).await.expect("tools/call");
    assert_eq!(
        result.structured_content,
        Some(json!({"id": "9", "name": "Ada"}))
    );

    let read = client
        .read_resource(ReadResourceRequestParams::new("data://users/9/profile"))
        .await
        .expect("resources/read");
    assert_eq!(read.contents.len(), 1);
    let prompt = client
        .get_prompt(
            GetPromptRequestParams::new("participant-outreach")
                .with_arguments(arguments(json!({"participant_name": "Ada"}))),
        )
        .await
        .expect("prompts/get");
    assert_eq!(prompt.messages.len(), 2);
    let missing = client
        .get_prompt(GetPromptRequestParams::new("participant-outreach"))
        .await;
    assert!(missing.is_err(), "a missing argument is an error");

    // Closing the client ends the server's input, which ends the session normally.
    client.cancel().await.expect("client stops");
    let outcome = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops when its input closes")
        .expect("server task does not panic");
    assert!(outcome.is_ok(), "server ends without error: {outcome:?}");
    copier.await.expect("tee task does not panic");

    let bytes = written.lock().expect("copy lock").clone();
    // initialize, tools/list, tools/call, resources/read and two prompts/get.
    let messages = assert_json_rpc_lines(&bytes);
    assert!(
        messages >= 6,
        "expected at least 6 responses, got {messages}"
    );
}

#[tokio::test]
async fn closed_input_before_initialize_is_normal_end() {
    let (client_side, server_input) = tokio::io::duplex(1024);
    let (server_output, mut output_reader) = tokio::io::duplex(1024);
    drop(client_side);
    let outcome = mcp::serve_io(
        &MCP_ADAPTER,
        context_for("http://127.0.0.1:9"),
        server_input,
        server_output,
        CancellationToken::new(),
    )
    .await;
    assert!(outcome.is_ok(), "{outcome:?}");
    let mut written = Vec::new();
    output_reader
        .read_to_end(&mut written)
        .await
        .expect("reads the server output");
    assert!(written.is_empty(), "server wrote {written:?}");
}

#[tokio::test]
async fn garbage_input_gets_no_stray_bytes() {
    let (mut client_side, server_input) = tokio::io::duplex(1024);
    let (server_output, mut output_reader) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(mcp::serve_io(
        &MCP_ADAPTER,
        context_for("http://127.0.0.1:9"),
        server_input,
        server_output,
        CancellationToken::new(),
    ));
    client_side
        .write_all(b"this is not json\n{\"jsonrpc\":\"2.0\"\n")
        .await
        .expect("writes to the server");
    drop(client_side);
    let _ = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops when its input closes");
    let mut written = Vec::new();
    output_reader
        .read_to_end(&mut written)
        .await
        .expect("reads the server output");
    if !written.is_empty() {
        assert_json_rpc_lines(&written);
    }
}
