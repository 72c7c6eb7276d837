//! Schema migrations, run at start on SQLite and PostgreSQL alike.
//!
//! Migrations are append-only: a released migration is never edited, a change is a new one.

use sea_orm_migration::prelude::*;

mod m0001_accounts;
mod m0002_devices_and_vaults;
mod m0003_passkeys_and_sessions;
mod m0004_shares;
mod m0005_caregivers;
mod m0006_fresh_proofs;
mod m0007_bound_attachments;
mod m0008_segment_uploaders;
mod m0009_signed_writes;
mod m0010_caregiver_signing_keys;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_accounts::Migration),
            Box::new(m0002_devices_and_vaults::Migration),
            Box::new(m0003_passkeys_and_sessions::Migration),
            Box::new(m0004_shares::Migration),
            Box::new(m0005_caregivers::Migration),
            Box::new(m0006_fresh_proofs::Migration),
            Box::new(m0007_bound_attachments::Migration),
            Box::new(m0008_segment_uploaders::Migration),
            Box::new(m0009_signed_writes::Migration),
            Box::new(m0010_caregiver_signing_keys::Migration),
        ]
    }
}
