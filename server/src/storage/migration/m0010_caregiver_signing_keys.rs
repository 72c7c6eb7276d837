//! A caregiver's signing key as their account had registered it at acceptance, kept beside
//! their recipient: the owner's safety code covers both, and the owner's client adds both
//! to the record's member list.

use sea_orm_migration::prelude::*;

use super::m0005_caregivers::Memberships;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .add_column(ColumnDef::new(MembershipsV10::SigningKey).binary().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .drop_column(MembershipsV10::SigningKey)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum MembershipsV10 {
    SigningKey,
}
