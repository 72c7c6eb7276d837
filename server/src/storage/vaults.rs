//! Vaults and their segment logs: the server's half of the end-to-end-encrypted record.
//!
//! The server orders segments and enforces quotas, epochs and idempotency, all from public
//! metadata: a `SealedSegment`'s header names its vault and key epoch, and its bytes are
//! ciphertext. Sequence numbers come from one atomic `UPDATE … RETURNING` on the vault row,
//! so concurrent uploads serialise there and never share or skip a number.

use chrono::{DateTime, Utc};
use folio_shared::api::{CompactionHead, SegmentOrigin};
use folio_shared::vault::SealedSegment;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entity::{attachment, membership, segment, vault, vault_key};
use super::{memberships, rosters};
use folio_shared::care::{Action, Role};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no such vault")]
    NotFound,
    #[error("a vault with this id already exists")]
    AlreadyExists,
    #[error(
        "the vault's storage quota of {quota} bytes would be exceeded ({used} used, {size} more)"
    )]
    QuotaExceeded { quota: i64, used: i64, size: i64 },
    #[error("the segment belongs to vault {found}, not to this one")]
    ForeignVault { found: Uuid },
    #[error(
        "the segment is sealed for key epoch {found}, but the vault is at epoch {current}: fetch the current vault key and seal again"
    )]
    StaleEpoch { current: i32, found: u32 },
    #[error("upload key already used for different bytes (segment {seq})")]
    UploadKeyReused { seq: i64 },
    #[error("these exact bytes are already stored as segment {seq}: a replayed upload")]
    Replayed { seq: i64 },
    #[error("the vault changed since generation {expected} (now {current}): read it again")]
    GenerationMismatch { expected: i64, current: i64 },
    #[error("a {role} may not {} in this record", action_phrase(*action))]
    Forbidden { role: Role, action: Action },
    #[error("key epoch {0} is out of range")]
    InvalidEpoch(u32),
    #[error("{0}")]
    BadCompaction(String),
    #[error("{}", ROTATE_FIRST)]
    RotationDue,
    #[error("attachment {0} is stored already with other bytes; an attachment is never replaced")]
    AttachmentDiffers(Uuid),
    #[error("the record's member list has {entries} entries now, not {after}: read it again")]
    MemberListMoved { entries: u64, after: u64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Member-list entries a compaction stores in its own transaction (checked already by
/// [`rosters::checked_append`]): a rotation's new epoch is named in the list exactly when
/// its key exists.
pub struct MemberListAddition<'a> {
    pub after: u64,
    pub entries: &'a [folio_shared::roster::SignedRosterEntry],
}

fn action_phrase(action: Action) -> &'static str {
    match action {
        Action::Read => "read",
        Action::Write => "add records",
        Action::SeeShares => "see share links",
        Action::Share => "make or revoke share links",
        Action::InviteViewer => "invite caregivers",
        Action::ManageCaregivers => "manage caregivers",
        Action::Rewrite => "compact or rotate the record",
        Action::Administer => "administer the record",
    }
}

/// Why an upload is refused while the vault's key is retired (see
/// [`memberships::key_retired`]).
pub const ROTATE_FIRST: &str = "someone who held this record's key no longer has access: \
    rotate the record's key first, then seal again to the new key";

/// The default quota of a vault: a lifetime of records with scanned documents fits.
pub const DEFAULT_QUOTA_BYTES: i64 = 1024 * 1024 * 1024;

