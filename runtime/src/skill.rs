//! Serving a skill adapter: a read-only catalog of agent skills over HTTP.
//!
//! The routes and JSON shapes follow the Naftiko reference engine:
//!
//! - `GET /skills`: `{"count": N, "skills": [{"name", "description", "tools": [NAME]}]}`;
//! - `GET /skills/{name}`: the skill's `name`, `description`, `allowed-tools` and
//!   `argument-hint` when set, and `tools`, each `{"name", "description", "type": "derived",
//!   "invocationRef": {"targetNamespace", "action", "mode"}}` or `{"name", "description",
//!   "type": "instruction", "instruction": FILE}`;
//! - `GET /skills/{name}/contents`: `{"name", "files": [{"path", "size", "type"}]}`;
//! - `GET /skills/{name}/contents/{file}`: the file's bytes, `file` being a path that may
//!   contain `/`;
//! - `GET /skills/{name}/download`: a zip archive of the skill's files, plus a generated
//!   `SKILL.md` when the folder has none.
//!
//! Every file comes from the table embedded at build time and is looked up by its exact
//! path, so no request can reach a file outside it, whatever `..`, encoded or absolute
//! path it sends. Unknown skills, files and routes get a `404` with the JSON body
//! `{"error": {"code": "not_found", "message": "..."}}`. Unlike the reference engine, a skill
//! without `location` lists no files and downloads as an archive holding only `SKILL.md`,
//! where the reference returns `404`.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::caller_auth;
use crate::descriptor::{Capability, Skill, SkillAdapter, SkillFile, SkillToolSource};
use crate::invoke::CapabilityContext;
use crate::rest::error_response;

/// The name of the skill manifest that [`download`] generates when the folder has none.
pub const SKILL_MANIFEST: &str = "SKILL.md";

/// Builds the router of a skill adapter: the five catalog routes for `GET` (and `HEAD`),
/// an empty `405` with `Allow` for another method, and a JSON `404` for any other path.
///
/// When the adapter declares caller authentication, every request must pass
/// [`caller_auth::protect`] first, unknown paths included.
pub fn router(adapter: &'static SkillAdapter, context: Arc<CapabilityContext>) -> Router {
    let capability = context.capability();
    let router = Router::new()
        .route("/skills", get(move || catalog(adapter)))
        .route(
            "/skills/{name}",
            get(move |name: Result<Path<String>, PathRejection>| detail(adapter, capability, name)),
        )
        .route(
            "/skills/{name}/contents",
            get(move |name: Result<Path<String>, PathRejection>| contents(adapter, name)),
        )
        .route(
            "/skills/{name}/contents/{*file}",
            get(move |params: Result<Path<(String, String)>, PathRejection>| file(adapter, params)),
        )
        .route(
            "/skills/{name}/download",
            get(move |name: Result<Path<String>, PathRejection>| download(adapter, name)),
        )
        .fallback(not_found);
    // The middleware is added last, so it also guards the fallback.
    match &adapter.auth {
        Some(auth) => caller_auth::protect(router, adapter.namespace, auth, context.binds()),
        None => router,
    }
}

/// Returns every skill with the names of its tools.
async fn catalog(adapter: &'static SkillAdapter) -> Response {
    let skills: Vec<Value> = adapter
        .skills
        .iter()
        .map(|skill| {
            let tools: Vec<&str> = skill.tools.iter().map(|tool| tool.name).collect();
            json!({
                "name": skill.name,
                "description": skill.description,
                "tools": tools,
            })
        })
        .collect();
    axum::Json(json!({"count": skills.len(), "skills": skills})).into_response()
}

