//! Metrics of the control adapter: request, error and latency series move with REST and MCP
//! traffic, upstream calls are counted per consumed operation, and `/metrics` is valid
//! Prometheus text.
//!
//! Metrics are process-wide, so every test that sends traffic lives in one test function.

mod common;
mod control_fixture;

use common::{CONSUMES_NAMESPACE, MCP_NAMESPACE, REST_NAMESPACE};
use control_fixture::{OPEN_CAPABILITIES, Sample, client, parse_exposition, start, url_of, value};
use naftiko_runtime::serve::AdapterKind;
use naftiko_test_support::{FakeUpstream, Reply};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::json;

const LIST_ROUTE: &str = "/v1/v2/orgs/{name}/access-tokens";

async fn scrape(control: &str) -> Vec<Sample> {
    let response = client()
        .get(format!("{control}/metrics"))
        .send()
        .await
        .expect("control adapter responds");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    let text = response.text().await.expect("metrics body");
    parse_exposition(&text).unwrap_or_else(|error| panic!("{error}\n{text}"))
}

fn rest_labels(status: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("adapter_type", "rest"),
        ("namespace", REST_NAMESPACE),
        ("operation", "get"),
        ("method", "GET"),
        ("route", LIST_ROUTE),
        ("status", status),
    ]
}

fn tool_labels(status: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("adapter_type", "mcp"),
        ("namespace", MCP_NAMESPACE),
        ("operation", "list-access-tokens"),
        ("status", status),
    ]
}

fn upstream_labels(status: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("namespace", CONSUMES_NAMESPACE),
        ("resource", "v2-orgs-name-access-tokens"),
        ("operation", "get"),
        ("status", status),
    ]
}

/// Returns the labels without `status`, as histogram series have them.
fn without_status(labels: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    labels
        .iter()
        .copied()
        .filter(|(name, _)| *name != "status")
        .collect()
}

