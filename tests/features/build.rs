//! Compiles every fixture spec in `specs/` into Rust source under `OUT_DIR`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use naftiko_codegen::Severity;

fn main() -> ExitCode {
    let specs = Path::new("specs");
    println!("cargo::rerun-if-changed={}", specs.display());

    let generated = naftiko_codegen::generate(specs);
    for input in &generated.inputs {
        println!("cargo::rerun-if-changed={}", input.display());
    }
    for diagnostic in &generated.diagnostics {
        let kind = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // A Cargo message is one line, so the hint goes on a line of its own.
        for line in diagnostic.to_string().lines() {
            println!("cargo::{kind}={line}");
        }
    }
    if generated.has_errors() {
        return ExitCode::FAILURE;
    }

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("Cargo sets OUT_DIR"));
    for (name, contents) in &generated.files {
        if let Err(error) = write_if_changed(&out_dir.join(name), contents) {
            println!("cargo::error=cannot write {name} to OUT_DIR: {error}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Leaves an unchanged file alone, so that its modification time does not trigger
/// rebuilds.
fn write_if_changed(path: &Path, contents: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents)
}
