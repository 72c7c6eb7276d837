//! Devices: the bearer-token clients (phone apps, the CLI) that act for an account.
//!
//! A device token (`fd_…`) is shown to the device once; the server keeps only its hash
//! (see [`super::secret_token`]). A revoked device keeps its row, so its name still shows
//! in the account's history, but its token opens nothing.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::entity::device;
use super::secret_token;

/// A device token as handed to the device: never stored.
pub struct DeviceToken(pub String);

/// Makes an account with its first device, without a passkey: for tests and fixtures that
/// need a signed-in client and nothing else. Users sign up through passkeys.
pub async fn create_account_with_device(
    db: &DatabaseConnection,
    account_recipient: &str,
    device_name: &str,
    device_recipient: &str,
) -> Result<(Uuid, Uuid, DeviceToken), DbErr> {
    let account_id = Uuid::new_v4();
    super::accounts::create(db, account_id, account_recipient).await?;
    let (device_id, token) = add_device(db, account_id, device_name, device_recipient).await?;
    Ok((account_id, device_id, token))
}

/// Registers a device for an account and returns its token.
pub async fn add_device(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    name: &str,
    recipient: &str,
) -> Result<(Uuid, DeviceToken), DbErr> {
    let token = secret_token::generate("fd_");
    let id = Uuid::new_v4();
    device::ActiveModel {
        id: Set(id),
        account_id: Set(account_id),
        name: Set(name.to_owned()),
        token_hash: Set(secret_token::hash(token.as_bytes())),
        recipient: Set(recipient.to_owned()),
        wrapped_key: Set(None),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((id, DeviceToken(token)))
}

/// How often a device's last-used time is written: often enough to show in settings, not
/// on every request.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// The device a bearer token stands for, if the token is known and not revoked.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<device::Model>, DbErr> {
    let found = device::Entity::find()
        .filter(device::Column::TokenHash.eq(secret_token::hash(token.as_bytes())))
        .filter(device::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    if let Some(device) = &found {
        let now = Utc::now();
        if device
            .last_used_at
            .is_none_or(|t: DateTime<Utc>| now - t > LAST_USED_RESOLUTION)
        {
            device::Entity::update_many()
                .col_expr(device::Column::LastUsedAt, Expr::value(now))
                .filter(device::Column::Id.eq(device.id))
                .exec(db)
                .await?;
        }
    }
    Ok(found)
}

/// The account's devices that have not been revoked, oldest first.
pub async fn list(db: &DatabaseConnection, account_id: Uuid) -> Result<Vec<device::Model>, DbErr> {
    device::Entity::find()
        .filter(device::Column::AccountId.eq(account_id))
        .filter(device::Column::RevokedAt.is_null())
        .order_by_asc(device::Column::CreatedAt)
        .all(db)
        .await
}

/// Stores the account identity wrapped to a device's key. False if the account has no such
/// live device.
pub async fn set_wrapped_key(
    db: &DatabaseConnection,
    account_id: Uuid,
    device_id: Uuid,
    wrapped_key: Vec<u8>,
) -> Result<bool, DbErr> {
    let result = device::Entity::update_many()
        .col_expr(device::Column::WrappedKey, Expr::value(wrapped_key))
        .filter(device::Column::Id.eq(device_id))
        .filter(device::Column::AccountId.eq(account_id))
        .filter(device::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes a device: its token stops working at once and its wrapped key is dropped. False
/// if the account has no such live device.
pub async fn revoke(
    db: &DatabaseConnection,
    account_id: Uuid,
    device_id: Uuid,
) -> Result<bool, DbErr> {
    let result = device::Entity::update_many()
        .col_expr(device::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(
            device::Column::WrappedKey,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(device::Column::Id.eq(device_id))
        .filter(device::Column::AccountId.eq(account_id))
        .filter(device::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes every live device of the account; returns how many.
pub async fn revoke_all(db: &impl ConnectionTrait, account_id: Uuid) -> Result<u64, DbErr> {
    let result = device::Entity::update_many()
        .col_expr(device::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(
            device::Column::WrappedKey,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(device::Column::AccountId.eq(account_id))
        .filter(device::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
