//! `naftiko-codegen check SPEC...`: runs every stage on the given specs and prints
//! the diagnostics, without building anything.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: naftiko-codegen check SPEC...";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("check") => {}
        Some("-h" | "--help") => {
            println!("{USAGE}\n\nChecks Naftiko capability specs and prints errors and warnings.");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if files.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }

    let mut errors = 0;
    let mut warnings = 0;
    for file in &files {
        let compiled = naftiko_codegen::compile_file(file);
        if let Some(capability) = &compiled.capability {
            // Emitting cannot fail on a resolved spec; running it checks that claim.
            naftiko_codegen::emit::capability(capability);
        }
        for diagnostic in &compiled.diagnostics {
            match diagnostic.severity {
                naftiko_codegen::Severity::Error => errors += 1,
                naftiko_codegen::Severity::Warning => warnings += 1,
            }
            eprintln!("{diagnostic}");
        }
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
