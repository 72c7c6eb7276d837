use sea_orm::entity::prelude::*;

/// One line of a vault's activity log, for its owner: what a caregiver did, or a change in
/// who has access. `actor` is the name the owner gave the caregiver, or `owner`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vault_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub vault_id: Uuid,
    pub account_id: Option<Uuid>,
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
