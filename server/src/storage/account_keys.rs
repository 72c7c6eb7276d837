//! Replacing an account's keys in one transaction (`POST /api/v1/account/key-rotations`):
//! the new recipient and signing key, the identity's new wraps, every vault key re-wrapped,
//! a `MemberKeys` entry in each member list that names the account, and everyone else
//! signed out. Either all of it lands or nothing does, so no record is left wrapped only to
//! keys the account no longer has.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use folio_shared::keys::{AccountRecipient, SigningPublicKey};
use folio_shared::roster::{RosterChange, RosterEntry, SignedRosterEntry};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use super::entity::{account, device, membership, passkey, session, vault, vault_key};
use super::memberships;
use super::passkeys::lock_account;
use super::recovery_codes;
use super::rosters::{self, RosterStoreError};
use super::vault_events;

/// Who asks: their own session or device keeps working.
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    Session(Uuid),
    Device(Uuid),
}

/// A checked request: keys parsed, wraps decoded.
pub struct NewAccountKeys {
    pub previous_recipient: String,
    pub recipient: AccountRecipient,
    pub signing_key: SigningPublicKey,
    pub wrapped_signing_key: Vec<u8>,
    pub recovery_verifier: Vec<u8>,
    pub recovery_wrapped_key: Vec<u8>,
    pub passkey: Option<(Uuid, Vec<u8>)>,
    pub device_wrapped_key: Option<Vec<u8>>,
    pub revoke_device: Option<Uuid>,
    /// (vault, epoch) → the vault key wrapped to the new recipient.
    pub vault_keys: Vec<(Uuid, i32, Vec<u8>)>,
    pub member_lists: Vec<(Uuid, u64, SignedRosterEntry)>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountKeysError {
    #[error(
        "the account's keys were replaced meanwhile (its recipient is no longer the one this \
         request rotates from): unlock again and retry"
    )]
    RecipientMoved,
    #[error(
        "the request must re-wrap exactly the record keys this account holds ({held} now, \
         {sent} sent): read them again and retry"
    )]
    KeysMoved { held: usize, sent: usize },
    #[error("this account has no such device, or it is revoked already")]
    NoSuchDevice,
    #[error("a device cannot revoke itself while replacing the account's keys")]
    RevokesItself,
    #[error("this account has no such passkey")]
    NoSuchPasskey,
    #[error(
        "the member list of record {0} names this account: the request needs its new keys \
         entry"
    )]
    MemberListMissing(Uuid),
    #[error(
        "the entry for record {0} must be the new keys of this account (a `MemberKeys` entry \
         with the signing key and recipient of this request)"
    )]
    NotTheNewKeys(Uuid),
    #[error("the member list of record {vault}: {source}")]
    MemberList {
        vault: Uuid,
        #[source]
        source: RosterStoreError,
    },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What the rotation ended and the records now due for a key rotation.
#[derive(Debug)]
pub struct Rotated {
    pub devices_signed_out: u64,
    pub sessions_ended: u64,
    pub rotation_due: Vec<Uuid>,
}

