//! The `naftiko-rs` command: serves the capabilities compiled from `specs/`, lists them, and
//! prints their OpenAPI documents and MCP tool lists.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use naftiko_runtime::serve::{self, ServeOptions};
use naftiko_runtime::{mcp, rest_shared};
use serde_json::{Map, Value};

/// Serves the REST and MCP adapters of the Naftiko capabilities built into this binary.
#[derive(Debug, Parser)]
#[command(name = "naftiko-rs", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve every adapter until Ctrl-C or SIGTERM.
    Serve {
        /// IP address every adapter binds to, instead of the spec's or 127.0.0.1.
        #[arg(long, value_name = "ADDR", env = "NAFTIKO_ADDRESS")]
        address: Option<IpAddr>,
        /// Port of the adapter with this expose namespace, instead of the spec's
        /// (0 picks a free port). Repeatable; the variable takes a comma-separated list.
        #[arg(
            long = "port",
            value_name = "NAMESPACE=PORT",
            value_parser = parse_port,
            env = "NAFTIKO_PORTS",
            value_delimiter = ','
        )]
        ports: Vec<(String, u16)>,
        /// Base URI of the consumed API with this namespace, instead of the spec's.
        /// Repeatable; the variable takes a comma-separated list.
        #[arg(
            long = "base-uri",
            value_name = "NAMESPACE=URL",
            value_parser = parse_base_uri,
            env = "NAFTIKO_BASE_URIS",
            value_delimiter = ','
        )]
        base_uris: Vec<(String, String)>,
        /// Serve only the capability with this name (a spec file's stem). Repeatable; the
        /// variable takes a comma-separated list.
        #[arg(
            long,
            value_name = "CAPABILITY",
            env = "NAFTIKO_ONLY",
            value_delimiter = ','
        )]
        only: Vec<String>,
        /// Time an upstream call may take in all, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        upstream_timeout: u64,
        /// Time connecting to an upstream may take, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
        connect_timeout: u64,
        /// Largest request body a listener accepts, in bytes; a larger one gets a 413.
        #[arg(
            long,
            value_name = "BYTES",
            default_value_t = serve::DEFAULT_MAX_BODY_BYTES,
            value_parser = parse_max_body_bytes
        )]
        max_body_bytes: usize,
        /// Most requests a listener serves at once; one more gets a 503. No limit when
        /// absent.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        max_concurrency: Option<u32>,
        /// Time in-flight requests get to finish after SIGTERM or Ctrl-C, in seconds;
        /// connections still open then are dropped.
        #[arg(long, value_name = "SECS", default_value_t = 10)]
        shutdown_timeout: u64,
        /// Times an idempotent upstream request (GET, HEAD, PUT, DELETE, OPTIONS) is sent
        /// again after a connection failure, waiting 100 ms and then twice as long each time, at most 5 s.
        /// Never after any response.
        #[arg(long, value_name = "N", default_value_t = 2)]
        retries: u32,
        /// Also listen on this address and port for `GET /health/live` and
        /// `GET /health/ready` only, so probes never share a port with adapter routes.
        #[arg(long, value_name = "ADDR:PORT")]
        health: Option<SocketAddr>,
        /// Serve the MCP adapter with this expose namespace on stdin and stdout instead of
        /// on its port. Stdout then carries only its JSON-RPC messages; logs and the
        /// listening lines go to stderr.
        #[arg(long, value_name = "MCP_NAMESPACE")]
        stdio: Option<String>,
    },
    /// Print every capability, adapter, address, REST route and MCP tool.
    List,
    /// Print the OpenAPI document of the REST adapter with this expose namespace, or an
    /// object of every REST adapter's document keyed by namespace.
    Openapi {
        /// The REST adapter's expose namespace.
        namespace: Option<String>,
    },
    /// Print the MCP `tools/list` result of the MCP adapter with this expose namespace, or
    /// an object of every MCP adapter's result keyed by namespace.
    Tools {
        /// The MCP adapter's expose namespace.
        namespace: Option<String>,
    },
}

