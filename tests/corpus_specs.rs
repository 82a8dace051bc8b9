//! Runs the generator on every spec of the corpus in `tests/corpus`: real specs
//! written by others, copied with their sources in `tests/corpus/SOURCES.tsv`.
//!
//! Each file either compiles or fails with the first error recorded for it in
//! `tests/corpus/expected-errors.tsv`, which also says why. A file that starts to
//! compile, or fails differently, fails this test until the list is updated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use naftiko_codegen::Severity;

const CORPUS: &str = "tests/corpus";
const KINDS: [&str; 4] = ["broken", "fragment", "rejected", "unsupported"];

struct Expected {
    kind: String,
    message: String,
}

fn expected_errors() -> BTreeMap<String, Expected> {
    let text = std::fs::read_to_string(Path::new(CORPUS).join("expected-errors.tsv"))
        .expect("the expected-errors list is committed");
    let mut entries = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let columns: Vec<&str> = line.split('\t').collect();
        assert_eq!(columns.len(), 4, "expected 4 columns in: {line}");
        assert!(KINDS.contains(&columns[1]), "unknown kind in: {line}");
        assert!(!columns[3].trim().is_empty(), "no reason in: {line}");
        let expected = Expected {
            kind: columns[1].to_string(),
            message: columns[2].to_string(),
        };
        assert!(
            entries.insert(columns[0].to_string(), expected).is_none(),
            "listed twice: {}",
            columns[0]
        );
    }
    entries
}

fn corpus_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the corpus folder is readable")
        .map(|entry| entry.expect("a readable folder entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            corpus_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
}

/// Returns the capability name of a corpus file: its path without the extension.
fn capability_name(relative: &str) -> String {
    relative
        .rsplit_once('.')
        .map_or(relative, |(stem, _)| stem)
        .to_string()
}

#[test]
fn corpus_compiles_or_fails_as_recorded() {
    let mut expected = expected_errors();
    let mut files = Vec::new();
    corpus_files(Path::new(CORPUS), &mut files);
    assert!(
        files.len() > 150,
        "the corpus is incomplete: {} files",
        files.len()
    );

    let mut problems = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let relative = file
            .strip_prefix(CORPUS)
            .expect("inside the corpus")
            .to_string_lossy()
            .replace('\\', "/");
        let compiled = naftiko_codegen::compile_file_named(file, &capability_name(&relative));
        let first_error = compiled
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
            .map(|d| d.message.clone());

        match (first_error, expected.remove(&relative)) {
            (None, None) => *counts.entry("compiles".into()).or_default() += 1,
            (None, Some(_)) => {
                problems.push(format!("{relative}: compiles now; remove it from the list"))
            }
            (Some(message), None) => problems.push(format!(
                "{relative}: fails with `{message}`; not in the list"
            )),
            (Some(message), Some(entry)) if message != entry.message => problems.push(format!(
                "{relative}: fails with `{message}`, but the list expects `{}`",
                entry.message
            )),
            (Some(_), Some(entry)) => *counts.entry(entry.kind).or_default() += 1,
        }
    }
    for relative in expected.keys() {
        problems.push(format!("{relative}: listed, but not in the corpus"));
    }

    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("corpus: {counts:?}");
}
