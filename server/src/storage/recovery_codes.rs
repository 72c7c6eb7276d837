//! The recovery code's public traces: the hash of its sign-in verifier, to find the account
//! when every passkey is lost, and the account identity wrapped to its unlocker.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::entity::recovery_code;
use super::passkeys::{RemoveError, lock_account, ways_in};
use super::secret_token;

/// Sets the account's recovery code, replacing any earlier one: the old code stops
/// signing in and its wrapped key is gone.
pub async fn set(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    verifier: &[u8],
    wrapped_key: Vec<u8>,
) -> Result<(), DbErr> {
    recovery_code::Entity::delete_by_id(account_id)
        .exec(db)
        .await?;
    recovery_code::ActiveModel {
        account_id: Set(account_id),
        verifier_hash: Set(secret_token::hash(verifier)),
        wrapped_key: Set(wrapped_key),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Replaces the recovery code in one transaction, so a failure keeps the old one working.
pub async fn replace(
    db: &DatabaseConnection,
    account_id: Uuid,
    verifier: &[u8],
    wrapped_key: Vec<u8>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    set(&txn, account_id, verifier, wrapped_key).await?;
    txn.commit().await
}

pub async fn get(
    db: &DatabaseConnection,
    account_id: Uuid,
) -> Result<Option<recovery_code::Model>, DbErr> {
    recovery_code::Entity::find_by_id(account_id).one(db).await
}

/// The account a recovery verifier signs into, if any.
pub async fn find_by_verifier(
    db: &DatabaseConnection,
    verifier: &[u8],
) -> Result<Option<recovery_code::Model>, DbErr> {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::VerifierHash.eq(secret_token::hash(verifier)))
        .one(db)
        .await
}

/// Removes the recovery code unless no passkey is left.
pub async fn remove(db: &DatabaseConnection, account_id: Uuid) -> Result<(), RemoveError> {
    let txn = db.begin().await?;
    lock_account(&txn, account_id).await?;
    let deleted = recovery_code::Entity::delete_by_id(account_id)
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(RemoveError::NotFound);
    }
    if ways_in(&txn, account_id).await? == (0, false) {
        return Err(RemoveError::LastWayIn);
    }
    txn.commit().await?;
    Ok(())
}
