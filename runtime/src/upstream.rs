//! The HTTP client for consumed APIs: builds each upstream request from parameter values
//! and reports failures without the secret or the URL.

use std::borrow::Cow;
use std::time::Duration;

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue,
};
use serde_json::Value;

use crate::auth::{self, Credentials, DigestRequest};
use crate::body;
use crate::descriptor::{
    ConsumedApi, HttpMethod, ParamLocation, PathPart, Template, TemplatePart, UpstreamOperation,
    UpstreamParam,
};
use crate::invoke::InputError;
use crate::secret::BindValues;
use crate::template::TemplateScope;

/// The default limit on a whole upstream call, from connecting to the last body byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default limit on establishing a connection to an upstream host.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest upstream response body the runtime reads, in bytes (16 MiB).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The maximum number of redirects followed within one origin; the next one is returned.
const MAX_REDIRECTS: usize = 10;

/// Every byte except the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`), so an
/// encoded value contains no `/`, `?`, `#`, `%` or other delimiter.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Bytes that a cookie value percent-encodes: those outside RFC 6265 `cookie-octet`.
/// `%` itself is a `cookie-octet` and stays, so a cookie read from a caller passes on
/// unchanged.
const NOT_COOKIE_OCTET: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b',').add(b';').add(b'\\');

/// Builds the HTTP client shared by every consumed API.
///
/// Installs the `ring` rustls provider first, unless the process already has one.
/// Redirects are followed only within the origin of the request, so credentials never
/// reach another host.
pub fn http_client(
    timeout: Duration,
    connect_timeout: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    // An error here only means that a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let redirect_policy = reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .last()
            .is_some_and(|previous| previous.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    // A followed redirect must not carry the previous URL, with an API key in its query,
    // in a `Referer` header.
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .redirect(redirect_policy)
        .referer(false)
        .build()
}

/// A client for one consumed API: the shared HTTP client and the base URI in use.
#[derive(Debug, Clone)]
pub struct UpstreamClient {
    http: reqwest::Client,
    api: &'static ConsumedApi,
    base_uri: String,
    /// How many times an idempotent request is sent again after a connection failure.
    retries: u32,
}

/// The default number of retries of an idempotent request after a connection failure.
pub const DEFAULT_RETRIES: u32 = 2;

/// The wait before the first retry, doubled before each later one up to
/// [`MAX_RETRY_BACKOFF`].
const RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// The maximum wait between two retries.
const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(5);

/// An upstream response, whatever its status.
#[derive(Debug)]
pub struct UpstreamResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, when sent.
    pub content_type: Option<String>,
    /// The body.
    pub body: bytes::Bytes,
}

/// A call that produced no upstream response, or one that could not be used.
///
/// No message contains a secret or the upstream URL.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// An input is missing or unusable; no request was sent.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The upstream host could not be reached, or the connection failed.
    #[error("failed to call upstream operation {operation}: {reason}")]
    Unreachable {
        /// The operation, as `namespace.resource.operation`.
        operation: String,
        /// The transport error.
        reason: String,
    },
    /// The upstream call did not finish in time.
    #[error("upstream operation {operation} timed out")]
    Timeout {
        /// The operation, as `namespace.resource.operation`.
        operation: String,
    },
    /// The upstream response could not be used.
    #[error("upstream operation {operation} returned an invalid response: {reason}")]
    InvalidResponse {
        /// The operation, as `namespace.resource.operation`.
        operation: String,
        /// The problem with the response.
        reason: String,
    },
    /// The compiled descriptor or the configuration does not allow a request to be built.
    #[error("failed to build a request to upstream operation {operation}: {reason}")]
    Internal {
        /// The operation, as `namespace.resource.operation`.
        operation: String,
        /// The problem that prevents the request.
        reason: String,
    },
    /// A step of an orchestration received a status of 400 or above, which stopped the
    /// orchestration.
    #[error("step `{step}` failed: upstream operation {operation} returned status {status}")]
    StepStatus {
        /// The step's name.
        step: String,
        /// The operation, as `namespace.resource.operation`.
        operation: String,
        /// The upstream status.
        status: u16,
        /// The upstream body, kept out of the message because it may quote request data.
        body: bytes::Bytes,
    },
}

