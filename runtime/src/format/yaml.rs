//! A reader for the YAML subset that API responses use.
//!
//! It reads one document of block mappings and sequences, flow collections, plain,
//! single-quoted and double-quoted scalars, literal (`|`) and folded (`>`) block
//! scalars and comments, with scalars typed by the YAML 1.2 core schema. Anchors,
//! aliases, tags, complex keys and several documents are rejected with an error that
//! names the feature, so a body is either read correctly or not at all.
//!
//! The binary must not link a YAML crate, which is why this reader exists.

use serde_json::{Map, Number, Value};

use super::{FormatError, MAX_DEPTH};
use crate::descriptor::RawFormat;

/// Converts a YAML document to JSON.
pub(super) fn to_json(text: &str) -> Result<Value, FormatError> {
    let mut parser = Parser::new(text)?;
    parser.skip_blank();
    if parser.at_end() {
        return Ok(Value::Null);
    }
    let value = parser.parse_block(-1, 0)?;
    parser.skip_blank();
    if let Some(line) = parser
        .lines
        .get(parser.position)
        .filter(|_| !parser.at_end())
    {
        return Err(error(
            line.number,
            "unexpected content: expected a mapping entry or sequence item at the \
             indentation of the lines before",
        ));
    }
    Ok(value)
}

fn error(line: usize, reason: impl Into<String>) -> FormatError {
    FormatError::new(RawFormat::Yaml, Some(line), reason)
}

/// One line of the document.
///
/// A sequence item with content on its own line, such as `- name: x`, is rewritten in
/// place into a line that starts at the content's column, so the content is parsed as
/// a node of its own.
#[derive(Debug)]
struct Line<'a> {
    /// The 1-based line number.
    number: usize,
    /// The column where `text` starts.
    indent: usize,
    /// The content from `indent` on, without the line break.
    text: String,
    /// The whole line, for block scalars.
    raw: &'a str,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        let text = self.text.trim_start();
        text.is_empty() || text.starts_with('#')
    }
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    position: usize,
    /// The index of the first line after the document.
    end: usize,
}

