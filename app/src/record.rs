//! The patient's record, opened in this browser: the vault's keys unwrapped with the account
//! identity in memory, and every segment of its log decrypted into [`VaultContents`].
//!
//! Pages that read the record (sharing) or add to it (import) start here. Parts of the log
//! that do not open are left out and described ([`crate::set_aside`]). Nothing opened
//! here is written to browser storage; the sealed log is read through the kept copy
//! ([`crate::offline`]), so only what the server added since the last visit is fetched.

use folio_shared::api::VaultSummary;
use folio_shared::care::{Action, Role};
use folio_shared::import::Delivery;
use folio_shared::keys::{AccountIdentity, KeyEpoch, SigningKey};
use folio_shared::patient_identity::record_patient;
use folio_shared::record::Entry;
use folio_shared::roster::{Roster, vouch_for_segment};
use folio_shared::vault::{SealedSegment, SetAsidePart, VaultContents, VaultId, VaultKeyring};
use leptos::prelude::LocalResource;

use crate::api::{self, ApiError};
use crate::member_list;
use crate::milestones;
use crate::offline::{self, LogSync};
use crate::session::{ActingIn, Session};
use crate::unlocking;

/// Context for the summary when it shows the patient's own record: its encrypted
/// attachments (photos, PDFs) can be fetched and opened with these keys.
#[derive(Clone, Copy)]
pub struct RecordAttachments(pub leptos::prelude::StoredValue<OpenRecord>);

/// A record this browser can read and add to.
#[derive(Clone)]
pub struct OpenRecord {
    pub vault: VaultSummary,
    pub keyring: VaultKeyring,
    pub contents: VaultContents,
    /// The parts of the log that could not be opened (left out of `contents`), described.
    pub set_aside: Vec<SetAsidePart>,
    /// Whether the log came up to date with the server or from the copy kept here.
    pub sync: LogSync,
    /// The account's key, which signs what this browser adds to the record.
    pub signer: SigningKey,
    /// The record's verified member list; none for a record written before signing.
    pub roster: Option<Roster>,
}

impl OpenRecord {
    pub fn id(&self) -> VaultId {
        VaultId(self.vault.id)
    }

    /// The caller's part in this record; an unknown word reads as the least, a viewer.
    pub fn role(&self) -> Role {
        self.vault.role.parse().unwrap_or(Role::Viewer)
    }

    /// Whether the caller's role lets them do `action` here (the server decides again).
    pub fn may(&self, action: Action) -> bool {
        self.role().may(action)
    }

    /// What the app calls this record: "your record", or whose it is.
    pub fn label(&self) -> String {
        if self.vault.is_own_record() {
            return "your record".into();
        }
        match record_patient(&self.contents).and_then(|p| p.details.name) {
            Some(name) => format!("{name}'s record"),
            None if self.vault.dependant => "the record you hold for a dependant".into(),
            None => format!("record {}", short_id(self.vault.id)),
        }
    }

    /// Opens the record the pages act in: the one chosen on the caregivers page, or the
    /// caller's own (created the first time when `create` is set).
    pub async fn current(session: Session, create: bool) -> Result<OpenRecord, String> {
        let Some(chosen) = session.acting_in_untracked() else {
            return Self::open_own(session, create).await;
        };
        // Read the summary again: the record may have moved on (a rotation, a new epoch) or
        // the caller may have lost access since it was chosen.
        let vaults = offline::vaults(session).await.map_err(|e| e.to_string())?;
        match vaults.into_iter().find(|v| v.id == chosen.vault.id) {
            Some(vault) => {
                let opened = Self::open(session, vault).await?;
                // A hand-over or a new role since it was chosen: the banner should say so.
                if opened.vault.role != chosen.vault.role {
                    session.act_in(opened.acting_in());
                }
                Ok(opened)
            }
            None => {
                session.act_in(None);
                Err(format!(
                    "You no longer have access to {}: you are back in your own record.",
                    chosen.label
                ))
            }
        }
    }

    /// [`OpenRecord::current`] for a page that reads the record: opened again whenever the
    /// caller switches records (on the caregivers page or the banner).
    pub fn for_page(session: Session) -> LocalResource<Result<OpenRecord, String>> {
        LocalResource::new(move || {
            session.acting_in();
            OpenRecord::current(session, false)
        })
    }