impl CallError {
    /// Returns the HTTP status a REST adapter responds with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Input(_) => 400,
            Self::Unreachable { .. } | Self::InvalidResponse { .. } => 502,
            Self::Timeout { .. } => 504,
            Self::Internal { .. } => 500,
            Self::StepStatus { status, .. } if (400..=599).contains(status) => *status,
            Self::StepStatus { .. } => 502,
        }
    }

    /// Returns the machine-readable error code of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Input(_) => "invalid_input",
            Self::Unreachable { .. } => "upstream_unreachable",
            Self::Timeout { .. } => "upstream_timeout",
            Self::InvalidResponse { .. } => "invalid_upstream_response",
            Self::Internal { .. } => "internal_error",
            Self::StepStatus { .. } => "upstream_error_status",
        }
    }
}

/// Returns `namespace.resource.operation`, the name messages use for an upstream operation.
pub fn operation_id(operation: &UpstreamOperation) -> String {
    format!(
        "{}.{}.{}",
        operation.api.namespace, operation.resource, operation.name
    )
}

impl UpstreamClient {
    /// Creates the client of `api`, sending to `base_uri_override` instead of the spec's
    /// base URI when one is given.
    pub fn new(
        http: reqwest::Client,
        api: &'static ConsumedApi,
        base_uri_override: Option<&str>,
    ) -> Self {
        let base_uri = base_uri_override
            .unwrap_or(api.base_uri)
            .trim_end_matches('/')
            .to_owned();
        Self {
            http,
            api,
            base_uri,
            retries: DEFAULT_RETRIES,
        }
    }

    /// Sets how many times an idempotent request (GET, HEAD, PUT, DELETE, OPTIONS) is sent
    /// again when connecting fails. A request that got any response is never sent again.
    pub fn set_retries(&mut self, retries: u32) {
        self.retries = retries;
    }

