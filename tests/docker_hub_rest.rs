//! The generated Docker Hub REST adapter and typed client, served over loopback in front
//! of a fake Docker Hub.

mod common;

use naftiko_rs::docker_hub_org_access_tokens::consumes::docker_hub_org_access_tokens::Client;
use naftiko_rs::docker_hub_org_access_tokens::exposes::docker_hub_org_access_tokens_rest::router;
use naftiko_runtime::upstream::CallError;
use naftiko_test_support::{self as support, FakeUpstream, Reply};
use reqwest::Method;
use serde_json::{Value, json};

use common::TOKEN;
use common::hub::SEEDED_TOKEN_ID;

/// Returns the `Authorization` header the fake Docker Hub must receive.
fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

/// Starts a fake Docker Hub and the generated REST adapter in front of it.
async fn start() -> (FakeUpstream, String) {
    let hub = common::start_hub().await;
    let adapter = support::serve(router(common::context(&hub.base_uri))).await;
    (hub, adapter)
}

#[tokio::test]
async fn create_posts_json_body() {
    let (hub, adapter) = start().await;
    let body = json!({"label": "ci", "resources": [{"type": "TYPE_REPO", "path": "my org/*"}]});

    let response = common::send(
        Method::POST,
        &format!("{adapter}/v1/v2/orgs/my%20org/access-tokens"),
        Some(&body.to_string()),
    )
    .await;

    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    let created = response.json();
    assert_eq!(created["label"], "ci");
    assert_eq!(created["resources"], body["resources"]);
    let request = hub.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v2/orgs/my%20org/access-tokens");
    assert_eq!(request.query, None);
    assert_eq!(request.authorization(), Some(bearer().as_str()));
    assert_eq!(
        request.headers["content-type"].to_str().ok(),
        Some("application/json")
    );
    assert_eq!(request.json_body(), body);
}

#[tokio::test]
async fn list_sends_only_given_query() {
    let (hub, adapter) = start().await;
    let list = format!("{adapter}/v1/v2/orgs/my%20org/access-tokens");

    for query in ["", "?page=2&page_size=25", "?page_size=10", "?page=3"] {
        let response = common::send(Method::GET, &format!("{list}{query}"), None).await;
        assert_eq!(response.status, 200, "{query}: {}", response.body);
        assert_eq!(response.json()["count"], 1, "{query}");
    }

    let requests = hub.requests();
    assert_eq!(requests.len(), 4);
    for request in &requests {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/v2/orgs/my%20org/access-tokens");
        assert_eq!(request.authorization(), Some(bearer().as_str()));
        assert!(request.body.is_empty(), "a GET sends no body");
    }
    assert_eq!(requests[0].query, None);
    assert_eq!(requests[1].query.as_deref(), Some("page=2&page_size=25"));
    assert_eq!(requests[2].query.as_deref(), Some("page_size=10"));
    assert_eq!(requests[3].query.as_deref(), Some("page=3"));
}

#[tokio::test]
async fn get_one_calls_token_path() {
    let (hub, adapter) = start().await;

    let response = common::send(
        Method::GET,
        &format!("{adapter}/v1/v2/orgs/my%20org/access-tokens/{SEEDED_TOKEN_ID}"),
        None,
    )
    .await;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["id"], SEEDED_TOKEN_ID);
    let request = hub.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        format!("/v2/orgs/my%20org/access-tokens/{SEEDED_TOKEN_ID}"),
        "the get-one route must not call the list"
    );
    assert_eq!(request.query, None);
    assert_eq!(request.authorization(), Some(bearer().as_str()));
}

#[tokio::test]
async fn patch_sends_json_body() {
    let (hub, adapter) = start().await;
    let body = json!({"is_active": false, "label": "renamed"});

    let response = common::send(
        Method::PATCH,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}"),
        Some(&body.to_string()),
    )
    .await;

    assert_eq!(response.status, 200, "{}", response.body);
    let updated = response.json();
    assert_eq!(updated["is_active"], false);
    assert_eq!(updated["label"], "renamed");
    let request = hub.only_request();
    assert_eq!(request.method, "PATCH");
    assert_eq!(
        request.path,
        format!("/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}")
    );
    assert_eq!(request.authorization(), Some(bearer().as_str()));
    assert_eq!(request.json_body(), body);
}

#[tokio::test]
async fn delete_returns_empty_204() {
    let (hub, adapter) = start().await;
    let token_url = format!("{adapter}/v1/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}");

    let response = common::send(Method::DELETE, &token_url, None).await;

    assert_eq!(response.status, 204);
    assert_eq!(response.body, "");
    let request = hub.only_request();
    assert_eq!(request.method, "DELETE");
    assert_eq!(
        request.path,
        format!("/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}")
    );
    assert_eq!(request.authorization(), Some(bearer().as_str()));
    assert!(request.body.is_empty(), "a DELETE sends no body");

    // The fake removed the token, so a second delete reaches its 404.
    let again = common::send(Method::DELETE, &token_url, None).await;
    assert_eq!(again.status, 404, "{}", again.body);
}

