//! The `openapi` and `tools` commands, the `serve` errors for unknown `--only` names, and
//! the exit of `serve` on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Output, Stdio};

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
    let mut namespaces: Vec<&str> = naftiko_rs::CAPABILITIES
        .iter()
        .flat_map(|capability| capability.rest.iter().map(|adapter| adapter.namespace))
        .collect();
    namespaces.sort_unstable();
    assert_eq!(namespaces.len(), 10);
    let mut printed: Vec<&str> = documents
        .as_object()
        .expect("an object keyed by namespace")
        .keys()
        .map(String::as_str)
        .collect();
    printed.sort_unstable();
    assert_eq!(printed, namespaces);
    for namespace in namespaces {
        assert!(documents[namespace]["paths"].is_object(), "{namespace}");
    }
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

#[cfg(unix)]
#[test]
fn serve_exits_zero_on_sigterm() {
    // Port 0 for every adapter, so none binds the specs' ports 8080 and 9090.
    let mut ports = Vec::new();
    let mut base_uris = Vec::new();
    for capability in naftiko_rs::CAPABILITIES {
        let adapters = capability.rest.iter().map(|adapter| adapter.namespace);
        let adapters = adapters.chain(capability.mcp.iter().map(|adapter| adapter.namespace));
        ports.extend(adapters.map(|namespace| format!("{namespace}=0")));
        // Port 9 on loopback: nothing is sent there, because no request is served.
        base_uris.extend(
            capability
                .consumes
                .iter()
                .map(|api| format!("{}=http://127.0.0.1:9", api.namespace)),
        );
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_naftiko-rs"))
        .arg("serve")
        .env("NAFTIKO_PORTS", ports.join(","))
        .env("NAFTIKO_BASE_URIS", base_uris.join(","))
        .env("NAFTIKO_ADDRESS", "127.0.0.1")
        .env_remove("NAFTIKO_ONLY")
        .env("DOCKER_HUB_API_KEY", "dckr_oat_cli-token")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("naftiko-rs starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut lines = BufReader::new(stderr).lines();
    let mut listening = 0;
    while listening < ports.len() {
        let line = lines
            .next()
            .expect("serve prints its listeners")
            .expect("stderr is text");
        if line.contains("listening on http://127.0.0.1:") {
            listening += 1;
        }
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("naftiko-rs exits");
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn serve_help_documents_units() {
    let output = run(&["serve", "--help"], &[]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--upstream-timeout <SECS>",
        "--connect-timeout <SECS>",
        "--shutdown-timeout <SECS>",
        "--max-body-bytes <BYTES>",
        "--max-concurrency <N>",
        "--retries <N>",
        "--health <ADDR:PORT>",
        "--only <CAPABILITY>",
        "env: NAFTIKO_ADDRESS",
        "env: NAFTIKO_PORTS",
        "env: NAFTIKO_BASE_URIS",
        "env: NAFTIKO_ONLY",
        "in seconds",
        "in bytes",
    ] {
        assert!(
            help.contains(expected),
            "`{expected}` missing from:\n{help}"
        );
    }
}
