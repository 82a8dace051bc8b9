//! `reference-proxy`: the hand-written hyper reverse proxy that `bench/proxy.sh` compares
//! naftiko-rs with.
//!
//! It does the least a proxy for the REST adapter's GET routes must do: strip the `/v1`
//! route prefix, send the request to the upstream with `Authorization: Bearer
//! $DOCKER_HUB_API_KEY` over a pooled keep-alive client, and stream the upstream's status,
//! `Content-Type` and body back. It checks no route, parses no JSON and logs nothing, so
//! its latency is a floor for any proxy on the same machine.
//!
//! ```text
//! DOCKER_HUB_API_KEY=dummy reference-proxy --upstream http://127.0.0.1:PORT
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use bytes::Bytes;
use clap::Parser;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Forwards requests to one upstream with a bearer token.
#[derive(Debug, Parser)]
#[command(name = "reference-proxy")]
struct Cli {
    /// Address to bind; port 0 picks a free port. Prints `listening on http://ADDRESS`.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Upstream base URL, such as `http://127.0.0.1:8099`.
    #[arg(long)]
    upstream: String,
    /// Route prefix removed before forwarding.
    #[arg(long, default_value = "/v1")]
    strip_prefix: String,
}

type ResponseBody = Either<Incoming, Full<Bytes>>;

/// The client, upstream and credentials shared by every forwarded request.
struct Proxy {
    client: Client<HttpConnector, Incoming>,
    upstream: String,
    strip_prefix: String,
    authorization: HeaderValue,
}

impl Proxy {
    async fn forward(&self, request: Request<Incoming>) -> Response<ResponseBody> {
        let (mut parts, body) = request.into_parts();
        let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
        let path = path
            .strip_prefix(self.strip_prefix.as_str())
            .unwrap_or(path);
        parts.uri = match format!("{}{path}", self.upstream).parse::<Uri>() {
            Ok(uri) => uri,
            Err(error) => return bad_gateway(&format!("invalid upstream URI: {error}")),
        };

        // Only what the upstream needs: the caller's own headers stay behind.
        parts.headers.clear();
        parts
            .headers
            .insert(AUTHORIZATION, self.authorization.clone());
        parts
            .headers
            .insert(ACCEPT, HeaderValue::from_static("application/json"));

        let upstream_response = match self.client.request(Request::from_parts(parts, body)).await {
            Ok(response) => response,
            Err(error) => return bad_gateway(&format!("upstream request failed: {error}")),
        };

        let (upstream_parts, body) = upstream_response.into_parts();
        let mut response = Response::new(Either::Left(body));
        *response.status_mut() = upstream_parts.status;
        if let Some(content_type) = upstream_parts.headers.get(CONTENT_TYPE) {
            response
                .headers_mut()
                .insert(CONTENT_TYPE, content_type.clone());
        }
        response
    }
}

fn bad_gateway(message: &str) -> Response<ResponseBody> {
    eprintln!("reference-proxy: {message}");
    let mut response = Response::new(Either::Right(Full::new(Bytes::from(message.to_owned()))));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}

fn build_proxy(cli: &Cli) -> Result<Proxy, String> {
    let key = std::env::var("DOCKER_HUB_API_KEY")
        .map_err(|_| "missing environment variable DOCKER_HUB_API_KEY".to_owned())?;
    let authorization = HeaderValue::from_str(&format!("Bearer {key}"))
        .map_err(|_| "invalid DOCKER_HUB_API_KEY: it must be a valid header value".to_owned())?;
    let upstream = cli.upstream.trim_end_matches('/').to_owned();
    if !upstream.starts_with("http://") {
        return Err(format!(
            "invalid --upstream `{upstream}`: expected an http:// URL"
        ));
    }
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Ok(Proxy {
        client: Client::builder(TokioExecutor::new()).build(connector),
        upstream,
        strip_prefix: cli.strip_prefix.clone(),
        authorization,
    })
}

async fn serve(cli: Cli) -> Result<(), String> {
    let proxy = Arc::new(build_proxy(&cli)?);
    let listener = TcpListener::bind(cli.listen)
        .await
        .map_err(|error| format!("failed to bind {}: {error}", cli.listen))?;
    let bound = listener
        .local_addr()
        .map_err(|error| format!("failed to read the bound address: {error}"))?;
    println!("listening on http://{bound}");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("reference-proxy: failed to accept a connection: {error}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let proxy = Arc::clone(&proxy);
        tokio::spawn(async move {
            let service = service_fn(|request| {
                let proxy = Arc::clone(&proxy);
                async move { Ok::<_, Infallible>(proxy.forward(request).await) }
            });
            // A client closing its connection mid-request is no error for a load run.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

// A multi-threaded runtime with one worker per core, as naftiko-rs uses.
#[tokio::main]
async fn main() -> ExitCode {
    match serve(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
