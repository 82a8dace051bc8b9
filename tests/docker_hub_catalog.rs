//! The ten Docker Hub capabilities of the binary served together, as `naftiko-rs serve`
//! serves them: every REST adapter on one shared listener, every MCP adapter on another,
//! and every consumed API at one fake Docker Hub on loopback.
//!
//! The tests share one catalog and run concurrently, so each finds its own upstream
//! requests by method, path and body, which no other test sends.

mod common;

use std::process::Command;

use naftiko_test_support::mcp::{call, connect_mcp};
use reqwest::Method;
use serde_json::{Value, json};

use common::TOKEN;
use common::catalog::{self, Catalog};

/// The upstream request one call must cause.
struct Upstream {
    method: &'static str,
    path: &'static str,
    query: Option<&'static str>,
    /// The JSON body; `None` expects an empty body.
    body: Option<Value>,
}

/// A REST request to the shared listener and the upstream request it must cause.
struct RestCase {
    capability: &'static str,
    method: Method,
    route: &'static str,
    body: Option<Value>,
    upstream: Upstream,
}

/// A tool call and the upstream request it must cause.
struct ToolCase {
    capability: &'static str,
    tool: &'static str,
    arguments: Value,
    upstream: Upstream,
}

/// Asserts that exactly one upstream request matches `expected`, with the bearer token.
fn assert_reached(catalog: &Catalog, label: &str, expected: &Upstream) {
    let matching: Vec<_> = catalog
        .requests_to(expected.method, expected.path)
        .into_iter()
        .filter(|request| match &expected.body {
            Some(body) => {
                serde_json::from_slice::<Value>(&request.body).ok().as_ref() == Some(body)
            }
            None => request.body.is_empty(),
        })
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "{label}: expected one {} {} upstream; got {:?}",
        expected.method,
        expected.path,
        catalog.hub.requests()
    );
    let request = &matching[0];
    assert_eq!(request.query.as_deref(), expected.query, "{label}");
    assert_eq!(
        request.authorization(),
        Some(format!("Bearer {TOKEN}").as_str()),
        "{label}"
    );
}

fn rest_cases() -> Vec<RestCase> {
    vec![
        RestCase {
            capability: "docker-hub-access-tokens",
            method: Method::GET,
            route: "/v1/v2/access-tokens/rest-uuid",
            body: None,
            upstream: Upstream {
                method: "GET",
                path: "/v2/access-tokens/rest-uuid",
                query: None,
                body: None,
            },
        },
        RestCase {
            capability: "docker-hub-audit-logs",
            method: Method::GET,
            route: "/v1/v2/auditlogs/rest-account?action=repo.create&page_size=5",
            body: None,
            upstream: Upstream {
                method: "GET",
                path: "/v2/auditlogs/rest-account",
                query: Some("action=repo.create&page_size=5"),
                body: None,
            },
        },
        RestCase {
            capability: "docker-hub-authentication-api",
            method: Method::POST,
            route: "/v1/v2/users/login",
            body: Some(json!({"username": "rest-user", "password": "rest-password"})),
            upstream: Upstream {
                method: "POST",
                path: "/v2/users/login",
                query: None,
                body: Some(json!({"username": "rest-user", "password": "rest-password"})),
            },
        },
        RestCase {
            capability: "docker-hub-groups",
            method: Method::GET,
            route: "/v1/v2/orgs/rest-org/groups/rest-group",
            body: None,
            upstream: Upstream {
                method: "GET",
                path: "/v2/orgs/rest-org/groups/rest-group",
                query: None,
                body: None,
            },
        },
        RestCase {
            capability: "docker-hub-invites",
            method: Method::DELETE,
            route: "/v1/v2/invites/rest-invite",
            body: None,
            upstream: Upstream {
                method: "DELETE",
                path: "/v2/invites/rest-invite",
                query: None,
                body: None,
            },
        },
        RestCase {
            capability: "docker-hub-org-access-tokens",
            method: Method::GET,
            route: "/v1/v2/orgs/rest-org/access-tokens?page=2",
            body: None,
            upstream: Upstream {
                method: "GET",
                path: "/v2/orgs/rest-org/access-tokens",
                query: Some("page=2"),
                body: None,
            },
        },
        RestCase {
            capability: "docker-hub-org-settings",
            method: Method::PUT,
            route: "/v1/v2/orgs/rest-org/settings",
            body: Some(json!({"restricted_images": {"enabled": true}})),
            upstream: Upstream {
                method: "PUT",
                path: "/v2/orgs/rest-org/settings",
                query: None,
                body: Some(json!({"restricted_images": {"enabled": true}})),
            },
        },
        RestCase {
            capability: "docker-hub-orgs",
            method: Method::GET,
            route: "/v1/v2/orgs/rest-org/members/export",
            body: None,
            upstream: Upstream {
                method: "GET",
                path: "/v2/orgs/rest-org/members/export",
                query: None,
                body: None,
            },
        },
        RestCase {
            capability: "docker-hub-repositories",
            method: Method::HEAD,
            route: "/v1/v2/namespaces/rest-ns/repositories/rest-repo/tags/rest-tag",
            body: None,
            upstream: Upstream {
                method: "HEAD",
                path: "/v2/namespaces/rest-ns/repositories/rest-repo/tags/rest-tag",
                query: None,
                body: None,
            },
        },
        RestCase {
            capability: "docker-hub-scim",
            method: Method::GET,
            route: "/v1/v2/scim/2-0/users/rest-user-id",
            body: None,
            upstream: Upstream {
                method: "GET",
                path: "/v2/scim/2.0/Users/rest-user-id",
                query: None,
                body: None,
            },
        },
    ]
}

