//! Start-up: resolving binds, binding every adapter's listener, serving until shutdown,
//! and listing what a binary serves.

use std::collections::BTreeMap;
use std::env::VarError;
use std::fmt;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::descriptor::{Capability, McpAdapter, PathPart, UpstreamOperation};
use crate::invoke::CapabilityContext;
use crate::limits::{self, RequestLimits};
use crate::mcp::{self, AllowedHosts};
use crate::secret::{BindError, BindValues};
use crate::shared_listener::{self, PlannedAdapter, Served, SharedListenerError};
use crate::upstream::{self, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
use crate::{control, http_server, metrics};

/// The address adapters bind to when neither the spec nor `--address` names one.
pub const DEFAULT_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

pub use crate::limits::DEFAULT_MAX_BODY_BYTES;

/// The name the `--health` listener goes by in messages.
const HEALTH_NAMESPACE: &str = "--health";

/// The default time in-flight requests get to finish once shutdown begins.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Command-line overrides of the specs' addresses, ports and base URIs, and the limits of
/// every listener and upstream call.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address every adapter binds to, instead of the spec's or `127.0.0.1`.
    pub address: Option<IpAddr>,
    /// Ports by expose namespace, instead of the spec's.
    pub ports: BTreeMap<String, u16>,
    /// Base URIs by consumes namespace, instead of the spec's.
    pub base_uris: BTreeMap<String, String>,
    /// The time an upstream call may take in all, connecting included.
    pub upstream_timeout: Duration,
    /// The time connecting to an upstream may take.
    pub connect_timeout: Duration,
    /// The largest request body a listener accepts, in bytes, for every adapter kind.
    pub max_body_bytes: usize,
    /// The most requests a listener serves at once; `None` sets no limit.
    pub max_concurrency: Option<usize>,
    /// The time in-flight requests get to finish once shutdown begins.
    pub shutdown_timeout: Duration,
    /// How many times an idempotent upstream request is sent again after a connection
    /// failure.
    pub retries: u32,
    /// The address of an extra listener that serves only `/health/live` and `/health/ready`.
    pub health: Option<SocketAddr>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            address: None,
            ports: BTreeMap::new(),
            base_uris: BTreeMap::new(),
            upstream_timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_concurrency: None,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            retries: upstream::DEFAULT_RETRIES,
            health: None,
        }
    }
}

/// A failure to start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A bind variable is missing.
    #[error(transparent)]
    Bind(#[from] BindError),
    /// `--port` names no exposed adapter.
    #[error(
        "--port names `{namespace}`, which is not an exposed adapter; expected one of: {known}"
    )]
    UnknownAdapter {
        /// The namespace given.
        namespace: String,
        /// The expose namespaces, comma-separated.
        known: String,
    },
    /// `--only` names no capability.
    #[error("--only names `{name}`, which is not a capability; expected one of: {known}")]
    UnknownCapability {
        /// The name given.
        name: String,
        /// The capability names, comma-separated.
        known: String,
    },
    /// `--base-uri` names no consumed API.
    #[error(
        "--base-uri names `{namespace}`, which is not a consumed API; expected one of: {known}"
    )]
    UnknownApi {
        /// The namespace given.
        namespace: String,
        /// The consumes namespaces, comma-separated.
        known: String,
    },
    /// `--stdio` names no MCP adapter.
    #[error("--stdio names `{namespace}`, which is not an MCP adapter; expected one of: {known}")]
    UnknownStdioAdapter {
        /// The namespace given.
        namespace: String,
        /// The MCP expose namespaces, comma-separated.
        known: String,
    },
    /// Two MCP adapters would share stdin and stdout.
    #[error(
        "mcp adapters `{first}` and `{second}` are both served on stdio, but a process has one \
         stdin and stdout; serve one of them over HTTP"
    )]
    SeveralStdioAdapters {
        /// The first adapter served on stdio.
        first: &'static str,
        /// The second one.
        second: &'static str,
    },
    /// A `--base-uri` value is not an absolute `http` or `https` URL.
    #[error("invalid --base-uri for `{namespace}`: {reason}")]
    InvalidBaseUri {
        /// The consumes namespace.
        namespace: String,
        /// The problem with the value.
        reason: String,
    },
    /// The shared HTTP client could not be built.
    #[error("failed to build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// Adapters that declare one address and port cannot share a listener.
    #[error(transparent)]
    SharedListener(#[from] SharedListenerError),
    /// An adapter's listener could not be bound.
    #[error("failed to listen on {address} for {kind} adapter `{namespace}`: {source}")]
    Listen {
        /// `rest`, `mcp` or `control`.
        kind: AdapterKind,
        /// The expose namespace.
        namespace: &'static str,
        /// The `host:port` that could not be bound.
        address: String,
        /// The socket error.
        #[source]
        source: io::Error,
    },
    /// A running adapter stopped with an error.
    #[error("{kind} adapter `{namespace}` stopped: {reason}")]
    Stopped {
        /// `rest`, `mcp` or `control`.
        kind: AdapterKind,
        /// The expose namespace.
        namespace: &'static str,
        /// The server error.
        reason: String,
    },
}

