//! Tutorial steps 1 to 6: a mock tool, wiring to the Maritime Registry, authentication,
//! output shaping, a second XML source and a write operation, each served over MCP in
//! front of fakes that respond with the tutorial's OpenAPI mock examples.

mod common;

use naftiko_test_support as support;
use naftiko_tutorial_tests::{
    step_01_mock, step_02_wiring, step_03_auth, step_04_output_shaping, step_05_multi_source,
    step_06_write_operations,
};
use serde_json::{Value, json};

use common::{Upstreams, bind};

/// Returns the two registry ships of the `list-ships` example, with the field names that
/// the tools give them.
fn registry_ships() -> Value {
    json!([
        {"imo": "IMO-9321483", "name": "Northern Star", "type": "cargo", "flag": "NO", "status": "active"},
        {"imo": "IMO-9456781", "name": "Pacific Dawn", "type": "tanker", "flag": "SG", "status": "maintenance"},
    ])
}

/// Returns the two legacy vessels of the Dockyard's XML `list-vessels` example, converted to
/// JSON and renamed by the `list-legacy-vessels` tool.
fn legacy_vessels() -> Value {
    json!([
        {"vesselCode": "LEGACY-4012", "name": "Old Faithful", "type": "cargo", "flag": "GB", "status": "active"},
        {"vesselCode": "LEGACY-2087", "name": "Iron Maiden", "type": "bulk_carrier", "flag": "PA", "status": "laid_up"},
    ])
}

fn mcp_token() -> Option<&'static str> {
    Some(bind("MCP_SERVER_TOKEN"))
}

#[tokio::test]
async fn step_01_mock_returns_constants() {
    let upstreams = Upstreams::start().await;
    let capability = &step_01_mock::CAPABILITY;
    assert!(capability.consumes.is_empty(), "step 1 consumes no API");
    let router = step_01_mock::exposes::shipyard_tools::router(upstreams.context(capability));
    let client = common::connect_mcp(router, None).await;

    assert_eq!(support::mcp::tool_names(&client).await, ["get-ship"]);
    let result =
        support::mcp::call(&client, "get-ship", json!({"imo_number": "IMO-9999999"})).await;

    let expected = json!({
        "imo": "IMO-9999999",
        "name": "Northern Star",
        "type": "cargo",
        "flag": "NO",
        "status": "active",
    });
    assert_eq!(support::mcp::json_of(&result), expected);
    assert_eq!(result.structured_content, Some(expected));
    assert!(upstreams.registry.requests().is_empty());
}

#[tokio::test]
async fn step_02_list_ships_renames_fields() {
    let upstreams = Upstreams::start().await;
    let router = step_02_wiring::exposes::shipyard_tools::router(
        upstreams.context(&step_02_wiring::CAPABILITY),
    );
    let client = common::connect_mcp(router, None).await;

    let result = support::mcp::call(&client, "list-ships", json!({})).await;

    assert_eq!(support::mcp::json_of(&result), registry_ships());
    let request = upstreams.registry.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/ships");
    assert_eq!(request.query, None, "no status, so no query parameter");
}

#[tokio::test]
async fn step_02_list_ships_forwards_status() {
    let upstreams = Upstreams::start().await;
    let router = step_02_wiring::exposes::shipyard_tools::router(
        upstreams.context(&step_02_wiring::CAPABILITY),
    );
    let client = common::connect_mcp(router, None).await;

    let result = support::mcp::call(&client, "list-ships", json!({"status": "active"})).await;

    // The fake returns the first example for every status, so only the request shows the
    // filter.
    assert_eq!(support::mcp::json_of(&result), registry_ships());
    let request = upstreams.registry.only_request();
    assert_eq!(request.query.as_deref(), Some("status=active"));
}

#[tokio::test]
async fn step_02_get_ship_maps_one_ship() {
    let upstreams = Upstreams::start().await;
    let router = step_02_wiring::exposes::shipyard_tools::router(
        upstreams.context(&step_02_wiring::CAPABILITY),
    );
    let client = common::connect_mcp(router, None).await;

    let result = support::mcp::call(&client, "get-ship", json!({"imo": "IMO-9321483"})).await;

    assert_eq!(support::mcp::json_of(&result), registry_ships()[0]);
    let request = upstreams.registry.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/ships/IMO-9321483");
    assert_eq!(
        request.header("authorization"),
        None,
        "step 2 has no credential"
    );
}