/// Returns one tool call per capability, each by the name the union lists.
fn union_cases() -> Vec<ToolCase> {
    vec![
        ToolCase {
            capability: "docker-hub-access-tokens",
            tool: "list-personal-access-tokens",
            arguments: json!({"page": 2, "page_size": 10}),
            upstream: Upstream {
                method: "GET",
                path: "/v2/access-tokens",
                query: Some("page=2&page_size=10"),
                body: None,
            },
        },
        ToolCase {
            capability: "docker-hub-audit-logs",
            tool: "list-audit-log-actions",
            arguments: json!({"account": "mcp-account"}),
            upstream: Upstream {
                method: "GET",
                path: "/v2/auditlogs/mcp-account/actions",
                query: None,
                body: None,
            },
        },
        ToolCase {
            capability: "docker-hub-authentication-api",
            tool: "docker-hub-authentication-api-mcp.create-access-token",
            arguments: json!({"body": {"identifier": "mcp-user", "secret": "mcp-secret"}}),
            upstream: Upstream {
                method: "POST",
                path: "/v2/auth/token",
                query: None,
                body: Some(json!({"identifier": "mcp-user", "secret": "mcp-secret"})),
            },
        },
        ToolCase {
            capability: "docker-hub-groups",
            tool: "add-member-group",
            arguments: json!({
                "org_name": "mcp-org",
                "group_name": "mcp-group",
                "body": {"member": "mcp-member"},
            }),
            upstream: Upstream {
                method: "POST",
                path: "/v2/orgs/mcp-org/groups/mcp-group/members",
                query: None,
                body: Some(json!({"member": "mcp-member"})),
            },
        },
        ToolCase {
            capability: "docker-hub-invites",
            tool: "list-org-invites",
            arguments: json!({"org_name": "mcp-org"}),
            upstream: Upstream {
                method: "GET",
                path: "/v2/orgs/mcp-org/invites",
                query: None,
                body: None,
            },
        },
        ToolCase {
            capability: "docker-hub-org-access-tokens",
            tool: "docker-hub-org-access-tokens-mcp.create-access-token",
            arguments: json!({"name": "mcp-org", "body": {"label": "mcp-label"}}),
            upstream: Upstream {
                method: "POST",
                path: "/v2/orgs/mcp-org/access-tokens",
                query: None,
                body: Some(json!({"label": "mcp-label"})),
            },
        },
        ToolCase {
            capability: "docker-hub-org-settings",
            tool: "get-organization-settings",
            arguments: json!({"name": "mcp-org"}),
            upstream: Upstream {
                method: "GET",
                path: "/v2/orgs/mcp-org/settings",
                query: None,
                body: None,
            },
        },
        ToolCase {
            capability: "docker-hub-orgs",
            tool: "remove-member-org",
            arguments: json!({"org_name": "mcp-org", "username": "mcp-user"}),
            upstream: Upstream {
                method: "DELETE",
                path: "/v2/orgs/mcp-org/members/mcp-user",
                query: None,
                body: None,
            },
        },
        ToolCase {
            capability: "docker-hub-repositories",
            tool: "create-new-repository",
            arguments: json!({"namespace": "mcp-ns", "body": {"name": "mcp-repo"}}),
            upstream: Upstream {
                method: "POST",
                path: "/v2/namespaces/mcp-ns/repositories",
                query: None,
                body: Some(json!({"name": "mcp-repo"})),
            },
        },
        ToolCase {
            capability: "docker-hub-scim",
            tool: "list-resource-types",
            arguments: json!({}),
            upstream: Upstream {
                method: "GET",
                path: "/v2/scim/2.0/ResourceTypes",
                query: None,
                body: None,
            },
        },
    ]
}

#[test]
fn cases_cover_every_capability() {
    let names: Vec<&str> = naftiko_rs::CAPABILITIES
        .iter()
        .map(|capability| capability.name)
        .collect();
    assert_eq!(names.len(), 10, "{names:?}");
    let rest: Vec<&str> = rest_cases().iter().map(|case| case.capability).collect();
    let tools: Vec<&str> = union_cases().iter().map(|case| case.capability).collect();
    assert_eq!(rest, names);
    assert_eq!(tools, names);
}

