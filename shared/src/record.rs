//! The unit of a patient's record: one FHIR resource with where it came from.
//!
//! Importers produce [`Entry`] values; the vault seals batches of them into segments and
//! replays them in order to rebuild the record. An entry's [`EntryId`] is derived from its
//! source and the resource's identity, so importing the same file twice yields the same ids
//! and the second import changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Stable identity of a resource in a vault, for example `Observation/3f2a…`.
///
/// It is chosen by the client (see the importers) and never by the server, which only
/// sees ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(pub String);

impl EntryId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The FHIR resource type the id names (`Observation` of `Observation/abc`).
    pub fn resource_type(&self) -> &str {
        self.0.split_once('/').map_or(&self.0, |(kind, _)| kind)
    }
}

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a resource came from: the provenance a patient and a clinician need to trust it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Source {
    /// The provider's name, as the user gave it or the document names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The file it was imported from, or the endpoint it was fetched from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// When it was imported or retrieved.
    pub retrieved_at: DateTime<Utc>,
    /// The issuer whose signature was verified (SMART Health Cards), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_issuer: Option<String>,
    /// Why a signed record could not be verified, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified_reason: Option<String>,
    /// Entered by the patient rather than received from a provider.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub patient_reported: bool,
}

impl Source {
    /// What the patient entered themselves, at `at`.
    pub fn patient_reported(at: DateTime<Utc>) -> Source {
        Source {
            retrieved_at: at,
            patient_reported: true,
            ..Source::default()
        }
    }
}

/// What an entry does to the record when it is replayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Op {
    /// Add or replace the resource under this id.
    Put {
        /// FHIR R4 JSON, kept exactly as imported (unknown fields included).
        resource: serde_json::Value,
        source: Source,
    },
    /// Remove the resource under this id.
    Delete,
}

/// One change to a vault: the plaintext inside a sealed segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    #[serde(flatten)]
    pub op: Op,
    /// When the change was made on the client.
    pub at: DateTime<Utc>,
}
