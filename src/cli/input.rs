//! Reading definition files given on the command line (`-` is standard input).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::model::xml::dom::MAX_DOCUMENT_BYTES;

/// The file's text, or a sentence saying why it cannot be read.
pub fn read_definition(path: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    // Read one byte past the limit so an oversized file is reported by the parser
    // without loading all of it.
    let limit = u64::try_from(MAX_DOCUMENT_BYTES + 1).unwrap_or(u64::MAX);
    let result = if path == Path::new("-") {
        io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        File::open(path).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    result.map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    })?;
    String::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()))
}