#[tokio::test]
async fn step_03_sends_registry_credentials() {
    let upstreams = Upstreams::start().await;
    let router =
        step_03_auth::exposes::shipyard_tools::router(upstreams.context(&step_03_auth::CAPABILITY));
    let client = common::connect_mcp(router, mcp_token()).await;

    let result = support::mcp::call(&client, "get-ship", json!({"imo": "IMO-9321483"})).await;

    assert_eq!(support::mcp::json_of(&result), registry_ships()[0]);
    let request = upstreams.registry.only_request();
    let bearer = format!("Bearer {}", bind("REGISTRY_TOKEN"));
    assert_eq!(request.header("authorization"), Some(bearer.as_str()));
    assert_eq!(
        request.header("registry-version"),
        Some(bind("REGISTRY_VERSION"))
    );
}

#[tokio::test]
async fn step_03_caller_token_never_goes_upstream() {
    let upstreams = Upstreams::start().await;
    let router =
        step_03_auth::exposes::shipyard_tools::router(upstreams.context(&step_03_auth::CAPABILITY));
    let client = common::connect_mcp(router, mcp_token()).await;

    let result = support::mcp::call(&client, "list-ships", json!({})).await;

    assert_eq!(support::mcp::json_of(&result), registry_ships());
    let request = upstreams.registry.only_request();
    let forwarded = format!("{:?}", request.headers);
    assert!(
        !forwarded.contains(bind("MCP_SERVER_TOKEN")),
        "the caller's token reached the registry: {forwarded}"
    );
}

#[tokio::test]
async fn step_03_mcp_without_token_is_401() {
    let upstreams = Upstreams::start().await;
    let router =
        step_03_auth::exposes::shipyard_tools::router(upstreams.context(&step_03_auth::CAPABILITY));

    let response = common::initialize_without_token(router).await;

    assert_eq!(response.status, 401, "{}", response.body);
    assert!(upstreams.registry.requests().is_empty());
}

#[tokio::test]
async fn step_03_mcp_wrong_token_is_401() {
    let upstreams = Upstreams::start().await;
    let router =
        step_03_auth::exposes::shipyard_tools::router(upstreams.context(&step_03_auth::CAPABILITY));
    let server = support::serve(router).await;

    let response = support::send(
        support::loopback_http()
            .post(format!("{server}/mcp"))
            .bearer_auth("sk-mcp-wrong")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
    )
    .await;

    assert_eq!(response.status, 401, "{}", response.body);
}

