//! Request bodies of consumed operations (`specs/bodies.yaml`): a JSON string template,
//! structured JSON, XML, plain text, SPARQL, a URL-encoded form and a multipart form, each
//! rendered from a value that needs escaping.

mod common;

use naftiko_feature_tests::bodies::CAPABILITY;
use naftiko_feature_tests::bodies::exposes::{notes_mcp, notes_rest};
use reqwest::Method;
use serde_json::{Value, json};

use naftiko_test_support as support;
use support::mcp::McpClient;
use support::{FakeUpstream, RecordedRequest, Reply};

/// A value with every character that some body type must escape.
const TRICKY: &str = "Ada \"Q\" <ops> & co's 100%";
const AUTHOR: &str = "Bob <b@x> \"B\"";

fn context(base_uri: &str) -> std::sync::Arc<naftiko_runtime::invoke::CapabilityContext> {
    common::context(&CAPABILITY, &[], &[("notes", base_uri.to_owned())])
}

async fn start_mcp() -> (FakeUpstream, McpClient) {
    let upstream = FakeUpstream::start(|_| Reply::json(201, json!({"created": true}))).await;
    let client = support::mcp::serve_mcp(notes_mcp::router(context(&upstream.base_uri))).await;
    (upstream, client)
}

async fn start_rest() -> (FakeUpstream, String) {
    let upstream = FakeUpstream::start(|_| Reply::json(201, json!({"created": true}))).await;
    let adapter = support::serve(notes_rest::router(context(&upstream.base_uri))).await;
    (upstream, adapter)
}

/// Calls `tool` and returns the one request it sent upstream.
async fn sent_by(tool: &'static str, arguments: Value) -> RecordedRequest {
    let (upstream, client) = start_mcp().await;
    let result = support::mcp::call(&client, tool, arguments).await;
    assert_eq!(
        support::mcp::json_of(&result),
        json!({"created": true}),
        "{tool}"
    );
    let request = upstream.only_request();
    assert_eq!(request.method, "POST", "{tool}");
    request
}

/// Replaces the XML predefined entities and decimal character references.
fn xml_unescape(text: &str) -> String {
    let mut result = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        result.push_str(&rest[..start]);
        let end = rest[start..].find(';').expect("an entity ends with `;`") + start;
        let entity = &rest[start + 1..end];
        let character = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = entity
                    .strip_prefix('#')
                    .and_then(|digits| digits.parse::<u32>().ok())
                    .unwrap_or_else(|| panic!("unknown entity `&{entity};` in {text}"));
                char::from_u32(code).expect("a valid character reference")
            }
        };
        result.push(character);
        rest = &rest[end + 1..];
    }
    result.push_str(rest);
    result
}

/// Returns the text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in {text}"))
        + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no `{end}` after `{start}` in {text}"))
        + from;
    &text[from..to]
}

/// Decodes an `application/x-www-form-urlencoded` value.
fn form_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).expect("ASCII");
                decoded.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                index += 3;
            }
            b'+' => {
                decoded.push(b' ');
                index += 1;
            }
            byte => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).expect("UTF-8 form value")
}

fn assert_xml_note(request: &RecordedRequest) {
    assert_eq!(request.header("content-type"), Some("application/xml"));
    let body = request.text_body();
    assert!(body.starts_with("<note pinned=\"true\"><title>"), "{body}");
    assert!(body.ends_with("\"/></note>\n"), "{body}");
    let title = between(body, "<title>", "</title>");
    assert!(!title.contains('<'), "`<` is escaped in text: {title}");
    assert_eq!(xml_unescape(title), TRICKY);
    let author = between(body, "<author name=\"", "\"/>");
    assert!(!author.contains(['"', '<']), "attribute escaped: {author}");
    assert_eq!(xml_unescape(author), AUTHOR);
}

#[tokio::test]
async fn json_string_template_escapes_values() {
    let tags = json!(["a\"b", "<c>", 3]);

    let request = sent_by("create-ticket", json!({"id": TRICKY, "tags": tags})).await;

    assert_eq!(request.path, "/tickets");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.json_body(), json!({"id": TRICKY, "tags": tags}));
}

#[tokio::test]
async fn json_data_renders_nested_values() {
    let request = sent_by(
        "create-json-note",
        json!({"title": TRICKY, "author": AUTHOR}),
    )
    .await;

    assert_eq!(request.path, "/notes");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json_body(),
        json!({
            "title": TRICKY,
            "pinned": true,
            "meta": {"author": AUTHOR, "labels": ["inbox", TRICKY]},
        })
    );
}

#[tokio::test]
async fn xml_body_escapes_text_and_attributes() {
    let request = sent_by(
        "create-xml-note",
        json!({"title": TRICKY, "author": AUTHOR}),
    )
    .await;

    assert_eq!(request.path, "/notes");
    assert_xml_note(&request);
}