/// The kind of an exposed adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdapterKind {
    /// A REST adapter.
    Rest,
    /// An MCP adapter over Streamable HTTP.
    Mcp,
    /// A control adapter: health, status and metrics.
    Control,
    /// A skill adapter: a catalog of agent skills under `/skills`.
    Skill,
}

impl fmt::Display for AdapterKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Rest => "rest",
            Self::Mcp => "mcp",
            Self::Control => "control",
            Self::Skill => "skill",
        })
    }
}

/// A bound adapter listener.
#[derive(Debug, Clone)]
pub struct Listener {
    /// The adapter's kind.
    pub kind: AdapterKind,
    /// The expose namespace.
    pub namespace: &'static str,
    /// The bound address, with the port chosen by the system when `0` was requested.
    pub address: SocketAddr,
}

impl Listener {
    /// Returns the URL callers use: the server root for REST and control, `/mcp` for MCP.
    pub fn url(&self) -> String {
        match self.kind {
            AdapterKind::Rest | AdapterKind::Control => format!("http://{}", self.address),
            AdapterKind::Mcp => format!("http://{}/mcp", self.address),
            AdapterKind::Skill => format!("http://{}", self.address),
        }
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{} {} listening on {}",
            self.kind,
            self.namespace,
            self.url()
        )
    }
}

/// Every listener of a binary, each with whether it is serving: set once it is bound and
/// its server task is spawned, cleared when its shutdown begins or its task ends.
#[derive(Debug)]
pub struct ListenerStates {
    listeners: Vec<Listener>,
    serving: Vec<AtomicBool>,
}

impl ListenerStates {
    /// Creates the states of `listeners`, none of them serving yet.
    pub fn new(listeners: Vec<Listener>) -> Self {
        let serving = listeners.iter().map(|_| AtomicBool::new(false)).collect();
        Self { listeners, serving }
    }

    /// Returns every listener, in start-up order.
    pub fn listeners(&self) -> &[Listener] {
        &self.listeners
    }

    /// Returns whether the listener at `index` is serving; `false` for an unknown index.
    pub fn is_serving(&self, index: usize) -> bool {
        self.serving
            .get(index)
            .is_some_and(|serving| serving.load(Ordering::Acquire))
    }

    /// Returns whether every listener is serving.
    pub fn all_serving(&self) -> bool {
        (0..self.serving.len()).all(|index| self.is_serving(index))
    }

    /// Marks the listener at `index` as serving or not; an unknown index is ignored.
    pub fn set_serving(&self, index: usize, serving: bool) {
        if let Some(flag) = self.serving.get(index) {
            flag.store(serving, Ordering::Release);
        }
    }
}

/// Clears the serving flags of a socket's listeners when its server task ends, even by a
/// panic.
struct ServingGuard {
    states: Arc<ListenerStates>,
    indexes: Vec<usize>,
}

impl Drop for ServingGuard {
    fn drop(&mut self) {
        for &index in &self.indexes {
            self.states.set_serving(index, false);
        }
    }
}

