//! Invalid definitions and the exact messages they get, as data: each
//! `tests/data/invalid/NAME.xml` is refused with the problems listed in `NAME.err`,
//! one `PATH: message` per line. `UPDATE_GOLDEN=1 cargo test --test invalid_definitions`
//! rewrites the `.err` files; read the diff before committing it.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{stem, xml_files};
use virtnet::model::parse_and_validate;

#[test]
fn every_invalid_definition_gets_its_expected_messages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/invalid");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let cases = xml_files(&dir);
    assert!(cases.len() >= 30, "expected the invalid cases in {}", dir.display());
    let mut failures = Vec::new();
    for case in &cases {
        let text = std::fs::read_to_string(case).unwrap();
        let actual = match parse_and_validate(&text) {
            Ok(_) => {
                failures.push(format!("{}: accepted, but it is invalid", stem(case)));
                continue;
            }
            Err(problems) => format!("{problems}\n"),
        };
        let err_file = case.with_extension("err");
        if update {
            std::fs::write(&err_file, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&err_file).unwrap_or_default();
        if actual != expected {
            failures.push(format!("{}:\n--- expected\n{expected}--- actual\n{actual}", stem(case)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
