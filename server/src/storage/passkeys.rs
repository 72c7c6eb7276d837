//! Passkeys: each account's WebAuthn credentials, with names, last-used times and, for
//! authenticators with PRF, the account identity wrapped to the passkey's unlocker.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;
use webauthn_rs::prelude::Passkey;

use super::entity::{account, passkey, recovery_code};

/// A stored passkey with its webauthn-rs credential parsed back.
pub struct StoredPasskey {
    pub row: passkey::Model,
    pub credential: Passkey,
}

impl TryFrom<passkey::Model> for StoredPasskey {
    type Error = DbErr;

    fn try_from(row: passkey::Model) -> Result<Self, DbErr> {
        let credential = serde_json::from_str(&row.credential)
            .map_err(|e| DbErr::Custom(format!("stored passkey {} is unreadable: {e}", row.id)))?;
        Ok(StoredPasskey { row, credential })
    }
}

pub struct NewPasskey<'a> {
    pub account_id: Uuid,
    pub credential: &'a Passkey,
    pub name: &'a str,
    pub prf_enabled: bool,
    pub wrapped_key: Option<Vec<u8>>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewPasskey<'_>,
) -> Result<passkey::Model, DbErr> {
    passkey::ActiveModel {
        id: Set(Uuid::new_v4()),
        account_id: Set(new.account_id),
        credential_id: Set(new.credential.cred_id().to_vec()),
        credential: Set(
            serde_json::to_string(new.credential).map_err(|e| DbErr::Custom(e.to_string()))?
        ),
        name: Set(new.name.to_owned()),
        prf_enabled: Set(new.prf_enabled),
        wrapped_key: Set(new.wrapped_key),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn list(db: &DatabaseConnection, account_id: Uuid) -> Result<Vec<passkey::Model>, DbErr> {
    passkey::Entity::find()
        .filter(passkey::Column::AccountId.eq(account_id))
        .order_by_asc(passkey::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn find_by_credential_id(
    db: &DatabaseConnection,
    credential_id: &[u8],
) -> Result<Option<StoredPasskey>, DbErr> {
    passkey::Entity::find()
        .filter(passkey::Column::CredentialId.eq(credential_id.to_vec()))
        .one(db)
        .await?
        .map(StoredPasskey::try_from)
        .transpose()
}

pub async fn get_for(
    db: &DatabaseConnection,
    account_id: Uuid,
    passkey_id: Uuid,
) -> Result<Option<passkey::Model>, DbErr> {
    passkey::Entity::find_by_id(passkey_id)
        .filter(passkey::Column::AccountId.eq(account_id))
        .one(db)
        .await
}

/// Records a successful sign-in: the credential's new counter and flags, and the time.
pub async fn record_use(
    db: &DatabaseConnection,
    passkey_id: Uuid,
    credential: &Passkey,
) -> Result<(), DbErr> {
    passkey::Entity::update_many()
        .col_expr(
            passkey::Column::Credential,
            Expr::value(
                serde_json::to_string(credential).map_err(|e| DbErr::Custom(e.to_string()))?,
            ),
        )
        .col_expr(passkey::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(passkey::Column::Id.eq(passkey_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Renames a passkey; false if the account has no such passkey.
pub async fn rename(
    db: &DatabaseConnection,
    account_id: Uuid,
    passkey_id: Uuid,
    name: &str,
) -> Result<bool, DbErr> {
    let result = passkey::Entity::update_many()
        .col_expr(passkey::Column::Name, Expr::value(name))
        .filter(passkey::Column::Id.eq(passkey_id))
        .filter(passkey::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Stores the account identity wrapped to a passkey's PRF unlocker; false if the account has
/// no such passkey.
pub async fn set_wrapped_key(
    db: &DatabaseConnection,
    account_id: Uuid,
    passkey_id: Uuid,
    wrapped_key: Vec<u8>,
) -> Result<bool, DbErr> {
    let result = passkey::Entity::update_many()
        .col_expr(passkey::Column::WrappedKey, Expr::value(wrapped_key))
        .col_expr(passkey::Column::PrfEnabled, Expr::value(true))
        .filter(passkey::Column::Id.eq(passkey_id))
        .filter(passkey::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Why a way in could not be removed.
#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    #[error("no such passkey")]
    NotFound,
    #[error(
        "this is the last way into the account: add another passkey or keep a recovery code \
         before removing it"
    )]
    LastWayIn,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Takes the account's row lock, so two removals racing for the last ways in are decided
/// one after the other: an update of the row locks it on PostgreSQL, and any write takes
/// SQLite's single writer lock.
pub(super) async fn lock_account(db: &impl ConnectionTrait, account_id: Uuid) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::Id, Expr::col(account::Column::Id))
        .filter(account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}

/// How many ways into the account remain: passkeys, and the recovery code.
pub(super) async fn ways_in(
    db: &impl ConnectionTrait,
    account_id: Uuid,
) -> Result<(u64, bool), DbErr> {
    let passkeys = passkey::Entity::find()
        .filter(passkey::Column::AccountId.eq(account_id))
        .count(db)
        .await?;
    let recovery = recovery_code::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .is_some();
    Ok((passkeys, recovery))
}

/// Removes a passkey unless it is the last way in, and ends the sessions it signed in:
/// whoever signed in with a passkey the owner no longer trusts is signed out with it.
pub async fn remove(
    db: &DatabaseConnection,
    account_id: Uuid,
    passkey_id: Uuid,
) -> Result<(), RemoveError> {
    let txn = db.begin().await?;
    lock_account(&txn, account_id).await?;
    let deleted = passkey::Entity::delete_many()
        .filter(passkey::Column::Id.eq(passkey_id))
        .filter(passkey::Column::AccountId.eq(account_id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(RemoveError::NotFound);
    }
    if ways_in(&txn, account_id).await? == (0, false) {
        return Err(RemoveError::LastWayIn);
    }
    super::sessions::end_started_by(&txn, passkey_id).await?;
    txn.commit().await?;
    Ok(())
}
