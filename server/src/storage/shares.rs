//! Share links (SMART Health Links) as the server keeps them: rules, counters, encrypted
//! files, file tickets and the access log.
//!
//! Every counter a stranger holding the link can move (passcode attempts, opens) moves in one
//! conditional `UPDATE … RETURNING`, so parallel requests on any number of servers can never
//! spend more than the budget: the row is the lock. The access log is append-only and
//! hash-chained, and the share row keeps the chain's length and head, so a changed, removed
//! or truncated entry shows in [`verify_chain`].

use std::collections::BTreeMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use chrono::{DateTime, Duration, DurationRound as _, TimeDelta, Utc};
use folio_shared::shl::LinkId;
use rand::RngCore as _;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Statement, TransactionTrait, Value,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entity::{share, share_access, share_file, share_ticket};

/// The head of an empty access log.
const GENESIS: [u8; 32] = [0; 32];

pub use folio_shared::api::share::ShareStatus;

/// The status of `share` at `now`. Revocation wins over expiry, so the patient sees what
/// they did.
pub fn status(share: &share::Model, now: DateTime<Utc>) -> ShareStatus {
    if share.revoked_at.is_some() {
        ShareStatus::Revoked
    } else if share.expires_at <= now {
        ShareStatus::Expired
    } else if share.attempts_left == Some(0) {
        ShareStatus::Locked
    } else if share.max_opens.is_some_and(|max| share.opens >= max) {
        ShareStatus::Exhausted
    } else {
        ShareStatus::Active
    }
}

/// The access-log outcome of a request that found the link in `status`.
pub fn refusal(status: ShareStatus) -> Option<AccessOutcome> {
    match status {
        ShareStatus::Active => None,
        ShareStatus::Expired => Some(AccessOutcome::Expired),
        ShareStatus::Revoked => Some(AccessOutcome::Revoked),
        ShareStatus::Exhausted => Some(AccessOutcome::Exhausted),
        ShareStatus::Locked => Some(AccessOutcome::Locked),
    }
}

/// What happened to one request for a link, as its access log records it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccessOutcome {
    Opened,
    WrongPasscode,
    Expired,
    Revoked,
    Exhausted,
    Locked,
}

impl AccessOutcome {
    pub fn name(self) -> &'static str {
        match self {
            AccessOutcome::Opened => "opened",
            AccessOutcome::WrongPasscode => "wrong_passcode",
            AccessOutcome::Expired => "expired",
            AccessOutcome::Revoked => "revoked",
            AccessOutcome::Exhausted => "exhausted",
            AccessOutcome::Locked => "locked",
        }
    }
}

/// A share as the patient's client asks for it, its passcode already hashed.
pub struct NewShare {
    pub vault_id: Uuid,
    pub account_id: Uuid,
    pub link_id: LinkId,
    pub label: String,
    pub flags: String,
    pub categories: BTreeMap<String, u32>,
    pub passcode_hash: Option<String>,
    pub max_attempts: Option<i32>,
    pub max_opens: Option<i32>,
    pub expires_at: DateTime<Utc>,
    pub files: Vec<NewShareFile>,
}

pub struct NewShareFile {
    pub content_type: String,
    pub jwe: String,
}

/// SHA-256 of a link id: the id is the capability, so the database holds only this.
pub fn link_id_hash(link_id: &LinkId) -> Vec<u8> {
    Sha256::digest(link_id.as_str().as_bytes()).to_vec()
}

/// An Argon2id PHC string of a passcode. A passcode is short and chosen by a person, so it
/// gets a slow, memory-hard hash (unlike the server's random tokens). Call it off the async
/// runtime (`spawn_blocking`): it takes tens of milliseconds on purpose.
pub fn hash_passcode(passcode: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(passcode.as_bytes(), &salt)
        .expect("Argon2 with default parameters hashes any input")
        .to_string()
}

/// Whether `candidate` is the passcode behind `phc`. Blocking, like [`hash_passcode`].
pub fn passcode_matches(phc: &str, candidate: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(candidate.as_bytes(), &hash)
            .is_ok()
    })
}

/// Times the log stores, at the precision both engines keep, so an entry's hash recomputes
/// from what is read back.
fn stored_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}

/// Writes `$n` placeholders as the engine wants them.
fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

