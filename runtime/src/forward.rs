//! Forwarding: REST resources that pass requests through to a consumed API.
//!
//! A [`Forward`] serves its route and every path below it, with any method, unless an
//! operation of the adapter has the route and method (see [`crate::rest::router`]). The
//! rest of the path is appended to the consumed API's base URI one segment at a time, so
//! no request reaches a path above the base URI's. The raw query and the body pass
//! unchanged. Of the caller's headers only the trusted ones pass, never a hop-by-hop
//! header, and the consumed API's authentication is applied as for calls. The upstream
//! status, body and content type come back as they are, errors included.

use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use std::sync::Arc;

use crate::auth::{self, Credentials, DigestRequest};
use crate::descriptor::{Forward, ParamLocation, RestAdapter};
use crate::invoke::CapabilityContext;
use crate::limits::BodyLimit;
use crate::rest::error_response;
use crate::upstream::{self, CallError, UpstreamClient, UpstreamResponse};

/// Every byte except the RFC 3986 unreserved characters, so a re-encoded segment
/// contains no `/`, `\`, `?`, `#` or `%` of its own.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Headers that concern one connection rather than the request (RFC 9110 §7.6.1), plus
/// `Host`, which names the adapter, and `Content-Length`, which the client recomputes.
/// They are never forwarded, even when trusted.
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Returns the forward of `adapter` that serves `path`, the request path as sent, and
/// the part of the path below its route. The longest matching route wins.
pub fn find<'p>(
    adapter: &'static RestAdapter,
    path: &'p str,
) -> Option<(&'static Forward, &'p str)> {
    adapter
        .forwards
        .iter()
        .filter_map(|forward| below(forward.route, path).map(|rest| (forward, rest)))
        .max_by_key(|(forward, _)| forward.route.trim_end_matches('/').len())
}

/// Returns the part of `path` below `route` (empty or starting with `/`), or `None` when
/// `path` is neither the route nor below it.
fn below<'p>(route: &str, path: &'p str) -> Option<&'p str> {
    let route = route.trim_end_matches('/');
    let rest = path.strip_prefix(route)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Passes one request through `forward` and logs one line.
pub async fn handle(
    adapter: &'static RestAdapter,
    forward: &'static Forward,
    context: Arc<CapabilityContext>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let outcome = pass(forward, &context, request).await;
    let duration_ms = started.elapsed().as_millis();
    match outcome {
        Ok(upstream) => {
            let upstream_status = upstream.status;
            let response = upstream_response(upstream);
            tracing::info!(
                adapter = adapter.namespace,
                forward = forward.route,
                method = method.as_str(),
                upstream_status,
                status = response.status().as_u16(),
                duration_ms,
                "request forwarded"
            );
            response
        }
        Err(error) => {
            let response = error.response();
            tracing::info!(
                adapter = adapter.namespace,
                forward = forward.route,
                method = method.as_str(),
                status = response.status().as_u16(),
                duration_ms,
                error = %error,
                "request forward failed"
            );
            response
        }
    }
}

/// A forwarded request that got no upstream response.
#[derive(Debug, thiserror::Error)]
enum ForwardError {
    /// The path climbs above the route, or the URL cannot be built from it.
    #[error("invalid path: {0}")]
    Path(String),
    /// The request body is too large or could not be read.
    #[error("{reason}")]
    Body {
        /// `413` or `400`.
        status: StatusCode,
        /// What failed.
        reason: String,
    },
    /// The upstream call failed.
    #[error(transparent)]
    Call(#[from] CallError),
}

impl ForwardError {
    fn response(&self) -> Response {
        match self {
            Self::Path(_) => {
                error_response(StatusCode::BAD_REQUEST, "invalid_path", &self.to_string())
            }
            Self::Body { status, .. } => {
                let code = match *status {
                    // The same code as the listener's limit, which most large bodies meet first.
                    StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
                    _ => "invalid_input",
                };
                error_response(*status, code, &self.to_string())
            }
            Self::Call(error) => error_response(
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_GATEWAY),
                error.code(),
                &error.to_string(),
            ),
        }
    }
}

