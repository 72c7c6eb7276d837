//! A device's own account keys: the devices it can see, the vault keys wrapped to the
//! account, and replacing the account's keys when another device is revoked.

use base64::Engine as _;
use folio_shared::account_keys::HeldVaultKey;
use folio_shared::api::account::DeviceSummary;
use folio_shared::api::account_keys::{AccountKeyRotation, AccountKeysRotated, AccountVaultKey};
use folio_shared::keys::{KeyEpoch, WrappedKey};
use folio_shared::vault::VaultId;
use reqwest::Method;

use super::{ClientError, VaultClient, check};

impl VaultClient {
    /// The account's devices that are still signed in.
    pub async fn devices(&self) -> Result<Vec<DeviceSummary>, ClientError> {
        let response = self
            .request(Method::GET, "/api/v1/account/devices")
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    /// Every vault key wrapped to the account, in every record and epoch.
    pub async fn held_vault_keys(&self) -> Result<Vec<HeldVaultKey>, ClientError> {
        let response = self
            .request(Method::GET, "/api/v1/account/vault-keys")
            .send()
            .await?;
        let keys: Vec<AccountVaultKey> = check(response).await?.json().await?;
        keys.into_iter()
            .map(|key| {
                let wrapped = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(&key.wrapped_key)
                    .map_err(|e| ClientError::Unexpected(e.to_string()))?;
                Ok(HeldVaultKey {
                    vault: VaultId(key.vault_id),
                    epoch: KeyEpoch(key.epoch),
                    wrapped: WrappedKey::from_bytes(wrapped),
                })
            })
            .collect()
    }

    /// Sends a replacement of the account's keys (`folio_shared::account_keys`).
    pub async fn rotate_account_keys(
        &self,
        request: &AccountKeyRotation,
    ) -> Result<AccountKeysRotated, ClientError> {
        let response = self
            .request(Method::POST, "/api/v1/account/key-rotations")
            .json(request)
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }
}
