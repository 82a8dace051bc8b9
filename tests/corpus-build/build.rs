//! Generates code for every corpus spec that compiles, so that building this crate
//! checks that all of it is valid Rust without warnings.

use std::path::{Path, PathBuf};

fn main() {
    let corpus = Path::new("../corpus");
    println!("cargo::rerun-if-changed={}", corpus.display());

    let mut files = Vec::new();
    collect(corpus, &mut files);
    let specs: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(corpus)
                .unwrap_or(&path)
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            (path, name)
        })
        .collect();

    // Specs with errors are left out here; the corpus test in the root package checks
    // each of them against its recorded error.
    let generated = naftiko_codegen::generate_specs(&specs, false);
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("Cargo sets OUT_DIR"));
    for (name, contents) in &generated.files {
        std::fs::write(out_dir.join(name), contents).expect("OUT_DIR is writable");
    }
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
}
