//! The `folio` command line: `folio serve` runs the server; the client verbs
//! (`account`, `import`, `records`, `export`, `share`, `care`) talk to one.

pub mod account;
pub mod allocator;
pub mod backup;
pub mod care;
pub mod connect;
pub mod devices;
pub mod drop_set_aside;
pub mod export;
pub mod fresh_proof;
pub mod import;
pub mod meds;
pub mod profile;
pub mod records;
pub mod share;
pub mod soft_passkey;
pub mod vault_access;

use clap::{Parser, Subcommand};

use crate::config::ServeConfig;

#[derive(Debug, Parser)]
#[command(
    name = "folio",
    version,
    about = "Folio: a patient-held, end-to-end-encrypted health record"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeConfig),
    /// Print the OpenAPI document of the server's API.
    Openapi,
    /// Your account: create one, sign in again, or show who a profile signs in as.
    Account(account::AccountArgs),
    /// Import files (FHIR, C-CDA, SMART Health Cards, zips, PDFs, photos) into a record.
    Import(import::ImportArgs),
    /// Show a record: resources per type, duplicates across sources merged.
    Records(records::RecordsArgs),
    /// Write the whole record as a FHIR Bundle or NDJSON, as the app's export does.
    Export(export::ExportArgs),
    /// Your medications as one list across every source, with interactions and duplicates.
    Meds(meds::MedsArgs),
    /// Remove the parts of a record that could not be opened (listed by `folio records`),
    /// as its owner.
    DropSetAside(drop_set_aside::DropSetAsideArgs),
    /// Share links: hand a clinician part of your record, see who opened it, revoke it;
    /// or open any SMART Health Link as a clinician.
    Share(share::ShareArgs),
    /// Caregivers: invite someone to help with a record, accept an invitation, compare the
    /// safety code and confirm, list, and remove (which rotates the record's key).
    Care(care::CareArgs),
    /// Providers' patient portals: sign in and connect one to a record (SMART on FHIR),
    /// sync what they hold, list and remove connections.
    Connect(connect::ConnectArgs),
    /// Copy a SQLite server's database and attachments into a folder, while it serves.
    Backup(backup::BackupArgs),
    /// Put a backup made by `folio backup` into a new or empty data directory.
    Restore(backup::RestoreArgs),
}
