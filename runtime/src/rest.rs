//! Serving a REST adapter: one axum route per operation, all handled by one function, and
//! the adapter's forwards for every request no operation takes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use serde_json::{Value, json};

use crate::descriptor::{
    Call, HttpMethod, Input, JsonType, Orchestration, Output, ParamLocation, RawFormat,
    RestAdapter, RestOperation,
};
use crate::invoke::{self, CapabilityContext, InputError};
use crate::limits::BodyLimit;
use crate::upstream::{self, CallError, UpstreamResponse};
use crate::{caller_auth, format, forward, metrics, orchestrate, output};

/// Builds the router of a REST adapter: every operation on its route and method, an
/// empty `405` with `Allow` for a known route and another method, and a JSON `404`
/// for any other path.
///
/// A forward of the adapter takes every request to its route or a path below it that no
/// operation has the route and method for, in place of the `405` or `404`. When the adapter
/// declares caller authentication, every request must pass [`caller_auth::protect`] first.
pub fn router(adapter: &'static RestAdapter, context: Arc<CapabilityContext>) -> Router {
    // Routes in declaration order, each with the methods registered so far.
    let mut routes: Vec<(&'static str, MethodRouter, Vec<HttpMethod>)> = Vec::new();
    for operation in adapter.operations {
        let position = match routes
            .iter()
            .position(|(route, ..)| *route == operation.route)
        {
            Some(position) => position,
            None => {
                routes.push((operation.route, MethodRouter::new(), Vec::new()));
                routes.len() - 1
            }
        };
        let (_, method_router, methods) = &mut routes[position];
        if methods.contains(&operation.method) {
            // axum panics on a second handler for one method, so the later one is dropped.
            tracing::error!(
                adapter = adapter.namespace,
                route = operation.route,
                method = operation.method.as_str(),
                "duplicate REST operation ignored"
            );
            continue;
        }
        methods.push(operation.method);

        let context = Arc::clone(&context);
        let handler =
            move |request: Request| handle(adapter, operation, Arc::clone(&context), request);
        *method_router = std::mem::take(method_router).on(method_filter(operation.method), handler);
    }

    let mut router = Router::new();
    for (route, method_router, methods) in routes {
        let method_router = if adapter.forwards.is_empty() {
            method_router
        } else {
            let allow = allow_header(&methods);
            let context = Arc::clone(&context);
            method_router.fallback(move |request: Request| {
                other_method(adapter, allow.clone(), Arc::clone(&context), request)
            })
        };
        router = router.route(route, method_router);
    }
    let auth_context = Arc::clone(&context);
    let router = if adapter.forwards.is_empty() {
        router.fallback(not_found)
    } else {
        router.fallback(move |request: Request| unrouted(adapter, Arc::clone(&context), request))
    };
    // The middleware is added last, so it also guards the fallback.
    match &adapter.auth {
        Some(auth) => caller_auth::protect(router, adapter.namespace, auth, auth_context.binds()),
        None => router,
    }
}

/// Serves a request to an operation's route with a method no operation of that route
/// has: the forward below which the path lies, or else an empty `405` with `Allow`.
async fn other_method(
    adapter: &'static RestAdapter,
    allow: HeaderValue,
    context: Arc<CapabilityContext>,
    request: Request,
) -> Response {
    match forward::find(adapter, request.uri().path()) {
        Some((target, _)) => forward::handle(adapter, target, context, request).await,
        None => (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, allow)]).into_response(),
    }
}

/// Serves a request whose path matches no operation's route: the forward below which the
/// path lies, or else a JSON `404`.
async fn unrouted(
    adapter: &'static RestAdapter,
    context: Arc<CapabilityContext>,
    request: Request,
) -> Response {
    match forward::find(adapter, request.uri().path()) {
        Some((target, _)) => forward::handle(adapter, target, context, request).await,
        None => not_found(request.method().clone(), request.uri().clone()).await,
    }
}

