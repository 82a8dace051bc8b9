//! Helpers shared by the test crates of the workspace: a fake upstream that records every
//! request, loopback HTTP clients and servers, requests sent byte for byte, and rmcp client
//! calls.
//!
//! Every server binds `127.0.0.1` on a port the operating system chooses, and every client
//! ignores proxy settings, so no test reaches beyond loopback. The crate depends on neither
//! `naftiko-runtime` nor `naftiko-codegen`, so the runtime's own tests can use it. Helpers
//! that need their types stay in the test crates.

use std::time::Duration;

pub mod http;
pub mod logs;
pub mod mcp;
pub mod raw;
pub mod upstream;

pub use http::{Response, dead_base_uri, free_port, get, loopback_http, send, send_json, serve};
pub use upstream::{FakeUpstream, RecordedRequest, Reply};

/// How long any single wait of a test may take.
pub const WAIT: Duration = Duration::from_secs(20);