/// Running adapters, started by [`start`].
pub struct Server {
    states: Arc<ListenerStates>,
    tasks: JoinSet<Result<(), ServeError>>,
    shutdown: CancellationToken,
    /// One token per listener, children of `shutdown`, in start-up order.
    listener_shutdowns: Vec<CancellationToken>,
    /// The bound address of the `--health` listener, if one was requested.
    health_address: Option<SocketAddr>,
}

impl Server {
    /// Returns every bound listener, in start-up order.
    pub fn listeners(&self) -> &[Listener] {
        self.states.listeners()
    }

    /// Returns the bound address of the `--health` listener, if one was requested.
    pub fn health_address(&self) -> Option<SocketAddr> {
        self.health_address
    }

    /// Returns the serving state of every listener, as control adapters report it.
    pub fn listener_states(&self) -> Arc<ListenerStates> {
        Arc::clone(&self.states)
    }

    /// Stops the listener at `index` of [`Server::listeners`] and leaves the others
    /// running. Its state stops being serving at once. Adapters that share its socket stop
    /// with it. Returns `false` for an unknown index.
    pub fn stop_listener(&self, index: usize) -> bool {
        match self.listener_shutdowns.get(index) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Returns the token that stops every adapter when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until every adapter has stopped. The first adapter error stops the others
    /// and is returned.
    pub async fn wait(self) -> Result<(), ServeError> {
        self.wait_until(None).await
    }

    /// Waits like [`Server::wait`], but once shutdown begins, gives in-flight requests at most
    /// `timeout` to finish and then returns.
    ///
    /// NOTE: connections still open then run on their own tasks until the runtime shuts
    /// down, which for the `naftiko-rs` binary is its exit right after this returns.
    pub async fn wait_with_shutdown_timeout(self, timeout: Duration) -> Result<(), ServeError> {
        self.wait_until(Some(timeout)).await
    }

    async fn wait_until(mut self, timeout: Option<Duration>) -> Result<(), ServeError> {
        let shutdown = self.shutdown.clone();
        let deadline = async move {
            match timeout {
                Some(timeout) => {
                    shutdown.cancelled().await;
                    tokio::time::sleep(timeout).await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::pin!(deadline);
        let mut first_error = None;
        loop {
            let joined = tokio::select! {
                joined = self.tasks.join_next() => joined,
                () = &mut deadline => {
                    tracing::warn!(
                        timeout_secs = timeout.map(|timeout| timeout.as_secs_f64()),
                        "shutdown timed out with requests in flight, stopping anyway"
                    );
                    self.tasks.abort_all();
                    while self.tasks.join_next().await.is_some() {}
                    break;
                }
            };
            let Some(joined) = joined else {
                break;
            };
            let result = joined.unwrap_or_else(|error| {
                Err(ServeError::Stopped {
                    kind: AdapterKind::Rest,
                    namespace: "unknown",
                    reason: format!("the server task failed: {error}"),
                })
            });
            if let Err(error) = result {
                tracing::error!(%error, "adapter stopped");
                self.shutdown.cancel();
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Serves every adapter of `capabilities` until Ctrl-C or SIGTERM, printing one line
/// per listener to stderr.
pub async fn serve(
    capabilities: &'static [&'static Capability],
    options: ServeOptions,
) -> Result<(), ServeError> {
    serve_with_stdio(capabilities, options, None).await
}

/// Serves like [`serve`], with the MCP adapter whose namespace is `stdio` served on stdin
/// and stdout instead of on its port. Stdout then carries only its JSON-RPC messages.
pub async fn serve_with_stdio(
    capabilities: &'static [&'static Capability],
    options: ServeOptions,
    stdio: Option<&str>,
) -> Result<(), ServeError> {
    let env = |name: &str| std::env::var(name);
    let server = start_with_stdio(capabilities, &options, stdio, env).await?;
    for listener in server.listeners() {
        eprintln!("{listener}");
    }
    if let Some(address) = server.health_address() {
        eprintln!("health probes listening on http://{address}/health/live and /health/ready");
    }
    let shutdown = server.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested, stopping adapters");
        shutdown.cancel();
    });
    server
        .wait_with_shutdown_timeout(options.shutdown_timeout)
        .await
}

/// Checks `options`, resolves bind variables through `env` (which behaves like
/// [`std::env::var`]), binds every adapter's listener and starts serving.
///
/// Nothing is served unless every listener binds. An MCP adapter declared with
/// `transport: stdio` is served on stdin and stdout, as [`start_with_stdio`] describes.
pub async fn start(
    capabilities: &'static [&'static Capability],
    options: &ServeOptions,
    env: impl Fn(&str) -> Result<String, VarError>,
) -> Result<Server, ServeError> {
    start_with_stdio(capabilities, options, None, env).await
}

/// Starts serving like [`start`], with the MCP adapter whose namespace is `stdio` served
/// on stdin and stdout instead of on its port.
///
/// At most one adapter is served on stdio: the one `stdio` names, else the one that the
/// spec declares with `transport: stdio`. When its client closes stdin, every adapter
/// stops, because the process was started for that client.
pub async fn start_with_stdio(
    capabilities: &'static [&'static Capability],
    options: &ServeOptions,
    stdio: Option<&str>,
    env: impl Fn(&str) -> Result<String, VarError>,
) -> Result<Server, ServeError> {
    check_options(capabilities, options)?;
    let stdio_adapter = stdio_adapter(capabilities, stdio)?;
    let mut stdio_context = None;

    let mut binds = Vec::with_capacity(capabilities.len());
    for capability in capabilities {
        binds.push(BindValues::resolve(capability, &env)?);
    }
    let http = upstream::http_client(options.upstream_timeout, options.connect_timeout)
        .map_err(ServeError::HttpClient)?;

    let mut planned = Vec::new();
    for (capability, binds) in capabilities.iter().copied().zip(binds) {
        metrics::register(capability);
        let mut context =
            CapabilityContext::new(capability, binds, http.clone(), &options.base_uris);
        context.set_retries(options.retries);
        let context = Arc::new(context);
        let mut plan = |adapter: Served, address: Option<&'static str>, port: u16| {
            let (host, port) = resolve_address(adapter.namespace(), address, port, options);
            planned.push(PlannedAdapter {
                adapter,
                capability,
                context: Arc::clone(&context),
                host,
                port,
            });
        };
        for adapter in capability.rest {
            plan(Served::Rest(adapter), adapter.address, adapter.port);
        }
        for adapter in capability.mcp {
            if stdio_adapter.is_some_and(|served| std::ptr::eq(served, *adapter)) {
                stdio_context = Some(Arc::clone(&context));
                continue;
            }
            plan(Served::Mcp(adapter), adapter.address, adapter.port);
        }
        for adapter in capability.control {
            plan(Served::Control(adapter), adapter.address, adapter.port);
        }
        for adapter in capability.skill {
            plan(Served::Skill(adapter), adapter.address, adapter.port);
        }
    }
    let groups = shared_listener::group(&planned)?;

    // Bind every listener before serving any, so a port in use stops start-up.
    let mut addresses = vec![None; planned.len()];
    let mut bound = Vec::with_capacity(groups.len());
    for members in groups {
        let first = &planned[members[0]];
        let (listener, address) = bind(
            first.adapter.kind(),
            first.adapter.namespace(),
            &first.host,
            first.port,
        )
        .await?;
        for &index in &members {
            addresses[index] = Some(address);
        }
        bound.push((listener, address, members));
    }
    let health = match options.health {
        Some(address) => {
            let listen_error = |source: io::Error| ServeError::Listen {
                kind: AdapterKind::Control,
                namespace: HEALTH_NAMESPACE,
                address: address.to_string(),
                source,
            };
            let listener = TcpListener::bind(address).await.map_err(listen_error)?;
            let bound = listener.local_addr().map_err(listen_error)?;
            Some((listener, bound))
        }
        None => None,
    };
    let listeners = planned
        .iter()
        .zip(&addresses)
        .filter_map(|(adapter, address)| {
            Some(Listener {
                kind: adapter.adapter.kind(),
                namespace: adapter.adapter.namespace(),
                address: (*address)?,
            })
        })
        .collect();

    let states = Arc::new(ListenerStates::new(listeners));
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut listener_shutdowns = vec![shutdown.child_token(); planned.len()];
    for (listener, address, members) in bound {
        let allowed_hosts = AllowedHosts::for_bind_address(address.ip());
        let first = &planned[members[0]];
        let router = match shared_listener::router(&planned, &members, &allowed_hosts) {
            Some(router) => router,
            None => match first.adapter {
                Served::Control(adapter) => control::router(
                    adapter,
                    capabilities,
                    Arc::clone(&states),
                    first.context.binds(),
                ),
                _ => axum::Router::new(),
            },
        };
        let limits = RequestLimits {
            max_body_bytes: options.max_body_bytes,
            max_concurrency: options.max_concurrency,
        };
        let router = limits::apply(router, limits);
        let token = shutdown.child_token();
        for &index in &members {
            listener_shutdowns[index] = token.clone();
        }
        // Readiness drops as soon as shutdown begins, before open connections finish.
        let stopping = Arc::clone(&states);
        let stopping_members = members.clone();
        let stopped = async move {
            token.cancelled().await;
            for index in stopping_members {
                stopping.set_serving(index, false);
            }
        };
        let guard = ServingGuard {
            states: Arc::clone(&states),
            indexes: members.clone(),
        };
        for &index in &members {
            states.set_serving(index, true);
        }
        tasks.spawn(async move {
            let _guard = guard;
            http_server::serve(listener, router, stopped).await;
            Ok::<(), ServeError>(())
        });
    }
    let health_address = health.as_ref().map(|(_, address)| *address);
    if let Some((listener, _)) = health {
        let router = control::health_router(capabilities, Arc::clone(&states));
        let token = shutdown.child_token();
        tasks.spawn(async move {
            http_server::serve(listener, router, token.cancelled_owned()).await;
            Ok::<(), ServeError>(())
        });
    }
    if let (Some(adapter), Some(context)) = (stdio_adapter, stdio_context) {
        tasks.spawn(serve_stdio(adapter, context, shutdown.clone()));
    }
    Ok(Server {
        states,
        tasks,
        shutdown,
        listener_shutdowns,
        health_address,
    })
}

/// Returns the capabilities of `all` whose names `only` lists, in `all`'s order, or every
/// capability when `only` is empty.
///
/// The selection is leaked, once per process, because adapters keep `'static` references to
/// the capability list.
pub fn select_capabilities(
    all: &'static [&'static Capability],
    only: &[String],
) -> Result<&'static [&'static Capability], ServeError> {
    if only.is_empty() {
        return Ok(all);
    }
    for name in only {
        if !all.iter().any(|capability| capability.name == name) {
            let known: Vec<&str> = all.iter().map(|capability| capability.name).collect();
            return Err(ServeError::UnknownCapability {
                name: name.clone(),
                known: known.join(", "),
            });
        }
    }
    let selected: Vec<&'static Capability> = all
        .iter()
        .copied()
        .filter(|capability| only.iter().any(|name| name == capability.name))
        .collect();
    Ok(selected.leak())
}

