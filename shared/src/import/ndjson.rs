//! FHIR Bulk Data NDJSON: one resource per line. Locations are line numbers; a bad line
//! fails the whole file (all or nothing), a blank line is ignored.

use super::EntrySink;
use super::error::ImportError;
use super::fhir_json::{collect_at, parse_json};
use super::identity::{FileScope, assign_ids_and_push};

pub(crate) fn import_ndjson(sink: &mut EntrySink<'_>, text: &str) -> Result<(), ImportError> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value = parse_json(sink, line, Some(number))?;
        // Each line is a top-level value: the same checks as a JSON file, located by line.
        collect_at(sink, value, "", None, &mut found, Some(number))?;
    }
    let source = sink.source();
    assign_ids_and_push(sink, found, &FileScope::of(text.as_bytes()), &source)
}