/// Returns a skill's metadata and its tools.
async fn detail(
    adapter: &'static SkillAdapter,
    capability: &'static Capability,
    name: Result<Path<String>, PathRejection>,
) -> Response {
    let skill = match find_skill(adapter, name.map(|Path(name)| name)) {
        Ok(skill) => skill,
        Err(message) => return not_found_error(&message),
    };
    let tools: Vec<Value> = skill
        .tools
        .iter()
        .map(|tool| match tool.source {
            SkillToolSource::Action { namespace, action } => json!({
                "name": tool.name,
                "description": tool.description,
                "type": "derived",
                "invocationRef": {
                    "targetNamespace": namespace,
                    "action": action,
                    "mode": adapter_mode(capability, namespace),
                },
            }),
            SkillToolSource::Instruction { file } => json!({
                "name": tool.name,
                "description": tool.description,
                "type": "instruction",
                "instruction": file,
            }),
        })
        .collect();

    let mut body = Map::new();
    body.insert("name".to_owned(), json!(skill.name));
    body.insert("description".to_owned(), json!(skill.description));
    if let Some(hint) = skill.argument_hint {
        body.insert("argument-hint".to_owned(), json!(hint));
    }
    if let Some(allowed) = skill.allowed_tools {
        body.insert("allowed-tools".to_owned(), json!(allowed));
    }
    body.insert("tools".to_owned(), Value::Array(tools));
    axum::Json(Value::Object(body)).into_response()
}

/// Returns `rest` or `mcp` for the kind of the capability's adapter with that namespace,
/// or `unknown` when neither kind has one.
fn adapter_mode(capability: &Capability, namespace: &str) -> &'static str {
    if capability
        .rest
        .iter()
        .any(|adapter| adapter.namespace == namespace)
    {
        "rest"
    } else if capability
        .mcp
        .iter()
        .any(|adapter| adapter.namespace == namespace)
    {
        "mcp"
    } else {
        "unknown"
    }
}

/// Lists a skill's files, sorted by path, with their sizes and media types.
async fn contents(
    adapter: &'static SkillAdapter,
    name: Result<Path<String>, PathRejection>,
) -> Response {
    let skill = match find_skill(adapter, name.map(|Path(name)| name)) {
        Ok(skill) => skill,
        Err(message) => return not_found_error(&message),
    };
    let files: Vec<Value> = sorted_files(skill)
        .into_iter()
        .map(|file| {
            json!({
                "path": file.path,
                "size": file.contents.len(),
                "type": media_type(file.path),
            })
        })
        .collect();
    axum::Json(json!({"name": skill.name, "files": files})).into_response()
}

/// Returns the bytes of one file of a skill, found by its exact path.
async fn file(
    adapter: &'static SkillAdapter,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let (name, path) = match params {
        Ok(Path(params)) => params,
        Err(rejection) => return not_found_error(&path_rejected_message(&rejection)),
    };
    let skill = match find_skill(adapter, Ok(name)) {
        Ok(skill) => skill,
        Err(message) => return not_found_error(&message),
    };
    let Some(file) = skill.files.iter().find(|file| file.path == path) else {
        return not_found_error(&format!(
            "file `{path}` not found in skill `{}`",
            skill.name
        ));
    };
    let content_type = content_type(file);
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Files are served as the spec author wrote them, so browsers must not guess a
            // more active type (an HTML or script file stays as labelled).
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        file.contents,
    )
        .into_response()
}

/// Returns a zip archive of a skill's files, plus a generated `SKILL.md` when the skill's
/// folder has none at its top.
async fn download(
    adapter: &'static SkillAdapter,
    name: Result<Path<String>, PathRejection>,
) -> Response {
    let skill = match find_skill(adapter, name.map(|Path(name)| name)) {
        Ok(skill) => skill,
        Err(message) => return not_found_error(&message),
    };
    let manifest;
    let mut entries: Vec<(&str, &[u8])> = sorted_files(skill)
        .into_iter()
        .map(|file| (file.path, file.contents))
        .collect();
    if !skill.files.iter().any(|file| file.path == SKILL_MANIFEST) {
        manifest = render_manifest(skill);
        entries.insert(0, (SKILL_MANIFEST, manifest.as_bytes()));
    }
    let archive = match zip::stored_archive(&entries) {
        Ok(archive) => archive,
        Err(error) => {
            tracing::error!(
                adapter = adapter.namespace,
                skill = skill.name,
                %error,
                "failed to build the skill archive"
            );
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "archive_failed",
                &format!(
                    "failed to build the archive of skill `{}`: {error}",
                    skill.name
                ),
            );
        }
    };
    let disposition = format!(
        "attachment; filename=\"{}.zip\"",
        file_name_safe(skill.name)
    );
    let disposition = HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static(
        "attachment; filename=\"skill.zip\"",
    ));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        archive,
    )
        .into_response()
}

