//! Grouping adapters by the address and port they listen on.
//!
//! Adapters of different capabilities that declare the same address and port share one
//! listener: REST adapters through one merged router ([`rest_shared`]), MCP adapters through
//! one union server ([`crate::mcp_union`]). Any other mix on one port cannot be served and is
//! rejected before anything binds.

use std::collections::HashMap;
use std::sync::Arc;

use crate::descriptor::{Capability, ControlAdapter, McpAdapter, RestAdapter, SkillAdapter};
use crate::invoke::CapabilityContext;
use crate::mcp::{self, AllowedHosts};
use crate::rest_shared::{self, RouteClash};
use crate::serve::AdapterKind;
use crate::{mcp_union, rest, skill};

/// One adapter to serve over HTTP, with the address it resolved to.
pub(crate) struct PlannedAdapter {
    pub(crate) adapter: Served,
    pub(crate) capability: &'static Capability,
    pub(crate) context: Arc<CapabilityContext>,
    /// The host to bind: `--address`, the spec's address or the default.
    pub(crate) host: String,
    /// The port to bind: `--port`, or the spec's port.
    pub(crate) port: u16,
}

/// The descriptor of a planned adapter.
#[derive(Clone, Copy)]
pub(crate) enum Served {
    Rest(&'static RestAdapter),
    Mcp(&'static McpAdapter),
    Control(&'static ControlAdapter),
    Skill(&'static SkillAdapter),
}

impl Served {
    pub(crate) fn kind(self) -> AdapterKind {
        match self {
            Self::Rest(_) => AdapterKind::Rest,
            Self::Mcp(_) => AdapterKind::Mcp,
            Self::Control(_) => AdapterKind::Control,
            Self::Skill(_) => AdapterKind::Skill,
        }
    }

    pub(crate) fn namespace(self) -> &'static str {
        match self {
            Self::Rest(adapter) => adapter.namespace,
            Self::Mcp(adapter) => adapter.namespace,
            Self::Control(adapter) => adapter.namespace,
            Self::Skill(adapter) => adapter.namespace,
        }
    }
}

/// Adapters that cannot share the listener they declare.
#[derive(Debug, thiserror::Error)]
pub enum SharedListenerError {
    /// Two adapters of kinds that cannot be merged declare one address and port.
    #[error(
        "{first_kind} adapter `{first_namespace}` ({first_spec}) and {second_kind} adapter \
         `{second_namespace}` ({second_spec}) both listen on {address}; only rest adapters or \
         only mcp adapters can share a port, so give one of them another port"
    )]
    KindMix {
        /// The `host:port` both declare.
        address: String,
        /// The first adapter's kind.
        first_kind: AdapterKind,
        /// The first adapter's expose namespace.
        first_namespace: &'static str,
        /// The spec file of the first adapter's capability.
        first_spec: &'static str,
        /// The second adapter's kind.
        second_kind: AdapterKind,
        /// The second adapter's expose namespace.
        second_namespace: &'static str,
        /// The spec file of the second adapter's capability.
        second_spec: &'static str,
    },
    /// Two REST adapters on one listener declare the same route and method.
    #[error(transparent)]
    RouteClash(#[from] RouteClash),
}

/// Groups `planned` by host and port, in start-up order, and checks that each group can be
/// served by one listener. Port `0` asks the system for a free port, so such adapters never
/// share one.
pub(crate) fn group(planned: &[PlannedAdapter]) -> Result<Vec<Vec<usize>>, SharedListenerError> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_address: HashMap<(&str, u16), usize> = HashMap::new();
    for (index, adapter) in planned.iter().enumerate() {
        if adapter.port == 0 {
            groups.push(vec![index]);
            continue;
        }
        match by_address.get(&(adapter.host.as_str(), adapter.port)) {
            Some(&position) => groups[position].push(index),
            None => {
                by_address.insert((adapter.host.as_str(), adapter.port), groups.len());
                groups.push(vec![index]);
            }
        }
    }
    for members in &groups {
        check_group(planned, members)?;
    }
    Ok(groups)
}

fn check_group(planned: &[PlannedAdapter], members: &[usize]) -> Result<(), SharedListenerError> {
    let Some((&first_index, others)) = members.split_first() else {
        return Ok(());
    };
    let first = &planned[first_index];
    for &index in others {
        let other = &planned[index];
        let first_kind = first.adapter.kind();
        let second_kind = other.adapter.kind();
        let mergeable = matches!(
            (first_kind, second_kind),
            (AdapterKind::Rest, AdapterKind::Rest) | (AdapterKind::Mcp, AdapterKind::Mcp)
        );
        if !mergeable {
            return Err(SharedListenerError::KindMix {
                address: crate::serve::host_port(&first.host, first.port),
                first_kind,
                first_namespace: first.adapter.namespace(),
                first_spec: first.capability.spec_file,
                second_kind,
                second_namespace: other.adapter.namespace(),
                second_spec: other.capability.spec_file,
            });
        }
    }
    let rest: Vec<(&'static RestAdapter, &'static Capability)> = members
        .iter()
        .filter_map(|&index| match planned[index].adapter {
            Served::Rest(adapter) => Some((adapter, planned[index].capability)),
            _ => None,
        })
        .collect();
    rest_shared::check_routes(&rest)?;
    Ok(())
}

/// Builds the router of a group of REST or MCP adapters, or of a skill adapter. Returns
/// `None` for a control adapter, whose router needs every listener's state.
pub(crate) fn router(
    planned: &[PlannedAdapter],
    members: &[usize],
    allowed_hosts: &AllowedHosts,
) -> Option<axum::Router> {
    let first = &planned[*members.first()?];
    match first.adapter {
        Served::Rest(_) => {
            let rest: Vec<(&'static RestAdapter, Arc<CapabilityContext>)> = members
                .iter()
                .filter_map(|&index| match planned[index].adapter {
                    Served::Rest(adapter) => Some((adapter, Arc::clone(&planned[index].context))),
                    _ => None,
                })
                .collect();
            let adapters: Vec<&'static RestAdapter> =
                rest.iter().map(|(adapter, _)| *adapter).collect();
            let router = match rest.as_slice() {
                [(adapter, context)] => rest::router(adapter, Arc::clone(context)),
                _ => rest_shared::router(&rest),
            };
            Some(rest_shared::with_openapi(router, &adapters))
        }
        Served::Mcp(adapter) if members.len() == 1 => Some(mcp::router_with_allowed_hosts(
            adapter,
            Arc::clone(&first.context),
            allowed_hosts.clone(),
        )),
        Served::Mcp(_) => {
            let mcp: Vec<(&'static McpAdapter, Arc<CapabilityContext>)> = members
                .iter()
                .filter_map(|&index| match planned[index].adapter {
                    Served::Mcp(adapter) => Some((adapter, Arc::clone(&planned[index].context))),
                    _ => None,
                })
                .collect();
            Some(mcp_union::router(&mcp, allowed_hosts))
        }
        Served::Skill(adapter) => Some(skill::router(adapter, Arc::clone(&first.context))),
        Served::Control(_) => None,
    }
}
