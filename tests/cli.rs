//! The `naftiko-rs` binary itself: `serve` in front of a fake Docker Hub, its start-up
//! errors, and `list`.
//!
//! Every spawned child is killed when its guard drops, and every wait is bounded by
//! [`WAIT`]. Proxy variables are removed from each child's environment so that its
//! upstream calls stay on loopback.

mod common;

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use naftiko_test_support::mcp::{call, connect_mcp};
use naftiko_test_support::{self as support, WAIT};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use common::TOKEN;
use common::hub::SEEDED_TOKEN_ID;

const REST_NAMESPACE: &str = "docker-hub-org-access-tokens-rest";
const MCP_NAMESPACE: &str = "docker-hub-org-access-tokens-mcp";

const PROXY_VARIABLES: [&str; 8] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
];

/// Returns the binary's command with no proxy variables and no `DOCKER_HUB_API_KEY`.
fn naftiko() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_naftiko-rs"));
    for variable in PROXY_VARIABLES {
        command.env_remove(variable);
    }
    command
        .env_remove("DOCKER_HUB_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Returns the `serve` command with every REST adapter on `rest_port` and every MCP adapter
/// on `mcp_port`, so each kind shares one listener as on the specs' ports, every consumed
/// API at `base_uri`, [`TOKEN`] as `DOCKER_HUB_API_KEY` and debug logging.
fn serve_command(base_uri: &str, rest_port: u16, mcp_port: u16) -> Command {
    let mut command = naftiko();
    command.arg("serve");
    for capability in naftiko_rs::CAPABILITIES {
        for adapter in capability.rest {
            command
                .arg("--port")
                .arg(format!("{}={rest_port}", adapter.namespace));
        }
        for adapter in capability.mcp {
            command
                .arg("--port")
                .arg(format!("{}={mcp_port}", adapter.namespace));
        }
        for api in capability.consumes {
            command
                .arg("--base-uri")
                .arg(format!("{}={base_uri}", api.namespace));
        }
    }
    command
        .env("DOCKER_HUB_API_KEY", TOKEN)
        .env("RUST_LOG", "debug");
    command
}

/// Returns [`serve_command`] on two loopback ports that were free a moment ago.
async fn serve_on_free_ports(base_uri: &str) -> Command {
    serve_command(
        base_uri,
        support::free_port().await,
        support::free_port().await,
    )
}

/// A running `naftiko-rs serve`, killed on drop, with its output collected as it arrives.
struct Served {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    /// The shared REST listener's base URL, from the org access tokens adapter's
    /// "listening on" line.
    rest_url: String,
    /// The shared MCP listener's union URL (`/mcp`), from the org access tokens adapter's
    /// "listening on" line.
    mcp_url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        // An error means that the child has already exited.
        let _ = self.child.start_kill();
    }
}

/// Spawns `command` and waits until both adapters have printed their "listening on" line.
async fn spawn_served(mut command: Command) -> Served {
    let mut child = command.spawn().expect("the binary starts");
    let stdout = Arc::new(Mutex::new(String::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let (lines_sender, mut lines) = mpsc::unbounded_channel();
    let readers = vec![
        collect(child.stdout.take().expect("piped stdout"), &stdout, None),
        collect(
            child.stderr.take().expect("piped stderr"),
            &stderr,
            Some(lines_sender),
        ),
    ];
    let mut served = Served {
        child,
        stdout,
        stderr,
        readers,
        rest_url: String::new(),
        mcp_url: String::new(),
    };

    let rest_prefix = format!("rest {REST_NAMESPACE} listening on ");
    let mcp_prefix = format!("mcp {MCP_NAMESPACE} listening on ");
    let started = tokio::time::timeout(WAIT, async {
        while served.rest_url.is_empty() || served.mcp_url.is_empty() {
            let Some(line) = lines.recv().await else {
                return false;
            };
            if let Some(url) = line.strip_prefix(&rest_prefix) {
                served.rest_url = url.trim().to_owned();
            } else if let Some(url) = line.strip_prefix(&mcp_prefix) {
                served.mcp_url = url.trim().to_owned();
            }
        }
        true
    })
    .await;
    let stderr = served.stderr.lock().expect("stderr lock").clone();
    assert_eq!(
        started,
        Ok(true),
        "the binary did not print both listening lines; stderr:\n{stderr}"
    );
    served
}

/// Copies `stream` into `output` line by line, sending each line to `lines` too.
fn collect(
    stream: impl AsyncRead + Unpin + Send + 'static,
    output: &Arc<Mutex<String>>,
    lines: Option<mpsc::UnboundedSender<String>>,
) -> JoinHandle<()> {
    let output = Arc::clone(output);
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            {
                let mut output = output.lock().expect("output lock");
                output.push_str(&line);
                output.push('\n');
            }
            if let Some(lines) = &lines {
                // The receiver is gone once start-up is over, and later lines need no reader.
                let _ = lines.send(line);
            }
        }
    })
}