/// Checks that every override names an existing namespace and every base URI is usable.
fn check_options(
    capabilities: &'static [&'static Capability],
    options: &ServeOptions,
) -> Result<(), ServeError> {
    let exposed: Vec<&str> = capabilities
        .iter()
        .flat_map(|capability| {
            let rest = capability.rest.iter().map(|adapter| adapter.namespace);
            let mcp = capability.mcp.iter().map(|adapter| adapter.namespace);
            let control = capability.control.iter().map(|adapter| adapter.namespace);
            let skill = capability.skill.iter().map(|adapter| adapter.namespace);
            rest.chain(mcp).chain(control).chain(skill)
        })
        .collect();
    for namespace in options.ports.keys() {
        if !exposed.contains(&namespace.as_str()) {
            return Err(ServeError::UnknownAdapter {
                namespace: namespace.clone(),
                known: exposed.join(", "),
            });
        }
    }

    let consumed: Vec<&str> = capabilities
        .iter()
        .flat_map(|capability| capability.consumes.iter().map(|api| api.namespace))
        .collect();
    for (namespace, uri) in &options.base_uris {
        if !consumed.contains(&namespace.as_str()) {
            return Err(ServeError::UnknownApi {
                namespace: namespace.clone(),
                known: consumed.join(", "),
            });
        }
        let invalid = |reason: String| ServeError::InvalidBaseUri {
            namespace: namespace.clone(),
            reason,
        };
        let url = reqwest::Url::parse(uri).map_err(|error| invalid(format!("`{uri}`: {error}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!("`{uri}` is not an http or https URL")));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(format!(
                "`{uri}` must not have a query or fragment"
            )));
        }
    }
    Ok(())
}

