//! Fresh proofs for account-critical changes, and which passkey started each session.
//!
//! A fresh proof is a user-verified passkey assertion (or the recovery code) made by one
//! caller, a session or a device, a few minutes ago: replacing the recovery code, adding or
//! removing a passkey, revoking a device, deleting a record or the account and inviting or
//! removing caregivers need one, so a stolen device token or an old session cannot take the
//! account over. Proofs live in the database so any server can check what another recorded;
//! they go with the session that made them, and a session goes with the passkey that
//! started it (the application deletes those sessions when the passkey is removed: SQLite
//! cannot add a foreign key to an existing table).

use sea_orm_migration::prelude::*;

use super::m0001_accounts::Accounts;
use super::m0002_devices_and_vaults::Devices;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Null for a session started by the recovery code, and for sessions older than this
        // column.
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(ColumnDef::new(Sessions::PasskeyId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_by_passkey")
                    .table(Sessions::Table)
                    .col(Sessions::PasskeyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FreshProofs::Table)
                    .col(
                        ColumnDef::new(FreshProofs::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(FreshProofs::AccountId).uuid().not_null())
                    // Exactly one of the two is set: the caller the proof was made by.
                    .col(ColumnDef::new(FreshProofs::SessionId).uuid().null())
                    .col(ColumnDef::new(FreshProofs::DeviceId).uuid().null())
                    .col(ColumnDef::new(FreshProofs::Method).string().not_null())
                    .col(
                        ColumnDef::new(FreshProofs::ProvenAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FreshProofs::Table, FreshProofs::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FreshProofs::Table, FreshProofs::SessionId)
                            .to(Sessions::Table, Sessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FreshProofs::Table, FreshProofs::DeviceId)
                            .to(Devices::Table, Devices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("fresh_proofs_by_session", FreshProofs::SessionId),
            ("fresh_proofs_by_device", FreshProofs::DeviceId),
            ("fresh_proofs_by_time", FreshProofs::ProvenAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(FreshProofs::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    PasskeyId,
}

#[derive(DeriveIden, Clone, Copy)]
enum FreshProofs {
    Table,
    Id,
    AccountId,
    SessionId,
    DeviceId,
    Method,
    ProvenAt,
}
