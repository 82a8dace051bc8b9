//! Pins the rendered diagnostics of each invalid spec in `tests/invalid/`.

use std::path::Path;

#[test]
fn invalid_specs_report_every_problem() {
    let dir = Path::new("tests/invalid");
    let files = naftiko_codegen::spec_files(dir).expect("the fixture folder exists");
    assert!(files.len() >= 8, "fixtures missing: {files:?}");

    for file in files {
        let compiled = naftiko_codegen::compile_file(&file);
        assert!(compiled.capability.is_none(), "{} compiled", file.display());

        let rendered: Vec<String> = compiled
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect();
        let name = file
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        insta::assert_snapshot!(name, rendered.join("\n"));
    }
}
