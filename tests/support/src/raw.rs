//! Requests written byte for byte over a plain TCP connection.
//!
//! HTTP clients resolve `.` and `..` segments, percent-encoded ones included, before they
//! send a request, so a test of path traversal writes the request target itself.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::WAIT;

/// A response read as text up to the end of the connection.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status code of the status line.
    pub status: u16,
    /// The whole response, status line and headers included, with invalid UTF-8 replaced.
    pub text: String,
}

/// Sends `METHOD target HTTP/1.1` to the server at `base_url` (`http://HOST:PORT`) with the
/// target exactly as written, and reads the response until the server closes the
/// connection.
///
/// Fails the test when the server does not respond within [`WAIT`] or the response has no
/// status line.
pub async fn raw_request(base_url: &str, method: &str, target: &str) -> RawResponse {
    let address = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("the server accepts a connection");
    let request =
        format!("{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is written");
    let mut bytes = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut bytes))
        .await
        .expect("the server responds in time")
        .expect("the response is read");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    RawResponse { status, text }
}

/// Sends `GET target` with the target exactly as written; see [`raw_request`].
pub async fn raw_get(base_url: &str, target: &str) -> RawResponse {
    raw_request(base_url, "GET", target).await
}