/// Renders the `SKILL.md` of a skill: YAML front matter with `name`, `description` and,
/// when set, `allowed-tools` and `argument-hint`, then a Markdown list of its tools.
pub fn render_manifest(skill: &Skill) -> String {
    let mut text = String::from("---\n");
    // Writing to a String cannot fail, so the results of `writeln!` are ignored.
    let _ = writeln!(text, "name: {}", yaml_string(skill.name));
    let _ = writeln!(text, "description: {}", yaml_string(skill.description));
    if let Some(allowed) = skill.allowed_tools {
        let _ = writeln!(text, "allowed-tools: {}", yaml_string(allowed));
    }
    if let Some(hint) = skill.argument_hint {
        let _ = writeln!(text, "argument-hint: {}", yaml_string(hint));
    }
    let _ = writeln!(text, "---\n\n# {}\n\n{}", skill.name, skill.description);
    if skill.tools.is_empty() {
        return text;
    }
    text.push_str("\n## Tools\n\n");
    for tool in skill.tools {
        let _ = write!(text, "- `{}`: {}", tool.name, tool.description);
        match tool.source {
            SkillToolSource::Action { namespace, action } => {
                let _ = writeln!(text, " (calls `{action}` of adapter `{namespace}`)");
            }
            SkillToolSource::Instruction { file } => {
                let _ = writeln!(text, " (instructions in [{file}]({file}))");
            }
        }
    }
    text
}

/// Returns `value` as a double-quoted YAML scalar, so that `:`, `#`, quotes and line breaks
/// in it cannot change the front matter's structure.
fn yaml_string(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for character in value.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            control if control.is_control() => {
                let _ = write!(quoted, "\\u{:04x}", u32::from(control));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

/// Returns `name` with every character other than ASCII letters, digits, `.`, `-` and `_`
/// replaced by `_`, for the `Content-Disposition` file name.
fn file_name_safe(name: &str) -> String {
    name.chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || matches!(character, '.' | '-' | '_') {
                character
            } else {
                '_'
            }
        })
        .collect()
}

/// Returns the skill named by the request, or the message of the `404` to send.
fn find_skill(
    adapter: &'static SkillAdapter,
    name: Result<String, PathRejection>,
) -> Result<&'static Skill, String> {
    let name = name.map_err(|rejection| path_rejected_message(&rejection))?;
    adapter
        .skills
        .iter()
        .find(|skill| skill.name == name)
        .ok_or_else(|| format!("skill `{name}` not found"))
}