impl<'a> Parser<'a> {
    /// Splits the text into lines and finds the document's start and end markers.
    fn new(text: &'a str) -> Result<Self, FormatError> {
        let mut lines: Vec<Line<'a>> = text
            .split('\n')
            .enumerate()
            .map(|(index, raw)| {
                let raw = raw.strip_suffix('\r').unwrap_or(raw);
                let indent = raw.len() - raw.trim_start_matches(' ').len();
                Line {
                    number: index + 1,
                    indent,
                    text: raw[indent..].to_owned(),
                    raw,
                }
            })
            .collect();

        let mut start = 0;
        let mut end = lines.len();
        let mut seen_content = false;
        #[allow(
            clippy::needless_range_loop,
            reason = "the loop rewrites the line it reads"
        )]
        for index in 0..lines.len() {
            let line = &lines[index];
            if line.is_blank() {
                continue;
            }
            let marker = line.indent == 0 && is_marker(&line.text, "---");
            if line.indent == 0 && line.text.starts_with('%') && !seen_content {
                if !line.text.starts_with("%YAML") {
                    return Err(error(
                        line.number,
                        "directives other than %YAML are not supported",
                    ));
                }
                continue;
            }
            if marker && !seen_content {
                seen_content = true;
                start = index;
                let rest = line.text[3..].trim_start().to_owned();
                let column = line.text.len() - rest.len();
                let line = &mut lines[index];
                line.text = rest;
                line.indent = column;
                continue;
            }
            if marker {
                return Err(error(line.number, "several documents are not supported"));
            }
            if line.indent == 0 && is_marker(&line.text, "...") {
                end = index;
                break;
            }
            seen_content = true;
        }
        if let Some(line) = lines[end.min(lines.len())..]
            .iter()
            .skip(1)
            .find(|line| !line.is_blank())
        {
            return Err(error(line.number, "several documents are not supported"));
        }
        Ok(Self {
            lines,
            position: start,
            end,
        })
    }

    fn at_end(&self) -> bool {
        self.position >= self.end
    }

    /// Skips blank and comment-only lines.
    fn skip_blank(&mut self) {
        while !self.at_end() && self.lines[self.position].is_blank() {
            self.position += 1;
        }
    }

    /// Parses the node that starts on the current line, which is not blank and more
    /// indented than `parent`.
    fn parse_block(&mut self, parent: isize, depth: usize) -> Result<Value, FormatError> {
        let line = &self.lines[self.position];
        let number = line.number;
        if depth > MAX_DEPTH {
            return Err(error(
                number,
                format!("nodes nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        check_tabs(line)?;
        if is_sequence_item(&line.text) {
            return self.parse_sequence(line.indent, depth);
        }
        if mapping_entry(&line.text, number)?.is_some() {
            return self.parse_mapping(line.indent, depth);
        }
        let text = line.text.clone();
        self.position += 1;
        self.parse_inline(&text, parent, number, depth)
    }

    /// Parses a block sequence whose `-` indicators stand at column `indent`.
    fn parse_sequence(&mut self, indent: usize, depth: usize) -> Result<Value, FormatError> {
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            if self.at_end() {
                break;
            }
            let line = &self.lines[self.position];
            check_tabs(line)?;
            if line.indent < indent || (line.indent == indent && !is_sequence_item(&line.text)) {
                break;
            }
            if line.indent > indent {
                return Err(error(line.number, "bad indentation of a sequence item"));
            }
            let rest = &line.text[1..];
            let content = rest.trim_start_matches([' ', '\t']);
            if content.is_empty() || content.starts_with('#') {
                self.position += 1;
                items.push(self.parse_nested(indent, depth + 1, false)?);
            } else {
                let column = indent + 1 + (rest.len() - content.len());
                let content = content.to_owned();
                let line = &mut self.lines[self.position];
                line.indent = column;
                line.text = content;
                items.push(self.parse_block(indent as isize, depth + 1)?);
            }
        }
        Ok(Value::Array(items))
    }

    /// Parses a block mapping whose keys start at column `indent`.
    fn parse_mapping(&mut self, indent: usize, depth: usize) -> Result<Value, FormatError> {
        let mut map = Map::new();
        loop {
            self.skip_blank();
            if self.at_end() {
                break;
            }
            let line = &self.lines[self.position];
            let number = line.number;
            check_tabs(line)?;
            if line.indent < indent || (line.indent == indent && is_sequence_item(&line.text)) {
                break;
            }
            if line.indent > indent {
                return Err(error(number, "bad indentation of a mapping entry"));
            }
            let Some((key, rest)) = mapping_entry(&line.text, number)? else {
                return Err(error(number, "expected a mapping entry `key: value`"));
            };
            if map.contains_key(&key) {
                return Err(error(number, format!("duplicate key `{key}`")));
            }
            let rest = rest.to_owned();
            self.position += 1;
            let content = rest.trim_start_matches([' ', '\t']);
            let value = if content.is_empty() || content.starts_with('#') {
                self.parse_nested(indent, depth + 1, true)?
            } else {
                self.parse_inline(content, indent as isize, number, depth + 1)?
            };
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    /// Parses the node on the lines after an entry with no inline value: a node more
    /// indented than `parent`, a sequence at `parent`'s column when `same_column_sequence`
    /// is set (YAML allows `key:` followed by `- item` at the key's column), or `null`.
    fn parse_nested(
        &mut self,
        parent: usize,
        depth: usize,
        same_column_sequence: bool,
    ) -> Result<Value, FormatError> {
        self.skip_blank();
        if self.at_end() {
            return Ok(Value::Null);
        }
        let line = &self.lines[self.position];
        if line.indent > parent {
            return self.parse_block(parent as isize, depth);
        }
        if same_column_sequence && line.indent == parent && is_sequence_item(&line.text) {
            return self.parse_sequence(parent, depth);
        }
        Ok(Value::Null)
    }

    /// Parses a value that starts inside a line already consumed: `text` is the rest of
    /// line `number`, and continuation lines must be more indented than `parent`.
    fn parse_inline(
        &mut self,
        text: &str,
        parent: isize,
        number: usize,
        depth: usize,
    ) -> Result<Value, FormatError> {
        match text.chars().next() {
            Some('&') => Err(error(number, "anchors (`&name`) are not supported")),
            Some('*') => Err(error(number, "aliases (`*name`) are not supported")),
            Some('!') => Err(error(number, "tags (`!tag`) are not supported")),
            Some('@' | '`') => Err(error(
                number,
                "a plain scalar must not start with `@` or a backtick; quote the value",
            )),
            Some('|' | '>') => self.block_scalar(text, parent, number),
            Some('"' | '\'') => {
                let text = self.gather(text, number, quoted_end)?;
                let end = quoted_end(&text).unwrap_or(text.len());
                expect_line_end(&text[end..], number)?;
                decode_quoted(&text[..end], number).map(Value::String)
            }
            Some('[' | '{') => {
                let text = self.gather(text, number, flow_end)?;
                let mut flow = Flow {
                    text: &text,
                    position: 0,
                    line: number,
                };
                let value = flow.parse_value(depth)?;
                expect_line_end(&flow.text[flow.position..], number)?;
                Ok(value)
            }
            _ => {
                let text = self.plain_continuation(strip_comment(text), parent, number)?;
                Ok(plain_value(&text))
            }
        }
    }

    /// Appends the following raw lines to `text` up to the line where `find_end` finds
    /// the end of the value, for quoted scalars and flow collections that span lines.
    ///
    /// The window of lines doubles on each try, so an unclosed value costs linear time
    /// in the length of the document rather than quadratic.
    fn gather(
        &mut self,
        text: &str,
        number: usize,
        find_end: impl Fn(&str) -> Option<usize>,
    ) -> Result<String, FormatError> {
        if find_end(text).is_some() {
            return Ok(text.to_owned());
        }
        let mut window = 1;
        loop {
            let available = self.end.saturating_sub(self.position);
            let count = window.min(available);
            let mut candidate = text.to_owned();
            for line in &self.lines[self.position..self.position + count] {
                candidate.push('\n');
                candidate.push_str(line.raw);
            }
            if let Some(end) = find_end(&candidate) {
                let line_end = candidate[end..]
                    .find('\n')
                    .map_or(candidate.len(), |offset| end + offset);
                self.position += candidate[..line_end].matches('\n').count();
                candidate.truncate(line_end);
                return Ok(candidate);
            }
            if count == available {
                return Err(error(
                    number,
                    "a quoted scalar or flow collection is not closed",
                ));
            }
            window *= 2;
        }
    }

    /// Folds the lines that continue a plain scalar into it: each line break becomes a
    /// space, and each blank line a line feed.
    fn plain_continuation(
        &mut self,
        first: &str,
        parent: isize,
        number: usize,
    ) -> Result<String, FormatError> {
        check_plain(first, number)?;
        let mut text = first.to_owned();
        let mut blank_lines = 0;
        let mut position = self.position;
        while position < self.end {
            let line = &self.lines[position];
            if line.text.trim().is_empty() {
                blank_lines += 1;
                position += 1;
                continue;
            }
            let content = line.text.trim_start();
            if line.indent as isize <= parent || content.starts_with('#') {
                break;
            }
            let content = strip_comment(content);
            check_plain(content, line.number)?;
            if blank_lines == 0 {
                text.push(' ');
            } else {
                text.extend(std::iter::repeat_n('\n', blank_lines));
            }
            text.push_str(content);
            blank_lines = 0;
            position += 1;
            self.position = position;
        }
        Ok(text)
    }

    /// Reads a literal or folded block scalar whose header is `header`.
    fn block_scalar(
        &mut self,
        header: &str,
        parent: isize,
        number: usize,
    ) -> Result<Value, FormatError> {
        let folded = header.starts_with('>');
        let mut chomping = Chomping::Clip;
        let mut explicit_indent = None;
        let mut rest = &header[1..];
        while let Some(character) = rest.chars().next() {
            match character {
                '-' => chomping = Chomping::Strip,
                '+' => chomping = Chomping::Keep,
                '1'..='9' => explicit_indent = character.to_digit(10).map(|digit| digit as usize),
                _ => break,
            }
            rest = &rest[1..];
        }
        expect_line_end(rest, number)?;

        let base = usize::try_from(parent + 1).unwrap_or(0);
        let mut content_indent = explicit_indent.map(|indent| base.max(1) - 1 + indent);
        let mut lines = Vec::new();
        while self.position < self.end {
            let line = &self.lines[self.position];
            let raw = line.raw;
            if raw.trim().is_empty() {
                let kept = content_indent
                    .and_then(|indent| raw.get(indent..))
                    .unwrap_or("");
                lines.push(kept.to_owned());
                self.position += 1;
                continue;
            }
            let indent = raw.len() - raw.trim_start_matches(' ').len();
            let required = *content_indent.get_or_insert(indent);
            if indent < required || indent < base {
                break;
            }
            lines.push(raw[required..].to_owned());
            self.position += 1;
        }

        let trailing = lines
            .iter()
            .rev()
            .take_while(|line| line.is_empty())
            .count();
        lines.truncate(lines.len() - trailing);
        let mut text = if folded {
            fold_lines(&lines)
        } else {
            lines.join("\n")
        };
        let has_content = !lines.is_empty();
        match chomping {
            Chomping::Strip => {}
            Chomping::Clip if has_content => text.push('\n'),
            Chomping::Clip => {}
            Chomping::Keep => {
                let breaks = trailing + usize::from(has_content);
                text.extend(std::iter::repeat_n('\n', breaks));
            }
        }
        Ok(Value::String(text))
    }
}

/// What happens to the line breaks at the end of a block scalar.
#[derive(Clone, Copy)]
enum Chomping {
    /// One final line break is kept (no indicator).
    Clip,
    /// No final line break (`-`).
    Strip,
    /// Every final line break is kept (`+`).
    Keep,
}

/// Folds the lines of a `>` block scalar: a line break between two lines of text becomes
/// a space, a blank line a line feed, and breaks around more-indented lines are kept.
fn fold_lines(lines: &[String]) -> String {
    let mut text = String::new();
    let mut first = true;
    let mut previous_more_indented = false;
    let mut blank_lines = 0;
    for line in lines {
        if line.is_empty() {
            blank_lines += 1;
            continue;
        }
        let more_indented = line.starts_with([' ', '\t']);
        if first {
            text.extend(std::iter::repeat_n('\n', blank_lines));
        } else if more_indented || previous_more_indented {
            text.extend(std::iter::repeat_n('\n', blank_lines + 1));
        } else if blank_lines == 0 {
            text.push(' ');
        } else {
            text.extend(std::iter::repeat_n('\n', blank_lines));
        }
        text.push_str(line);
        first = false;
        previous_more_indented = more_indented;
        blank_lines = 0;
    }
    text
}

/// Rejects a tab in the indentation of a structural line, which YAML forbids.
fn check_tabs(line: &Line<'_>) -> Result<(), FormatError> {
    if line.text.starts_with('\t') {
        return Err(error(line.number, "tabs are not allowed in indentation"));
    }
    Ok(())
}

/// Returns whether `text` is the marker (`---` or `...`) alone or followed by a space.
fn is_marker(text: &str, marker: &str) -> bool {
    text.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

fn is_sequence_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ") || text.starts_with("-\t")
}

/// Splits a block mapping entry into its key and the text after the `:`, or returns
/// `None` when the line is not one.
fn mapping_entry(text: &str, number: usize) -> Result<Option<(String, &str)>, FormatError> {
    if text.starts_with(['"', '\'']) {
        let Some(end) = quoted_end(text) else {
            return Ok(None);
        };
        let after = text[end..].trim_start_matches([' ', '\t']);
        return match after.strip_prefix(':') {
            Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t']) => {
                Ok(Some((decode_quoted(&text[..end], number)?, rest)))
            }
            _ => Ok(None),
        };
    }
    if text == "?" || text.starts_with("? ") {
        return Err(error(
            number,
            "complex mapping keys (`? key`) are not supported",
        ));
    }
    if text.starts_with(['[', '{']) {
        return Ok(None);
    }
    let bytes = text.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        let after_space = index == 0 || matches!(bytes[index - 1], b' ' | b'\t');
        if *byte == b'#' && after_space {
            return Ok(None);
        }
        let ends_key = bytes
            .get(index + 1)
            .is_none_or(|next| matches!(next, b' ' | b'\t'));
        if *byte == b':' && ends_key {
            let key = text[..index].trim_end();
            if key.starts_with(['&', '*', '!']) {
                return Err(error(
                    number,
                    "anchors, aliases and tags on keys are not supported",
                ));
            }
            return Ok(Some((key.to_owned(), &text[index + 1..])));
        }
    }
    Ok(None)
}

/// Rejects a `: ` inside a plain scalar, which YAML does not allow.
fn check_plain(text: &str, number: usize) -> Result<(), FormatError> {
    if text.contains(": ") || text.ends_with(':') || text.contains(":\t") {
        return Err(error(
            number,
            "a plain scalar must not contain `: `; quote the value or fix the indentation",
        ));
    }
    Ok(())
}

/// Returns `text` without a trailing ` # comment`, trimmed.
fn strip_comment(text: &str) -> &str {
    let bytes = text.as_bytes();
    let end = (0..bytes.len())
        .find(|&index| {
            bytes[index] == b'#' && (index == 0 || matches!(bytes[index - 1], b' ' | b'\t'))
        })
        .unwrap_or(bytes.len());
    text[..end].trim()
}

/// Checks that only blanks or a comment follow a value on its line.
fn expect_line_end(rest: &str, number: usize) -> Result<(), FormatError> {
    let rest = rest.trim_start_matches([' ', '\t', '\n', '\r']);
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(());
    }
    Err(error(
        number,
        format!("unexpected text `{}` after a value", excerpt(rest)),
    ))
}

fn excerpt(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(40)
        .collect()
}

/// Returns the index just after the closing quote of the quoted scalar at the start of
/// `text`, or `None` when it is not closed.
fn quoted_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = *bytes.first()?;
    let mut index = 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' if quote == b'"' => index += 2,
            b'\'' if quote == b'\'' && bytes.get(index + 1) == Some(&b'\'') => index += 2,
            byte if byte == quote => return Some(index + 1),
            _ => index += 1,
        }
    }
    None
}

