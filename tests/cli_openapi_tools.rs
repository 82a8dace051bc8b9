//! The `openapi` and `tools` commands, and the `serve` errors for unknown `--only` names.

use std::process::{Command, Output};

use serde_json::Value;

const REST_NAMESPACE: &str = "docker-hub-org-access-tokens-rest";
const MCP_NAMESPACE: &str = "docker-hub-org-access-tokens-mcp";

fn run(arguments: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_naftiko-rs"));
    command.args(arguments);
    for name in [
        "NAFTIKO_ADDRESS",
        "NAFTIKO_PORTS",
        "NAFTIKO_BASE_URIS",
        "NAFTIKO_ONLY",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("naftiko-rs runs")
}

fn stdout_json(output: &Output) -> Value {
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

#[test]
fn openapi_prints_one_document() {
    let document = stdout_json(&run(&["openapi", REST_NAMESPACE], &[]));
    assert!(document["openapi"].as_str().is_some());
    assert!(document["paths"]["/v1/v2/orgs/{name}/access-tokens"].is_object());
}

#[test]
fn openapi_prints_every_document() {
    let documents = stdout_json(&run(&["openapi"], &[]));
    assert!(documents[REST_NAMESPACE]["paths"].is_object());
}

#[test]
fn tools_prints_tools_list() {
    let result = stdout_json(&run(&["tools", MCP_NAMESPACE], &[]));
    let names: Vec<&str> = result["tools"]
        .as_array()
        .expect("tools is an array")
        .iter()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    assert!(names.contains(&"create-access-token"), "{names:?}");
    assert!(result["tools"][0]["inputSchema"].is_object());
}

#[test]
fn tools_rejects_unknown_namespace() {
    let output = run(&["tools", "nope"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`nope` is not an MCP adapter"), "{stderr}");
    assert!(stderr.contains(MCP_NAMESPACE), "{stderr}");
}

#[test]
fn serve_rejects_unknown_only() {
    let output = run(&["serve", "--only", "nope"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--only names `nope`"), "{stderr}");
    assert!(stderr.contains("docker-hub-org-access-tokens"), "{stderr}");
}

#[test]
fn serve_reads_only_from_env() {
    let output = run(&["serve"], &[("NAFTIKO_ONLY", "first,nope")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--only names `first`"), "{stderr}");
}
