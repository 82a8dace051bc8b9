//! A fake Docker Hub on a loopback port that records every request, and helpers shared by
//! the tests of the generated adapters and of the `naftiko-rs` binary. The fake upstream,
//! the loopback client and the MCP client come from `naftiko-test-support`.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

pub mod catalog;
pub mod hub;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use naftiko_rs::docker_hub_org_access_tokens::CAPABILITY;
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;

use hub::{Hub, HubResponse};
use naftiko_test_support::{FakeUpstream, Reply, Response, loopback_http};

/// The bind value the tests use for `DOCKER_HUB_API_KEY`: distinctive, so a search of any
/// output for it finds only a leak.
pub const TOKEN: &str = "dckr_oat_E2E-9xQv7Lm2-leak-canary";

/// The consumes namespace of the Docker Hub spec.
pub const CONSUMES_NAMESPACE: &str = "docker-hub-org-access-tokens";

/// Starts a fake Docker Hub on a free loopback port that responds like [`Hub`] until
/// [`FakeUpstream::reply_with`] sets a fixed reply.
pub async fn start_hub() -> FakeUpstream {
    let hub = Hub::default();
    FakeUpstream::start(move |request| {
        let response = hub.handle(
            &request.method,
            &request.path,
            request.authorization(),
            &request.body,
        );
        hub_reply(response)
    })
    .await
}

fn hub_reply(response: HubResponse) -> Reply {
    match response.body {
        Some(body) => Reply::json(response.status, body),
        None => Reply::empty(response.status),
    }
}

/// Returns the generated capability's context: [`TOKEN`] as `DOCKER_HUB_API_KEY`, the
/// runtime's HTTP client, and the Docker Hub API at `base_uri`.
pub fn context(base_uri: &str) -> Arc<CapabilityContext> {
    let binds = BindValues::from_values(vec![Secret::new(TOKEN)]);
    let http = upstream::http_client(Duration::from_secs(10), Duration::from_secs(5))
        .expect("builds the upstream HTTP client");
    let base_uris = BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), base_uri.to_owned())]);
    Arc::new(CapabilityContext::new(&CAPABILITY, binds, http, &base_uris))
}

/// Sends one request with an optional JSON body and reads the whole response.
pub async fn send(method: reqwest::Method, url: &str, body: Option<&str>) -> Response {
    let mut request = loopback_http().request(method, url);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    naftiko_test_support::send(request).await
}