    /// Returns the consumed API this client calls.
    pub fn api(&self) -> &'static ConsumedApi {
        self.api
    }

    /// Returns the base URI in use, without a trailing `/`.
    pub fn base_uri(&self) -> &str {
        &self.base_uri
    }

    /// Returns the shared HTTP client, with its timeouts and redirect policy.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends one request to `operation`, with one value per entry of its `params`, and
    /// reads the whole response.
    ///
    /// A parameter without a value (`None` or `null`) sends its `value` template when it
    /// declares one, and nothing otherwise. With digest authentication, the request is sent
    /// once more in response to a `401` digest challenge.
    ///
    /// Every call that reaches the network is counted in [`crate::metrics`].
    pub async fn send(
        &self,
        operation: &'static UpstreamOperation,
        values: &[Option<Value>],
        binds: &BindValues,
    ) -> Result<UpstreamResponse, CallError> {
        let started = std::time::Instant::now();
        let result = self.send_uncounted(operation, values, binds).await;
        let status = match &result {
            Ok(response) => Some(response.status),
            // Nothing was sent: a bad input value or a request that could not be built.
            Err(CallError::Input(_) | CallError::Internal { .. }) => return result,
            Err(_) => None,
        };
        crate::metrics::record_upstream(operation, status, started);
        result
    }

    async fn send_uncounted(
        &self,
        operation: &'static UpstreamOperation,
        values: &[Option<Value>],
        binds: &BindValues,
    ) -> Result<UpstreamResponse, CallError> {
        let id = operation_id(operation);
        let internal = |reason: String| CallError::Internal {
            operation: id.clone(),
            reason,
        };
        let values = with_defaults(operation.params, values, binds).map_err(internal)?;
        let credentials = Credentials::render(self.api.auth.as_ref(), binds).map_err(internal)?;

        let mut url = self.url(operation, &values)?;
        if let Credentials::Query { name, value } = &credentials {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.extend(utf8_percent_encode(name, NOT_UNRESERVED));
            url.push('=');
            url.extend(utf8_percent_encode(value.expose(), NOT_UNRESERVED));
        }
        // `url::ParseError` messages never quote the input, which can contain an API key.
        let url = reqwest::Url::parse(&url).map_err(|error| {
            internal(format!(
                "invalid upstream URL ({error}); check the base URI"
            ))
        })?;

        let body = body::build(operation, &values, &TemplateScope::consumed(binds, &values))
            .map_err(internal)?;
        let mut headers = request_headers(operation.params, &values, &id)?;
        if let Some(body) = &body {
            // A `Content-Type` header parameter wins, unless the body is multipart, whose
            // header carries the boundary.
            if !headers.contains_key(CONTENT_TYPE) || body.content_type.starts_with("multipart/") {
                let content_type = HeaderValue::from_str(&body.content_type).map_err(|_| {
                    internal(format!("invalid body content type `{}`", body.content_type))
                })?;
                headers.insert(CONTENT_TYPE, content_type);
            }
        }
        credentials.apply_header(&mut headers);
        let body = body.map(|body| body.bytes);

        let method = method(operation.method);
        let response = self
            .execute(&method, &url, headers.clone(), body.clone(), &id)
            .await?;
        let Credentials::Digest { username, password } = &credentials else {
            return read_response(response, &id).await;
        };
        if response.status() != StatusCode::UNAUTHORIZED {
            return read_response(response, &id).await;
        }
        let Some(challenge) = auth::digest_challenge(response.headers()) else {
            tracing::warn!(
                operation = %id,
                "upstream answered 401 without a digest challenge this client supports"
            );
            return read_response(response, &id).await;
        };
        drop(response);

        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let cnonce = auth::cnonce().map_err(internal)?;
        let request = DigestRequest {
            method: method.as_str(),
            uri: &target,
            body: body.as_deref().unwrap_or_default(),
            cnonce: &cnonce,
            nc: 1,
        };
        let authorization =
            auth::digest_authorization(&challenge, &request, username.expose(), password.expose())
                .map_err(internal)?;
        headers.insert(AUTHORIZATION, authorization);
        let response = self.execute(&method, &url, headers, body, &id).await?;
        read_response(response, &id).await
    }

    /// Sends one request. The body is [`bytes::Bytes`], so a retry resends it cheaply.
    async fn execute(
        &self,
        method: &reqwest::Method,
        url: &reqwest::Url,
        headers: HeaderMap,
        body: Option<bytes::Bytes>,
        operation: &str,
    ) -> Result<reqwest::Response, CallError> {
        let idempotent = matches!(
            *method,
            reqwest::Method::GET
                | reqwest::Method::HEAD
                | reqwest::Method::PUT
                | reqwest::Method::DELETE
                | reqwest::Method::OPTIONS
        );
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = &body {
                request = request.body(body.clone());
            }
            match request.send().await {
                Ok(response) => return Ok(response),
                Err(error) if idempotent && error.is_connect() && attempt < self.retries => {
                    let backoff = RETRY_BACKOFF
                        .checked_mul(2_u32.saturating_pow(attempt))
                        .map_or(MAX_RETRY_BACKOFF, |backoff| backoff.min(MAX_RETRY_BACKOFF));
                    attempt += 1;
                    // The URL can carry an API key in its query, so it stays out of the log.
                    let error = error.without_url();
                    tracing::warn!(
                        operation,
                        attempt,
                        backoff_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                        %error,
                        "upstream connection failed, retrying"
                    );
                    tokio::time::sleep(backoff).await;
                }
                Err(error) => return Err(transport_error(error, operation)),
            }
        }
    }

    /// Returns the URL of a call: base URI, encoded path and encoded query.
    fn url(
        &self,
        operation: &UpstreamOperation,
        values: &[Option<Value>],
    ) -> Result<String, CallError> {
        let mut url = self.base_uri.clone();
        for part in operation.path {
            match part {
                PathPart::Literal(text) => url.push_str(text),
                PathPart::Param(index) => {
                    let name = operation.params.get(*index).map_or("?", |param| param.name);
                    let value = values.get(*index).and_then(present);
                    let segment = path_segment(value).map_err(|reason| InputError {
                        name: name.to_owned(),
                        reason: reason.to_owned(),
                    })?;
                    url.push_str(&segment);
                }
            }
        }

        let mut query = String::new();
        push_query(&mut query, operation.params, values);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        Ok(url)
    }
}

