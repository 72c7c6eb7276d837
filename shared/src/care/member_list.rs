//! Care actions in a record's member list (`crate::roster`), once the record has one: a
//! confirmed caregiver becomes a member with the keys the safety code covered, and a rotation
//! removes whoever no longer holds the key, names the new epoch, and wraps the new key to the
//! list's members rather than to the server's caregiver list. The app and the CLI differ only
//! in how they send the result.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::api::CompactionHead;
use crate::api::care::Caregiver;
use crate::api::roster::RosterAppendRequest;
use crate::care::Role;
use crate::keys::{AccountRecipient, SigningKey};
use crate::roster::{Member, Roster, RosterAppend, RosterChange, RosterError};
use crate::vault::{Rotation, VaultKeyring};

use super::rotation::rotation_compaction;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MemberListError {
    #[error(
        "{name}'s Folio has not set up signing yet, so they cannot be added to the record's member list; ask them to open Folio once more, then confirm them again"
    )]
    NoSigningKey { name: String },
    #[error("the server gave no usable key for {name}")]
    NoRecipient { name: String },
    #[error("the member list refuses the change: {0}")]
    Roster(#[from] RosterError),
}

/// The member a caregiver becomes when the owner confirms them: their account, role and the
/// keys the server recorded at acceptance (both covered by the safety code just compared).
pub fn caregiver_member(caregiver: &Caregiver) -> Result<Member, MemberListError> {
    let (account, recipient) =
        caregiver
            .account_and_recipient()
            .ok_or_else(|| MemberListError::NoRecipient {
                name: caregiver.name.clone(),
            })?;
    let signing_key = caregiver
        .signing_key
        .ok_or_else(|| MemberListError::NoSigningKey {
            name: caregiver.name.clone(),
        })?;
    Ok(Member {
        account,
        name: caregiver.name.clone(),
        role: caregiver.role,
        signing_key,
        recipient,
    })
}

/// What the owner is called in the list they start; the list names people for the people
/// reading it, and the owner's own screens call them "you".
pub const OWNER_NAME: &str = "Owner";

/// The entries that start the member list of `keyring`'s record, signed with the owner's
/// `key`: the owner, each key epoch the owner holds (oldest first), and each caregiver who
/// holds a key now, with the keys the server recorded when they accepted (for caregivers
/// confirmed before the list, the server's word is all there is). Refused while such a
/// caregiver has no signing key: leaving them out would end their access at the next
/// rotation, which wraps the new key to the list's members only.
pub fn start_list(
    keyring: &VaultKeyring,
    key: &SigningKey,
    owner: (Uuid, AccountRecipient),
    caregivers: &[Caregiver],
    at: DateTime<Utc>,
) -> Result<RosterAppendRequest, MemberListError> {
    let owner = Member {
        account: owner.0,
        name: OWNER_NAME.into(),
        role: Role::Owner,
        signing_key: key.public_key(),
        recipient: owner.1,
    };
    let mut append = RosterAppend::genesis(keyring.vault_id(), key, owner, at)?;
    for identity in keyring.identities() {
        append.push(
            RosterChange::NewEpoch {
                epoch: identity.epoch(),
                vault_recipient: identity.recipient(),
            },
            at,
        )?;
    }
    for caregiver in caregivers.iter().filter(|c| c.status.holds_key()) {
        append.push(RosterChange::AddMember(caregiver_member(caregiver)?), at)?;
    }
    Ok(RosterAppendRequest {
        after: 0,
        entries: append.finish().1,
    })
}

/// The entries that add `caregiver` to `roster`, signed with `key` (the confirming owner's
/// or manager's), as a request to append after the list's current head. A hand-over (a
/// dependant's record passing to their own account) adds them as a manager, then makes them
/// the owner, which leaves the previous owner on as a manager, as the server does.
pub fn add_caregiver(
    roster: &Roster,
    key: &SigningKey,
    caregiver: &Caregiver,
    at: DateTime<Utc>,
) -> Result<RosterAppendRequest, MemberListError> {
    let mut member = caregiver_member(caregiver)?;
    let account = member.account;
    let hand_over = member.role == Role::Owner;
    if hand_over {
        member.role = Role::Manager;
    }
    let mut append = RosterAppend::after(roster.clone(), key);
    append.push(RosterChange::AddMember(member), at)?;
    if hand_over {
        append.push(
            RosterChange::ChangeRole {
                account,
                role: Role::Owner,
            },
            at,
        )?;
    }
    Ok(RosterAppendRequest {
        after: roster.head().seq,
        entries: append.finish().1,
    })
}

/// The head of a rotation under a member list, read at `generation` up to `last_seq`: it
/// removes the members the server no longer lists as holding the key (`caregivers`; only
/// ever fewer members, so a lying server can take access away but not give it), names the new
/// epoch, and wraps the new key to every member that remains. The new segments still need
/// their signatures (`CompactionHead::write_signatures`).
pub fn rotation_with_members(
    roster: &Roster,
    key: &SigningKey,
    caregivers: &[Caregiver],
    rotation: &Rotation,
    generation: i64,
    last_seq: i64,
    at: DateTime<Utc>,
) -> Result<CompactionHead, MemberListError> {
    let keeping: Vec<Uuid> = caregivers
        .iter()
        .filter(|c| c.status.holds_key())
        .filter_map(|c| c.account_id)
        .collect();
    let owner = roster.owner().account;
    let mut append = RosterAppend::after(roster.clone(), key);
    for member in roster.members() {
        if member.account != owner && !keeping.contains(&member.account) {
            append.push(
                RosterChange::RemoveMember {
                    account: member.account,
                },
                at,
            )?;
        }
    }
    append.push(
        RosterChange::NewEpoch {
            epoch: rotation.identity.epoch(),
            vault_recipient: rotation.identity.recipient(),
        },
        at,
    )?;
    let (after_rotation, entries) = append.finish();
    let members: Vec<_> = after_rotation
        .members()
        .iter()
        .map(|member| (member.account, member.recipient.clone()))
        .collect();
    let append = RosterAppendRequest {
        after: roster.head().seq,
        entries,
    };
    Ok(rotation_compaction(
        rotation,
        generation,
        last_seq,
        &members,
        Some(append),
    ))
}
