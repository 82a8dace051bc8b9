//! A fast fake upstream: every request with a bearer token gets the same small Docker Hub
//! style access token list, so the time measured is the proxy's, not the upstream's.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The body returned for every authorized request: one page of one org access token, 265 bytes.
const TOKEN_LIST: &str = concat!(
    r#"{"count":1,"next":null,"previous":null,"results":[{"id":"a7a5ef25-8889-43a0-8cc7-f2a94268e861","#,
    r#""label":"bench","description":"","created_by":"fake-upstream","is_active":true,"#,
    r#""created_at":"2026-05-19T00:00:00Z","expires_at":null,"last_used_at":null,"resources":[]}]}"#
);

/// The body returned for a request without `Authorization: Bearer …`, which a proxy under test
/// must always send.
const UNAUTHORIZED: &str = r#"{"message":"missing bearer token","errinfo":{}}"#;

/// Binds `address`, prints `listening on http://ADDRESS` to stdout, and serves until the
/// process is killed.
pub async fn serve(address: SocketAddr) -> Result<(), String> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|error| format!("failed to bind {address}: {error}"))?;
    let bound = listener
        .local_addr()
        .map_err(|error| format!("failed to read the bound address: {error}"))?;
    println!("listening on http://{bound}");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("fake upstream: failed to accept a connection: {error}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service =
                service_fn(|request| async move { Ok::<_, Infallible>(respond(&request)) });
            // A client closing its connection mid-request is no error for a load run.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let authorized = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("Bearer ") && value.len() > "Bearer ".len());
    let (status, body) = if authorized {
        (StatusCode::OK, TOKEN_LIST)
    } else {
        (StatusCode::UNAUTHORIZED, UNAUTHORIZED)
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
