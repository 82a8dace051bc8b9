//! Errors and warnings about a spec, rendered like a compiler's.

use std::fmt;

use crate::yaml::Pos;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The spec cannot be compiled.
    Error,
    /// The spec compiles, but something was guessed or ignored.
    Warning,
}

/// One finding about a spec, with the place it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The spec file, as the user named it (`specs/x.yaml`).
    pub file: String,
    /// Where in the file.
    pub pos: Pos,
    /// What is wrong, naming the field or value.
    pub message: String,
    /// What to do about it, when there is something to suggest.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// Sets what the user could do about it.
    pub fn hint(&mut self, hint: impl Into<String>) {
        self.hint = Some(hint.into());
    }
}

impl fmt::Display for Diagnostic {
    /// Renders `FILE:LINE:COL: error: MESSAGE`, then the hint on its own line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {severity}: {}",
            self.file, self.pos.line, self.pos.column, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// The diagnostics of one spec file, collected so that a phase reports all of its
/// errors at once.
#[derive(Debug, Default)]
pub struct Diagnostics {
    files: Vec<String>,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Starts an empty list for `file`.
    pub fn new(file: impl Into<String>) -> Self {
        Self {
            files: vec![file.into()],
            items: Vec::new(),
        }
    }

    /// Registers another file that the spec reads, such as an imported consumes file,
    /// and returns the index its positions carry.
    pub fn add_file(&mut self, file: impl Into<String>) -> u32 {
        self.files.push(file.into());
        (self.files.len() - 1) as u32
    }

    /// Records an error and returns it, so a hint can be added.
    pub fn error(&mut self, pos: Pos, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Error, pos, message.into())
    }

    /// Records a warning and returns it, so a hint can be added.
    pub fn warning(&mut self, pos: Pos, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Warning, pos, message.into())
    }

    fn push(&mut self, severity: Severity, pos: Pos, message: String) -> &mut Diagnostic {
        self.items.push(Diagnostic {
            severity,
            file: self
                .files
                .get(pos.file as usize)
                .unwrap_or(&self.files[0])
                .clone(),
            pos,
            message,
            hint: None,
        });
        self.items.last_mut().expect("an item was just pushed")
    }

    /// Tells whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Returns the diagnostics sorted by position, errors before warnings at one place.
    ///
    /// A part of a spec that several operations share, such as an API-level parameter, is
    /// checked once for each of them. Its diagnostic is reported once.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items
            .sort_by(|a, b| (&a.file, a.pos, a.severity).cmp(&(&b.file, b.pos, b.severity)));
        // Equal diagnostics share a place, so each is looked for among its place's only.
        let mut unique: Vec<Diagnostic> = Vec::with_capacity(self.items.len());
        for item in self.items {
            let same_place = |d: &&Diagnostic| {
                (&d.file, d.pos, d.severity) == (&item.file, item.pos, item.severity)
            };
            if !unique
                .iter()
                .rev()
                .take_while(same_place)
                .any(|d| *d == item)
            {
                unique.push(item);
            }
        }
        unique
    }
}
