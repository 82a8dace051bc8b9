//! The HTTP client for consumed APIs.

/// A client for one consumed API.
pub struct UpstreamClient {}

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
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Placeholder until the runtime helper fills this in.
    #[error("scaffold")]
    Scaffold,
}
