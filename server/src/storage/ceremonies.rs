//! WebAuthn ceremonies in flight: the state webauthn-rs needs to finish a registration or
//! an authentication, kept in the database so any server can finish what another started.
//!
//! Each ceremony finishes at most once: [`take`] deletes the row and only the request whose
//! delete removed it may go on, so a replayed response finds nothing.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::entity::ceremony;

/// How long a user has to answer their authenticator. Browsers time out sooner (the options
/// ask for five minutes); a little slack covers a slow network.
pub const CEREMONY_TTL: Duration = Duration::minutes(6);

/// What a ceremony is for; a response can only finish a ceremony of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    SignUp,
    SignIn,
    AddPasskey,
    /// A caller proving it holds the account, before an account-critical change.
    FreshProof,
}

impl CeremonyKind {
    fn name(self) -> &'static str {
        match self {
            CeremonyKind::SignUp => "sign_up",
            CeremonyKind::SignIn => "sign_in",
            CeremonyKind::AddPasskey => "add_passkey",
            CeremonyKind::FreshProof => "fresh_proof",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    #[error("this sign-in attempt is unknown or was already used: start again from the beginning")]
    Unknown,
    #[error("this sign-in attempt expired: start again and answer your authenticator sooner")]
    Expired,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Records a ceremony's state and returns its id.
pub async fn begin(
    db: &DatabaseConnection,
    kind: CeremonyKind,
    account_id: Option<Uuid>,
    state: &impl Serialize,
) -> Result<Uuid, DbErr> {
    let id = Uuid::new_v4();
    ceremony::ActiveModel {
        id: Set(id),
        kind: Set(kind.name().to_owned()),
        account_id: Set(account_id),
        state: Set(serde_json::to_string(state).map_err(|e| DbErr::Custom(e.to_string()))?),
        expires_at: Set(Utc::now() + CEREMONY_TTL),
    }
    .insert(db)
    .await?;
    // Abandoned ceremonies would otherwise pile up; sweeping here keeps the table small
    // without a background job.
    ceremony::Entity::delete_many()
        .filter(ceremony::Column::ExpiresAt.lt(Utc::now() - Duration::hours(1)))
        .exec(db)
        .await?;
    Ok(id)
}

/// Takes a ceremony for finishing: it is gone afterwards, whatever the outcome.
pub async fn take<S: DeserializeOwned>(
    db: &DatabaseConnection,
    kind: CeremonyKind,
    id: Uuid,
) -> Result<(Option<Uuid>, S), CeremonyError> {
    let row = ceremony::Entity::find_by_id(id)
        .filter(ceremony::Column::Kind.eq(kind.name()))
        .one(db)
        .await?
        .ok_or(CeremonyError::Unknown)?;
    let deleted = ceremony::Entity::delete_many()
        .filter(ceremony::Column::Id.eq(id))
        .exec(db)
        .await?;
    if deleted.rows_affected != 1 {
        // Another request finished it between our read and our delete.
        return Err(CeremonyError::Unknown);
    }
    if Utc::now() >= row.expires_at {
        return Err(CeremonyError::Expired);
    }
    let state = serde_json::from_str(&row.state)
        .map_err(|e| DbErr::Custom(format!("ceremony state is unreadable: {e}")))?;
    Ok((row.account_id, state))
}

/// Ages a ceremony past its expiry: for tests of the expired-challenge error.
pub async fn expire_now(db: &DatabaseConnection, id: Uuid) -> Result<(), DbErr> {
    ceremony::Entity::update_many()
        .col_expr(
            ceremony::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(Utc::now() - Duration::seconds(1)),
        )
        .filter(ceremony::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
