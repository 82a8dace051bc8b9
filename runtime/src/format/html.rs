//! Reading the tables of an HTML document.
//!
//! A small tolerant tokenizer stands in for a full HTML5 parser: only `<table>`, its
//! rows and cells, and the `id` and `class` of enclosing elements matter here, and a
//! tree-building parser such as `scraper` (html5ever) costs far more build time than
//! this file. Unclosed cells and rows are closed by the next one, as browsers do;
//! comments, `<script>` and `<style>` contents are skipped.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::FormatError;
use crate::descriptor::RawFormat;

/// Converts HTML to `{"tables": [[row objects], ...]}`, keeping the tables that `scope`
/// selects, or every table when it is absent.
pub(super) fn to_json(text: &str, scope: Option<&str>) -> Result<Value, FormatError> {
    let selector = match scope.map(str::trim).filter(|scope| !scope.is_empty()) {
        Some(scope) => Selector::parse(scope).ok_or_else(|| {
            FormatError::new(
                RawFormat::Html,
                None,
                format!(
                    "unsupported table selector `{scope}`; use `table`, `table.CLASS`, \
                     `table#ID`, `.CLASS` or `#ID`"
                ),
            )
        })?,
        None => Selector::default(),
    };

    let mut reader = TableReader::new(selector);
    Tokenizer { text, position: 0 }.run(&mut reader);
    let tables = reader.finish();
    let mut object = Map::new();
    object.insert("tables".to_owned(), Value::Array(tables));
    Ok(Value::Object(object))
}

/// A simple CSS selector of tables.
#[derive(Debug, Default, PartialEq, Eq)]
struct Selector {
    /// `table.x` or `table#x`: the class or id must be on the table itself. Otherwise a
    /// `.x` or `#x` also matches a table inside such an element.
    on_table: bool,
    class: Option<String>,
    id: Option<String>,
}

impl Selector {
    fn parse(text: &str) -> Option<Self> {
        let (on_table, rest) = match text.strip_prefix("table") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let valid_name = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|character| character.is_alphanumeric() || matches!(character, '-' | '_'))
        };
        let mut selector = Self {
            on_table,
            ..Self::default()
        };
        if let Some(class) = rest.strip_prefix('.') {
            selector.class = Some(class.to_owned()).filter(|class| valid_name(class));
            return selector.class.is_some().then_some(selector);
        }
        if let Some(id) = rest.strip_prefix('#') {
            selector.id = Some(id.to_owned()).filter(|id| valid_name(id));
            return selector.id.is_some().then_some(selector);
        }
        (on_table && rest.is_empty()).then_some(selector)
    }

    fn matches_element(&self, element: &Element) -> bool {
        let class_matches = self
            .class
            .as_ref()
            .is_none_or(|class| element.classes.iter().any(|candidate| candidate == class));
        let id_matches = self
            .id
            .as_ref()
            .is_none_or(|id| element.id.as_deref() == Some(id.as_str()));
        class_matches && id_matches
    }

    fn matches(&self, table: &Element, ancestors: &[Element]) -> bool {
        if self.matches_element(table) {
            return true;
        }
        !self.on_table
            && ancestors
                .iter()
                .any(|element| self.matches_element(element))
    }
}

/// An open element, with what selectors read from it.
#[derive(Debug)]
struct Element {
    name: String,
    id: Option<String>,
    classes: Vec<String>,
}

/// A table being read.
#[derive(Debug, Default)]
struct Table {
    selected: bool,
    rows: Vec<Row>,
    row: Option<Row>,
    cell: Option<String>,
    in_head: bool,
}

#[derive(Debug, Default)]
struct Row {
    cells: Vec<String>,
    in_head: bool,
}

impl Table {
    fn finish_cell(&mut self) {
        if let Some(cell) = self.cell.take() {
            let in_head = self.in_head;
            let row = self.row.get_or_insert_with(|| Row {
                cells: Vec::new(),
                in_head,
            });
            let text = cell.split_whitespace().collect::<Vec<_>>().join(" ");
            row.cells.push(text);
        }
    }

    fn finish_row(&mut self) {
        self.finish_cell();
        if let Some(row) = self.row.take().filter(|row| !row.cells.is_empty()) {
            self.rows.push(row);
        }
    }

    fn start_row(&mut self) {
        self.finish_row();
        self.row = Some(Row {
            cells: Vec::new(),
            in_head: self.in_head,
        });
    }

