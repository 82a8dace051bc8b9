//! Turning spec names into Rust identifiers.
//!
//! Spec names are free text (`v2-orgs-{name}`, `2fa`, `type`); every Rust name in the
//! generated code comes from [`snake_case`], [`upper_snake_case`] or [`pascal_case`]
//! here, and the spec name is kept beside it for messages and the wire.

use std::collections::BTreeSet;

use heck::{ToPascalCase, ToShoutySnakeCase, ToSnakeCase};

/// Words that cannot be identifiers even as raw identifiers (`r#self` is invalid).
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "extern", "_"];

/// Keywords of Rust 2024, strict and reserved.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Returns a `snake_case` identifier for functions, modules and fields.
pub fn snake_case(name: &str) -> String {
    finish(clean(name).to_snake_case(), "x")
}

/// Returns an `UPPER_SNAKE_CASE` identifier for statics.
pub fn upper_snake_case(name: &str) -> String {
    finish(clean(name).to_shouty_snake_case(), "X")
}

/// Returns a `PascalCase` identifier for types.
pub fn pascal_case(name: &str) -> String {
    finish(clean(name).to_pascal_case(), "X")
}

/// Replaces everything but letters, digits and `_` with a word break.
fn clean(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                ' '
            }
        })
        .collect()
}

/// Makes a cased name a valid identifier: never empty, never starting with a digit,
/// never a keyword. Non-ASCII letters are spelt out by their code point so the result
/// stays readable in any editor.
fn finish(name: String, filler: &str) -> String {
    let mut name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_string()
            } else {
                format!("u{:x}", c as u32)
            }
        })
        .collect();
    if name.is_empty() {
        name = filler.to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) || NOT_RAW.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// Hands out identifiers that are unique within one scope.
#[derive(Debug, Default)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// Returns `name`, or `name_2`, `name_3`, … when it is already taken.
    pub fn unique(&mut self, name: String) -> String {
        if self.taken.insert(name.clone()) {
            return name;
        }
        let separator = if name.ends_with('_') { "" } else { "_" };
        (2..)
            .map(|n| format!("{name}{separator}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .expect("an unbounded range always yields a free name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_table() {
        let cases = [
            ("org-name", "org_name"),
            ("access_token_id", "access_token_id"),
            ("v2-orgs-name-access-tokens", "v2_orgs_name_access_tokens"),
            ("pageSize", "page_size"),
            ("{name}", "name"),
            ("type", "type_"),
            ("self", "self_"),
            ("crate", "crate_"),
            ("_", "x"),
            ("", "x"),
            ("2fa", "_2fa"),
            ("a.b/c", "a_b_c"),
            ("café", "cafue9"),
        ];
        for (input, expected) in cases {
            assert_eq!(snake_case(input), expected, "snake_case({input:?})");
        }
    }

    #[test]
    fn upper_and_pascal_case_table() {
        let cases = [
            (
                "docker-hub-org-access-tokens",
                "DOCKER_HUB_ORG_ACCESS_TOKENS",
                "DockerHubOrgAccessTokens",
            ),
            ("get", "GET", "Get"),
            ("self", "SELF", "Self_"),
            ("9090", "_9090", "_9090"),
            ("", "X", "X"),
        ];
        for (input, upper, pascal) in cases {
            assert_eq!(
                upper_snake_case(input),
                upper,
                "upper_snake_case({input:?})"
            );
            assert_eq!(pascal_case(input), pascal, "pascal_case({input:?})");
        }
    }

    #[test]
    fn scope_numbers_repeats() {
        let mut scope = Scope::default();
        assert_eq!(scope.unique("get".into()), "get");
        assert_eq!(scope.unique("get".into()), "get_2");
        assert_eq!(scope.unique("get".into()), "get_3");
        assert_eq!(scope.unique("type_".into()), "type_");
        assert_eq!(scope.unique("type_".into()), "type_2");
    }
}