pub async fn create(db: &DatabaseConnection, new: NewShare) -> Result<share::Model, DbErr> {
    let now = stored_time(Utc::now());
    let id = Uuid::new_v4();
    let model = share::ActiveModel {
        id: Set(id),
        vault_id: Set(new.vault_id),
        account_id: Set(new.account_id),
        link_id_hash: Set(link_id_hash(&new.link_id)),
        label: Set(new.label),
        flags: Set(new.flags),
        categories: Set(serde_json::to_string(&new.categories).expect("a map of counts")),
        passcode_hash: Set(new.passcode_hash),
        attempts_left: Set(new.max_attempts),
        max_opens: Set(new.max_opens),
        opens: Set(0),
        log_length: Set(0),
        log_head: Set(GENESIS.to_vec()),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        purged_at: Set(None),
        created_at: Set(now),
    };
    let txn = db.begin().await?;
    let model = share::Entity::insert(model)
        .exec_with_returning(&txn)
        .await?;
    for (position, file) in new.files.into_iter().enumerate() {
        share_file::Entity::insert(share_file::ActiveModel {
            share_id: Set(id),
            position: Set(position as i32),
            content_type: Set(file.content_type),
            size: Set(file.jwe.len() as i64),
            jwe: Set(file.jwe),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(model)
}

/// A vault's shares, newest first.
pub async fn list_for_vault(
    db: &DatabaseConnection,
    vault_id: Uuid,
) -> Result<Vec<share::Model>, DbErr> {
    share::Entity::find()
        .filter(share::Column::VaultId.eq(vault_id))
        .order_by_desc(share::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> Result<Option<share::Model>, DbErr> {
    share::Entity::find_by_id(id).one(db).await
}

/// The share behind a link id, looked up by its hash.
pub async fn find_by_link(
    db: &DatabaseConnection,
    link_id: &LinkId,
) -> Result<Option<share::Model>, DbErr> {
    share::Entity::find()
        .filter(share::Column::LinkIdHash.eq(link_id_hash(link_id)))
        .one(db)
        .await
}

/// Revokes a share at once: the next request finds it revoked, and its files and tickets
/// go in the same transaction. The row and its log stay. False when it was revoked before.
pub async fn revoke(db: &DatabaseConnection, id: Uuid) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let changed = revoke_in(&txn, id, Utc::now()).await?;
    txn.commit().await?;
    Ok(changed)
}

/// Revokes, inside the caller's transaction, every live share link `account` made in
/// `vault`: a removed manager's links end with their access. Returns how many.
pub async fn revoke_made_by(
    txn: &impl ConnectionTrait,
    vault: Uuid,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let live = share::Entity::find()
        .filter(share::Column::VaultId.eq(vault))
        .filter(share::Column::AccountId.eq(account))
        .filter(share::Column::RevokedAt.is_null())
        .all(txn)
        .await?;
    let mut revoked = 0;
    for share in live {
        if revoke_in(txn, share.id, now).await? {
            revoked += 1;
        }
    }
    Ok(revoked)
}

async fn revoke_in(
    txn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let now = stored_time(now);
    let changed = txn
        .execute_raw(statement(
            txn.get_database_backend(),
            "UPDATE shares SET revoked_at = $1, purged_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            vec![now.into(), id.into()],
        ))
        .await?
        .rows_affected();
    delete_files(txn, id).await?;
    Ok(changed == 1)
}

async fn delete_files(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    share_file::Entity::delete_many()
        .filter(share_file::Column::ShareId.eq(id))
        .exec(db)
        .await?;
    share_ticket::Entity::delete_many()
        .filter(share_ticket::Column::ShareId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes one passcode attempt from the budget before the passcode is checked, so parallel
/// guesses cannot all pass a "still has attempts" check: the attempts left afterwards, or
/// `None` when none was left (the link is locked) or it was revoked.
pub async fn reserve_attempt(db: &DatabaseConnection, id: Uuid) -> Result<Option<i32>, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(statement(
            backend,
            "UPDATE shares SET attempts_left = attempts_left - 1 \
             WHERE id = $1 AND attempts_left > 0 AND revoked_at IS NULL \
             RETURNING attempts_left",
            vec![id.into()],
        ))
        .await?;
    row.map(|r| r.try_get::<i32>("", "attempts_left"))
        .transpose()
}

/// Gives back the attempt a right passcode reserved: only wrong guesses count.
pub async fn refund_attempt(db: &DatabaseConnection, id: Uuid) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(statement(
        backend,
        "UPDATE shares SET attempts_left = attempts_left + 1 WHERE id = $1",
        vec![id.into()],
    ))
    .await?;
    Ok(())
}

/// Counts one open if the share allows another: false when every allowed open is used or
/// the share was revoked meanwhile.
pub async fn count_open(db: &DatabaseConnection, id: Uuid) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let changed = db
        .execute_raw(statement(
            backend,
            "UPDATE shares SET opens = opens + 1 \
             WHERE id = $1 AND revoked_at IS NULL AND (max_opens IS NULL OR opens < max_opens)",
            vec![id.into()],
        ))
        .await?
        .rows_affected();
    Ok(changed == 1)
}

pub async fn files(db: &DatabaseConnection, id: Uuid) -> Result<Vec<share_file::Model>, DbErr> {
    share_file::Entity::find()
        .filter(share_file::Column::ShareId.eq(id))
        .order_by_asc(share_file::Column::Position)
        .all(db)
        .await
}

pub async fn file(
    db: &DatabaseConnection,
    id: Uuid,
    position: i32,
) -> Result<Option<share_file::Model>, DbErr> {
    share_file::Entity::find_by_id((id, position)).one(db).await
}

fn ticket_hash(ticket: &str) -> Vec<u8> {
    Sha256::digest(ticket.as_bytes()).to_vec()
}

/// A fresh ticket (32 random bytes, base64url) for one file of one share, valid for
/// `lifetime`; only its hash is stored.
pub async fn issue_ticket(
    db: &DatabaseConnection,
    share_id: Uuid,
    position: i32,
    lifetime: Duration,
) -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let ticket = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    share_ticket::Entity::insert(share_ticket::ActiveModel {
        ticket_hash: Set(ticket_hash(&ticket)),
        share_id: Set(share_id),
        position: Set(position),
        expires_at: Set(stored_time(Utc::now() + lifetime)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(ticket)
}

/// Whether `ticket` opens file `position` of share `share_id` now: it must have been issued
/// for exactly that file and not have expired.
pub async fn ticket_valid(
    db: &DatabaseConnection,
    share_id: Uuid,
    position: i32,
    ticket: &str,
) -> Result<bool, DbErr> {
    let found = share_ticket::Entity::find_by_id(ticket_hash(ticket))
        .one(db)
        .await?;
    Ok(found.is_some_and(|t| {
        t.share_id == share_id && t.position == position && t.expires_at > Utc::now()
    }))
}

/// Deletes the files of every share that has expired or been revoked, and every expired
/// ticket, keeping the share rows and their logs so the patient still sees the history.
/// Returns how many shares were purged.
pub async fn sweep(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let now = Utc::now();
    share_ticket::Entity::delete_many()
        .filter(share_ticket::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let due = share::Entity::find()
        .filter(share::Column::PurgedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(share::Column::RevokedAt.is_not_null())
                .add(share::Column::ExpiresAt.lte(now)),
        )
        .all(db)
        .await?;
    for share in &due {
        let txn = db.begin().await?;
        delete_files(&txn, share.id).await?;
        share::Entity::update_many()
            .col_expr(
                share::Column::PurgedAt,
                sea_orm::sea_query::Expr::value(stored_time(now)),
            )
            .filter(share::Column::Id.eq(share.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(due.len() as u64)
}

/// The bytes an access-log entry's hash covers, in a fixed layout. The recipient comes last
/// so whatever it contains cannot be mistaken for another field.
fn canonical_entry(entry: &share_access::Model) -> Vec<u8> {
    let mut bytes = b"folio/share-access/v1\n".to_vec();
    bytes.extend(
        format!(
            "{}\n{}\n{}\n{}\n",
            entry.share_id,
            entry.seq,
            entry.at.timestamp_micros(),
            entry.outcome
        )
        .as_bytes(),
    );
    bytes.extend(entry.recipient.as_bytes());
    bytes
}

fn chain_hash(prev_hash: &[u8], entry: &share_access::Model) -> Vec<u8> {
    Sha256::new()
        .chain_update(prev_hash)
        .chain_update(canonical_entry(entry))
        .finalize()
        .to_vec()
}

/// Appends one entry to a share's access log. Taking the next sequence number locks the
/// share row until the entry is written, so concurrent appends chain one after another.
pub async fn record_access(
    db: &DatabaseConnection,
    share_id: Uuid,
    recipient: &str,
    outcome: AccessOutcome,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(statement(
            backend,
            "UPDATE shares SET log_length = log_length + 1 WHERE id = $1 \
             RETURNING log_length, log_head",
            vec![share_id.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the share of an access".into()))?;
    let seq: i64 = row.try_get("", "log_length")?;
    let prev_hash: Vec<u8> = row.try_get("", "log_head")?;
    let mut entry = share_access::Model {
        share_id,
        seq,
        at: stored_time(Utc::now()),
        recipient: recipient.to_owned(),
        outcome: outcome.name().to_owned(),
        hash: Vec::new(),
        prev_hash,
    };
    entry.hash = chain_hash(&entry.prev_hash, &entry);
    txn.execute_raw(statement(
        backend,
        "UPDATE shares SET log_head = $1 WHERE id = $2",
        vec![entry.hash.clone().into(), share_id.into()],
    ))
    .await?;
    share_access::Entity::insert(share_access::ActiveModel {
        share_id: Set(entry.share_id),
        seq: Set(entry.seq),
        at: Set(entry.at),
        recipient: Set(entry.recipient),
        outcome: Set(entry.outcome),
        prev_hash: Set(entry.prev_hash),
        hash: Set(entry.hash),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await
}

/// A share's access log in order.
pub async fn access_log(
    db: &DatabaseConnection,
    share_id: Uuid,
) -> Result<Vec<share_access::Model>, DbErr> {
    share_access::Entity::find()
        .filter(share_access::Column::ShareId.eq(share_id))
        .order_by_asc(share_access::Column::Seq)
        .all(db)
        .await
}

/// True when `entries` are exactly the log `share` recorded: numbered 1, 2, 3… without
/// gaps, each hash recomputing from its predecessor and its own fields, and the last one
/// being the head and length kept on the share row (so a removed last entry shows too).
pub fn verify_chain(share: &share::Model, entries: &[share_access::Model]) -> bool {
    let mut head = GENESIS.to_vec();
    for (index, entry) in entries.iter().enumerate() {
        if entry.share_id != share.id
            || entry.seq != index as i64 + 1
            || entry.prev_hash != head
            || chain_hash(&head, entry) != entry.hash
        {
            return false;
        }
        head = entry.hash.clone();
    }
    entries.len() as i64 == share.log_length && head == share.log_head
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share_with(entries: &[share_access::Model]) -> share::Model {
        share::Model {
            id: Uuid::nil(),
            vault_id: Uuid::nil(),
            account_id: Uuid::nil(),
            link_id_hash: vec![],
            label: String::new(),
            flags: String::new(),
            categories: "{}".into(),
            passcode_hash: None,
            attempts_left: None,
            max_opens: None,
            opens: 0,
            log_length: entries.len() as i64,
            log_head: entries.last().map_or(GENESIS.to_vec(), |e| e.hash.clone()),
            expires_at: Utc::now(),
            revoked_at: None,
            purged_at: None,
            created_at: Utc::now(),
        }
    }

    fn chain(recipients: &[&str]) -> Vec<share_access::Model> {
        let mut head = GENESIS.to_vec();
        recipients
            .iter()
            .enumerate()
            .map(|(i, recipient)| {
                let mut entry = share_access::Model {
                    share_id: Uuid::nil(),
                    seq: i as i64 + 1,
                    at: stored_time(Utc::now()),
                    recipient: (*recipient).to_owned(),
                    outcome: "opened".into(),
                    prev_hash: head.clone(),
                    hash: vec![],
                };
                entry.hash = chain_hash(&head, &entry);
                head = entry.hash.clone();
                entry
            })
            .collect()
    }

    #[test]
    fn the_chain_catches_an_edit_a_removal_and_a_lost_tail() {
        let entries = chain(&["Dr A", "Dr B", "Dr C"]);
        let share = share_with(&entries);
        assert!(verify_chain(&share, &entries));

        let mut edited = entries.clone();
        edited[1].recipient = "Dr Z".into();
        assert!(!verify_chain(&share, &edited));

        let mut removed = entries.clone();
        removed.remove(1);
        assert!(!verify_chain(&share, &removed));

        assert!(!verify_chain(&share, &entries[..2]));
    }

    #[test]
    fn a_passcode_verifies_only_against_its_own_hash() {
        let phc = hash_passcode("correct horse");
        assert!(phc.starts_with("$argon2id$"));
        assert!(passcode_matches(&phc, "correct horse"));
        assert!(!passcode_matches(&phc, "correct hors"));
    }
}
