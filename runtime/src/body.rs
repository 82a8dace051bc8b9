//! Request bodies of upstream calls: JSON from `Body` and `BodyField` parameters, or a
//! declared body template rendered as text, form fields or multipart fields.
//!
//! A declared body template takes precedence: when an operation has one, its `Body` and
//! `BodyField` parameters are not sent on their own, and the template can still refer to
//! them by index.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::descriptor::{
    BodyField, BodyPart, Escape, ParamLocation, RequestBody, UpstreamOperation,
};
use crate::template::{PartValue, TemplateScope};

/// An encoded request body, kept as bytes so that it can be sent again (for a digest
/// authentication retry).
#[derive(Debug, Clone)]
pub(crate) struct EncodedBody {
    /// The `Content-Type` header.
    pub content_type: String,
    /// The body.
    pub bytes: bytes::Bytes,
}

/// Builds the request body of a call, if it has one.
///
/// `values` has one entry per parameter of `operation`, with `value` defaults applied.
pub(crate) fn build(
    operation: &UpstreamOperation,
    values: &[Option<Value>],
    scope: &TemplateScope<'_>,
) -> Result<Option<EncodedBody>, String> {
    let Some(template) = &operation.body else {
        return json_from_params(operation, values);
    };
    let body = match template {
        RequestBody::Text {
            content_type,
            parts,
        } => EncodedBody {
            content_type: (*content_type).to_owned(),
            bytes: render_parts(parts, scope)?.into(),
        },
        RequestBody::Form { fields } => EncodedBody {
            content_type: "application/x-www-form-urlencoded".to_owned(),
            bytes: form(fields, scope)?.into(),
        },
        RequestBody::Multipart { fields } => {
            let boundary = boundary()?;
            EncodedBody {
                content_type: format!("multipart/form-data; boundary={boundary}"),
                bytes: multipart(fields, scope, &boundary)?.into(),
            }
        }
    };
    Ok(Some(body))
}

/// Renders body parts, each value written with its [`Escape`].
fn render_parts(parts: &[BodyPart], scope: &TemplateScope<'_>) -> Result<String, String> {
    let mut text = String::new();
    for part in parts {
        match part {
            BodyPart::Literal(literal) => text.push_str(literal),
            BodyPart::Value { source, escape } => {
                write_escaped(&mut text, scope.resolve(source)?, *escape);
            }
        }
    }
    Ok(text)
}

/// Appends `value` to `out` as `escape` requires.
///
/// An absent value is empty text, or `null` for [`Escape::JsonValue`].
pub(crate) fn write_escaped(out: &mut String, value: PartValue<'_>, escape: Escape) {
    match escape {
        Escape::None => out.push_str(&value.text()),
        Escape::JsonString => {
            let quoted = Value::String(value.text().into_owned()).to_string();
            // The serialized string always starts and ends with `"`.
            out.push_str(&quoted[1..quoted.len() - 1]);
        }
        Escape::JsonValue => match value {
            PartValue::Json(json) => out.push_str(&json.to_string()),
            PartValue::Text(text) => out.push_str(&Value::from(text).to_string()),
            PartValue::Absent => out.push_str("null"),
        },
        Escape::Xml => {
            for c in value.text().chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    '\'' => out.push_str("&apos;"),
                    other => out.push(other),
                }
            }
        }
    }
}

/// Every byte that `application/x-www-form-urlencoded` percent-encodes (WHATWG URL
/// standard): all but ASCII alphanumerics and `*-._`. Spaces become `+` afterwards.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

fn form_encode(text: &str) -> String {
    utf8_percent_encode(text, FORM)
        .to_string()
        .replace("%20", "+")
}

fn form(fields: &[BodyField], scope: &TemplateScope<'_>) -> Result<String, String> {
    let mut body = String::new();
    for field in fields {
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(&form_encode(field.name));
        body.push('=');
        body.push_str(&form_encode(&render_parts(field.value, scope)?));
    }
    Ok(body)
}

/// Returns a boundary with 32 random hex digits. A field value that contains it is
/// rejected by [`multipart`].
fn boundary() -> Result<String, String> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|error| format!("failed to generate a multipart boundary: {error}"))?;
    let mut boundary = String::from("naftiko-");
    for byte in bytes {
        let _ = write!(boundary, "{byte:02x}");
    }
    Ok(boundary)
}

