//! Converting upstream response bodies to JSON (`outputRawFormat`).
//!
//! Every format becomes one [`serde_json::Value`] that outputs then read with JSONPath:
//!
//! - JSON is parsed as it is.
//! - XML becomes the JSON of its root element, whose name is dropped. Attributes are `@name`
//!   members, a repeated child element becomes an array, and the text of an element
//!   with attributes or children is its `#text` member.
//! - YAML is read by a small reader for the block and flow subset that APIs send.
//! - CSV, TSV and PSV become an array of objects keyed by the header row.
//! - HTML and Markdown become `{"tables": [[row objects], ...]}`.
//!
//! Every converter returns a [`FormatError`] on bad input instead of panicking, and
//! nests at most [`MAX_DEPTH`] levels.

mod html;
mod markdown;
mod yaml;

use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

use crate::descriptor::RawFormat;

/// The maximum nesting depth of a converted document, as for serde_json's parser, so
/// that building and dropping a value cannot overflow the stack.
pub const MAX_DEPTH: usize = 128;

/// A response body that does not parse as its declared format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {} body{}: {reason}", format_name(*.format), line_suffix(*.line))]
pub struct FormatError {
    /// The declared format.
    pub format: RawFormat,
    /// The 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// What failed.
    pub reason: String,
}

impl FormatError {
    fn new(format: RawFormat, line: Option<usize>, reason: impl Into<String>) -> Self {
        Self {
            format,
            line,
            reason: reason.into(),
        }
    }
}

/// Returns the name of a format as specs spell it (`outputRawFormat`).
pub fn format_name(format: RawFormat) -> &'static str {
    match format {
        RawFormat::Json => "json",
        RawFormat::Xml => "xml",
        RawFormat::Yaml => "yaml",
        RawFormat::Csv => "csv",
        RawFormat::Tsv => "tsv",
        RawFormat::Psv => "psv",
        RawFormat::Html => "html",
        RawFormat::Markdown => "markdown",
    }
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|line| format!(" at line {line}"))
        .unwrap_or_default()
}

/// Converts a response body of `format` to JSON.
///
/// `scope` is the CSS selector of the HTML tables to read (`table`, `table.class`,
/// `table#id`, `.class` or `#id`). Every table is read when it is absent, and other
/// formats ignore it.
pub fn to_json(format: RawFormat, body: &[u8], scope: Option<&str>) -> Result<Value, FormatError> {
    match format {
        RawFormat::Json => serde_json::from_slice(body)
            .map_err(|error| FormatError::new(format, Some(error.line()), strip_position(&error))),
        RawFormat::Xml => xml_to_json(utf8_text(format, body)?),
        RawFormat::Yaml => yaml::to_json(utf8_text(format, body)?),
        RawFormat::Csv => delimited_to_json(format, utf8_text(format, body)?, b',', true),
        RawFormat::Tsv => delimited_to_json(format, utf8_text(format, body)?, b'\t', false),
        RawFormat::Psv => delimited_to_json(format, utf8_text(format, body)?, b'|', true),
        RawFormat::Html => html::to_json(utf8_text(format, body)?, scope),
        RawFormat::Markdown => Ok(markdown::to_json(utf8_text(format, body)?)),
    }
}

/// Returns serde_json's message without its ` at line L column C` suffix, because the
/// error carries the line itself.
fn strip_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(position) => format!("{} (column {})", &message[..position], error.column()),
        None => message,
    }
}

