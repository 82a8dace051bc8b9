//! A fake Docker Hub for trying `naftiko-rs serve` without a Docker Hub account.
//!
//! It serves the five org-access-token endpoints on `127.0.0.1`, keeps tokens in memory
//! (every organization starts with one), requires `Authorization: Bearer <any token>` and
//! logs each request to stderr. Run it, then point the binary at it:
//!
//! ```text
//! cargo run --example fake_docker_hub            # port 8099; or pass a port, or set FAKE_DOCKER_HUB_PORT
//! DOCKER_HUB_API_KEY=dummy cargo run --release -- serve \
//!     --base-uri docker-hub-org-access-tokens=http://127.0.0.1:8099
//! curl http://127.0.0.1:8080/v1/v2/orgs/acme/access-tokens
//! ```

#[path = "../tests/common/hub.rs"]
mod hub;

use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::header;
use axum::response::Response;

use hub::Hub;

const DEFAULT_PORT: u16 = 8099;

/// Returns the port from the first argument, else from `FAKE_DOCKER_HUB_PORT`, else
/// [`DEFAULT_PORT`].
fn port() -> Result<u16, String> {
    let (source, text) = match std::env::args().nth(1) {
        Some(argument) => ("argument", argument),
        None => match std::env::var("FAKE_DOCKER_HUB_PORT") {
            Ok(value) => ("FAKE_DOCKER_HUB_PORT", value),
            Err(_) => return Ok(DEFAULT_PORT),
        },
    };
    text.parse()
        .map_err(|_| format!("invalid port `{text}` in the {source}: expected 0 to 65535"))
}

async fn handle(hub: Arc<Hub>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 1024 * 1024).await {
        Ok(body) => body,
        Err(error) => {
            eprintln!(
                "{} {}: failed to read the body: {error}",
                parts.method, parts.uri
            );
            return Response::builder()
                .status(400)
                .body(axum::body::Body::empty())
                .unwrap_or_default();
        }
    };
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let response = hub.handle(
        parts.method.as_str(),
        parts.uri.path(),
        authorization,
        &body,
    );
    // The token itself is never logged, only whether one was sent.
    eprintln!(
        "{} {} -> {} (bearer token {})",
        parts.method,
        parts.uri,
        response.status,
        if authorization.is_some() {
            "sent"
        } else {
            "missing"
        }
    );

    let builder = Response::builder().status(response.status);
    let built = match response.body {
        Some(json) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(json.to_string())),
        None => builder.body(axum::body::Body::empty()),
    };
    built.unwrap_or_default()
}

#[tokio::main]
async fn main() -> ExitCode {
    let port = match port() {
        Ok(port) => port,
        Err(message) => {
            eprintln!("fake_docker_hub: error: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("fake_docker_hub: error: failed to listen on 127.0.0.1:{port}: {error}");
            return ExitCode::from(2);
        }
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(error) => {
            eprintln!("fake_docker_hub: error: failed to read the bound address: {error}");
            return ExitCode::FAILURE;
        }
    };

    let hub = Arc::new(Hub::default());
    let app =
        axum::Router::new().fallback(move |request: Request| handle(Arc::clone(&hub), request));
    eprintln!("fake Docker Hub listening on http://{address}");
    eprintln!(
        "seeded token id in every organization: {}",
        hub::SEEDED_TOKEN_ID
    );
    if let Err(error) = axum::serve(listener, app).await {
        eprintln!("fake_docker_hub: error: the server stopped: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
