//! The vault API: create and list vaults, append and read the encrypted segment log,
//! compact or rotate it, store attachments, delete a vault.
//!
//! Every body here is ciphertext or public metadata. The server checks what it can see (a
//! segment's envelope header, an attachment's age header, sizes, quotas) and nothing else.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use folio_shared::api::{
    CompactionHead, CompactionResult, CreateVault, Problem, UploadedSegment, VaultKeyWrap,
    VaultSummary, segment_headers,
};
use folio_shared::keys::{KeyEpoch, VaultRecipient};
use folio_shared::roster::{WriteKind, WriteStatement};
use folio_shared::segment_stream::{self, SegmentFrame};
use folio_shared::vault::{SealedSegment, VaultId, attachment_id_from_digest};
use futures::StreamExt as _;
use serde::Deserialize;
use uuid::Uuid;

use folio_shared::care::{Action, Role};

use super::AppState;
use super::access::authorize;
use super::auth::Principal;
use super::json::ApiJson;
use super::problem::ApiError;
use super::roster;
use crate::storage::blobs::Written;
use crate::storage::entity::vault;
use crate::storage::rosters;
use crate::storage::vaults::{self, AttachmentStored, VaultError};

/// The largest single segment upload. Clients seal at 1 MiB of compressed plaintext.
pub const SEGMENT_LIMIT: usize = 8 * 1024 * 1024;
/// The largest compaction or rotation upload: a lifetime record, compressed, fits.
pub const COMPACTION_LIMIT: usize = 256 * 1024 * 1024;
/// The largest attachment (a scanned document, a photo).
pub const ATTACHMENT_LIMIT: u64 = 64 * 1024 * 1024;
/// Segments per page of `GET …/segments` at most, and bytes per page at most.
const PAGE_LIMIT: u64 = 1000;
const PAGE_BYTES: i64 = 32 * 1024 * 1024;

impl From<VaultError> for ApiError {
    fn from(err: VaultError) -> Self {
        let message = err.to_string();
        match err {
            VaultError::NotFound => ApiError::NotFound("no such vault".into()),
            VaultError::Forbidden { .. } => ApiError::Forbidden(message),
            VaultError::AlreadyExists
            | VaultError::RotationDue
            | VaultError::AttachmentDiffers(_)
            | VaultError::StaleEpoch { .. }
            | VaultError::UploadKeyReused { .. }
            | VaultError::Replayed { .. }
            | VaultError::GenerationMismatch { .. }
            | VaultError::MemberListMoved { .. } => ApiError::Conflict(message),
            VaultError::QuotaExceeded { .. } => ApiError::InsufficientStorage(message),
            VaultError::ForeignVault { .. }
            | VaultError::InvalidEpoch(_)
            | VaultError::BadCompaction(_) => ApiError::Unprocessable(message),
            VaultError::Db(e) => ApiError::from(e),
        }
    }
}

