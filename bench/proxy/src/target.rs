//! The request a load run repeats, and the HTTP/1.1 connections it is sent on.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One request, sent the same way every time, and what its response must contain.
#[derive(Debug, Clone)]
pub struct Target {
    /// The server's address; always a loopback address.
    pub address: SocketAddr,
    method: Method,
    path_and_query: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    expect: Option<String>,
}

impl Target {
    /// Parses a target from a `http://127.0.0.1:PORT/PATH` URL, `Name: value` headers, a
    /// body, and text the response body must contain.
    ///
    /// The URL must name a loopback IP address and a port, so a load run never reaches
    /// another machine.
    pub fn parse(
        url: &str,
        method: &str,
        headers: &[String],
        body: Option<String>,
        expect: Option<String>,
    ) -> Result<Self, String> {
        let uri: Uri = url
            .parse()
            .map_err(|error| format!("invalid URL `{url}`: {error}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("invalid URL `{url}`: expected an http:// URL"));
        }
        let address =
            loopback_address(&uri).map_err(|reason| format!("invalid URL `{url}`: {reason}"))?;
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| format!("invalid HTTP method `{method}`"))?;
        let path_and_query = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |path| path.as_str().to_owned());
        let headers = headers
            .iter()
            .map(|header| parse_header(header))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            address,
            method,
            path_and_query,
            headers,
            body: Bytes::from(body.unwrap_or_default()),
            expect,
        })
    }

    /// Builds the request, with a `Host` header as HTTP/1.1 requires.
    pub fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        // The path was taken from a parsed URI, so it parses again.
        *request.uri_mut() = self.path_and_query.parse().unwrap_or_default();
        let headers = request.headers_mut();
        if let Ok(host) = HeaderValue::from_str(&self.address.to_string()) {
            headers.insert(HOST, host);
        }
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        request
    }

    /// Sends the request on `sender` and checks that the response is a 2xx whose body
    /// contains the expected text, returning what was wrong otherwise.
    pub async fn send(&self, sender: &mut SendRequest<Full<Bytes>>) -> Result<(), String> {
        sender
            .ready()
            .await
            .map_err(|error| format!("connection failed: {error}"))?;
        let response = sender
            .send_request(self.request())
            .await
            .map_err(|error| format!("request failed: {error}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|error| format!("failed to read the response body: {error}"))?
            .to_bytes();
        let text = String::from_utf8_lossy(&body);
        if !status.is_success() {
            return Err(format!("status {status}, body `{}`", snippet(&text)));
        }
        match &self.expect {
            Some(expected) if !text.contains(expected.as_str()) => Err(format!(
                "response body lacks `{expected}`: `{}`",
                snippet(&text)
            )),
            _ => Ok(()),
        }
    }
}

/// Opens an HTTP/1.1 keep-alive connection to `address`, with Nagle's algorithm off as in
/// the servers under test.
pub async fn connect(address: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(address)
        .await
        .map_err(|error| format!("failed to connect to {address}: {error}"))?;
    stream
        .set_nodelay(true)
        .map_err(|error| format!("failed to set TCP_NODELAY on {address}: {error}"))?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| format!("HTTP handshake with {address} failed: {error}"))?;
    // A connection error also fails the next request on `sender`, which reports it.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

fn loopback_address(uri: &Uri) -> Result<SocketAddr, String> {
    let host = uri.host().ok_or("missing host")?;
    let port = uri.port_u16().ok_or("missing port")?;
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .map_err(|_| format!("host `{host}` is not an IP address; use 127.0.0.1"))?;
    if !ip.is_loopback() {
        return Err(format!("host `{host}` is not a loopback address"));
    }
    Ok(SocketAddr::new(ip, port))
}

fn parse_header(header: &str) -> Result<(HeaderName, HeaderValue), String> {
    let invalid = || format!("invalid header `{header}`: expected `Name: value`");
    let (name, value) = header.split_once(':').ok_or_else(invalid)?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| invalid())?;
    let value = HeaderValue::from_str(value.trim()).map_err(|_| invalid())?;
    Ok((name, value))
}

/// Returns at most the first 200 characters of `text`, for error messages.
fn snippet(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<Target, String> {
        Target::parse(url, "GET", &[], None, None)
    }

    #[test]
    fn parse_accepts_loopback_url() {
        let target = parse("http://127.0.0.1:8080/v1/orgs?page=2").expect("valid URL");
        assert_eq!(target.address, "127.0.0.1:8080".parse().expect("address"));
        assert_eq!(target.request().uri(), "/v1/orgs?page=2");
    }

    #[test]
    fn parse_rejects_other_hosts() {
        let error = parse("http://10.0.0.1:80/").expect_err("not loopback");
        assert!(error.contains("not a loopback address"), "{error}");
        let error = parse("http://localhost:80/").expect_err("not an IP address");
        assert!(error.contains("use 127.0.0.1"), "{error}");
        let error = parse("http://127.0.0.1/").expect_err("no port");
        assert!(error.contains("missing port"), "{error}");
    }

    #[test]
    fn parse_rejects_bad_header() {
        let error = Target::parse(
            "http://127.0.0.1:1/",
            "GET",
            &["no colon".into()],
            None,
            None,
        )
        .expect_err("bad header");
        assert!(error.contains("expected `Name: value`"), "{error}");
    }

    #[test]
    fn request_carries_host_and_headers() {
        let headers = ["Accept: application/json".to_owned()];
        let target = Target::parse(
            "http://127.0.0.1:9/mcp",
            "POST",
            &headers,
            Some("{}".into()),
            None,
        )
        .expect("valid target");
        let request = target.request();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.headers()[HOST], "127.0.0.1:9");
        assert_eq!(request.headers()["accept"], "application/json");
    }
}