/// Returns the `Allow` value of a route with these methods, as axum writes it: a `GET`
/// route also serves `HEAD`.
fn allow_header(methods: &[HttpMethod]) -> HeaderValue {
    let mut names: Vec<&str> = Vec::new();
    for method in methods {
        names.push(method.as_str());
        if *method == HttpMethod::Get && !methods.contains(&HttpMethod::Head) {
            names.push(HttpMethod::Head.as_str());
        }
    }
    // Method names are ASCII tokens, so the value is always valid.
    HeaderValue::from_str(&names.join(",")).unwrap_or(HeaderValue::from_static(""))
}

/// Serves one request to `operation`: reads the inputs, calls upstream or runs the
/// operation's steps, and logs one line.
async fn handle(
    adapter: &'static RestAdapter,
    operation: &'static RestOperation,
    context: Arc<CapabilityContext>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let (upstream_status, response) = match read_inputs(operation, request).await {
        Err(error) => (None, Err(CallError::Input(error))),
        Ok(values) => match (operation.steps, &operation.call) {
            (Some(orchestration), _) => {
                orchestrated(operation, orchestration, &context, &values).await
            }
            (None, None) => (None, mock_response(operation, &context, &values)),
            (None, Some(call)) => {
                match invoke::invoke_declared(&context, call, operation.inputs, &values).await {
                    Ok(upstream) => {
                        let status = Some(upstream.status);
                        (
                            status,
                            respond(operation, call, &context, &values, upstream),
                        )
                    }
                    Err(error) => (None, Err(error)),
                }
            }
        },
    };
    // An orchestrated request makes one upstream call per call step, so it logs the
    // number of steps in place of one upstream status.
    let steps = operation
        .steps
        .map(|orchestration| orchestration.steps.len());
    match response {
        Ok(response) => {
            tracing::info!(
                adapter = adapter.namespace,
                route = operation.route,
                method = operation.method.as_str(),
                upstream_status,
                steps,
                status = response.status().as_u16(),
                duration_ms = started.elapsed().as_millis(),
                "request served"
            );
            metrics::record_rest(adapter, operation, response.status().as_u16(), started);
            response
        }
        Err(error) => {
            let response = error_response(
                status_code(error.status()),
                error.code(),
                &error.to_string(),
            );
            tracing::info!(
                adapter = adapter.namespace,
                route = operation.route,
                method = operation.method.as_str(),
                upstream_status,
                steps,
                status = response.status().as_u16(),
                duration_ms = started.elapsed().as_millis(),
                error = %error,
                "request failed"
            );
            metrics::record_rest(adapter, operation, response.status().as_u16(), started);
            response
        }
    }
}

/// Reads one value per input of `operation` from the request's path, query, headers,
/// cookies and JSON body, checked for presence and type.
async fn read_inputs(
    operation: &'static RestOperation,
    request: Request,
) -> Result<Vec<Option<Value>>, InputError> {
    let (mut parts, body) = request.into_parts();
    let path_values = path_values(&mut parts).await?;
    let query =
        Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map_err(|error| InputError {
            name: "query".to_owned(),
            reason: format!("invalid query string: {}", error.body_text()),
        })?;
    let limit = BodyLimit::of(&parts.extensions);
    let body = read_body(operation, body, limit).await?;

    let mut values = Vec::with_capacity(operation.inputs.len());
    for input in operation.inputs {
        let value = match input.location {
            ParamLocation::Path => path_values
                .get(input.name)
                .map(|text| from_text(input, std::slice::from_ref(text)))
                .transpose()?
                .flatten(),
            ParamLocation::Query => {
                let texts: Vec<String> = query
                    .0
                    .iter()
                    .filter(|(key, _)| key == input.name)
                    .map(|(_, value)| value.clone())
                    .collect();
                from_text(input, &texts)?
            }
            ParamLocation::Header => {
                let texts = header_texts(&parts, input)?;
                from_text(input, &texts)?
            }
            ParamLocation::Body => body.clone(),
            ParamLocation::Cookie => {
                let texts = cookie_texts(&parts, input.name);
                from_text(input, &texts)?
            }
            // Template-only parameters belong to consumed operations, never to inputs.
            ParamLocation::TemplateOnly => None,
            ParamLocation::BodyField => {
                body.as_ref().and_then(|body| body.get(input.name)).cloned()
            }
            ParamLocation::BodyPath(path) => body
                .as_ref()
                .and_then(|body| crate::output::select(body, path).first().copied())
                .cloned(),
        };
        values.push(invoke::check_input(input, value)?);
    }
    Ok(values)
}

