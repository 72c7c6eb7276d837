//! The app without the server: a copy of the patient's records kept in this browser, so the
//! app opens, unlocks and shows the record after one online visit, and fetches only what
//! was added meanwhile once the server answers again.
//!
//! What is kept is what the server holds too, in the form it holds it ([`kept`]): the
//! account's wrapped keys, the list of records, each record's wrapped keys, its sealed
//! segments, and the sealed attachments (photos, PDFs) this device uploaded or opened.
//! Nothing decrypted is written anywhere, so whoever reads this browser's storage still
//! needs a passkey or the recovery code, as with the server's copy. The service
//! worker (`public/sw.js`) keeps the app's own files. Signing out, deleting the account or
//! signing in as someone else forgets the copy.
//!
//! The reads here go to the server first and fall back to the kept copy only when it cannot
//! be reached, which also tells the session it is offline (the masthead says so, and keeps
//! asking the server until it answers).

pub mod kept;

use folio_shared::api::account::AccountUnlock;
use folio_shared::api::{VaultKeyWrap, VaultSummary};
use folio_shared::vault::{SealedSegment, VaultId};
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::{self, ApiError};
use crate::session::Session;

pub use kept::start_service_worker;

/// How a record's log was brought up to date, for the page to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSync {
    /// The server answered: `fetched` segments were new to this device, `kept` were here
    /// already.
    UpToDate { fetched: usize, kept: usize },
    /// The server was out of reach: the `kept` segments as last seen online.
    KeptCopy { kept: usize },
}

/// Serves a kept value while the server cannot be reached, and says so to the session.
fn kept_instead<T>(session: Session, kept: Option<T>) -> Result<T, ApiError> {
    let kept = kept.ok_or(ApiError::Offline)?;
    session.went_offline();
    Ok(kept)
}

/// The records the account may open.
pub async fn vaults(session: Session) -> Result<Vec<VaultSummary>, ApiError> {
    match api::vaults().await {
        Ok(vaults) => {
            session.server_answered();
            kept::keep_vaults(&vaults).await;
            Ok(vaults)
        }
        Err(ApiError::Offline) => kept_instead(session, kept::vaults().await),
        Err(other) => Err(other),
    }
}

/// Every epoch's key of `vault` wrapped to the account.
pub async fn vault_keys(session: Session, vault: Uuid) -> Result<Vec<VaultKeyWrap>, ApiError> {
    match api::vault_keys(vault).await {
        Ok(wraps) => {
            session.server_answered();
            kept::keep_vault_keys(vault, &wraps).await;
            Ok(wraps)
        }
        Err(ApiError::Offline) => kept_instead(session, kept::vault_keys(vault).await),
        Err(other) => Err(other),
    }
}

/// The account identity's wraps, for unlocking with the recovery code.
pub async fn account_unlock(session: Session) -> Result<AccountUnlock, ApiError> {
    match api::account_unlock().await {
        Ok(unlock) => Ok(unlock),
        Err(ApiError::Offline) => {
            let kept = kept::account().await.map(|account| account.unlock);
            kept_instead(session, kept)
        }
        Err(other) => Err(other),
    }
}

/// A sealed attachment (a photo or PDF) of `vault`: from the server, then kept on this
/// device so it opens offline too; the kept one while the server cannot be reached.
pub async fn attachment(session: Session, vault: VaultId, blob: Uuid) -> Result<Vec<u8>, ApiError> {
    match api::attachment(vault, blob).await {
        Ok(sealed) => {
            session.server_answered();
            keep_attachment(vault, blob, &sealed);
            Ok(sealed)
        }
        Err(ApiError::Offline) => kept_instead(session, kept::attachment(vault, blob).await),
        Err(other) => Err(other),
    }
}

/// Keeps a sealed attachment this device has, in the background: one it uploaded or fetched.
pub fn keep_attachment(vault: VaultId, blob: Uuid, sealed: &[u8]) {
    spawn_local(kept::keep_attachment(
        vault,
        blob,
        js_sys::Uint8Array::from(sealed),
    ));
}

/// Keeps the account's wraps as the server has them now, after an unlock online: from then
/// on this device can unlock without the server.
pub fn keep_account(session: Session) {
    spawn_local(async move {
        let Some(info) = session.info_untracked() else {
            return;
        };
        let Ok(unlock) = api::account_unlock().await else {
            return;
        };
        // Another account's copy must not stay beside this one's.
        if kept::account()
            .await
            .is_some_and(|kept| kept.session.account_id != info.account_id)
        {
            kept::forget().await;
        }
        kept::keep_account(&info, &unlock).await;
    });
}

/// Forgets the kept copy (signing out, or another account signing in).
pub fn forget() {
    spawn_local(kept::forget());
}

/// The whole sealed log of `vault`: the kept segments and what the server holds after them,
/// which is then kept too. When the server's log is of another generation than the kept
/// one (a compaction or a key rotation rewrote it), it is fetched whole and replaces it.
pub async fn log(
    session: Session,
    vault: VaultId,
) -> Result<(Vec<(u64, SealedSegment)>, LogSync), ApiError> {
    let kept = kept::log(vault).await;
    let resuming = kept.last_seq > 0;
    let mut restart = !resuming;
    let mut after = kept.last_seq;
    let mut fresh = Vec::new();
    let generation = loop {
        let page = match api::segments_after(vault, after).await {
            Ok(page) => page,
            Err(ApiError::Offline) if resuming => {
                session.went_offline();
                let count = kept.segments.len();
                return Ok((kept.segments, LogSync::KeptCopy { kept: count }));
            }
            Err(other) => return Err(other),
        };
        if !restart && page.generation != kept.generation {
            restart = true;
            after = 0;
            fresh.clear();
            continue;
        }
        if let Some((seq, _)) = page.segments.last() {
            after = *seq;
        }
        fresh.extend(page.segments);
        if !page.more {
            break page.generation;
        }
    };
    session.server_answered();
    if let Some(append) = kept::LogAppend::new(vault, generation, restart, &fresh) {
        spawn_local(append.write());
    }
    let fetched = fresh.len();
    let mut segments = if restart { Vec::new() } else { kept.segments };
    let kept_count = segments.len();
    segments.extend(fresh);
    Ok((
        segments,
        LogSync::UpToDate {
            fetched,
            kept: kept_count,
        },
    ))
}
