//! Share links: the patient's side of the API (make, list, revoke, read the access log).
//!
//! The client encrypts the files and builds the `shlink:/` itself, so nothing here carries
//! the link key: the server gets ciphertext, the link's rules, and a passcode (over TLS) that
//! it hashes on arrival.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A share lives at most a year; the standard asks for short expiries, the patient picks.
pub const MAX_LIFETIME_DAYS: i64 = 366;
pub const MIN_PASSCODE_CHARS: usize = 6;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Where a share stands right now, derived by the server from its row and never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShareStatus {
    Active,
    Expired,
    Revoked,
    /// Every allowed open is used.
    Exhausted,
    /// The passcode was guessed wrong until no attempt was left.
    Locked,
}

/// `POST /api/v1/vaults/{vault}/shares`. Not `Debug`: it carries the passcode.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "files": [{"content_type": "application/fhir+json;fhirVersion=4.0.1",
               "jwe": "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..bXlpdg.Y2lwaGVydGV4dA.dGFn"}],
    "label": "For Dr Hopper", "expires_at": "2026-12-08T09:00:00Z",
    "passcode": "4711", "max_attempts": 5, "max_opens": 3,
    "categories": {"medications": 4, "allergies": 1}, "direct_file": false
})))]
pub struct CreateShare {
    /// The encrypted files, in the order the manifest lists them.
    pub files: Vec<ShareFileUpload>,
    #[serde(default)]
    pub label: String,
    /// At most a year from now.
    pub expires_at: DateTime<Utc>,
    /// At least six characters; hashed with Argon2id on arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode: Option<String>,
    /// Wrong passcodes allowed over the link's lifetime (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_opens: Option<u32>,
    /// What the files hold, category name → count, for the patient's list (not secret).
    #[serde(default)]
    pub categories: BTreeMap<String, u32>,
    /// A `U` link: one file fetched with `GET`, no manifest, no passcode.
    #[serde(default)]
    pub direct_file: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareFileUpload {
    /// Usually `application/fhir+json;fhirVersion=4.0.1`.
    pub content_type: String,
    /// The compact JWE (`dir`, `A256GCM`) under the link's key.
    pub jwe: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "6e2b9a44-1c3d-4e5f-8a9b-0c1d2e3f4a5b", "link_id": "I91rhba3VsuGXGchcnr6VHlQFKxfE28kuZ0ssbEuxno",
    "manifest_url": "https://folio.example/shl/I91rhba3VsuGXGchcnr6VHlQFKxfE28kuZ0ssbEuxno",
    "expires_at": "2026-12-08T09:00:00Z"
})))]
pub struct CreatedShare {
    pub id: Uuid,
    /// The unguessable path token of the link's URL. The server keeps only its hash.
    pub link_id: String,
    /// The payload's `url`: the manifest (or, for a `U` link, the file).
    pub manifest_url: String,
    pub expires_at: DateTime<Utc>,
}

/// One share in the patient's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "6e2b9a44-1c3d-4e5f-8a9b-0c1d2e3f4a5b", "vault_id": "0b6f6c7e-3a57-4c43-9d2b-0c1e8b7f5a10",
    "label": "For Dr Hopper", "flags": "P",
    "categories": {"medications": 4, "allergies": 1},
    "expires_at": "2026-12-08T09:00:00Z", "opens": 1, "max_opens": 3,
    "attempts_left": 5, "revoked": false, "status": "active",
    "created_at": "2026-12-01T09:00:00Z"
})))]
pub struct ShareSummary {
    pub id: Uuid,
    pub vault_id: Uuid,
    pub label: String,
    pub flags: String,
    pub categories: BTreeMap<String, u32>,
    pub expires_at: DateTime<Utc>,
    pub opens: u32,
    pub max_opens: Option<u32>,
    /// Wrong passcodes still allowed, for a link with a passcode.
    pub attempts_left: Option<u32>,
    pub revoked: bool,
    pub status: ShareStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareLogEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub recipient: String,
    /// `opened`, `wrong_passcode`, `expired`, `revoked`, `exhausted` or `locked`, as stored
    /// (a tampered value shows as it is, and breaks the chain).
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "entries": [{"seq": 1, "at": "2026-12-02T14:00:00Z", "recipient": "Dr Hopper's clinic",
                 "outcome": "opened"}],
    "chain_valid": true
})))]
pub struct ShareLog {
    pub entries: Vec<ShareLogEntry>,
    /// False when an entry was changed or removed since it was written.
    pub chain_valid: bool,
}