/// Decodes a quoted scalar, quotes included: folds its line breaks and resolves escapes.
fn decode_quoted(text: &str, number: usize) -> Result<String, FormatError> {
    let double = text.starts_with('"');
    let inner = &text[1..text.len() - 1];
    let folded = fold_quoted(inner, double);
    if !double {
        return Ok(folded.replace("''", "'"));
    }
    unescape_double(&folded, number)
}

/// Folds the line breaks of a multi-line quoted scalar: a break between two lines becomes
/// a space, each blank line a line feed, and in double quotes a `\` at the end of a line
/// joins the lines with nothing between them.
fn fold_quoted(inner: &str, double: bool) -> String {
    if !inner.contains('\n') {
        return inner.to_owned();
    }
    let lines: Vec<&str> = inner
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let last = lines.len() - 1;
    let mut text = String::new();
    let mut blank_lines = 0;
    let mut joined = true;
    for (index, line) in lines.iter().enumerate() {
        let mut line = *line;
        if index > 0 {
            line = line.trim_start_matches([' ', '\t']);
        }
        if index < last {
            line = line.trim_end_matches([' ', '\t']);
        }
        if index > 0 && index < last && line.is_empty() {
            blank_lines += 1;
            continue;
        }
        if index > 0 && !joined {
            if blank_lines == 0 {
                text.push(' ');
            } else {
                text.extend(std::iter::repeat_n('\n', blank_lines));
            }
        }
        blank_lines = 0;
        joined = false;
        let escapes_break =
            double && index < last && (line.len() - line.trim_end_matches('\\').len()) % 2 == 1;
        if escapes_break {
            text.push_str(&line[..line.len() - 1]);
            joined = true;
        } else {
            text.push_str(line);
        }
    }
    text
}

