//! Caregivers from both sides: the owner invites, lists, confirms, removes and rotates the
//! key after a removal; the caregiver accepts and lists the records they help with.

use folio_shared::api::care::{
    AcceptInvitation, AcceptedInvitation, ActivityEntry, Caregiver, ConfirmCaregiver,
    CreateInvitation, Invitation, Membership,
};
use folio_shared::care::{MemberListError, RotationError, rotation_head, rotation_with_members};
use folio_shared::keys::AccountIdentity;
use folio_shared::vault::{CompactError, VaultId, VaultKeyring, rotate_opened};
use reqwest::Method;
use uuid::Uuid;

use super::{ClientError, VaultClient, check};

impl VaultClient {
    pub async fn invite(
        &self,
        vault: VaultId,
        invitation: &CreateInvitation,
    ) -> Result<Invitation, ClientError> {
        let response = self
            .request(
                Method::POST,
                &format!("/api/v1/vaults/{}/caregivers", vault.0),
            )
            .json(invitation)
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn caregivers(&self, vault: VaultId) -> Result<Vec<Caregiver>, ClientError> {
        let response = self
            .request(
                Method::GET,
                &format!("/api/v1/vaults/{}/caregivers", vault.0),
            )
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    /// Takes an invitation: `secret` is the link's fragment (a whole link works too).
    pub async fn accept_invitation(&self, secret: &str) -> Result<AcceptedInvitation, ClientError> {
        let secret = secret.rsplit('#').next().unwrap_or(secret).to_owned();
        let response = self
            .request(Method::POST, "/api/v1/invitations/accept")
            .json(&AcceptInvitation { secret })
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn confirm_caregiver(
        &self,
        vault: VaultId,
        caregiver: Uuid,
        confirmation: &ConfirmCaregiver,
    ) -> Result<Caregiver, ClientError> {
        let response = self
            .request(
                Method::POST,
                &format!("/api/v1/vaults/{}/caregivers/{caregiver}/confirm", vault.0),
            )
            .json(confirmation)
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn remove_caregiver(
        &self,
        vault: VaultId,
        caregiver: Uuid,
    ) -> Result<Caregiver, ClientError> {
        let response = self
            .request(
                Method::DELETE,
                &format!("/api/v1/vaults/{}/caregivers/{caregiver}", vault.0),
            )
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    /// As an emergency contact: ask for access, which opens after the waiting period.
    pub async fn request_access(&self, membership: Uuid) -> Result<Membership, ClientError> {
        let response = self
            .request(
                Method::POST,
                &format!("/api/v1/memberships/{membership}/request-access"),
            )
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    /// As the owner: refuse an emergency contact's pending request.
    pub async fn refuse_access(
        &self,
        vault: VaultId,
        caregiver: Uuid,
    ) -> Result<Caregiver, ClientError> {
        let response = self
            .request(
                Method::POST,
                &format!("/api/v1/vaults/{}/caregivers/{caregiver}/refuse", vault.0),
            )
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn memberships(&self) -> Result<Vec<Membership>, ClientError> {
        let response = self
            .request(Method::GET, "/api/v1/memberships")
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn activity(&self, vault: VaultId) -> Result<Vec<ActivityEntry>, ClientError> {
        let response = self
            .request(Method::GET, &format!("/api/v1/vaults/{}/activity", vault.0))
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }
}

/// Why a rotation did not happen; the vault is unchanged whatever the reason.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("re-sealing the record: {0}")]
    Reseal(#[from] CompactError),
    #[error(transparent)]
    NoRecipient(#[from] RotationError),
    #[error(transparent)]
    MemberList(#[from] MemberListError),
    #[error("this client has no signing key to rotate a record with a member list")]
    NoSigningKey,
    #[error("the record kept changing while it was being rotated; try again")]
    KeptChanging,
}

/// Attempts before a rotation gives up to a log that keeps growing under it.
const ROTATION_ATTEMPTS: usize = 3;

impl VaultClient {
    /// Rotates `vault` to a new key, as its owner: the whole log re-sealed, the new key
    /// wrapped to the owner and to every caregiver who keeps access, all swapped in by one
    /// atomic compaction. Run after removing a caregiver (the server marks the vault as due
    /// one until it is done, so an interrupted rotation is simply run again). Under a member
    /// list the new key goes to the list's members, and the removals and the new epoch are
    /// stored with the compaction ([`rotation_with_members`]). Returns the keyring with the
    /// new key.
    pub async fn rotate_key(
        &self,
        vault: VaultId,
        owner: &AccountIdentity,
        keyring: &VaultKeyring,
    ) -> Result<VaultKeyring, RotateError> {
        let owner_id = self.account().await?.account_id;
        for _ in 0..ROTATION_ATTEMPTS {
            let (log, generation) = self.all_segments(vault).await?;
            let last_seq = log.last().map_or(0, |(seq, _)| *seq as i64);
            // Opened as a reader opens it: under a member list what no member signed is
            // dropped here, never re-sealed under the owner's signature.
            let roster = self.checked_roster(vault).await?;
            let opened = self.open_log(vault, keyring, roster.as_ref(), &log).await?;
            let rotation = rotate_opened(keyring, opened.contents)?;
            let caregivers = self.caregivers(vault).await?;
            let head = match roster {
                None => rotation_head(
                    &rotation,
                    generation,
                    last_seq,
                    (owner_id, &owner.recipient()),
                    &caregivers,
                )?,
                Some(roster) => rotation_with_members(
                    &roster,
                    self.signer().ok_or(RotateError::NoSigningKey)?,
                    &caregivers,
                    &rotation,
                    generation,
                    last_seq,
                    chrono::Utc::now(),
                )?,
            };
            match self.compact(vault, &head, &rotation.segments).await {
                Ok(_) => {
                    if head.roster.is_some() {
                        // Verifies and pins the list with this rotation's entries.
                        self.checked_roster(vault).await?;
                    }
                    let mut rotated = keyring.clone();
                    rotated.insert(rotation.identity);
                    return Ok(rotated);
                }
                // An upload landed in between: read the log again.
                Err(e) if e.status() == Some(reqwest::StatusCode::CONFLICT) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RotateError::KeptChanging)
    }
}
