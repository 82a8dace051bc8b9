//! The Docker Hub capability of `common` with a control adapter, a server started on loopback
//! ports against a fake upstream, and a checker of the Prometheus text format.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::env::VarError;

use naftiko_runtime::descriptor::{
    BindSource, BindVariable, CallerAuth, Capability, ControlAdapter, TemplatePart,
};
use naftiko_runtime::serve::{self, AdapterKind, ServeOptions, Server};

use crate::common::{
    CONSUMES_NAMESPACE, DOCKER_HUB, MCP_ADAPTER, MCP_NAMESPACE, REST_ADAPTER, REST_NAMESPACE,
    TOKEN_VARIABLE,
};

/// The control expose namespace.
pub const CONTROL_NAMESPACE: &str = "ops";

/// The token callers of [`AUTH_CONTROL`] must send.
pub const CONTROL_TOKEN: &str = "control-token-5d1";

/// A control adapter with every endpoint and no caller authentication.
pub static OPEN_CONTROL: ControlAdapter = ControlAdapter {
    namespace: CONTROL_NAMESPACE,
    address: None,
    port: 9199,
    auth: None,
    health: true,
    info: true,
    metrics: true,
};

/// A control adapter that serves only `/metrics`, to bearer-authenticated callers.
pub static AUTH_CONTROL: ControlAdapter = ControlAdapter {
    namespace: CONTROL_NAMESPACE,
    address: None,
    port: 9199,
    auth: Some(CallerAuth::Bearer {
        token: &[TemplatePart::Literal(CONTROL_TOKEN)],
    }),
    health: false,
    info: false,
    metrics: true,
};

/// Declares the capability of `common`, without its description, with these control adapters.
macro_rules! capability_with_control {
    ($name:ident, $control:expr) => {
        pub static $name: Capability = Capability {
            name: "docker-hub-org-access-tokens",
            spec_file: "specs/docker-hub-org-access-tokens.yaml",
            description: None,
            binds: &[BindVariable {
                namespace: "env",
                key: TOKEN_VARIABLE,
                source: BindSource::Env(TOKEN_VARIABLE),
                used_by: &["capability.consumes[0].authentication.token"],
            }],
            consumes: &[&DOCKER_HUB],
            rest: &[&REST_ADAPTER],
            mcp: &[&MCP_ADAPTER],
            control: $control,
            skill: &[],
        };
    };
}

capability_with_control!(OPEN_CAPABILITY, &[&OPEN_CONTROL]);
capability_with_control!(AUTH_CAPABILITY, &[&AUTH_CONTROL]);

pub static OPEN_CAPABILITIES: &[&Capability] = &[&OPEN_CAPABILITY];
pub static AUTH_CAPABILITIES: &[&Capability] = &[&AUTH_CAPABILITY];

fn env_with_token(name: &str) -> Result<String, VarError> {
    match name {
        TOKEN_VARIABLE => Ok("dckr_oat_control-test".to_owned()),
        _ => Err(VarError::NotPresent),
    }
}

/// Options that bind every adapter to a free loopback port and send upstream calls to
/// `upstream_base_uri`.
pub fn loopback_options(upstream_base_uri: &str) -> ServeOptions {
    ServeOptions {
        address: None,
        ports: BTreeMap::from([
            (REST_NAMESPACE.to_owned(), 0),
            (MCP_NAMESPACE.to_owned(), 0),
            (CONTROL_NAMESPACE.to_owned(), 0),
        ]),
        base_uris: BTreeMap::from([(CONSUMES_NAMESPACE.to_owned(), upstream_base_uri.to_owned())]),
        ..ServeOptions::default()
    }
}

/// Starts every adapter of `capabilities` on loopback ports.
pub async fn start(capabilities: &'static [&'static Capability], upstream: &str) -> Server {
    serve::start(capabilities, &loopback_options(upstream), env_with_token)
        .await
        .expect("server starts")
}

/// Returns the URL of the first listener of `kind`.
pub fn url_of(server: &Server, kind: AdapterKind) -> String {
    server
        .listeners()
        .iter()
        .find(|listener| listener.kind == kind)
        .map(|listener| listener.url())
        .unwrap_or_else(|| panic!("no {kind} listener"))
}

/// Returns an HTTP client that never uses a proxy.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("test client builds")
}

/// One sample of a Prometheus text exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric name, with any `_bucket`, `_sum` or `_count` suffix.
    pub name: String,
    /// The labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
}

