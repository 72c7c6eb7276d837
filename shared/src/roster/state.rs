//! [`Roster`]: the member list replayed from its signed entries, and the rules each entry
//! must follow.
//!
//! Who may sign which change follows the role matrix ([`Role::may`]) the server enforces:
//! - adding a viewer needs [`Action::InviteViewer`] (the owner, or a manager confirming a
//!   viewer they invited); adding a manager needs [`Action::ManageCaregivers`] (the owner);
//!   nobody is added as a second owner;
//! - removing a member and changing a role need [`Action::ManageCaregivers`] (the owner).
//!   The owner cannot be removed or demoted; making someone else the owner hands the record
//!   over, and the previous owner stays on as a manager;
//! - a new key epoch needs [`Action::Rewrite`] (the owner), and epochs strictly increase;
//! - a member replaces only their own keys, and no two members share a signing key;
//! - the genesis entry names the owner and is signed with the owner's key.
//!
//! Every entry is signed with the current key of a current member, so a removed member
//! signs nothing after their removal.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::entry::{Member, RosterChange, RosterEntry, RosterHead, SignedRosterEntry};
use super::error::{RosterError, WriteError};
use super::write::WriteKind;
use crate::care::{Action, Role};
use crate::keys::{AccountRecipient, KeyEpoch, SigningPublicKey, VaultIdentity, VaultRecipient};
use crate::vault::VaultId;

/// What one signing key was allowed to write at one epoch, and whose it was then.
#[derive(Debug, Clone)]
struct Grant {
    member: Member,
    kinds: BTreeSet<WriteKind>,
}

/// A verified member list: who is on the record now, which vault key each epoch has, and
/// who could write at each epoch.
#[derive(Debug, Clone)]
pub struct Roster {
    vault: VaultId,
    members: Vec<Member>,
    epochs: BTreeMap<KeyEpoch, VaultRecipient>,
    grants: HashMap<(SigningPublicKey, KeyEpoch), Grant>,
    /// Every key that ever held a grant, to tell "not at that epoch" from "never a member".
    past_signers: HashSet<SigningPublicKey>,
    head: RosterHead,
}

impl Roster {
    /// Verifies `entries` (the whole list, genesis first) for `vault`. With `pinned`, the
    /// head this client verified last time, a shorter list is a rollback and a different
    /// entry at the pinned position is a fork.
    pub fn verify(
        vault: VaultId,
        entries: &[SignedRosterEntry],
        pinned: Option<RosterHead>,
    ) -> Result<Roster, RosterError> {
        if entries.is_empty() {
            return Err(RosterError::Empty);
        }
        if let Some(pinned) = pinned {
            check_pin(entries, pinned)?;
        }
        let mut roster = Roster::empty(vault);
        for signed in entries {
            roster.apply(signed)?;
        }
        Ok(roster)
    }

    pub(crate) fn empty(vault: VaultId) -> Self {
        Self {
            vault,
            members: Vec::new(),
            epochs: BTreeMap::new(),
            grants: HashMap::new(),
            past_signers: HashSet::new(),
            head: RosterHead {
                seq: 0,
                hash: [0; 32],
            },
        }
    }

    pub fn vault(&self) -> VaultId {
        self.vault
    }

    /// The last entry: what a client pins for next time.
    pub fn head(&self) -> RosterHead {
        self.head
    }

