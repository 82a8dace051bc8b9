//! The `naftiko-rs` command: serves or lists the capabilities compiled from `specs/`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use naftiko_runtime::serve::{self, ServeOptions};

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
        #[arg(long, value_name = "ADDR")]
        address: Option<IpAddr>,
        /// Port of the adapter with this expose namespace, instead of the spec's
        /// (0 picks a free port). Repeatable.
        #[arg(long = "port", value_name = "NAMESPACE=PORT", value_parser = parse_port)]
        ports: Vec<(String, u16)>,
        /// Base URI of the consumed API with this namespace, instead of the spec's.
        /// Repeatable.
        #[arg(long = "base-uri", value_name = "NAMESPACE=URL", value_parser = parse_base_uri)]
        base_uris: Vec<(String, String)>,
        /// Serve the MCP adapter with this expose namespace on stdin and stdout instead of
        /// on its port. Stdout then carries only its JSON-RPC messages; logs and the
        /// listening lines go to stderr.
        #[arg(long, value_name = "MCP_NAMESPACE")]
        stdio: Option<String>,
    },
    /// Print every capability, adapter, address, REST route and MCP tool.
    List,
}

fn split_assignment(text: &str) -> Result<(&str, &str), String> {
    match text.split_once('=') {
        Some((namespace, value)) if !namespace.is_empty() => Ok((namespace, value)),
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

fn parse_base_uri(text: &str) -> Result<(String, String), String> {
    let (namespace, uri) = split_assignment(text)?;
    if uri.is_empty() {
        return Err(format!("missing URL for `{namespace}`"));
    }
    Ok((namespace.to_owned(), uri.to_owned()))
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

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
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
            stdio,
        } => {
            serve::init_logging();
            let options = collect_unique("--port", ports).and_then(|ports| {
                let base_uris = collect_unique("--base-uri", base_uris)?;
                Ok(ServeOptions {
                    address,
                    ports,
                    base_uris,
                })
            });
            let options = match options {
                Ok(options) => options,
                Err(message) => {
                    eprintln!("naftiko-rs: error: {message}");
                    return ExitCode::from(2);
                }
            };
            let uses_stdio = stdio.is_some()
                || naftiko_rs::CAPABILITIES
                    .iter()
                    .any(|capability| capability.mcp.iter().any(|adapter| adapter.stdio));
            let code =
                match serve::serve_with_stdio(naftiko_rs::CAPABILITIES, options, stdio.as_deref())
                    .await
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
