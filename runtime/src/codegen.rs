//! The one import surface of generated code.
//!
//! Generated modules refer to the runtime only through `naftiko_runtime::codegen`, so
//! the runtime can rearrange its modules without changing what the generator emits.

use std::sync::Arc;

use serde_json::Value;

pub use crate::descriptor::*;
pub use crate::invoke::CapabilityContext;
pub use crate::upstream::{CallError, UpstreamResponse};
pub use axum::Router;
pub use serde_json;

/// Sends one call of a typed client method: one value per parameter of `operation`.
pub async fn call(
    context: &CapabilityContext,
    operation: &'static UpstreamOperation,
    values: &[Option<Value>],
) -> Result<UpstreamResponse, CallError> {
    context
        .client(operation.api)
        .send(operation, values, context.binds())
        .await
}

/// Returns the router of a REST adapter.
pub fn rest_router(adapter: &'static RestAdapter, context: Arc<CapabilityContext>) -> Router {
    crate::rest::router(adapter, context)
}

/// Returns the router of an MCP adapter.
pub fn mcp_router(adapter: &'static McpAdapter, context: Arc<CapabilityContext>) -> Router {
    crate::mcp::router(adapter, context)
}