fn summary(model: vault::Model, role: Role) -> VaultSummary {
    VaultSummary {
        id: model.id,
        recipient: model.recipient,
        epoch: model.epoch as u32,
        generation: model.generation,
        last_seq: model.last_seq,
        used_bytes: model.used_bytes,
        quota_bytes: model.quota_bytes,
        role: role.as_str().to_owned(),
        rotation_due: model.rotation_due_at.is_some(),
        dependant: model.dependant,
        created_at: model.created_at,
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// Parses a sealed segment, turning each framing problem into its own clear message.
fn parse_segment(bytes: Vec<u8>) -> Result<SealedSegment, ApiError> {
    SealedSegment::from_bytes(bytes)
        .map_err(|e| ApiError::Unprocessable(format!("not a Folio segment: {e}")))
}

/// Create a vault from its public recipient and the owner's wrapped key.
#[utoipa::path(post, path = "/api/v1/vaults", tag = "vaults", request_body = CreateVault,
    security(("device_token" = []), ("session" = [])),
    responses(
        (status = 201, description = "The record", body = VaultSummary),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The recipient or wrapped key is malformed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_vault(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<CreateVault>,
) -> Result<(StatusCode, Json<VaultSummary>), ApiError> {
    if request.recipient.parse::<VaultRecipient>().is_err() {
        return Err(ApiError::Unprocessable(
            "`recipient` is not an age X25519 recipient (age1…)".into(),
        ));
    }
    if request.epoch == 0 {
        return Err(ApiError::Unprocessable("`epoch` starts at 1".into()));
    }
    let wrapped = vaults::base64_decode(&request.wrapped_key)
        .filter(|w| w.starts_with(AGE_MAGIC))
        .ok_or_else(|| {
            ApiError::Unprocessable("`wrapped_key` must be an age file in base64url".into())
        })?;
    let model = vaults::create(
        state.storage.db(),
        vaults::NewVault {
            id: request.id,
            owner: principal.account_id,
            recipient: request.recipient,
            epoch: request.epoch,
            wrapped_key: wrapped,
            quota_bytes: state.config.vault_quota_bytes,
            dependant: request.dependant,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(summary(model, Role::Owner))))
}

/// The vaults the caller can act in.
#[utoipa::path(get, path = "/api/v1/vaults", tag = "vaults", security(("device_token" = []), ("session" = [])),
    responses((status = 200, description = "The records this account owns or helps with", body = Vec<VaultSummary>)))]
pub async fn list_vaults(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<VaultSummary>>, ApiError> {
    let list = vaults::list_for(
        state.storage.db(),
        principal.account_id,
        state.config.clock.now(),
    )
    .await?;
    Ok(Json(
        list.into_iter()
            .map(|(vault, role)| summary(vault, role))
            .collect(),
    ))
}

/// One vault's summary.
#[utoipa::path(get, path = "/api/v1/vaults/{vault}", tag = "vaults", security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path)),
    responses((status = 200, description = "The record", body = VaultSummary), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn get_vault(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
) -> Result<Json<VaultSummary>, ApiError> {
    let (model, role) = vaults::role_in(
        state.storage.db(),
        principal.account_id,
        vault_id,
        state.config.clock.now(),
    )
    .await?;
    Ok(Json(summary(model, role)))
}

/// The caller's wrapped keys of a vault, one per epoch.
#[utoipa::path(get, path = "/api/v1/vaults/{vault}/keys", tag = "vaults", security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path)),
    responses((status = 200, description = "The record's keys wrapped to this account, one per epoch", body = Vec<VaultKeyWrap>), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn vault_keys(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
) -> Result<Json<Vec<VaultKeyWrap>>, ApiError> {
    let keys = vaults::keys_for(
        state.storage.db(),
        principal.account_id,
        vault_id,
        state.config.clock.now(),
    )
    .await?;
    Ok(Json(
        keys.into_iter()
            .map(|k| VaultKeyWrap {
                epoch: k.epoch as u32,
                wrapped_key: b64(&k.wrapped_key),
            })
            .collect(),
    ))
}

fn valid_upload_key(key: &str) -> bool {
    (1..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Append a sealed segment. The upload key makes retries safe: the same key with the same
/// bytes answers with the original `seq`.
#[utoipa::path(put, path = "/api/v1/vaults/{vault}/segments/{upload_key}", tag = "vaults",
    security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path), ("upload_key" = String, Path, description = "Client-chosen idempotency key, 1-128 of [A-Za-z0-9._-]")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A sealed segment"),
    responses(
        (status = 201, description = "Stored under a new seq", body = UploadedSegment),
        (status = 200, description = "Already stored under this key", body = UploadedSegment),
        (status = 400, description = "The upload key is not 1-128 of [A-Za-z0-9._-], or the `folio-write-signature` header is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for this account's role in the record, or the write signature is not the caller's key on the record's member list", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Stale epoch, key reused, replayed bytes, or the record's key must be rotated first", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a segment of this vault", body = Problem, content_type = "application/problem+json"),
        (status = 507, description = "Quota exceeded", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload_segment(
    State(state): State<AppState>,
    principal: Principal,
    Path((vault_id, upload_key)): Path<(Uuid, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<UploadedSegment>), ApiError> {
    if !valid_upload_key(&upload_key) {
        return Err(ApiError::BadRequest(
            "the upload key must be 1-128 characters of A-Z a-z 0-9 . _ -".into(),
        ));
    }
    authorize(&state, &principal, vault_id, Action::Write, "added records").await?;
    let sealed = parse_segment(body.to_vec())?;
    let signature = roster::sent_signature(&headers)?;
    let statement = WriteStatement::for_ciphertext(
        VaultId(vault_id),
        sealed.epoch(),
        WriteKind::Segment,
        sealed.as_bytes(),
    );
    let signers = rosters::roster(state.storage.db(), vault_id).await?;
    let signature = roster::checked_signature(signers.as_ref(), &statement, signature)?;
    let (seq, replayed) = vaults::append_segment(
        state.storage.db(),
        vault_id,
        principal.account_id,
        &upload_key,
        &sealed,
        signature.as_ref().map(roster::stored_signature),
    )
    .await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(UploadedSegment { seq, replayed })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SegmentPage {
    /// Return segments with a seq greater than this (0 for all).
    #[serde(default)]
    after: i64,
    /// At most this many segments (1-1000, default 1000).
    limit: Option<u64>,
}

/// Read the log after a cursor, streamed as `application/vnd.folio.segments` frames.
#[utoipa::path(get, path = "/api/v1/vaults/{vault}/segments", tag = "vaults", security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path), SegmentPage),
    responses(
        (status = 200, description = "Frames of `seq u64 BE, length u32 BE, bytes`; header `folio-more` says whether to ask again",
         content_type = "application/vnd.folio.segments", body = Vec<u8>),
        (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_segments(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
    Query(page): Query<SegmentPage>,
) -> Result<Response, ApiError> {
    let vault = authorize(
        &state,
        &principal,
        vault_id,
        Action::Read,
        "read the record",
    )
    .await?;
    let limit = page.limit.unwrap_or(PAGE_LIMIT).clamp(1, PAGE_LIMIT);
    let (rows, more) =
        vaults::page(state.storage.db(), vault_id, page.after, limit, PAGE_BYTES).await?;
    let seqs: Vec<i64> = rows.iter().map(|(seq, _)| *seq).collect();
    let db = state.storage.db().clone();
    // A few segments per query keeps memory flat however long the page is.
    let frames = futures::stream::iter(seqs.chunks(8).map(<[i64]>::to_vec).collect::<Vec<_>>())
        .then(move |chunk| {
            let db = db.clone();
            async move {
                let loaded = vaults::load(&db, vault_id, &chunk)
                    .await
                    .map_err(std::io::Error::other)?;
                let mut out = Vec::new();
                for (seq, bytes) in loaded {
                    SegmentFrame {
                        seq: seq as u64,
                        bytes,
                    }
                    .encode_into(&mut out);
                }
                Ok::<_, std::io::Error>(Bytes::from(out))
            }
        });
    let mut response = Response::new(Body::from_stream(frames));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(segment_stream::MEDIA_TYPE),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        segment_headers::GENERATION,
        HeaderValue::from(vault.generation),
    );
    headers.insert(
        segment_headers::MORE,
        HeaderValue::from_static(if more { "true" } else { "false" }),
    );
    Ok(response)
}

/// Swap a range of segments for fewer (compaction) or re-sealed ones under a new epoch
/// (rotation), atomically. Body: `u32 BE` length of a JSON [`CompactionHead`], the JSON, then
/// segment frames.
#[utoipa::path(post, path = "/api/v1/vaults/{vault}/compactions", tag = "vaults", security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path)),
    request_body(content = Vec<u8>, content_type = "application/vnd.folio.compaction",
        description = "`u32` big-endian length of a JSON `CompactionHead`, the JSON, then the new segments as `application/vnd.folio.segments` frames"),
    responses(
        (status = 200, description = "The record's new generation, epoch and segment numbers", body = CompactionResult),
        (status = 400, description = "Not a compaction body: the head is missing, truncated or not a `CompactionHead`, or a frame is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for this account's role in the record, or a member-list entry or write signature is not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The vault changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Well-formed, but against the route's rules; the problem says which", body = Problem, content_type = "application/problem+json"),
        (status = 507, description = "Quota exceeded", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn compact(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
    body: Bytes,
) -> Result<Json<CompactionResult>, ApiError> {
    let bad = |why: String| ApiError::BadRequest(why);
    if body.len() < 4 {
        return Err(bad("the compaction body is empty".into()));
    }
    let head_len = u32::from_be_bytes(body[..4].try_into().expect("4 bytes")) as usize;
    let Some(head_json) = body.get(4..4 + head_len) else {
        return Err(bad("the compaction head is truncated".into()));
    };
    let head: CompactionHead = serde_json::from_slice(head_json)
        .map_err(|e| bad(format!("the compaction head is not valid: {e}")))?;
    if let Some(recipient) = &head.recipient
        && recipient.parse::<VaultRecipient>().is_err()
    {
        return Err(ApiError::Unprocessable(
            "`recipient` is not an age X25519 recipient".into(),
        ));
    }
    let frames = segment_stream::decode_frames(&body[4 + head_len..], SEGMENT_LIMIT)
        .map_err(|e| bad(e.to_string()))?;
    let segments = frames
        .into_iter()
        .map(|f| parse_segment(f.bytes))
        .collect::<Result<Vec<_>, _>>()?;
    // The list the new segments are signed under: the stored one, or with the entries that
    // come with this compaction (checked here, stored in the compaction's transaction).
    let signers = match &head.roster {
        Some(append) => {
            let db = state.storage.db();
            let vault = authorize(
                &state,
                &principal,
                vault_id,
                Action::Rewrite,
                "rewrote the record",
            )
            .await?;
            let account = crate::storage::accounts::get(db, principal.account_id)
                .await?
                .ok_or_else(|| ApiError::NotFound("this account no longer exists".into()))?;
            Some(
                rosters::checked_append(db, &vault, &account, append.after, &append.entries)
                    .await?,
            )
        }
        None => rosters::roster(state.storage.db(), vault_id).await?,
    };
    let signatures = compaction_signatures(signers.as_ref(), vault_id, &head, &segments)?;
    let member_list = head
        .roster
        .as_ref()
        .map(|append| vaults::MemberListAddition {
            after: append.after,
            entries: &append.entries,
        });
    let compaction = vaults::Compaction {
        head: &head,
        segments: &segments,
        write_signatures: &signatures,
        member_list,
    };
    let (vault, seqs) = vaults::compact(
        state.storage.db(),
        principal.account_id,
        vault_id,
        compaction,
        state.config.clock.now(),
    )
    .await?;
    state.storage.purge_deleted().await?;
    Ok(Json(CompactionResult {
        generation: vault.generation,
        epoch: vault.epoch as u32,
        seqs,
    }))
}

/// The stored form of each new segment's signature (see [`roster::checked_signature`]): one
/// per segment, or none at all for a record without a member list.
fn compaction_signatures(
    signers: Option<&folio_shared::roster::Roster>,
    vault_id: Uuid,
    head: &CompactionHead,
    segments: &[SealedSegment],
) -> Result<Vec<Option<Vec<u8>>>, ApiError> {
    if head.write_signatures.is_empty() && signers.is_none() {
        return Ok(vec![None; segments.len()]);
    }
    if !head.write_signatures.is_empty() && head.write_signatures.len() != segments.len() {
        return Err(ApiError::Unprocessable(format!(
            "{} write signatures for {} segments: send one for each",
            head.write_signatures.len(),
            segments.len()
        )));
    }
    let mut stored = Vec::with_capacity(segments.len());
    for (i, sealed) in segments.iter().enumerate() {
        let signature = head
            .write_signatures
            .get(i)
            .map(|text| roster::parse_signature(text, &format!("write signature {i}")))
            .transpose()?;
        let statement = WriteStatement::for_ciphertext(
            VaultId(vault_id),
            KeyEpoch(head.epoch),
            WriteKind::Compaction,
            sealed.as_bytes(),
        );
        let signature = roster::checked_signature(signers, &statement, signature)?;
        stored.push(signature.as_ref().map(roster::stored_signature));
    }
    Ok(stored)
}

/// Store an encrypted attachment (an age file), streamed. A UUIDv8 id must be the hash of
/// the bytes (`folio_shared::vault::attachment_id`); ids of other versions predate that rule
/// and are taken as they are. An id never gets other bytes than it was first stored with.
#[utoipa::path(put, path = "/api/v1/vaults/{vault}/attachments/{attachment}", tag = "vaults",
    security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path), ("attachment" = Uuid, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The attachment encrypted to the record's key: an age file, streamed"),
    responses(
        (status = 201, description = "Stored"),
        (status = 200, description = "Already stored with these bytes"),
        (status = 400, description = "A UUIDv8 id that is not the hash of the bytes, or the upload broke off", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Stored already with other bytes, or the record's key must be rotated first", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an age file", body = Problem, content_type = "application/problem+json"),
        (status = 507, description = "Quota exceeded", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_attachment(
    State(state): State<AppState>,
    principal: Principal,
    Path((vault_id, attachment_id)): Path<(Uuid, Uuid)>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    use crate::storage::blobs::BlobError;
    authorize(
        &state,
        &principal,
        vault_id,
        Action::Write,
        "added a document",
    )
    .await?;
    // Written under a fresh name first: a failed, refused or over-quota upload leaves the
    // attachment already stored under this id untouched.
    let staging = Uuid::new_v4();
    let written = state
        .blobs
        .write(vault_id, staging, body.into_data_stream(), ATTACHMENT_LIMIT)
        .await
        .map_err(|e| match e {
            BlobError::TooLarge { .. } => ApiError::PayloadTooLarge {
                limit: ATTACHMENT_LIMIT as usize,
            },
            BlobError::NotEncrypted => ApiError::Unprocessable(e.to_string()),
            BlobError::Interrupted(_) => ApiError::BadRequest(e.to_string()),
            BlobError::Io(io) => ApiError::Internal(io.into()),
        })?;
    let stored = store_attachment(&state, vault_id, attachment_id, written).await;
    if !matches!(stored, Ok(AttachmentStored::New)) {
        let _ = state.blobs.delete(vault_id, staging).await;
    }
    match stored? {
        AttachmentStored::Again => Ok(StatusCode::OK),
        AttachmentStored::New => {
            state
                .blobs
                .promote(vault_id, staging, attachment_id)
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
            Ok(StatusCode::CREATED)
        }
    }
}

/// Checks a staged upload against its id and records it; the caller moves the file in
/// place only for `New`.
async fn store_attachment(
    state: &AppState,
    vault_id: Uuid,
    attachment_id: Uuid,
    written: Written,
) -> Result<AttachmentStored, ApiError> {
    if attachment_id.get_version_num() == 8
        && attachment_id_from_digest(&written.sha256) != attachment_id
    {
        return Err(ApiError::BadRequest(format!(
            "attachment id {attachment_id} is not the hash of these bytes ({})",
            attachment_id_from_digest(&written.sha256)
        )));
    }
    let db = state.storage.db();
    // An attachment stored before digests were kept gets one from its file, once.
    if let Some(existing) = vaults::attachment_exists(db, vault_id, attachment_id).await?
        && existing.digest.is_none()
    {
        let digest = state
            .blobs
            .sha256(vault_id, attachment_id)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        vaults::set_attachment_digest(db, vault_id, attachment_id, &digest).await?;
    }
    Ok(vaults::add_attachment(
        db,
        vault_id,
        attachment_id,
        written.size as i64,
        &written.sha256,
    )
    .await?)
}

/// Read an encrypted attachment, streamed.
#[utoipa::path(get, path = "/api/v1/vaults/{vault}/attachments/{attachment}", tag = "vaults",
    security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path), ("attachment" = Uuid, Path)),
    responses((status = 200, description = "The bytes", content_type = "application/octet-stream", body = Vec<u8>), (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn get_attachment(
    State(state): State<AppState>,
    principal: Principal,
    Path((vault_id, attachment_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    authorize(
        &state,
        &principal,
        vault_id,
        Action::Read,
        "opened a document",
    )
    .await?;
    let Some(meta) = vaults::attachment_exists(state.storage.db(), vault_id, attachment_id).await?
    else {
        return Err(ApiError::NotFound("no such attachment".into()));
    };
    let file = state
        .blobs
        .open(vault_id, attachment_id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(file)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Delete an attachment.
#[utoipa::path(delete, path = "/api/v1/vaults/{vault}/attachments/{attachment}", tag = "vaults",
    security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path), ("attachment" = Uuid, Path)),
    responses((status = 204, description = "Done; no content"), (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_attachment(
    State(state): State<AppState>,
    principal: Principal,
    Path((vault_id, attachment_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    authorize(
        &state,
        &principal,
        vault_id,
        Action::Write,
        "removed a document",
    )
    .await?;
    if !vaults::remove_attachment(state.storage.db(), vault_id, attachment_id).await? {
        return Err(ApiError::NotFound("no such attachment".into()));
    }
    state
        .blobs
        .delete(vault_id, attachment_id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a vault: every segment, key, attachment and byte of it.
#[utoipa::path(delete, path = "/api/v1/vaults/{vault}", tag = "vaults", security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path)),
    responses((status = 204, description = "Done; no content"), (status = 403, description = "No fresh proof (`action: delete_record`), or only the owner may delete the record", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_vault(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    super::fresh_proof::require(
        &state,
        &principal,
        folio_shared::api::account::AccountCriticalAction::DeleteRecord,
    )
    .await?;
    authorize(
        &state,
        &principal,
        vault_id,
        Action::Administer,
        "deleted the record",
    )
    .await?;
    vaults::delete(state.storage.db(), vault_id).await?;
    state
        .blobs
        .delete_vault(vault_id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    state.storage.purge_deleted().await?;
    Ok(StatusCode::NO_CONTENT)
}

impl IntoResponse for VaultError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
