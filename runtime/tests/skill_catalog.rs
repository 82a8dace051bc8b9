//! The skill adapter's catalog, detail, contents, file and download endpoints, its `404`s
//! and path traversal attempts, over loopback HTTP.

mod skill_fixture;

use naftiko_runtime::skill;
use naftiko_test_support::raw::{RawResponse, raw_get};
use naftiko_test_support::{loopback_http, serve};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use serde_json::{Value, json};

use skill_fixture::{BLOB, GUIDE, SECRET, SKILL_ADAPTER, context, read_zip};

async fn start() -> String {
    serve(skill::router(&SKILL_ADAPTER, context(Vec::new()))).await
}

async fn get(url: &str) -> reqwest::Response {
    loopback_http()
        .get(url)
        .send()
        .await
        .expect("request reaches the adapter")
}

/// Checks a JSON `404` with code `not_found` and returns its message.
async fn assert_not_found(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    body["error"]["message"]
        .as_str()
        .expect("error message")
        .to_owned()
}

#[tokio::test]
async fn catalog_lists_skills() {
    let base = start().await;
    let response = get(&format!("{base}/skills")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(
        body,
        json!({
            "count": 4,
            "skills": [
                {
                    "name": "orders",
                    "description": "Tools for managing orders",
                    "tools": ["list-orders", "order-guide", "ship-order"],
                },
                {
                    "name": "authored",
                    "description": "A skill with its own manifest",
                    "tools": [],
                },
                {
                    "name": "onboarding-guide",
                    "description": "A purely descriptive skill with no tools",
                    "tools": [],
                },
                {
                    "name": "private",
                    "description": "Holds a file that traversal attempts aim at",
                    "tools": [],
                },
            ],
        })
    );
}

#[tokio::test]
async fn detail_describes_tools() {
    let base = start().await;
    let response = get(&format!("{base}/skills/orders")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(
        body,
        json!({
            "name": "orders",
            "description": "Tools for managing orders",
            "allowed-tools": "list-orders",
            "argument-hint": "Use for order operations",
            "tools": [
                {
                    "name": "list-orders",
                    "description": "List all orders in the system",
                    "type": "derived",
                    "invocationRef": {
                        "targetNamespace": "orders-rest",
                        "action": "list-orders",
                        "mode": "rest",
                    },
                },
                {
                    "name": "order-guide",
                    "description": "Guide for working with orders",
                    "type": "instruction",
                    "instruction": "order-guide.md",
                },
                {
                    "name": "ship-order",
                    "description": "Ship an order",
                    "type": "derived",
                    "invocationRef": {
                        "targetNamespace": "shipping",
                        "action": "ship",
                        "mode": "unknown",
                    },
                },
            ],
        })
    );
}

#[tokio::test]
async fn detail_omits_unset_fields() {
    let base = start().await;
    let body: Value = get(&format!("{base}/skills/onboarding-guide"))
        .await
        .json()
        .await
        .expect("JSON body");
    assert_eq!(
        body,
        json!({
            "name": "onboarding-guide",
            "description": "A purely descriptive skill with no tools",
            "tools": [],
        })
    );
}

#[tokio::test]
async fn contents_lists_files_sorted() {
    let base = start().await;
    let response = get(&format!("{base}/skills/orders/contents")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(
        body,
        json!({
            "name": "orders",
            "files": [
                {"path": "data/blob.bin", "size": BLOB.len(), "type": "application/octet-stream"},
                {"path": "examples/read me.txt", "size": 19, "type": "text/plain"},
                {"path": "order-guide.md", "size": GUIDE.len(), "type": "text/markdown"},
            ],
        })
    );
}

#[tokio::test]
async fn contents_of_skill_without_location() {
    let base = start().await;
    let body: Value = get(&format!("{base}/skills/onboarding-guide/contents"))
        .await
        .json()
        .await
        .expect("JSON body");
    assert_eq!(body, json!({"name": "onboarding-guide", "files": []}));
}

#[tokio::test]
async fn file_returns_text() {
    let base = start().await;
    let response = get(&format!("{base}/skills/orders/contents/order-guide.md")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/markdown; charset=utf-8"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.text().await.expect("body"), GUIDE);
}

#[tokio::test]
async fn file_returns_exact_bytes() {
    let base = start().await;
    let response = get(&format!("{base}/skills/orders/contents/data/blob.bin")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/octet-stream");
    assert_eq!(response.bytes().await.expect("body").as_ref(), BLOB);
}

#[tokio::test]
async fn file_with_encoded_space() {
    let base = start().await;
    let response = get(&format!(
        "{base}/skills/orders/contents/examples/read%20me.txt"
    ))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "spaces in the name\n");
}

#[tokio::test]
async fn head_returns_no_body() {
    let base = start().await;
    let response = loopback_http()
        .head(format!("{base}/skills/orders/contents/order-guide.md"))
        .send()
        .await
        .expect("request reaches the adapter");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.expect("body").len(), 0);
}

#[tokio::test]
async fn download_zips_files_and_manifest() {
    let base = start().await;
    let response = get(&format!("{base}/skills/orders/download")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/zip");
    assert_eq!(
        response.headers()[CONTENT_DISPOSITION],
        "attachment; filename=\"orders.zip\""
    );
    let archive = response.bytes().await.expect("body");
    let entries = read_zip(&archive);
    let names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "SKILL.md",
            "data/blob.bin",
            "examples/read me.txt",
            "order-guide.md"
        ]
    );
    assert_eq!(entries[1].contents, BLOB);
    assert_eq!(entries[3].contents, GUIDE.as_bytes());

    let manifest = String::from_utf8(entries[0].contents.clone()).expect("UTF-8 manifest");
    let front_matter = "---\n\
        name: \"orders\"\n\
        description: \"Tools for managing orders\"\n\
        allowed-tools: \"list-orders\"\n\
        argument-hint: \"Use for order operations\"\n\
        ---\n";
    assert!(manifest.starts_with(front_matter), "{manifest}");
    assert!(manifest.contains("## Tools"), "{manifest}");
    assert!(
        manifest.contains("- `list-orders`: List all orders in the system"),
        "{manifest}"
    );
    assert!(
        manifest.contains("[order-guide.md](order-guide.md)"),
        "{manifest}"
    );
}

#[tokio::test]
async fn download_keeps_authored_manifest() {
    let base = start().await;
    let archive = get(&format!("{base}/skills/authored/download"))
        .await
        .bytes()
        .await
        .expect("body");
    let entries = read_zip(&archive);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, "SKILL.md");
    assert_eq!(
        entries[0].contents,
        b"---\nname: authored\n---\nWritten by hand.\n"
    );
}

#[tokio::test]
async fn download_without_location() {
    let base = start().await;
    let archive = get(&format!("{base}/skills/onboarding-guide/download"))
        .await
        .bytes()
        .await
        .expect("body");
    let entries = read_zip(&archive);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, "SKILL.md");
}

