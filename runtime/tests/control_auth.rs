//! Caller authentication of the control adapter, and endpoints it does not enable.

mod common;
mod control_fixture;

use control_fixture::{AUTH_CAPABILITIES, CONTROL_TOKEN, client, parse_exposition, start, url_of};
use naftiko_runtime::serve::AdapterKind;
use naftiko_test_support::FakeUpstream;

#[tokio::test]
async fn metrics_require_the_bearer_token() {
    let upstream = FakeUpstream::start_ok().await;
    let server = start(AUTH_CAPABILITIES, &upstream.base_uri).await;
    let metrics_url = format!("{}/metrics", url_of(&server, AdapterKind::Control));

    let anonymous = client().get(&metrics_url).send().await.expect("responds");
    assert_eq!(anonymous.status().as_u16(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));

    let wrong = client()
        .get(&metrics_url)
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("responds");
    assert_eq!(wrong.status().as_u16(), 401);

    let accepted = client()
        .get(&metrics_url)
        .bearer_auth(CONTROL_TOKEN)
        .send()
        .await
        .expect("responds");
    assert_eq!(accepted.status().as_u16(), 200);
    let text = accepted.text().await.expect("metrics body");
    parse_exposition(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
    assert!(!text.contains(CONTROL_TOKEN));
}

#[tokio::test]
async fn disabled_endpoints_are_not_found() {
    let upstream = FakeUpstream::start_ok().await;
    let server = start(AUTH_CAPABILITIES, &upstream.base_uri).await;
    let control = url_of(&server, AdapterKind::Control);
    for path in ["/health/live", "/health/ready", "/status"] {
        let anonymous = client()
            .get(format!("{control}{path}"))
            .send()
            .await
            .expect("responds");
        // Authentication runs before routing, so an unknown path is hidden too.
        assert_eq!(anonymous.status().as_u16(), 401, "{path}");
        let response = client()
            .get(format!("{control}{path}"))
            .bearer_auth(CONTROL_TOKEN)
            .send()
            .await
            .expect("responds");
        assert_eq!(response.status().as_u16(), 404, "{path}");
    }
}