/// Resolves the escape sequences of a double-quoted scalar.
fn unescape_double(text: &str, number: usize) -> Result<String, FormatError> {
    let mut result = String::with_capacity(text.len());
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            result.push(character);
            continue;
        }
        let escape = characters
            .next()
            .ok_or_else(|| error(number, "a double-quoted scalar ends with `\\`"))?;
        let resolved = match escape {
            '0' => '\0',
            'a' => '\u{7}',
            'b' => '\u{8}',
            't' | '\t' => '\t',
            'n' => '\n',
            'v' => '\u{b}',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            ' ' => ' ',
            '"' => '"',
            '/' => '/',
            '\\' => '\\',
            'N' => '\u{85}',
            '_' => '\u{a0}',
            'L' => '\u{2028}',
            'P' => '\u{2029}',
            'x' | 'u' | 'U' => {
                let digits = match escape {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = characters.by_ref().take(digits).collect();
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == digits)
                    .and_then(char::from_u32)
                    .ok_or_else(|| error(number, format!("invalid escape `\\{escape}{hex}`")))?
            }
            other => return Err(error(number, format!("invalid escape `\\{other}`"))),
        };
        result.push(resolved);
    }
    Ok(result)
}

/// Returns the index just after the flow collection at the start of `text`, or `None`
/// when it is not closed. Quotes and comments are skipped.
fn flow_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let after_space = index == 0 || matches!(bytes[index - 1], b' ' | b'\t' | b'\n');
        match byte {
            b'"' | b'\''
                if index == 0
                    || matches!(
                        bytes[index - 1],
                        b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':'
                    ) =>
            {
                index += quoted_end(&text[index..])?;
                continue;
            }
            b'#' if after_space => {
                index = text[index..]
                    .find('\n')
                    .map_or(bytes.len(), |end| index + end);
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(index + 1);
                }
            }
            _ => {}
        }
        index += 1;
    }
    None
}

