//! `folio account devices` and `folio account revoke-device`: the account's devices, and
//! revoking one, which replaces the account's keys (`folio_shared::account_keys`): whoever
//! holds the revoked device kept the old account identity, so nothing made afterwards may
//! be wrapped to it.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use chrono::{DateTime, Utc};
use folio_shared::account_keys::{KeptUnlockers, replace_account_keys};
use folio_shared::api::account::DeviceSummary;
use folio_shared::keys::{PASSKEY_PRF_INPUT, Unlocker};
use folio_shared::vault::VaultId;
use serde::Serialize;
use uuid::Uuid;

use super::account::Output;
use super::fresh_proof::confirm_device;
use super::profile::Profile;
use super::soft_passkey::SoftPasskey;
use super::vault_access::{VaultAccess, unlock_to_write};

pub async fn list(path: &Path, output: &Output) -> Result<()> {
    let profile = Profile::read(path)?;
    let devices = profile
        .client()
        .devices()
        .await
        .context("listing the account's devices")?;
    output.print(&devices, || {
        devices.iter().map(describe).collect::<Vec<_>>().join("\n")
    })
}

fn describe(device: &DeviceSummary) -> String {
    let this = if device.current {
        " (this profile)"
    } else {
        ""
    };
    let used = device.last_used_at.map_or("never used".to_owned(), |at| {
        format!("last used {}", at.format("%Y-%m-%d %H:%M UTC"))
    });
    format!(
        "{}  {}{this}: paired {}, {used}",
        device.id,
        device.name,
        device.created_at.format("%Y-%m-%d")
    )
}

#[derive(Serialize)]
struct Revoked {
    revoked_device: Uuid,
    /// Shown once: the old code no longer works.
    recovery_code: String,
    devices_signed_out: u64,
    sessions_ended: u64,
    /// Records whose key was rotated afterwards, since the old identity opened it.
    records_rekeyed: Vec<Uuid>,
    /// Records still due a new key (the rotation failed; run `folio care` or open them).
    records_due: Vec<Uuid>,
    replaced_at: DateTime<Utc>,
}

/// Revokes `device` and replaces the account's keys: a new identity wrapped only to this
/// profile's passkey and device key and a new recovery code, every record key re-wrapped,
/// this account's new keys in each member list; then every record this account owns gets a
/// new key.
pub async fn revoke(path: &Path, device: Uuid, output: &Output) -> Result<()> {
    let mut profile = Profile::read(path)?;
    if device == profile.device.id {
        bail!(
            "{device} is this profile's own device: sign out everywhere instead \
             (`folio account sign-out-everywhere`), or revoke it from another device"
        );
    }
    let client = profile.client();
    let (old, _) = unlock_to_write(&client, &profile).await?;
    let known = client
        .devices()
        .await
        .context("listing the account's devices")?;
    if !known.iter().any(|d| d.id == device) {
        bail!("this account has no device {device} that is still signed in");
    }
    confirm_device(path, &mut profile, &client).await?;

    let held = client
        .held_vault_keys()
        .await
        .context("reading the account's record keys")?;
    let mut lists = Vec::new();
    for record in client.vaults().await.context("listing the records")? {
        let vault = VaultId(record.id);
        if let Some(list) = client
            .checked_roster(vault)
            .await
            .with_context(|| format!("checking the member list of record {}", record.id))?
        {
            lists.push(list);
        }
    }
    let passkey = SoftPasskey::restore(&profile.passkey.saved)?;
    let passkey_unlocker = Unlocker::from_passkey_prf(&passkey.prf(PASSKEY_PRF_INPUT));
    let device_unlocker =
        Unlocker::from_device_key(&profile.device.key().map_err(anyhow::Error::msg)?);
    let replaced = replace_account_keys(
        profile.account_id,
        &old,
        &held,
        &lists,
        KeptUnlockers {
            passkey: Some((profile.passkey.id, &passkey_unlocker)),
            device: Some(&device_unlocker),
        },
        Some(device),
        Utc::now(),
    )?;
    let rotated = client
        .rotate_account_keys(&replaced.request)
        .await
        .context("replacing the account's keys (nothing changed)")?;
    for list in &replaced.member_lists {
        client.pin_head(list.vault(), list.head());
    }
    profile
        .remember_roster_heads(&client.pinned_heads())
        .context("keeping the records' member lists for next time")?;

    // The revoked device could open the current key of every record this account owns.
    let profile = Profile::read(path)?;
    let mut records_rekeyed = Vec::new();
    let mut records_due = Vec::new();
    for vault in rotated.rotation_due {
        match rekey(&profile, VaultId(vault)).await {
            Ok(()) => records_rekeyed.push(vault),
            Err(e) => {
                eprintln!("warning: record {vault} still needs a new key: {e:#}");
                records_due.push(vault);
            }
        }
    }
    let answer = Revoked {
        revoked_device: device,
        recovery_code: replaced.recovery_code.to_string(),
        devices_signed_out: rotated.devices_signed_out,
        sessions_ended: rotated.sessions_ended,
        records_rekeyed,
        records_due,
        replaced_at: Utc::now(),
    };
    output.print(&answer, || {
        let mut lines = vec![
            format!(
                "Device {device} is revoked and your account has new keys: what it kept \
                 opens nothing added from now on."
            ),
            format!(
                "{} device(s) and {} session(s) were signed out; pair them again. Other \
                 passkeys unlock once more with the new recovery code.",
                answer.devices_signed_out, answer.sessions_ended
            ),
            format!("{} record(s) got a new key.", answer.records_rekeyed.len()),
        ];
        if !answer.records_due.is_empty() {
            lines.push(format!(
                "{} record(s) still need a new key: run this again or rotate from the app.",
                answer.records_due.len()
            ));
        }
        lines.push(String::new());
        lines.push("Your new recovery code (the old one no longer works):".into());
        lines.push(format!("  {}", answer.recovery_code));
        lines.join("\n")
    })
}

async fn rekey(profile: &Profile, vault: VaultId) -> Result<()> {
    let access = VaultAccess::open(profile, Some(vault), false).await?;
    access
        .client
        .rotate_key(access.vault_id, &access.account, &access.keyring)
        .await
        .context("rotating the record's key")?;
    access.keep_member_lists(profile)
}
