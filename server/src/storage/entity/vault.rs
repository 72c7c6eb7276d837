use sea_orm::entity::prelude::*;

/// A patient's record as the server sees it: a public recipient and counters, no contents.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vaults")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub recipient: String,
    pub epoch: i32,
    pub generation: i64,
    pub last_seq: i64,
    pub used_bytes: i64,
    pub quota_bytes: i64,
    pub created_at: DateTimeUtc,
    /// Set when a caregiver was removed and the owner's client has not rotated the vault
    /// key since: until then, keys that caregiver kept still open what is added.
    pub rotation_due_at: Option<DateTimeUtc>,
    /// Held by its owner for someone else (a child), until handed over.
    pub dependant: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
