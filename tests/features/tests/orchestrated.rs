//! Orchestrated operations (`specs/orchestrated.yaml`): call steps chained through `with`,
//! a lookup of crew members by id, and mappings into the response, through REST and MCP.

mod common;

use naftiko_feature_tests::orchestrated::CAPABILITY;
use naftiko_feature_tests::orchestrated::exposes::{briefing_mcp, briefing_rest};
use serde_json::json;

use naftiko_test_support as support;
use support::{FakeUpstream, RecordedRequest, Reply};

const TOKEN: &str = "registry-token-7";

/// Responds as a registry with two ships, three crew members and one port. Ship `1000007`
/// names a crew member that does not exist, and any other path is not found.
fn registry(request: &RecordedRequest) -> Reply {
    let body = match request.path.as_str() {
        "/ships/9319466" => json!({
            "vessel_name": "Northern Star",
            "home_port": "NOOSL",
            "crew_ids": ["c1", "c3"],
        }),
        "/ships/1000007" => json!({
            "vessel_name": "Lone Gull",
            "home_port": "NOOSL",
            "crew_ids": ["c9"],
        }),
        "/crew" => json!([
            {"id": "c1", "full_name": "Ada Berg", "role": "captain", "salary": 1},
            {"id": "c2", "full_name": "Bo Lind", "role": "cook", "salary": 2},
            {"id": "c3", "full_name": "Cy Dahl", "role": "engineer", "salary": 3},
        ]),
        "/ports/NOOSL" => json!({"name": "Oslo", "country": "NO"}),
        _ => return Reply::json(404, json!({"error": "not found"})),
    };
    Reply::json(200, body)
}

async fn start() -> (
    FakeUpstream,
    std::sync::Arc<naftiko_runtime::invoke::CapabilityContext>,
) {
    let upstream = FakeUpstream::start(registry).await;
    let context = common::context(
        &CAPABILITY,
        &[TOKEN],
        &[("registry", upstream.base_uri.clone())],
    );
    (upstream, context)
}

fn paths(upstream: &FakeUpstream) -> Vec<String> {
    let mut paths: Vec<String> = upstream.requests().into_iter().map(|r| r.path).collect();
    paths.sort();
    paths
}

#[tokio::test]
async fn rest_chains_calls_lookup_and_mappings() {
    let (upstream, context) = start().await;
    let adapter = support::serve(briefing_rest::router(context)).await;

    let response = support::get(&format!("{adapter}/briefings/9319466")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json(),
        json!({
            "vessel": "Northern Star",
            "port": "Oslo",
            "crew": [
                {"full_name": "Ada Berg", "role": "captain"},
                {"full_name": "Cy Dahl", "role": "engineer"},
            ],
        })
    );
    // The port call took its code from the ship step's output.
    assert_eq!(
        paths(&upstream),
        ["/crew", "/ports/NOOSL", "/ships/9319466"]
    );
    for request in upstream.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

#[tokio::test]
async fn rest_lookup_miss_gives_empty_list() {
    let (_upstream, context) = start().await;
    let adapter = support::serve(briefing_rest::router(context)).await;

    let response = support::get(&format!("{adapter}/briefings/1000007")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    let briefing = response.json();
    assert_eq!(briefing["vessel"], "Lone Gull");
    assert_eq!(briefing["crew"], json!([]));
}

#[tokio::test]
async fn rest_failed_step_is_an_upstream_error() {
    let (upstream, context) = start().await;
    let adapter = support::serve(briefing_rest::router(context)).await;

    let response = support::get(&format!("{adapter}/briefings/404")).await;

    assert_eq!(response.status, 404, "{}", response.body);
    // The calls that need the ship's output were never sent.
    assert!(
        !paths(&upstream)
            .iter()
            .any(|path| path.starts_with("/ports"))
    );
}

#[tokio::test]
async fn mcp_tool_runs_the_same_steps() {
    let (upstream, context) = start().await;
    let client = support::mcp::serve_mcp(briefing_mcp::router(context)).await;

    let result = support::mcp::call(&client, "brief-voyage", json!({"imo": "9319466"})).await;

    assert_eq!(
        support::mcp::json_of(&result),
        json!({
            "vessel": "Northern Star",
            "crew": [{"full_name": "Ada Berg"}, {"full_name": "Cy Dahl"}],
        })
    );
    assert_eq!(paths(&upstream), ["/crew", "/ships/9319466"]);
}

#[tokio::test]
async fn mcp_tool_requires_its_input() {
    let (upstream, context) = start().await;
    let client = support::mcp::serve_mcp(briefing_mcp::router(context)).await;

    let outcome = support::mcp::try_call(&client, "brief-voyage", json!({})).await;

    let refused = match outcome {
        Err(_) => true,
        Ok(result) => support::mcp::is_error(&result),
    };
    assert!(refused, "a call without `imo` must fail");
    assert!(upstream.requests().is_empty());
}
