//! Accounts: an id, a public age recipient, and everything that hangs off them.

use chrono::Utc;
use folio_shared::keys::SigningPublicKey;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use uuid::Uuid;

use super::blobs::BlobStore;
use super::entity::{account, device, passkey, recovery_code, vault};

pub async fn create(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    recipient: &str,
) -> Result<account::Model, DbErr> {
    account::ActiveModel {
        id: Set(account_id),
        recipient: Set(Some(recipient.to_owned())),
        created_at: Set(Utc::now()),
        signing_key: Set(None),
        wrapped_signing_key: Set(None),
    }
    .insert(db)
    .await
}

/// Registers the account's signing key; callers check that it has none yet.
pub async fn set_signing_key(
    db: &DatabaseConnection,
    account_id: Uuid,
    public_key: &SigningPublicKey,
    wrapped: &[u8],
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(
            account::Column::SigningKey,
            Expr::value(public_key.as_bytes().to_vec()),
        )
        .col_expr(
            account::Column::WrappedSigningKey,
            Expr::value(wrapped.to_vec()),
        )
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::SigningKey.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn get(
    db: &DatabaseConnection,
    account_id: Uuid,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find_by_id(account_id).one(db).await
}

/// What settings show about an account: counts, never contents.
pub struct AccountCounts {
    pub passkeys: u64,
    pub devices: u64,
    pub vaults: u64,
    pub has_recovery_code: bool,
}

pub async fn counts(db: &DatabaseConnection, account_id: Uuid) -> Result<AccountCounts, DbErr> {
    Ok(AccountCounts {
        passkeys: passkey::Entity::find()
            .filter(passkey::Column::AccountId.eq(account_id))
            .count(db)
            .await?,
        devices: device::Entity::find()
            .filter(device::Column::AccountId.eq(account_id))
            .filter(device::Column::RevokedAt.is_null())
            .count(db)
            .await?,
        vaults: vault::Entity::find()
            .filter(vault::Column::OwnerId.eq(account_id))
            .count(db)
            .await?,
        has_recovery_code: recovery_code::Entity::find_by_id(account_id)
            .one(db)
            .await?
            .is_some(),
    })
}

/// Deletes an account and everything it owns: its vaults with their segments, keys and
/// attachment files, and (by cascade) its passkeys, recovery code, sessions, devices,
/// pairings and, as later features add them, shares and logs.
pub async fn delete(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    account_id: Uuid,
) -> Result<(), DbErr> {
    let owned = vault::Entity::find()
        .filter(vault::Column::OwnerId.eq(account_id))
        .all(db)
        .await?;
    for v in owned {
        super::vaults::delete(db, v.id).await?;
        blobs
            .delete_vault(v.id)
            .await
            .map_err(|e| DbErr::Custom(format!("deleting the vault's attachments: {e}")))?;
    }
    account::Entity::delete_by_id(account_id).exec(db).await?;
    Ok(())
}