#[tokio::test]
async fn upstream_404_passes_through() {
    let (hub, adapter) = start().await;

    let response = common::send(
        Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens/no-such-token"),
        None,
    )
    .await;

    assert_eq!(response.status, 404);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        response.json(),
        json!({"message": "access token no-such-token not found", "errinfo": {}})
    );
    assert_eq!(
        hub.only_request().path,
        "/v2/orgs/acme/access-tokens/no-such-token"
    );
}

#[tokio::test]
async fn upstream_error_keeps_content_type() {
    let (hub, adapter) = start().await;
    hub.reply_with(Reply::new(503, "text/plain", "maintenance"));

    let response = common::send(
        Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens"),
        None,
    )
    .await;

    assert_eq!(response.status, 503);
    assert_eq!(response.content_type.as_deref(), Some("text/plain"));
    assert_eq!(response.body, "maintenance");
}

#[tokio::test]
async fn dead_upstream_is_502() {
    let base_uri = support::dead_base_uri().await;
    let adapter = support::serve(router(common::context(&base_uri))).await;

    let response = common::send(
        Method::GET,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}"),
        None,
    )
    .await;

    assert_eq!(response.status, 502, "{}", response.body);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    assert!(response.error_code().is_some(), "{}", response.body);
    let message = response.error_message();
    assert!(
        message.contains("v2-orgs-org_name-access-tokens-access_token_id.get"),
        "the message names the upstream operation: {message}"
    );
    assert!(!response.body.contains(TOKEN), "{}", response.body);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let (hub, adapter) = start().await;
    let cases = [
        (
            Method::POST,
            format!("{adapter}/v1/v2/orgs/acme/access-tokens"),
        ),
        (
            Method::PATCH,
            format!("{adapter}/v1/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}"),
        ),
    ];

    for (method, url) in cases {
        let response = common::send(method.clone(), &url, Some(r#"{"label": "ci""#)).await;
        assert_eq!(response.status, 400, "{method}: {}", response.body);
        assert_eq!(response.content_type.as_deref(), Some("application/json"));
        assert!(
            response.error_code().is_some(),
            "{method}: {}",
            response.body
        );
        assert!(
            response.error_message().contains("body"),
            "{method}: {}",
            response.body
        );
    }
    assert!(hub.requests().is_empty(), "no upstream request");
}

#[tokio::test]
async fn missing_body_is_400() {
    let (hub, adapter) = start().await;

    let response = common::send(
        Method::POST,
        &format!("{adapter}/v1/v2/orgs/acme/access-tokens"),
        None,
    )
    .await;

    assert_eq!(response.status, 400, "{}", response.body);
    assert!(
        response.error_message().contains("body"),
        "{}",
        response.body
    );
    assert!(hub.requests().is_empty(), "no upstream request");
}

#[tokio::test]
async fn org_delimiters_stay_in_segment() {
    let (hub, adapter) = start().await;
    // The org as sent in the adapter's path, and the one segment upstream must receive.
    let cases = [
        ("a%2Fb", "a%2Fb"),
        ("..%2F..%2Fadmin", "..%2F..%2Fadmin"),
        ("a%3Fpage%3D9", "a%3Fpage%3D9"),
        ("a%23frag", "a%23frag"),
        ("100%25", "100%25"),
        ("my%20org", "my%20org"),
    ];

    for (sent, expected) in cases {
        let before = hub.requests().len();
        let response = common::send(
            Method::GET,
            &format!("{adapter}/v1/v2/orgs/{sent}/access-tokens/{SEEDED_TOKEN_ID}"),
            None,
        )
        .await;
        assert_eq!(response.status, 200, "{sent}: {}", response.body);

        let requests = hub.requests();
        assert_eq!(requests.len(), before + 1, "{sent}: one upstream request");
        let request = &requests[before];
        assert_eq!(
            request.segments(),
            ["v2", "orgs", expected, "access-tokens", SEEDED_TOKEN_ID],
            "{sent}"
        );
        assert_eq!(request.query, None, "{sent}");
    }
}

#[tokio::test]
async fn dot_segment_org_is_rejected() {
    let (hub, adapter) = start().await;

    for org in ["%2E%2E", "%2e", ".%2E"] {
        let path = format!("/v1/v2/orgs/{org}/access-tokens/{SEEDED_TOKEN_ID}");
        let status = support::raw::raw_request(&adapter, "GET", &path)
            .await
            .status;
        assert_eq!(status, 400, "{org}");
    }
    assert!(hub.requests().is_empty(), "no upstream request");
}

#[tokio::test]
async fn secret_absent_from_errors() {
    let (hub, adapter) = start().await;
    hub.reply_with(Reply::json(500, r#"{"message":"internal"}"#));
    let dead = support::serve(router(common::context(&support::dead_base_uri().await))).await;
    let tokens = "/v1/v2/orgs/acme/access-tokens";
    let token = format!("/v1/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}");

    let responses = [
        common::send(Method::GET, &format!("{adapter}{tokens}"), None).await,
        common::send(Method::POST, &format!("{adapter}{tokens}"), Some("[")).await,
        common::send(Method::GET, &format!("{adapter}{tokens}?page=two"), None).await,
        common::send(Method::PUT, &format!("{adapter}{token}"), None).await,
        common::send(Method::GET, &format!("{adapter}/v2/orgs/acme"), None).await,
        common::send(Method::GET, &format!("{dead}{token}"), None).await,
        common::send(Method::DELETE, &format!("{dead}{token}"), None).await,
    ];

    for response in &responses {
        assert!(response.status >= 400, "{response:?}");
        assert!(!response.body.contains(TOKEN), "{response:?}");
    }
}

#[tokio::test]
async fn client_lists_with_page() {
    let hub = common::start_hub().await;
    let client = Client::new(common::context(&hub.base_uri));

    let response = client
        .v2_orgs_name_access_tokens_get("my org", Some(2.0), None)
        .await
        .expect("the list call succeeds");

    assert_eq!(response.status, 200);
    let body: Value = serde_json::from_slice(&response.body).expect("JSON body");
    assert_eq!(body["count"], 1);
    let request = hub.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/v2/orgs/my%20org/access-tokens");
    assert_eq!(request.query.as_deref(), Some("page=2"));
    assert_eq!(request.authorization(), Some(bearer().as_str()));
}

#[tokio::test]
async fn client_creates_then_gets() {
    let hub = common::start_hub().await;
    let client = Client::new(common::context(&hub.base_uri));

    let created = client
        .v2_orgs_name_access_tokens_post("acme", &json!({"label": "ci"}))
        .await
        .expect("the create call succeeds");
    assert_eq!(created.status, 201);
    let created: Value = serde_json::from_slice(&created.body).expect("JSON body");
    let id = created["id"].as_str().expect("the new token has an id");

    let fetched = client
        .v2_orgs_org_name_access_tokens_access_token_id_get("acme", id)
        .await
        .expect("the get call succeeds");
    assert_eq!(fetched.status, 200);
    let fetched: Value = serde_json::from_slice(&fetched.body).expect("JSON body");
    assert_eq!(fetched["label"], "ci");

    let requests = hub.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v2/orgs/acme/access-tokens");
    assert_eq!(requests[0].json_body(), json!({"label": "ci"}));
    assert_eq!(requests[1].method, "GET");
    assert_eq!(
        requests[1].path,
        format!("/v2/orgs/acme/access-tokens/{id}")
    );
    for request in &requests {
        assert_eq!(request.authorization(), Some(bearer().as_str()));
    }
}

#[tokio::test]
async fn client_reports_dead_upstream() {
    let client = Client::new(common::context(&support::dead_base_uri().await));

    let error = client
        .v2_orgs_org_name_access_tokens_access_token_id_delete("acme", SEEDED_TOKEN_ID)
        .await
        .expect_err("nothing listens upstream");

    assert!(matches!(error, CallError::Unreachable { .. }), "{error:?}");
    assert_eq!(error.status(), 502);
    assert!(!error.to_string().contains(TOKEN), "{error}");
    assert!(!format!("{error:?}").contains(TOKEN), "{error:?}");
}

#[tokio::test]
async fn client_rejects_empty_org() {
    let hub = common::start_hub().await;
    let client = Client::new(common::context(&hub.base_uri));

    let error = client
        .v2_orgs_org_name_access_tokens_access_token_id_get("", SEEDED_TOKEN_ID)
        .await
        .expect_err("an empty org is rejected");

    assert!(matches!(error, CallError::Input(_)), "{error:?}");
    assert!(error.to_string().contains("org_name"), "{error}");
    assert!(hub.requests().is_empty(), "no upstream request");
}

#[tokio::test]
async fn unknown_route_and_method() {
    let (hub, adapter) = start().await;

    let unknown = common::send(Method::GET, &format!("{adapter}/v2/orgs/acme"), None).await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert!(unknown.error_code().is_some(), "{}", unknown.body);

    let response = loopback_put(&format!(
        "{adapter}/v1/v2/orgs/acme/access-tokens/{SEEDED_TOKEN_ID}"
    ))
    .await;
    assert_eq!(response.status().as_u16(), 405);
    let allow = response
        .headers()
        .get("allow")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    for method in ["GET", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "Allow: {allow}");
    }
    assert!(hub.requests().is_empty(), "no upstream request");
}

async fn loopback_put(url: &str) -> reqwest::Response {
    support::loopback_http()
        .put(url)
        .send()
        .await
        .expect("the adapter responds")
}