/// Sends the request upstream and reads the whole response.
async fn pass(
    forward: &'static Forward,
    context: &CapabilityContext,
    request: Request,
) -> Result<UpstreamResponse, ForwardError> {
    let id = format!("{} (forward {})", forward.api.namespace, forward.route);
    let internal = |reason: String| CallError::Internal {
        operation: id.clone(),
        reason,
    };
    let client = context.find_client(forward.api).ok_or_else(|| {
        internal(format!(
            "consumed API {} is not part of capability {}",
            forward.api.namespace,
            context.capability().name
        ))
    })?;

    let (parts, body) = request.into_parts();
    let rest = below(forward.route, parts.uri.path()).unwrap_or_default();
    let credentials =
        Credentials::render(forward.api.auth.as_ref(), context.binds()).map_err(internal)?;
    let fixed = upstream::fixed_parts(forward.params, context.binds(), &id)?;
    let mut fixed_names: Vec<&str> = forward
        .params
        .iter()
        .filter(|param| param.location == ParamLocation::Query)
        .map(|param| param.name)
        .collect();
    if let Credentials::Query { name, .. } = &credentials {
        fixed_names.push(name);
    }
    let query = forwarded_query(parts.uri.query(), &fixed_names, &fixed.query);
    let url = upstream_url(client, rest, query.as_deref(), &credentials)?;
    let body = read_body(&parts, body).await?;
    let mut headers = forwarded_headers(&parts.headers, forward.trusted_headers, !body.is_empty());
    // The spec's values win over a trusted header of the same name.
    for name in fixed.headers.keys() {
        headers.remove(name);
    }
    headers.extend(fixed.headers);
    credentials.apply_header(&mut headers);

    let send = |headers: HeaderMap| {
        let mut request = client
            .http()
            .request(parts.method.clone(), url.clone())
            .headers(headers);
        if !body.is_empty() {
            request = request.body(body.clone());
        }
        request.send()
    };
    let response = send(headers.clone())
        .await
        .map_err(|error| upstream::transport_error(error, &id))?;
    let Credentials::Digest { username, password } = &credentials else {
        return Ok(upstream::read_response(response, &id).await?);
    };
    if response.status() != StatusCode::UNAUTHORIZED {
        return Ok(upstream::read_response(response, &id).await?);
    }
    let Some(challenge) = auth::digest_challenge(response.headers()) else {
        return Ok(upstream::read_response(response, &id).await?);
    };
    drop(response);

    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let cnonce = auth::cnonce().map_err(internal)?;
    let digest = DigestRequest {
        method: parts.method.as_str(),
        uri: &target,
        body: &body,
        cnonce: &cnonce,
        nc: 1,
    };
    let authorization =
        auth::digest_authorization(&challenge, &digest, username.expose(), password.expose())
            .map_err(internal)?;
    headers.insert(header::AUTHORIZATION, authorization);
    let response = send(headers)
        .await
        .map_err(|error| upstream::transport_error(error, &id))?;
    Ok(upstream::read_response(response, &id).await?)
}

/// Builds the upstream URL: the base URI, then each segment of `rest` percent-decoded and
/// encoded again as exactly one segment, then the raw query and an API key in the query.
///
/// A `.` or `..` segment, written plainly or percent-encoded, is rejected, because URL
/// parsers resolve every form of it and would move up the base URI's path.
fn upstream_url(
    client: &UpstreamClient,
    rest: &str,
    query: Option<&str>,
    credentials: &Credentials,
) -> Result<reqwest::Url, ForwardError> {
    let mut url = client.base_uri().to_owned();
    if let Some(segments) = rest.strip_prefix('/') {
        for segment in segments.split('/') {
            let decoded: Vec<u8> = percent_decode_str(segment).collect();
            if decoded == b"." || decoded == b".." {
                return Err(ForwardError::Path(
                    "a path segment must not be `.` or `..`".to_owned(),
                ));
            }
            url.push('/');
            url.extend(percent_encode(&decoded, NOT_UNRESERVED));
        }
    }
    let mut separator = '?';
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
        separator = '&';
    }
    if let Credentials::Query { name, value } = credentials {
        url.push(separator);
        url.extend(percent_encode(name.as_bytes(), NOT_UNRESERVED));
        url.push('=');
        url.extend(percent_encode(value.expose().as_bytes(), NOT_UNRESERVED));
    }

    // `url::ParseError` messages never quote the input, which can contain an API key.
    let parsed = reqwest::Url::parse(&url)
        .map_err(|error| ForwardError::Path(format!("invalid upstream URL ({error})")))?;
    let base = reqwest::Url::parse(client.base_uri())
        .map_err(|error| ForwardError::Path(format!("invalid base URI ({error})")))?;
    // Defence in depth: the segment check above already keeps the path below the base.
    let base_path = base.path().trim_end_matches('/');
    if below(base_path, parsed.path()).is_none() {
        return Err(ForwardError::Path(
            "the path leaves the base URI of the consumed API".to_owned(),
        ));
    }
    Ok(parsed)
}

