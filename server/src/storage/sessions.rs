//! Browser sessions: a random token in an `HttpOnly` cookie, known to the database only by
//! its hash, with an absolute lifetime and an idle timeout.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set,
};
use uuid::Uuid;

use super::entity::session;
use super::secret_token;

pub use folio_shared::api::account::SessionScope;

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// From sign-in, whatever happens.
    pub lifetime: Duration,
    /// Without a request.
    pub idle_timeout: Duration,
}

impl SessionPolicy {
    /// A recovery session is only for registering a new passkey: minutes, not hours.
    fn lifetime_of(&self, scope: SessionScope) -> Duration {
        match scope {
            SessionScope::Full => self.lifetime,
            SessionScope::Recovery => self.lifetime.min(Duration::minutes(15)),
        }
    }
}

fn scope_name(scope: SessionScope) -> &'static str {
    match scope {
        SessionScope::Full => "full",
        SessionScope::Recovery => "recovery",
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub account_id: Uuid,
    pub scope: SessionScope,
    pub expires_at: DateTime<Utc>,
    /// The passkey that signed it in, if one did.
    pub passkey_id: Option<Uuid>,
}

impl From<session::Model> for Session {
    fn from(row: session::Model) -> Self {
        Session {
            id: row.id,
            account_id: row.account_id,
            scope: if row.scope == "full" {
                SessionScope::Full
            } else {
                SessionScope::Recovery
            },
            expires_at: row.expires_at,
            passkey_id: row.passkey_id,
        }
    }
}

/// Starts a session and returns it with the token for the cookie (never stored).
/// `passkey_id` names the passkey that signed in, so removing it ends the session.
pub async fn create(
    db: &impl ConnectionTrait,
    policy: &SessionPolicy,
    account_id: Uuid,
    scope: SessionScope,
    passkey_id: Option<Uuid>,
) -> Result<(Session, String), DbErr> {
    let token = secret_token::generate("fs_");
    let now = Utc::now();
    let row = session::ActiveModel {
        id: Set(Uuid::new_v4()),
        account_id: Set(account_id),
        token_hash: Set(secret_token::hash(token.as_bytes())),
        scope: Set(scope_name(scope).to_owned()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + policy.lifetime_of(scope)),
        passkey_id: Set(passkey_id),
    }
    .insert(db)
    .await?;
    Ok((row.into(), token))
}

/// How often `last_seen_at` is written: a fraction of the idle timeout, so a session in use
/// never idles out and a busy one does not write on every request.
fn touch_interval(policy: &SessionPolicy) -> Duration {
    (policy.idle_timeout / 10).min(Duration::minutes(1))
}

/// The session a cookie token stands for, if it is live. An expired or idle session is
/// deleted on sight.
pub async fn authenticate(
    db: &DatabaseConnection,
    policy: &SessionPolicy,
    token: &str,
) -> Result<Option<Session>, DbErr> {
    let Some(row) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(secret_token::hash(token.as_bytes())))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if now >= row.expires_at || now - row.last_seen_at >= policy.idle_timeout {
        session::Entity::delete_by_id(row.id).exec(db).await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= touch_interval(policy) {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(Some(row.into()))
}

/// A recovery session that has registered a new passkey becomes a full one.
pub async fn upgrade_to_full(
    db: &DatabaseConnection,
    policy: &SessionPolicy,
    session_id: Uuid,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(
            session::Column::Scope,
            Expr::value(scope_name(SessionScope::Full)),
        )
        .col_expr(
            session::Column::ExpiresAt,
            Expr::value(Utc::now() + policy.lifetime),
        )
        .filter(session::Column::Id.eq(session_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &DatabaseConnection, session_id: Uuid) -> Result<(), DbErr> {
    session::Entity::delete_by_id(session_id).exec(db).await?;
    Ok(())
}

/// Ends every session a passkey signed in; returns how many.
pub async fn end_started_by(db: &impl ConnectionTrait, passkey_id: Uuid) -> Result<u64, DbErr> {
    let ended = session::Entity::delete_many()
        .filter(session::Column::PasskeyId.eq(passkey_id))
        .exec(db)
        .await?;
    Ok(ended.rows_affected)
}

/// Ends every session of the account; returns how many.
pub async fn end_all(db: &impl ConnectionTrait, account_id: Uuid) -> Result<u64, DbErr> {
    let ended = session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    Ok(ended.rows_affected)
}
