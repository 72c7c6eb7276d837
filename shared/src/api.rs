//! Types of the HTTP API, shared by the server and every client.
//!
//! The server turns every error into a [`Problem`] (RFC 9457); clients parse the same type
//! to show the user what went wrong.

pub mod account;
pub mod account_keys;
pub mod care;
pub mod connect;
pub mod roster;
pub mod share;

use serde::{Deserialize, Serialize};

/// An RFC 9457 problem document (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "detail": "no such vault"
})))]
pub struct Problem {
    /// A URI reference naming the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type", default = "about_blank")]
    pub kind: String,
    /// A short, human-readable summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, in words a user can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Extension members, for example `remainingAttempts`.
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

/// The answer of `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "ok", "database": "postgres", "version": "0.1.0"
})))]
pub struct Health {
    /// `ok` when the database answered.
    pub status: String,
    /// The storage engine: `sqlite` or `postgres`.
    pub database: String,
    /// The server's version.
    pub version: String,
}

/// `POST /api/v1/vaults`: a vault the client has made, with its public recipient and the
/// owner's wrapped vault key. The client picks the id, because it seals segments with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "0b6f6c7e-3a57-4c43-9d2b-0c1e8b7f5a10",
    "recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "epoch": 1, "wrapped_key": "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0-IFgyNTUxOSBhYmMK", "dependant": false
})))]
pub struct CreateVault {
    pub id: uuid::Uuid,
    /// The vault's age recipient (`age1…`); anything that knows it can add records.
    pub recipient: String,
    /// The key epoch the recipient belongs to (starts at 1).
    pub epoch: u32,
    /// The vault identity, age-encrypted to the owner's account recipient (base64url).
    pub wrapped_key: String,
    /// A record the owner holds for someone else (a child), to hand over later.
    #[serde(default)]
    pub dependant: bool,
}

/// A vault as its members see it in listings. Everything here is public metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "0b6f6c7e-3a57-4c43-9d2b-0c1e8b7f5a10",
    "recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "epoch": 1, "generation": 3, "last_seq": 42,
    "used_bytes": 1048576, "quota_bytes": 1073741824,
    "role": "owner", "created_at": "2026-12-01T09:00:00Z",
    "rotation_due": false, "dependant": false
})))]
pub struct VaultSummary {
    pub id: uuid::Uuid,
    pub recipient: String,
    pub epoch: u32,
    /// Bumped by every compaction or rotation: a client whose cached generation differs
    /// re-reads the log from the start.
    pub generation: i64,
    /// The highest sequence number assigned so far.
    pub last_seq: i64,
    pub used_bytes: i64,
    pub quota_bytes: i64,
    /// `owner`, `manager` or `viewer`: the caller's part in this record.
    pub role: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// A caregiver was removed and the owner's client has not rotated the key since: it
    /// should before adding anything (an interrupted rotation is picked up from here).
    #[serde(default)]
    pub rotation_due: bool,
    /// The owner holds this record for someone else (a child) and may hand it over.
    #[serde(default)]
    pub dependant: bool,
}

impl VaultSummary {
    /// The caller's own record: owned, and not one held for a dependant.
    pub fn is_own_record(&self) -> bool {
        self.role == "owner" && !self.dependant
    }
}

/// One of a member's wrapped vault keys, one per epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "epoch": 1, "wrapped_key": "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0-IFgyNTUxOSBhYmMK"
})))]
pub struct VaultKeyWrap {
    pub epoch: u32,
    /// base64url of the age file.
    pub wrapped_key: String,
}

/// The answer to a segment upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"seq": 43, "replayed": false})))]
pub struct UploadedSegment {
    pub seq: i64,
    /// True when this upload key had already been stored: nothing new was written.
    pub replayed: bool,
}

/// The JSON head of `POST /api/v1/vaults/{id}/compactions`: which range of segments the
/// framed segments in the rest of the body replace, and under which epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompactionHead {
    /// The vault generation the client read; a concurrent compaction makes this one fail.
    pub generation: i64,
    pub from_seq: i64,
    pub to_seq: i64,
    /// The epoch of the new segments. A higher epoch than the vault's is a rotation: it
    /// must cover the whole log and bring the new recipient and members' wrapped keys.
    pub epoch: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wrapped_keys: Vec<MemberKeyWrap>,
    /// The writer's signature over each new segment, in order, as
    /// [`roster::encode_write_signature`] writes it: required once the record has a member
    /// list, so that only its owner can rewrite it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub write_signatures: Vec<String>,
    /// Member-list entries stored with this compaction, in its transaction: a rotation's
    /// removal and new epoch, so that the list names the new epoch exactly when its key
    /// and segments exist. The new segments' signatures are checked against the list with
    /// these entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<roster::RosterAppendRequest>,
}

impl CompactionHead {
    /// A compaction of the whole log as read (`generation`, up to `last_seq`) at the
    /// vault's current `epoch`: what drops the segments that did not open. Segments
    /// uploaded after `last_seq` stay after the rewritten ones.
    pub fn whole_log(generation: i64, last_seq: i64, epoch: u32) -> Self {
        CompactionHead {
            generation,
            from_seq: 1,
            to_seq: last_seq,
            epoch,
            recipient: None,
            wrapped_keys: Vec::new(),
            write_signatures: Vec::new(),
            roster: None,
        }
    }
}

/// A vault key wrapped to one member's account, sent with a rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberKeyWrap {
    pub account_id: uuid::Uuid,
    pub wrapped_key: String,
}

/// The answer to a compaction: the vault after the swap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"generation": 4, "epoch": 2, "seqs": [43, 44]})))]
pub struct CompactionResult {
    pub generation: i64,
    pub epoch: u32,
    pub seqs: Vec<i64>,
}

/// Who uploaded one segment of a vault's log, and when, as the server recorded it
/// (`GET /api/v1/vaults/{id}/segment-origins`). A client asks only about segments that did
/// not open, to say who appears to have written them: the server may lie, so this is a
/// claim, never proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentOrigin {
    pub seq: i64,
    /// The account whose token uploaded it; absent for segments stored before uploaders
    /// were recorded.
    pub uploaded_by: Option<uuid::Uuid>,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
    /// The writer's signature, as [`roster::encode_write_signature`] writes it; absent for
    /// segments written before signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_signature: Option<String>,
}

/// The answer to `GET /api/v1/vaults/{id}/segment-origins?seqs=…`: the segments asked
/// about that are still in the log, in seq order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentOrigins {
    pub segments: Vec<SegmentOrigin>,
}

/// The most seqs one `segment-origins` call may ask about; clients ask a page at a time.
pub const MAX_ORIGINS_PER_CALL: usize = 1000;

/// The writer's signature of each of `seqs`, in that order, from `origins` (none where the
/// server has none, or sent one that does not parse).
pub fn write_signatures(
    seqs: &[i64],
    origins: &[SegmentOrigin],
) -> Vec<Option<crate::roster::WriteSignature>> {
    let mut by_seq: std::collections::HashMap<i64, _> = origins
        .iter()
        .filter_map(|origin| {
            let signature = roster::decode_write_signature(origin.write_signature.as_deref()?)?;
            Some((origin.seq, signature))
        })
        .collect();
    seqs.iter().map(|seq| by_seq.remove(seq)).collect()
}

/// Response headers of `GET /api/v1/vaults/{id}/segments`.
pub mod segment_headers {
    /// The vault's generation when the page was read.
    pub const GENERATION: &str = "folio-generation";
    /// `true` when segments after this page exist: ask again with `after` = the last seq.
    pub const MORE: &str = "folio-more";
}
