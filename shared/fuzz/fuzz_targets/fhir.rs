//! FHIR JSON, NDJSON and zip input: the importer must return, never panic, whatever the bytes.
#![no_main]

use folio_shared::import::{ImportOptions, import_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ImportOptions::new(chrono::DateTime::UNIX_EPOCH);
    let _ = import_file("fuzz.json", data, &opts);
    let _ = import_file("fuzz.ndjson", data, &opts);
});
