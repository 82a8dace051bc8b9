//! Text helpers for the resolver: name suggestions and JSON literals.

use super::*;

/// A piece of a `{{...}}` template.
#[derive(Debug, PartialEq)]
pub(super) enum Piece {
    /// Literal text.
    Literal(String),
    /// A placeholder's trimmed name.
    Placeholder(String),
}

/// Splits `{{name}}` placeholders out of a string.
pub(super) fn split_template(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start + 2..].find("}}") else {
            return Err("a `{{` is never closed".into());
        };
        if start > 0 {
            pieces.push(Piece::Literal(rest[..start].to_string()));
        }
        let name = rest[start + 2..start + 2 + length].trim();
        if name.is_empty() {
            return Err("a placeholder has no name".into());
        }
        pieces.push(Piece::Placeholder(name.to_string()));
        rest = &rest[start + 2 + length + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest.to_string()));
    }
    Ok(pieces)
}

/// Returns the candidate closest to `name`, when one is close enough to be a typo.
pub(super) fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (edit_distance(&normalise(name), &normalise(c)), *c))
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

pub(super) fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders a YAML literal as JSON text.
pub(super) fn json_text(node: &Node) -> String {
    match &node.value {
        yaml::Value::Null => "null".into(),
        yaml::Value::Bool(flag) => flag.to_string(),
        yaml::Value::Number(yaml::Number::Integer(n)) => n.to_string(),
        yaml::Value::Number(yaml::Number::Float(n)) if n.is_finite() => n.to_string(),
        yaml::Value::Number(yaml::Number::Float(_)) => "null".into(),
        yaml::Value::String(text) => json_string(text),
        yaml::Value::Seq(items) => {
            let items: Vec<String> = items.iter().map(json_text).collect();
            format!("[{}]", items.join(","))
        }
        yaml::Value::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{}:{}", json_string(&key.name), json_text(value)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_folds_case_and_dashes() {
        assert_eq!(normalise("Org-Name"), "org_name");
        assert_eq!(normalise("access_token_id"), "access_token_id");
    }

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(
            closest("get-usr", &["get-user", "list-users"]),
            Some("get-user")
        );
        assert_eq!(closest("delete", &["get", "post"]), None);
    }

    #[test]
    fn split_template_pieces() {
        let pieces = split_template("a {{ x }}b{{y}}").expect("valid template");
        assert_eq!(
            pieces,
            [
                Piece::Literal("a ".into()),
                Piece::Placeholder("x".into()),
                Piece::Literal("b".into()),
                Piece::Placeholder("y".into()),
            ]
        );
        assert!(split_template("{{x").is_err());
        assert!(split_template("{{ }}").is_err());
    }

    #[test]
    fn json_text_escapes() {
        assert_eq!(json_string("a\"b\\c\n"), r#""a\"b\\c\n""#);
    }
}
