//! Bind variables, resolved once at start-up and kept out of every message.

use std::env::VarError;
use std::fmt;

use crate::descriptor::{BindSource, Capability};

/// A value that must never be shown: its `Debug` and `Display` output is `Secret(***)`.
#[derive(Clone)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().into_boxed_str())
    }

    /// Returns the value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret(***)")
    }
}

/// The values of a capability's bind variables, indexed like [`Capability::binds`].
#[derive(Debug, Clone, Default)]
pub struct BindValues {
    values: Vec<Secret>,
}

/// Returns why a bind value cannot be used, if it cannot.
///
/// A line break is refused at start-up because no header or URL can carry it, and it is
/// most often a trailing newline copied along with a token.
fn unusable(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if value.contains(['\r', '\n']) {
        Some("contains a line break (CR or LF); remove it, often a trailing newline")
    } else {
        None
    }
}

impl BindValues {
    /// Reads every bind variable of `capability` from the process environment.
    pub fn from_env(capability: &'static Capability) -> Result<Self, BindError> {
        Self::resolve(capability, |name| std::env::var(name))
    }

    /// Reads every bind variable of `capability` through `lookup`, which behaves like
    /// [`std::env::var`]. Reports every missing variable at once.
    pub fn resolve(
        capability: &'static Capability,
        lookup: impl Fn(&str) -> Result<String, VarError>,
    ) -> Result<Self, BindError> {
        let mut values = Vec::with_capacity(capability.binds.len());
        let mut missing = Vec::new();
        let mut files = crate::bind_file::Files::default();
        for variable in capability.binds {
            let (source, problem) = match variable.source {
                BindSource::Env(name) => {
                    let problem = match lookup(name) {
                        Ok(value) => match unusable(&value) {
                            Some(problem) => problem.to_owned(),
                            None => {
                                values.push(Secret::new(value));
                                continue;
                            }
                        },
                        Err(VarError::NotPresent) => "is not set".to_owned(),
                        Err(VarError::NotUnicode(_)) => "is not valid UTF-8".to_owned(),
                    };
                    (format!("environment variable {name}"), problem)
                }
                BindSource::File { path, key } => match files.get(path, key) {
                    Ok(value) => match unusable(&value) {
                        Some(problem) => (format!("key {key} of {path}"), problem.to_owned()),
                        None => {
                            values.push(Secret::new(value));
                            continue;
                        }
                    },
                    Err(problem) => (format!("key {key} of {path}"), problem),
                },
            };
            missing.push(UnresolvedVariable {
                source,
                problem,
                used_by: variable.used_by,
            });
        }
        if missing.is_empty() {
            Ok(Self { values })
        } else {
            Err(BindError {
                spec_file: capability.spec_file,
                missing,
            })
        }
    }

    /// Wraps values given directly, one per entry of [`Capability::binds`], in order.
    pub fn from_values(values: Vec<Secret>) -> Self {
        Self { values }
    }

    /// Returns the value of [`Capability::binds`]`[index]`.
    pub fn get(&self, index: usize) -> Option<&Secret> {
        self.values.get(index)
    }
}

/// A bind variable that could not be read at start-up.
#[derive(Debug, Clone)]
pub struct UnresolvedVariable {
    /// Where the value was read from, such as `environment variable API_TOKEN`.
    pub source: String,
    /// Why it is unusable, such as `is not set` or `is empty`.
    pub problem: String,
    /// The spec fields that use it.
    pub used_by: &'static [&'static str],
}

/// Bind variables of one spec that could not be read, as one start-up error.
#[derive(Debug, Clone, thiserror::Error)]
pub struct BindError {
    /// The spec file that declares the variables.
    pub spec_file: &'static str,
    /// Every unusable variable.
    pub missing: Vec<UnresolvedVariable>,
}

impl fmt::Display for BindError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, variable) in self.missing.iter().enumerate() {
            if position > 0 {
                formatter.write_str("; ")?;
            }
            write!(
                formatter,
                "{} {} (required by {}",
                variable.source, variable.problem, self.spec_file
            )?;
            if !variable.used_by.is_empty() {
                write!(formatter, ": {}", variable.used_by.join(", "))?;
            }
            formatter.write_str(")")?;
        }
        formatter.write_str("; set it and start again")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::BindVariable;

    static CAPABILITY: Capability = Capability {
        name: "example",
        spec_file: "specs/example.yaml",
        description: None,
        binds: &[
            BindVariable {
                namespace: "env",
                key: "TOKEN",
                source: BindSource::Env("EXAMPLE_TOKEN"),
                used_by: &["capability.consumes[0].authentication.token"],
            },
            BindVariable {
                namespace: "env",
                key: "USER",
                source: BindSource::Env("EXAMPLE_USER"),
                used_by: &[],
            },
        ],
        consumes: &[],
        rest: &[],
        mcp: &[],
        control: &[],
        skill: &[],
    };

    #[test]
    fn secret_debug_and_display_hide_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(format!("{secret}"), "Secret(***)");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn resolve_reads_every_variable() {
        let values = BindValues::resolve(&CAPABILITY, |name| Ok(format!("{name}-value")))
            .expect("both variables resolve");
        assert_eq!(
            values.get(0).map(Secret::expose),
            Some("EXAMPLE_TOKEN-value")
        );
        assert_eq!(
            values.get(1).map(Secret::expose),
            Some("EXAMPLE_USER-value")
        );
        assert!(values.get(2).is_none());
    }

    #[test]
    fn resolve_reports_missing_variable() {
        let error = BindValues::resolve(&CAPABILITY, |name| match name {
            "EXAMPLE_USER" => Ok("someone".to_owned()),
            _ => Err(VarError::NotPresent),
        })
        .expect_err("EXAMPLE_TOKEN is missing");
        let message = error.to_string();
        assert_eq!(error.missing.len(), 1);
        assert!(message.contains("EXAMPLE_TOKEN is not set"), "{message}");
        assert!(message.contains("specs/example.yaml"), "{message}");
        assert!(
            message.contains("capability.consumes[0].authentication.token"),
            "{message}"
        );
    }

    #[test]
    fn resolve_reports_all_missing_and_empty() {
        let error = BindValues::resolve(&CAPABILITY, |name| match name {
            "EXAMPLE_USER" => Ok(String::new()),
            _ => Err(VarError::NotPresent),
        })
        .expect_err("both variables are unusable");
        let message = error.to_string();
        assert_eq!(error.missing.len(), 2);
        assert!(message.contains("EXAMPLE_TOKEN is not set"), "{message}");
        assert!(message.contains("EXAMPLE_USER is empty"), "{message}");
    }

    #[test]
    fn resolve_refuses_line_breaks() {
        let error = BindValues::resolve(&CAPABILITY, |name| match name {
            "EXAMPLE_USER" => Ok("user".to_owned()),
            _ => Ok("token-1\n".to_owned()),
        })
        .expect_err("a line break is refused");
        let message = error.to_string();
        assert_eq!(error.missing.len(), 1);
        assert!(
            message.contains("EXAMPLE_TOKEN contains a line break"),
            "{message}"
        );
        assert!(!message.contains("token-1"), "{message}");
    }
}
