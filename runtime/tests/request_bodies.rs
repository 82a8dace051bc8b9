//! Request bodies rendered from body templates: JSON and XML text, form fields and
//! multipart fields, against a server on loopback.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::HeaderMap;
use naftiko_runtime::descriptor::{
    Argument, BindSource, BindVariable, BodyField, BodyPart, Call, Capability, ConsumedApi, Escape,
    HttpMethod, ParamLocation, PathPart, RequestBody, TemplatePart, UpstreamOperation,
    UpstreamParam,
};
use naftiko_runtime::invoke::{self, CapabilityContext};
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_runtime::upstream;
use naftiko_test_support::FakeUpstream;
use serde_json::{Value, json};

static API: ConsumedApi = ConsumedApi {
    namespace: "store",
    base_uri: "http://127.0.0.1:9",
    base_uri_from: None,
    auth: None,
};

/// `name`, `tags` and `missing` are only used by the body template; `note` is a body
/// field that the template replaces.
const PARAMS: &[UpstreamParam] = &[
    UpstreamParam {
        name: "name",
        location: ParamLocation::TemplateOnly,
        value: None,
    },
    UpstreamParam {
        name: "tags",
        location: ParamLocation::TemplateOnly,
        value: None,
    },
    UpstreamParam {
        name: "note",
        location: ParamLocation::BodyField,
        value: None,
    },
    UpstreamParam {
        name: "missing",
        location: ParamLocation::TemplateOnly,
        value: None,
    },
];

const fn value(source: TemplatePart, escape: Escape) -> BodyPart {
    BodyPart::Value { source, escape }
}

const fn operation(name: &'static str, body: RequestBody) -> UpstreamOperation {
    UpstreamOperation {
        api: &API,
        resource: "items",
        name,
        description: None,
        method: HttpMethod::Post,
        path: &[PathPart::Literal("/items")],
        params: PARAMS,
        body: Some(body),
        output_format: naftiko_runtime::descriptor::RawFormat::Json,
        output_scope: None,
    }
}

static JSON_TEXT: UpstreamOperation = operation(
    "json",
    RequestBody::Text {
        content_type: "application/json",
        parts: &[
            BodyPart::Literal("{\"name\":\""),
            value(TemplatePart::Param(0), Escape::JsonString),
            BodyPart::Literal("\",\"tags\":"),
            value(TemplatePart::Param(1), Escape::JsonValue),
            BodyPart::Literal(",\"missing\":"),
            value(TemplatePart::Param(3), Escape::JsonValue),
            BodyPart::Literal(",\"key\":"),
            value(TemplatePart::Bind(0), Escape::JsonValue),
            BodyPart::Literal("}"),
        ],
    },
);

static XML_TEXT: UpstreamOperation = operation(
    "xml",
    RequestBody::Text {
        content_type: "application/xml",
        parts: &[
            BodyPart::Literal("<item><name>"),
            value(TemplatePart::Param(0), Escape::Xml),
            BodyPart::Literal("</name><missing>"),
            value(TemplatePart::Param(3), Escape::Xml),
            BodyPart::Literal("</missing></item>"),
        ],
    },
);

static FORM: UpstreamOperation = operation(
    "form",
    RequestBody::Form {
        fields: &[
            BodyField {
                name: "name",
                value: &[value(TemplatePart::Param(0), Escape::None)],
            },
            BodyField {
                name: "greeting text",
                value: &[
                    BodyPart::Literal("hi "),
                    value(TemplatePart::Param(0), Escape::None),
                ],
            },
            BodyField {
                name: "missing",
                value: &[value(TemplatePart::Param(3), Escape::None)],
            },
        ],
    },
);

static MULTIPART: UpstreamOperation = operation(
    "multipart",
    RequestBody::Multipart {
        fields: &[
            BodyField {
                name: "name",
                value: &[value(TemplatePart::Param(0), Escape::None)],
            },
            BodyField {
                name: "tags",
                value: &[value(TemplatePart::Param(1), Escape::None)],
            },
            BodyField {
                name: "missing",
                value: &[value(TemplatePart::Param(3), Escape::None)],
            },
        ],
    },
);

/// Every parameter bound to the input at the same index.
const ARGUMENTS: &[Argument] = &[
    Argument::Input(0),
    Argument::Input(1),
    Argument::Input(2),
    Argument::Input(3),
];

static JSON_CALL: Call = Call {
    operation: &JSON_TEXT,
    arguments: ARGUMENTS,
};
static XML_CALL: Call = Call {
    operation: &XML_TEXT,
    arguments: ARGUMENTS,
};
static FORM_CALL: Call = Call {
    operation: &FORM,
    arguments: ARGUMENTS,
};
static MULTIPART_CALL: Call = Call {
    operation: &MULTIPART,
    arguments: ARGUMENTS,
};

/// `PATCH /items` with a JSON body from parameters and a `Content-Type` parameter.
static MERGE_PATCH: UpstreamOperation = UpstreamOperation {
    api: &API,
    resource: "items",
    name: "patch",
    description: None,
    method: HttpMethod::Patch,
    path: &[PathPart::Literal("/items")],
    params: &[
        UpstreamParam {
            name: "body",
            location: ParamLocation::Body,
            value: None,
        },
        UpstreamParam {
            name: "Content-Type",
            location: ParamLocation::Header,
            value: Some(&[TemplatePart::Literal("application/merge-patch+json")]),
        },
    ],
    body: None,
    output_format: naftiko_runtime::descriptor::RawFormat::Json,
    output_scope: None,
};