/// Returns a skill's files sorted by path.
fn sorted_files(skill: &'static Skill) -> Vec<&'static SkillFile> {
    let mut files: Vec<&SkillFile> = skill.files.iter().collect();
    files.sort_by_key(|file| file.path);
    files
}

/// Returns the message for a path that does not decode (invalid percent-encoding or
/// UTF-8), which is a `404` since no skill or file can have such a name.
fn path_rejected_message(rejection: &PathRejection) -> String {
    format!("no skill or file matches the path: {rejection}")
}

/// Returns a JSON `404` with code `not_found`.
fn not_found_error(message: &str) -> Response {
    error_response(StatusCode::NOT_FOUND, "not_found", message)
}

async fn not_found(request: Request) -> Response {
    not_found_error(&format!(
        "no route for {} {}",
        request.method(),
        request.uri().path()
    ))
}

/// Returns the `Content-Type` of a file: its media type, with `charset=utf-8` for text
/// whose bytes are valid UTF-8.
fn content_type(file: &SkillFile) -> HeaderValue {
    let media_type = media_type(file.path);
    let textual = media_type.starts_with("text/") || media_type == "application/json";
    if textual && std::str::from_utf8(file.contents).is_ok() {
        HeaderValue::from_str(&format!("{media_type}; charset=utf-8"))
            .unwrap_or(HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static(media_type)
    }
}

/// Returns the media type of a file from its extension, `application/octet-stream` for an
/// unknown one.
pub fn media_type(path: &str) -> &'static str {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let Some((_, extension)) = file_name.rsplit_once('.') else {
        return "application/octet-stream";
    };
    match extension.to_ascii_lowercase().as_str() {
        "md" | "markdown" => "text/markdown",
        "txt" | "text" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "py" => "text/x-python",
        "sh" => "application/x-sh",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "xml" => "application/xml",
        "toml" => "application/toml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

/// A minimal zip writer for archives whose entries are stored, not compressed.
///
/// Skill folders are usually a few small text files, already embedded in the binary.
/// Storing them keeps the runtime free of a compression dependency (the `deflate` feature
/// of the `zip` crate, version 9.9, brings in flate2, zlib-rs and zopfli) and makes the
/// archive the same bytes on every request. Every entry carries the fixed DOS time
/// 1980-01-01 00:00 and a UTF-8 name. The layout is PKWARE's zip format (APPNOTE.TXT)
/// without ZIP64, so the archive and each entry must stay under 4 GiB, with at most
/// 65,535 entries.
pub mod zip {
    use std::fmt;

    /// CRC-32 with the IEEE polynomial, reflected, as zip uses it.
    const CRC_TABLE: [u32; 256] = crc_table();

    const fn crc_table() -> [u32; 256] {
        let mut table = [0u32; 256];
        let mut index = 0;
        while index < 256 {
            let mut value = index as u32;
            let mut bit = 0;
            while bit < 8 {
                value = if value & 1 == 1 {
                    (value >> 1) ^ 0xEDB8_8320
                } else {
                    value >> 1
                };
                bit += 1;
            }
            table[index] = value;
            index += 1;
        }
        table
    }

    /// Returns the CRC-32 of `bytes`.
    pub fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in bytes {
            crc = CRC_TABLE[((crc ^ u32::from(*byte)) & 0xFF) as usize] ^ (crc >> 8);
        }
        !crc
    }

    /// An archive that the format without ZIP64 cannot hold.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TooLarge(&'static str);

    impl fmt::Display for TooLarge {
        fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                formatter,
                "{} exceeds what a zip archive without ZIP64 holds",
                self.0
            )
        }
    }

    impl std::error::Error for TooLarge {}

    /// `version needed to extract`: 1.0, enough for stored entries.
    const VERSION: u16 = 10;
    /// General purpose flag bit 11: the name is UTF-8.
    const UTF8_NAME: u16 = 1 << 11;
    /// DOS date of 1980-01-01: year offset 0, month 1, day 1.
    const DOS_DATE: u16 = (1 << 5) | 1;

    /// Builds a zip archive of `entries`, each `(path, bytes)` stored in the given order.
    pub fn stored_archive(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, TooLarge> {
        let count = u16::try_from(entries.len()).map_err(|_| TooLarge("the number of files"))?;
        let mut archive = Vec::new();
        let mut directory = Vec::new();
        for (name, bytes) in entries {
            let offset = u32::try_from(archive.len()).map_err(|_| TooLarge("the archive"))?;
            let size = u32::try_from(bytes.len()).map_err(|_| TooLarge("a file"))?;
            let name_length = u16::try_from(name.len()).map_err(|_| TooLarge("a file name"))?;
            let crc = crc32(bytes);

            // Local file header.
            put_u32(&mut archive, 0x0403_4b50);
            put_common(&mut archive, crc, size, name_length);
            archive.extend_from_slice(name.as_bytes());
            archive.extend_from_slice(bytes);

            // Central directory header.
            put_u32(&mut directory, 0x0201_4b50);
            put_u16(&mut directory, VERSION); // version made by: MS-DOS, 1.0
            put_common(&mut directory, crc, size, name_length);
            put_u16(&mut directory, 0); // file comment length
            put_u16(&mut directory, 0); // disk number start
            put_u16(&mut directory, 0); // internal file attributes
            put_u32(&mut directory, 0); // external file attributes
            put_u32(&mut directory, offset);
            directory.extend_from_slice(name.as_bytes());
        }
        let directory_offset = u32::try_from(archive.len()).map_err(|_| TooLarge("the archive"))?;
        let directory_size =
            u32::try_from(directory.len()).map_err(|_| TooLarge("the central directory"))?;
        directory_offset
            .checked_add(directory_size)
            .ok_or(TooLarge("the archive"))?;
        archive.extend_from_slice(&directory);

        // End of central directory record.
        put_u32(&mut archive, 0x0605_4b50);
        put_u16(&mut archive, 0); // number of this disk
        put_u16(&mut archive, 0); // disk where the central directory starts
        put_u16(&mut archive, count);
        put_u16(&mut archive, count);
        put_u32(&mut archive, directory_size);
        put_u32(&mut archive, directory_offset);
        put_u16(&mut archive, 0); // comment length
        Ok(archive)
    }

    /// Writes the fields that the local and the central header share, from `version
    /// needed to extract` to `extra field length`.
    fn put_common(out: &mut Vec<u8>, crc: u32, size: u32, name_length: u16) {
        put_u16(out, VERSION);
        put_u16(out, UTF8_NAME);
        put_u16(out, 0); // compression method: stored
        put_u16(out, 0); // last modification time: 00:00:00
        put_u16(out, DOS_DATE);
        put_u32(out, crc);
        put_u32(out, size); // compressed size
        put_u32(out, size); // uncompressed size
        put_u16(out, name_length);
        put_u16(out, 0); // extra field length
    }

    fn put_u16(out: &mut Vec<u8>, value: u16) {
        out.extend_from_slice(&value.to_le_bytes());
    }

    fn put_u32(out: &mut Vec<u8>, value: u32) {
        out.extend_from_slice(&value.to_le_bytes());
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn crc32_matches_check_value() {
            // The standard check value of CRC-32/ISO-HDLC for the ASCII digits 1 to 9.
            assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        }

        #[test]
        fn empty_archive_is_end_record_only() {
            let archive = stored_archive(&[]).expect("empty archive builds");
            assert_eq!(archive.len(), 22);
            assert_eq!(&archive[..4], &[0x50, 0x4b, 0x05, 0x06]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::SkillTool;

    static SKILL: Skill = Skill {
        name: "orders",
        description: "Manage orders: list \"open\" ones\nand more",
        allowed_tools: Some("list-orders"),
        argument_hint: None,
        tools: &[
            SkillTool {
                name: "list-orders",
                description: "List orders",
                source: SkillToolSource::Action {
                    namespace: "orders-rest",
                    action: "list-orders",
                },
            },
            SkillTool {
                name: "guide",
                description: "How to work with orders",
                source: SkillToolSource::Instruction { file: "guide.md" },
            },
        ],
        files: &[],
    };

    #[test]
    fn manifest_quotes_front_matter() {
        let manifest = render_manifest(&SKILL);
        assert!(
            manifest.starts_with("---\nname: \"orders\"\n"),
            "{manifest}"
        );
        assert!(
            manifest
                .contains("description: \"Manage orders: list \\\"open\\\" ones\\nand more\"\n"),
            "{manifest}"
        );
        assert!(
            manifest.contains("allowed-tools: \"list-orders\"\n"),
            "{manifest}"
        );
        assert!(!manifest.contains("argument-hint"), "{manifest}");
    }

    #[test]
    fn manifest_lists_tools() {
        let manifest = render_manifest(&SKILL);
        assert!(
            manifest.contains(
                "- `list-orders`: List orders (calls `list-orders` of adapter `orders-rest`)\n"
            ),
            "{manifest}"
        );
        assert!(
            manifest.contains(
                "- `guide`: How to work with orders (instructions in [guide.md](guide.md))\n"
            ),
            "{manifest}"
        );
    }

    #[test]
    fn media_type_by_extension() {
        assert_eq!(media_type("guide.md"), "text/markdown");
        assert_eq!(media_type("examples/data.JSON"), "application/json");
        assert_eq!(media_type("dir.d/README"), "application/octet-stream");
        assert_eq!(media_type("archive.bin"), "application/octet-stream");
    }

    #[test]
    fn file_name_safe_replaces_quotes() {
        assert_eq!(file_name_safe("a\"b c/d.e"), "a_b_c_d.e");
    }
}