/// Returns the host and port of one adapter: `--address`, else the spec's address, else
/// [`DEFAULT_ADDRESS`], on `--port` or the spec's port.
fn resolve_address(
    namespace: &str,
    spec_address: Option<&'static str>,
    spec_port: u16,
    options: &ServeOptions,
) -> (String, u16) {
    let port = options.ports.get(namespace).copied().unwrap_or(spec_port);
    let host = match (options.address, spec_address) {
        (Some(address), _) => address.to_string(),
        (None, Some(address)) => address.to_owned(),
        (None, None) => DEFAULT_ADDRESS.to_string(),
    };
    (host, port)
}

/// Binds the listener of an adapter, or of the first of the adapters that share it.
async fn bind(
    kind: AdapterKind,
    namespace: &'static str,
    host: &str,
    port: u16,
) -> Result<(TcpListener, SocketAddr), ServeError> {
    let listen_error = |source: io::Error| ServeError::Listen {
        kind,
        namespace,
        address: host_port(host, port),
        source,
    };
    let listener = TcpListener::bind((host, port))
        .await
        .map_err(listen_error)?;
    let address = listener.local_addr().map_err(listen_error)?;
    Ok((listener, address))
}

/// Returns the MCP adapter to serve on stdio: the one `requested` names, else the one the
/// spec declares with `transport: stdio`, else none.
fn stdio_adapter(
    capabilities: &'static [&'static Capability],
    requested: Option<&str>,
) -> Result<Option<&'static McpAdapter>, ServeError> {
    let adapters = || {
        capabilities
            .iter()
            .flat_map(|capability| capability.mcp.iter().copied())
    };
    let mut chosen = match requested {
        Some(namespace) => match adapters().find(|adapter| adapter.namespace == namespace) {
            Some(adapter) => Some(adapter),
            None => {
                let known: Vec<&str> = adapters().map(|adapter| adapter.namespace).collect();
                return Err(ServeError::UnknownStdioAdapter {
                    namespace: namespace.to_owned(),
                    known: known.join(", "),
                });
            }
        },
        None => None,
    };
    for adapter in adapters().filter(|adapter| adapter.stdio) {
        match chosen {
            Some(first) if std::ptr::eq(first, adapter) => {}
            Some(first) => {
                return Err(ServeError::SeveralStdioAdapters {
                    first: first.namespace,
                    second: adapter.namespace,
                });
            }
            None => chosen = Some(adapter),
        }
    }
    Ok(chosen)
}