/// Returns the body as text without a leading byte order mark.
fn utf8_text(format: RawFormat, body: &[u8]) -> Result<&str, FormatError> {
    let text = std::str::from_utf8(body).map_err(|error| {
        let valid = &body[..error.valid_up_to()];
        let line = line_at(valid, valid.len());
        FormatError::new(format, Some(line), "the body is not valid UTF-8")
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Returns the 1-based line of byte `offset` in `text`.
fn line_at(text: &[u8], offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text[..end].iter().filter(|byte| **byte == b'\n').count()
}

/// Reads CSV, TSV or PSV with a header row into an array of objects of strings.
///
/// Quoting follows RFC 4180 when `quoting` is set. TSV is read without quoting, as
/// the IANA `text/tab-separated-values` type has none. Blank lines are skipped, every
/// record must have as many fields as the header, and of two columns with the same
/// header the first one wins.
fn delimited_to_json(
    format: RawFormat,
    text: &str,
    delimiter: u8,
    quoting: bool,
) -> Result<Value, FormatError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let csv_error = |error: csv::Error| {
        let line = error.position().map(|position| position.line() as usize);
        let reason = match error.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("a record has {len} fields, but the header has {expected_len}"),
            _ => error.to_string(),
        };
        FormatError::new(format, line, reason)
    };
    let headers = reader.headers().map_err(csv_error)?.clone();

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let mut row = Map::new();
        for (name, field) in headers.iter().zip(record.iter()) {
            if !row.contains_key(name) {
                row.insert(name.to_owned(), Value::String(field.to_owned()));
            }
        }
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

/// An XML element being read: its attributes, child elements and text so far.
struct XmlElement {
    name: String,
    members: Map<String, Value>,
    has_children: bool,
    text: String,
}

impl XmlElement {
    fn new(start: &BytesStart<'_>) -> Result<Self, String> {
        let name = start.name().as_ref().to_owned();
        let mut members = Map::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|error| format!("invalid attribute: {error}"))?;
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|error| format!("invalid attribute value: {error}"))?;
            let key = format!("@{}", attribute.key.as_ref());
            members.insert(key, Value::String(value.into_owned()));
        }
        let has_children = false;
        Ok(Self {
            name,
            members,
            has_children,
            text: String::new(),
        })
    }

    /// Adds a finished child element, turning a repeated name into an array.
    fn add_child(&mut self, name: String, value: Value) {
        self.has_children = true;
        match self.members.get_mut(&name) {
            None => {
                self.members.insert(name, value);
            }
            Some(Value::Array(items)) if !name.starts_with('@') => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        }
    }

    /// Returns the element's JSON value: a string for a text-only element, `null` for an
    /// empty one, otherwise an object.
    fn finish(mut self) -> Value {
        let text = self.text.trim();
        if self.members.is_empty() {
            return if text.is_empty() && !self.has_children {
                Value::Null
            } else {
                Value::String(text.to_owned())
            };
        }
        if !text.is_empty() {
            self.members
                .insert("#text".to_owned(), Value::String(text.to_owned()));
        }
        Value::Object(self.members)
    }
}

