use sea_orm::entity::prelude::*;

/// A WebAuthn credential of an account. `credential` is webauthn-rs's `Passkey` as JSON:
/// public key, counter and flags, nothing secret.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passkeys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub credential_id: Vec<u8>,
    pub credential: String,
    pub name: String,
    pub prf_enabled: bool,
    /// The account identity wrapped to this passkey's PRF unlocker.
    pub wrapped_key: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
