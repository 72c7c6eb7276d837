use sea_orm::entity::prelude::*;

/// A fresh proof: a caller (a session or a device) proved a moment ago that it holds the
/// account, with a passkey or the recovery code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fresh_proofs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub session_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    /// `passkey`, `recovery_code` or `recovery_sign_in`.
    pub method: String,
    pub proven_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
