//! Fresh proofs: which caller proved a moment ago that it holds the account, and how.
//!
//! A proof belongs to the session or the device that made it, never to the account as a
//! whole: another session of the same account, or a device token stolen from it, gains
//! nothing from it. It counts for [`FRESH_PROOF_TTL`] after it was made.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use super::entity::fresh_proof;
pub use folio_shared::api::account::FreshProofMethod;

/// How long a proof counts.
pub const FRESH_PROOF_TTL: Duration =
    Duration::seconds(folio_shared::api::account::FRESH_PROOF_TTL_SECS as i64);

/// The caller a proof is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Session(Uuid),
    Device(Uuid),
}

fn method_name(method: FreshProofMethod) -> &'static str {
    match method {
        FreshProofMethod::Passkey => "passkey",
        FreshProofMethod::RecoveryCode => "recovery_code",
        FreshProofMethod::RecoverySignIn => "recovery_sign_in",
    }
}

fn method_of(name: &str) -> Option<FreshProofMethod> {
    [
        FreshProofMethod::Passkey,
        FreshProofMethod::RecoveryCode,
        FreshProofMethod::RecoverySignIn,
    ]
    .into_iter()
    .find(|m| method_name(*m) == name)
}

/// Records that `holder` proved just now, and returns until when the proof counts.
pub async fn record(
    db: &impl sea_orm::ConnectionTrait,
    account_id: Uuid,
    holder: Holder,
    method: FreshProofMethod,
) -> Result<DateTime<Utc>, DbErr> {
    let now = Utc::now();
    let (session_id, device_id) = match holder {
        Holder::Session(id) => (Some(id), None),
        Holder::Device(id) => (None, Some(id)),
    };
    fresh_proof::ActiveModel {
        id: Set(Uuid::new_v4()),
        account_id: Set(account_id),
        session_id: Set(session_id),
        device_id: Set(device_id),
        method: Set(method_name(method).to_owned()),
        proven_at: Set(now),
    }
    .insert(db)
    .await?;
    // Spent proofs would otherwise pile up; sweeping here needs no background job.
    fresh_proof::Entity::delete_many()
        .filter(fresh_proof::Column::ProvenAt.lt(now - FRESH_PROOF_TTL))
        .exec(db)
        .await?;
    Ok(now + FRESH_PROOF_TTL)
}

/// How `holder` proved within the last [`FRESH_PROOF_TTL`], one entry per live proof.
pub async fn live(db: &DatabaseConnection, holder: Holder) -> Result<Vec<FreshProofMethod>, DbErr> {
    let of_holder = match holder {
        Holder::Session(id) => fresh_proof::Column::SessionId.eq(id),
        Holder::Device(id) => fresh_proof::Column::DeviceId.eq(id),
    };
    let rows = fresh_proof::Entity::find()
        .filter(of_holder)
        .filter(fresh_proof::Column::ProvenAt.gt(Utc::now() - FRESH_PROOF_TTL))
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| method_of(&row.method))
        .collect())
}