async fn path_values(parts: &mut Parts) -> Result<HashMap<String, String>, InputError> {
    use axum::extract::FromRequestParts;

    match Path::<HashMap<String, String>>::from_request_parts(parts, &()).await {
        Ok(Path(values)) => Ok(values),
        Err(rejection) => Err(InputError {
            name: "path".to_owned(),
            reason: rejection.body_text(),
        }),
    }
}

fn header_texts(parts: &Parts, input: &Input) -> Result<Vec<String>, InputError> {
    parts
        .headers
        .get_all(input.name)
        .iter()
        .map(|value| {
            value.to_str().map(str::to_owned).map_err(|_| InputError {
                name: input.name.to_owned(),
                reason: "the header value is not visible ASCII".to_owned(),
            })
        })
        .collect()
}

/// Returns the values of every cookie named `name` in the request's `Cookie` headers, as
/// sent: not percent-decoded, with the optional surrounding double quotes removed.
/// Header values that are not visible ASCII are skipped.
fn cookie_texts(parts: &Parts, name: &str) -> Vec<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| key.trim() == name)
        .map(|(_, value)| {
            let value = value.trim();
            let unquoted = value
                .strip_prefix('"')
                .and_then(|value| value.strip_suffix('"'))
                .unwrap_or(value);
            unquoted.to_owned()
        })
        .collect()
}

/// Reads and parses the JSON body, up to `limit` bytes, when an input of `operation` comes
/// from it. An empty body is `None`.
async fn read_body(
    operation: &RestOperation,
    body: Body,
    limit: usize,
) -> Result<Option<Value>, InputError> {
    let reads_body = operation.inputs.iter().any(|input| {
        matches!(
            input.location,
            ParamLocation::Body | ParamLocation::BodyField | ParamLocation::BodyPath(_)
        )
    });
    if !reads_body {
        return Ok(None);
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|error| InputError {
            name: "body".to_owned(),
            reason: format!("failed to read the request body (at most {limit} bytes): {error}"),
        })?;
    if bytes.is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|error| InputError {
        name: "body".to_owned(),
        reason: format!("invalid JSON: {error}"),
    })?;

    let has_fields = operation
        .inputs
        .iter()
        .any(|input| input.location == ParamLocation::BodyField);
    if has_fields && !value.is_object() {
        return Err(InputError {
            name: "body".to_owned(),
            reason: "expected a JSON object".to_owned(),
        });
    }
    Ok(Some(value))
}

/// Converts the text of a path, query or header input into a JSON value of its type.
///
/// Several texts are allowed only for an array input, whose items stay strings.
fn from_text(input: &Input, texts: &[String]) -> Result<Option<Value>, InputError> {
    let invalid = |reason: String| InputError {
        name: input.name.to_owned(),
        reason,
    };
    let text = match texts {
        [] => return Ok(None),
        _ if input.json_type == JsonType::Array => {
            return Ok(Some(Value::Array(
                texts.iter().cloned().map(Value::String).collect(),
            )));
        }
        [text] => text,
        _ => return Err(invalid("given more than once".to_owned())),
    };

    let value =
        match input.json_type {
            JsonType::String => Value::String(text.clone()),
            JsonType::Number | JsonType::Integer => parse_number(text, input.json_type)
                .ok_or_else(|| {
                    invalid(format!(
                        "expected {}, got `{}`",
                        input.json_type.as_str(),
                        shown(text)
                    ))
                })?,
            JsonType::Boolean => match text.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    let text = shown(text);
                    return Err(invalid(format!("expected true or false, got `{text}`")));
                }
            },
            JsonType::Object | JsonType::Array => serde_json::from_str(text)
                .map_err(|error| invalid(format!("invalid JSON: {error}")))?,
        };
    Ok(Some(value))
}