/// Converts XML to JSON without its root element's name, decoding the predefined entities, character
/// references and CDATA sections. Comments, processing instructions and the document
/// type declaration are skipped.
fn xml_to_json(text: &str) -> Result<Value, FormatError> {
    let format = RawFormat::Xml;
    let mut reader = quick_xml::Reader::from_str(text);
    let error_at = |offset: u64, reason: String| {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        FormatError::new(format, Some(line_at(text.as_bytes(), offset)), reason)
    };

    let mut stack: Vec<XmlElement> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|error| error_at(reader.error_position(), error.to_string()))?;
        let mut finished = None;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(error_at(position, "more than one root element".into()));
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(error_at(
                        position,
                        format!("elements nest deeper than {MAX_DEPTH} levels"),
                    ));
                }
                stack.push(XmlElement::new(&start).map_err(|reason| error_at(position, reason))?);
            }
            Event::Empty(start) => {
                let element =
                    XmlElement::new(&start).map_err(|reason| error_at(position, reason))?;
                finished = Some(element);
            }
            Event::End(_) => finished = stack.pop(),
            Event::Text(content) => match stack.last_mut() {
                Some(element) => element.text.push_str(&content.xml10_content()),
                None if content.xml10_content().trim().is_empty() => {}
                None => return Err(error_at(position, "text outside the root element".into())),
            },
            Event::CData(content) => match stack.last_mut() {
                Some(element) => element.text.push_str(&content.xml10_content()),
                None => return Err(error_at(position, "CDATA outside the root element".into())),
            },
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(character)) => character.to_string(),
                    Ok(None) => quick_xml::escape::resolve_xml_entity(&reference)
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            error_at(position, format!("unknown entity `&{};`", &*reference))
                        })?,
                    Err(error) => return Err(error_at(position, error.to_string())),
                };
                match stack.last_mut() {
                    Some(element) => element.text.push_str(&resolved),
                    None => {
                        return Err(error_at(position, "entity outside the root element".into()));
                    }
                }
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
        if let Some(element) = finished {
            let name = element.name.clone();
            let value = element.finish();
            match stack.last_mut() {
                Some(parent) => parent.add_child(name, value),
                None => root = Some((name, value)),
            }
        }
    }
    if let Some(open) = stack.last() {
        let reason = format!("element `{}` is not closed", open.name);
        return Err(error_at(text.len() as u64, reason));
    }
    // The root element's name is dropped, as common XML-to-JSON mappers do (and as
    // specs written for the reference engine expect): `<vessels><vessel/>…` is read
    // as `{"vessel": [...]}`.
    match root {
        Some((_, value)) => Ok(value),
        None => Err(FormatError::new(format, None, "no root element")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn convert(format: RawFormat, body: &str) -> Value {
        to_json(format, body.as_bytes(), None)
            .unwrap_or_else(|error| panic!("{body:?} should convert: {error}"))
    }

    fn convert_error(format: RawFormat, body: &str) -> FormatError {
        match to_json(format, body.as_bytes(), None) {
            Ok(value) => panic!("{body:?} should fail, got {value}"),
            Err(error) => error,
        }
    }

    #[test]
    fn json_parses() {
        assert_eq!(
            convert(RawFormat::Json, r#"{"a":[1,2]}"#),
            json!({"a": [1, 2]})
        );
    }

    #[test]
    fn json_error_names_line() {
        let error = convert_error(RawFormat::Json, "{\n\"a\": }");
        assert_eq!(error.line, Some(2));
        assert!(
            error
                .to_string()
                .starts_with("invalid json body at line 2: ")
        );
    }

    #[test]
    fn xml_root_name_dropped_children_array() {
        let body = "<root><user><id>1</id></user><user><id>2</id><name>Ann</name></user></root>";
        let expected = json!({"user": [{"id": "1"}, {"id": "2", "name": "Ann"}]});
        assert_eq!(convert(RawFormat::Xml, body), expected);
    }

    #[test]
    fn xml_single_child_is_object() {
        let body = "<?xml version=\"1.0\"?>\n<root>\n  <user><id>1</id></user>\n</root>";
        assert_eq!(convert(RawFormat::Xml, body), json!({"user": {"id": "1"}}));
    }

    #[test]
    fn xml_attributes_and_text() {
        let body = r#"<price currency="EUR" note="a &amp; b">12.5</price>"#;
        let expected = json!({"@currency": "EUR", "@note": "a & b", "#text": "12.5"});
        assert_eq!(convert(RawFormat::Xml, body), expected);
    }

    #[test]
    fn xml_entities_and_cdata() {
        let body = "<a><b>x &lt; y &#65;&#x42; &quot;q&quot;</b><c><![CDATA[<raw>]]></c><d/></a>";
        let expected = json!({"b": "x < y AB \"q\"", "c": "<raw>", "d": null});
        assert_eq!(convert(RawFormat::Xml, body), expected);
    }

    #[test]
    fn xml_comments_and_namespaces_kept_as_names() {
        let body = "<!-- c --><s:Envelope xmlns:s=\"urn:x\"><s:Body>ok</s:Body></s:Envelope>";
        let expected = json!({"@xmlns:s": "urn:x", "s:Body": "ok"});
        assert_eq!(convert(RawFormat::Xml, body), expected);
    }

    #[test]
    fn xml_malformed_is_error() {
        for body in [
            "<a><b></a>",
            "<a>",
            "",
            "<a/><b/>",
            "<a>&unknown;</a>",
            "text",
            "<a x=1/>",
        ] {
            let error = convert_error(RawFormat::Xml, body);
            assert_eq!(error.format, RawFormat::Xml, "{body}");
        }
    }

    #[test]
    fn xml_error_names_line() {
        let error = convert_error(RawFormat::Xml, "<a>\n<b>\n</c>\n</a>");
        assert_eq!(error.line, Some(3), "{error}");
    }

    #[test]
    fn xml_deep_nesting_is_error() {
        let body = "<a>".repeat(MAX_DEPTH + 1);
        let error = convert_error(RawFormat::Xml, &body);
        assert!(error.reason.contains("deeper"), "{error}");
    }

    #[test]
    fn csv_rows_become_objects() {
        let body =
            "id,name,note\r\n1,Ann,\"says \"\"hi\"\", then, leaves\"\r\n2,Bob,\"two\nlines\"\r\n";
        let expected = json!([
            {"id": "1", "name": "Ann", "note": "says \"hi\", then, leaves"},
            {"id": "2", "name": "Bob", "note": "two\nlines"},
        ]);
        assert_eq!(convert(RawFormat::Csv, body), expected);
    }

    #[test]
    fn csv_header_only_is_empty_array() {
        assert_eq!(convert(RawFormat::Csv, "id,name\n"), json!([]));
        assert_eq!(convert(RawFormat::Csv, ""), json!([]));
    }

    #[test]
    fn csv_uneven_record_is_error() {
        let error = convert_error(RawFormat::Csv, "a,b\n1,2\n3\n");
        assert_eq!(error.line, Some(3), "{error}");
        assert!(error.reason.contains("1 fields"), "{error}");
    }

    #[test]
    fn tsv_and_psv() {
        let tsv = "id\tname\n1\tsay \"hi\"\n";
        assert_eq!(
            convert(RawFormat::Tsv, tsv),
            json!([{"id": "1", "name": "say \"hi\""}])
        );
        let psv = "id|name\n1|\"a|b\"\n";
        assert_eq!(
            convert(RawFormat::Psv, psv),
            json!([{"id": "1", "name": "a|b"}])
        );
    }

    #[test]
    fn invalid_utf8_is_error() {
        let error = to_json(RawFormat::Csv, b"a\n\xff\n", None).expect_err("not UTF-8");
        assert_eq!(error.line, Some(2));
        assert_eq!(
            error.to_string(),
            "invalid csv body at line 2: the body is not valid UTF-8"
        );
    }

    /// Cuts each sample at every byte, inside characters too, and converts both parts, so
    /// a truncated or malformed body returns an error or a value and never panics.
    #[test]
    fn truncated_bodies_never_panic() {
        let samples = [
            (
                RawFormat::Json,
                r#"{"a": [1, {"b": "c\u00e9"}], "d": null}"#,
            ),
            (
                RawFormat::Xml,
                "<?xml version=\"1.0\"?><!DOCTYPE r><r a=\"&amp;\"><x>1</x><x><![CDATA[é]]></x>&#65;</r>",
            ),
            (
                RawFormat::Yaml,
                "--- # doc\na: 'x''y'\nb: \"q\\u00e9\n  r\"\nc:\n- [1, {k: v}]\n- |-\n  t\n  é\nd: >\n  f\n\n  g\n...\n",
            ),
            (RawFormat::Csv, "a,b\r\n\"x,\"\"y\",é\r\n"),
            (RawFormat::Tsv, "a\tb\n1\té\n"),
            (RawFormat::Psv, "a|b\n\"1|2\"|3\n"),
            (
                RawFormat::Html,
                "<table id=t class='c d'><thead><tr><th>é &amp;</th></tr></thead><tr><td>1<!-- x --><script>'<'</script></td></tr></table>",
            ),
            (
                RawFormat::Markdown,
                "```\n|x|\n```\n| a \\| b | c |\n|:-|-:|\n| é | 2 |\n",
            ),
        ];
        for (format, sample) in samples {
            let bytes = sample.as_bytes();
            for cut in 0..bytes.len() {
                let _ = to_json(format, &bytes[..cut], Some("#t"));
                let _ = to_json(format, &bytes[cut..], None);
            }
            assert!(to_json(format, sample.as_bytes(), None).is_ok(), "{sample}");
        }
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let body = "\u{feff}id\n1\n";
        assert_eq!(convert(RawFormat::Csv, body), json!([{"id": "1"}]));
    }
}