/// Appends the query parameters of `params` to `query`, `&`-separated, each name and value
/// percent-encoded; an array repeats the name.
fn push_query(query: &mut String, params: &[UpstreamParam], values: &[Option<Value>]) {
    for (param, value) in params.iter().zip(values) {
        if param.location != ParamLocation::Query {
            continue;
        }
        let Some(value) = present(value) else {
            continue;
        };
        let items = match value {
            Value::Array(items) => items.iter().filter(|item| !item.is_null()).collect(),
            single => vec![single],
        };
        for item in items {
            if !query.is_empty() {
                query.push('&');
            }
            query.extend(utf8_percent_encode(param.name, NOT_UNRESERVED));
            query.push('=');
            query.extend(utf8_percent_encode(&value_text(item), NOT_UNRESERVED));
        }
    }
}

/// The headers and query that a consumed API's fixed parameters add to a request without an
/// operation of its own, such as a forward.
#[derive(Debug, Default)]
pub(crate) struct FixedParts {
    /// Header parameters and one `Cookie` header with every cookie parameter.
    pub headers: HeaderMap,
    /// Query parameters, encoded and `&`-separated, without `?`.
    pub query: String,
}

/// Renders `params`, whose values name only constants and bind variables, into the parts
/// of a request.
pub(crate) fn fixed_parts(
    params: &[UpstreamParam],
    binds: &BindValues,
    operation: &str,
) -> Result<FixedParts, CallError> {
    let values = with_defaults(params, &[], binds).map_err(|reason| CallError::Internal {
        operation: operation.to_owned(),
        reason,
    })?;
    let headers = param_headers(params, &values, operation)?;
    let mut query = String::new();
    push_query(&mut query, params, &values);
    Ok(FixedParts { headers, query })
}

/// Renders an exposed-side template from bind variables and input values (inputs as
/// [`value_text`]).
///
/// An absent input renders as nothing. A bind index outside `binds`, or a
/// [`TemplatePart::Param`] part, which only consumed-side templates may use, is an error
/// that names the index, never a value.
pub fn render_template(
    template: Template,
    binds: &BindValues,
    inputs: &[Option<Value>],
) -> Result<String, String> {
    TemplateScope::exposed(binds, inputs).render(template)
}

/// Returns the parameter values of a call: each provided value, or else the parameter's
/// rendered `value` template, or else `None`.
///
/// A `value` template may refer to other parameters, including ones that get their
/// own `value`, so parameters are resolved depth first. A cycle is an error.
fn with_defaults(
    params: &[UpstreamParam],
    provided: &[Option<Value>],
    binds: &BindValues,
) -> Result<Vec<Option<Value>>, String> {
    let mut values: Vec<Option<Value>> = (0..params.len())
        .map(|index| provided.get(index).and_then(present).cloned())
        .collect();
    let mut visiting = vec![false; params.len()];
    for index in 0..params.len() {
        resolve_default(params, index, binds, &mut values, &mut visiting)?;
    }
    Ok(values)
}

fn resolve_default(
    params: &[UpstreamParam],
    index: usize,
    binds: &BindValues,
    values: &mut [Option<Value>],
    visiting: &mut [bool],
) -> Result<(), String> {
    let Some(template) = params[index].value else {
        return Ok(());
    };
    if values[index].is_some() {
        return Ok(());
    }
    if visiting[index] {
        return Err(format!(
            "the value of parameter `{}` refers back to itself",
            params[index].name
        ));
    }
    visiting[index] = true;
    for part in template {
        if let TemplatePart::Param(other) = part
            && *other < params.len()
        {
            resolve_default(params, *other, binds, values, visiting)?;
        }
    }
    let text = TemplateScope::consumed(binds, values).render(template)?;
    values[index] = Some(Value::String(text));
    visiting[index] = false;
    Ok(())
}

/// Returns a JSON value as parameter text: strings raw, everything else as JSON text.
pub fn value_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(text) => Cow::Borrowed(text),
        Value::Number(number) => Cow::Owned(number_text(number)),
        other => Cow::Owned(other.to_string()),
    }
}

/// Writes a whole number without a fraction, so a typed client's `2.0_f64` is sent as
/// `2`, as APIs that take integers in `number` parameters expect.
fn number_text(number: &serde_json::Number) -> String {
    // 2^53: above it, f64 no longer holds every whole number exactly.
    const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;
    match number.as_f64() {
        Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() <= EXACT_LIMIT => {
            format!("{}", float as i64)
        }
        _ => number.to_string(),
    }
}

