use sea_orm::entity::prelude::*;

/// One share link of a vault: its rules and counters, never its key. The link id is kept
/// only as `link_id_hash` (SHA-256), the passcode only as an Argon2id PHC string.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shares")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub vault_id: Uuid,
    pub account_id: Uuid,
    pub link_id_hash: Vec<u8>,
    pub label: String,
    /// The payload's flag letters the server honours (`P`, `U`).
    pub flags: String,
    /// JSON object of category name → count, as the patient's client summarised it.
    pub categories: String,
    pub passcode_hash: Option<String>,
    pub attempts_left: Option<i32>,
    pub max_opens: Option<i32>,
    pub opens: i32,
    /// Entries in the access log, and the hash of the last one: a removed tail shows.
    pub log_length: i64,
    pub log_head: Vec<u8>,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// When the sweep deleted the files (the row and its log stay for the patient).
    pub purged_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
