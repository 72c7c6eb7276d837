//! Passkeys, the recovery code's traces, browser sessions, WebAuthn ceremonies in flight,
//! device pairing codes and rate-limit counters.
//!
//! Ceremonies, sessions and rate limits live here rather than in a server's memory so any
//! number of servers can run behind a load balancer. Secrets the server hands out (session
//! tokens, pairing codes) and the recovery verifier are stored only as SHA-256 hashes.

use sea_orm_migration::prelude::*;

use super::m0001_accounts::Accounts;
use super::m0002_devices_and_vaults::Devices;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn owned_by_account(
    table: impl IntoIden + Copy,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Accounts::Table, Accounts::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The account's public age recipient: vault keys are wrapped to it.
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(ColumnDef::new(AccountsV3::Recipient).string().null())
                    .to_owned(),
            )
            .await?;
        // The account identity wrapped to the device's key, once a signed-in client made it.
        manager
            .alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .add_column(ColumnDef::new(DevicesV3::WrappedKey).binary().null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Passkeys::Table)
                    .col(ColumnDef::new(Passkeys::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Passkeys::AccountId).uuid().not_null())
                    .col(
                        ColumnDef::new(Passkeys::CredentialId)
                            .binary()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Passkeys::Credential).text().not_null())
                    .col(ColumnDef::new(Passkeys::Name).string().not_null())
                    .col(ColumnDef::new(Passkeys::PrfEnabled).boolean().not_null())
                    .col(ColumnDef::new(Passkeys::WrappedKey).binary().null())
                    .col(timestamp(Passkeys::CreatedAt))
                    .col(
                        ColumnDef::new(Passkeys::LastUsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut owned_by_account(Passkeys::Table, Passkeys::AccountId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(
                        ColumnDef::new(RecoveryCodes::AccountId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RecoveryCodes::VerifierHash)
                            .binary()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(RecoveryCodes::WrappedKey)
                            .binary()
                            .not_null(),
                    )
                    .col(timestamp(RecoveryCodes::CreatedAt))
                    .foreign_key(&mut owned_by_account(
                        RecoveryCodes::Table,
                        RecoveryCodes::AccountId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(ColumnDef::new(Sessions::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Sessions::AccountId).uuid().not_null())
                    .col(
                        ColumnDef::new(Sessions::TokenHash)
                            .binary()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Sessions::Scope).string().not_null())
                    .col(timestamp(Sessions::CreatedAt))
                    .col(timestamp(Sessions::LastSeenAt))
                    .col(timestamp(Sessions::ExpiresAt))
                    .foreign_key(&mut owned_by_account(Sessions::Table, Sessions::AccountId))
                    .to_owned(),
            )
            .await?;

        // No foreign key on account_id: a sign-up ceremony names an account that does not
        // exist until it finishes.
        manager
            .create_table(
                Table::create()
                    .table(Ceremonies::Table)
                    .col(
                        ColumnDef::new(Ceremonies::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Ceremonies::Kind).string().not_null())
                    .col(ColumnDef::new(Ceremonies::AccountId).uuid().null())
                    .col(ColumnDef::new(Ceremonies::State).text().not_null())
                    .col(timestamp(Ceremonies::ExpiresAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Pairings::Table)
                    .col(ColumnDef::new(Pairings::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Pairings::AccountId).uuid().not_null())
                    .col(
                        ColumnDef::new(Pairings::CodeHash)
                            .binary()
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp(Pairings::CreatedAt))
                    .col(timestamp(Pairings::ExpiresAt))
                    .col(
                        ColumnDef::new(Pairings::RedeemedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Pairings::DeviceId).uuid().null())
                    .foreign_key(&mut owned_by_account(Pairings::Table, Pairings::AccountId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RateLimits::Table)
                    .col(
                        ColumnDef::new(RateLimits::Bucket)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(timestamp(RateLimits::WindowStart))
                    .col(ColumnDef::new(RateLimits::Hits).integer().not_null())
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AccountsV3 {
    Recipient,
}

#[derive(DeriveIden)]
enum DevicesV3 {
    WrappedKey,
}

#[derive(DeriveIden, Clone, Copy)]
enum Passkeys {
    Table,
    Id,
    AccountId,
    CredentialId,
    Credential,
    Name,
    PrfEnabled,
    WrappedKey,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RecoveryCodes {
    Table,
    AccountId,
    VerifierHash,
    WrappedKey,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    AccountId,
    TokenHash,
    Scope,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Ceremonies {
    Table,
    Id,
    Kind,
    AccountId,
    State,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Pairings {
    Table,
    Id,
    AccountId,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    RedeemedAt,
    DeviceId,
}

#[derive(DeriveIden, Clone, Copy)]
enum RateLimits {
    Table,
    Bucket,
    WindowStart,
    Hits,
}
