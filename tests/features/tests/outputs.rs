//! Output mappings (`specs/outputs.yaml`): a scalar, an object with properties, an array
//! with items holding a nested object, and several named outputs mixing constants,
//! templates, `$..id`, `[*]` and `[-1]`.

mod common;

use naftiko_feature_tests::outputs::CAPABILITY;
use naftiko_feature_tests::outputs::exposes::{orders_mcp, orders_rest};
use serde_json::{Value, json};

use naftiko_test_support as support;
use support::{FakeUpstream, Reply};

fn order() -> Value {
    json!({
        "order": {
            "id": "o-1",
            "status": "shipped",
            "customer": {
                "id": "c-9",
                "fullName": "Ada \"A\" Lovelace",
                "address": {"city": "Oslo", "zip": "0150"},
            },
            "lines": [
                {"id": "l-1", "sku": "A1", "qty": 2,
                 "product": {"title": "Anchor", "tags": ["steel", "heavy"]}},
                {"id": "l-2", "sku": "B2", "qty": 1,
                 "product": {"title": "Buoy", "tags": []}},
            ],
        },
        "links": {"self": "/orders/o-1"},
    })
}

fn context(base_uri: &str) -> std::sync::Arc<naftiko_runtime::invoke::CapabilityContext> {
    common::context(&CAPABILITY, &[], &[("orders", base_uri.to_owned())])
}

async fn start_rest() -> (FakeUpstream, String) {
    let upstream = FakeUpstream::start(|_| Reply::json(200, order())).await;
    let adapter = support::serve(orders_rest::router(context(&upstream.base_uri))).await;
    (upstream, adapter)
}

/// Gets `/orders/{id}/{view}`, checks that it read the order, and returns its JSON body.
async fn view(id: &str, view: &str) -> Value {
    let (upstream, adapter) = start_rest().await;

    let response = support::get(&format!("{adapter}/orders/{id}/{view}")).await;

    assert_eq!(response.status, 200, "{view}: {}", response.body);
    let request = upstream.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, format!("/orders/{id}"));
    response.json()
}

#[tokio::test]
async fn scalar_mapping_returns_value() {
    assert_eq!(view("o-1", "status").await, json!("shipped"));
}

#[tokio::test]
async fn object_properties_map_relative() {
    assert_eq!(
        view("o-1", "customer").await,
        json!({"name": "Ada \"A\" Lovelace", "city": "Oslo"})
    );
}

#[tokio::test]
async fn array_items_hold_nested_object() {
    assert_eq!(
        view("o-1", "lines").await,
        json!([
            {"sku": "A1", "quantity": 2, "product": {"title": "Anchor", "tags": ["steel", "heavy"]}},
            {"sku": "B2", "quantity": 1, "product": {"title": "Buoy", "tags": []}},
        ])
    );
}

#[tokio::test]
async fn named_outputs_form_object() {
    let mut summary = view("o-1", "summary").await;

    // RFC 9535 leaves the order of an object's members open, so `$..id` is compared as a
    // set.
    let mut ids: Vec<String> = summary["allIds"]
        .as_array()
        .expect("allIds is an array")
        .iter()
        .map(|id| id.as_str().expect("each id is a string").to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["c-9", "l-1", "l-2", "o-1"]);
    summary
        .as_object_mut()
        .expect("the summary is an object")
        .remove("allIds");
    assert_eq!(
        summary,
        json!({
            "orderId": "o-1",
            "status": "shipped",
            "currency": "EUR",
            "skus": ["A1", "B2"],
            "lastSku": "B2",
        })
    );
}

#[tokio::test]
async fn template_value_is_not_reparsed() {
    // The route value lands in a JSON string as it is, quotes and all.
    let summary = view("o%22%7D%2C%22x%22%3A%221", "summary").await;

    assert_eq!(summary["orderId"], "o\"},\"x\":\"1");
    assert_eq!(summary.get("x"), None);
}

#[tokio::test]
async fn missing_paths_give_null_or_empty() {
    let upstream = FakeUpstream::start(|_| Reply::json(200, json!({"order": {"lines": []}}))).await;
    let adapter = support::serve(orders_rest::router(context(&upstream.base_uri))).await;

    let response = support::get(&format!("{adapter}/orders/o-2/summary")).await;

    assert_eq!(response.status, 200, "{}", response.body);
    let summary = response.json();
    assert_eq!(summary["orderId"], "o-2");
    assert_eq!(summary["currency"], "EUR");
    assert_eq!(summary["skus"], json!([]));
    assert_eq!(summary["status"], Value::Null);
    assert_eq!(summary["lastSku"], Value::Null);
}

#[tokio::test]
async fn mcp_summary_is_structured() {
    let upstream = FakeUpstream::start(|_| Reply::json(200, order())).await;
    let client = support::mcp::serve_mcp(orders_mcp::router(context(&upstream.base_uri))).await;

    let result = support::mcp::call(&client, "order-summary", json!({"id": "o-1"})).await;

    let expected = json!({
        "orderId": "o-1",
        "status": "shipped",
        "lastSku": "B2",
        "customer": {"name": "Ada \"A\" Lovelace"},
    });
    assert_eq!(support::mcp::json_of(&result), expected);
    assert_eq!(result.structured_content, Some(expected));
    assert_eq!(upstream.only_request().path, "/orders/o-1");
}
