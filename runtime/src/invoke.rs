//! Turning the inputs of an exposed operation into an upstream call.

use serde_json::Value;

use crate::descriptor::{Call, Capability, ConsumedApi, Input};
use crate::upstream::{CallError, UpstreamClient, UpstreamResponse};

/// The run-time state of one capability: its resolved bind variables and one
/// upstream client per consumed API.
pub struct CapabilityContext {
    // Owned by the runtime helper: capability, secrets, clients.
}

impl CapabilityContext {
    /// Returns the capability this context serves.
    pub fn capability(&self) -> &'static Capability {
        unimplemented!("scaffold")
    }

    /// Returns the client of a consumed API of this capability.
    pub fn client(&self, _api: &'static ConsumedApi) -> &UpstreamClient {
        unimplemented!("scaffold")
    }
}

/// An input that is missing, of the wrong type or otherwise unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid input `{name}`: {reason}")]
pub struct InputError {
    /// The input's name, as callers spell it.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Checks JSON arguments against declared inputs, returning one value per input.
pub fn inputs_from_json(
    _inputs: &'static [Input],
    _arguments: &serde_json::Map<String, Value>,
) -> Result<Vec<Option<Value>>, InputError> {
    unimplemented!("scaffold")
}

/// Calls the consumed operation of `call` with values taken from `inputs`.
pub async fn invoke(
    _context: &CapabilityContext,
    _call: &'static Call,
    _inputs: &[Option<Value>],
) -> Result<UpstreamResponse, CallError> {
    unimplemented!("scaffold")
}
