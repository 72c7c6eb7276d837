//! A profile's way into a vault: the device token reaches the server, the device key unwraps
//! the account identity, and the account identity unwraps the vault's keys. Everything the
//! client verbs (`import`, `records`, `share`) do to a record starts here.

use anyhow::{Context as _, Result, anyhow};
use folio_shared::care::Role;
use folio_shared::keys::{AccountIdentity, KeyEpoch, SigningKey, VaultIdentity};
use folio_shared::roster::Roster;
use folio_shared::vault::{Sealer, VaultContents, VaultId, VaultKeyring};

use super::account::unlock_with_device;
use super::profile::Profile;
use crate::client::VaultClient;
use crate::client::set_aside::OpenedRecord;

/// The account owns no record yet, and the command was not one that makes it.
#[derive(Debug, thiserror::Error)]
#[error("this account has no record yet: import something first")]
pub struct NoRecordYet;

/// A vault opened by a profile: the client, the unlocked account and the vault's keys.
pub struct VaultAccess {
    pub client: VaultClient,
    pub account: AccountIdentity,
    pub vault_id: VaultId,
    pub keyring: VaultKeyring,
    /// The record's verified member list; none for a record written before signing.
    pub roster: Option<Roster>,
    /// Created by this very access: it has no segments yet, and only the key made here.
    created: bool,
}

/// The account identity, unwrapped with the profile's device key.
pub async fn unlock_account(client: &VaultClient, profile: &Profile) -> Result<AccountIdentity> {
    Ok(unlock_to_write(client, profile).await?.0)
}

/// The account identity and its signing key, which the server is given (its public half)
/// the first time.
pub async fn unlock_to_write(
    client: &VaultClient,
    profile: &Profile,
) -> Result<(AccountIdentity, SigningKey)> {
    let unlock = client.account_unlock().await.context(
        "reading the account's keys (is the profile signed in? try `folio account login`)",
    )?;
    let account = unlock_with_device(&unlock, &profile.device)?;
    let signing = client
        .ensure_signing_key(&account, unlock.signing_key.as_ref())
        .await
        .context("registering the account's signing key")?;
    Ok((account, signing))
}

impl VaultAccess {
    /// The vault `vault` (or, without one, the account's own record), creating the
    /// account's own record the first time when `create` is set.
    pub async fn open(profile: &Profile, vault: Option<VaultId>, create: bool) -> Result<Self> {
        let client = profile.client();
        let (account, signing) = unlock_to_write(&client, profile).await?;
        let client = client.signing_with(signing);
        let vaults = client.vaults().await.context("listing the records")?;
        let chosen = match vault {
            Some(id) => Some(
                vaults
                    .iter()
                    .find(|v| v.id == id.0)
                    .with_context(|| format!("no record {} is shared with this account", id.0))?,
            ),
            None => vaults.iter().find(|v| v.is_own_record()),
        };
        let owned = chosen.is_some_and(|summary| summary.role == Role::Owner.as_str());
        let vault_id = match chosen {
            Some(summary) => VaultId(summary.id),
            None if create => {
                let id = VaultId(uuid::Uuid::new_v4());
                let identity = VaultIdentity::generate(KeyEpoch::FIRST);
                client
                    .create_vault(id, &identity, &identity.wrap_to(&account.recipient()))
                    .await
                    .context("creating your record")?;
                // Its one key is the one just made: no need to fetch it back.
                let keyring = VaultKeyring::new(id, identity);
                let roster = client
                    .start_member_list(id, &account, profile.account_id, &keyring, true)
                    .await
                    .context("starting your record's member list")?;
                let access = VaultAccess {
                    client,
                    account,
                    vault_id: id,
                    keyring,
                    roster,
                    created: true,
                };
                access.keep_member_lists(profile)?;
                return Ok(access);
            }
            None => return Err(NoRecordYet.into()),
        };
        let (keyring, mut roster) = keyring(&client, &account, vault_id).await?;
        if roster.is_none() && owned {
            // Written before signing: the owner's client signs it over and starts the list.
            // That failing leaves the record as it was, to open; the next command tries again.
            match client
                .start_member_list(vault_id, &account, profile.account_id, &keyring, false)
                .await
            {
                Ok(started) => roster = started,
                Err(e) => eprintln!(
                    "warning: your record could not be signed and its member list started \
                     yet ({e}); it opens as before"
                ),
            }
        }
        let access = VaultAccess {
            client,
            account,
            vault_id,
            keyring,
            roster,
            created: false,
        };
        access.keep_member_lists(profile)?;
        Ok(access)
    }

    /// Keeps the member-list heads this access verified (or wrote) in the profile, so the
    /// next command refuses a list rolled back behind them.
    pub fn keep_member_lists(&self, profile: &Profile) -> Result<()> {
        profile
            .remember_roster_heads(&self.client.pinned_heads())
            .context("keeping the record's member list for next time")
    }

    /// New segments are sealed to the newest epoch's key.
    pub fn sealer(&self) -> Sealer {
        Sealer::for_identity(self.vault_id, self.keyring.current())
    }

    /// The whole record as it stands: every segment of the log, opened in order. Segments
    /// that do not open are left out; [`VaultAccess::open_record`] says which.
    pub async fn contents(&self) -> Result<VaultContents> {
        Ok(self.open_record().await?.contents)
    }

    /// The whole record, with the parts that could not be opened and who appears to have
    /// written them.
    pub async fn open_record(&self) -> Result<OpenedRecord> {
        if self.created {
            // Nobody else knows a record this access just created: it is empty.
            return Ok(OpenedRecord {
                contents: VaultContents::default(),
                set_aside: Vec::new(),
            });
        }
        self.client
            .open_record_under(self.vault_id, &self.keyring, self.roster.as_ref())
            .await
            .context("downloading the record")
    }
}

/// Every epoch's vault key the account holds, unwrapped and, under a member list, checked
/// against it; with the list.
async fn keyring(
    client: &VaultClient,
    account: &AccountIdentity,
    vault_id: VaultId,
) -> Result<(VaultKeyring, Option<Roster>)> {
    let wraps = client
        .keys(vault_id)
        .await
        .context("reading the record's keys")?;
    let identities = wraps.iter().map(|(epoch, wrapped)| {
        wrapped
            .unwrap_vault(account, KeyEpoch(*epoch))
            .with_context(|| format!("unwrapping the record's key of epoch {epoch}"))
    });
    let identities = identities.collect::<Result<Vec<_>>>()?;
    let roster = client
        .checked_roster(vault_id)
        .await
        .context("checking who is on the record")?;
    let identities = match &roster {
        Some(roster) => roster
            .approved_keys(identities)
            .map_err(|refused| anyhow!("{refused}; nothing was read or written"))?,
        None => identities,
    };
    let mut identities = identities.into_iter();
    let first = identities
        .next()
        .context("the server holds no key of this record for this account")?;
    let mut keyring = VaultKeyring::new(vault_id, first);
    for identity in identities {
        keyring.insert(identity);
    }
    Ok((keyring, roster))
}
