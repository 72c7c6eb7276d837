//! The record's member list as this browser checks it, as the CLI does
//! (`server/src/client/roster.rs`): fetched, verified from the owner's first entry, held
//! against the list this browser verified last time (kept beside the record's offline copy,
//! so its head is the pin), and kept again. Out of reach of the server, the kept list
//! stands in. A record without a list was written before signing and opens as before,
//! unless this browser has seen a list for it: then its absence is a rollback.

use folio_shared::api::{CompactionHead, MAX_ORIGINS_PER_CALL, write_signatures};
use folio_shared::care::{MemberListError, start_list};
use folio_shared::keys::{AccountIdentity, SigningKey};
use folio_shared::roster::{Roster, RosterError, RosterHead, WriteSignature, vouch_for_segment};
use folio_shared::vault::{SealedSegment, Sealer, VaultContents, VaultId, VaultKeyring};
use uuid::Uuid;

use crate::api::{self, ApiError};
use crate::offline::kept;
use crate::record::read_log;

/// The verified list of `vault`, or `None` for a record written before signing.
pub async fn checked(vault: VaultId) -> Result<Option<Roster>, String> {
    // What was kept was verified before it was kept; verified again, it gives the pin, and
    // stands in for the server's list while the server is out of reach.
    let kept = match kept::roster(vault).await.unwrap_or_default().as_slice() {
        [] => None,
        entries => Some(Roster::verify(vault, entries, None)),
    };
    let pinned: Option<RosterHead> = kept
        .as_ref()
        .and_then(|roster| roster.as_ref().ok())
        .map(Roster::head);
    let served = match api::roster(vault).await {
        Ok(served) => served.entries,
        Err(ApiError::Offline) => return kept.transpose().map_err(tampered),
        Err(other) => return Err(format!("Who is on this record could not be read: {other}.")),
    };
    if served.is_empty() {
        return match pinned {
            Some(pinned) => Err(tampered(RosterError::RolledBack {
                pinned: pinned.seq,
                found: 0,
            })),
            None => Ok(None),
        };
    }
    let roster = Roster::verify(vault, &served, pinned).map_err(tampered)?;
    if pinned != Some(roster.head()) {
        kept::keep_roster(vault, &served).await;
    }
    Ok(Some(roster))
}

/// What the patient is told when the list does not hold: the server (or its database)
/// changed it, and nothing is read or written.
fn tampered(error: RosterError) -> String {
    format!(
        "The list of who may see and change this record was tampered with on Folio's server \
         ({error}). Nothing was read or written; contact Folio's support."
    )
}

/// Starts the member list of `vault` as its owner (`owner`, with `signer` and `keyring`), if
/// it has none, as the CLI does (`VaultClient::start_member_list`): an older record's log is
/// first re-sealed in one compaction the owner signs, then the list names the owner, the
/// record's key epochs and its caregivers. Left for another time, with `None`: a record with
/// parts that do not open (the owner removes them first), one with a caregiver whose Folio
/// has not registered a signing key yet, or one that changed meanwhile.
pub async fn start(
    vault: VaultId,
    owner: (Uuid, &AccountIdentity),
    keyring: &VaultKeyring,
    signer: &SigningKey,
) -> Result<Option<Roster>, String> {
    let not_now = |e: ApiError| format!("Your record could not be signed yet: {e}.");
    let caregivers = api::caregivers(vault).await.map_err(not_now)?;
    let start = match start_list(
        keyring,
        signer,
        (owner.0, owner.1.recipient()),
        &caregivers,
        crate::dates::now(),
    ) {
        Ok(start) => start,
        Err(MemberListError::NoSigningKey { .. }) => return Ok(None),
        Err(other) => return Err(format!("Your record could not be signed yet: {other}.")),
    };
    let (log, generation, last_seq) = read_log(vault).await?;
    if !log.is_empty() {
        let opened = keyring.open(log.iter().map(|(_, segment)| segment));
        if !opened.set_aside().is_empty() {
            return Ok(None);
        }
        let current = keyring.current();
        let resealed = opened
            .seal(&Sealer::for_identity(vault, current))
            .map_err(|e| format!("Your record could not be signed yet: {e}."))?;
        let head = CompactionHead::whole_log(generation, last_seq as i64, current.epoch().0);
        match api::compact(vault, &head, &resealed, signer).await {
            Ok(_) => {}
            Err(e) if e.status() == Some(409) => return Ok(None),
            Err(e) => return Err(not_now(e)),
        }
    }
    match api::append_roster(vault, &start).await {
        Ok(()) => {}
        // Started by another of the owner's devices meanwhile: that list stands.
        Err(e) if e.status() == Some(409) => {}
        Err(e) => return Err(not_now(e)),
    }
    checked(vault).await
}

/// Opens `log` (the server's, read whole) as a reader opens it: under `roster`, what no
/// member signed is set aside, so that a rewrite (a removal, a rotation) drops it rather
/// than re-sealing it under the owner's signature. Without the server's signatures nothing
/// is opened.
pub async fn open_log(
    vault: VaultId,
    keyring: &VaultKeyring,
    roster: Option<&Roster>,
    log: &[(u64, SealedSegment)],
) -> Result<VaultContents, String> {
    let segments = log.iter().map(|(_, segment)| segment);
    let Some(roster) = roster else {
        return Ok(keyring.open(segments));
    };
    let signatures = signatures(vault, log)
        .await
        .ok_or("Folio's server could not be reached. Try again.")?;
    Ok(keyring.open_vouched(segments, |position, segment| {
        vouch_for_segment(roster, segment, signatures[position].as_ref()).map(drop)
    }))
}

/// The writer's signature of each of `log`'s segments, in order, as the server keeps them
/// (none where it has none). Out of reach of the server: `None`.
pub async fn signatures(
    vault: VaultId,
    log: &[(u64, SealedSegment)],
) -> Option<Vec<Option<WriteSignature>>> {
    let seqs: Vec<i64> = log.iter().map(|(seq, _)| *seq as i64).collect();
    let mut origins = Vec::with_capacity(seqs.len());
    for chunk in seqs.chunks(MAX_ORIGINS_PER_CALL) {
        origins.extend(api::segment_origins(vault, chunk).await.ok()?.segments);
    }
    Some(write_signatures(&seqs, &origins))
}