/// A parser of one flow collection, which may span several lines.
struct Flow<'t> {
    text: &'t str,
    position: usize,
    /// The line where the collection starts, for messages.
    line: usize,
}

impl Flow<'_> {
    fn error(&self, reason: impl Into<String>) -> FormatError {
        let line = self.line + self.text[..self.position].matches('\n').count();
        error(line, reason)
    }

    fn peek(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    /// Skips white space, line breaks and comments.
    fn skip_space(&mut self) {
        while let Some(character) = self.peek() {
            match character {
                ' ' | '\t' | '\n' | '\r' => self.position += 1,
                '#' => {
                    let rest = &self.text[self.position..];
                    self.position += rest.find('\n').unwrap_or(rest.len());
                }
                _ => break,
            }
        }
    }

    fn parse_value(&mut self, depth: usize) -> Result<Value, FormatError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nodes nest deeper than {MAX_DEPTH} levels")));
        }
        self.skip_space();
        match self.peek() {
            Some('[') => self.parse_sequence(depth),
            Some('{') => self.parse_mapping(depth),
            _ => self.parse_scalar().map(|(value, _)| value),
        }
    }

    fn parse_sequence(&mut self, depth: usize) -> Result<Value, FormatError> {
        self.position += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(']') {
                self.position += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.parse_value(depth + 1)?);
            self.skip_space();
            match self.peek() {
                Some(',') => self.position += 1,
                Some(']') => {}
                Some(':') => {
                    return Err(self.error("mappings inside flow sequences are not supported"));
                }
                _ => return Err(self.error("expected `,` or `]` in a flow sequence")),
            }
        }
    }

    fn parse_mapping(&mut self, depth: usize) -> Result<Value, FormatError> {
        self.position += 1;
        let mut map = Map::new();
        loop {
            self.skip_space();
            if self.peek() == Some('}') {
                self.position += 1;
                return Ok(Value::Object(map));
            }
            let (_, key) = self.parse_scalar()?;
            if map.contains_key(&key) {
                return Err(self.error(format!("duplicate key `{key}`")));
            }
            self.skip_space();
            let value = if self.peek() == Some(':') {
                self.position += 1;
                self.skip_space();
                if matches!(self.peek(), Some(',' | '}')) {
                    Value::Null
                } else {
                    self.parse_value(depth + 1)?
                }
            } else {
                Value::Null
            };
            map.insert(key, value);
            self.skip_space();
            match self.peek() {
                Some(',') => self.position += 1,
                Some('}') => {}
                _ => return Err(self.error("expected `,` or `}` in a flow mapping")),
            }
        }
    }

    /// Parses a scalar, returning its typed value and its text as a key.
    fn parse_scalar(&mut self) -> Result<(Value, String), FormatError> {
        let rest = &self.text[self.position..];
        match rest.chars().next() {
            None => Err(self.error("a flow collection is not closed")),
            Some('&') => Err(self.error("anchors (`&name`) are not supported")),
            Some('*') => Err(self.error("aliases (`*name`) are not supported")),
            Some('!') => Err(self.error("tags (`!tag`) are not supported")),
            Some('"' | '\'') => {
                let end =
                    quoted_end(rest).ok_or_else(|| self.error("a quoted scalar is not closed"))?;
                let line = self.line + self.text[..self.position].matches('\n').count();
                let text = decode_quoted(&rest[..end], line)?;
                self.position += end;
                Ok((Value::String(text.clone()), text))
            }
            Some(_) => {
                let bytes = rest.as_bytes();
                let mut end = 0;
                while end < bytes.len() {
                    let byte = bytes[end];
                    let colon_ends = byte == b':'
                        && bytes.get(end + 1).is_none_or(|next| {
                            matches!(next, b' ' | b'\t' | b'\n' | b',' | b']' | b'}')
                        });
                    let comment = byte == b'#' && end > 0 && matches!(bytes[end - 1], b' ' | b'\t');
                    if matches!(byte, b',' | b'[' | b']' | b'{' | b'}' | b'\n')
                        || colon_ends
                        || comment
                    {
                        break;
                    }
                    end += 1;
                }
                let text = rest[..end].trim();
                if text.is_empty() {
                    return Err(self.error("expected a value in a flow collection"));
                }
                self.position += end;
                Ok((plain_value(text), text.to_owned()))
            }
        }
    }
}

