use sea_orm::entity::prelude::*;

/// A client that holds a bearer token: a phone app or the CLI. Only the token's hash is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub token_hash: Vec<u8>,
    pub recipient: String,
    /// The account identity wrapped to `recipient`, once a signed-in client has made it.
    pub wrapped_key: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
