//! Attachments keep the SHA-256 of their sealed bytes, so the server can refuse to replace
//! an attachment with other bytes under the same id and can check that a new attachment's
//! id is the hash of its bytes. Rows from before hold none; the server fills it in from
//! the stored file the first time the id is uploaded again.

use sea_orm_migration::prelude::*;

use super::m0002_devices_and_vaults::Attachments;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Attachments::Table)
                    .add_column(ColumnDef::new(AttachmentsV6::Digest).binary().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Attachments::Table)
                    .drop_column(AttachmentsV6::Digest)
                    .to_owned(),
            )
            .await
    }
}

/// The column this migration adds to `attachments`.
#[derive(DeriveIden, Clone, Copy)]
enum AttachmentsV6 {
    Digest,
}
