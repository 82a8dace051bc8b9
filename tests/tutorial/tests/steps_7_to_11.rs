//! Tutorial steps 7 to 11: orchestrated lookups, skill groups, aggregates, the REST adapter
//! and the fleet manifest, served over MCP, REST and the skill catalog in front of fakes
//! that answer with the tutorial's OpenAPI mock examples.

mod common;

use naftiko_runtime::codegen::SkillAdapter;
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_test_support as support;
use naftiko_tutorial_tests::{
    step_07_orchestrated_lookup, step_08_skill_groups, step_09_aggregates, step_10_rest_adapter,
    step_11_fleet_manifest,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

use common::{Upstreams, bind};

fn mcp_token() -> Option<&'static str> {
    Some(bind("MCP_SERVER_TOKEN"))
}

/// Returns the Northern Star with its assigned crew, `CREW-001` and `CREW-003`, resolved
/// by name from the registry's crew list.
fn northern_star_with_crew() -> Value {
    json!({
        "imo": "IMO-9321483",
        "name": "Northern Star",
        "type": "cargo",
        "flag": "NO",
        "status": "active",
        "yearBuilt": 2015,
        "tonnage": 42000,
        "length": 229,
        "crew": [
            {"fullName": "Erik Lindström", "role": "captain"},
            {"fullName": "Aiko Tanaka", "role": "cook"},
        ],
    })
}

/// Returns the Northern Star as the shaped `get-ship` tool and route return it.
fn northern_star() -> Value {
    json!({
        "imo": "IMO-9321483",
        "name": "Northern Star",
        "type": "cargo",
        "flag": "NO",
        "status": "active",
        "specs": {"yearBuilt": 2015, "tonnage": 42000, "length": 229},
    })
}

/// Returns the two legacy vessels of the Dockyard's XML example, converted to JSON and
/// renamed.
fn legacy_vessels() -> Value {
    json!([
        {"vesselCode": "LEGACY-4012", "name": "Old Faithful", "type": "cargo", "flag": "GB", "status": "active"},
        {"vesselCode": "LEGACY-2087", "name": "Iron Maiden", "type": "bulk_carrier", "flag": "PA", "status": "laid_up"},
    ])
}

/// Checks that a crew lookup sent `GET /ships/IMO-9321483` and then `GET /crew`.
fn assert_crew_lookup_requests(upstreams: &Upstreams) {
    let requests = upstreams.registry.requests();
    let sent: Vec<(&str, &str)> = requests
        .iter()
        .map(|request| (request.method.as_str(), request.path.as_str()))
        .collect();
    assert_eq!(sent, [("GET", "/ships/IMO-9321483"), ("GET", "/crew")]);
}

