//! Compiles Naftiko capability specs into Rust.
//!
//! A spec goes through three stages, each in its own module:
//!
//! 1. [`parse`]: YAML text to the [`model`], keeping the line and column of every
//!    field. The YAML is read with `serde-saphyr`, whose `Spanned` values carry
//!    positions through deserialisation; `serde_yaml` is archived upstream and loses
//!    them, and a build error without a line number is of little use.
//! 2. [`resolve`]: the model to the [`ir`], where every call, parameter and bind
//!    variable is bound and every ambiguity settled, or reported.
//! 3. [`emit`]: the IR to Rust source, formatted by `prettyplease`, which declares
//!    static descriptions that `naftiko-runtime` serves.
//!
//! Each stage reports all of its errors at once as [`Diagnostic`]s that name the
//! file, line and column. A build script calls [`generate`]; `naftiko-codegen check`
//! runs the same stages and prints the diagnostics.

pub mod clash;
pub mod diagnostic;
pub mod emit;
pub mod ident;
pub mod ir;
pub mod model;
pub mod openapi;
pub mod parse;
pub mod resolve;
pub mod yaml;

use std::path::{Path, PathBuf};

pub use diagnostic::{Diagnostic, Severity};

/// The name of the file that includes every generated capability.
pub const INDEX_FILE: &str = "capabilities.rs";

/// The result of compiling a folder of specs.
#[derive(Debug, Default)]
pub struct Generated {
    /// The generated files, as (file name, contents), the index last.
    pub files: Vec<(String, String)>,
    /// Every error and warning, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The spec files that were read.
    pub inputs: Vec<PathBuf>,
}

impl Generated {
    /// Tells whether any spec had an error, in which case `files` is empty.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Compiles every `*.yaml` and `*.yml` file directly inside `dir`, in file name order.
///
/// Messages name each file as `dir/FILE` with `dir` as given, so pass the path the user
/// knows (`specs`), relative to the package root. Nothing is generated when any spec
/// has an error.
pub fn generate(dir: &Path) -> Generated {
    let specs = match spec_files(dir) {
        Ok(specs) => specs,
        Err(error) => {
            let mut generated = Generated::default();
            generated.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                file: dir.display().to_string(),
                pos: yaml::Pos::default(),
                message: format!("cannot read the spec folder: {error}"),
                hint: Some("create the folder and put capability specs in it".into()),
            });
            return generated;
        }
    };
    let named: Vec<(PathBuf, String)> = specs
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (path, stem)
        })
        .collect();
    let generated = generate_specs(&named, true);
    if generated.has_errors() {
        return Generated {
            files: Vec::new(),
            ..generated
        };
    }
    generated
}

/// Compiles the given specs, each with the capability name it is to have.
///
/// With `all_or_nothing`, a spec with an error leaves the rest out too, as a build
/// needs; without it, every spec that compiles is generated, as a survey of many
/// specs needs.
pub fn generate_specs(specs: &[(PathBuf, String)], all_or_nothing: bool) -> Generated {
    let mut generated = Generated::default();
    let mut capabilities = Vec::new();
    let mut modules = std::collections::BTreeMap::new();
    for (path, name) in specs {
        let compiled = compile_file_named(path, name);
        generated.diagnostics.extend(compiled.diagnostics);
        generated.inputs.extend(compiled.imports);
        generated.inputs.push(path.clone());
        let Some(capability) = compiled.capability else {
            continue;
        };
        generated
            .inputs
            .extend(capability.files_read.iter().cloned());
        if let Some(other) = modules.insert(capability.module.clone(), capability.spec_file.clone())
        {
            generated.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                file: capability.spec_file.clone(),
                pos: yaml::Pos::default(),
                message: format!(
                    "`{}` and `{other}` give the same Rust module name `{}`",
                    capability.spec_file, capability.module
                ),
                hint: Some("rename one of the files".into()),
            });
            continue;
        }
        capabilities.push(capability);
    }
    if all_or_nothing {
        generated.diagnostics.extend(clash::check(&capabilities));
    }
    if all_or_nothing && generated.has_errors() {
        return generated;
    }

    let named: Vec<(ir::Capability, String)> = capabilities
        .into_iter()
        .map(|capability| {
            let file = format!("{}.rs", capability.module);
            (capability, file)
        })
        .collect();
    for (capability, file) in &named {
        generated
            .files
            .push((file.clone(), emit::capability(capability)));
    }
    generated
        .files
        .push((INDEX_FILE.to_string(), emit::index(&named)));
    generated
}