pub fn digest(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

pub struct NewVault {
    pub id: Uuid,
    pub owner: Uuid,
    pub recipient: String,
    pub epoch: u32,
    pub wrapped_key: Vec<u8>,
    pub quota_bytes: i64,
    pub dependant: bool,
}

pub async fn create(db: &DatabaseConnection, new: NewVault) -> Result<vault::Model, VaultError> {
    let now = Utc::now();
    let epoch = i32::try_from(new.epoch).map_err(|_| VaultError::InvalidEpoch(new.epoch))?;
    let txn = db.begin().await?;
    let model = vault::ActiveModel {
        id: Set(new.id),
        owner_id: Set(new.owner),
        recipient: Set(new.recipient),
        epoch: Set(epoch),
        generation: Set(0),
        last_seq: Set(0),
        used_bytes: Set(0),
        quota_bytes: Set(new.quota_bytes),
        created_at: Set(now),
        rotation_due_at: Set(None),
        dependant: Set(new.dependant),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => VaultError::AlreadyExists,
        _ => VaultError::Db(e),
    })?;
    vault_key::ActiveModel {
        vault_id: Set(new.id),
        account_id: Set(new.owner),
        epoch: Set(epoch),
        wrapped_key: Set(new.wrapped_key),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The vaults an account can act in, with its role in each: the ones it owns, then the
/// ones it helps with as a confirmed caregiver.
pub async fn list_for(
    db: &DatabaseConnection,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<(vault::Model, Role)>, DbErr> {
    let mut list: Vec<(vault::Model, Role)> = vault::Entity::find()
        .filter(vault::Column::OwnerId.eq(account))
        .order_by_asc(vault::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v, Role::Owner))
        .collect();
    for (vault_id, role) in memberships::active_for_account(db, account, now).await? {
        if let Some(model) = find(db, vault_id).await? {
            list.push((model, role));
        }
    }
    for (vault, _) in &mut list {
        if vault.rotation_due_at.is_none() && memberships::key_retired(db, vault, now).await? {
            vault.rotation_due_at = Some(now);
        }
    }
    Ok(list)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<vault::Model>, DbErr> {
    vault::Entity::find_by_id(id).one(db).await
}

/// A vault as one account may act in it: its role, and for a caregiver the membership
/// that grants it.
pub struct Access {
    pub vault: vault::Model,
    pub role: Role,
    pub caregiver: Option<membership::Model>,
}

/// The vault and the role `account` holds in it now. A stranger (or a removed caregiver)
/// gets `NotFound`, not "forbidden", so vault ids cannot be probed.
pub async fn access(
    db: &impl ConnectionTrait,
    account: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Access, VaultError> {
    let mut vault = vault::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(VaultError::NotFound)?;
    if vault.rotation_due_at.is_none() && memberships::key_retired(db, &vault, now).await? {
        vault.rotation_due_at = Some(now);
    }
    if vault.owner_id == account {
        return Ok(Access {
            vault,
            role: Role::Owner,
            caregiver: None,
        });
    }
    let (role, membership) = memberships::for_account_in(db, account, id)
        .await?
        .into_iter()
        .filter(|row| memberships::is_active(row, now))
        .find_map(|row| Some((row.role.parse::<Role>().ok()?, row)))
        .ok_or(VaultError::NotFound)?;
    Ok(Access {
        vault,
        role,
        caregiver: Some(membership),
    })
}

/// The vault and the role `account` holds in it now (see [`access`]).
pub async fn role_in(
    db: &impl ConnectionTrait,
    account: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(vault::Model, Role), VaultError> {
    let access = access(db, account, id, now).await?;
    Ok((access.vault, access.role))
}

/// How `account` may act in the vault, if it may take `action` there: every vault route
/// asks this first.
pub async fn access_for(
    db: &impl ConnectionTrait,
    account: Uuid,
    id: Uuid,
    action: Action,
    now: DateTime<Utc>,
) -> Result<Access, VaultError> {
    let access = access(db, account, id, now).await?;
    if !access.role.may(action) {
        return Err(VaultError::Forbidden {
            role: access.role,
            action,
        });
    }
    Ok(access)
}

/// The vault, if `account` may take `action` in it (see [`access_for`]).
pub async fn get_for(
    db: &impl ConnectionTrait,
    account: Uuid,
    id: Uuid,
    action: Action,
    now: DateTime<Utc>,
) -> Result<vault::Model, VaultError> {
    Ok(access_for(db, account, id, action, now).await?.vault)
}

pub async fn keys_for(
    db: &DatabaseConnection,
    account: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<vault_key::Model>, VaultError> {
    get_for(db, account, id, Action::Read, now).await?;
    Ok(vault_key::Entity::find()
        .filter(vault_key::Column::VaultId.eq(id))
        .filter(vault_key::Column::AccountId.eq(account))
        .order_by_asc(vault_key::Column::Epoch)
        .all(db)
        .await?)
}

/// What the log already holds that matches an upload.
enum Existing {
    /// This upload key with these bytes: a retry, answered with the original seq.
    SameUpload(i64),
    /// This upload key with other bytes.
    KeyReused(i64),
    /// These bytes under another key: a replay.
    Replayed(i64),
}

async fn existing_upload(
    db: &impl ConnectionTrait,
    vault: Uuid,
    upload_key: &str,
    digest: &[u8],
) -> Result<Option<Existing>, DbErr> {
    let by_key = segment::Entity::find()
        .select_only()
        .column(segment::Column::Seq)
        .column(segment::Column::Digest)
        .filter(segment::Column::VaultId.eq(vault))
        .filter(segment::Column::UploadKey.eq(upload_key))
        .into_tuple::<(i64, Vec<u8>)>()
        .one(db)
        .await?;
    if let Some((seq, stored)) = by_key {
        return Ok(Some(if stored == digest {
            Existing::SameUpload(seq)
        } else {
            Existing::KeyReused(seq)
        }));
    }
    let by_digest = segment::Entity::find()
        .select_only()
        .column(segment::Column::Seq)
        .filter(segment::Column::VaultId.eq(vault))
        .filter(segment::Column::Digest.eq(digest.to_vec()))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(by_digest.map(Existing::Replayed))
}

/// Appends a segment uploaded by `uploaded_by` and returns `(seq, replayed)`. Uploading the
/// same bytes again under the same key is answered with the original `seq` and changes
/// nothing. Refused while the vault is due a rotation: the caller's [`access`] check marks
/// one whose caregiver's end date passed, and the conditional update below sees a removal
/// however close it lands.
pub async fn append_segment(
    db: &DatabaseConnection,
    vault_id: Uuid,
    uploaded_by: Uuid,
    upload_key: &str,
    sealed: &SealedSegment,
    write_signature: Option<Vec<u8>>,
) -> Result<(i64, bool), VaultError> {
    let found_vault = sealed.vault_id().0;
    if found_vault != vault_id {
        return Err(VaultError::ForeignVault { found: found_vault });
    }
    let bytes = sealed.as_bytes();
    let digest = digest(bytes);
    let size = bytes.len() as i64;
    let epoch = sealed.epoch().0;
    // Two tries: a concurrent upload with the same key or bytes can win the insert between
    // our check and our write; the second pass then answers as that upload's retry, a
    // reused key or a replay.
    for _ in 0..2 {
        match existing_upload(db, vault_id, upload_key, &digest).await? {
            Some(Existing::SameUpload(seq)) => return Ok((seq, true)),
            Some(Existing::KeyReused(seq)) => return Err(VaultError::UploadKeyReused { seq }),
            Some(Existing::Replayed(seq)) => return Err(VaultError::Replayed { seq }),
            None => {}
        }
        let txn = db.begin().await?;
        let updated = vault::Entity::update_many()
            .col_expr(
                vault::Column::LastSeq,
                Expr::col(vault::Column::LastSeq).add(1),
            )
            .col_expr(
                vault::Column::UsedBytes,
                Expr::col(vault::Column::UsedBytes).add(size),
            )
            .filter(vault::Column::Id.eq(vault_id))
            .filter(vault::Column::Epoch.eq(epoch as i32))
            .filter(vault::Column::RotationDueAt.is_null())
            .filter(
                Expr::col(vault::Column::UsedBytes)
                    .add(size)
                    .lte(Expr::col(vault::Column::QuotaBytes)),
            )
            .exec_with_returning(&txn)
            .await?;
        let Some(row) = updated.into_iter().next() else {
            let current = vault::Entity::find_by_id(vault_id).one(&txn).await?;
            txn.rollback().await?;
            return Err(match current {
                None => VaultError::NotFound,
                Some(v) if v.epoch != epoch as i32 => VaultError::StaleEpoch {
                    current: v.epoch,
                    found: epoch,
                },
                Some(v) if v.rotation_due_at.is_some() => VaultError::RotationDue,
                Some(v) => VaultError::QuotaExceeded {
                    quota: v.quota_bytes,
                    used: v.used_bytes,
                    size,
                },
            });
        };
        let inserted = segment::ActiveModel {
            vault_id: Set(vault_id),
            seq: Set(row.last_seq),
            epoch: Set(epoch as i32),
            upload_key: Set(upload_key.to_owned()),
            digest: Set(digest.clone()),
            size: Set(size),
            ciphertext: Set(bytes.to_vec()),
            created_at: Set(Utc::now()),
            uploaded_by: Set(Some(uploaded_by)),
            write_signature: Set(write_signature.clone()),
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(_) => {
                txn.commit().await?;
                return Ok((row.last_seq, false));
            }
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                txn.rollback().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(VaultError::Db(DbErr::Custom(
        "the upload kept conflicting; try again".into(),
    )))
}

/// One page of a vault's log after `after`: `(seq, size)` of at most `limit` segments whose
/// sizes add up to at most `max_bytes` (but always at least one), and whether more follow.
pub async fn page(
    db: &DatabaseConnection,
    vault_id: Uuid,
    after: i64,
    limit: u64,
    max_bytes: i64,
) -> Result<(Vec<(i64, i64)>, bool), DbErr> {
    let rows = segment::Entity::find()
        .select_only()
        .column(segment::Column::Seq)
        .column(segment::Column::Size)
        .filter(segment::Column::VaultId.eq(vault_id))
        .filter(segment::Column::Seq.gt(after))
        .order_by_asc(segment::Column::Seq)
        .limit(limit + 1)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?;
    let mut page = Vec::new();
    let mut total = 0;
    for (seq, size) in rows.iter().copied() {
        if page.len() as u64 == limit || (!page.is_empty() && total + size > max_bytes) {
            return Ok((page, true));
        }
        total += size;
        page.push((seq, size));
    }
    Ok((page, false))
}

/// The stored bytes of the given segments, in seq order.
pub async fn load(
    db: &DatabaseConnection,
    vault_id: Uuid,
    seqs: &[i64],
) -> Result<Vec<(i64, Vec<u8>)>, DbErr> {
    segment::Entity::find()
        .select_only()
        .column(segment::Column::Seq)
        .column(segment::Column::Ciphertext)
        .filter(segment::Column::VaultId.eq(vault_id))
        .filter(segment::Column::Seq.is_in(seqs.iter().copied()))
        .order_by_asc(segment::Column::Seq)
        .into_tuple::<(i64, Vec<u8>)>()
        .all(db)
        .await
}

/// Who uploaded each of the given segments still in the log, and when, in seq order.
pub async fn origins(
    db: &DatabaseConnection,
    vault_id: Uuid,
    seqs: &[i64],
) -> Result<Vec<SegmentOrigin>, DbErr> {
    let rows = segment::Entity::find()
        .select_only()
        .column(segment::Column::Seq)
        .column(segment::Column::UploadedBy)
        .column(segment::Column::CreatedAt)
        .column(segment::Column::WriteSignature)
        .filter(segment::Column::VaultId.eq(vault_id))
        .filter(segment::Column::Seq.is_in(seqs.iter().copied()))
        .order_by_asc(segment::Column::Seq)
        .into_tuple::<(i64, Option<Uuid>, DateTime<Utc>, Option<Vec<u8>>)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, uploaded_by, uploaded_at, signature)| SegmentOrigin {
            seq,
            uploaded_by,
            uploaded_at,
            write_signature: signature.map(|bytes| {
                use base64::Engine as _;
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
            }),
        })
        .collect())
}

/// What one compaction writes: its head, the new segments with the signatures stored
/// beside them (one per segment, or none), and the member-list entries that come with it.
pub struct Compaction<'a> {
    pub head: &'a CompactionHead,
    pub segments: &'a [SealedSegment],
    pub write_signatures: &'a [Option<Vec<u8>>],
    pub member_list: Option<MemberListAddition<'a>>,
}

/// Swaps the segments `head.from_seq..=head.to_seq` for the compaction's new segments in
/// one transaction.
///
/// The new segments take the first sequence numbers of the range, so everything after the
/// range keeps its place. A rotation (a higher epoch) must cover the whole log, since no
/// segment may remain sealed to a key that is being retired, and brings the new recipient
/// and the members' wrapped keys.
pub async fn compact(
    db: &DatabaseConnection,
    account: Uuid,
    vault_id: Uuid,
    compaction: Compaction<'_>,
    now: DateTime<Utc>,
) -> Result<(vault::Model, Vec<i64>), VaultError> {
    let Compaction {
        head,
        segments: new_segments,
        write_signatures,
        member_list,
    } = compaction;
    let bad = |why: &str| VaultError::BadCompaction(why.to_owned());
    // Rotating a record that holds nothing yet replaces nothing: `from_seq` 1, `to_seq` 0.
    // It still matters: what is added next must not be sealed to a removed caregiver's key.
    let empty_range = head.from_seq == 1 && head.to_seq == 0 && new_segments.is_empty();
    if !empty_range && (head.from_seq < 1 || head.to_seq < head.from_seq) {
        return Err(bad("the range to replace is empty"));
    }
    let width = head.to_seq - head.from_seq + 1;
    if new_segments.len() as i64 > width {
        return Err(bad(
            "a compaction cannot produce more segments than it replaces",
        ));
    }
    let new_epoch = i32::try_from(head.epoch).map_err(|_| VaultError::InvalidEpoch(head.epoch))?;
    for segment in new_segments {
        if segment.vault_id().0 != vault_id {
            return Err(VaultError::ForeignVault {
                found: segment.vault_id().0,
            });
        }
        if segment.epoch().0 != head.epoch {
            return Err(bad(
                "every new segment must be sealed for the compaction's epoch",
            ));
        }
    }

    let txn = db.begin().await?;
    // Taking the generation first serialises compactions with each other and with uploads
    // (which update the same row), so the range checked below cannot change under us.
    let bumped = vault::Entity::update_many()
        .col_expr(
            vault::Column::Generation,
            Expr::col(vault::Column::Generation).add(1),
        )
        .filter(vault::Column::Id.eq(vault_id))
        .filter(vault::Column::OwnerId.eq(account))
        .filter(vault::Column::Generation.eq(head.generation))
        .exec_with_returning(&txn)
        .await?;
    let Some(current) = bumped.into_iter().next() else {
        let found = get_for(&txn, account, vault_id, Action::Rewrite, now).await;
        txn.rollback().await?;
        return Err(match found {
            Ok(v) => VaultError::GenerationMismatch {
                expected: head.generation,
                current: v.generation,
            },
            Err(e) => e,
        });
    };
    let rotating = new_epoch > current.epoch;
    // Re-sealing to a retired key would hand a removed caregiver what a rotation hides.
    if !rotating && memberships::key_retired(&txn, &current, now).await? {
        txn.rollback().await?;
        return Err(VaultError::RotationDue);
    }
    if empty_range && !rotating {
        txn.rollback().await?;
        return Err(bad("the range to replace is empty"));
    }
    if new_epoch < current.epoch {
        txn.rollback().await?;
        return Err(bad("the epoch of a compaction cannot go back"));
    }
    if head.to_seq > current.last_seq {
        txn.rollback().await?;
        return Err(bad("the range reaches past the end of the log"));
    }
    let replaced = segment::Entity::find()
        .select_only()
        .column(segment::Column::Seq)
        .column(segment::Column::Size)
        .filter(segment::Column::VaultId.eq(vault_id))
        .filter(segment::Column::Seq.between(head.from_seq, head.to_seq))
        .into_tuple::<(i64, i64)>()
        .all(&txn)
        .await?;
    if rotating {
        let outside = segment::Entity::find()
            .filter(segment::Column::VaultId.eq(vault_id))
            .filter(
                segment::Column::Seq
                    .lt(head.from_seq)
                    .or(segment::Column::Seq.gt(head.to_seq)),
            )
            .count(&txn)
            .await?;
        let owner_wrapped = head
            .wrapped_keys
            .iter()
            .any(|k| k.account_id == current.owner_id);
        let members: Vec<Uuid> = memberships::for_vault(&txn, vault_id)
            .await?
            .iter()
            .filter(|m| memberships::holds_key(m, now))
            .filter_map(|m| m.account_id)
            .collect();
        let wrapped_to =
            |account: &Uuid| head.wrapped_keys.iter().any(|k| k.account_id == *account);
        let strangers = head
            .wrapped_keys
            .iter()
            .any(|k| k.account_id != current.owner_id && !members.contains(&k.account_id));
        let problem = if outside > 0 || head.to_seq != current.last_seq {
            Some("a rotation must re-seal the whole log")
        } else if head.recipient.is_none() {
            Some("a rotation must bring the new recipient")
        } else if !owner_wrapped {
            Some("a rotation must wrap the new key to the owner")
        } else if !members.iter().all(wrapped_to) {
            Some("a rotation must wrap the new key to every caregiver who keeps access")
        } else if strangers {
            Some("a rotation may wrap the new key only to the owner and the record's caregivers")
        } else {
            None
        };
        if let Some(why) = problem {
            txn.rollback().await?;
            return Err(bad(why));
        }
    }
    let removed: i64 = replaced.iter().map(|(_, size)| size).sum();
    let added: i64 = new_segments.iter().map(|s| s.len() as i64).sum();
    let used = current.used_bytes - removed + added;
    if used > current.quota_bytes && added > removed {
        txn.rollback().await?;
        return Err(VaultError::QuotaExceeded {
            quota: current.quota_bytes,
            used: current.used_bytes,
            size: added - removed,
        });
    }
    segment::Entity::delete_many()
        .filter(segment::Column::VaultId.eq(vault_id))
        .filter(segment::Column::Seq.between(head.from_seq, head.to_seq))
        .exec(&txn)
        .await?;
    let mut seqs = Vec::with_capacity(new_segments.len());
    for (i, sealed) in new_segments.iter().enumerate() {
        let seq = head.from_seq + i as i64;
        segment::ActiveModel {
            vault_id: Set(vault_id),
            seq: Set(seq),
            epoch: Set(new_epoch),
            upload_key: Set(format!("compaction-{}-{i}", current.generation)),
            digest: Set(digest(sealed.as_bytes())),
            size: Set(sealed.len() as i64),
            ciphertext: Set(sealed.as_bytes().to_vec()),
            created_at: Set(now),
            uploaded_by: Set(Some(account)),
            write_signature: Set(write_signatures.get(i).cloned().flatten()),
        }
        .insert(&txn)
        .await?;
        seqs.push(seq);
    }
    let mut update: vault::ActiveModel = current.clone().into();
    update.used_bytes = Set(used);
    update.epoch = Set(new_epoch);
    if let Some(recipient) = &head.recipient {
        update.recipient = Set(recipient.clone());
    }
    if rotating {
        update.rotation_due_at = Set(None);
    }
    let updated = update.update(&txn).await?;
    for wrap in &head.wrapped_keys {
        let wrapped = base64_decode(&wrap.wrapped_key)
            .ok_or_else(|| bad("a wrapped key is not base64url"))?;
        vault_key::ActiveModel {
            vault_id: Set(vault_id),
            account_id: Set(wrap.account_id),
            epoch: Set(new_epoch),
            wrapped_key: Set(wrapped),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    if let Some(addition) = member_list {
        match rosters::insert(
            &txn,
            vault_id,
            addition.after,
            addition.entries,
            account,
            now,
        )
        .await
        {
            Ok(()) => {}
            Err(rosters::RosterStoreError::Moved { entries, after }) => {
                txn.rollback().await?;
                return Err(VaultError::MemberListMoved { entries, after });
            }
            Err(rosters::RosterStoreError::Db(e)) => return Err(e.into()),
            Err(other) => return Err(VaultError::BadCompaction(other.to_string())),
        }
    }
    txn.commit().await?;
    Ok((updated, seqs))
}

pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}

/// Whether an attachment upload stored something new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentStored {
    New,
    /// These bytes were stored under this id already: a retry, which changes nothing.
    Again,
}

/// Records an attachment of `size` bytes whose sealed bytes hash to `digest`, counting it
/// against the quota. An id is never given other bytes: that is `AttachmentDiffers`, and
/// the same bytes again are `Again`. Fails, changing nothing, if it does not fit or if the
/// vault's key is retired (see [`append_segment`]).
pub async fn add_attachment(
    db: &DatabaseConnection,
    vault_id: Uuid,
    id: Uuid,
    size: i64,
    digest: &[u8],
) -> Result<AttachmentStored, VaultError> {
    let txn = db.begin().await?;
    if let Some(previous) = attachment::Entity::find_by_id((vault_id, id))
        .one(&txn)
        .await?
    {
        txn.rollback().await?;
        return if previous.digest.as_deref() == Some(digest) {
            Ok(AttachmentStored::Again)
        } else {
            Err(VaultError::AttachmentDiffers(id))
        };
    }
    let updated = vault::Entity::update_many()
        .col_expr(
            vault::Column::UsedBytes,
            Expr::col(vault::Column::UsedBytes).add(size),
        )
        .filter(vault::Column::Id.eq(vault_id))
        .filter(vault::Column::RotationDueAt.is_null())
        .filter(
            Expr::col(vault::Column::UsedBytes)
                .add(size)
                .lte(Expr::col(vault::Column::QuotaBytes)),
        )
        .exec_with_returning(&txn)
        .await?;
    if updated.is_empty() {
        let current = vault::Entity::find_by_id(vault_id).one(&txn).await?;
        txn.rollback().await?;
        return Err(match current {
            None => VaultError::NotFound,
            Some(v) if v.rotation_due_at.is_some() => VaultError::RotationDue,
            Some(v) => VaultError::QuotaExceeded {
                quota: v.quota_bytes,
                used: v.used_bytes,
                size,
            },
        });
    }
    let inserted = attachment::ActiveModel {
        vault_id: Set(vault_id),
        id: Set(id),
        size: Set(size),
        digest: Set(Some(digest.to_vec())),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {
            txn.commit().await?;
            Ok(AttachmentStored::New)
        }
        // A concurrent upload of this id won: answer as its retry, or as a conflict.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            txn.rollback().await?;
            let winner = attachment::Entity::find_by_id((vault_id, id))
                .one(db)
                .await?;
            match winner {
                Some(row) if row.digest.as_deref() == Some(digest) => Ok(AttachmentStored::Again),
                _ => Err(VaultError::AttachmentDiffers(id)),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Keeps the digest of an attachment stored before digests were, computed from its file.
pub async fn set_attachment_digest(
    db: &DatabaseConnection,
    vault_id: Uuid,
    id: Uuid,
    digest: &[u8],
) -> Result<(), DbErr> {
    attachment::Entity::update_many()
        .col_expr(attachment::Column::Digest, Expr::value(digest.to_vec()))
        .filter(attachment::Column::VaultId.eq(vault_id))
        .filter(attachment::Column::Id.eq(id))
        .filter(attachment::Column::Digest.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn attachment_exists(
    db: &DatabaseConnection,
    vault_id: Uuid,
    id: Uuid,
) -> Result<Option<attachment::Model>, DbErr> {
    attachment::Entity::find_by_id((vault_id, id)).one(db).await
}

pub async fn remove_attachment(
    db: &DatabaseConnection,
    vault_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let Some(found) = attachment::Entity::find_by_id((vault_id, id))
        .one(&txn)
        .await?
    else {
        txn.rollback().await?;
        return Ok(false);
    };
    attachment::Entity::delete_by_id((vault_id, id))
        .exec(&txn)
        .await?;
    vault::Entity::update_many()
        .col_expr(
            vault::Column::UsedBytes,
            Expr::col(vault::Column::UsedBytes).sub(found.size),
        )
        .filter(vault::Column::Id.eq(vault_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// Deletes a vault's rows. The caller removes its blobs and, on SQLite, checkpoints the
/// write-ahead log so no deleted page survives in it.
pub async fn delete(db: &DatabaseConnection, vault_id: Uuid) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    segment::Entity::delete_many()
        .filter(segment::Column::VaultId.eq(vault_id))
        .exec(&txn)
        .await?;
    attachment::Entity::delete_many()
        .filter(attachment::Column::VaultId.eq(vault_id))
        .exec(&txn)
        .await?;
    vault_key::Entity::delete_many()
        .filter(vault_key::Column::VaultId.eq(vault_id))
        .exec(&txn)
        .await?;
    vault::Entity::delete_by_id(vault_id).exec(&txn).await?;
    txn.commit().await
}