/// Checks the skill catalog of a step's skill adapter: the `fleet-ops` and `voyage-ops`
/// groups with the tools they take from the MCP adapter, `voyage_tools` in `voyage-ops`.
async fn assert_skill_catalog(
    adapter: &'static SkillAdapter,
    context: Arc<CapabilityContext>,
    voyage_tools: &[&str],
) {
    let server = support::serve(naftiko_runtime::skill::router(adapter, context)).await;

    let response = support::get(&format!("{server}/skills")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    let catalog = response.json();
    assert_eq!(catalog["count"], 2, "{catalog}");
    let names: Vec<&str> = catalog["skills"]
        .as_array()
        .expect("`skills` is an array")
        .iter()
        .map(|skill| skill["name"].as_str().expect("a skill has a name"))
        .collect();
    assert_eq!(names, ["fleet-ops", "voyage-ops"]);
    assert_eq!(
        catalog["skills"][0]["tools"],
        json!([
            "list-ships",
            "get-ship",
            "list-legacy-vessels",
            "get-ship-with-crew"
        ])
    );
    assert_eq!(catalog["skills"][1]["tools"], json!(voyage_tools));

    let detail = support::get(&format!("{server}/skills/fleet-ops")).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    let crew_tool = &detail.json()["tools"][3];
    assert_eq!(crew_tool["name"], "get-ship-with-crew");
    assert_eq!(crew_tool["type"], "derived");
    assert_eq!(
        crew_tool["invocationRef"]["targetNamespace"],
        "shipyard-tools"
    );
    assert_eq!(crew_tool["invocationRef"]["action"], "get-ship-with-crew");
}

#[tokio::test]
async fn step_07_mcp_resolves_crew_names() {
    let upstreams = Upstreams::start().await;
    let router = step_07_orchestrated_lookup::exposes::shipyard_tools::router(
        upstreams.context(&step_07_orchestrated_lookup::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let result =
        support::mcp::call(&client, "get-ship-with-crew", json!({"imo": "IMO-9321483"})).await;

    assert_eq!(support::mcp::json_of(&result), northern_star_with_crew());
    assert_crew_lookup_requests(&upstreams);
}

#[tokio::test]
async fn step_07_rest_resolves_crew_names() {
    let upstreams = Upstreams::start().await;
    let router = step_07_orchestrated_lookup::exposes::shipyard_api::router(
        upstreams.context(&step_07_orchestrated_lookup::CAPABILITY),
    );
    let server = support::serve(router).await;

    let response = support::get(&format!("{server}/ships/IMO-9321483/crew")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), northern_star_with_crew());
    assert_crew_lookup_requests(&upstreams);
}

#[tokio::test]
async fn step_07_rest_get_ship_is_shaped() {
    let upstreams = Upstreams::start().await;
    let router = step_07_orchestrated_lookup::exposes::shipyard_api::router(
        upstreams.context(&step_07_orchestrated_lookup::CAPABILITY),
    );
    let server = support::serve(router).await;

    let response = support::get(&format!("{server}/ships/IMO-9321483")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), northern_star());
}

#[tokio::test]
async fn step_07_mcp_without_token_is_401() {
    let upstreams = Upstreams::start().await;
    let router = step_07_orchestrated_lookup::exposes::shipyard_tools::router(
        upstreams.context(&step_07_orchestrated_lookup::CAPABILITY),
    );

    let response = common::initialize_without_token(router).await;

    assert_eq!(response.status, 401, "{}", response.body);
}

#[tokio::test]
async fn step_07_skills_list_groups() {
    let upstreams = Upstreams::start().await;
    assert_skill_catalog(
        &step_07_orchestrated_lookup::exposes::shipyard_skills::ADAPTER,
        upstreams.context(&step_07_orchestrated_lookup::CAPABILITY),
        &["create-voyage"],
    )
    .await;
}

#[tokio::test]
async fn step_08_skills_list_groups() {
    let upstreams = Upstreams::start().await;
    assert_skill_catalog(
        &step_08_skill_groups::exposes::shipyard_skills::ADAPTER,
        upstreams.context(&step_08_skill_groups::CAPABILITY),
        &["create-voyage"],
    )
    .await;
}

#[tokio::test]
async fn step_08_mcp_lists_every_tool() {
    let upstreams = Upstreams::start().await;
    let router = step_08_skill_groups::exposes::shipyard_tools::router(
        upstreams.context(&step_08_skill_groups::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let mut names = support::mcp::tool_names(&client).await;
    names.sort();

    assert_eq!(
        names,
        [
            "create-voyage",
            "get-ship",
            "get-ship-with-crew",
            "list-legacy-vessels",
            "list-ships"
        ]
    );
    let result =
        support::mcp::call(&client, "get-ship-with-crew", json!({"imo": "IMO-9321483"})).await;
    assert_eq!(support::mcp::json_of(&result), northern_star_with_crew());
}

#[tokio::test]
async fn step_09_mcp_ref_runs_aggregate() {
    let upstreams = Upstreams::start().await;
    let router = step_09_aggregates::exposes::shipyard_tools::router(
        upstreams.context(&step_09_aggregates::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let result =
        support::mcp::call(&client, "get-ship-with-crew", json!({"imo": "IMO-9321483"})).await;

    assert_eq!(support::mcp::json_of(&result), northern_star_with_crew());
    assert_crew_lookup_requests(&upstreams);
}

#[tokio::test]
async fn step_09_skills_list_groups() {
    let upstreams = Upstreams::start().await;
    assert_skill_catalog(
        &step_09_aggregates::exposes::shipyard_skills::ADAPTER,
        upstreams.context(&step_09_aggregates::CAPABILITY),
        &["create-voyage"],
    )
    .await;
}

#[tokio::test]
async fn step_10_mcp_ref_runs_aggregate() {
    let upstreams = Upstreams::start().await;
    let router = step_10_rest_adapter::exposes::shipyard_tools::router(
        upstreams.context(&step_10_rest_adapter::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let result =
        support::mcp::call(&client, "get-ship-with-crew", json!({"imo": "IMO-9321483"})).await;

    assert_eq!(support::mcp::json_of(&result), northern_star_with_crew());
    assert_crew_lookup_requests(&upstreams);
}

#[tokio::test]
async fn step_10_rest_ref_runs_aggregate() {
    let upstreams = Upstreams::start().await;
    let router = step_10_rest_adapter::exposes::shipyard_api::router(
        upstreams.context(&step_10_rest_adapter::CAPABILITY),
    );
    let server = support::serve(router).await;

    let response = support::get(&format!("{server}/ships/IMO-9321483/crew")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), northern_star_with_crew());
    assert_crew_lookup_requests(&upstreams);
}

#[tokio::test]
async fn step_10_rest_lists_ships() {
    let upstreams = Upstreams::start().await;
    let router = step_10_rest_adapter::exposes::shipyard_api::router(
        upstreams.context(&step_10_rest_adapter::CAPABILITY),
    );
    let server = support::serve(router).await;

    let response = support::get(&format!("{server}/ships?status=active")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    let ships = response.json();
    assert_eq!(ships.as_array().map(Vec::len), Some(2), "{ships}");
    assert_eq!(ships[0]["imo"], "IMO-9321483");
    assert_eq!(ships[1]["name"], "Pacific Dawn");
    let request = upstreams.registry.only_request();
    assert_eq!(request.path, "/ships");
    assert_eq!(request.query.as_deref(), Some("status=active"));
    let bearer = format!("Bearer {}", bind("REGISTRY_TOKEN"));
    assert_eq!(request.header("authorization"), Some(bearer.as_str()));
}

#[tokio::test]
async fn step_10_rest_get_ship_is_shaped() {
    let upstreams = Upstreams::start().await;
    let router = step_10_rest_adapter::exposes::shipyard_api::router(
        upstreams.context(&step_10_rest_adapter::CAPABILITY),
    );
    let server = support::serve(router).await;

    let response = support::get(&format!("{server}/ships/IMO-9321483")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), northern_star());
    assert_eq!(upstreams.registry.only_request().path, "/ships/IMO-9321483");
}

#[tokio::test]
async fn step_10_rest_legacy_vessels_from_xml() {
    let upstreams = Upstreams::start().await;
    let router = step_10_rest_adapter::exposes::shipyard_api::router(
        upstreams.context(&step_10_rest_adapter::CAPABILITY),
    );
    let server = support::serve(router).await;

    let response = support::get(&format!("{server}/legacy/vessels")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), legacy_vessels());
    let request = upstreams.legacy.only_request();
    assert_eq!(request.path, "/vessels");
    assert_eq!(request.header("x-dock-key"), Some(bind("DOCKYARD_API_KEY")));
}

#[tokio::test]
async fn step_10_rest_creates_voyage() {
    let upstreams = Upstreams::start().await;
    let router = step_10_rest_adapter::exposes::shipyard_api::router(
        upstreams.context(&step_10_rest_adapter::CAPABILITY),
    );
    let server = support::serve(router).await;
    let voyage = json!({
        "shipImo": "IMO-9456781",
        "departurePort": "Singapore",
        "arrivalPort": "Rotterdam",
        "departureDate": "2026-06-01T06:00:00Z",
        "arrivalDate": "2026-06-28T18:00:00Z",
        "crewIds": ["CREW-002", "CREW-004"],
        "cargoIds": ["CARGO-2024-0452", "CARGO-2024-0453"],
    });

    let request = support::loopback_http()
        .request(Method::POST, format!("{server}/voyages"))
        .header("content-type", "application/json")
        .body(voyage.to_string());
    let response = support::send(request).await;

    assert!(
        (200..300).contains(&response.status),
        "{}: {}",
        response.status,
        response.body
    );
    let created = response.json();
    assert_eq!(created["voyageId"], "VOY-2026-042");
    assert_eq!(created["shipImo"], "IMO-9456781");
    assert_eq!(
        created["route"],
        json!({"from": "Singapore", "to": "Rotterdam"})
    );
    assert_eq!(
        created["dates"],
        json!({"departure": "2026-06-01T06:00:00Z", "arrival": "2026-06-28T18:00:00Z"})
    );
    assert_eq!(created["status"], "planned");
    let sent = upstreams.registry.only_request();
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/voyages");
    assert_eq!(sent.json_body(), voyage);
}

#[tokio::test]
async fn step_10_skills_list_groups() {
    let upstreams = Upstreams::start().await;
    assert_skill_catalog(
        &step_10_rest_adapter::exposes::shipyard_skills::ADAPTER,
        upstreams.context(&step_10_rest_adapter::CAPABILITY),
        &["create-voyage"],
    )
    .await;
}

/// Returns the crew and cargo of voyage `VOY-2026-042`, resolved from the registry's
/// lists, as both manifests return them.
fn manifest_crew_and_cargo() -> (Value, Value) {
    let crew = json!([
        {"fullName": "Erik Lindström", "role": "captain"},
        {"fullName": "Aiko Tanaka", "role": "cook"},
    ]);
    let cargo = json!([{
        "type": "container",
        "description": "Electronics components",
        "weight": 12.5,
        "hazardous": false,
    }]);
    (crew, cargo)
}

/// Returns the manifest of voyage `VOY-2026-042` as the MCP tool returns it: the
/// registry's example voyage, with the mapping targets `route.from`, `ship.name` and so
/// on nested as the tool's outputs declare.
///
/// The ship is found through the `imo-number` output parameter that step 11's consumed
/// `list-ships` operation declares for the registry's `imo_number`, while its other
/// fields stay in each listed ship.
fn voyage_manifest() -> Value {
    let (crew, cargo) = manifest_crew_and_cargo();
    json!({
        "voyageId": "VOY-2026-042",
        "status": "planned",
        "route": {"from": "Oslo", "to": "Singapore"},
        "ship": {"name": "Northern Star", "type": "cargo", "flag": "NO"},
        "crew": crew,
        "cargo": cargo,
    })
}

/// Returns the manifest of voyage `VOY-2026-042` as the REST route returns it: the same
/// values as [`voyage_manifest`], under the flat names that the route's mappings and
/// outputs declare.
fn flat_voyage_manifest() -> Value {
    let (crew, cargo) = manifest_crew_and_cargo();
    json!({
        "voyageId": "VOY-2026-042",
        "status": "planned",
        "departurePort": "Oslo",
        "arrivalPort": "Singapore",
        "shipName": "Northern Star",
        "shipType": "cargo",
        "shipFlag": "NO",
        "crew": crew,
        "cargo": cargo,
    })
}

/// Checks that a manifest sent the voyage, ships, crew and cargo requests, in that order.
fn assert_manifest_requests(upstreams: &Upstreams) {
    let requests = upstreams.registry.requests();
    let paths: Vec<&str> = requests
        .iter()
        .map(|request| request.path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["/voyages/VOY-2026-042", "/ships", "/crew", "/cargo"]
    );
}

#[tokio::test]
async fn step_11_mcp_voyage_manifest() {
    let upstreams = Upstreams::start().await;
    let router = step_11_fleet_manifest::exposes::shipyard_tools::router(
        upstreams.context(&step_11_fleet_manifest::CAPABILITY),
    );
    let client = common::connect_mcp(router, mcp_token()).await;

    let result = support::mcp::call(
        &client,
        "get-voyage-manifest",
        json!({"voyageId": "VOY-2026-042"}),
    )
    .await;

    assert_eq!(support::mcp::json_of(&result), voyage_manifest());
    assert_manifest_requests(&upstreams);
}

#[tokio::test]
async fn step_11_rest_voyage_manifest() {
    let upstreams = Upstreams::start().await;
    let router = step_11_fleet_manifest::exposes::shipyard_api::router(
        upstreams.context(&step_11_fleet_manifest::CAPABILITY),
    );
    let server = support::serve(router).await;

    let response = support::get(&format!("{server}/voyages/VOY-2026-042/manifest")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), flat_voyage_manifest());
    assert_manifest_requests(&upstreams);
}

#[tokio::test]
async fn step_11_mcp_without_token_is_401() {
    let upstreams = Upstreams::start().await;
    let router = step_11_fleet_manifest::exposes::shipyard_tools::router(
        upstreams.context(&step_11_fleet_manifest::CAPABILITY),
    );

    let response = common::initialize_without_token(router).await;

    assert_eq!(response.status, 401, "{}", response.body);
}

#[tokio::test]
async fn step_11_skills_list_groups() {
    let upstreams = Upstreams::start().await;
    assert_skill_catalog(
        &step_11_fleet_manifest::exposes::shipyard_skills::ADAPTER,
        upstreams.context(&step_11_fleet_manifest::CAPABILITY),
        &["create-voyage", "get-voyage-manifest"],
    )
    .await;
}