#[tokio::test]
async fn unknown_skill_is_404() {
    let base = start().await;
    for path in [
        "/skills/missing",
        "/skills/missing/contents",
        "/skills/missing/contents/order-guide.md",
        "/skills/missing/download",
    ] {
        let message = assert_not_found(get(&format!("{base}{path}")).await).await;
        assert!(message.contains("`missing`"), "{path}: {message}");
    }
}

#[tokio::test]
async fn unknown_file_is_404() {
    let base = start().await;
    let message =
        assert_not_found(get(&format!("{base}/skills/orders/contents/nope.md")).await).await;
    assert_eq!(message, "file `nope.md` not found in skill `orders`");
}

#[tokio::test]
async fn unknown_route_is_404() {
    let base = start().await;
    for path in ["/", "/skills/", "/skills/orders/contents/", "/other"] {
        assert_not_found(get(&format!("{base}{path}")).await).await;
    }
}

#[tokio::test]
async fn other_method_is_405() {
    let base = start().await;
    let response = loopback_http()
        .post(format!("{base}/skills"))
        .send()
        .await
        .expect("request reaches the adapter");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = response.headers()["allow"].to_str().expect("ASCII Allow");
    assert!(allow.contains("GET"), "{allow}");
}

#[tokio::test]
async fn traversal_attempts_are_404() {
    let base = start().await;
    let targets = [
        "/skills/orders/contents/../../private/contents/secret.txt",
        "/skills/orders/contents/../secret.txt",
        "/skills/orders/contents/%2e%2e/%2e%2e/private/contents/secret.txt",
        "/skills/orders/contents/%2E%2E%2Fsecret.txt",
        "/skills/orders/contents/..%2f..%2fprivate%2fcontents%2fsecret.txt",
        "/skills/orders/contents/..\\secret.txt",
        "/skills/orders/contents//etc/passwd",
        "/skills/orders/contents/%2Fetc%2Fpasswd",
        "/skills/orders/contents/examples/../order-guide.md",
        "/skills/orders/contents/./order-guide.md",
        "/skills/orders/contents/%00order-guide.md",
        "/skills/orders/contents/%ff",
        "/skills/..%2fprivate/contents/secret.txt",
        "/skills/private/../orders/contents/secret.txt",
        "/skills/orders/download/../../private/download",
        "/etc/passwd",
    ];
    for target in targets {
        let RawResponse {
            status,
            text: response,
        } = raw_get(&base, target).await;
        assert_eq!(status, 404, "{target}:\n{response}");
        assert!(!response.contains(SECRET), "{target}:\n{response}");
        assert!(
            response.contains(r#""code":"not_found""#),
            "{target}:\n{response}"
        );
    }
}

#[tokio::test]
async fn absolute_form_target_is_404() {
    let base = start().await;
    let address = base.trim_start_matches("http://");
    let target =
        format!("http://{address}/skills/orders/contents/../../private/contents/secret.txt");
    let RawResponse {
        status,
        text: response,
    } = raw_get(&base, &target).await;
    assert_eq!(status, 404, "{response}");
    assert!(!response.contains(SECRET), "{response}");
}

#[tokio::test]
async fn own_file_is_served_raw() {
    // The control case for the traversal test: the raw client reaches a real file.
    let base = start().await;
    let RawResponse {
        status,
        text: response,
    } = raw_get(&base, "/skills/private/contents/secret.txt").await;
    assert_eq!(status, 200, "{response}");
    assert!(response.ends_with(SECRET), "{response}");
}
