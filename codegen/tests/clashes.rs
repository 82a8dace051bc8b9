//! Adapters of several specs on one port: what merges and what the build rejects.

use std::path::PathBuf;

use naftiko_codegen::Severity;

const DOCKER_HUB: &str = "../tests/corpus/api-evangelist-docker-hub";

/// The ten per-area Docker Hub capabilities, which all declare REST on 8080 and MCP
/// on 9090.
fn per_area_specs() -> Vec<(PathBuf, String)> {
    let mut specs = Vec::new();
    for entry in std::fs::read_dir(DOCKER_HUB).expect("the corpus is committed") {
        let path = entry.expect("a folder entry").path();
        let name = path
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let all_in_one = name == "docker-hub-capability" || name == "docker-hub-capability-edges";
        if !all_in_one {
            specs.push((path, name));
        }
    }
    specs.sort();
    specs
}

fn render(diagnostics: &[naftiko_codegen::Diagnostic], severity: Severity) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| d.to_string().replace("../tests/corpus/", ""))
        .collect()
}

#[test]
fn per_area_specs_share_listeners() {
    let specs = per_area_specs();
    assert_eq!(specs.len(), 10, "{specs:?}");

    let generated = naftiko_codegen::generate_specs(&specs, true);

    let errors = render(&generated.diagnostics, Severity::Error);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let clashes: Vec<String> = render(&generated.diagnostics, Severity::Warning)
        .into_iter()
        .filter(|w| w.contains("is also declared by MCP adapter"))
        .collect();
    insta::assert_snapshot!("per_area_tool_clashes", clashes.join("\n"));
}

/// The all-in-one spec serves its REST routes without the per-area specs' `/v1`
/// prefix and names its tools differently (`authcreateaccesstoken`), so it shares
/// the listeners with them without a clash.
#[test]
fn all_in_one_spec_beside_per_area() {
    let mut specs = per_area_specs();
    specs.push((
        PathBuf::from(DOCKER_HUB).join("docker-hub-capability.yaml"),
        "docker-hub-capability".to_string(),
    ));

    let generated = naftiko_codegen::generate_specs(&specs, true);

    let errors = render(&generated.diagnostics, Severity::Error);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let clashes: Vec<String> = render(&generated.diagnostics, Severity::Warning)
        .into_iter()
        .filter(|w| w.contains("docker-hub-capability.yaml") && w.contains("is also declared"))
        .collect();
    assert!(clashes.is_empty(), "{}", clashes.join("\n"));
}

/// Two specs whose REST adapters declare the same route and method on one port.
#[test]
fn same_route_twice_fails() {
    let dir = std::env::temp_dir().join(format!("naftiko-clash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let source = PathBuf::from(DOCKER_HUB).join("docker-hub-org-access-tokens.yaml");
    let text = std::fs::read_to_string(&source).expect("the spec is committed");
    let copy = dir.join("copy.yaml");
    let renamed = text
        .replace(
            "namespace: docker-hub-org-access-tokens-rest",
            "namespace: copy-rest",
        )
        .replace(
            "namespace: docker-hub-org-access-tokens-mcp",
            "namespace: copy-mcp",
        );
    std::fs::write(&copy, renamed).expect("a writable temporary folder");
    let specs = vec![(source, "original".to_string()), (copy, "copy".to_string())];

    let generated = naftiko_codegen::generate_specs(&specs, true);
    std::fs::remove_dir_all(&dir).ok();

    let errors: Vec<String> = render(&generated.diagnostics, Severity::Error)
        .into_iter()
        .map(|e| e.replace(&dir.display().to_string(), "TMP"))
        .collect();
    assert!(generated.files.is_empty());
    assert_eq!(errors.len(), 5, "{}", errors.join("\n"));
    insta::assert_snapshot!("same_route_twice", errors.join("\n"));
}

/// MCP adapters on one port whose caller authentication differs: the union at `/mcp`
/// requires every credential, which the build points out.
#[test]
fn shared_mcp_port_with_caller_auth_warns() {
    let dir = std::env::temp_dir().join(format!("naftiko-mcp-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let source = PathBuf::from(DOCKER_HUB).join("docker-hub-org-access-tokens.yaml");
    let text = std::fs::read_to_string(&source).expect("the spec is committed");
    let guarded = text
        .replace("port: 8080", "port: 8181")
        .replace(
            "namespace: docker-hub-org-access-tokens-rest",
            "namespace: guarded-rest",
        )
        .replace(
            "namespace: docker-hub-org-access-tokens-mcp\n",
            "namespace: guarded-mcp\n    authentication:\n      type: bearer\n      \
             token: '{{env.DOCKER_HUB_API_KEY}}'\n",
        );
    let copy = dir.join("guarded.yaml");
    std::fs::write(&copy, guarded).expect("a writable temporary folder");
    let specs = vec![(source, "open".to_string()), (copy, "guarded".to_string())];

    let generated = naftiko_codegen::generate_specs(&specs, true);
    std::fs::remove_dir_all(&dir).ok();

    let errors = render(&generated.diagnostics, Severity::Error);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let warnings: Vec<String> = render(&generated.diagnostics, Severity::Warning)
        .into_iter()
        .filter(|w| w.contains("authenticates callers"))
        .map(|w| w.replace(&dir.display().to_string(), "TMP"))
        .collect();
    insta::assert_snapshot!("shared_mcp_port_with_caller_auth", warnings.join("\n"));
}

/// A REST and an MCP adapter cannot share a port.
#[test]
fn rest_and_mcp_on_one_port_fail() {
    let dir = std::env::temp_dir().join(format!("naftiko-kinds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let source = PathBuf::from(DOCKER_HUB).join("docker-hub-org-access-tokens.yaml");
    let text = std::fs::read_to_string(&source).expect("the spec is committed");
    let spec = dir.join("one-port.yaml");
    std::fs::write(&spec, text.replace("port: 9090", "port: 8080")).expect("a writable folder");

    let generated = naftiko_codegen::generate_specs(&[(spec, "one-port".to_string())], true);
    std::fs::remove_dir_all(&dir).ok();

    let errors: Vec<String> = render(&generated.diagnostics, Severity::Error)
        .into_iter()
        .map(|e| e.replace(&dir.display().to_string(), "TMP"))
        .collect();
    insta::assert_snapshot!("rest_and_mcp_on_one_port", errors.join("\n"));
}

#[test]
fn edges_file_is_not_a_capability() {
    let path = PathBuf::from(DOCKER_HUB).join("docker-hub-capability-edges.yml");
    let compiled = naftiko_codegen::compile_file(&path);
    let errors = render(&compiled.diagnostics, Severity::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("not a Naftiko capability"),
        "{}",
        errors[0]
    );
}
