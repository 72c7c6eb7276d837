//! C-CDA XML: arbitrary text after an XML start must be refused or mapped, never panic.
#![no_main]

use folio_shared::import::{ImportOptions, import_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut opts = ImportOptions::new(chrono::DateTime::UNIX_EPOCH);
    opts.limits.max_xml_nodes = 100_000;
    let mut xml = b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\">".to_vec();
    xml.extend_from_slice(data);
    let _ = import_file("fuzz.xml", &xml, &opts);
    let _ = import_file("fuzz.xml", data, &opts);
});