impl Served {
    /// Kills the child and returns everything it wrote to stdout and stderr.
    async fn stop(mut self) -> (String, String) {
        self.child.start_kill().expect("the child is still running");
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the child exits in time after a kill")
            .expect("waits for the child");
        for reader in self.readers.drain(..) {
            tokio::time::timeout(WAIT, reader)
                .await
                .expect("the output readers finish in time")
                .expect("an output reader failed");
        }
        let stdout = self.stdout.lock().expect("stdout lock").clone();
        let stderr = self.stderr.lock().expect("stderr lock").clone();
        (stdout, stderr)
    }
}

/// Runs a command that must exit by itself, and returns its status, stdout and stderr.
async fn run_to_exit(mut command: Command) -> (ExitStatus, String, String) {
    let mut child = command.spawn().expect("the binary starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let outcome = tokio::time::timeout(WAIT, async {
        let mut out = String::new();
        let mut err = String::new();
        let (read_out, read_err, status) = tokio::join!(
            stdout.read_to_string(&mut out),
            stderr.read_to_string(&mut err),
            child.wait()
        );
        read_out.expect("reads stdout");
        read_err.expect("reads stderr");
        (status.expect("waits for the child"), out, err)
    })
    .await;
    // On a timeout, dropping `child` kills it, because of `kill_on_drop`.
    outcome.expect("the binary exits in time")
}

fn assert_no_token(stdout: &str, stderr: &str) {
    assert!(
        !stdout.contains(TOKEN),
        "the token leaked to stdout:\n{stdout}"
    );
    assert!(
        !stderr.contains(TOKEN),
        "the token leaked to stderr:\n{stderr}"
    );
}

