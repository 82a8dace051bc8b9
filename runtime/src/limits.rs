//! Per-listener request limits: the largest request body and the most requests served at
//! once.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

use crate::rest::error_response;

/// The largest request body of a listener, as a request extension.
///
/// [`apply`] inserts it into every request, so the handlers that read a whole body (REST
/// operations and forwards) stop at the same size the listener enforces. A router served
/// without [`apply`] reads at most [`DEFAULT_MAX_BODY_BYTES`].
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The largest request body read when no listener limit applies, in bytes (2 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

impl BodyLimit {
    /// Returns the limit a request carries, or [`DEFAULT_MAX_BODY_BYTES`].
    pub fn of(extensions: &axum::http::Extensions) -> usize {
        extensions
            .get::<Self>()
            .map_or(DEFAULT_MAX_BODY_BYTES, |limit| limit.0)
    }
}

/// The request limits of one listener.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// The largest request body accepted, in bytes; a larger one gets a JSON `413`.
    pub max_body_bytes: usize,
    /// The maximum number of requests served at once; one more gets a JSON `503`. `None` sets no limit.
    pub max_concurrency: Option<usize>,
}

struct LimitState {
    max_body_bytes: usize,
    permits: Option<Arc<Semaphore>>,
}

/// Wraps `router` so that every request passes `limits` first.
pub fn apply(router: axum::Router, limits: RequestLimits) -> axum::Router {
    let state = Arc::new(LimitState {
        max_body_bytes: limits.max_body_bytes,
        permits: limits
            .max_concurrency
            .map(|permits| Arc::new(Semaphore::new(permits))),
    });
    router.layer(axum::middleware::from_fn_with_state(state, enforce))
}

async fn enforce(
    State(state): State<Arc<LimitState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let _permit = match &state.permits {
        Some(permits) => match Arc::clone(permits).try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                tracing::warn!(
                    path = request.uri().path(),
                    "request rejected: too many concurrent requests"
                );
                return error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    "the server is serving its maximum number of concurrent requests; retry later",
                );
            }
        },
        None => None,
    };

    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let max = state.max_body_bytes;
    request.extensions_mut().insert(BodyLimit(max));
    if declared.is_some_and(|length| length > u64::try_from(max).unwrap_or(u64::MAX)) {
        return too_large(request.uri().path(), max);
    }
    // A body without a declared length is read here, so its size is known before a handler
    // sees it.
    let request = if declared.is_none() {
        let (parts, body) = request.into_parts();
        match axum::body::to_bytes(body, max).await {
            Ok(bytes) => Request::from_parts(parts, Body::from(bytes)),
            Err(_) => return too_large(parts.uri.path(), max),
        }
    } else {
        request
    };
    next.run(request).await
}

fn too_large(path: &str, max: usize) -> Response {
    tracing::info!(
        path,
        max_body_bytes = max,
        "request rejected: body too large"
    );
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        &format!("the request body is larger than {max} bytes"),
    )
}