/// The result of compiling one spec file.
#[derive(Debug)]
pub struct Compiled {
    /// The resolved capability, when the spec has no error.
    pub capability: Option<ir::Capability>,
    /// Every error and warning, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The shared consumes files the spec imports.
    pub imports: Vec<PathBuf>,
}

/// Parses and resolves one spec file, with the consumes files it imports. The
/// capability is named after the file's stem.
pub fn compile_file(path: &Path) -> Compiled {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    compile_file_named(path, &stem)
}

/// Parses and resolves one spec file as the capability `name`.
pub fn compile_file_named(path: &Path, name: &str) -> Compiled {
    let file = path.display().to_string();
    let mut diagnostics = diagnostic::Diagnostics::new(file);
    let mut imports = Vec::new();
    let capability = match std::fs::read_to_string(path) {
        Ok(text) => compile_text(&text, path, name, &mut diagnostics, &mut imports),
        Err(error) => {
            diagnostics
                .error(
                    yaml::Pos::default(),
                    format!("cannot read the spec: {error}"),
                )
                .hint("check that the file exists and is UTF-8 text");
            None
        }
    };
    Compiled {
        capability,
        diagnostics: diagnostics.into_sorted(),
        imports,
    }
}

fn compile_text(
    text: &str,
    path: &Path,
    name: &str,
    diagnostics: &mut diagnostic::Diagnostics,
    imports: &mut Vec<PathBuf>,
) -> Option<ir::Capability> {
    let mut spec = parse::parse(text, diagnostics)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    for import in std::mem::take(&mut spec.imports) {
        let file = folder.join(import.location.value.trim_start_matches("./"));
        imports.push(file.clone());
        if let Some(consumes) = load_import(&import, &file, diagnostics) {
            spec.consumes.push(consumes);
        }
    }
    if diagnostics.has_errors() {
        return None;
    }

    resolve::resolve(&spec, name, path, diagnostics)
}

/// Reads the consumed API that an `import` entry names from its shared file.
fn load_import(
    import: &model::ConsumesImport,
    file: &Path,
    diagnostics: &mut diagnostic::Diagnostics,
) -> Option<model::Consumes> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            diagnostics
                .error(
                    import.location.pos,
                    format!("cannot read imported file `{}`: {error}", file.display()),
                )
                .hint("`location` is relative to the folder of the importing spec");
            return None;
        }
    };
    let index = diagnostics.add_file(file.display().to_string());
    let candidates = parse::parse_consumes_file(&text, index, diagnostics)?;
    let names: Vec<String> = candidates
        .iter()
        .map(|c| c.namespace.value.clone())
        .collect();
    // An import that names the file itself takes the file's only consumed API.
    let by_file = import.import.value == import.location.value && candidates.len() == 1;
    let Some(mut consumes) = candidates
        .into_iter()
        .find(|c| by_file || c.namespace.value == import.import.value)
    else {
        diagnostics
            .error(
                import.import.pos,
                format!(
                    "`{}` declares no consumed API `{}`",
                    file.display(),
                    import.import.value
                ),
            )
            .hint(format!("it declares: {}", names.join(", ")));
        return None;
    };
    if let Some(alias) = &import.alias {
        consumes.namespace = alias.clone();
    }
    Some(consumes)
}

/// Lists the spec files directly inside `dir`, sorted by file name.
pub fn spec_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_spec = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if is_spec && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