    /// Returns the rows as objects keyed by the header: the first `<thead>` row when the
    /// table has one, else the first row. An empty header cell is keyed `column N`
    /// (1-based), and of two equal headers the first wins. A row's cells beyond the
    /// header are dropped, and a short row has no member for its missing cells.
    fn into_rows(self) -> Value {
        let has_head = self.rows.iter().any(|row| row.in_head);
        let mut rows = self.rows.into_iter();
        let header = if has_head {
            rows.by_ref().find(|row| row.in_head)
        } else {
            rows.next()
        };
        let Some(header) = header else {
            return Value::Array(Vec::new());
        };
        let keys: Vec<String> = header
            .cells
            .iter()
            .enumerate()
            .map(|(index, text)| {
                if text.is_empty() {
                    format!("column {}", index + 1)
                } else {
                    text.clone()
                }
            })
            .collect();
        let objects = rows
            .filter(|row| !row.in_head)
            .map(|row| {
                let mut object = Map::new();
                for (key, cell) in keys.iter().zip(row.cells) {
                    object.entry(key.clone()).or_insert(Value::String(cell));
                }
                Value::Object(object)
            })
            .collect();
        Value::Array(objects)
    }
}

/// Builds tables from tags and text.
struct TableReader {
    selector: Selector,
    /// Open elements other than table sections, rows and cells, outermost first.
    elements: Vec<Element>,
    /// Every table so far, in the order of their start tags.
    tables: Vec<Table>,
    /// Indices into `tables` of the open tables, outermost first.
    open_tables: Vec<usize>,
}

/// Elements that never have content or an end tag.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Elements whose boundaries separate words in a cell's text.
const BREAKING_ELEMENTS: &[&str] = &["br", "p", "div", "li", "ul", "ol", "hr", "h1", "h2", "h3"];

impl TableReader {
    fn new(selector: Selector) -> Self {
        Self {
            selector,
            elements: Vec::new(),
            tables: Vec::new(),
            open_tables: Vec::new(),
        }
    }

    fn current_table(&mut self) -> Option<&mut Table> {
        let index = *self.open_tables.last()?;
        self.tables.get_mut(index)
    }

    fn start_tag(&mut self, element: Element, self_closing: bool) {
        let name = element.name.as_str();
        if BREAKING_ELEMENTS.contains(&name) {
            self.text(" ");
        }
        match name {
            "table" => {
                let selected = self.selector.matches(&element, &self.elements);
                self.tables.push(Table {
                    selected,
                    ..Table::default()
                });
                self.open_tables.push(self.tables.len() - 1);
                self.elements.push(element);
            }
            "tr" => {
                if let Some(table) = self.current_table() {
                    table.start_row();
                }
            }
            "td" | "th" => {
                if let Some(table) = self.current_table() {
                    table.finish_cell();
                    table.cell = Some(String::new());
                }
            }
            "thead" | "tbody" | "tfoot" => {
                if let Some(table) = self.current_table() {
                    table.finish_row();
                    table.in_head = name == "thead";
                }
            }
            _ if self_closing || VOID_ELEMENTS.contains(&name) => {}
            _ => self.elements.push(element),
        }
    }