/// Splits `NAMESPACE=VALUE`, ignoring spaces around each part, as a list in an
/// environment variable (`a=1, b=2`) tends to have.
fn split_assignment(text: &str) -> Result<(&str, &str), String> {
    match text.split_once('=') {
        Some((namespace, value)) if !namespace.trim().is_empty() => {
            Ok((namespace.trim(), value.trim()))
        }
        _ => Err(format!("expected NAMESPACE=VALUE, got `{text}`")),
    }
}

fn parse_port(text: &str) -> Result<(String, u16), String> {
    let (namespace, port) = split_assignment(text)?;
    let port = port
        .parse()
        .map_err(|_| format!("invalid port `{port}` for `{namespace}`: expected 0 to 65535"))?;
    Ok((namespace.to_owned(), port))
}

fn parse_max_body_bytes(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1, since every MCP message has a body".to_owned()),
        Ok(bytes) => Ok(bytes),
        Err(_) => Err(format!("expected a whole number of bytes, got `{text}`")),
    }
}

fn parse_base_uri(text: &str) -> Result<(String, String), String> {
    let (namespace, uri) = split_assignment(text)?;
    if uri.is_empty() {
        return Err(format!("missing URL for `{namespace}`"));
    }
    Ok((namespace.to_owned(), uri.to_owned()))
}

fn to_usize(value: u32) -> Option<usize> {
    usize::try_from(value).ok()
}

/// Collects `NAMESPACE=VALUE` pairs, rejecting a namespace given twice.
fn collect_unique<T>(option: &str, pairs: Vec<(String, T)>) -> Result<BTreeMap<String, T>, String> {
    let mut map = BTreeMap::new();
    for (namespace, value) in pairs {
        if map.insert(namespace.clone(), value).is_some() {
            return Err(format!("{option} is given twice for `{namespace}`"));
        }
    }
    Ok(map)
}

/// Returns the OpenAPI document of the REST adapter `namespace`, or of every REST adapter
/// keyed by namespace.
fn openapi_output(namespace: Option<&str>) -> Result<Value, String> {
    let adapters = naftiko_rs::CAPABILITIES
        .iter()
        .flat_map(|capability| capability.rest.iter().copied());
    let mut documents = Map::new();
    for adapter in adapters {
        if namespace.is_some_and(|wanted| wanted != adapter.namespace) {
            continue;
        }
        let document = rest_shared::openapi_document(&[adapter])?;
        documents.insert(adapter.namespace.to_owned(), document);
    }
    select_output(namespace, documents, "a REST", || {
        naftiko_rs::CAPABILITIES
            .iter()
            .flat_map(|capability| capability.rest.iter().map(|adapter| adapter.namespace))
            .collect()
    })
}

/// Returns the `tools/list` result of the MCP adapter `namespace`, or of every MCP adapter
/// keyed by namespace.
fn tools_output(namespace: Option<&str>) -> Result<Value, String> {
    let adapters = naftiko_rs::CAPABILITIES
        .iter()
        .flat_map(|capability| capability.mcp.iter().copied());
    let mut results = Map::new();
    for adapter in adapters {
        if namespace.is_some_and(|wanted| wanted != adapter.namespace) {
            continue;
        }
        let result = serde_json::to_value(mcp::tools_list(adapter)).map_err(|error| {
            format!(
                "failed to encode the tools of `{}`: {error}",
                adapter.namespace
            )
        })?;
        results.insert(adapter.namespace.to_owned(), result);
    }
    select_output(namespace, results, "an MCP", || {
        naftiko_rs::CAPABILITIES
            .iter()
            .flat_map(|capability| capability.mcp.iter().map(|adapter| adapter.namespace))
            .collect()
    })
}

/// Returns the one entry of `found` when `namespace` is given, else all of them.
fn select_output(
    namespace: Option<&str>,
    mut found: Map<String, Value>,
    kind: &str,
    known: impl Fn() -> Vec<&'static str>,
) -> Result<Value, String> {
    match namespace {
        Some(namespace) => found.remove(namespace).ok_or_else(|| {
            format!(
                "`{namespace}` is not {kind} adapter; expected one of: {}",
                known().join(", ")
            )
        }),
        None => Ok(Value::Object(found)),
    }
}

