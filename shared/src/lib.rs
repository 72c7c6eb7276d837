//! Everything the Folio server, the app and the command-line client share.
//!
//! This crate does no I/O: it builds for native targets and for `wasm32-unknown-unknown`
//! alike, so the same importers, crypto and codecs run in the browser and in the CLI.
//! Data flows one way through its modules: importers produce [`record::Entry`] values,
//! the vault seals them into segments, and the API types carry only ciphertext.

pub mod account_keys;
pub mod api;
pub mod care;
pub mod clinical_view;
pub mod document_view;
pub mod export;
pub mod fhir;
pub mod import;
pub mod keys;
pub mod medication_safety;
pub mod patient_identity;
pub mod patient_reported;
pub mod provider_connect;
pub mod provider_directory;
pub mod record;
pub mod roster;
pub mod segment_stream;
pub mod share;
pub mod shl;
pub mod vault;