    fn end_tag(&mut self, name: &str) {
        if BREAKING_ELEMENTS.contains(&name) {
            self.text(" ");
        }
        match name {
            "table" => {
                if let Some(index) = self.open_tables.pop()
                    && let Some(table) = self.tables.get_mut(index)
                {
                    table.finish_row();
                }
                if let Some(position) = self
                    .elements
                    .iter()
                    .rposition(|element| element.name == "table")
                {
                    self.elements.truncate(position);
                }
            }
            "tr" => {
                if let Some(table) = self.current_table() {
                    table.finish_row();
                }
            }
            "td" | "th" => {
                if let Some(table) = self.current_table() {
                    table.finish_cell();
                }
            }
            "thead" | "tbody" | "tfoot" => {
                if let Some(table) = self.current_table() {
                    table.finish_row();
                    table.in_head = false;
                }
            }
            _ => {
                // An end tag closes the nearest open element of its name, but never one
                // outside the current table, as in the HTML table insertion modes.
                let found = self
                    .elements
                    .iter()
                    .rev()
                    .take_while(|element| element.name != "table")
                    .position(|element| element.name == name);
                if let Some(offset) = found {
                    self.elements.truncate(self.elements.len() - 1 - offset);
                }
            }
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(cell) = self.current_table().and_then(|table| table.cell.as_mut()) {
            cell.push_str(text);
        }
    }

    fn finish(mut self) -> Vec<Value> {
        for table in &mut self.tables {
            table.finish_row();
        }
        self.tables
            .into_iter()
            .filter(|table| table.selected)
            .map(Table::into_rows)
            .collect()
    }
}

/// Splits HTML into tags and text.
struct Tokenizer<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Tokenizer<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.position..]
    }

    /// Moves past the next `terminator`, or to the end when there is none.
    fn skip_past(&mut self, terminator: &str) {
        self.position = match self.rest().find(terminator) {
            Some(offset) => self.position + offset + terminator.len(),
            None => self.text.len(),
        };
    }

    fn run(mut self, reader: &mut TableReader) {
        while self.position < self.text.len() {
            let rest = self.rest();
            let Some(offset) = rest.find('<') else {
                reader.text(&decode_entities(rest));
                break;
            };
            if offset > 0 {
                reader.text(&decode_entities(&rest[..offset]));
                self.position += offset;
                continue;
            }
            let next = rest.as_bytes().get(1).copied();
            if rest.starts_with("<!--") {
                self.position += 4;
                self.skip_past("-->");
            } else if matches!(next, Some(b'!' | b'?')) {
                self.skip_past(">");
            } else if next == Some(b'/')
                && rest.as_bytes().get(2).is_some_and(u8::is_ascii_alphabetic)
            {
                self.position += 2;
                let name = self.tag_name();
                self.skip_past(">");
                reader.end_tag(&name);
            } else if next.is_some_and(|byte| byte.is_ascii_alphabetic()) {
                self.position += 1;
                let (element, self_closing) = self.start_tag();
                let raw_text = matches!(element.name.as_str(), "script" | "style");
                let name = element.name.clone();
                reader.start_tag(element, self_closing);
                if raw_text && !self_closing {
                    self.skip_raw_text(&name);
                    reader.end_tag(&name);
                }
            } else {
                reader.text("<");
                self.position += 1;
            }
        }
    }

    /// Reads a tag name, lowercased.
    fn tag_name(&mut self) -> String {
        let rest = self.rest();
        let end = rest
            .find(|character: char| {
                character.is_ascii_whitespace() || matches!(character, '/' | '>')
            })
            .unwrap_or(rest.len());
        self.position += end;
        rest[..end].to_ascii_lowercase()
    }

    /// Reads a start tag after its `<`, up to and including its `>`.
    fn start_tag(&mut self) -> (Element, bool) {
        let mut element = Element {
            name: self.tag_name(),
            id: None,
            classes: Vec::new(),
        };
        let mut self_closing = false;
        loop {
            let rest = self.rest();
            let trimmed =
                rest.trim_start_matches(|character: char| character.is_ascii_whitespace());
            self.position += rest.len() - trimmed.len();
            match trimmed.chars().next() {
                None => break,
                Some('>') => {
                    self.position += 1;
                    break;
                }
                Some('/') => {
                    self.position += 1;
                    self_closing = self.rest().starts_with('>');
                    continue;
                }
                Some(_) => {}
            }
            let (name, value) = self.attribute();
            match name.as_str() {
                "id" => element.id = Some(value),
                "class" => {
                    element.classes = value.split_ascii_whitespace().map(str::to_owned).collect();
                }
                _ => {}
            }
        }
        (element, self_closing)
    }

    /// Reads one attribute: its lowercased name and its decoded value.
    fn attribute(&mut self) -> (String, String) {
        let rest = self.rest();
        let end = rest
            .find(|character: char| {
                character.is_ascii_whitespace() || matches!(character, '=' | '>' | '/')
            })
            .unwrap_or(rest.len())
            .max(1.min(rest.len()));
        let name = rest[..end].to_ascii_lowercase();
        self.position += end;

        let rest = self.rest();
        let trimmed = rest.trim_start_matches(|character: char| character.is_ascii_whitespace());
        let Some(after_equals) = trimmed.strip_prefix('=') else {
            return (name, String::new());
        };
        let value_start =
            after_equals.trim_start_matches(|character: char| character.is_ascii_whitespace());
        self.position += rest.len() - value_start.len();
        let value = match value_start.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let inner = &value_start[1..];
                let end = inner.find(quote).unwrap_or(inner.len());
                self.position += 1 + end + usize::from(end < inner.len());
                &inner[..end]
            }
            _ => {
                let end = value_start
                    .find(|character: char| character.is_ascii_whitespace() || character == '>')
                    .unwrap_or(value_start.len());
                self.position += end;
                &value_start[..end]
            }
        };
        (name, decode_entities(value).into_owned())
    }

    /// Skips the contents of a `<script>` or `<style>` element up to its end tag.
    fn skip_raw_text(&mut self, name: &str) {
        let end_tag = format!("</{name}");
        let needle = end_tag.as_bytes();
        let found = self
            .rest()
            .as_bytes()
            .windows(needle.len())
            .position(|window| window.eq_ignore_ascii_case(needle));
        match found {
            Some(offset) => {
                self.position += offset;
                self.skip_past(">");
            }
            None => self.position = self.text.len(),
        }
    }
}

/// Decodes HTML character references: named ones (the HTML5 table), decimal and
/// hexadecimal. A `&` that starts no known reference stays as it is.
pub(super) fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        decoded.push_str(&rest[..start]);
        rest = &rest[start..];
        match reference(rest) {
            Some((replacement, length)) => {
                decoded.push_str(&replacement);
                rest = &rest[length..];
            }
            None => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    Cow::Owned(decoded)
}