/// Serves `adapter` on stdin and stdout, then stops every other adapter.
async fn serve_stdio(
    adapter: &'static McpAdapter,
    context: Arc<CapabilityContext>,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let (input, output) = rmcp::transport::stdio_pipes();
    let result = mcp::serve_io(adapter, context, input, output, shutdown.child_token()).await;
    tracing::info!(
        adapter = adapter.namespace,
        "mcp stdio client closed stdin, stopping adapters"
    );
    shutdown.cancel();
    result.map_err(|error| ServeError::Stopped {
        kind: AdapterKind::Mcp,
        namespace: adapter.namespace,
        reason: error.reason,
    })
}

/// Returns `host:port`, with an IPv6 address in brackets.
pub(crate) fn host_port(host: &str, port: u16) -> String {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(address)) => format!("[{address}]:{port}"),
        _ => format!("{host}:{port}"),
    }
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "failed to listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "failed to listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Writes every capability with its consumed APIs, its adapters and their addresses as
/// the specs declare them, each REST route and MCP tool with the upstream operation it
/// calls.
pub fn list(capabilities: &[&Capability], out: &mut impl Write) -> io::Result<()> {
    for capability in capabilities {
        writeln!(
            out,
            "capability {} ({})",
            capability.name, capability.spec_file
        )?;
        for api in capability.consumes {
            writeln!(out, "  consumes {} at {}", api.namespace, api.base_uri)?;
        }
        for adapter in capability.rest {
            let address = spec_address(adapter.address, adapter.port);
            writeln!(out, "  rest {} on http://{address}", adapter.namespace)?;
            for operation in adapter.operations {
                writeln!(
                    out,
                    "    {} {} -> {}",
                    operation.method.as_str(),
                    operation.route,
                    describe_call(operation.call.as_ref())
                )?;
            }
        }
        for adapter in capability.mcp {
            let address = spec_address(adapter.address, adapter.port);
            writeln!(out, "  mcp {} on http://{address}/mcp", adapter.namespace)?;
            for tool in adapter.tools {
                writeln!(
                    out,
                    "    tool {} -> {}",
                    tool.name,
                    describe_call(tool.call.as_ref())
                )?;
            }
        }
        for adapter in capability.control {
            let address = spec_address(adapter.address, adapter.port);
            writeln!(out, "  control {} on http://{address}", adapter.namespace)?;
            for (enabled, paths) in [
                (adapter.health, "GET /health/live, GET /health/ready"),
                (adapter.info, "GET /status"),
                (adapter.metrics, "GET /metrics"),
            ] {
                if enabled {
                    writeln!(out, "    {paths}")?;
                }
            }
        }
        for adapter in capability.skill {
            let address = spec_address(adapter.address, adapter.port);
            writeln!(
                out,
                "  skill {} on http://{address}/skills",
                adapter.namespace
            )?;
            for skill in adapter.skills {
                writeln!(
                    out,
                    "    skill {} ({} tools, {} files)",
                    skill.name,
                    skill.tools.len(),
                    skill.files.len()
                )?;
            }
        }
    }
    Ok(())
}

