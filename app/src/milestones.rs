//! Named moments on the page's performance timeline (`performance.mark`), so the app
//! benchmark and DevTools can tell where the time to an open record goes: unlocking,
//! reading the sealed log, decrypting it, building the summary. A mark costs next to
//! nothing and holds no data, only its name and time.

/// The account identity is in memory.
pub const UNLOCKED: &str = "folio:unlocked";
/// The record's keys are unwrapped.
pub const KEYS_OPENED: &str = "folio:keys-opened";
/// Every sealed segment is here (from the kept copy and the server).
pub const LOG_READ: &str = "folio:log-read";
/// The log is decrypted into the record's entries.
pub const DECRYPTED: &str = "folio:decrypted";
/// The start page's summary is built from the entries.
pub const SUMMARY_BUILT: &str = "folio:summary-built";

pub fn reached(milestone: &'static str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(milestone);
    }
}
