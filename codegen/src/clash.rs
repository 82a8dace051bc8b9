//! Checks across specs: adapters that share a listener must fit together.
//!
//! Several specs may declare the same address and port (the Docker Hub catalog puts
//! every capability on 8080 and 9090). REST adapters on one port merge their routes
//! and MCP adapters serve the union of their tools, so the build rejects what cannot
//! merge: a route and method declared twice, or adapters of different kinds on one
//! port. Tool names that clash are served qualified by namespace in the union, which
//! the build reports as a warning.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::Capability;
use crate::yaml::Pos;

/// The address an adapter binds when the spec names none.
const DEFAULT_ADDRESS: &str = "127.0.0.1";

/// One adapter on a listener.
struct Entry<'a> {
    capability: &'a Capability,
    kind: &'static str,
    namespace: &'a str,
    pos: Pos,
    /// REST routes as (method, route, position).
    routes: Vec<(&'static str, &'a str, Pos)>,
    /// MCP tools as (name, position).
    tools: Vec<(&'a str, Pos)>,
    /// Whether the adapter declares caller authentication.
    authenticates: bool,
}

/// Returns the errors and warnings about adapters of different specs, or of one spec,
/// that declare the same address and port.
pub fn check(capabilities: &[Capability]) -> Vec<Diagnostic> {
    let mut listeners: BTreeMap<(String, u16), Vec<Entry<'_>>> = BTreeMap::new();
    for capability in capabilities {
        for adapter in &capability.rest {
            let key = listener(adapter.address.as_deref(), adapter.port);
            listeners.entry(key).or_default().push(Entry {
                capability,
                kind: "rest",
                namespace: &adapter.namespace,
                pos: adapter.pos,
                routes: adapter
                    .operations
                    .iter()
                    .map(|op| (op.method.as_str(), op.route.as_str(), op.pos))
                    .collect(),
                tools: Vec::new(),
                authenticates: adapter.auth.is_some(),
            });
        }
        for adapter in capability.mcp.iter().filter(|a| !a.stdio) {
            let key = listener(adapter.address.as_deref(), adapter.port);
            listeners.entry(key).or_default().push(Entry {
                capability,
                kind: "mcp",
                namespace: &adapter.namespace,
                pos: adapter.pos,
                routes: Vec::new(),
                tools: adapter
                    .tools
                    .iter()
                    .map(|t| (t.name.as_str(), t.pos))
                    .collect(),
                authenticates: adapter.auth.is_some(),
            });
        }
    }

    let mut diagnostics = Vec::new();
    for ((address, port), entries) in &listeners {
        for (index, entry) in entries.iter().enumerate() {
            for earlier in &entries[..index] {
                compare(earlier, entry, address, *port, &mut diagnostics);
            }
        }
    }
    diagnostics
}

fn listener(address: Option<&str>, port: u16) -> (String, u16) {
    let address = match address {
        None | Some("localhost") => DEFAULT_ADDRESS,
        Some(address) => address,
    };
    (address.to_string(), port)
}

fn compare(
    earlier: &Entry<'_>,
    entry: &Entry<'_>,
    address: &str,
    port: u16,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if earlier.kind != entry.kind {
        diagnostics.push(error(
            entry,
            entry.pos,
            format!(
                "{} adapter `{}` and {} adapter `{}` ({}) both listen on {address}:{port}",
                entry.kind,
                entry.namespace,
                earlier.kind,
                earlier.namespace,
                location(earlier, earlier.pos)
            ),
            "give one of them another port in its spec",
        ));
        return;
    }
    for (method, route, pos) in &entry.routes {
        let clash = earlier
            .routes
            .iter()
            .find(|(m, r, _)| m == method && r == route);
        if let Some((_, _, earlier_pos)) = clash {
            diagnostics.push(error(
                entry,
                *pos,
                format!(
                    "{method} {route} is also declared by REST adapter `{}` ({}) on {address}:{port}",
                    earlier.namespace,
                    location(earlier, *earlier_pos)
                ),
                "REST adapters on one port share their routes; remove one, or give one adapter another port",
            ));
        }
    }
    if entry.kind == "mcp" && (earlier.authenticates || entry.authenticates) {
        diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            file: entry.capability.spec_file.clone(),
            pos: entry.pos,
            message: format!(
                "MCP adapter `{}` shares {address}:{port} with MCP adapter `{}` ({}), and at least \
                 one of them authenticates callers; /mcp serves both and requires the \
                 credentials of each",
                entry.namespace,
                earlier.namespace,
                location(earlier, earlier.pos)
            ),
            hint: Some(format!(
                "callers that hold one adapter's credentials use /mcp/{} or /mcp/{}; or give \
                 one adapter another port",
                earlier.namespace, entry.namespace
            )),
        });
    }
    for (name, pos) in &entry.tools {
        let clash = earlier.tools.iter().find(|(n, _)| n == name);
        if let Some((_, earlier_pos)) = clash {
            diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                file: entry.capability.spec_file.clone(),
                pos: *pos,
                message: format!(
                    "tool `{name}` is also declared by MCP adapter `{}` ({}) on {address}:{port}; \
                     at /mcp both are served as `{}.{name}` and `{}.{name}`",
                    earlier.namespace,
                    location(earlier, *earlier_pos),
                    earlier.namespace,
                    entry.namespace
                ),
                hint: Some(format!(
                    "each keeps its name at /mcp/{} and /mcp/{}",
                    earlier.namespace, entry.namespace
                )),
            });
        }
    }
}

fn error(entry: &Entry<'_>, pos: Pos, message: String, hint: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: entry.capability.spec_file.clone(),
        pos,
        message,
        hint: Some(hint.to_string()),
    }
}

fn location(entry: &Entry<'_>, pos: Pos) -> String {
    format!("{}:{}:{}", entry.capability.spec_file, pos.line, pos.column)
}
