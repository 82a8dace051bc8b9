//! Every capability of the binary served in process, as `naftiko-rs serve` serves them: all
//! REST adapters on one shared loopback port, all MCP adapters on another, and every
//! consumed API at one [`FakeUpstream`] that responds to each request with `200 {"ok": true}`.

use std::collections::BTreeMap;
use std::env::VarError;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use naftiko_runtime::serve::{self, ServeError, ServeOptions, Server};
use naftiko_test_support::{FakeUpstream, RecordedRequest, WAIT, free_port};

use super::TOKEN;

/// The running catalog: its upstream and the two shared listeners.
pub struct Catalog {
    /// The fake upstream of every consumed API.
    pub hub: FakeUpstream,
    /// `http://127.0.0.1:PORT` of the shared REST listener.
    pub rest_url: String,
    /// `http://127.0.0.1:PORT` of the shared MCP listener. The union is at `/mcp`.
    pub mcp_url: String,
}

impl Catalog {
    /// Returns the upstream requests with this method and exact raw path.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<RecordedRequest> {
        self.hub
            .requests()
            .into_iter()
            .filter(|request| request.method == method && request.path == path)
            .collect()
    }
}

/// Returns the catalog of this test binary, starting it on first use.
///
/// The catalog runs on a runtime of its own, on a thread that lives as long as the test
/// binary, because each `#[tokio::test]` runtime stops its tasks when its test ends.
pub fn shared() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("builds the catalog runtime");
            runtime.block_on(async move {
                let (catalog, server) = start().await;
                // The receiver waits in `get_or_init`, so the send succeeds.
                let _ = sender.send(catalog);
                // Dropping the server would stop its listeners.
                let _server = server;
                std::future::pending::<()>().await;
            });
        });
        receiver
            .recv_timeout(WAIT)
            .expect("the catalog starts in time")
    })
}

/// Starts the fake upstream and every adapter, retrying when a chosen port was taken
/// between [`free_port`] and the bind.
async fn start() -> (Catalog, Server) {
    let hub = FakeUpstream::start_ok().await;
    let mut last_error = None;
    for _ in 0..3 {
        let rest_port = free_port().await;
        let mcp_port = free_port().await;
        let options = options(&hub.base_uri, rest_port, mcp_port);
        match serve::start(naftiko_rs::CAPABILITIES, &options, token_env).await {
            Ok(server) => {
                let catalog = Catalog {
                    hub,
                    rest_url: format!("http://127.0.0.1:{rest_port}"),
                    mcp_url: format!("http://127.0.0.1:{mcp_port}"),
                };
                return (catalog, server);
            }
            Err(error @ ServeError::Listen { .. }) => last_error = Some(error),
            Err(error) => panic!("the catalog does not start: {error}"),
        }
    }
    panic!("the catalog found no free ports: {last_error:?}");
}

/// Returns options that put every REST adapter on `rest_port`, every MCP adapter on
/// `mcp_port`, both on 127.0.0.1, and every consumed API at `base_uri`.
pub fn options(base_uri: &str, rest_port: u16, mcp_port: u16) -> ServeOptions {
    let mut ports = BTreeMap::new();
    let mut base_uris = BTreeMap::new();
    for capability in naftiko_rs::CAPABILITIES {
        for adapter in capability.rest {
            ports.insert(adapter.namespace.to_owned(), rest_port);
        }
        for adapter in capability.mcp {
            ports.insert(adapter.namespace.to_owned(), mcp_port);
        }
        for api in capability.consumes {
            base_uris.insert(api.namespace.to_owned(), base_uri.to_owned());
        }
    }
    ServeOptions {
        address: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ports,
        base_uris,
        ..ServeOptions::default()
    }
}

/// Looks a variable up in an environment that holds only [`TOKEN`] as
/// `DOCKER_HUB_API_KEY`.
pub fn token_env(name: &str) -> Result<String, VarError> {
    match name {
        "DOCKER_HUB_API_KEY" => Ok(TOKEN.to_owned()),
        _ => Err(VarError::NotPresent),
    }
}