#[tokio::test]
async fn serve_rest_and_mcp_calls() {
    let hub = common::start_hub().await;
    let served = spawn_served(serve_on_free_ports(&hub.base_uri).await).await;
    let token_url = format!(
        "{}/v1/v2/orgs/my%20org/access-tokens/{SEEDED_TOKEN_ID}",
        served.rest_url
    );

    let found = common::send(Method::GET, &token_url, None).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.json()["id"], SEEDED_TOKEN_ID);

    let created = common::send(
        Method::POST,
        &format!("{}/v1/v2/orgs/my%20org/access-tokens", served.rest_url),
        Some(r#"{"label":"ci"}"#),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["label"], "ci");

    let missing = common::send(
        Method::GET,
        &format!(
            "{}/v1/v2/orgs/acme/access-tokens/no-such-token",
            served.rest_url
        ),
        None,
    )
    .await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert_eq!(
        missing.json()["message"],
        "access token no-such-token not found"
    );

    // The shared MCP listener serves the adapter alone, with its own tool names, here.
    let client = connect_mcp(&format!("{}/{MCP_NAMESPACE}", served.mcp_url)).await;
    let arguments = json!({"org_name": "acme", "access_token_id": SEEDED_TOKEN_ID});
    let result = call(&client, "delete-access-token", arguments).await;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    drop(client);

    let requests = hub.requests();
    let calls: Vec<(&str, &str)> = requests
        .iter()
        .map(|request| (request.method.as_str(), request.path.as_str()))
        .collect();
    let token_path = format!("/v2/orgs/my%20org/access-tokens/{SEEDED_TOKEN_ID}");
    let deleted_path = format!("/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}");
    assert_eq!(
        calls,
        [
            ("GET", token_path.as_str()),
            ("POST", "/v2/orgs/my%20org/access-tokens"),
            ("GET", "/v2/orgs/acme/access-tokens/no-such-token"),
            ("DELETE", deleted_path.as_str()),
        ]
    );
    for request in &requests {
        assert_eq!(
            request.authorization(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }

    let (stdout, stderr) = served.stop().await;
    assert!(
        stderr.contains("request served"),
        "no request log:\n{stderr}"
    );
    assert!(stderr.contains("DEBUG"), "no debug log:\n{stderr}");
    assert_no_token(&stdout, &stderr);
    // rmcp logs whole messages at debug level, so it stays at info: tool arguments, which
    // can hold a caller's password, are not logged.
    assert!(
        !stderr.contains("access_token_id"),
        "a tool argument was logged:\n{stderr}"
    );
}

#[tokio::test]
async fn serve_dead_upstream_is_502() {
    let served = spawn_served(serve_on_free_ports(&support::dead_base_uri().await).await).await;

    let response = common::send(
        Method::GET,
        &format!("{}/v1/v2/orgs/acme/access-tokens", served.rest_url),
        None,
    )
    .await;

    assert_eq!(response.status, 502, "{}", response.body);
    assert!(response.error_code().is_some(), "{}", response.body);
    assert!(
        response
            .error_message()
            .contains("v2-orgs-name-access-tokens.get"),
        "{}",
        response.body
    );
    assert!(!response.body.contains(TOKEN), "{}", response.body);

    let (stdout, stderr) = served.stop().await;
    assert!(stderr.contains("request failed"), "no error log:\n{stderr}");
    assert_no_token(&stdout, &stderr);
}

#[tokio::test]
async fn serve_without_token_exits_2() {
    let hub = common::start_hub().await;
    let mut command = serve_command(&hub.base_uri, 0, 0);
    command.env_remove("DOCKER_HUB_API_KEY");

    let (status, _, stderr) = run_to_exit(command).await;

    assert_eq!(status.code(), Some(2), "stderr:\n{stderr}");
    assert!(stderr.contains("DOCKER_HUB_API_KEY"), "{stderr}");
    // Start-up stops at the first capability, in spec file order, that lacks the variable.
    let first = naftiko_rs::CAPABILITIES[0].spec_file;
    assert_eq!(first, "specs/docker-hub-access-tokens.yaml");
    assert!(stderr.contains(first), "{stderr}");
    assert!(hub.requests().is_empty(), "no upstream request");
}

#[tokio::test]
async fn serve_empty_token_exits_2() {
    let hub = common::start_hub().await;
    let mut command = serve_command(&hub.base_uri, 0, 0);
    command.env("DOCKER_HUB_API_KEY", "");

    let (status, _, stderr) = run_to_exit(command).await;

    assert_eq!(status.code(), Some(2), "stderr:\n{stderr}");
    assert!(stderr.contains("DOCKER_HUB_API_KEY"), "{stderr}");
}

#[tokio::test]
async fn serve_port_in_use_exits_2() {
    let hub = common::start_hub().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds a loopback port");
    let port = taken.local_addr().expect("local address").port();
    let command = serve_command(&hub.base_uri, port, 0);

    let (status, _, stderr) = run_to_exit(command).await;

    assert_eq!(status.code(), Some(2), "stderr:\n{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    // The shared REST listener is named after its first adapter, in spec file order.
    assert!(
        stderr.contains("rest adapter `docker-hub-access-tokens-rest`"),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN), "{stderr}");
    drop(taken);
}

#[tokio::test]
async fn serve_unknown_namespace_exits_2() {
    let hub = common::start_hub().await;
    let mut command = serve_command(&hub.base_uri, 0, 0);
    command.args(["--port", "no-such-adapter=0"]);

    let (status, _, stderr) = run_to_exit(command).await;

    assert_eq!(status.code(), Some(2), "stderr:\n{stderr}");
    assert!(stderr.contains("no-such-adapter"), "{stderr}");
}

#[tokio::test]
async fn list_prints_adapters() {
    let (status, stdout, stderr) = run_to_exit({
        let mut command = naftiko();
        command.arg("list");
        command
    })
    .await;

    assert!(status.success(), "stderr:\n{stderr}");
    // The lines of this capability: from its own line to the next capability's.
    let section: String = stdout
        .split_inclusive('\n')
        .skip_while(|line| !line.starts_with("capability docker-hub-org-access-tokens "))
        .enumerate()
        .take_while(|(index, line)| *index == 0 || !line.starts_with("capability "))
        .map(|(_, line)| line)
        .collect();
    assert!(
        !section.is_empty(),
        "no org access tokens capability in:\n{stdout}"
    );
    assert!(
        section.contains(&format!("rest {REST_NAMESPACE} on http://127.0.0.1:8080")),
        "{section}"
    );
    assert!(
        section.contains(&format!("mcp {MCP_NAMESPACE} on http://127.0.0.1:9090/mcp")),
        "{section}"
    );

    let one = "docker-hub-org-access-tokens.v2-orgs-org_name-access-tokens-access_token_id";
    let all = "docker-hub-org-access-tokens.v2-orgs-name-access-tokens";
    let one_path = "/v2/orgs/{org_name}/access-tokens/{access_token_id}";
    let all_path = "/v2/orgs/{name}/access-tokens";
    let one_route = "/v1/v2/orgs/{org-name}/access-tokens/{access-token-id}";
    let all_route = "/v1/v2/orgs/{name}/access-tokens";
    let routes = [
        format!("POST {all_route} -> {all}.post (POST {all_path})"),
        format!("GET {all_route} -> {all}.get (GET {all_path})"),
        format!("GET {one_route} -> {one}.get (GET {one_path})"),
        format!("PATCH {one_route} -> {one}.patch (PATCH {one_path})"),
        format!("DELETE {one_route} -> {one}.delete (DELETE {one_path})"),
    ];
    for route in &routes {
        assert!(section.contains(route), "missing `{route}` in:\n{section}");
    }

    let tools = [
        format!("tool create-access-token -> {all}.post (POST {all_path})"),
        format!("tool list-access-tokens -> {all}.get (GET {all_path})"),
        format!("tool get-access-token -> {one}.get (GET {one_path})"),
        format!("tool update-access-token -> {one}.patch (PATCH {one_path})"),
        format!("tool delete-access-token -> {one}.delete (DELETE {one_path})"),
    ];
    for tool in &tools {
        assert!(section.contains(tool), "missing `{tool}` in:\n{section}");
    }
    assert_eq!(section.matches(" -> ").count(), 10, "{section}");
}
