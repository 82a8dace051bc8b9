//! Caller authentication of a skill adapter over loopback HTTP: every route, unknown paths
//! included, requires the credential.

mod skill_fixture;

use naftiko_runtime::descriptor::{ApiKeyPlacement, CallerAuth, SkillAdapter, TemplatePart};
use naftiko_runtime::secret::Secret;
use naftiko_runtime::skill;
use naftiko_test_support::{loopback_http, serve};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::Value;

use skill_fixture::{GUIDE, ORDERS, context};

/// The bearer token and API key, bind variable 0.
const TOKEN: &str = "skill-token-2718";

fn adapter(auth: CallerAuth) -> &'static SkillAdapter {
    Box::leak(Box::new(SkillAdapter {
        namespace: "orders-skills",
        address: None,
        port: 0,
        description: None,
        auth: Some(auth),
        skills: std::slice::from_ref(&ORDERS),
    }))
}

async fn start(auth: CallerAuth) -> String {
    let router = skill::router(adapter(auth), context(vec![Secret::new(TOKEN)]));
    serve(router).await
}

async fn get(url: &str, authorization: Option<&str>) -> reqwest::Response {
    let mut request = loopback_http().get(url);
    if let Some(value) = authorization {
        request = request.header(AUTHORIZATION, value);
    }
    request.send().await.expect("request reaches the adapter")
}

/// Checks a `401` with a bearer challenge and a JSON error that does not echo the token.
async fn assert_unauthorized(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[WWW_AUTHENTICATE]
        .to_str()
        .expect("ASCII challenge")
        .to_owned();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    assert!(!body.to_string().contains(TOKEN), "{body}");
}

const BEARER: CallerAuth = CallerAuth::Bearer {
    token: &[TemplatePart::Bind(0)],
};

#[tokio::test]
async fn bearer_required_on_every_route() {
    let base = start(BEARER).await;
    for path in [
        "/skills",
        "/skills/orders",
        "/skills/orders/contents",
        "/skills/orders/contents/order-guide.md",
        "/skills/orders/download",
        "/skills/missing",
        "/unknown",
    ] {
        assert_unauthorized(get(&format!("{base}{path}"), None).await).await;
        assert_unauthorized(get(&format!("{base}{path}"), Some("Bearer wrong")).await).await;
    }
}

#[tokio::test]
async fn bearer_accepted() {
    let base = start(BEARER).await;
    let authorization = format!("Bearer {TOKEN}");
    let response = get(
        &format!("{base}/skills/orders/contents/order-guide.md"),
        Some(&authorization),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), GUIDE);

    let response = get(
        &format!("{base}/skills/orders/download"),
        Some(&authorization),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    // An authenticated request to an unknown skill reaches the adapter's own 404.
    let response = get(&format!("{base}/skills/missing"), Some(&authorization)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_key_in_query() {
    let base = start(CallerAuth::ApiKey {
        name: "api_key",
        value: &[TemplatePart::Bind(0)],
        placement: ApiKeyPlacement::Query,
    })
    .await;
    let response = get(&format!("{base}/skills"), None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let response = get(&format!("{base}/skills?api_key={TOKEN}"), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["count"], 1);
}

#[tokio::test]
async fn missing_bind_rejects_everything() {
    // The token's bind variable does not exist, so no credential can be right.
    let base = start(CallerAuth::Bearer {
        token: &[TemplatePart::Bind(7)],
    })
    .await;
    let response = get(&format!("{base}/skills"), Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
