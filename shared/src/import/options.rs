//! What the caller tells an import: who the provider is, when the import happens (given,
//! so imports are deterministic and testable), trusted health-card issuers, details of a
//! scanned document, and the limits that keep hostile files cheap to refuse.

use super::shc::{Crl, Jwks};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Options of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The provider the user says the file comes from. Also the namespace of entry ids:
    /// `Patient/123` from two providers are two different patients.
    pub provider: Option<String>,
    /// The import time recorded in every entry's `Source` and `at`.
    pub imported_at: DateTime<Utc>,
    pub limits: ImportLimits,
    /// Issuer keys (and revocation lists) the caller fetched from each card issuer's
    /// `/.well-known/jwks.json`; see [`super::shc::card_issuers`] to learn which to fetch.
    pub issuers: Vec<TrustedIssuer>,
    /// Title, date and tags of a PDF or photo import.
    pub document: DocumentDetails,
}

impl ImportOptions {
    pub fn new(imported_at: DateTime<Utc>) -> Self {
        ImportOptions {
            provider: None,
            imported_at,
            limits: ImportLimits::default(),
            issuers: Vec::new(),
            document: DocumentDetails::default(),
        }
    }

    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    pub(crate) fn issuer(&self, iss: &str) -> Option<&TrustedIssuer> {
        self.issuers.iter().find(|i| i.iss == iss)
    }
}

/// One SMART Health Card issuer's keys, as fetched by the caller.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    /// The `iss` URL the keys were fetched from.
    pub iss: String,
    pub jwks: Jwks,
    /// Revocation list for a key, if the caller fetched one.
    pub crls: Vec<Crl>,
}

/// What the user typed about a PDF or photo.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDetails {
    pub title: Option<String>,
    /// FHIR date or dateTime the document is about (`2024-03-01`).
    pub date: Option<String>,
    pub tags: Vec<String>,
}

/// Bounds on the work one import may do. Defaults fit a phone: a large real export
/// (a decade of records) passes, a bomb does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest input accepted, checked before anything is parsed.
    pub max_input_bytes: u64,
    /// Largest total uncompressed size of a zip's members.
    pub max_zip_total_bytes: u64,
    /// Largest uncompressed/compressed ratio of one zip member.
    pub max_zip_ratio: u64,
    /// Most members in a zip.
    pub max_zip_members: usize,
    /// Deepest XML element nesting.
    pub max_xml_depth: usize,
    /// Most XML nodes (elements, attributes, text).
    pub max_xml_nodes: u32,
    /// Most resources produced from one file.
    pub max_resources: usize,
    /// Largest decompressed SMART Health Card payload.
    pub max_card_payload_bytes: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_input_bytes: 512 * 1024 * 1024,
            max_zip_total_bytes: 1024 * 1024 * 1024,
            max_zip_ratio: 200,
            max_zip_members: 10_000,
            max_xml_depth: 256,
            max_xml_nodes: 20_000_000,
            max_resources: 1_000_000,
            max_card_payload_bytes: 4 * 1024 * 1024,
        }
    }
}