    /// Seals `entries` to the record's newest key, uploads them and applies them here:
    /// what the patient enters by hand. Entries the record holds already add nothing.
    pub async fn add(&mut self, entries: Vec<Entry>) -> Result<(), String> {
        // The upload keys derive from these bytes: the same entries again make the same keys.
        let bytes = serde_json::to_vec(&entries).map_err(|e| e.to_string())?;
        let delivery = Delivery::prepare(entries, &[], &bytes, &self.contents, &self.keyring)
            .map_err(|e| format!("Not saved: sealing failed ({e})."))?;
        upload_segments(self.id(), &self.signer, &delivery.segments, &|_| {})
            .await
            .map_err(|(_, e)| format!("Not saved: {e}. Nothing changed; try again."))?;
        for entry in delivery.new_entries {
            self.contents.apply(entry);
        }
        Ok(())
    }

    /// Where the pages act from now on, when this record is not the caller's own.
    pub fn acting_in(&self) -> Option<ActingIn> {
        (!self.vault.is_own_record()).then(|| ActingIn {
            vault: self.vault.clone(),
            label: self.label(),
        })
    }

    /// Opens the signed-in patient's own record, creating it the first time when `create` is
    /// set (the first import makes the record, as in the CLI).
    pub async fn open_own(session: Session, create: bool) -> Result<OpenRecord, String> {
        let account = unlocked(session)?;
        let vaults = offline::vaults(session).await.map_err(|e| e.to_string())?;
        let vault = match vaults.into_iter().find(|v| v.is_own_record()) {
            Some(vault) => vault,
            None if create => api::create_vault(&unlocking::new_vault(&account))
                .await
                .map_err(|e| e.to_string())?,
            None => return Err("You have no records yet: import some first.".into()),
        };
        Self::read(session, &account, vault, None).await
    }

    /// Opens `vault`, one of the records in the account's list (its own, or one it helps
    /// with).
    pub async fn open(session: Session, vault: VaultSummary) -> Result<OpenRecord, String> {
        Self::read(session, &unlocked(session)?, vault, None).await
    }

    /// [`OpenRecord::open`] for a page that reads only resources of the types `wanted`
    /// accepts (the start page's summary at a glance): the others are decrypted and
    /// checked but not parsed, and the record holds only the rest. Never for a page that
    /// adds to the record, shares or exports it.
    pub async fn open_part(
        session: Session,
        vault: VaultSummary,
        wanted: fn(&str) -> bool,
    ) -> Result<OpenRecord, String> {
        Self::read(session, &unlocked(session)?, vault, Some(wanted)).await
    }

    async fn read(
        session: Session,
        account: &AccountIdentity,
        vault: VaultSummary,
        wanted: Option<fn(&str) -> bool>,
    ) -> Result<OpenRecord, String> {
        let vault_id = VaultId(vault.id);
        let signer = SigningKey::of_account(account);
        let mut roster = member_list::checked(vault_id).await?;
        let keyring = keyring(session, account, &vault, roster.as_ref()).await?;
        if roster.is_none()
            && vault.role == Role::Owner.as_str()
            && !session.is_offline_untracked()
            && let Some(info) = session.info_untracked()
        {
            // Written before signing: the owner's browser signs it over and starts the list.
            // That failing (the connection dropped) leaves the record as it was, to open.
            let owner = (info.account_id, account);
            roster = match member_list::start(vault_id, owner, &keyring, &signer).await {
                Ok(roster) => roster,
                Err(why) => {
                    web_sys::console::warn_1(&why.into());
                    None
                }
            };
        }
        milestones::reached(milestones::KEYS_OPENED);
        let (log, sync) = offline::log(session, vault_id)
            .await
            .map_err(|e| e.to_string())?;
        milestones::reached(milestones::LOG_READ);
        // Under a member list only what a member signed opens; the signatures come from the
        // server. Out of its reach the copy kept here is opened as it was kept.
        let signatures = match &roster {
            Some(_) => member_list::signatures(vault_id, &log).await,
            None => None,
        };
        let vouch = |position: usize, segment: &SealedSegment| match (&roster, &signatures) {
            (Some(roster), Some(signatures)) => {
                vouch_for_segment(roster, segment, signatures[position].as_ref()).map(drop)
            }
            _ => Ok(()),
        };
        // A segment that does not open is set aside, not fatal: one bad write must not make
        // the whole record unreadable.
        let segments = log.iter().map(|(_, segment)| segment);
        let contents = match wanted {
            Some(wanted) => keyring.open_where_vouched(segments, wanted, vouch),
            None => keyring.open_vouched(segments, vouch),
        };
        milestones::reached(milestones::DECRYPTED);
        let set_aside = match contents.set_aside() {
            [] => Vec::new(),
            parts => crate::set_aside::describe(session, vault_id, &log, parts).await,
        };
        Ok(OpenRecord {
            vault,
            keyring,
            contents,
            set_aside,
            sync,
            signer,
            roster,
        })
    }
}

