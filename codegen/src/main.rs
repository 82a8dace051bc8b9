//! `naftiko-codegen`: runs the generator on specs outside a build.
//!
//! - `check SPEC...` runs every stage and prints the diagnostics, those of adapters of
//!   different specs that share a port included.
//! - `openapi DIR SPEC...` checks each spec alone and writes the OpenAPI document of each
//!   REST adapter of the specs that compile to `DIR/CAPABILITY.NAMESPACE.json`, so that a
//!   validator can read them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use naftiko_codegen::{Compiled, Severity};

const USAGE: &str =
    "usage: naftiko-codegen check SPEC...\n       naftiko-codegen openapi DIR SPEC...";

/// The action taken on each spec that compiles.
enum Command {
    Check,
    OpenApi(PathBuf),
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = match args.next().as_deref() {
        Some("check") => Command::Check,
        Some("openapi") => match args.next() {
            Some(dir) => Command::OpenApi(PathBuf::from(dir)),
            None => return usage_error(),
        },
        Some("-h" | "--help") => {
            println!(
                "{USAGE}\n\nChecks Naftiko capability specs and prints errors and warnings; \
                 `openapi` also writes the OpenAPI document of each REST adapter to DIR."
            );
            return ExitCode::SUCCESS;
        }
        _ => return usage_error(),
    };
    let files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if files.is_empty() {
        return usage_error();
    }
    if let Command::OpenApi(dir) = &command
        && let Err(error) = std::fs::create_dir_all(dir)
    {
        eprintln!("cannot create {}: {error}", dir.display());
        return ExitCode::from(2);
    }

    let mut errors = 0;
    let mut warnings = 0;
    let mut count = |diagnostic: &naftiko_codegen::Diagnostic| {
        match diagnostic.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
        eprintln!("{diagnostic}");
    };
    let mut capabilities = Vec::new();
    for file in &files {
        let compiled = naftiko_codegen::compile_file(file);
        if let Some(capability) = &compiled.capability {
            // Emitting cannot fail on a resolved spec; running it checks that claim.
            naftiko_codegen::emit::capability(capability);
        }
        if let Command::OpenApi(dir) = &command
            && let Err(error) = write_documents(&compiled, dir)
        {
            eprintln!("cannot write to {}: {error}", dir.display());
            return ExitCode::from(2);
        }
        compiled.diagnostics.iter().for_each(&mut count);
        capabilities.extend(compiled.capability);
    }
    // Adapters of different specs that share a listener must fit together, as in a build.
    // `openapi` reads specs one by one, which need not be built together.
    if let Command::Check = command {
        naftiko_codegen::clash::check(&capabilities)
            .iter()
            .for_each(&mut count);
    }
    eprintln!(
        "checked {} spec(s): {errors} error(s), {warnings} warning(s)",
        files.len()
    );
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn usage_error() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

/// Writes the OpenAPI document of every REST adapter of a compiled spec to `dir`.
fn write_documents(compiled: &Compiled, dir: &Path) -> std::io::Result<()> {
    let Some(capability) = &compiled.capability else {
        return Ok(());
    };
    for adapter in &capability.rest {
        let document = naftiko_codegen::openapi::document(capability, adapter);
        let file = dir.join(format!("{}.{}.json", capability.name, adapter.namespace));
        std::fs::write(file, document)?;
    }
    Ok(())
}