/// Resolves the character reference at the start of `text`, returning its text and
/// its length including `&` and `;`.
fn reference(text: &str) -> Option<(Cow<'static, str>, usize)> {
    // Named references are at most 32 characters, so the search stops there.
    let end = text
        .bytes()
        .skip(1)
        .take(34)
        .position(|byte| byte == b';')?
        + 1;
    let name = &text[1..end];
    if name.is_empty() || name.len() > 32 {
        return None;
    }
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse::<u32>().ok()?,
        };
        let character = char::from_u32(code)
            .filter(|character| *character != '\0')
            .unwrap_or('\u{fffd}');
        return Some((Cow::Owned(character.to_string()), end + 1));
    }
    if !name
        .chars()
        .all(|character| character.is_ascii_alphanumeric())
    {
        return None;
    }
    let replacement = quick_xml::escape::resolve_html5_entity(name)?;
    Some((Cow::Borrowed(replacement), end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tables(text: &str, scope: Option<&str>) -> Value {
        to_json(text, scope).unwrap_or_else(|error| panic!("{text:?} should convert: {error}"))
    }

    const PAGE: &str = r#"<!DOCTYPE html>
<html><head><title>Prices</title>
<style>td { color: red } </table></style>
<script>if (a < b) { document.write("<table>"); }</script></head>
<body>
<!-- <table><tr><td>commented</td></tr></table> -->
<div id="catalog">
<table class="products wide">
  <thead><tr><th>Name</th><th> Unit&nbsp;price </th><th></th></tr></thead>
  <tbody>
    <tr><td><a href="/p/1">Tea &amp; <b>cake</b></a><td>3.50<td>x
    <tr><td>Coffee<br>beans</td><td>4</td></tr>
  </tbody>
</table>
</div>
<table id=stock>
  <tr><th>Item<th>Count
  <tr><td>Tea<td>12
  <tr><td>Salt &lt;fine&gt;<td>&#55;&#x37;
</table>
</body></html>"#;

    #[test]
    fn all_tables() {
        let expected = json!({"tables": [
            [
                {"Name": "Tea & cake", "Unit price": "3.50", "column 3": "x"},
                {"Name": "Coffee beans", "Unit price": "4"},
            ],
            [{"Item": "Tea", "Count": "12"}, {"Item": "Salt <fine>", "Count": "77"}],
        ]});
        assert_eq!(tables(PAGE, None), expected);
    }

    #[test]
    fn selectors_pick_tables() {
        let first = json!([
            {"Name": "Tea & cake", "Unit price": "3.50", "column 3": "x"},
            {"Name": "Coffee beans", "Unit price": "4"},
        ]);
        let second =
            json!([{"Item": "Tea", "Count": "12"}, {"Item": "Salt <fine>", "Count": "77"}]);
        let cases = [
            ("table", json!([first, second])),
            ("table.products", json!([first])),
            (".wide", json!([first])),
            ("#catalog", json!([first])),
            ("table#catalog", json!([])),
            ("table#stock", json!([second])),
            ("#stock", json!([second])),
            (".missing", json!([])),
        ];
        for (scope, expected) in cases {
            assert_eq!(tables(PAGE, Some(scope))["tables"], expected, "{scope}");
        }
    }

    #[test]
    fn unsupported_selector_is_error() {
        for scope in ["div > table", "table.", "tr", "table:first-child"] {
            let error = to_json(PAGE, Some(scope)).expect_err(scope);
            assert!(
                error.reason.contains("unsupported table selector"),
                "{error}"
            );
        }
    }

    #[test]
    fn nested_tables_are_separate() {
        let text = "<table><tr><th>a</th></tr><tr><td>1<table><tr><td>in</td></tr><tr><td>x</td></tr></table></td></tr></table>";
        assert_eq!(
            tables(text, None),
            json!({"tables": [[{"a": "1"}], [{"in": "x"}]]})
        );
    }

    #[test]
    fn truncated_and_odd_markup_never_fails() {
        for text in [
            "",
            "no tables",
            "<table",
            "<table><tr><td>open",
            "<<<>>> < a <tr> </td> </table>",
            "<table><tr><td a='unclosed>x",
            "&#xFFFFFFFF; &#0; &bogus; &",
            "<table><script>",
            "</>",
            "<a/",
        ] {
            let result = to_json(text, None);
            assert!(result.is_ok(), "{text:?}");
        }
        assert_eq!(
            tables("<table><tr><td>h</td></tr><tr><td>open", None),
            json!({"tables": [[{"h": "open"}]]})
        );
    }

    #[test]
    fn entities_decode() {
        assert_eq!(
            decode_entities("a &amp; b &eacute; &#233; &#xE9; &nope; & x"),
            "a & b é é é &nope; & x"
        );
    }
}