/// Returns the caller's raw query without the parameters the spec fixes, followed by the
/// fixed ones, or `None` when both are empty.
///
/// The caller's pairs keep their encoding. A pair whose decoded name is in `fixed_names`
/// (fixed query parameters and a query API key) is dropped, so the spec's value is the only
/// one sent.
fn forwarded_query(raw: Option<&str>, fixed_names: &[&str], fixed: &str) -> Option<String> {
    let fixed_name = |pair: &str| {
        let name = pair.split('=').next().unwrap_or_default().replace('+', " ");
        let name = percent_decode_str(&name).decode_utf8_lossy().into_owned();
        fixed_names.contains(&name.as_str())
    };
    let mut pairs: Vec<&str> = raw
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !fixed_name(pair))
        .collect();
    if !fixed.is_empty() {
        pairs.push(fixed);
    }
    (!pairs.is_empty()).then(|| pairs.join("&"))
}

/// Reads the whole request body, up to the listener's [`BodyLimit`].
async fn read_body(parts: &Parts, body: Body) -> Result<bytes::Bytes, ForwardError> {
    let limit = BodyLimit::of(&parts.extensions);
    let too_large = || ForwardError::Body {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        reason: format!("the request body exceeds {limit} bytes"),
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|error| ForwardError::Body {
            status: StatusCode::BAD_REQUEST,
            reason: format!("failed to read the request body (at most {limit} bytes): {error}"),
        })
}

/// Returns the caller's headers that pass upstream: the trusted ones, compared without
/// regard to case, minus hop-by-hop headers and the headers that `Connection` names.
///
/// With a body, the caller's `Content-Type` passes as well even when not trusted, because
/// it describes the forwarded body rather than the caller.
fn forwarded_headers(incoming: &HeaderMap, trusted: &[&str], has_body: bool) -> HeaderMap {
    let connection_named: Vec<String> = incoming
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let passes = |name: &HeaderName| {
        let name = name.as_str();
        !NOT_FORWARDED.contains(&name)
            && !name.starts_with("proxy-")
            && !connection_named.iter().any(|named| named == name)
    };

    let mut headers = HeaderMap::new();
    for (name, value) in incoming {
        let trusted = trusted
            .iter()
            .any(|trusted| trusted.eq_ignore_ascii_case(name.as_str()));
        let body_type = has_body && name == header::CONTENT_TYPE;
        if (trusted || body_type) && passes(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    headers
}

/// Returns the upstream response to the caller: its status, content type and body.
fn upstream_response(upstream: UpstreamResponse) -> Response {
    let Ok(status) = StatusCode::from_u16(upstream.status) else {
        let message = format!("the upstream sent the invalid status {}", upstream.status);
        return error_response(
            StatusCode::BAD_GATEWAY,
            "invalid_upstream_response",
            &message,
        );
    };
    let mut response = (status, upstream.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    if let Some(value) = upstream
        .content_type
        .as_deref()
        .and_then(|value| HeaderValue::from_str(value).ok())
    {
        headers.insert(header::CONTENT_TYPE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_route() {
        assert_eq!(below("/notion", "/notion"), Some(""));
        assert_eq!(below("/notion", "/notion/"), Some("/"));
        assert_eq!(below("/notion", "/notion/v1/pages"), Some("/v1/pages"));
        assert_eq!(below("/notion/", "/notion/v1"), Some("/v1"));
        assert_eq!(below("/notion", "/notions"), None);
        assert_eq!(below("/notion", "/"), None);
        assert_eq!(below("/", "/anything"), Some("/anything"));
    }

    #[test]
    fn headers_trusted_only() {
        let mut incoming = HeaderMap::new();
        incoming.insert("x-trace", HeaderValue::from_static("t-1"));
        incoming.insert("x-secret", HeaderValue::from_static("s"));
        incoming.insert("x-hop", HeaderValue::from_static("h"));
        incoming.insert(header::CONNECTION, HeaderValue::from_static("x-hop"));
        incoming.insert("proxy-authorization", HeaderValue::from_static("p"));
        incoming.insert(header::HOST, HeaderValue::from_static("adapter"));
        incoming.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let trusted = &[
            "X-Trace",
            "x-hop",
            "Connection",
            "Proxy-Authorization",
            "Host",
        ];

        let headers = forwarded_headers(&incoming, trusted, false);
        let names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["x-trace"]);

        let headers = forwarded_headers(&incoming, trusted, true);
        assert_eq!(
            headers.get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static("text/plain"))
        );
    }
}
