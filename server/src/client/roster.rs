//! The record's member list as a client checks it: fetched, verified from the owner's first
//! entry, held against the head this client pinned last time, and used to vouch for each
//! segment's writer. A record without a list was written before signing and opens as
//! before, unless this client has seen a list for it (then its absence is a rollback).

use std::collections::HashMap;

use folio_shared::api::roster::{AccountSigningKey, RosterAppendRequest, RosterEntries};
use folio_shared::api::{CompactionHead, MAX_ORIGINS_PER_CALL, SegmentOrigin};
use folio_shared::care::{MemberListError, start_list};
use folio_shared::keys::{AccountIdentity, SigningKey};
use folio_shared::roster::{Roster, RosterError, RosterHead};
use folio_shared::vault::{Sealer, VaultId, VaultKeyring};
use reqwest::{Method, StatusCode};

use super::{ClientError, VaultClient, check};

impl VaultClient {
    /// Registers the account's signing key ([`SigningKey::of_account`]) unless the server
    /// already holds it; refuses when the server holds another key for this account, which
    /// no client of this account made.
    pub async fn ensure_signing_key(
        &self,
        account: &AccountIdentity,
        registered: Option<&AccountSigningKey>,
    ) -> Result<SigningKey, ClientError> {
        let key = SigningKey::of_account(account);
        match registered {
            Some(registered) if registered.public_key == key.public_key() => {}
            Some(_) => {
                return Err(ClientError::Unexpected(
                    "the server holds a signing key for this account that is not the account's \
                     own"
                    .into(),
                ));
            }
            None => {
                let response = self
                    .request(Method::PUT, "/api/v1/account/signing-key")
                    .json(&AccountSigningKey::of(&key, account))
                    .send()
                    .await?;
                check(response).await?;
            }
        }
        Ok(key)
    }

    /// The record's verified member list, or `None` for a record written before signing.
    /// Refuses a list that does not verify, or that rolls back or forks the head this
    /// client pinned; pins the new head.
    pub async fn checked_roster(&self, vault: VaultId) -> Result<Option<Roster>, ClientError> {
        let response = self
            .request(Method::GET, &format!("/api/v1/vaults/{}/roster", vault.0))
            .send()
            .await?;
        let entries = check(response)
            .await?
            .json::<RosterEntries>()
            .await?
            .entries;
        let pinned = self.pinned_head(vault);
        if entries.is_empty() {
            return match pinned {
                Some(pinned) => Err(ClientError::Roster(RosterError::RolledBack {
                    pinned: pinned.seq,
                    found: 0,
                })),
                None => Ok(None),
            };
        }
        let roster = Roster::verify(vault, &entries, pinned).map_err(ClientError::Roster)?;
        self.pin_head(vault, roster.head());
        Ok(Some(roster))
    }

    /// Starts the member list of `vault` as its owner (`owner_id`, unlocked as `owner`), if
    /// it has none: a new record's list names the owner and its first key; an older record's
    /// log is first re-sealed in one compaction the owner signs (what was written before
    /// signing becomes the owner's, as they open it now), and its caregivers join the list
    /// as the server lists them. Left for another time, with `None`: a record with parts that
    /// do not open (re-sealing would drop them unseen: the owner drops them first), one with
    /// a caregiver whose Folio has not registered a signing key yet, or one that changed
    /// meanwhile.
    pub async fn start_member_list(
        &self,
        vault: VaultId,
        owner: &AccountIdentity,
        owner_id: uuid::Uuid,
        keyring: &VaultKeyring,
        new_record: bool,
    ) -> Result<Option<Roster>, ClientError> {
        let Some(key) = self.signer() else {
            return Ok(None);
        };
        let caregivers = if new_record {
            Vec::new()
        } else {
            self.caregivers(vault).await?
        };
        let start = match start_list(
            keyring,
            key,
            (owner_id, owner.recipient()),
            &caregivers,
            chrono::Utc::now(),
        ) {
            Ok(start) => start,
            Err(MemberListError::NoSigningKey { .. }) => return Ok(None),
            Err(other) => return Err(ClientError::Unexpected(other.to_string())),
        };
        if !new_record {
            let (log, generation) = self.all_segments(vault).await?;
            if let Some((last_seq, _)) = log.last() {
                let opened = keyring.open(log.iter().map(|(_, segment)| segment));
                if !opened.set_aside().is_empty() {
                    return Ok(None);
                }
                let current = keyring.current();
                let resealed = opened
                    .seal(&Sealer::for_identity(vault, current))
                    .map_err(|e| ClientError::Unexpected(e.to_string()))?;
                let head =
                    CompactionHead::whole_log(generation, *last_seq as i64, current.epoch().0);
                match self.compact(vault, &head, &resealed).await {
                    Ok(_) => {}
                    Err(e) if e.status() == Some(StatusCode::CONFLICT) => return Ok(None),
                    Err(e) => return Err(e),
                }
            }
        }
        let response = self
            .request(Method::POST, &format!("/api/v1/vaults/{}/roster", vault.0))
            .json(&start)
            .send()
            .await?;
        match check(response).await {
            Ok(_) => {}
            // Started by another of the owner's clients meanwhile: that list stands.
            Err(e) if e.status() == Some(StatusCode::CONFLICT) => {}
            Err(e) => return Err(e),
        }
        self.checked_roster(vault).await
    }

    /// Appends entries this client signed to `vault`'s list, then verifies and pins the list
    /// with them.
    pub async fn append_roster(
        &self,
        vault: VaultId,
        request: &RosterAppendRequest,
    ) -> Result<(), ClientError> {
        let response = self
            .request(Method::POST, &format!("/api/v1/vaults/{}/roster", vault.0))
            .json(request)
            .send()
            .await?;
        check(response).await?;
        self.checked_roster(vault).await?;
        Ok(())
    }

    /// The head this client last verified for `vault`.
    pub fn pinned_head(&self, vault: VaultId) -> Option<RosterHead> {
        self.roster_heads
            .lock()
            .expect("the pins are never left poisoned")
            .get(&vault.0)
            .copied()
    }

    /// Remembers `head` as the newest list of `vault` this client verified.
    pub fn pin_head(&self, vault: VaultId, head: RosterHead) {
        self.roster_heads
            .lock()
            .expect("the pins are never left poisoned")
            .insert(vault.0, head);
    }

    /// Every head this client has pinned, to keep for next time.
    pub fn pinned_heads(&self) -> HashMap<uuid::Uuid, RosterHead> {
        self.roster_heads
            .lock()
            .expect("the pins are never left poisoned")
            .clone()
    }

    /// What the server says of every segment `seqs` names (uploader, time, signature), asked
    /// a page at a time.
    pub(super) async fn all_origins(
        &self,
        vault: VaultId,
        seqs: &[i64],
    ) -> Result<Vec<SegmentOrigin>, ClientError> {
        let mut origins = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(MAX_ORIGINS_PER_CALL) {
            origins.extend(self.segment_origins(vault, chunk).await?);
        }
        Ok(origins)
    }
}
