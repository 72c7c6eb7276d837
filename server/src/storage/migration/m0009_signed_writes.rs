//! Signed writes: each account's signing key (public half, and the private half wrapped to
//! the account recipient), each record's member list (roster) as the signed entries clients
//! verify, and the writer's signature kept beside each segment. Records and segments from
//! before have none: they were written before signing.

use sea_orm_migration::prelude::*;

use super::m0001_accounts::Accounts;
use super::m0002_devices_and_vaults::{Segments, Vaults};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(ColumnDef::new(AccountsV9::SigningKey).binary().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(
                        ColumnDef::new(AccountsV9::WrappedSigningKey)
                            .binary()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Segments::Table)
                    .add_column(ColumnDef::new(SegmentsV9::WriteSignature).binary().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RosterEntries::Table)
                    .col(ColumnDef::new(RosterEntries::VaultId).uuid().not_null())
                    .col(ColumnDef::new(RosterEntries::Seq).big_integer().not_null())
                    .col(ColumnDef::new(RosterEntries::Body).binary().not_null())
                    .col(ColumnDef::new(RosterEntries::Signer).binary().not_null())
                    .col(ColumnDef::new(RosterEntries::Signature).binary().not_null())
                    .col(ColumnDef::new(RosterEntries::AddedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(RosterEntries::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(RosterEntries::VaultId)
                            .col(RosterEntries::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RosterEntries::Table, RosterEntries::VaultId)
                            .to(Vaults::Table, Vaults::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RosterEntries::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Segments::Table)
                    .drop_column(SegmentsV9::WriteSignature)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(AccountsV9::WrappedSigningKey)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(AccountsV9::SigningKey)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AccountsV9 {
    SigningKey,
    WrappedSigningKey,
}

#[derive(DeriveIden, Clone, Copy)]
enum SegmentsV9 {
    WriteSignature,
}

#[derive(DeriveIden, Clone, Copy)]
enum RosterEntries {
    Table,
    VaultId,
    Seq,
    Body,
    Signer,
    Signature,
    AddedBy,
    CreatedAt,
}
