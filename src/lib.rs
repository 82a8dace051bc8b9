//! The capabilities compiled from `specs/`, as a library.
//!
//! Each spec file becomes a module named after the file. It holds the static
//! description that the `naftiko-rs` binary serves, a typed client per consumed API
//! and a router per adapter, so other Rust code can call the same APIs.

include!(concat!(env!("OUT_DIR"), "/capabilities.rs"));