#[tokio::test]
async fn text_body_is_verbatim() {
    let request = sent_by(
        "create-text-note",
        json!({"title": TRICKY, "author": AUTHOR}),
    )
    .await;

    assert_eq!(
        request.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(request.text_body(), format!("Note by {AUTHOR}: {TRICKY}"));
}

#[tokio::test]
async fn form_body_encodes_fields() {
    let request = sent_by("create-form-note", json!({"title": TRICKY})).await;

    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let body = request.text_body();
    assert!(!body.contains([' ', '"', '<']), "{body}");
    let fields: Vec<(String, String)> = body
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("name=value");
            (form_decode(name), form_decode(value))
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("title".to_owned(), TRICKY.to_owned()),
            ("kind".to_owned(), "memo".to_owned()),
        ]
    );
}

#[tokio::test]
async fn multipart_body_has_one_part_per_field() {
    let request = sent_by("create-multipart-note", json!({"title": TRICKY})).await;

    let content_type = request.header("content-type").expect("a content type");
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not multipart: {content_type}"));
    let body = request.text_body();
    assert!(!TRICKY.contains(boundary));
    let parts: Vec<&str> = body
        .split(&format!("--{boundary}"))
        .map(str::trim)
        .filter(|part| !part.is_empty() && *part != "--")
        .collect();
    assert_eq!(parts.len(), 2, "{body}");
    assert!(
        parts[0].starts_with("Content-Disposition: form-data; name=\"title\""),
        "{}",
        parts[0]
    );
    assert!(
        parts[0].ends_with(&format!("\r\n\r\n{TRICKY}")),
        "{}",
        parts[0]
    );
    assert!(
        parts[1].starts_with("Content-Disposition: form-data; name=\"kind\""),
        "{}",
        parts[1]
    );
    assert!(parts[1].ends_with("\r\n\r\nmemo"), "{}", parts[1]);
}

#[tokio::test]
async fn sparql_body_escapes_string_literal() {
    let request = sent_by("search-notes", json!({"title": TRICKY})).await;

    assert_eq!(request.path, "/sparql");
    assert_eq!(
        request.header("content-type"),
        Some("application/sparql-query")
    );
    // The value sits in a SPARQL string literal, so its quotes must be escaped, or a value
    // could end the literal and change the query.
    assert_eq!(
        request.text_body(),
        "SELECT ?note WHERE { ?note <http://purl.org/dc/terms/title> \
         \"Ada \\\"Q\\\" <ops> & co's 100%\" }"
    );
}

#[tokio::test]
async fn rest_json_body_fields_fill_template() {
    let (upstream, adapter) = start_rest().await;

    let response = support::send_json(
        Method::POST,
        &format!("{adapter}/tickets"),
        &json!({"id": TRICKY, "tags": ["x y"]}),
    )
    .await;

    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(response.json(), json!({"created": true}));
    assert_eq!(
        upstream.only_request().json_body(),
        json!({"id": TRICKY, "tags": ["x y"]})
    );
}

#[tokio::test]
async fn rest_declared_body_inputs_fill_xml() {
    let (upstream, adapter) = start_rest().await;

    let response = support::send_json(
        Method::POST,
        &format!("{adapter}/notes/xml"),
        &json!({"title": TRICKY, "author": AUTHOR}),
    )
    .await;

    assert_eq!(response.status, 201, "{}", response.body);
    assert_xml_note(&upstream.only_request());
}

#[tokio::test]
async fn rest_inferred_template_inputs_are_read() {
    let (upstream, adapter) = start_rest().await;

    // `/notes/json` declares no inputs: `title` and `author` are passed through from the
    // body template's placeholders, so a caller sends them as JSON body fields.
    let response = support::send_json(
        Method::POST,
        &format!("{adapter}/notes/json"),
        &json!({"title": TRICKY, "author": AUTHOR}),
    )
    .await;

    assert_eq!(response.status, 201, "{}", response.body);
    let body = upstream.only_request().json_body();
    assert_eq!(body["title"], TRICKY, "{body}");
    assert_eq!(body["meta"]["author"], AUTHOR, "{body}");
}

#[tokio::test]
async fn rest_text_and_form_bodies() {
    let (upstream, adapter) = start_rest().await;
    let note = json!({"title": TRICKY, "author": AUTHOR});

    for route in ["text", "form", "multipart"] {
        let response =
            support::send_json(Method::POST, &format!("{adapter}/notes/{route}"), &note).await;
        assert_eq!(response.status, 201, "{route}: {}", response.body);
    }

    let requests = upstream.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[0].text_body(),
        format!("Note by {AUTHOR}: {TRICKY}")
    );
    let form = requests[1].text_body();
    assert_eq!(form_decode(between(form, "title=", "&")), TRICKY, "{form}");
    assert!(form.ends_with("&kind=memo"), "{form}");
    assert!(
        requests[2].text_body().contains(TRICKY),
        "{}",
        requests[2].text_body()
    );
}