/// The maximum number of characters of a caller's value that an error message repeats.
const SHOWN_CHARS: usize = 64;

/// Returns a caller's value as an error message shows it: control characters escaped, so a
/// value cannot start a new log line, and at most [`SHOWN_CHARS`] characters.
fn shown(text: &str) -> String {
    let mut shown = String::new();
    for c in text.chars().take(SHOWN_CHARS) {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    if text.chars().nth(SHOWN_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

fn parse_number(text: &str, json_type: JsonType) -> Option<Value> {
    if let Ok(number) = text.parse::<i64>() {
        return Some(Value::from(number));
    }
    if let Ok(number) = text.parse::<u64>() {
        return Some(Value::from(number));
    }
    if json_type == JsonType::Integer {
        return None;
    }
    let number = text
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())?;
    serde_json::Number::from_f64(number).map(Value::Number)
}

/// Runs the steps of an orchestrated operation and builds its `200` response from the
/// result document, returning the upstream status of a step that failed with one.
async fn orchestrated(
    operation: &'static RestOperation,
    orchestration: &'static Orchestration,
    context: &CapabilityContext,
    inputs: &[Option<Value>],
) -> (Option<u16>, Result<Response, CallError>) {
    let document = match orchestrate::run(context, orchestration, operation.inputs, inputs).await {
        Ok(document) => document,
        Err(error) => {
            let upstream_status = match &error {
                CallError::StepStatus { status, .. } => Some(*status),
                _ => None,
            };
            return (upstream_status, Err(error));
        }
    };
    let built = output::build(&operation.output, Some(&document), inputs, context.binds()).map_err(
        |error| CallError::InvalidResponse {
            operation: operation.name.to_owned(),
            reason: error.to_string(),
        },
    );
    (
        None,
        built.map(|built| json_response(StatusCode::OK, built)),
    )
}

/// Builds the response of a mock operation (no `call`) from its output alone: `200` with
/// the built JSON, or an empty `200` for an output that is the upstream body.
fn mock_response(
    operation: &RestOperation,
    context: &CapabilityContext,
    inputs: &[Option<Value>],
) -> Result<Response, CallError> {
    let built =
        output::build(&operation.output, None, inputs, context.binds()).map_err(|error| {
            CallError::Internal {
                operation: operation.name.to_owned(),
                reason: error.to_string(),
            }
        })?;
    Ok(json_response(StatusCode::OK, built))
}

/// Builds the response to a caller from the upstream response.
///
/// A 2xx body is converted from the operation's raw format to JSON and shaped by the
/// output, and a JSON body whose output is the whole body passes unchanged. An empty 2xx
/// body stays empty when the output is the body or the status is 204 or 205, which
/// carry no body, and otherwise is shaped as in mock mode. A 4xx or 5xx passes through
/// with the upstream content type.
fn respond(
    operation: &RestOperation,
    call: &Call,
    context: &CapabilityContext,
    inputs: &[Option<Value>],
    upstream: UpstreamResponse,
) -> Result<Response, CallError> {
    let consumed = call.operation;
    let invalid = |reason: String| CallError::InvalidResponse {
        operation: upstream::operation_id(consumed),
        reason,
    };
    let status = StatusCode::from_u16(upstream.status)
        .map_err(|_| invalid(format!("invalid status {}", upstream.status)))?;

    if status.is_client_error() || status.is_server_error() {
        return Ok(body_response(
            status,
            upstream.content_type.as_deref(),
            upstream.body,
        ));
    }
    if !status.is_success() {
        return Err(invalid(format!("unexpected status {status}")));
    }

    let whole_body = matches!(operation.output, Output::Body);
    let bodiless = matches!(status, StatusCode::NO_CONTENT | StatusCode::RESET_CONTENT);
    if upstream.body.is_empty() && (whole_body || bodiless) {
        return Ok(status.into_response());
    }
    if whole_body && consumed.output_format == RawFormat::Json {
        if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(&upstream.body) {
            return Err(invalid(format!(
                "the {status} body is not valid JSON: {error}"
            )));
        }
        return Ok(body_response(
            status,
            Some("application/json"),
            upstream.body,
        ));
    }

    let document = if upstream.body.is_empty() {
        None
    } else {
        let document = format::to_json(
            consumed.output_format,
            &upstream.body,
            consumed.output_scope,
        )
        .map_err(|error| invalid(error.to_string()))?;
        Some(document)
    };
    let built = output::build(
        &operation.output,
        document.as_ref(),
        inputs,
        context.binds(),
    )
    .map_err(|error| invalid(error.to_string()))?;
    Ok(json_response(status, built))
}

/// Returns `status` with a JSON body, or with no body for `None`.
fn json_response(status: StatusCode, body: Option<Value>) -> Response {
    match body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    }
}

fn body_response(status: StatusCode, content_type: Option<&str>, body: bytes::Bytes) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    if let Some(value) = content_type.and_then(|value| HeaderValue::from_str(value).ok()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    response
}

/// Returns `{"error": {"code": CODE, "message": MESSAGE}}` with `status`.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(crate) async fn not_found(method: Method, uri: axum::http::Uri) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no route for {method} {}", uri.path()),
    )
}

