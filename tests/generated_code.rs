//! Snapshots of exactly the files that build.rs wrote for `specs/`.
//!
//! The same files are compiled into this crate, so a snapshot that is accepted here
//! also builds, and `cargo clippy` checks it with the rest of the crate.

#[test]
fn docker_hub_org_access_tokens_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_org_access_tokens.rs"));
    insta::assert_snapshot!("docker_hub_org_access_tokens", source);
}

#[test]
fn capability_index_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/capabilities.rs"));
    insta::assert_snapshot!("capabilities", source);
}

#[test]
fn generated_files_match_a_fresh_run() {
    let generated = naftiko_codegen::generate(std::path::Path::new("specs"));
    assert!(!generated.has_errors(), "{:?}", generated.diagnostics);
    for (name, contents) in &generated.files {
        let path = std::path::Path::new(env!("OUT_DIR")).join(name);
        let written = std::fs::read_to_string(&path).expect("build.rs wrote every file");
        assert_eq!(&written, contents, "{name} differs from a fresh run");
    }
}
