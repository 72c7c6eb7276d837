//! [`RosterAppend`]: a member's client adding entries to the list, signed with their key.
//!
//! Each new entry goes through the same checks as [`Roster::verify`] before it is handed
//! out, so a client never uploads an entry that every other client would refuse.

use chrono::{DateTime, Utc};

use super::entry::{Member, RosterChange, RosterEntry, SignedRosterEntry};
use super::error::RosterError;
use super::state::Roster;
use crate::keys::SigningKey;
use crate::vault::VaultId;

/// Appends signed entries to a verified list.
pub struct RosterAppend<'k> {
    roster: Roster,
    key: &'k SigningKey,
    new_entries: Vec<SignedRosterEntry>,
}

impl<'k> RosterAppend<'k> {
    /// Starts the list of a new record: the genesis entry naming `owner`, signed with the
    /// owner's `key`. Add the first key epoch next ([`RosterChange::NewEpoch`]).
    pub fn genesis(
        vault: VaultId,
        key: &'k SigningKey,
        owner: Member,
        at: DateTime<Utc>,
    ) -> Result<Self, RosterError> {
        let mut append = Self {
            roster: Roster::empty(vault),
            key,
            new_entries: Vec::new(),
        };
        append.push(RosterChange::Genesis { owner }, at)?;
        Ok(append)
    }

    /// Continues a list this client has verified.
    pub fn after(roster: Roster, key: &'k SigningKey) -> Self {
        Self {
            roster,
            key,
            new_entries: Vec::new(),
        }
    }

    /// Signs `change` as the next entry, if the list allows this key to make it.
    pub fn push(
        &mut self,
        change: RosterChange,
        at: DateTime<Utc>,
    ) -> Result<&SignedRosterEntry, RosterError> {
        let head = self.roster.head();
        let entry = RosterEntry {
            vault: self.roster.vault(),
            seq: head.seq + 1,
            prev: head.hash,
            at,
            change,
        };
        let signed = entry.sign(self.key);
        self.roster.apply(&signed)?;
        self.new_entries.push(signed);
        Ok(self.new_entries.last().expect("just pushed"))
    }

    /// The list with the entries pushed so far.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The entries pushed so far, to upload in order.
    pub fn new_entries(&self) -> &[SignedRosterEntry] {
        &self.new_entries
    }

    /// The list after these entries, and the entries to upload.
    pub fn finish(self) -> (Roster, Vec<SignedRosterEntry>) {
        (self.roster, self.new_entries)
    }
}