fn short_id(id: uuid::Uuid) -> String {
    id.simple().to_string()[..8].to_owned()
}

fn unlocked(session: Session) -> Result<AccountIdentity, String> {
    session
        .account_identity()
        .ok_or_else(|| "Your records are locked: unlock them first.".to_owned())
}

/// The whole log as stored (each segment with its seq), with its generation and last seq:
/// what a rotation re-seals.
pub async fn read_log(vault: VaultId) -> Result<(Vec<(u64, SealedSegment)>, i64, u64), String> {
    let mut segments = Vec::new();
    let mut after = 0;
    let generation = loop {
        let page = api::segments_after(vault, after)
            .await
            .map_err(|e| e.to_string())?;
        if let Some((seq, _)) = page.segments.last() {
            after = *seq;
        }
        segments.extend(page.segments);
        if !page.more {
            break page.generation;
        }
    };
    Ok((segments, generation, after))
}

/// Every epoch's key of `vault` that the account holds, unwrapped and, under a member
/// list, each the one the owner named for its epoch.
async fn keyring(
    session: Session,
    account: &AccountIdentity,
    vault: &VaultSummary,
    roster: Option<&Roster>,
) -> Result<VaultKeyring, String> {
    let wraps = offline::vault_keys(session, vault.id)
        .await
        .map_err(|e| e.to_string())?;
    let identities = wraps
        .iter()
        .map(|wrap| {
            unlocking::decode_wrapped(&wrap.wrapped_key)
                .and_then(|wrapped| wrapped.unwrap_vault(account, KeyEpoch(wrap.epoch)))
                .map_err(|e| format!("The key of your records did not open: {e}."))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let identities = match roster {
        Some(roster) => roster.approved_keys(identities).map_err(|refused| {
            format!(
                "The keys of this record were tampered with on Folio's server ({refused}). \
                 Nothing was read or written; contact Folio's support."
            )
        })?,
        None => identities,
    };
    let mut identities = identities.into_iter();
    let first = identities
        .next()
        .ok_or("The server holds no key of your records for this account.")?;
    let mut keyring = VaultKeyring::new(VaultId(vault.id), first);
    for identity in identities {
        keyring.insert(identity);
    }
    Ok(keyring)
}

/// Uploads sealed segments in order, calling `progress` with each one's index first. A key
/// the server has already used means an earlier try stored that very segment. On failure,
/// says how many were stored before it.
pub async fn upload_segments(
    vault: VaultId,
    signer: &SigningKey,
    segments: &[(String, SealedSegment)],
    progress: &dyn Fn(usize),
) -> Result<(), (usize, ApiError)> {
    for (i, (key, segment)) in segments.iter().enumerate() {
        progress(i);
        match api::upload_segment(vault, key, segment, signer).await {
            Ok(_) => {}
            Err(e) if is_key_reused(&e) => {}
            Err(e) => return Err((i, e)),
        }
    }
    Ok(())
}

fn is_key_reused(e: &ApiError) -> bool {
    matches!(e, ApiError::Problem(problem)
        if problem.status == 409
            && problem.detail.as_deref().is_some_and(|d| d.starts_with("upload key already used")))
}
