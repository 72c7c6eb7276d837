//! SMART Health Cards: JWS, `shc:/` QR text and card files from arbitrary bytes.
#![no_main]

use folio_shared::import::{ImportOptions, import_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ImportOptions::new(chrono::DateTime::UNIX_EPOCH);
    let mut qr = b"shc:/".to_vec();
    qr.extend_from_slice(data);
    let _ = import_file("fuzz.txt", &qr, &opts);
    let _ = import_file("fuzz.smart-health-card", data, &opts);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = folio_shared::import::shc::decode_jws("fuzz", text, 1 << 20);
    }
});
