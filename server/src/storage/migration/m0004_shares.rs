//! Share links (SMART Health Links): the link's rules and counters, its encrypted files,
//! short-lived file tickets, and the hash-chained access log the patient reads.
//!
//! The server never learns a link's key: `share_files.jwe` is ciphertext under it. The link
//! id (the capability in the URL) and file tickets are stored as SHA-256 hashes, the
//! passcode as an Argon2id PHC string.

use sea_orm_migration::prelude::*;

use super::m0001_accounts::Accounts;
use super::m0002_devices_and_vaults::Vaults;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn belongs_to_share(
    table: impl IntoIden + Copy,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Shares::Table, Shares::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Shares::Table)
                    .col(ColumnDef::new(Shares::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Shares::VaultId).uuid().not_null())
                    .col(ColumnDef::new(Shares::AccountId).uuid().not_null())
                    .col(
                        ColumnDef::new(Shares::LinkIdHash)
                            .binary()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Shares::Label).string().not_null())
                    .col(ColumnDef::new(Shares::Flags).string().not_null())
                    .col(ColumnDef::new(Shares::Categories).text().not_null())
                    .col(ColumnDef::new(Shares::PasscodeHash).text().null())
                    .col(ColumnDef::new(Shares::AttemptsLeft).integer().null())
                    .col(ColumnDef::new(Shares::MaxOpens).integer().null())
                    .col(ColumnDef::new(Shares::Opens).integer().not_null())
                    .col(ColumnDef::new(Shares::LogLength).big_integer().not_null())
                    .col(ColumnDef::new(Shares::LogHead).binary().not_null())
                    .col(timestamp(Shares::ExpiresAt))
                    .col(
                        ColumnDef::new(Shares::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Shares::PurgedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(Shares::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shares::Table, Shares::VaultId)
                            .to(Vaults::Table, Vaults::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shares::Table, Shares::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shares_by_vault")
                    .table(Shares::Table)
                    .col(Shares::VaultId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ShareFiles::Table)
                    .col(ColumnDef::new(ShareFiles::ShareId).uuid().not_null())
                    .col(ColumnDef::new(ShareFiles::Position).integer().not_null())
                    .col(ColumnDef::new(ShareFiles::ContentType).string().not_null())
                    .col(ColumnDef::new(ShareFiles::Jwe).text().not_null())
                    .col(ColumnDef::new(ShareFiles::Size).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(ShareFiles::ShareId)
                            .col(ShareFiles::Position),
                    )
                    .foreign_key(&mut belongs_to_share(
                        ShareFiles::Table,
                        ShareFiles::ShareId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ShareTickets::Table)
                    .col(
                        ColumnDef::new(ShareTickets::TicketHash)
                            .binary()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ShareTickets::ShareId).uuid().not_null())
                    .col(ColumnDef::new(ShareTickets::Position).integer().not_null())
                    .col(timestamp(ShareTickets::ExpiresAt))
                    .foreign_key(&mut belongs_to_share(
                        ShareTickets::Table,
                        ShareTickets::ShareId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ShareAccesses::Table)
                    .col(ColumnDef::new(ShareAccesses::ShareId).uuid().not_null())
                    .col(ColumnDef::new(ShareAccesses::Seq).big_integer().not_null())
                    .col(timestamp(ShareAccesses::At))
                    .col(ColumnDef::new(ShareAccesses::Recipient).string().not_null())
                    .col(ColumnDef::new(ShareAccesses::Outcome).string().not_null())
                    .col(ColumnDef::new(ShareAccesses::PrevHash).binary().not_null())
                    .col(ColumnDef::new(ShareAccesses::Hash).binary().not_null())
                    .primary_key(
                        Index::create()
                            .col(ShareAccesses::ShareId)
                            .col(ShareAccesses::Seq),
                    )
                    .foreign_key(&mut belongs_to_share(
                        ShareAccesses::Table,
                        ShareAccesses::ShareId,
                    ))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Shares {
    Table,
    Id,
    VaultId,
    AccountId,
    LinkIdHash,
    Label,
    Flags,
    Categories,
    PasscodeHash,
    AttemptsLeft,
    MaxOpens,
    Opens,
    LogLength,
    LogHead,
    ExpiresAt,
    RevokedAt,
    PurgedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ShareFiles {
    Table,
    ShareId,
    Position,
    ContentType,
    Jwe,
    Size,
}

#[derive(DeriveIden, Clone, Copy)]
enum ShareTickets {
    Table,
    TicketHash,
    ShareId,
    Position,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ShareAccesses {
    Table,
    ShareId,
    Seq,
    At,
    Recipient,
    Outcome,
    PrevHash,
    Hash,
}
