use sea_orm::entity::prelude::*;

/// One signed entry of a record's member list, as a client uploaded it. The server checks
/// the chain before storing it, and every client checks it again.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roster_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub vault_id: Uuid,
    /// 1 for the genesis entry.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// The entry's canonical bytes (`folio_shared::roster::RosterEntry`).
    pub body: Vec<u8>,
    /// The Ed25519 key that signed it (32 bytes) and its signature (64 bytes).
    pub signer: Vec<u8>,
    pub signature: Vec<u8>,
    /// The account whose token uploaded it.
    pub added_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
