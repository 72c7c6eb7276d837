//! The fresh proof the CLI makes before an account-critical change (inviting or removing a
//! caregiver, revoking a device): its software passkey answers a user-verified challenge,
//! as a person's passkey does in the app. The passkey's counter moves on, so the profile is
//! saved before the answer is sent, whatever happens next.

use std::path::Path;

use anyhow::{Context as _, Result};
use folio_shared::api::account::{Assertion, AuthenticationOptions};

use super::profile::Profile;
use super::soft_passkey::SoftPasskey;
use crate::client::VaultClient;
use crate::client::account::SessionClient;

/// The profile's passkey's answer to `options`, with the profile saved after it.
fn answer(path: &Path, profile: &mut Profile, options: AuthenticationOptions) -> Result<Assertion> {
    let mut passkey = SoftPasskey::restore(&profile.passkey.saved)?;
    let credential = passkey.authenticate(&profile.server, options.options)?;
    profile.passkey.saved = passkey.save()?;
    profile
        .save(path)
        .with_context(|| format!("saving the profile {}", path.display()))?;
    Ok(Assertion {
        ceremony_id: options.ceremony_id,
        credential,
    })
}

/// Confirms with the profile's passkey for the profile's device token.
pub async fn confirm_device(
    path: &Path,
    profile: &mut Profile,
    client: &VaultClient,
) -> Result<()> {
    let options = client
        .fresh_proof_start()
        .await
        .context("asking to confirm with the profile's passkey")?;
    let assertion = answer(path, profile, options)?;
    client
        .fresh_proof_finish(&assertion)
        .await
        .context("confirming with the profile's passkey")?;
    Ok(())
}

/// Confirms with the profile's passkey for a signed-in session.
pub async fn confirm_session(
    path: &Path,
    profile: &mut Profile,
    session: &SessionClient,
) -> Result<()> {
    let options = session
        .fresh_proof_start()
        .await
        .context("asking to confirm with the profile's passkey")?;
    let assertion = answer(path, profile, options)?;
    session
        .fresh_proof_finish(&assertion)
        .await
        .context("confirming with the profile's passkey")?;
    Ok(())
}
