//! SMART Health Links: how a patient hands part of their record to someone else.
//!
//! A link (`shlink:/…`, usually shown as a QR code) carries a URL and a 256-bit key. The
//! server behind the URL holds only files encrypted under that key, so it is a blind
//! intermediary: whoever holds the link reads the files, the host never can. This module is
//! the codec both ends share, the app that makes links and the receiver that opens them:
//!
//! - [`payload`]: the `shlink:/` URI itself, written exactly and read tolerantly;
//! - [`key`]: the link key, random, zeroized, never printed;
//! - [`jwe`]: the encrypted files (JWE, `dir` + `A256GCM`, optional `zip: DEF`);
//! - [`manifest`]: the JSON of the retrieval protocol for links without the `U` flag.
//!
//! Fetching is the caller's job: like the rest of this crate, the codec does no I/O and
//! builds for `wasm32-unknown-unknown`. The standard is HL7's *SMART Health Cards and
//! Links* IG, STU1 (2025).

pub mod jwe;
pub mod key;
pub mod manifest;
pub mod payload;

pub use jwe::{Decrypted, JweError, decrypt, decrypt_with_limit, encrypt};
pub use key::{LinkKey, LinkKeyError};
pub use manifest::{
    Manifest, ManifestError, ManifestFile, ManifestRequest, ManifestStatus, PasscodeRejected,
};
pub use payload::{Flags, LinkId, PayloadError, ShareLinkPayload};