pub(crate) fn method_filter(method: HttpMethod) -> MethodFilter {
    match method {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Put => MethodFilter::PUT,
        HttpMethod::Patch => MethodFilter::PATCH,
        HttpMethod::Delete => MethodFilter::DELETE,
        HttpMethod::Head => MethodFilter::HEAD,
        HttpMethod::Options => MethodFilter::OPTIONS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_values_escape_and_shorten() {
        assert_eq!(shown("12"), "12");
        assert_eq!(shown("1\n2026 INFO forged"), "1\\n2026 INFO forged");
        assert_eq!(shown("a\r\tb"), "a\\r\\tb");
        assert_eq!(shown("é".repeat(64).as_str()), "é".repeat(64));
        assert_eq!(shown(&"x".repeat(65)), format!("{}…", "x".repeat(64)));
    }

    const fn input(json_type: JsonType) -> Input {
        Input {
            name: "page",
            location: ParamLocation::Query,
            json_type,
            required: false,
            description: None,
        }
    }

    fn texts(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    #[test]
    fn text_to_number() {
        let number = input(JsonType::Number);
        assert_eq!(
            from_text(&number, &texts(&["2"])).ok(),
            Some(Some(json!(2)))
        );
        assert_eq!(
            from_text(&number, &texts(&["2.5"])).ok(),
            Some(Some(json!(2.5)))
        );
        assert!(from_text(&number, &texts(&["two"])).is_err());
        assert!(from_text(&number, &texts(&["NaN"])).is_err());
    }

    #[test]
    fn text_to_integer() {
        let integer = input(JsonType::Integer);
        assert_eq!(
            from_text(&integer, &texts(&["-3"])).ok(),
            Some(Some(json!(-3)))
        );
        assert!(from_text(&integer, &texts(&["2.5"])).is_err());
    }

    #[test]
    fn text_to_boolean_and_string() {
        let boolean = input(JsonType::Boolean);
        assert_eq!(
            from_text(&boolean, &texts(&["true"])).ok(),
            Some(Some(json!(true)))
        );
        assert!(from_text(&boolean, &texts(&["yes"])).is_err());
        let string = input(JsonType::String);
        assert_eq!(
            from_text(&string, &texts(&["2"])).ok(),
            Some(Some(json!("2")))
        );
    }

    #[test]
    fn text_repeated_key() {
        let array = input(JsonType::Array);
        assert_eq!(
            from_text(&array, &texts(&["a", "b"])).ok(),
            Some(Some(json!(["a", "b"])))
        );
        let string = input(JsonType::String);
        assert!(from_text(&string, &texts(&["a", "b"])).is_err());
    }

    #[test]
    fn text_absent_is_none() {
        assert_eq!(from_text(&input(JsonType::Number), &[]).ok(), Some(None));
    }
}
