//! Reading GitHub-style pipe tables from Markdown.
//!
//! A table is a header row, a delimiter row of `---` cells with optional alignment
//! colons, and the rows after them up to a blank line or a line without a `|`. Tables
//! inside fenced code blocks are skipped. Cell text is trimmed and keeps its inline
//! Markdown, and `\|` is a literal `|` inside a cell.

use serde_json::{Map, Value};

/// Converts Markdown to `{"tables": [[row objects], ...]}`.
pub(super) fn to_json(text: &str) -> Value {
    let lines: Vec<&str> = text.lines().collect();
    let mut tables = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        index += 1;
        let trimmed = line.trim_start();
        let indented_code = line.len() - trimmed.len() >= 4 || line.starts_with('\t');
        if let Some((marker, length)) = fence {
            if fence_length(trimmed, marker).is_some_and(|closing| closing >= length)
                && trimmed.trim_start_matches(marker).trim().is_empty()
            {
                fence = None;
            }
            continue;
        }
        if indented_code {
            continue;
        }
        if let Some(marker) = ['`', '~']
            .into_iter()
            .find(|marker| trimmed.starts_with(*marker))
            && let Some(length) = fence_length(trimmed, marker)
        {
            fence = Some((marker, length));
            continue;
        }

        let Some(header) = split_row(line) else {
            continue;
        };
        let Some(delimiters) = lines.get(index).and_then(|next| split_row(next)) else {
            continue;
        };
        if delimiters.len() != header.len() || !delimiters.iter().all(|cell| is_delimiter(cell)) {
            continue;
        }
        index += 1;

        let keys = header_keys(header);
        let mut rows = Vec::new();
        while let Some(cells) = lines
            .get(index)
            .filter(|line| !line.trim().is_empty())
            .and_then(|line| split_row(line))
        {
            index += 1;
            let mut row = Map::new();
            let cells = cells.into_iter().chain(std::iter::repeat(String::new()));
            for (key, cell) in keys.iter().zip(cells) {
                row.entry(key.clone()).or_insert(Value::String(cell));
            }
            rows.push(Value::Object(row));
        }
        tables.push(Value::Array(rows));
    }
    let mut object = Map::new();
    object.insert("tables".to_owned(), Value::Array(tables));
    Value::Object(object)
}

/// Returns the length of the code fence that opens `line`, if it is one (three or more
/// backticks or tildes).
fn fence_length(line: &str, marker: char) -> Option<usize> {
    let length = line
        .chars()
        .take_while(|character| *character == marker)
        .count();
    (length >= 3).then_some(length)
}

/// Returns the header cells as keys: an empty one becomes `column N` (1-based).
fn header_keys(header: Vec<String>) -> Vec<String> {
    header
        .into_iter()
        .enumerate()
        .map(|(index, text)| {
            if text.is_empty() {
                format!("column {}", index + 1)
            } else {
                text
            }
        })
        .collect()
}

/// Returns whether a delimiter-row cell is `---` with optional colons at either end.
fn is_delimiter(cell: &str) -> bool {
    let dashes = cell.strip_prefix(':').unwrap_or(cell);
    let dashes = dashes.strip_suffix(':').unwrap_or(dashes);
    !dashes.is_empty() && dashes.bytes().all(|byte| byte == b'-')
}

/// Splits a table row at its unescaped pipes, without the optional outer pipes, into
/// trimmed cells. Returns `None` for a line without an unescaped pipe.
fn split_row(line: &str) -> Option<Vec<String>> {
    let mut cells = vec![String::new()];
    let mut pipes = 0;
    let mut characters = line.trim().chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\\' if characters.peek() == Some(&'|') => {
                characters.next();
                if let Some(cell) = cells.last_mut() {
                    cell.push('|');
                }
            }
            '|' => {
                pipes += 1;
                cells.push(String::new());
            }
            _ => {
                if let Some(cell) = cells.last_mut() {
                    cell.push(character);
                }
            }
        }
    }
    if pipes == 0 {
        return None;
    }
    let trimmed = line.trim();
    if trimmed.starts_with('|') {
        cells.remove(0);
    }
    let escaped_end = trimmed.ends_with("\\|");
    if trimmed.ends_with('|') && !escaped_end && !cells.is_empty() {
        cells.pop();
    }
    Some(
        cells
            .into_iter()
            .map(|cell| cell.trim().to_owned())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pipe_tables() {
        let text = "# Report\n\nIntro | not a table\n\n| Name | Price | Note |\n|:-----|------:|:----:|\n| Tea  | 3.50  | `a \\| b` |\n| Cake | 4 |\n\nText.\n\nA | B\n--- | ---\n1 | 2\n";
        let expected = json!({"tables": [
            [
                {"Name": "Tea", "Price": "3.50", "Note": "`a | b`"},
                {"Name": "Cake", "Price": "4", "Note": ""},
            ],
            [{"A": "1", "B": "2"}],
        ]});
        assert_eq!(to_json(text), expected);
    }

    #[test]
    fn tables_in_code_fences_are_skipped() {
        let text = "```\n| a |\n|---|\n| 1 |\n```\n~~~~md\n| b |\n| - |\n~~~~\n| c |\n|---|\n| 3 | extra |\n";
        assert_eq!(to_json(text), json!({"tables": [[{"c": "3"}]]}));
    }

    #[test]
    fn mismatched_delimiter_is_no_table() {
        let text = "| a | b |\n|---|\n| 1 | 2 |\n\n| x |\n| y |\n";
        assert_eq!(to_json(text), json!({"tables": []}));
    }

    #[test]
    fn header_only_table_is_empty() {
        assert_eq!(to_json("| a |\n|---|\n"), json!({"tables": [[]]}));
        assert_eq!(to_json(""), json!({"tables": []}));
    }

    #[test]
    fn empty_header_cell_gets_column_key() {
        assert_eq!(
            to_json("| | b |\n|-|-|\n| 1 | 2 |\n"),
            json!({"tables": [[{"column 1": "1", "b": "2"}]]})
        );
    }
}
