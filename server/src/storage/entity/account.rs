use sea_orm::entity::prelude::*;

/// An account. It holds no personal data the server could read.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The account's public age recipient; `None` only for rows older than passkeys.
    pub recipient: Option<String>,
    pub created_at: DateTimeUtc,
    /// The account's Ed25519 signing key (32 bytes), once a client registered one.
    pub signing_key: Option<Vec<u8>>,
    /// Its private half, an age file wrapped to the account recipient.
    pub wrapped_signing_key: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
