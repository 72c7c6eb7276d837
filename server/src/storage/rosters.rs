//! A record's member list (roster) as the server keeps it: the signed entries clients
//! upload, checked as a client would check them before they are stored, so an honest server
//! never hands out a list every client refuses. The server cannot make an entry itself (it
//! holds no member's signing key); clients verify the whole list again and pin its head.

use chrono::{DateTime, Utc};
use folio_shared::keys::SigningPublicKey;
use folio_shared::roster::{Roster, RosterChange, RosterEntry, RosterError, SignedRosterEntry};
use folio_shared::vault::VaultId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, SqlErr, TransactionTrait,
};
use uuid::Uuid;

use super::entity::{account, roster_entry, vault};

/// The most entries one append may add: a member list changes a few entries at a time.
pub const MAX_APPEND: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum RosterStoreError {
    #[error("the record's member list has {entries} entries now, not {after}: read it again")]
    Moved { entries: u64, after: u64 },
    #[error("the new entries do not follow the record's member list: {0}")]
    Invalid(#[source] RosterError),
    #[error("the new entries must be signed with this account's own signing key")]
    NotYourKey,
    #[error("a record's member list starts with its owner, and this account is not the owner")]
    NotTheOwner,
    #[error("send between 1 and {MAX_APPEND} entries")]
    Count,
    #[error("the stored member list of this record does not verify: {0}")]
    Corrupt(#[source] RosterError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The record's list, genesis first; empty for a record written before signing.
pub async fn entries(
    db: &impl ConnectionTrait,
    vault_id: Uuid,
) -> Result<Vec<SignedRosterEntry>, DbErr> {
    let rows = roster_entry::Entity::find()
        .filter(roster_entry::Column::VaultId.eq(vault_id))
        .order_by_asc(roster_entry::Column::Seq)
        .all(db)
        .await?;
    rows.into_iter().map(signed_entry).collect()
}

/// The record's verified list, or `None` for a record written before signing.
pub async fn roster(
    db: &impl ConnectionTrait,
    vault_id: Uuid,
) -> Result<Option<Roster>, RosterStoreError> {
    let stored = entries(db, vault_id).await?;
    if stored.is_empty() {
        return Ok(None);
    }
    Roster::verify(VaultId(vault_id), &stored, None)
        .map(Some)
        .map_err(RosterStoreError::Corrupt)
}

/// Adds `new` after the first `after` entries, uploaded by `account`. Every new entry must
/// be signed with the account's registered signing key, a genesis entry must name the
/// record's owner, and the whole list must verify.
pub async fn append(
    db: &DatabaseConnection,
    vault: &vault::Model,
    account: &account::Model,
    after: u64,
    new: &[SignedRosterEntry],
    now: DateTime<Utc>,
) -> Result<u64, RosterStoreError> {
    let txn = db.begin().await?;
    checked_append(&txn, vault, account, after, new).await?;
    insert(&txn, vault.id, after, new, account.id, now).await?;
    txn.commit().await?;
    Ok(after + new.len() as u64)
}

/// The list as it would be with `new` after the first `after` entries, checked as
/// [`append`] checks it, without storing anything: for a compaction that stores the entries
/// with its segments ([`insert`] in its own transaction).
pub async fn checked_append(
    db: &impl ConnectionTrait,
    vault: &vault::Model,
    account: &account::Model,
    after: u64,
    new: &[SignedRosterEntry],
) -> Result<Roster, RosterStoreError> {
    if new.is_empty() || new.len() > MAX_APPEND {
        return Err(RosterStoreError::Count);
    }
    let registered = registered_key(account);
    if new.iter().any(|e| Some(e.signer) != registered) {
        return Err(RosterStoreError::NotYourKey);
    }
    for entry in new {
        if let Ok(RosterEntry {
            change: RosterChange::Genesis { owner },
            ..
        }) = RosterEntry::from_bytes(&entry.body)
            && (owner.account != vault.owner_id || account.id != vault.owner_id)
        {
            return Err(RosterStoreError::NotTheOwner);
        }
    }
    let mut all = entries(db, vault.id).await?;
    let stored = all.len() as u64;
    if stored != after {
        return Err(RosterStoreError::Moved {
            entries: stored,
            after,
        });
    }
    all.extend_from_slice(new);
    Roster::verify(VaultId(vault.id), &all, None).map_err(RosterStoreError::Invalid)
}

/// Stores `new` as the entries after the first `after`, checked already
/// ([`checked_append`]). Inside the caller's transaction: if another append took one of
/// these seqs meanwhile, the caller rolls back on [`RosterStoreError::Moved`].
pub async fn insert(
    txn: &impl ConnectionTrait,
    vault_id: Uuid,
    after: u64,
    new: &[SignedRosterEntry],
    added_by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), RosterStoreError> {
    for (i, entry) in new.iter().enumerate() {
        let inserted = roster_entry::ActiveModel {
            vault_id: Set(vault_id),
            seq: Set((after + 1 + i as u64) as i64),
            body: Set(entry.body.clone()),
            signer: Set(entry.signer.as_bytes().to_vec()),
            signature: Set(entry.signature.to_vec()),
            added_by: Set(added_by),
            created_at: Set(now),
        }
        .insert(txn)
        .await;
        match inserted {
            Ok(_) => {}
            // Another append took this seq between our read and our write.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Err(RosterStoreError::Moved {
                    entries: after + i as u64 + 1,
                    after,
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The signing key an account registered, if any.
pub fn registered_key(account: &account::Model) -> Option<SigningPublicKey> {
    let bytes: &[u8; 32] = account.signing_key.as_deref()?.try_into().ok()?;
    SigningPublicKey::from_bytes(bytes).ok()
}

fn signed_entry(row: roster_entry::Model) -> Result<SignedRosterEntry, DbErr> {
    let (seq, vault_id) = (row.seq, row.vault_id);
    let corrupt = |what: &str| {
        DbErr::Custom(format!(
            "roster entry {seq} of vault {vault_id} has a malformed {what}"
        ))
    };
    let signer: &[u8; 32] = row
        .signer
        .as_slice()
        .try_into()
        .map_err(|_| corrupt("signer"))?;
    Ok(SignedRosterEntry {
        signer: SigningPublicKey::from_bytes(signer).map_err(|_| corrupt("signer"))?,
        signature: row
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| corrupt("signature"))?,
        body: row.body,
    })
}
