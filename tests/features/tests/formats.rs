//! Raw response formats (`specs/formats.yaml`): XML, YAML, CSV, TSV, PSV, HTML and
//! Markdown exports converted to JSON and mapped into each route's declared output.

mod common;

use naftiko_feature_tests::formats::CAPABILITY;
use naftiko_feature_tests::formats::exposes::{catalog_mcp, catalog_rest};
use serde_json::{Value, json};

use naftiko_test_support as support;
use support::{FakeUpstream, Reply};

const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<catalog>
  <product sku="A1"><name>Anchor &amp; chain</name><price>12.50</price></product>
  <product sku="B2"><name><![CDATA[Buoy <red>]]></name><price>3</price></product>
</catalog>
"#;

const YAML: &str = "# catalog export
products:
  - sku: A1
    name: Anchor & chain
    price: 12.5
  - sku: B2
    name: \"Buoy, \\\"red\\\"\"
    price: 3
";

const CSV: &str = "sku,name\r\nA1,\"Anchor, heavy\"\r\nB2,\"Buoy \"\"red\"\"\"\r\n";

const TSV: &str = "sku\tname\nA1\tAnchor, heavy\nB2\tBuoy \"red\"\n";

const PSV: &str = "sku|name\nA1|Anchor, heavy\nB2|Buoy \"red\"\n";

const HTML: &str = r#"<!DOCTYPE html>
<html><body>
<table class="ads"><tr><th>Name</th></tr><tr><td>Sponsored</td></tr></table>
<table class="products wide">
  <thead><tr><th>Name</th><th>Price</th><th>Stock</th></tr></thead>
  <tbody>
    <tr><td>Anchor &amp; chain</td><td>12.50</td><td>4</td></tr>
    <tr><td><b>Buoy</b> red</td><td>3.00</td><td>0</td></tr>
  </tbody>
</table>
</body></html>
"#;

const MARKDOWN: &str = "# Features

Some text before the table.

| Feature | Status |
|---------|:------:|
| XML export | done |
| Pipe \\| escape | in progress |
";

/// Answers each export path with its document.
fn catalog(path: &str) -> Reply {
    let (content_type, body) = match path {
        "/export.xml" => ("application/xml", XML),
        "/export.yaml" => ("application/yaml", YAML),
        "/export.csv" => ("text/csv", CSV),
        "/export.tsv" => ("text/tab-separated-values", TSV),
        "/export.psv" => ("text/plain", PSV),
        "/export.html" => ("text/html; charset=utf-8", HTML),
        "/export.md" => ("text/markdown", MARKDOWN),
        _ => return Reply::json(404, json!({"message": "no such export"})),
    };
    Reply::new(200, content_type, body)
}

fn context(base_uri: &str) -> std::sync::Arc<naftiko_runtime::invoke::CapabilityContext> {
    common::context(&CAPABILITY, &[], &[("catalog", base_uri.to_owned())])
}

async fn start_rest() -> (FakeUpstream, String) {
    let upstream = FakeUpstream::start(|request| catalog(&request.path)).await;
    let adapter = support::serve(catalog_rest::router(context(&upstream.base_uri))).await;
    (upstream, adapter)
}

/// Gets `/products/{route}` and returns its JSON body after checking the call upstream.
async fn products(route: &str, export: &str) -> Value {
    let (upstream, adapter) = start_rest().await;

    let response = support::get(&format!("{adapter}/products/{route}")).await;

    assert_eq!(response.status, 200, "{route}: {}", response.body);
    assert_eq!(
        response.content_type.as_deref(),
        Some("application/json"),
        "{route}"
    );
    let request = upstream.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, export);
    response.json()
}

fn anchor_and_buoy() -> Value {
    json!([
        {"sku": "A1", "name": "Anchor, heavy"},
        {"sku": "B2", "name": "Buoy \"red\""},
    ])
}

#[tokio::test]
async fn xml_elements_and_attributes_map() {
    let body = products("xml", "/export.xml").await;

    assert_eq!(
        body,
        json!([
            {"sku": "A1", "name": "Anchor & chain", "price": "12.50"},
            {"sku": "B2", "name": "Buoy <red>", "price": "3"},
        ])
    );
}

#[tokio::test]
async fn yaml_sequence_maps_with_types() {
    let body = products("yaml", "/export.yaml").await;

    assert_eq!(
        body,
        json!([
            {"sku": "A1", "name": "Anchor & chain", "price": 12.5},
            {"sku": "B2", "name": "Buoy, \"red\"", "price": 3},
        ])
    );
}

#[tokio::test]
async fn csv_rows_map_with_quoting() {
    assert_eq!(products("csv", "/export.csv").await, anchor_and_buoy());
}

#[tokio::test]
async fn tsv_rows_map() {
    assert_eq!(products("tsv", "/export.tsv").await, anchor_and_buoy());
}

#[tokio::test]
async fn psv_rows_map() {
    assert_eq!(products("psv", "/export.psv").await, anchor_and_buoy());
}

#[tokio::test]
async fn html_reads_only_selected_table() {
    let body = products("html", "/export.html").await;

    assert_eq!(
        body,
        json!([
            {"name": "Anchor & chain", "price": "12.50"},
            {"name": "Buoy red", "price": "3.00"},
        ])
    );
}

#[tokio::test]
async fn markdown_table_maps() {
    let body = products("markdown", "/export.md").await;

    assert_eq!(
        body,
        json!([
            {"feature": "XML export", "status": "done"},
            {"feature": "Pipe | escape", "status": "in progress"},
        ])
    );
}

#[tokio::test]
async fn malformed_export_is_502() {
    let upstream = FakeUpstream::start(|request| match request.path.as_str() {
        "/export.xml" => Reply::new(200, "application/xml", "<catalog><product></catalog>"),
        "/export.yaml" => Reply::new(200, "application/yaml", "products: [unclosed"),
        _ => Reply::new(200, "text/csv", "sku,name\nA1\n"),
    })
    .await;
    let adapter = support::serve(catalog_rest::router(context(&upstream.base_uri))).await;

    for route in ["xml", "yaml"] {
        let response = support::get(&format!("{adapter}/products/{route}")).await;

        assert_eq!(response.status, 502, "{route}: {}", response.body);
        let message = response.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(route), "{route}: {message}");
    }
}

#[tokio::test]
async fn mcp_named_output_wraps_rows() {
    let upstream = FakeUpstream::start(|request| catalog(&request.path)).await;
    let client = support::mcp::serve_mcp(catalog_mcp::router(context(&upstream.base_uri))).await;

    let result = support::mcp::call(&client, "list-csv-products", json!({})).await;

    let expected = json!({"products": [{"sku": "A1"}, {"sku": "B2"}]});
    assert_eq!(support::mcp::json_of(&result), expected);
    assert_eq!(
        result.structured_content,
        Some(expected),
        "an object result is also structured content"
    );
    assert_eq!(upstream.only_request().path, "/export.csv");
}