pub async fn replace(
    db: &DatabaseConnection,
    account_id: Uuid,
    caller: Caller,
    new: &NewAccountKeys,
    now: DateTime<Utc>,
) -> Result<Rotated, AccountKeysError> {
    let txn = db.begin().await?;
    lock_account(&txn, account_id).await?;
    let account = account::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
        .ok_or(DbErr::RecordNotFound("account".into()))?;
    if account.recipient.as_deref() != Some(new.previous_recipient.as_str()) {
        return Err(AccountKeysError::RecipientMoved);
    }
    check_vault_keys(&txn, account_id, &new.vault_keys).await?;
    let owned: Vec<Uuid> = vault::Entity::find()
        .filter(vault::Column::OwnerId.eq(account_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    // A contact waiting for emergency access cannot read the record yet (nor its list).
    let helping: Vec<membership::Model> = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account_id))
        .all(&txn)
        .await?
        .into_iter()
        .filter(|row| memberships::is_active(row, now))
        .collect();
    let lists = owned
        .iter()
        .copied()
        .chain(helping.iter().map(|m| m.vault_id));
    check_member_lists(&txn, &account, lists, new).await?;
    if let Some(device_id) = new.revoke_device {
        if matches!(caller, Caller::Device(own) if own == device_id) {
            return Err(AccountKeysError::RevokesItself);
        }
        let live = device::Entity::find_by_id(device_id)
            .filter(device::Column::AccountId.eq(account_id))
            .filter(device::Column::RevokedAt.is_null())
            .one(&txn)
            .await?;
        if live.is_none() {
            return Err(AccountKeysError::NoSuchDevice);
        }
    }

    account::Entity::update_many()
        .col_expr(
            account::Column::Recipient,
            Expr::value(new.recipient.to_string()),
        )
        .col_expr(
            account::Column::SigningKey,
            Expr::value(new.signing_key.as_bytes().to_vec()),
        )
        .col_expr(
            account::Column::WrappedSigningKey,
            Expr::value(new.wrapped_signing_key.clone()),
        )
        .filter(account::Column::Id.eq(account_id))
        .exec(&txn)
        .await?;

    // Every other passkey's wrap goes: the server held its public half and could have
    // swapped it. That passkey unlocks once more with the new recovery code.
    passkey::Entity::update_many()
        .col_expr(
            passkey::Column::WrappedKey,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(passkey::Column::AccountId.eq(account_id))
        .exec(&txn)
        .await?;
    if let Some((passkey_id, wrapped)) = &new.passkey {
        let kept = passkey::Entity::update_many()
            .col_expr(passkey::Column::WrappedKey, Expr::value(wrapped.clone()))
            .col_expr(passkey::Column::PrfEnabled, Expr::value(true))
            .filter(passkey::Column::Id.eq(*passkey_id))
            .filter(passkey::Column::AccountId.eq(account_id))
            .exec(&txn)
            .await?;
        if kept.rows_affected != 1 {
            return Err(AccountKeysError::NoSuchPasskey);
        }
    }

    let mut other_devices = device::Entity::update_many()
        .col_expr(device::Column::RevokedAt, Expr::value(now))
        .col_expr(
            device::Column::WrappedKey,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(device::Column::AccountId.eq(account_id))
        .filter(device::Column::RevokedAt.is_null());
    let mut other_sessions =
        session::Entity::delete_many().filter(session::Column::AccountId.eq(account_id));
    match caller {
        Caller::Device(own) => {
            other_devices = other_devices.filter(device::Column::Id.ne(own));
            device::Entity::update_many()
                .col_expr(
                    device::Column::WrappedKey,
                    Expr::value(new.device_wrapped_key.clone()),
                )
                .filter(device::Column::Id.eq(own))
                .exec(&txn)
                .await?;
        }
        Caller::Session(own) => {
            other_sessions = other_sessions.filter(session::Column::Id.ne(own));
        }
    }
    let devices_signed_out = other_devices.exec(&txn).await?.rows_affected;
    let sessions_ended = other_sessions.exec(&txn).await?.rows_affected;

    recovery_codes::set(
        &txn,
        account_id,
        &new.recovery_verifier,
        new.recovery_wrapped_key.clone(),
    )
    .await?;

    for (vault_id, epoch, wrapped) in &new.vault_keys {
        vault_key::Entity::update_many()
            .col_expr(vault_key::Column::WrappedKey, Expr::value(wrapped.clone()))
            .filter(vault_key::Column::VaultId.eq(*vault_id))
            .filter(vault_key::Column::AccountId.eq(account_id))
            .filter(vault_key::Column::Epoch.eq(*epoch))
            .exec(&txn)
            .await?;
    }

    // What an owner wraps a caregiver's next keys to, for records without a member list.
    membership::Entity::update_many()
        .col_expr(
            membership::Column::Recipient,
            Expr::value(new.recipient.to_string()),
        )
        .col_expr(
            membership::Column::SigningKey,
            Expr::value(new.signing_key.as_bytes().to_vec()),
        )
        .filter(membership::Column::AccountId.eq(account_id))
        .exec(&txn)
        .await?;

    for (vault_id, after, entry) in &new.member_lists {
        rosters::insert(
            &txn,
            *vault_id,
            *after,
            std::slice::from_ref(entry),
            account_id,
            now,
        )
        .await
        .map_err(|source| AccountKeysError::MemberList {
            vault: *vault_id,
            source,
        })?;
    }

    // The owners of the records this account helps with are told in their activity log:
    // only they can rotate those records' keys, which the old identity also opened.
    for row in &helping {
        vault_events::record(
            &txn,
            row.vault_id,
            Some(account_id),
            &row.name,
            "replaced their keys",
            if new.revoke_device.is_some() {
                "after revoking one of their devices: rotate this record's key (Caregivers), \
                 so that device's copy of it opens nothing added from now on"
            } else {
                "their new keys are on this record's member list"
            },
        )
        .await?;
    }

    // The old identity opened the current key of every record the account owns: nothing
    // more is sealed to it until the owner's client rotates it.
    vault::Entity::update_many()
        .col_expr(vault::Column::RotationDueAt, Expr::value(now))
        .filter(vault::Column::OwnerId.eq(account_id))
        .filter(vault::Column::RotationDueAt.is_null())
        .exec(&txn)
        .await?;

    txn.commit().await?;
    Ok(Rotated {
        devices_signed_out,
        sessions_ended,
        rotation_due: owned,
    })
}

async fn check_vault_keys(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    sent: &[(Uuid, i32, Vec<u8>)],
) -> Result<(), AccountKeysError> {
    let held: BTreeSet<(Uuid, i32)> = vault_key::Entity::find()
        .filter(vault_key::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.vault_id, row.epoch))
        .collect();
    let covered: BTreeSet<(Uuid, i32)> = sent.iter().map(|(v, e, _)| (*v, *e)).collect();
    if covered != held || covered.len() != sent.len() {
        return Err(AccountKeysError::KeysMoved {
            held: held.len(),
            sent: sent.len(),
        });
    }
    Ok(())
}

/// Every list of `records` (those the account owns or may read) that names the account gets
/// exactly one entry: its new keys, signed with the account's registered (old) key,
/// following the list as it stands.
async fn check_member_lists(
    db: &impl ConnectionTrait,
    account: &account::Model,
    records: impl Iterator<Item = Uuid>,
    new: &NewAccountKeys,
) -> Result<(), AccountKeysError> {
    let mut expected = BTreeSet::new();
    for vault_id in records.collect::<BTreeSet<_>>() {
        let roster =
            rosters::roster(db, vault_id)
                .await
                .map_err(|source| AccountKeysError::MemberList {
                    vault: vault_id,
                    source,
                })?;
        if roster.is_some_and(|r| r.member(account.id).is_some()) {
            expected.insert(vault_id);
        }
    }
    let mut seen = BTreeSet::new();
    for (vault_id, after, entry) in &new.member_lists {
        if !expected.contains(vault_id) || !seen.insert(*vault_id) {
            return Err(AccountKeysError::NotTheNewKeys(*vault_id));
        }
        let is_new_keys = matches!(
            RosterEntry::from_bytes(&entry.body),
            Ok(RosterEntry { change: RosterChange::MemberKeys { account: who, signing_key, recipient }, .. })
                if who == account.id && signing_key == new.signing_key && recipient == new.recipient
        );
        if !is_new_keys {
            return Err(AccountKeysError::NotTheNewKeys(*vault_id));
        }
        let vault = vault::Entity::find_by_id(*vault_id)
            .one(db)
            .await?
            .ok_or(AccountKeysError::NotTheNewKeys(*vault_id))?;
        rosters::checked_append(db, &vault, account, *after, std::slice::from_ref(entry))
            .await
            .map_err(|source| AccountKeysError::MemberList {
                vault: *vault_id,
                source,
            })?;
    }
    if let Some(missing) = expected.difference(&seen).next() {
        return Err(AccountKeysError::MemberListMissing(*missing));
    }
    Ok(())
}
