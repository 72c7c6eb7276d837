//! A vault's activity log for its owner: each thing a caregiver did in the record, under the
//! name the owner gave them, and each change of who has access.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::entity::vault_event;

/// The newest events first, at most this many per read.
pub const PAGE: u64 = 500;

pub async fn record(
    db: &impl ConnectionTrait,
    vault_id: Uuid,
    account_id: Option<Uuid>,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), DbErr> {
    vault_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        vault_id: Set(vault_id),
        account_id: Set(account_id),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        detail: Set(detail.to_owned()),
        at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn newest(
    db: &impl ConnectionTrait,
    vault_id: Uuid,
) -> Result<Vec<vault_event::Model>, DbErr> {
    vault_event::Entity::find()
        .filter(vault_event::Column::VaultId.eq(vault_id))
        .order_by_desc(vault_event::Column::At)
        .limit(PAGE)
        .all(db)
        .await
}
