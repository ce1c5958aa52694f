//! The phrases the code names, checked against the phrase tables: every
//! key a call names exists in both languages, and every field a phrase
//! reads is one the call passes. A phrase is rendered only when someone
//! meets it, and a missing one shows a staff member the plain apology; this
//! finds it when the tests run instead.
//!
//! The calls are read from the source: a call of `phrase`, `say_phrase`,
//! `recorded` (a button's answer), `line`, `say`, `fail` or
//! `frame`/`answer`/`presses` (the rehearsal's) whose
//! first string literal is a phrase key, and the fields of the `json!({…})`
//! object it passes, when it passes one written out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::*;

/// The names of the calls that take a phrase key.
const CALLS: [&str; 9] = [
    "phrase(",
    "say_phrase(",
    "recorded(",
    ".frame(",
    ".line(",
    ".say(",
    ".fail(",
    ".answer(",
    ".presses(",
];

/// Variables a phrase may read without the call passing them: the
/// language and the LSP, which every phrase is given, and the zone.
const GIVEN: [&str; 3] = ["lang", "lsp", "zone"];

/// One call naming a phrase.
#[derive(Debug)]
struct Call {
    at: String,
    key: String,
    /// The fields of the context written out at the call, if it is.
    fields: Option<BTreeSet<String>>,
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // Tests name missing phrases on purpose.
        let test = path
            .file_name()
            .is_some_and(|n| n == "tests" || n == "tests.rs" || n == "phrase_calls.rs");
        if test {
            continue;
        }
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text from `open` (just after a `(` or `{`) to its matching close,
/// string literals skipped.
fn balanced(text: &str, open: usize, close: char) -> &str {
    let opener = if close == ')' { '(' } else { '{' };
    let mut depth = 1;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text[open..].char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            c if c == opener => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..open + i];
                }
            }
            _ => {}
        }
    }
    &text[open..]
}

/// The first string literal of `args`, if it is written first among them
/// or after plain arguments (not inside another call's parentheses).
fn first_literal(args: &str) -> Option<String> {
    let start = args.find('"')?;
    // A literal inside a nested call (`format!("…")`) is not the key.
    if args[..start].contains('(') {
        return None;
    }
    let rest = &args[start + 1..];
    let end = rest.find('"')?;
    Some(rest[..end].to_string())
}

/// The top-level keys of the `json!({…})` object in `args`.
fn json_fields(args: &str) -> Option<BTreeSet<String>> {
    let at = args.find("json!(")?;
    let rest = &args[at + "json!(".len()..];
    let brace = rest.trim_start();
    if !brace.starts_with('{') {
        return None;
    }
    let offset = rest.len() - brace.len() + 1;
    let body = balanced(rest, offset, '}');
    let mut fields = BTreeSet::new();
    let (mut depth, mut i) = (0usize, 0usize);
    let bytes = body.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'"' => {
                let end = body[i + 1..].find('"').map_or(body.len(), |e| i + 1 + e);
                let after = body[end + 1..].trim_start();
                if depth == 0 && after.starts_with(':') {
                    fields.insert(body[i + 1..end].to_string());
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    Some(fields)
}

fn calls(keys: &BTreeSet<String>) -> Vec<Call> {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for name in CALLS {
            for (at, _) in text.match_indices(name) {
                let open = at + name.len();
                let args = balanced(&text, open, ')');
                let Some(key) = first_literal(args) else {
                    continue;
                };
                // A literal that is not shaped like a key is some other call's.
                let shaped = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !shaped || (!keys.contains(&key) && !key.contains('_')) {
                    continue;
                }
                let line = text[..at].lines().count();
                found.push(Call {
                    at: format!(
                        "{}:{line}",
                        file.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                            .unwrap_or(&file)
                            .display()
                    ),
                    key,
                    fields: json_fields(args),
                });
            }
        }
    }
    found
}

#[test]
fn every_phrase_the_code_names_exists_and_is_given_what_it_reads() {
    let t = Templates::embedded(LspInfo::default(), chrono_tz::Asia::Jakarta);
    let keys: BTreeSet<String> = t.sentences.keys().map(|(_, k)| k.clone()).collect();
    let calls = calls(&keys);
    assert!(calls.len() > 100, "the calls were found: {}", calls.len());
    let with_fields = calls.iter().filter(|c| c.fields.is_some()).count();
    assert!(with_fields > 60, "their contexts were read: {with_fields}");
    let mut faults = Vec::new();
    for call in &calls {
        for lang in [Lang::Id, Lang::En] {
            let Some(source) = t.sentences.get(&(lang, call.key.clone())) else {
                faults.push(format!(
                    "{}: no phrase '{}' in {}",
                    call.at,
                    call.key,
                    lang.code()
                ));
                continue;
            };
            let Some(fields) = &call.fields else {
                continue;
            };
            let template = t.env.template_from_str(source).unwrap();
            for variable in template.undeclared_variables(false) {
                if !fields.contains(&variable) && !GIVEN.contains(&variable.as_str()) {
                    faults.push(format!(
                        "{}: phrase '{}' ({}) reads '{variable}', which the call does not pass",
                        call.at,
                        call.key,
                        lang.code()
                    ));
                }
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// The reader of calls finds a missing key and a missing field: written
/// here as the code would write them.
#[test]
fn the_reader_of_calls_sees_keys_and_fields() {
    let args =
        r#"lang, "verdict_set", json!({"name": name, "result": r.code(), "nested": {"x": 1}}))"#;
    assert_eq!(first_literal(args).as_deref(), Some("verdict_set"));
    let fields = json_fields(args).unwrap();
    assert_eq!(
        fields.into_iter().collect::<Vec<_>>(),
        ["name", "nested", "result"]
    );
    assert_eq!(first_literal(r#"format!("{x}"), "k""#), None);
    assert_eq!(json_fields(r#""k", context"#), None);
}
