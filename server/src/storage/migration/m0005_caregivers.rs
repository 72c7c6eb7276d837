//! Caregivers: a vault's members other than its owner.
//!
//! A membership starts as an invitation (only the SHA-256 of its secret is stored), is
//! accepted by a signed-in account (which records that account's public recipient), and
//! becomes active only when the owner's client has wrapped the vault key to that recipient
//! (after the safety code matched on both screens). Revoking keeps the row, so the owner's
//! list still says who had access and until when, and marks the vault as due a key rotation
//! (`vaults.rotation_due_at`) until the owner's client has rotated it, so an interrupted
//! rotation is picked up again. An emergency contact is a viewer membership with a waiting
//! period: confirmed like any caregiver (so the owner's client has wrapped the key to them,
//! in escrow), it grants nothing until the contact requests access and the wait passes
//! without the owner refusing. A parent's record for a child is a vault marked `dependant`;
//! handing it over is an invitation with the owner role, confirmed like any other. `vault_events` is the owner's activity log: what caregivers
//! did in the record, under the name the owner gave them, and their comings and goings.

use sea_orm_migration::prelude::*;

use super::m0001_accounts::Accounts;
use super::m0002_devices_and_vaults::Vaults;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn optional_timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(
                        ColumnDef::new(Memberships::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Memberships::VaultId).uuid().not_null())
                    .col(ColumnDef::new(Memberships::Role).string().not_null())
                    .col(ColumnDef::new(Memberships::Name).string().not_null())
                    .col(ColumnDef::new(Memberships::InvitedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(Memberships::InvitationHash)
                            .binary()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Memberships::InvitationExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(optional_timestamp(Memberships::EndsAt))
                    .col(ColumnDef::new(Memberships::AccountId).uuid().null())
                    .col(ColumnDef::new(Memberships::Recipient).string().null())
                    .col(optional_timestamp(Memberships::AcceptedAt))
                    .col(optional_timestamp(Memberships::ConfirmedAt))
                    .col(optional_timestamp(Memberships::RevokedAt))
                    .col(
                        ColumnDef::new(Memberships::EmergencyWaitSeconds)
                            .big_integer()
                            .null(),
                    )
                    .col(optional_timestamp(Memberships::AccessRequestedAt))
                    .col(optional_timestamp(Memberships::RequestRefusedAt))
                    .col(
                        ColumnDef::new(Memberships::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::VaultId)
                            .to(Vaults::Table, Vaults::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_by_account")
                    .table(Memberships::Table)
                    .col(Memberships::AccountId)
                    .col(Memberships::VaultId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VaultEvents::Table)
                    .col(
                        ColumnDef::new(VaultEvents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(VaultEvents::VaultId).uuid().not_null())
                    .col(ColumnDef::new(VaultEvents::AccountId).uuid().null())
                    .col(ColumnDef::new(VaultEvents::Actor).string().not_null())
                    .col(ColumnDef::new(VaultEvents::Action).string().not_null())
                    .col(ColumnDef::new(VaultEvents::Detail).string().not_null())
                    .col(
                        ColumnDef::new(VaultEvents::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(VaultEvents::Table, VaultEvents::VaultId)
                            .to(Vaults::Table, Vaults::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("vault_events_by_vault")
                    .table(VaultEvents::Table)
                    .col(VaultEvents::VaultId)
                    .col(VaultEvents::At)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Vaults::Table)
                    .add_column(optional_timestamp(VaultsV5::RotationDueAt))
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Vaults::Table)
                    .add_column(
                        ColumnDef::new(VaultsV5::Dependant)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(VaultEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Memberships::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Memberships {
    Table,
    Id,
    VaultId,
    Role,
    Name,
    InvitedBy,
    InvitationHash,
    InvitationExpiresAt,
    EndsAt,
    AccountId,
    Recipient,
    AcceptedAt,
    ConfirmedAt,
    RevokedAt,
    EmergencyWaitSeconds,
    AccessRequestedAt,
    RequestRefusedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum VaultEvents {
    Table,
    Id,
    VaultId,
    AccountId,
    Actor,
    Action,
    Detail,
    At,
}

/// The column this migration adds to `vaults`.
#[derive(DeriveIden, Clone, Copy)]
enum VaultsV5 {
    RotationDueAt,
    Dependant,
}