async fn call_list_tool(mcp_url: &str) -> Option<bool> {
    let config = StreamableHttpClientTransportConfig::with_uri(mcp_url.to_owned());
    let mcp = ClientConfig::default()
        .serve(StreamableHttpClientTransport::with_client(client(), config))
        .await
        .expect("MCP client connects");
    let serde_json::Value::Object(arguments) = json!({"name": "acme"}) else {
        unreachable!("the arguments are an object literal");
    };
    let result = mcp
        .call_tool(CallToolRequestParams::new("list-access-tokens").with_arguments(arguments))
        .await
        .expect("tools/call");
    let _ = mcp.cancel().await;
    result.is_error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_rest_and_mcp_traffic() {
    let upstream = FakeUpstream::start_ok().await;
    let server = start(OPEN_CAPABILITIES, &upstream.base_uri).await;
    let control = url_of(&server, AdapterKind::Control);
    let rest = url_of(&server, AdapterKind::Rest);
    let mcp_url = url_of(&server, AdapterKind::Mcp);

    // Registered series show before any traffic, with empty histograms.
    let before = scrape(&control).await;
    let rest_duration = without_status(&rest_labels(""));
    assert_eq!(
        value(
            &before,
            "naftiko_request_duration_seconds_count",
            &rest_duration
        ),
        0.0
    );
    assert_eq!(
        value(&before, "naftiko_request_total", &rest_labels("2xx")),
        0.0
    );
    assert_eq!(value(&before, "naftiko_build_info", &[]), 1.0);

    // REST: one 200 and one upstream 500 passed through.
    let list_url = format!("{rest}/v1/v2/orgs/acme/access-tokens");
    let ok = client().get(&list_url).send().await.expect("REST responds");
    assert_eq!(ok.status().as_u16(), 200);
    upstream.reply_with(Reply::json(500, r#"{"message":"broken"}"#));
    let failed = client().get(&list_url).send().await.expect("REST responds");
    assert_eq!(failed.status().as_u16(), 500);

    // MCP: one success, one upstream 404, which is a tool error.
    upstream.reply_with(Reply::json(200, r#"{"results":[]}"#));
    assert_ne!(call_list_tool(&mcp_url).await, Some(true));
    upstream.reply_with(Reply::json(404, r#"{"message":"no such org"}"#));
    assert_eq!(call_list_tool(&mcp_url).await, Some(true));

    let after = scrape(&control).await;
    assert_eq!(
        value(&after, "naftiko_request_total", &rest_labels("2xx")),
        1.0
    );
    assert_eq!(
        value(&after, "naftiko_request_total", &rest_labels("5xx")),
        1.0
    );
    assert_eq!(
        value(&after, "naftiko_request_errors_total", &rest_labels("5xx")),
        1.0
    );
    assert_eq!(
        value(&after, "naftiko_request_errors_total", &rest_labels("2xx")),
        0.0
    );
    assert_eq!(
        value(&after, "naftiko_request_total", &tool_labels("ok")),
        1.0
    );
    assert_eq!(
        value(&after, "naftiko_request_total", &tool_labels("error")),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "naftiko_request_errors_total",
            &tool_labels("error")
        ),
        1.0
    );

    // Histograms: count, +Inf bucket and a positive sum per series.
    let tool_duration = without_status(&tool_labels(""));
    for labels in [&rest_duration, &tool_duration] {
        let count = value(&after, "naftiko_request_duration_seconds_count", labels);
        assert_eq!(count, 2.0, "{labels:?}");
        let mut infinite = labels.to_vec();
        infinite.push(("le", "+Inf"));
        let inf_bucket = value(&after, "naftiko_request_duration_seconds_bucket", &infinite);
        assert_eq!(inf_bucket, 2.0, "{labels:?}");
        let sum = value(&after, "naftiko_request_duration_seconds_sum", labels);
        assert!(sum > 0.0, "{labels:?}");
    }

    // Upstream calls of the list operation: two 2xx, one 4xx, one 5xx.
    let client_total = "naftiko_http_client_total";
    assert_eq!(value(&after, client_total, &upstream_labels("2xx")), 2.0);
    assert_eq!(value(&after, client_total, &upstream_labels("4xx")), 1.0);
    assert_eq!(value(&after, client_total, &upstream_labels("5xx")), 1.0);
    let upstream_duration = without_status(&upstream_labels(""));
    assert_eq!(
        value(
            &after,
            "naftiko_http_client_duration_seconds_count",
            &upstream_duration
        ),
        4.0
    );
    assert_eq!(upstream.requests().len(), 4);

    // Buckets are cumulative: each is at most the next.
    let buckets: Vec<f64> = after
        .iter()
        .filter(|sample| sample.name == "naftiko_request_duration_seconds_bucket")
        .filter(|sample| {
            rest_duration
                .iter()
                .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
        })
        .map(|sample| sample.value)
        .collect();
    assert_eq!(buckets.len(), 12);
    assert!(
        buckets.windows(2).all(|pair| pair[0] <= pair[1]),
        "{buckets:?}"
    );
}

#[tokio::test]
async fn unreachable_upstream_counts_as_error() {
    // Its own operation, so the counts of the other test are not touched.
    let upstream = naftiko_test_support::dead_base_uri().await;
    let server = start(OPEN_CAPABILITIES, &upstream).await;
    let control = url_of(&server, AdapterKind::Control);
    let rest = url_of(&server, AdapterKind::Rest);

    let response = client()
        .delete(format!("{rest}/v1/v2/orgs/acme/access-tokens/token-1"))
        .send()
        .await
        .expect("REST responds");
    assert_eq!(response.status().as_u16(), 502);

    let samples = scrape(&control).await;
    let labels = [
        ("resource", "v2-orgs-org_name-access-tokens-access_token_id"),
        ("operation", "delete"),
        ("status", "error"),
    ];
    assert_eq!(value(&samples, "naftiko_http_client_total", &labels), 1.0);
}
mod prometheus_checker {
    use crate::control_fixture::{parse_exposition, value};

    #[test]
    fn checker_accepts_valid_exposition() {
        let text = "# HELP a_total A \\\\ counter.\n# TYPE a_total counter\n\
                    a_total{x=\"q\\\"\\\\\\n\",y=\"\"} 3\n\
                    # TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.5\nh_count 1 1700000000\n";
        let samples = parse_exposition(text).expect("valid exposition");
        assert_eq!(samples.len(), 4);
        assert_eq!(samples[0].labels["x"], "q\"\\\n");
        assert_eq!(value(&samples, "h_sum", &[]), 0.5);
    }

    #[test]
    fn checker_rejects_malformed_lines() {
        let cases = [
            "a 1\n",
            "# TYPE a counter\na{x=\"1} 1\n",
            "# TYPE a counter\na{x=\"\\q\"} 1\n",
            "# TYPE a counter\na{1x=\"1\"} 1\n",
            "# TYPE a counter\na one\n",
            "# TYPE a counter\n# TYPE a counter\n",
            "# TYPE a bogus\n",
            "# TYPE h histogram\nh_bucket 1\n",
            "# TYPE a counter\na  1\n",
            "# TYPE a counter\na 1",
        ];
        for case in cases {
            assert!(parse_exposition(case).is_err(), "accepted {case:?}");
        }
    }
}
