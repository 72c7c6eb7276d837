//! Who uploaded each segment: the account whose token the upload came with (for a
//! compaction, the account that ran it). A client shows it next to a segment it could not
//! open ("appears to have been written by …"), as the server's claim, never as proof.
//! Segments stored before this migration have none.

use sea_orm_migration::prelude::*;

use super::m0002_devices_and_vaults::Segments;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Segments::Table)
                    .add_column(ColumnDef::new(SegmentsV6::UploadedBy).uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Segments::Table)
                    .drop_column(SegmentsV6::UploadedBy)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SegmentsV6 {
    UploadedBy,
}