static MERGE_PATCH_CALL: Call = Call {
    operation: &MERGE_PATCH,
    arguments: &[Argument::Input(0), Argument::Unbound],
};

static CAPABILITY: Capability = Capability {
    name: "store",
    spec_file: "specs/store.yaml",
    description: None,
    binds: &[BindVariable {
        namespace: "env",
        key: "STORE_KEY",
        source: BindSource::Env("STORE_KEY"),
        used_by: &["capability.consumes[0].resources[0].operations[0].body"],
    }],
    consumes: &[&API],
    rest: &[],
    mcp: &[],
    control: &[],
    skill: &[],
};

const KEY: &str = "key \"quoted\"";

fn context(base_uri: &str) -> CapabilityContext {
    let http = upstream::http_client(Duration::from_secs(5), Duration::from_secs(2))
        .expect("HTTP client builds");
    let base_uris = BTreeMap::from([("store".to_owned(), base_uri.to_owned())]);
    let binds = BindValues::from_values(vec![Secret::new(KEY)]);
    CapabilityContext::new(&CAPABILITY, binds, http, &base_uris)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// A name that needs escaping in JSON, XML, forms and HTTP alike.
const NAME: &str = "Tom & \"Jerry\" <b>'s\n";

fn inputs() -> Vec<Option<Value>> {
    vec![
        Some(json!(NAME)),
        Some(json!(["a", 1])),
        Some(json!("ignored")),
        None,
    ]
}

async fn send(call: &'static Call) -> naftiko_test_support::RecordedRequest {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);
    invoke::invoke(&context, call, &inputs())
        .await
        .expect("call succeeds");
    upstream.only_request()
}

#[tokio::test]
async fn json_template_escapes_values() {
    let request = send(&JSON_CALL).await;

    assert_eq!(
        header(&request.headers, "content-type"),
        Some("application/json")
    );
    let body: Value = serde_json::from_slice(&request.body).expect("body is JSON");
    assert_eq!(
        body,
        json!({"name": NAME, "tags": ["a", 1], "missing": null, "key": KEY})
    );
}

#[tokio::test]
async fn xml_template_escapes_values() {
    let request = send(&XML_CALL).await;

    assert_eq!(
        header(&request.headers, "content-type"),
        Some("application/xml")
    );
    assert_eq!(
        std::str::from_utf8(&request.body).expect("UTF-8 body"),
        "<item><name>Tom &amp; &quot;Jerry&quot; &lt;b&gt;&apos;s\n</name>\
         <missing></missing></item>"
    );
}

#[tokio::test]
async fn form_fields_are_encoded() {
    let request = send(&FORM_CALL).await;

    assert_eq!(
        header(&request.headers, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        std::str::from_utf8(&request.body).expect("UTF-8 body"),
        "name=Tom+%26+%22Jerry%22+%3Cb%3E%27s%0A\
         &greeting+text=hi+Tom+%26+%22Jerry%22+%3Cb%3E%27s%0A&missing="
    );
}

/// Splits a multipart body into (headers, value) pairs at `boundary`.
fn multipart_parts(body: &str, boundary: &str) -> Vec<(String, String)> {
    let delimiter = format!("--{boundary}");
    let closing = format!("{delimiter}--\r\n");
    assert!(body.ends_with(&closing), "{body:?}");
    body[..body.len() - closing.len()]
        .split(&format!("{delimiter}\r\n"))
        .filter(|part| !part.is_empty())
        .map(|part| {
            let part = part.strip_suffix("\r\n").expect("part ends with CRLF");
            let (headers, value) = part.split_once("\r\n\r\n").expect("blank line");
            (headers.to_owned(), value.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn multipart_fields_are_sent() {
    let request = send(&MULTIPART_CALL).await;

    let content_type = header(&request.headers, "content-type").expect("content type");
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart content type");
    let body = std::str::from_utf8(&request.body).expect("UTF-8 body");
    let parts = multipart_parts(body, boundary);
    let expected = [("name", NAME), ("tags", "[\"a\",1]"), ("missing", "")];
    assert_eq!(parts.len(), expected.len());
    for ((headers, value), (name, expected_value)) in parts.iter().zip(expected) {
        assert!(
            headers.contains(&format!("Content-Disposition: form-data; name=\"{name}\"")),
            "{headers}"
        );
        assert_eq!(value, expected_value, "field {name}");
    }
}

#[tokio::test]
async fn template_replaces_body_fields() {
    let request = send(&JSON_CALL).await;

    let body: Value = serde_json::from_slice(&request.body).expect("body is JSON");
    assert!(body.get("note").is_none(), "{body}");
}

#[tokio::test]
async fn content_type_param_wins() {
    let upstream = FakeUpstream::start_ok().await;
    let context = context(&upstream.base_uri);

    invoke::invoke(&context, &MERGE_PATCH_CALL, &[Some(json!({"a": null}))])
        .await
        .expect("call succeeds");

    let request = upstream.only_request();
    assert_eq!(
        header(&request.headers, "content-type"),
        Some("application/merge-patch+json")
    );
    assert_eq!(request.headers.get_all("content-type").iter().count(), 1);
    assert_eq!(&request.body[..], br#"{"a":null}"#);
}