/// Parses a Prometheus text exposition (format 0.0.4), failing with the line number and the
/// reason on the first line that does not follow the format.
///
/// It checks `# HELP` and `# TYPE` lines, metric and label names, label value escapes,
/// values, that every sample belongs to a family whose `# TYPE` came before it, and that no
/// family is declared twice.
pub fn parse_exposition(text: &str) -> Result<Vec<Sample>, String> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Vec::new();
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("the exposition does not end with a line feed".to_owned());
    }
    for (number, line) in text.lines().enumerate() {
        let fail = |reason: &str| Err(format!("line {}: {reason}: {line:?}", number + 1));
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut words = rest.splitn(3, ' ');
            let keyword = words.next().unwrap_or_default();
            let name = words.next().unwrap_or_default();
            let tail = words.next().unwrap_or_default();
            match keyword {
                "HELP" => {
                    if !is_metric_name(name) {
                        return fail("invalid metric name in HELP");
                    }
                    if has_bad_escape(tail, &['\\', 'n']) {
                        return fail("invalid escape in HELP text");
                    }
                }
                "TYPE" => {
                    if !is_metric_name(name) {
                        return fail("invalid metric name in TYPE");
                    }
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&tail) {
                        return fail("invalid metric type");
                    }
                    if types.insert(name.to_owned(), tail.to_owned()).is_some() {
                        return fail("a second TYPE line for one family");
                    }
                }
                _ => {}
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let sample = match parse_sample(line) {
            Ok(sample) => sample,
            Err(reason) => return fail(&reason),
        };
        let family = family_of(&sample.name, &types);
        let Some(kind) = family.and_then(|family| types.get(family)) else {
            return fail("a sample before the TYPE line of its family");
        };
        if kind == "histogram"
            && sample.name.ends_with("_bucket")
            && !sample.labels.contains_key("le")
        {
            return fail("a histogram bucket without an le label");
        }
        samples.push(sample);
    }
    Ok(samples)
}

fn family_of<'a>(name: &'a str, types: &BTreeMap<String, String>) -> Option<&'a str> {
    if types.contains_key(name) {
        return Some(name);
    }
    ["_bucket", "_sum", "_count"]
        .iter()
        .filter_map(|suffix| name.strip_suffix(suffix))
        .find(|family| types.get(*family).is_some_and(|kind| kind == "histogram"))
}

fn is_metric_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == ':')
        && characters.all(|character| character.is_ascii_alphanumeric() || "_:".contains(character))
}

fn is_label_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_')
}

/// Returns whether `text` has a backslash not followed by one of `allowed`.
fn has_bad_escape(text: &str, allowed: &[char]) -> bool {
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character == '\\'
            && !characters
                .next()
                .is_some_and(|next| allowed.contains(&next))
        {
            return true;
        }
    }
    false
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(['{', ' '])
        .ok_or_else(|| "a sample without a value".to_owned())?;
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err("invalid metric name".to_owned());
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(after_brace) = rest.strip_prefix('{') {
        let mut characters = after_brace.char_indices();
        loop {
            // A label name up to `=`, or the closing brace.
            let mut label = String::new();
            let mut closed = None;
            for (index, character) in characters.by_ref() {
                match character {
                    '}' if label.is_empty() => {
                        closed = Some(index);
                        break;
                    }
                    '=' => break,
                    other => label.push(other),
                }
            }
            if let Some(index) = closed {
                rest = &after_brace[index + 1..];
                break;
            }
            if !is_label_name(&label) {
                return Err(format!("invalid label name {label:?}"));
            }
            if characters.next().map(|(_, character)| character) != Some('"') {
                return Err(format!("label {label} has no quoted value"));
            }
            let mut value = String::new();
            let mut terminated = false;
            while let Some((_, character)) = characters.next() {
                match character {
                    '\\' => match characters.next().map(|(_, next)| next) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        _ => return Err(format!("invalid escape in label {label}")),
                    },
                    '"' => {
                        terminated = true;
                        break;
                    }
                    '\n' => return Err("a raw line feed in a label value".to_owned()),
                    other => value.push(other),
                }
            }
            if !terminated {
                return Err(format!("label {label} has an unterminated value"));
            }
            if labels.insert(label.clone(), value).is_some() {
                return Err(format!("label {label} appears twice"));
            }
            match characters.next() {
                Some((_, ',')) => continue,
                Some((index, '}')) => {
                    rest = &after_brace[index + 1..];
                    break;
                }
                _ => return Err("expected `,` or `}` after a label".to_owned()),
            }
        }
    }
    let mut fields = rest
        .strip_prefix(' ')
        .ok_or_else(|| "expected one space before the value".to_owned())?
        .split(' ');
    let value_text = fields.next().unwrap_or_default();
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        text => text
            .parse::<f64>()
            .map_err(|_| format!("invalid value {text:?}"))?,
    };
    if let Some(timestamp) = fields.next() {
        timestamp
            .parse::<i64>()
            .map_err(|_| format!("invalid timestamp {timestamp:?}"))?;
    }
    if fields.next().is_some() {
        return Err("extra fields after the value".to_owned());
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Returns the value of the sample of `name` whose labels include every pair of `labels`,
/// or 0 when there is none. Fails when several samples match.
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let matching: Vec<&Sample> = samples
        .iter()
        .filter(|sample| sample.name == name)
        .filter(|sample| {
            labels
                .iter()
                .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
        })
        .collect();
    assert!(
        matching.len() <= 1,
        "several samples of {name} match {labels:?}: {matching:?}"
    );
    matching.first().map_or(0.0, |sample| sample.value)
}