/// Builds a `multipart/form-data` body (RFC 7578) of text fields.
fn multipart(
    fields: &[BodyField],
    scope: &TemplateScope<'_>,
    boundary: &str,
) -> Result<String, String> {
    let mut body = String::new();
    for field in fields {
        let value = render_parts(field.value, scope)?;
        if value.contains(boundary) {
            return Err(format!(
                "the value of multipart field `{}` contains the boundary",
                field.name
            ));
        }
        // HTML's form encoding escapes `"`, CR and LF in field names this way.
        let name = field
            .name
            .replace('"', "%22")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        let _ = write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n{value}\r\n"
        );
    }
    let _ = write!(body, "--{boundary}--\r\n");
    Ok(body)
}

/// Returns the JSON request body: the `Body` parameter's value, with `BodyField`
/// parameters as top-level fields of an object.
fn json_from_params(
    operation: &UpstreamOperation,
    values: &[Option<Value>],
) -> Result<Option<EncodedBody>, String> {
    let mut whole = None;
    let mut fields = serde_json::Map::new();
    for (param, value) in operation.params.iter().zip(values) {
        let Some(value) = value.as_ref().filter(|value| !value.is_null()) else {
            continue;
        };
        match param.location {
            ParamLocation::Body => whole = Some(value.clone()),
            ParamLocation::BodyField => {
                fields.insert(param.name.to_owned(), value.clone());
            }
            _ => {}
        }
    }
    let body = match (whole, fields.is_empty()) {
        (None, true) => return Ok(None),
        (None, false) => Value::Object(fields),
        (Some(whole), true) => whole,
        (Some(Value::Object(mut object)), false) => {
            object.extend(fields);
            Value::Object(object)
        }
        (Some(_), false) => {
            return Err("body fields need an object body, but the body is not an object".into());
        }
    };
    let bytes = serde_json::to_vec(&body)
        .map_err(|error| format!("failed to serialize the request body: {error}"))?;
    Ok(Some(EncodedBody {
        content_type: "application/json".to_owned(),
        bytes: bytes.into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn escaped(value: PartValue<'_>, escape: Escape) -> String {
        let mut out = String::new();
        write_escaped(&mut out, value, escape);
        out
    }

    #[test]
    fn escape_none_keeps_text() {
        let value = json!("a \"b\" <c>");
        assert_eq!(
            escaped(PartValue::Json(&value), Escape::None),
            "a \"b\" <c>"
        );
        assert_eq!(escaped(PartValue::Json(&json!(2.0)), Escape::None), "2");
        assert_eq!(escaped(PartValue::Absent, Escape::None), "");
    }

    #[test]
    fn escape_json_string_adds_no_quotes() {
        let value = json!("say \"hi\"\\\n\u{1}");
        assert_eq!(
            escaped(PartValue::Json(&value), Escape::JsonString),
            "say \\\"hi\\\"\\\\\\n\\u0001"
        );
        assert_eq!(
            escaped(PartValue::Text("plain"), Escape::JsonString),
            "plain"
        );
        assert_eq!(escaped(PartValue::Absent, Escape::JsonString), "");
    }

    #[test]
    fn escape_json_string_of_object() {
        let value = json!({"a": "b"});
        assert_eq!(
            escaped(PartValue::Json(&value), Escape::JsonString),
            "{\\\"a\\\":\\\"b\\\"}"
        );
    }

    #[test]
    fn escape_json_value_writes_json() {
        let cases = [
            (json!("x\"y"), "\"x\\\"y\""),
            (json!(3), "3"),
            (json!(true), "true"),
            (json!([1, "a"]), "[1,\"a\"]"),
            (json!({"k": null}), "{\"k\":null}"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                escaped(PartValue::Json(&value), Escape::JsonValue),
                expected,
                "{value}"
            );
        }
        assert_eq!(escaped(PartValue::Text("t"), Escape::JsonValue), "\"t\"");
        assert_eq!(escaped(PartValue::Absent, Escape::JsonValue), "null");
    }

    #[test]
    fn escape_xml_characters() {
        let value = json!("<a href=\"x\">Tom & Jerry's</a>");
        assert_eq!(
            escaped(PartValue::Json(&value), Escape::Xml),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;"
        );
        assert_eq!(escaped(PartValue::Absent, Escape::Xml), "");
    }

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("a b&c=d+é*-._~"), "a+b%26c%3Dd%2B%C3%A9*-._%7E");
    }

    #[test]
    fn boundary_is_random() {
        let first = boundary().expect("random bytes");
        let second = boundary().expect("random bytes");
        assert_eq!(first.len(), "naftiko-".len() + 32);
        assert_ne!(first, second);
    }
}
