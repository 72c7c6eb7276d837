//! Accounts and the bearer-token devices that act for them.
//!
//! A device token is 32 random bytes shown to the device once; the server keeps only its
//! SHA-256. Looking a token up by its hash needs no constant-time comparison: an attacker
//! who could time the index lookup learns about a hash, not about any token.

use base64::Engine as _;
use chrono::Utc;
use rand::RngCore as _;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entity::{account, device};

/// Who is making a request: an account, through one of its devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub account_id: Uuid,
    pub device_id: Uuid,
}

/// A device token as handed to the device: never stored.
pub struct DeviceToken(pub String);

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Makes an account with its first device. Sign-up through passkeys builds on this.
pub async fn create_account_with_device(
    db: &DatabaseConnection,
    device_name: &str,
    device_recipient: &str,
) -> Result<(Principal, DeviceToken), sea_orm::DbErr> {
    let account_id = Uuid::new_v4();
    let now = Utc::now();
    account::ActiveModel {
        id: Set(account_id),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let (device_id, token) = add_device(db, account_id, device_name, device_recipient).await?;
    Ok((
        Principal {
            account_id,
            device_id,
        },
        token,
    ))
}

/// Registers a device for an account and returns its token.
pub async fn add_device(
    db: &DatabaseConnection,
    account_id: Uuid,
    name: &str,
    recipient: &str,
) -> Result<(Uuid, DeviceToken), sea_orm::DbErr> {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = format!(
        "fd_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let id = Uuid::new_v4();
    device::ActiveModel {
        id: Set(id),
        account_id: Set(account_id),
        name: Set(name.to_owned()),
        token_hash: Set(token_hash(&token)),
        recipient: Set(recipient.to_owned()),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((id, DeviceToken(token)))
}

/// The principal a bearer token stands for, if the token is known and not revoked.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<Principal>, sea_orm::DbErr> {
    let found = device::Entity::find()
        .filter(device::Column::TokenHash.eq(token_hash(token)))
        .filter(device::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(found.map(|d| Principal {
        account_id: d.account_id,
        device_id: d.id,
    }))
}