/// Percent-encodes a path value as exactly one segment.
///
/// Only RFC 3986 unreserved characters pass unencoded. The values `.` and `..` are
/// rejected because URL parsers (the `url` crate included) treat them, and their
/// percent-encoded forms, as dot segments that move up the path.
pub fn encode_path_segment(value: &str) -> Result<String, &'static str> {
    if value.is_empty() {
        return Err("must not be empty");
    }
    if value == "." || value == ".." {
        return Err("must not be `.` or `..`");
    }
    Ok(utf8_percent_encode(value, NOT_UNRESERVED).to_string())
}

fn path_segment(value: Option<&Value>) -> Result<String, &'static str> {
    match value {
        None => Err("missing"),
        Some(Value::Object(_) | Value::Array(_)) => Err("must be a string, number or boolean"),
        Some(value) => encode_path_segment(&value_text(value)),
    }
}

/// Returns the value unless it is absent or JSON `null`.
fn present(value: &Option<Value>) -> Option<&Value> {
    value.as_ref().filter(|value| !value.is_null())
}

enum HeaderProblem {
    Name,
    Value(String),
}

fn header(name: &str, value: &Value) -> Result<(HeaderName, HeaderValue), HeaderProblem> {
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| HeaderProblem::Name)?;
    let text = value_text(value);
    if text.contains(['\r', '\n']) {
        return Err(HeaderProblem::Value(
            "must not contain CR or LF characters".to_owned(),
        ));
    }
    let mut value = HeaderValue::from_str(&text).map_err(|_| {
        HeaderProblem::Value("contains characters that are invalid in a header".to_owned())
    })?;
    // Header values may carry credentials rendered from bind variables.
    value.set_sensitive(true);
    Ok((name, value))
}

/// Returns the headers of a call: its parameters' headers and `Accept: application/json`
/// unless a parameter sets `Accept`.
fn request_headers(
    params: &[UpstreamParam],
    values: &[Option<Value>],
    operation: &str,
) -> Result<HeaderMap, CallError> {
    let mut headers = param_headers(params, values, operation)?;
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    }
    Ok(headers)
}

/// Returns header parameters and one `Cookie` header with every cookie parameter.
fn param_headers(
    params: &[UpstreamParam],
    values: &[Option<Value>],
    operation: &str,
) -> Result<HeaderMap, CallError> {
    let invalid_input = |param: &UpstreamParam, reason: String| {
        CallError::Input(InputError {
            name: param.name.to_owned(),
            reason,
        })
    };
    let mut headers = HeaderMap::new();
    let mut cookies = Vec::new();
    for (param, value) in params.iter().zip(values) {
        let Some(value) = present(value) else {
            continue;
        };
        match param.location {
            ParamLocation::Header => {
                let (name, value) = header(param.name, value).map_err(|reason| match reason {
                    HeaderProblem::Value(reason) => invalid_input(param, reason),
                    HeaderProblem::Name => CallError::Internal {
                        operation: operation.to_owned(),
                        reason: format!("invalid header name `{}`", param.name),
                    },
                })?;
                headers.append(name, value);
            }
            ParamLocation::Cookie => {
                if !is_token(param.name) {
                    return Err(CallError::Internal {
                        operation: operation.to_owned(),
                        reason: format!("invalid cookie name `{}`", param.name),
                    });
                }
                let text = value_text(value);
                if text.contains(['\r', '\n']) {
                    return Err(invalid_input(
                        param,
                        "must not contain CR or LF characters".to_owned(),
                    ));
                }
                cookies.push(format!(
                    "{}={}",
                    param.name,
                    utf8_percent_encode(&text, NOT_COOKIE_OCTET)
                ));
            }
            _ => {}
        }
    }
    if !cookies.is_empty() {
        // Every byte outside `cookie-octet` is percent-encoded, so the value is valid.
        let mut cookie =
            HeaderValue::from_str(&cookies.join("; ")).map_err(|_| CallError::Internal {
                operation: operation.to_owned(),
                reason: "the cookie header is invalid".to_owned(),
            })?;
        // Cookies may carry credentials rendered from bind variables.
        cookie.set_sensitive(true);
        headers.insert(COOKIE, cookie);
    }
    Ok(headers)
}

