//! The store's boundary, held by a test: no SQL outside `src/store/`.
//! The rest of the program reads and writes through the store's typed
//! functions, so a second database (issue 25) needs a second store only.

use std::path::Path;

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            found.push((path.display().to_string(), text));
        }
    }
}

#[test]
fn no_sql_is_written_outside_the_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let store = src.join("store").display().to_string();
    let outside: Vec<&str> = files
        .iter()
        .filter(|(path, _)| !path.starts_with(&store))
        .filter(|(_, text)| {
            ["sqlx::query", "sqlx::raw_sql", "query_scalar(", "query_as("]
                .iter()
                .any(|call| text.contains(call))
        })
        .map(|(path, _)| path.as_str())
        .collect();
    assert!(files.len() > 100, "the sources were not found");
    assert!(outside.is_empty(), "SQL outside the store: {outside:?}");
}
