//! Snapshots of exactly the files that build.rs wrote for each fixture spec.
//!
//! The same files are compiled into this crate with warnings denied, so an accepted
//! snapshot also builds.

#[test]
fn auth_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/auth.rs"));
    insta::assert_snapshot!("auth", source);
}

#[test]
fn parameters_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/parameters.rs"));
    insta::assert_snapshot!("parameters", source);
}

#[test]
fn bodies_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/bodies.rs"));
    insta::assert_snapshot!("bodies", source);
}

#[test]
fn formats_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/formats.rs"));
    insta::assert_snapshot!("formats", source);
}

#[test]
fn outputs_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/outputs.rs"));
    insta::assert_snapshot!("outputs", source);
}

#[test]
fn mock_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/mock.rs"));
    insta::assert_snapshot!("mock", source);
}

#[test]
fn orchestrated_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/orchestrated.rs"));
    insta::assert_snapshot!("orchestrated", source);
}

#[test]
fn aggregates_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/aggregates.rs"));
    insta::assert_snapshot!("aggregates", source);
}

#[test]
fn forward_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/forward.rs"));
    insta::assert_snapshot!("forward", source);
}

#[test]
fn mcp_extras_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/mcp_extras.rs"));
    insta::assert_snapshot!("mcp_extras", source);
}

#[test]
fn callers_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/callers.rs"));
    insta::assert_snapshot!("callers", source);
}

#[test]
fn operations_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/operations.rs"));
    insta::assert_snapshot!("operations", source);
}

#[test]
fn capability_index_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/capabilities.rs"));
    insta::assert_snapshot!("capabilities", source);
}