#[tokio::test]
async fn rest_calls_reach_upstream() {
    let catalog = catalog::shared();

    for case in rest_cases() {
        let url = format!("{}{}", catalog.rest_url, case.route);
        let body = case.body.as_ref().map(Value::to_string);
        let response = common::send(case.method.clone(), &url, body.as_deref()).await;
        assert_eq!(
            response.status, 200,
            "{}: {}",
            case.capability, response.body
        );
        if case.method != Method::HEAD {
            assert_eq!(response.json(), json!({"ok": true}), "{}", case.capability);
        }
        assert_reached(catalog, case.capability, &case.upstream);
    }
}

#[tokio::test]
async fn union_tool_calls_reach_upstream() {
    let catalog = catalog::shared();
    let client = connect_mcp(&format!("{}/mcp", catalog.mcp_url)).await;

    for case in union_cases() {
        let result = call(&client, case.tool, case.arguments.clone()).await;
        assert_eq!(result.is_error, Some(false), "{}: {result:?}", case.tool);
        assert_reached(catalog, case.tool, &case.upstream);
    }
}

#[tokio::test]
async fn union_lists_every_tool() {
    let catalog = catalog::shared();
    let client = connect_mcp(&format!("{}/mcp", catalog.mcp_url)).await;

    let info = client.peer_info().expect("server info after initialize");
    let server_info = info.server_info.as_ref().expect("serverInfo is sent");
    assert_eq!(server_info.name, "naftiko-rs");
    let tools = client.list_all_tools().await.expect("tools/list");
    let listed: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();

    // Every declared tool once, in spec order, with the one clashing name qualified.
    let mut expected = Vec::new();
    for capability in naftiko_rs::CAPABILITIES {
        for adapter in capability.mcp {
            for tool in adapter.tools {
                expected.push(match tool.name {
                    "create-access-token" => format!("{}.{}", adapter.namespace, tool.name),
                    name => name.to_owned(),
                });
            }
        }
    }
    assert_eq!(listed, expected);
    assert!(
        listed.contains(&"docker-hub-authentication-api-mcp.create-access-token"),
        "{listed:?}"
    );
    assert!(
        listed.contains(&"docker-hub-org-access-tokens-mcp.create-access-token"),
        "{listed:?}"
    );
    assert!(!listed.contains(&"create-access-token"), "{listed:?}");
}

#[tokio::test]
async fn namespace_paths_keep_tool_names() {
    let catalog = catalog::shared();
    let cases = [
        ToolCase {
            capability: "docker-hub-org-access-tokens",
            tool: "create-access-token",
            arguments: json!({"name": "ns-org", "body": {"label": "ns-label"}}),
            upstream: Upstream {
                method: "POST",
                path: "/v2/orgs/ns-org/access-tokens",
                query: None,
                body: Some(json!({"label": "ns-label"})),
            },
        },
        ToolCase {
            capability: "docker-hub-authentication-api",
            tool: "create-access-token",
            arguments: json!({"body": {"identifier": "ns-user", "secret": "ns-secret"}}),
            upstream: Upstream {
                method: "POST",
                path: "/v2/auth/token",
                query: None,
                body: Some(json!({"identifier": "ns-user", "secret": "ns-secret"})),
            },
        },
    ];

    for case in cases {
        let namespace = format!("{}-mcp", case.capability);
        let client = connect_mcp(&format!("{}/mcp/{namespace}", catalog.mcp_url)).await;

        let tools = client.list_all_tools().await.expect("tools/list");
        let listed: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
        let declared: Vec<&str> = naftiko_rs::CAPABILITIES
            .iter()
            .flat_map(|capability| capability.mcp.iter())
            .filter(|adapter| adapter.namespace == namespace)
            .flat_map(|adapter| adapter.tools.iter().map(|tool| tool.name))
            .collect();
        assert_eq!(listed, declared, "{namespace}");

        let result = call(&client, case.tool, case.arguments.clone()).await;
        assert_eq!(result.is_error, Some(false), "{namespace}: {result:?}");
        assert_reached(catalog, &namespace, &case.upstream);
    }
}

#[test]
fn list_shows_shared_listeners() {
    let output = Command::new(env!("CARGO_BIN_EXE_naftiko-rs"))
        .arg("list")
        .output()
        .expect("naftiko-rs runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);

    let names = [
        "docker-hub-access-tokens",
        "docker-hub-audit-logs",
        "docker-hub-authentication-api",
        "docker-hub-groups",
        "docker-hub-invites",
        "docker-hub-org-access-tokens",
        "docker-hub-org-settings",
        "docker-hub-orgs",
        "docker-hub-repositories",
        "docker-hub-scim",
    ];
    for name in names {
        let lines = [
            format!("capability {name} (specs/{name}.yaml)"),
            format!("consumes {name} at https://hub.docker.com"),
            format!("rest {name}-rest on http://127.0.0.1:8080"),
            format!("mcp {name}-mcp on http://127.0.0.1:9090/mcp"),
        ];
        for line in lines {
            assert!(stdout.contains(&line), "missing `{line}` in:\n{stdout}");
        }
    }
    assert_eq!(stdout.matches("capability ").count(), 10, "{stdout}");
    assert_eq!(stdout.matches("  rest ").count(), 10, "{stdout}");
    assert_eq!(stdout.matches("  mcp ").count(), 10, "{stdout}");
}
