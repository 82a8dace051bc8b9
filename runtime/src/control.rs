//! Serving a control adapter (`type: control`): the management endpoints of the whole binary.
//!
//! | path | enabled by | response |
//! | --- | --- | --- |
//! | `GET /health/live` | [`ControlAdapter::health`] | `200 {"status": "UP"}` while the process runs |
//! | `GET /health/ready` | [`ControlAdapter::health`] | `200 {"status": "UP", ...}` when every listener serves, else `503 {"status": "DEGRADED", ...}` |
//! | `GET /status` | [`ControlAdapter::info`] | capabilities, adapters with addresses and states, uptime, version |
//! | `GET /metrics` | [`ControlAdapter::metrics`] | [`metrics::render`] as `text/plain; version=0.0.4` |
//!
//! The paths and the `UP`/`DEGRADED` and `started`/`stopped` values are those of the Naftiko
//! reference engine. A disabled endpoint, like any other path, is a JSON `404`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::caller_auth;
use crate::descriptor::{Capability, ControlAdapter};
use crate::metrics;
use crate::rest::error_response;
use crate::secret::BindValues;
use crate::serve::ListenerStates;

/// The `Content-Type` of the Prometheus text exposition format 0.0.4.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The shared state of a control adapter's endpoints.
struct ControlState {
    capabilities: &'static [&'static Capability],
    listeners: Arc<ListenerStates>,
}

/// Builds the router of a control adapter. `capabilities` are those of the binary, and
/// `listeners` is the state of every listener the binary started, this one included.
///
/// When the adapter declares caller authentication, every request must pass
/// [`caller_auth::protect`] first, with its credential rendered from `binds`.
pub fn router(
    adapter: &'static ControlAdapter,
    capabilities: &'static [&'static Capability],
    listeners: Arc<ListenerStates>,
    binds: &BindValues,
) -> Router {
    let state = Arc::new(ControlState {
        capabilities,
        listeners,
    });
    let mut router = Router::new();
    if adapter.health {
        router = router
            .route("/health/live", get(live))
            .route("/health/ready", get(ready));
    }
    if adapter.info {
        router = router.route("/status", get(status));
    }
    if adapter.metrics {
        router = router.route("/metrics", get(metrics_text));
    }
    let router = router.fallback(not_found).with_state(state);
    match &adapter.auth {
        Some(auth) => caller_auth::protect(router, adapter.namespace, auth, binds),
        None => router,
    }
}

/// Builds the router of the `--health` listener: `GET /health/live` and `GET /health/ready`
/// as a control adapter serves them, without authentication, and a JSON `404` elsewhere.
pub fn health_router(
    capabilities: &'static [&'static Capability],
    listeners: Arc<ListenerStates>,
) -> Router {
    let state = Arc::new(ControlState {
        capabilities,
        listeners,
    });
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .fallback(not_found)
        .with_state(state)
}

async fn live() -> Response {
    axum::Json(json!({"status": "UP"})).into_response()
}

async fn ready(State(state): State<Arc<ControlState>>) -> Response {
    let ready = state.listeners.all_serving();
    let body = json!({
        "status": if ready { "UP" } else { "DEGRADED" },
        "adapters": adapters(&state.listeners),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn status(State(state): State<Arc<ControlState>>) -> Response {
    let capabilities: Vec<Value> = state
        .capabilities
        .iter()
        .map(|capability| {
            json!({
                "name": capability.name,
                "specFile": capability.spec_file,
                "description": capability.description,
            })
        })
        .collect();
    let uptime = metrics::uptime();
    let body = json!({
        "capabilities": capabilities,
        "engine": {"name": "naftiko-rs", "version": env!("CARGO_PKG_VERSION")},
        "uptime": iso_duration(uptime),
        "uptimeSeconds": uptime.as_secs_f64(),
        "adapters": adapters(&state.listeners),
    });
    axum::Json(body).into_response()
}

async fn metrics_text() -> Response {
    let content_type = HeaderValue::from_static(METRICS_CONTENT_TYPE);
    ([(header::CONTENT_TYPE, content_type)], metrics::render()).into_response()
}

async fn not_found(method: Method, uri: Uri) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no route for {method} {}", uri.path()),
    )
}

/// Returns one object per listener: type, namespace, bound address, URL and state.
fn adapters(listeners: &ListenerStates) -> Vec<Value> {
    listeners
        .listeners()
        .iter()
        .enumerate()
        .map(|(index, listener)| {
            let started = listeners.is_serving(index);
            json!({
                "type": listener.kind.to_string(),
                "namespace": listener.namespace,
                "address": listener.address.to_string(),
                "port": listener.address.port(),
                "url": listener.url(),
                "state": if started { "started" } else { "stopped" },
            })
        })
        .collect()
}

/// Formats a duration as ISO 8601 (`PT1H2M3.5S`), with millisecond precision, the way
/// `java.time.Duration` prints it.
fn iso_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    let hours = millis / 3_600_000;
    let minutes = millis / 60_000 % 60;
    let seconds = millis / 1000 % 60;
    let fraction = millis % 1000;
    let mut out = String::from("PT");
    if hours > 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if seconds > 0 || fraction > 0 || (hours == 0 && minutes == 0) {
        out.push_str(&seconds.to_string());
        if fraction > 0 {
            let digits = format!("{fraction:03}");
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
        out.push('S');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_duration_formats() {
        assert_eq!(iso_duration(Duration::ZERO), "PT0S");
        assert_eq!(iso_duration(Duration::from_millis(1500)), "PT1.5S");
        assert_eq!(iso_duration(Duration::from_millis(7_200_000)), "PT2H");
        assert_eq!(
            iso_duration(Duration::from_millis(3_723_040)),
            "PT1H2M3.04S"
        );
    }
}
