//! Snapshots of exactly the files that build.rs wrote for `specs/`.
//!
//! The same files are compiled into this crate, so a snapshot that is accepted here
//! also builds, and `cargo clippy` checks it with the rest of the crate.

#[test]
fn docker_hub_access_tokens_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_access_tokens.rs"));
    insta::assert_snapshot!("docker_hub_access_tokens", source);
}

#[test]
fn docker_hub_audit_logs_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_audit_logs.rs"));
    insta::assert_snapshot!("docker_hub_audit_logs", source);
}

#[test]
fn docker_hub_authentication_api_source() {
    let source = include_str!(concat!(
        env!("OUT_DIR"),
        "/docker_hub_authentication_api.rs"
    ));
    insta::assert_snapshot!("docker_hub_authentication_api", source);
}

#[test]
fn docker_hub_groups_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_groups.rs"));
    insta::assert_snapshot!("docker_hub_groups", source);
}

#[test]
fn docker_hub_invites_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_invites.rs"));
    insta::assert_snapshot!("docker_hub_invites", source);
}

#[test]
fn docker_hub_org_access_tokens_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_org_access_tokens.rs"));
    insta::assert_snapshot!("docker_hub_org_access_tokens", source);
}

#[test]
fn docker_hub_org_settings_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_org_settings.rs"));
    insta::assert_snapshot!("docker_hub_org_settings", source);
}

#[test]
fn docker_hub_orgs_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_orgs.rs"));
    insta::assert_snapshot!("docker_hub_orgs", source);
}

#[test]
fn docker_hub_repositories_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_repositories.rs"));
    insta::assert_snapshot!("docker_hub_repositories", source);
}

#[test]
fn docker_hub_scim_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/docker_hub_scim.rs"));
    insta::assert_snapshot!("docker_hub_scim", source);
}

#[test]
fn capability_index_source() {
    let source = include_str!(concat!(env!("OUT_DIR"), "/capabilities.rs"));
    insta::assert_snapshot!("capabilities", source);
}

#[test]
fn every_generated_module_has_a_snapshot() {
    let generated = naftiko_codegen::generate(std::path::Path::new("specs"));
    let mut modules: Vec<&str> = generated
        .files
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    modules.sort_unstable();
    assert_eq!(
        modules,
        [
            "capabilities.rs",
            "docker_hub_access_tokens.rs",
            "docker_hub_audit_logs.rs",
            "docker_hub_authentication_api.rs",
            "docker_hub_groups.rs",
            "docker_hub_invites.rs",
            "docker_hub_org_access_tokens.rs",
            "docker_hub_org_settings.rs",
            "docker_hub_orgs.rs",
            "docker_hub_repositories.rs",
            "docker_hub_scim.rs",
        ],
        "a new spec needs a snapshot test above"
    );
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