/// Types a plain scalar by the YAML 1.2 core schema: null, booleans, integers (decimal,
/// `0o` octal, `0x` hexadecimal) and floats, and strings otherwise.
///
/// JSON has no infinity or NaN, so `.inf` and `.nan` stay strings.
fn plain_value(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(digits) = text.strip_prefix("0o")
        && let Ok(number) = i64::from_str_radix(digits, 8)
    {
        return Value::from(number);
    }
    if let Some(digits) = text.strip_prefix("0x")
        && let Ok(number) = i64::from_str_radix(digits, 16)
    {
        return Value::from(number);
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|byte| byte.is_ascii_digit()) {
        let digits = text.strip_prefix('+').unwrap_or(text);
        if let Ok(number) = digits.parse::<i64>() {
            return Value::from(number);
        }
        if let Ok(number) = digits.parse::<u64>() {
            return Value::from(number);
        }
    }
    if is_core_float(unsigned)
        && let Some(number) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(number);
    }
    Value::String(text.to_owned())
}

/// Returns whether `text` (without sign) matches the core schema's float:
/// `( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`.
fn is_core_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(index) => (&text[..index], Some(&text[index + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    let mantissa_ok = match fraction {
        Some(fraction) => {
            digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty())
        }
        None => !whole.is_empty() && digits(whole),
    };
    let exponent_ok = exponent.is_none_or(|exponent| {
        let exponent = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
        !exponent.is_empty() && digits(exponent)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> Value {
        to_json(text).unwrap_or_else(|error| panic!("{text:?} should read: {error}"))
    }

    fn read_error(text: &str) -> FormatError {
        match to_json(text) {
            Ok(value) => panic!("{text:?} should fail, got {value}"),
            Err(error) => error,
        }
    }

    #[test]
    fn openapi_like_document() {
        let text = r#"# An API description
openapi: 3.1.0
info:
  title: "Pet store"   # the title
  version: '1.0'
  description: |
    Line one.
      Indented line.

    Last line.
  summary: >-
    Folded
    text here.

    New paragraph.
servers:
  - url: https://api.example.com/v1
    description: Production
  - url: http://localhost:8080
paths: {}
tags: [pets, 'store', "users"]
"#;
        let expected = json!({
            "openapi": "3.1.0",
            "info": {
                "title": "Pet store",
                "version": "1.0",
                "description": "Line one.\n  Indented line.\n\nLast line.\n",
                "summary": "Folded text here.\nNew paragraph.",
            },
            "servers": [
                {"url": "https://api.example.com/v1", "description": "Production"},
                {"url": "http://localhost:8080"},
            ],
            "paths": {},
            "tags": ["pets", "store", "users"],
        });
        assert_eq!(read(text), expected);
    }

    #[test]
    fn kubernetes_like_document() {
        let text = "---\napiVersion: v1\nkind: List\nitems:\n- metadata:\n    name: web\n    labels: {app: web, tier: \"front\"}\n  spec:\n    replicas: 3\n    ports:\n    - containerPort: 80\n      protocol: TCP\n- metadata:\n    name: db\n  spec:\n    replicas: 1\n    ports: []\n...\n";
        let expected = json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {
                    "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
                    "spec": {"replicas": 3, "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                },
                {"metadata": {"name": "db"}, "spec": {"replicas": 1, "ports": []}},
            ],
        });
        assert_eq!(read(text), expected);
    }

    #[test]
    fn scalars_typed_by_core_schema() {
        let text = "a: null\nb: ~\nc:\nd: true\ne: False\nf: 42\ng: -7\nh: 0x1F\ni: 0o17\nj: 3.5\nk: 1e3\nl: .5\nm: yes\nn: 1.2.3\no: '42'\np: .inf\nq: 12:30\nr: 18446744073709551615\n";
        let expected = json!({
            "a": null, "b": null, "c": null, "d": true, "e": false, "f": 42, "g": -7,
            "h": 31, "i": 15, "j": 3.5, "k": 1000.0, "l": 0.5, "m": "yes", "n": "1.2.3",
            "o": "42", "p": ".inf", "q": "12:30", "r": 18_446_744_073_709_551_615_u64,
        });
        assert_eq!(read(text), expected);
    }

    #[test]
    fn quoted_scalars_and_escapes() {
        let text = "a: \"tab\\there \\u00e9 \\\"q\\\" # not a comment\"\nb: 'it''s'\n\"quoted key\": 1\nc: \"two\n  lines\"\n";
        let expected = json!({
            "a": "tab\there é \"q\" # not a comment",
            "b": "it's",
            "quoted key": 1,
            "c": "two lines",
        });
        assert_eq!(read(text), expected);
    }

    #[test]
    fn plain_multiline_and_comments() {
        let text = "# head\nkey: first\n  second\n\n  third # note\nother: x#y\n";
        assert_eq!(
            read(text),
            json!({"key": "first second\nthird", "other": "x#y"})
        );
    }

    #[test]
    fn nested_sequences() {
        let text = "- - a\n  - b\n- [1, [2, 3], {k: v}]\n-\n  - c\n- \n";
        assert_eq!(
            read(text),
            json!([["a", "b"], [1, [2, 3], {"k": "v"}], ["c"], null])
        );
    }

    #[test]
    fn multiline_flow_collection() {
        let text = "list: [\n  one,   # first\n  two\n]\nmap: {a: 1,\n  b: 2}\n";
        assert_eq!(
            read(text),
            json!({"list": ["one", "two"], "map": {"a": 1, "b": 2}})
        );
    }

    #[test]
    fn block_scalar_chomping() {
        let text = "keep: |+\n  text\n\nclip: |\n  text\n\nstrip: |-\n  text\nindented: |2\n    two\n  one\nempty: |\nlast: x\n";
        let expected = json!({
            "keep": "text\n\n",
            "clip": "text\n",
            "strip": "text",
            "indented": "  two\none\n",
            "empty": "",
            "last": "x",
        });
        assert_eq!(read(text), expected);
    }

    #[test]
    fn scalar_and_empty_documents() {
        assert_eq!(read(""), Value::Null);
        assert_eq!(read("# only a comment\n"), Value::Null);
        assert_eq!(read("--- hello\n"), json!("hello"));
        assert_eq!(read("%YAML 1.2\n---\n- 1\n"), json!([1]));
    }

    #[test]
    fn unsupported_features_are_errors() {
        let cases = [
            ("a: &x 1\nb: *x\n", "anchors"),
            ("b: *x\n", "aliases"),
            ("a: !!str 1\n", "tags"),
            ("? complex\n: value\n", "complex"),
            ("a: 1\n---\nb: 2\n", "several documents"),
            ("a: 1\n...\nb: 2\n", "several documents"),
            ("%TAG ! tag:example.com:\n---\na: 1\n", "directives"),
        ];
        for (text, expected) in cases {
            let error = read_error(text);
            assert!(error.reason.contains(expected), "{text:?}: {error}");
        }
    }

    #[test]
    fn malformed_documents_are_errors() {
        let cases = [
            ("a: 1\n  b: 2\n", 2),
            ("a: [1, 2\n", 1),
            ("a: \"open\n", 1),
            ("a: 1\na: 2\n", 2),
            ("a:\n\t- b\n", 2),
            ("- a\nb: c\n", 2),
            ("a: \"x\" y\n", 1),
            ("a: \"\\q\"\n", 1),
            ("a: b: c\n", 1),
            ("a: {x: 1,, }\n", 1),
            ("key: |x\n  a\n", 1),
        ];
        for (text, line) in cases {
            let error = read_error(text);
            assert_eq!(error.line, Some(line), "{text:?}: {error}");
        }
    }

    #[test]
    fn deep_nesting_is_error() {
        let text = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(read_error(&text).reason.contains("deeper"));
        let mut block = String::new();
        for level in 0..=MAX_DEPTH + 1 {
            block.push_str(&" ".repeat(level));
            block.push_str("k:\n");
        }
        assert!(read_error(&block).reason.contains("deeper"));
    }

    #[test]
    fn crlf_line_endings() {
        assert_eq!(read("a: 1\r\nb:\r\n  - x\r\n"), json!({"a": 1, "b": ["x"]}));
    }
}