#[tokio::test]
async fn step_04_get_ship_nests_specs() {
    let upstreams = Upstreams::start().await;
    let router = step_04_output_shaping::exposes::shipyard_tools::router(
        upstreams.context(&step_04_output_shaping::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let result = support::mcp::call(&client, "get-ship", json!({"imo": "IMO-9321483"})).await;

    let expected = json!({
        "imo": "IMO-9321483",
        "name": "Northern Star",
        "type": "cargo",
        "flag": "NO",
        "status": "active",
        "specs": {"yearBuilt": 2015, "tonnage": 42000, "length": 229},
    });
    assert_eq!(support::mcp::json_of(&result), expected);
    // The registry's own names and the unmapped fields stay out.
    let text = support::mcp::text_of(&result);
    assert!(!text.contains("vessel_name"), "{text}");
    assert!(!text.contains("assignedCrew"), "{text}");
}

#[tokio::test]
async fn step_05_legacy_xml_becomes_json() {
    let upstreams = Upstreams::start().await;
    let router = step_05_multi_source::exposes::shipyard_tools::router(
        upstreams.context(&step_05_multi_source::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let result =
        support::mcp::call(&client, "list-legacy-vessels", json!({"status": "active"})).await;

    assert_eq!(support::mcp::json_of(&result), legacy_vessels());
    let request = upstreams.legacy.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/vessels");
    assert_eq!(request.query.as_deref(), Some("status=active"));
    assert_eq!(request.header("x-dock-key"), Some(bind("DOCKYARD_API_KEY")));
    assert!(upstreams.registry.requests().is_empty());
}

#[tokio::test]
async fn step_05_both_sources_respond() {
    let upstreams = Upstreams::start().await;
    let router = step_05_multi_source::exposes::shipyard_tools::router(
        upstreams.context(&step_05_multi_source::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let modern = support::mcp::call(&client, "list-ships", json!({})).await;
    let legacy = support::mcp::call(&client, "list-legacy-vessels", json!({})).await;

    assert_eq!(support::mcp::json_of(&modern), registry_ships());
    // The converted vessels are checked by `step_05_legacy_xml_becomes_json`.
    assert!(support::mcp::json_of(&legacy).is_array(), "{legacy:?}");
    assert_eq!(upstreams.registry.requests().len(), 1);
    let legacy_request = upstreams.legacy.only_request();
    assert_eq!(legacy_request.path, "/vessels");
    assert_eq!(
        legacy_request.header("x-dock-key"),
        Some(bind("DOCKYARD_API_KEY"))
    );
}

/// Returns the arguments of the tutorial's Oslo to Singapore voyage.
fn voyage_arguments() -> Value {
    json!({
        "shipImo": "IMO-9321483",
        "departurePort": "Oslo",
        "arrivalPort": "Singapore",
        "departureDate": "2026-04-10T08:00:00Z",
        "arrivalDate": "2026-05-02T14:00:00Z",
        "crewIds": ["CREW-001", "CREW-003"],
        "cargoIds": ["CARGO-2024-0451"],
    })
}

/// Returns the voyage that `create-voyage` returns for [`voyage_arguments`].
fn created_voyage() -> Value {
    json!({
        "voyageId": "VOY-2026-042",
        "shipImo": "IMO-9321483",
        "route": {"from": "Oslo", "to": "Singapore"},
        "dates": {"departure": "2026-04-10T08:00:00Z", "arrival": "2026-05-02T14:00:00Z"},
        "crewIds": ["CREW-001", "CREW-003"],
        "cargoIds": ["CARGO-2024-0451"],
        "status": "planned",
    })
}

#[tokio::test]
async fn step_06_create_voyage_posts_json() {
    let upstreams = Upstreams::start().await;
    let router = step_06_write_operations::exposes::shipyard_tools::router(
        upstreams.context(&step_06_write_operations::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let result = support::mcp::call(&client, "create-voyage", voyage_arguments()).await;

    assert_eq!(support::mcp::json_of(&result), created_voyage());
    let request = upstreams.registry.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/voyages");
    assert_eq!(request.json_body(), voyage_arguments());
    let bearer = format!("Bearer {}", bind("REGISTRY_TOKEN"));
    assert_eq!(request.header("authorization"), Some(bearer.as_str()));
}

#[tokio::test]
async fn step_06_create_voyage_without_cargo() {
    let upstreams = Upstreams::start().await;
    let router = step_06_write_operations::exposes::shipyard_tools::router(
        upstreams.context(&step_06_write_operations::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;
    let mut arguments = voyage_arguments();
    arguments
        .as_object_mut()
        .expect("the arguments are an object")
        .remove("cargoIds");

    let result = support::mcp::call(&client, "create-voyage", arguments).await;

    // `cargoIds` is optional, so the body must still be JSON without it.
    assert_eq!(support::mcp::json_of(&result)["voyageId"], "VOY-2026-042");
    let body = upstreams.registry.only_request().json_body();
    assert_eq!(body["shipImo"], "IMO-9321483");
    assert_eq!(body["crewIds"], json!(["CREW-001", "CREW-003"]));
}

#[tokio::test]
async fn step_06_create_voyage_hints() {
    let upstreams = Upstreams::start().await;
    let router = step_06_write_operations::exposes::shipyard_tools::router(
        upstreams.context(&step_06_write_operations::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let tools = tokio::time::timeout(support::WAIT, client.list_all_tools())
        .await
        .expect("tools/list finishes in time")
        .expect("tools/list succeeds");

    let tool = tools
        .iter()
        .find(|tool| tool.name == "create-voyage")
        .expect("create-voyage is listed");
    let hints = tool.annotations.as_ref().expect("create-voyage has hints");
    assert_eq!(hints.read_only_hint, Some(false));
    assert_eq!(hints.destructive_hint, Some(false));
    assert_eq!(hints.idempotent_hint, Some(false));
    assert_eq!(hints.open_world_hint, Some(true));
}