fn spec_address(address: Option<&str>, port: u16) -> String {
    let host = address.map_or_else(|| DEFAULT_ADDRESS.to_string(), str::to_owned);
    host_port(&host, port)
}

/// Returns `namespace.resource.operation (METHOD /path/{param})`.
fn describe_call(call: Option<&crate::descriptor::Call>) -> String {
    match call {
        Some(call) => describe_upstream(call.operation),
        None => "mock (answers from its outputs, no upstream call)".to_owned(),
    }
}

fn describe_upstream(operation: &UpstreamOperation) -> String {
    let mut path = String::new();
    for part in operation.path {
        match part {
            PathPart::Literal(text) => path.push_str(text),
            PathPart::Param(index) => {
                let name = operation.params.get(*index).map_or("?", |param| param.name);
                path.push('{');
                path.push_str(name);
                path.push('}');
            }
        }
    }
    format!(
        "{} ({} {path})",
        upstream::operation_id(operation),
        operation.method.as_str()
    )
}

/// Sends `tracing` output to stderr, filtered by `RUST_LOG` (default `info`).
///
/// Does nothing when a global subscriber is already set.
pub fn init_logging() {
    let configured = std::env::var("RUST_LOG").unwrap_or_default();
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // rmcp logs whole JSON-RPC messages at debug level, tool arguments and upstream responses
    // included, which can hold callers' passwords and issued tokens. It stays at `info`
    // unless `RUST_LOG` names it.
    if !configured.contains("rmcp")
        && let Ok(directive) = "rmcp=info".parse()
    {
        filter = filter.add_directive(directive);
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .with_writer(io::stderr)
        .try_init();
}
