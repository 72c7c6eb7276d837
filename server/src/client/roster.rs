//! The record's member list as a client checks it: fetched, verified from the owner's first
//! entry, held against the head this client pinned last time, and used to vouch for each
//! segment's writer. A record without a list was written before signing and opens as
//! before, unless this client has seen a list for it (then its absence is a rollback).

use std::collections::HashMap;

use folio_shared::api::SegmentOrigin;
use folio_shared::api::roster::{RosterEntries, decode_write_signature};
use folio_shared::roster::{Roster, RosterError, RosterHead, WriteSignature};
use folio_shared::vault::VaultId;
use reqwest::Method;

use super::{ClientError, VaultClient, check};

/// `segment-origins` answers about this many seqs at a time.
const ORIGINS_PER_CALL: usize = 1000;

impl VaultClient {
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
        for chunk in seqs.chunks(ORIGINS_PER_CALL) {
            origins.extend(self.segment_origins(vault, chunk).await?);
        }
        Ok(origins)
    }
}

/// The writer's signature of each of `seqs`, in that order, from `origins` (none where the
/// server has none, or sent one that does not parse).
pub(super) fn write_signatures(
    seqs: &[i64],
    origins: &[SegmentOrigin],
) -> Vec<Option<WriteSignature>> {
    let mut by_seq: HashMap<i64, WriteSignature> = origins
        .iter()
        .filter_map(|origin| {
            let signature = decode_write_signature(origin.write_signature.as_deref()?)?;
            Some((origin.seq, signature))
        })
        .collect();
    seqs.iter().map(|seq| by_seq.remove(seq)).collect()
}