    /// The current members, in the order they joined.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn member(&self, account: uuid::Uuid) -> Option<&Member> {
        self.members.iter().find(|m| m.account == account)
    }

    pub fn owner(&self) -> &Member {
        self.members
            .iter()
            .find(|m| m.role == Role::Owner)
            .expect("a verified roster always has its owner")
    }

    /// The newest key epoch, if the owner has named one yet.
    pub fn current_epoch(&self) -> Option<KeyEpoch> {
        self.epochs.keys().next_back().copied()
    }

    /// The vault recipient the owner signed for `epoch`.
    pub fn epoch_recipient(&self, epoch: KeyEpoch) -> Option<&VaultRecipient> {
        self.epochs.get(&epoch)
    }

    /// Accepts an unwrapped vault key only if it is the one the owner named for `epoch`: a
    /// wrap the server made to a member's public recipient holds some other key.
    pub fn accept_vault_key(
        &self,
        epoch: KeyEpoch,
        identity: &VaultIdentity,
    ) -> Result<(), RosterError> {
        let signed = self.epochs.get(&epoch);
        if identity.epoch() == epoch && signed == Some(&identity.recipient()) {
            Ok(())
        } else {
            Err(RosterError::KeyNotSignedByOwner { epoch })
        }
    }

    /// Of the vault keys a member unwrapped, those to use. A key of an epoch older than any
    /// the list names predates the list (the owner re-sealed the record when starting it)
    /// and is left out; a key other than the one the owner named for its epoch, or newer than
    /// any named, was not made by the owner, and the whole set is refused.
    pub fn approved_keys(
        &self,
        identities: Vec<VaultIdentity>,
    ) -> Result<Vec<VaultIdentity>, RosterError> {
        let oldest_named = self.epochs.keys().next().copied();
        let mut approved = Vec::with_capacity(identities.len());
        for identity in identities {
            let epoch = identity.epoch();
            if oldest_named.is_some_and(|oldest| epoch < oldest) {
                continue;
            }
            self.accept_vault_key(epoch, &identity)?;
            approved.push(identity);
        }
        Ok(approved)
    }

    /// Whom to wrap a new epoch's key to: every current member, from this list rather than
    /// from the server's.
    pub fn rotation_recipients(&self) -> Vec<AccountRecipient> {
        self.members.iter().map(|m| m.recipient.clone()).collect()
    }

    /// Who `signer` was, if they could make a `kind` write at `epoch` (rules in
    /// `write.rs`).
    pub fn may_write(
        &self,
        signer: &SigningPublicKey,
        epoch: KeyEpoch,
        kind: WriteKind,
    ) -> Result<&Member, WriteError> {
        match self.grants.get(&(*signer, epoch)) {
            Some(grant) if grant.kinds.contains(&kind) => Ok(&grant.member),
            Some(_) => Err(WriteError::NotAllowed),
            None if self.past_signers.contains(signer) => Err(WriteError::NotAllowed),
            None => Err(WriteError::UnknownSigner),
        }
    }

    /// Checks one more entry against the list so far and applies it.
    pub(crate) fn apply(&mut self, signed: &SignedRosterEntry) -> Result<(), RosterError> {
        let seq = self.head.seq + 1;
        let entry = RosterEntry::from_bytes(&signed.body)
            .map_err(|reason| RosterError::Malformed { seq, reason })?;
        if entry.vault != self.vault {
            return Err(RosterError::WrongRecord { seq });
        }
        if entry.seq != seq || entry.prev != self.head.hash {
            return Err(RosterError::BrokenChain { seq });
        }
        if !signed.signature_holds() {
            return Err(RosterError::BadSignature { seq });
        }
        if let RosterChange::Genesis { owner } = &entry.change {
            self.start(seq, &signed.signer, owner)?;
        } else {
            let signer = self
                .members
                .iter()
                .find(|m| m.signing_key == signed.signer)
                .cloned()
                .ok_or(if self.members.is_empty() {
                    RosterError::Malformed {
                        seq,
                        reason: "the list does not start with its owner",
                    }
                } else {
                    RosterError::NotAMember { seq }
                })?;
            self.change(seq, &signer, entry.change)?;
        }
        self.head = RosterHead {
            seq,
            hash: signed.hash(),
        };
        Ok(())
    }

    fn start(
        &mut self,
        seq: u64,
        signer: &SigningPublicKey,
        owner: &Member,
    ) -> Result<(), RosterError> {
        if !self.members.is_empty() {
            return Err(RosterError::SecondGenesis { seq });
        }
        if owner.role != Role::Owner || owner.signing_key != *signer {
            return Err(RosterError::GenesisNotByOwner);
        }
        self.members.push(owner.clone());
        Ok(())
    }

    fn change(
        &mut self,
        seq: u64,
        signer: &Member,
        change: RosterChange,
    ) -> Result<(), RosterError> {
        let require = |action: Action| {
            if signer.role.may(action) {
                Ok(())
            } else {
                Err(RosterError::NotAllowed {
                    seq,
                    role: signer.role,
                })
            }
        };
        match change {
            RosterChange::Genesis { .. } => return Err(RosterError::SecondGenesis { seq }),
            RosterChange::AddMember(member) => {
                require(match member.role {
                    Role::Viewer => Action::InviteViewer,
                    Role::Manager | Role::Owner => Action::ManageCaregivers,
                })?;
                if member.role == Role::Owner {
                    return Err(RosterError::OwnerChange { seq });
                }
                if self.member(member.account).is_some() {
                    return Err(RosterError::AlreadyMember { seq });
                }
                self.check_key_free(seq, &member.signing_key, member.account)?;
                self.members.push(member.clone());
                self.grant_current(&member);
            }
            RosterChange::RemoveMember { account } => {
                require(Action::ManageCaregivers)?;
                let index = self.index_of(seq, account)?;
                if self.members[index].role == Role::Owner {
                    return Err(RosterError::OwnerChange { seq });
                }
                self.members.remove(index);
            }
            RosterChange::ChangeRole { account, role } => {
                require(Action::ManageCaregivers)?;
                let index = self.index_of(seq, account)?;
                let was_owner = self.members[index].role == Role::Owner;
                if was_owner && role != Role::Owner {
                    return Err(RosterError::OwnerChange { seq });
                }
                if role == Role::Owner && !was_owner {
                    // The hand-over: the previous owner (the signer) stays on as a manager.
                    for member in &mut self.members {
                        if member.role == Role::Owner {
                            member.role = Role::Manager;
                        }
                    }
                }
                self.members[index].role = role;
                let changed = self.members[index].clone();
                self.grant_current(&changed);
            }
            RosterChange::NewEpoch {
                epoch,
                vault_recipient,
            } => {
                if !signer.role.may(Action::Rewrite) {
                    return Err(RosterError::KeysChangedByNonOwner { seq });
                }
                if self.current_epoch().is_some_and(|current| epoch <= current) {
                    return Err(RosterError::EpochNotIncreasing { seq });
                }
                self.epochs.insert(epoch, vault_recipient);
                for member in self.members.clone() {
                    self.grant_current(&member);
                }
            }
            RosterChange::MemberKeys {
                account,
                signing_key,
                recipient,
            } => {
                if signer.account != account {
                    return Err(RosterError::NotAllowed {
                        seq,
                        role: signer.role,
                    });
                }
                self.check_key_free(seq, &signing_key, account)?;
                let index = self.index_of(seq, account)?;
                self.members[index].signing_key = signing_key;
                self.members[index].recipient = recipient;
                let changed = self.members[index].clone();
                self.grant_current(&changed);
            }
        }
        Ok(())
    }

    fn index_of(&self, seq: u64, account: uuid::Uuid) -> Result<usize, RosterError> {
        self.members
            .iter()
            .position(|m| m.account == account)
            .ok_or(RosterError::NoSuchMember { seq })
    }

    fn check_key_free(
        &self,
        seq: u64,
        key: &SigningPublicKey,
        account: uuid::Uuid,
    ) -> Result<(), RosterError> {
        let taken = self
            .members
            .iter()
            .any(|m| m.signing_key == *key && m.account != account);
        if taken {
            Err(RosterError::KeyInUse { seq })
        } else {
            Ok(())
        }
    }

    /// Records what `member` may write at the current epoch (nothing before the first).
    fn grant_current(&mut self, member: &Member) {
        let Some(epoch) = self.current_epoch() else {
            return;
        };
        let kinds = WriteKind::ALL
            .into_iter()
            .filter(|kind| kind.allowed_for(member.role));
        let grant = self
            .grants
            .entry((member.signing_key, epoch))
            .or_insert_with(|| Grant {
                member: member.clone(),
                kinds: BTreeSet::new(),
            });
        grant.member = member.clone();
        grant.kinds.extend(kinds);
        self.past_signers.insert(member.signing_key);
    }
}

/// A pinned head must still be in the list, unchanged.
fn check_pin(entries: &[SignedRosterEntry], pinned: RosterHead) -> Result<(), RosterError> {
    if pinned.seq == 0 {
        return Ok(());
    }
    let found = entries.len() as u64;
    if found < pinned.seq {
        return Err(RosterError::RolledBack {
            pinned: pinned.seq,
            found,
        });
    }
    let at_pin = &entries[usize::try_from(pinned.seq - 1).expect("within the slice")];
    if at_pin.hash() != pinned.hash {
        return Err(RosterError::Forked { seq: pinned.seq });
    }
    Ok(())
}
