//! The capability context of a generated fixture, which needs the runtime's types. The
//! fake upstream, the loopback client and the MCP client come from `naftiko-test-support`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use naftiko_runtime::descriptor::Capability;
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;

/// Returns a context for `capability` with bind values in the order of
/// `capability.binds`, the runtime's HTTP client, and each consumed API at the URI given
/// for its namespace.
///
/// Fails the test unless `base_uris` names every consumed API, so that no test can send a
/// request to a fixture's own `baseUri`.
pub fn context(
    capability: &'static Capability,
    binds: &[&str],
    base_uris: &[(&str, String)],
) -> Arc<CapabilityContext> {
    assert_eq!(
        binds.len(),
        capability.binds.len(),
        "one bind value per bind variable"
    );
    for api in capability.consumes {
        assert!(
            base_uris
                .iter()
                .any(|(namespace, _)| *namespace == api.namespace),
            "the test must override the base URI of `{}`",
            api.namespace
        );
    }
    let binds = BindValues::from_values(binds.iter().map(|value| Secret::new(*value)).collect());
    let http = upstream::http_client(Duration::from_secs(10), Duration::from_secs(5))
        .expect("builds the upstream HTTP client");
    let base_uris: BTreeMap<String, String> = base_uris
        .iter()
        .map(|(namespace, uri)| ((*namespace).to_owned(), uri.clone()))
        .collect();
    Arc::new(CapabilityContext::new(capability, binds, http, &base_uris))
}