/// Prints `output` as pretty JSON, or the error, and returns the exit code.
fn print_json(output: Result<Value, String>) -> ExitCode {
    let text = output.and_then(|value| {
        serde_json::to_string_pretty(&value)
            .map_err(|error| format!("failed to encode JSON: {error}"))
    });
    match text {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("naftiko-rs: error: {message}");
            ExitCode::from(2)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi { namespace } => print_json(openapi_output(namespace.as_deref())),
        Command::Tools { namespace } => print_json(tools_output(namespace.as_deref())),
        Command::List => {
            let mut stdout = std::io::stdout().lock();
            if let Err(error) = serve::list(naftiko_rs::CAPABILITIES, &mut stdout) {
                eprintln!("naftiko-rs: failed to write the list: {error}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Command::Serve {
            address,
            ports,
            base_uris,
            only,
            upstream_timeout,
            connect_timeout,
            max_body_bytes,
            max_concurrency,
            shutdown_timeout,
            retries,
            health,
            stdio,
        } => {
            serve::init_logging();
            let options = collect_unique("--port", ports).and_then(|ports| {
                let base_uris = collect_unique("--base-uri", base_uris)?;
                Ok(ServeOptions {
                    address,
                    ports,
                    base_uris,
                    upstream_timeout: Duration::from_secs(upstream_timeout),
                    connect_timeout: Duration::from_secs(connect_timeout),
                    max_body_bytes,
                    max_concurrency: max_concurrency.and_then(to_usize),
                    shutdown_timeout: Duration::from_secs(shutdown_timeout),
                    retries,
                    health,
                })
            });
            let capabilities = match serve::select_capabilities(naftiko_rs::CAPABILITIES, &only) {
                Ok(capabilities) => capabilities,
                Err(error) => {
                    eprintln!("naftiko-rs: error: {error}");
                    return ExitCode::from(2);
                }
            };
            let options = match options {
                Ok(options) => options,
                Err(message) => {
                    eprintln!("naftiko-rs: error: {message}");
                    return ExitCode::from(2);
                }
            };
            let uses_stdio = stdio.is_some()
                || capabilities
                    .iter()
                    .any(|capability| capability.mcp.iter().any(|adapter| adapter.stdio));
            let code = match serve::serve_with_stdio(capabilities, options, stdio.as_deref()).await
            {
                Ok(()) => 0_u8,
                Err(error) => {
                    eprintln!("naftiko-rs: error: {error}");
                    2
                }
            };
            if uses_stdio {
                // A read of stdin that is not a pipe runs on a blocking thread that nothing
                // can interrupt, and the runtime would wait for it on shutdown. Exiting here
                // skips that wait; every adapter has already stopped.
                std::process::exit(i32::from(code));
            }
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_assignment_parses() {
        assert_eq!(parse_port("api=8081"), Ok(("api".to_owned(), 8081)));
        assert!(parse_port("api=http").is_err());
        assert!(parse_port("api=70000").is_err());
        assert!(parse_port("=8081").is_err());
        assert!(parse_port("8081").is_err());
        assert_eq!(parse_port(" api = 8081"), Ok(("api".to_owned(), 8081)));
        assert!(parse_port(" =8081").is_err());
    }

    #[test]
    fn max_body_bytes_is_positive() {
        assert_eq!(parse_max_body_bytes("1024"), Ok(1024));
        assert!(parse_max_body_bytes("0").is_err());
        assert!(parse_max_body_bytes("-1").is_err());
    }

    #[test]
    fn base_uri_keeps_equals_in_url() {
        assert_eq!(
            parse_base_uri("hub=http://127.0.0.1:9000/a=b"),
            Ok(("hub".to_owned(), "http://127.0.0.1:9000/a=b".to_owned()))
        );
        assert!(parse_base_uri("hub=").is_err());
    }

    #[test]
    fn repeated_namespace_is_rejected() {
        let pairs = vec![("api".to_owned(), 1_u16), ("api".to_owned(), 2)];
        assert!(collect_unique("--port", pairs).is_err());
    }
}
