//! Devices (bearer-token clients), vaults, their members' wrapped keys, and the encrypted
//! segment log.
//!
//! Every column here is either public (recipients, sizes, times, sequence numbers) or
//! ciphertext the server cannot open (wrapped keys, segments). Bearer tokens are stored
//! only as SHA-256 hashes.

use sea_orm_migration::prelude::*;

use super::m0001_accounts::Accounts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Devices::Table)
                    .col(ColumnDef::new(Devices::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Devices::AccountId).uuid().not_null())
                    .col(ColumnDef::new(Devices::Name).string().not_null())
                    .col(
                        ColumnDef::new(Devices::TokenHash)
                            .binary()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Devices::Recipient).string().not_null())
                    .col(
                        ColumnDef::new(Devices::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Devices::LastUsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Devices::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Devices::Table, Devices::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Vaults::Table)
                    .col(ColumnDef::new(Vaults::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Vaults::OwnerId).uuid().not_null())
                    .col(ColumnDef::new(Vaults::Recipient).string().not_null())
                    .col(ColumnDef::new(Vaults::Epoch).integer().not_null())
                    .col(ColumnDef::new(Vaults::Generation).big_integer().not_null())
                    .col(ColumnDef::new(Vaults::LastSeq).big_integer().not_null())
                    .col(ColumnDef::new(Vaults::UsedBytes).big_integer().not_null())
                    .col(ColumnDef::new(Vaults::QuotaBytes).big_integer().not_null())
                    .col(
                        ColumnDef::new(Vaults::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Vaults::Table, Vaults::OwnerId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(VaultKeys::Table)
                    .col(ColumnDef::new(VaultKeys::VaultId).uuid().not_null())
                    .col(ColumnDef::new(VaultKeys::AccountId).uuid().not_null())
                    .col(ColumnDef::new(VaultKeys::Epoch).integer().not_null())
                    .col(ColumnDef::new(VaultKeys::WrappedKey).binary().not_null())
                    .col(
                        ColumnDef::new(VaultKeys::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(VaultKeys::VaultId)
                            .col(VaultKeys::AccountId)
                            .col(VaultKeys::Epoch),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(VaultKeys::Table, VaultKeys::VaultId)
                            .to(Vaults::Table, Vaults::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(VaultKeys::Table, VaultKeys::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Segments::Table)
                    .col(ColumnDef::new(Segments::VaultId).uuid().not_null())
                    .col(ColumnDef::new(Segments::Seq).big_integer().not_null())
                    .col(ColumnDef::new(Segments::Epoch).integer().not_null())
                    .col(ColumnDef::new(Segments::UploadKey).string().not_null())
                    .col(ColumnDef::new(Segments::Digest).binary().not_null())
                    .col(ColumnDef::new(Segments::Size).big_integer().not_null())
                    .col(ColumnDef::new(Segments::Ciphertext).blob().not_null())
                    .col(
                        ColumnDef::new(Segments::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col(Segments::VaultId).col(Segments::Seq))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Segments::Table, Segments::VaultId)
                            .to(Vaults::Table, Vaults::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("segments_upload_key")
                    .table(Segments::Table)
                    .col(Segments::VaultId)
                    .col(Segments::UploadKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Ciphertexts are randomised, so the same bytes twice is a replay, never a new segment.
        manager
            .create_index(
                Index::create()
                    .name("segments_digest")
                    .table(Segments::Table)
                    .col(Segments::VaultId)
                    .col(Segments::Digest)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(ColumnDef::new(Attachments::VaultId).uuid().not_null())
                    .col(ColumnDef::new(Attachments::Id).uuid().not_null())
                    .col(ColumnDef::new(Attachments::Size).big_integer().not_null())
                    .col(
                        ColumnDef::new(Attachments::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(Attachments::VaultId)
                            .col(Attachments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attachments::Table, Attachments::VaultId)
                            .to(Vaults::Table, Vaults::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
pub enum Devices {
    Table,
    Id,
    AccountId,
    Name,
    TokenHash,
    Recipient,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
pub enum Vaults {
    Table,
    Id,
    OwnerId,
    Recipient,
    Epoch,
    Generation,
    LastSeq,
    UsedBytes,
    QuotaBytes,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum VaultKeys {
    Table,
    VaultId,
    AccountId,
    Epoch,
    WrappedKey,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Segments {
    Table,
    VaultId,
    Seq,
    Epoch,
    UploadKey,
    Digest,
    Size,
    Ciphertext,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Attachments {
    Table,
    VaultId,
    Id,
    Size,
    CreatedAt,
}