/// Returns whether `name` is an RFC 9110 token, as cookie names must be.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

fn method(method: HttpMethod) -> reqwest::Method {
    match method {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Patch => reqwest::Method::PATCH,
        HttpMethod::Delete => reqwest::Method::DELETE,
        HttpMethod::Head => reqwest::Method::HEAD,
        HttpMethod::Options => reqwest::Method::OPTIONS,
    }
}

/// Converts a reqwest error into a [`CallError`], dropping the URL so that no query
/// value reaches a message.
pub(crate) fn transport_error(error: reqwest::Error, operation: &str) -> CallError {
    if error.is_timeout() {
        return CallError::Timeout {
            operation: operation.to_owned(),
        };
    }
    let error = error.without_url();
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    CallError::Unreachable {
        operation: operation.to_owned(),
        reason,
    }
}

/// Reads a whole response, failing when the body exceeds [`MAX_RESPONSE_BYTES`].
pub(crate) async fn read_response(
    mut response: reqwest::Response,
    operation: &str,
) -> Result<UpstreamResponse, CallError> {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| transport_error(error, operation))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(CallError::InvalidResponse {
                operation: operation.to_owned(),
                reason: format!("the body exceeds {MAX_RESPONSE_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(UpstreamResponse {
        status,
        content_type,
        body: body.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_text_writes_whole_floats_as_integers() {
        let cases = [
            (serde_json::json!(2.0), "2"),
            (serde_json::json!(-3.0), "-3"),
            (serde_json::json!(2.5), "2.5"),
            (serde_json::json!(7), "7"),
            (serde_json::json!(1e300), "1e+300"),
            (serde_json::json!(true), "true"),
            (serde_json::json!("x y"), "x y"),
        ];
        for (value, expected) in cases {
            assert_eq!(value_text(&value), expected, "value_text({value})");
        }
    }

    #[test]
    fn path_segment_keeps_unreserved() {
        assert_eq!(
            encode_path_segment("my-org_1.x~y").as_deref(),
            Ok("my-org_1.x~y")
        );
    }

    #[test]
    fn path_segment_encodes_delimiters() {
        let cases = [
            ("a/b", "a%2Fb"),
            ("a?b=c", "a%3Fb%3Dc"),
            ("a#b", "a%23b"),
            ("100%", "100%25"),
            ("../x", "..%2Fx"),
            ("a b", "a%20b"),
            ("é", "%C3%A9"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                encode_path_segment(value).as_deref(),
                Ok(expected),
                "{value}"
            );
        }
    }

    #[test]
    fn path_segment_rejects_dot_segments() {
        assert!(encode_path_segment(".").is_err());
        assert!(encode_path_segment("..").is_err());
        assert_eq!(encode_path_segment("...").as_deref(), Ok("..."));
    }

    #[test]
    fn path_segment_rejects_empty() {
        assert_eq!(encode_path_segment(""), Err("must not be empty"));
    }

    #[test]
    fn encoded_dot_segments_still_move_up() {
        // The reason `.` and `..` are rejected rather than encoded.
        let url = reqwest::Url::parse("http://example.test/a/%2E%2E/b").expect("valid URL");
        assert_eq!(url.path(), "/b");
    }

    #[test]
    fn value_text_renders_scalars() {
        assert_eq!(value_text(&Value::from("raw text")), "raw text");
        assert_eq!(value_text(&Value::from(2)), "2");
        assert_eq!(value_text(&Value::from(2.5)), "2.5");
        assert_eq!(value_text(&Value::from(true)), "true");
    }

    #[test]
    fn header_rejects_line_breaks() {
        let result = header("x-note", &Value::from("a\r\nInjected: yes"));
        assert!(matches!(result, Err(HeaderProblem::Value(_))));
    }

    #[test]
    fn call_error_maps_to_status() {
        let operation = "ns.resource.get".to_owned();
        let timeout = CallError::Timeout {
            operation: operation.clone(),
        };
        let unreachable = CallError::Unreachable {
            operation,
            reason: "connection refused".to_owned(),
        };
        assert_eq!(timeout.status(), 504);
        assert_eq!(unreachable.status(), 502);
        assert!(timeout.to_string().contains("ns.resource.get"));
    }
}
