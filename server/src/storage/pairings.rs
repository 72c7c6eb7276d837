//! Pairing codes: a signed-in user makes one, a new device redeems it once, with its own
//! public key, and becomes a device of the account.
//!
//! A code carries 60 random bits and lives ten minutes; redeeming is rate-limited per
//! client, so guessing a live code is hopeless. Only the code's hash is stored.

use chrono::{DateTime, Duration, Utc};
use rand::Rng as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use super::devices::{self, DeviceToken};
use super::entity::pairing;
use super::secret_token;

pub const PAIRING_TTL: Duration = Duration::minutes(10);

/// Crockford's base32: no I, L, O or U, so a code read aloud or typed is unambiguous.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_SYMBOLS: usize = 12;

fn generate_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let symbols: String = (0..CODE_SYMBOLS)
        .map(|_| ALPHABET[rng.gen_range(0..32)] as char)
        .collect();
    format!("{}-{}-{}", &symbols[0..4], &symbols[4..8], &symbols[8..12])
}

/// What a person typed, in the canonical form the hash was taken of: upper case, no
/// separators, and Crockford's look-alikes read as the digits they resemble.
fn canonical(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

fn code_hash(code: &str) -> Vec<u8> {
    secret_token::hash(canonical(code).as_bytes())
}

pub struct NewPairing {
    pub id: Uuid,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(db: &DatabaseConnection, account_id: Uuid) -> Result<NewPairing, DbErr> {
    let code = generate_code();
    let now = Utc::now();
    let row = pairing::ActiveModel {
        id: Set(Uuid::new_v4()),
        account_id: Set(account_id),
        code_hash: Set(code_hash(&code)),
        created_at: Set(now),
        expires_at: Set(now + PAIRING_TTL),
        redeemed_at: Set(None),
        device_id: Set(None),
    }
    .insert(db)
    .await?;
    Ok(NewPairing {
        id: row.id,
        code,
        expires_at: row.expires_at,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    #[error("this pairing code is unknown: check it, or make a new one on a signed-in device")]
    Unknown,
    #[error("this pairing code was already used: make a new one on a signed-in device")]
    AlreadyUsed,
    #[error("this pairing code expired: make a new one on a signed-in device")]
    Expired,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Redeems a code for a new device of its account, once.
pub async fn redeem(
    db: &DatabaseConnection,
    code: &str,
    device_name: &str,
    device_recipient: &str,
) -> Result<(Uuid, Uuid, DeviceToken), PairingError> {
    let txn = db.begin().await?;
    let row = pairing::Entity::find()
        .filter(pairing::Column::CodeHash.eq(code_hash(code)))
        .one(&txn)
        .await?
        .ok_or(PairingError::Unknown)?;
    if row.redeemed_at.is_some() {
        return Err(PairingError::AlreadyUsed);
    }
    if Utc::now() >= row.expires_at {
        return Err(PairingError::Expired);
    }
    let (device_id, token) =
        devices::add_device(&txn, row.account_id, device_name, device_recipient).await?;
    // Conditional on still being unredeemed: of two racing redemptions, one updates nothing.
    let claimed = pairing::Entity::update_many()
        .col_expr(pairing::Column::RedeemedAt, Expr::value(Utc::now()))
        .col_expr(pairing::Column::DeviceId, Expr::value(device_id))
        .filter(pairing::Column::Id.eq(row.id))
        .filter(pairing::Column::RedeemedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(PairingError::AlreadyUsed);
    }
    txn.commit().await?;
    Ok((row.account_id, device_id, token))
}

/// Ages a pairing code past its expiry: for tests of the late-redemption error.
pub async fn expire_now(db: &DatabaseConnection, id: Uuid) -> Result<(), DbErr> {
    pairing::Entity::update_many()
        .col_expr(
            pairing::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::seconds(1)),
        )
        .filter(pairing::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_match_whatever_the_case_separators_and_look_alikes() {
        let code = "0A1B-2C3D-4E5F";
        assert_eq!(code_hash(code), code_hash("oa1b 2c3d 4e5f"));
        assert_eq!(code_hash(code), code_hash("0alb2c3d4e5f"));
        assert_ne!(code_hash(code), code_hash("0A1B-2C3D-4E5E"));
    }

    #[test]
    fn generated_codes_use_the_unambiguous_alphabet() {
        let code = generate_code();
        assert_eq!(code.len(), 14);
        assert!(
            code.chars()
                .all(|c| c == '-' || ALPHABET.contains(&(c as u8)))
        );
    }
}
