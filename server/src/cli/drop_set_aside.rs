//! `folio drop-set-aside`: removes the parts of a record that could not be opened (see
//! `folio records`), as the record's owner. The whole log is compacted into new segments
//! sealed to the current key, holding everything that opened and nothing that did not.

use anyhow::{Context as _, Result};
use clap::Args;
use folio_shared::vault::VaultId;
use serde::Serialize;

use super::account::{Output, ProfileArg};
use super::profile::Profile;
use super::records::{SetAsideView, set_aside_lines};
use super::vault_access::VaultAccess;

#[derive(Debug, Args)]
pub struct DropSetAsideArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The record to repair (default: your own). Only its owner can.
    #[arg(long)]
    pub vault: Option<uuid::Uuid>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Serialize)]
struct Dropped {
    vault: uuid::Uuid,
    dropped: Vec<SetAsideView>,
}

pub async fn run(args: DropSetAsideArgs) -> Result<()> {
    let profile = Profile::load(&args.profile.path)?;
    let access = VaultAccess::open(&profile, args.vault.map(VaultId), false).await?;
    let dropped = access
        .client
        .drop_set_aside(access.vault_id, &access.keyring)
        .await
        .context("removing the parts of the record that could not be opened")?;
    let answer = Dropped {
        vault: access.vault_id.0,
        dropped: dropped.into_iter().map(SetAsideView::from).collect(),
    };
    args.output.print(&answer, || {
        if answer.dropped.is_empty() {
            "Every part of the record opens: nothing to remove.".to_owned()
        } else {
            format!(
                "Removed {} part(s) of the record that could not be opened:\n{}",
                answer.dropped.len(),
                set_aside_lines(&answer.dropped).trim_end()
            )
        }
    })
}
