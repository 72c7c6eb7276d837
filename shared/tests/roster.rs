//! The member list (roster) against a server that rewrites, drops, reorders and forges
//! entries: every change a client accepts was signed by a member allowed to make it.

use chrono::{DateTime, Duration, Utc};
use folio_shared::care::Role;
use folio_shared::keys::{AccountIdentity, KeyEpoch, SigningKey, VaultIdentity};
use folio_shared::roster::{
    Member, Roster, RosterAppend, RosterChange, RosterEntry, RosterError, RosterHead,
    SignedRosterEntry,
};
use folio_shared::vault::VaultId;
use uuid::Uuid;

struct Person {
    key: SigningKey,
    account: AccountIdentity,
    member: Member,
}

fn person(name: &str, role: Role) -> Person {
    let key = SigningKey::generate();
    let account = AccountIdentity::generate();
    let member = Member {
        account: Uuid::new_v4(),
        name: name.into(),
        role,
        signing_key: key.public_key(),
        recipient: account.recipient(),
    };
    Person {
        key,
        account,
        member,
    }
}

fn at(minutes: i64) -> DateTime<Utc> {
    "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
}

/// A record's list: genesis, epoch 1, a manager and a viewer added, the viewer removed,
/// epoch 2.
struct Story {
    vault: VaultId,
    owner: Person,
    manager: Person,
    viewer: Person,
    epoch1: VaultIdentity,
    epoch2: VaultIdentity,
    entries: Vec<SignedRosterEntry>,
}

fn story() -> Story {
    let vault = VaultId::generate();
    let owner = person("Ana", Role::Owner);
    let manager = person("Ben", Role::Manager);
    let viewer = person("Cleo", Role::Viewer);
    let epoch1 = VaultIdentity::generate(KeyEpoch::FIRST);
    let epoch2 = epoch1.rotate();
    let mut append = RosterAppend::genesis(vault, &owner.key, owner.member.clone(), at(0)).unwrap();
    for (minute, change) in [
        RosterChange::NewEpoch {
            epoch: epoch1.epoch(),
            vault_recipient: epoch1.recipient(),
        },
        RosterChange::AddMember(manager.member.clone()),
        RosterChange::AddMember(viewer.member.clone()),
        RosterChange::RemoveMember {
            account: viewer.member.account,
        },
        RosterChange::NewEpoch {
            epoch: epoch2.epoch(),
            vault_recipient: epoch2.recipient(),
        },
    ]
    .into_iter()
    .enumerate()
    {
        append.push(change, at(minute as i64 + 1)).unwrap();
    }
    let (_, entries) = append.finish();
    Story {
        vault,
        owner,
        manager,
        viewer,
        epoch1,
        epoch2,
        entries,
    }
}

/// The next entry after `entries`, signed by `key` whoever that is: what a server (or a
/// member overstepping) could upload.
fn forged(
    vault: VaultId,
    entries: &[SignedRosterEntry],
    key: &SigningKey,
    change: RosterChange,
) -> Vec<SignedRosterEntry> {
    let last = entries.last().unwrap();
    let entry = RosterEntry {
        vault,
        seq: entries.len() as u64 + 1,
        prev: last.hash(),
        at: at(60),
        change,
    };
    let mut all = entries.to_vec();
    all.push(entry.sign(key));
    all
}

#[test]
fn genesis_add_remove_and_new_epoch_verify() {
    let story = story();
    let roster = Roster::verify(story.vault, &story.entries, None).unwrap();
    let members: Vec<&Member> = roster.members().iter().collect();
    assert_eq!(members, [&story.owner.member, &story.manager.member]);
    assert_eq!(roster.owner(), &story.owner.member);
    assert_eq!(roster.current_epoch(), Some(KeyEpoch(2)));
    assert_eq!(
        roster.epoch_recipient(KeyEpoch(1)),
        Some(&story.epoch1.recipient())
    );
    assert_eq!(
        roster.epoch_recipient(KeyEpoch(2)),
        Some(&story.epoch2.recipient())
    );
    assert_eq!(roster.epoch_recipient(KeyEpoch(3)), None);
    assert_eq!(
        roster.head(),
        RosterHead {
            seq: 6,
            hash: story.entries[5].hash()
        }
    );
    assert!(roster.member(story.viewer.member.account).is_none());
    // Pinned to its own head, or to an earlier one, the same list verifies.
    Roster::verify(story.vault, &story.entries, Some(roster.head())).unwrap();
    let earlier = Roster::verify(story.vault, &story.entries[..3], None).unwrap();
    Roster::verify(story.vault, &story.entries, Some(earlier.head())).unwrap();
}

#[test]
fn rotation_recipients_are_exactly_the_current_members() {
    let story = story();
    let roster = Roster::verify(story.vault, &story.entries, None).unwrap();
    assert_eq!(
        roster.rotation_recipients(),
        [
            story.owner.account.recipient(),
            story.manager.account.recipient()
        ]
    );
    // While the viewer was a member, they were one of them.
    let before_removal = Roster::verify(story.vault, &story.entries[..4], None).unwrap();
    assert_eq!(
        before_removal.rotation_recipients(),
        [
            story.owner.account.recipient(),
            story.manager.account.recipient(),
            story.viewer.account.recipient()
        ]
    );
}

#[test]
fn a_list_rolled_back_one_entry_is_detected() {
    let story = story();
    let pinned = Roster::verify(story.vault, &story.entries, None)
        .unwrap()
        .head();
    let rolled_back = &story.entries[..story.entries.len() - 1];
    // On its own the shorter list is a valid list: only the pin shows what is missing.
    Roster::verify(story.vault, rolled_back, None).unwrap();
    let error = Roster::verify(story.vault, rolled_back, Some(pinned)).unwrap_err();
    assert_eq!(
        error,
        RosterError::RolledBack {
            pinned: 6,
            found: 5
        }
    );
    assert_eq!(
        error.to_string(),
        "the record's member list was rolled back to an older version"
    );
}

#[test]
fn a_different_entry_at_the_pinned_position_is_a_fork() {
    let story = story();
    let pinned = Roster::verify(story.vault, &story.entries, None)
        .unwrap()
        .head();
    // The same history up to entry 5, then another entry 6, validly signed by the owner
    // (two of the owner's devices, or a key the server got hold of).
    let prefix = Roster::verify(story.vault, &story.entries[..5], None).unwrap();
    let mut append = RosterAppend::after(prefix, &story.owner.key);
    append
        .push(
            RosterChange::AddMember(person("Dee", Role::Viewer).member),
            at(30),
        )
        .unwrap();
    let mut other = story.entries[..5].to_vec();
    other.extend_from_slice(append.new_entries());
    Roster::verify(story.vault, &other, None).unwrap();
    assert_eq!(
        Roster::verify(story.vault, &other, Some(pinned)).unwrap_err(),
        RosterError::Forked { seq: 6 }
    );
}

#[test]
fn an_owner_only_change_signed_by_someone_else_is_refused() {
    let story = story();
    let (vault, entries) = (story.vault, &story.entries);
    let newcomer = person("Eve", Role::Viewer);
    let cases = [
        // The manager removes the owner's other caregiver, or adds a manager.
        (
            &story.manager.key,
            RosterChange::RemoveMember {
                account: story.owner.member.account,
            },
            RosterError::NotAllowed {
                seq: 7,
                role: Role::Manager,
            },
        ),
        (
            &story.manager.key,
            RosterChange::AddMember(person("Fay", Role::Manager).member),
            RosterError::NotAllowed {
                seq: 7,
                role: Role::Manager,
            },
        ),
        (
            &story.manager.key,
            RosterChange::ChangeRole {
                account: story.manager.member.account,
                role: Role::Owner,
            },
            RosterError::NotAllowed {
                seq: 7,
                role: Role::Manager,
            },
        ),
        // The removed viewer is no member any more, so signs nothing.
        (
            &story.viewer.key,
            RosterChange::AddMember(newcomer.member.clone()),
            RosterError::NotAMember { seq: 7 },
        ),
        // A member replaces only their own keys.
        (
            &story.manager.key,
            RosterChange::MemberKeys {
                account: story.owner.member.account,
                signing_key: newcomer.member.signing_key,
                recipient: newcomer.member.recipient.clone(),
            },
            RosterError::NotAllowed {
                seq: 7,
                role: Role::Manager,
            },
        ),
    ];
    for (key, change, expected) in cases {
        let tampered = forged(vault, entries, key, change.clone());
        assert_eq!(
            Roster::verify(vault, &tampered, None).unwrap_err(),
            expected,
            "{change:?}"
        );
    }
    // A manager may add a viewer (as the server lets them confirm one they invited).
    let added = forged(
        vault,
        entries,
        &story.manager.key,
        RosterChange::AddMember(newcomer.member.clone()),
    );
    let roster = Roster::verify(vault, &added, None).unwrap();
    assert_eq!(
        roster.member(newcomer.member.account),
        Some(&newcomer.member)
    );
    // The client's own builder refuses the same change before signing it.
    let roster = Roster::verify(vault, entries, None).unwrap();
    let mut append = RosterAppend::after(roster, &story.manager.key);
    assert!(matches!(
        append.push(
            RosterChange::RemoveMember {
                account: story.owner.member.account
            },
            at(40)
        ),
        Err(RosterError::NotAllowed { .. })
    ));
    assert!(append.new_entries().is_empty());
}

#[test]
fn a_new_epoch_made_by_the_server_is_refused() {
    let story = story();
    let server_key = SigningKey::generate();
    let server_vault_key = VaultIdentity::generate(KeyEpoch(3));
    let change = RosterChange::NewEpoch {
        epoch: KeyEpoch(3),
        vault_recipient: server_vault_key.recipient(),
    };
    let by_server = forged(story.vault, &story.entries, &server_key, change.clone());
    assert_eq!(
        Roster::verify(story.vault, &by_server, None).unwrap_err(),
        RosterError::NotAMember { seq: 7 }
    );
    // Signed by the server but claiming to be the owner's.
    let mut claimed = by_server.clone();
    claimed.last_mut().unwrap().signer = story.owner.key.public_key();
    assert_eq!(
        Roster::verify(story.vault, &claimed, None).unwrap_err(),
        RosterError::BadSignature { seq: 7 }
    );
    // A manager is a member, but not the owner.
    let by_manager = forged(story.vault, &story.entries, &story.manager.key, change);
    let error = Roster::verify(story.vault, &by_manager, None).unwrap_err();
    assert_eq!(error, RosterError::KeysChangedByNonOwner { seq: 7 });
    assert!(
        error
            .to_string()
            .starts_with("the record's keys were changed by someone who is not its owner"),
        "{error}"
    );
}

#[test]
fn only_the_vault_key_the_owner_named_is_accepted() {
    let story = story();
    let roster = Roster::verify(story.vault, &story.entries, None).unwrap();
    // The server makes a key of its own for epoch 2 and wraps it to the owner's public
    // recipient: the wrap opens, and carries the right epoch.
    let planted = VaultIdentity::generate(KeyEpoch(2));
    let opened = planted
        .wrap_to(&story.owner.account.recipient())
        .unwrap_vault(&story.owner.account, KeyEpoch(2))
        .unwrap();
    let error = roster.accept_vault_key(KeyEpoch(2), &opened).unwrap_err();
    assert_eq!(
        error,
        RosterError::KeyNotSignedByOwner { epoch: KeyEpoch(2) }
    );
    assert!(
        error
            .to_string()
            .starts_with("the record's keys were tampered with"),
        "{error}"
    );
    roster.accept_vault_key(KeyEpoch(2), &story.epoch2).unwrap();
    roster.accept_vault_key(KeyEpoch(1), &story.epoch1).unwrap();
    // The right key for the wrong epoch, or an epoch the owner never named.
    assert!(roster.accept_vault_key(KeyEpoch(1), &story.epoch2).is_err());
    assert!(
        roster
            .accept_vault_key(KeyEpoch(3), &VaultIdentity::generate(KeyEpoch(3)))
            .is_err()
    );
}

#[test]
fn a_caregiver_key_swapped_in_a_stored_entry_is_caught() {
    let story = story();
    let server_account = AccountIdentity::generate();
    // Entry 3 adds the manager; the server swaps in its own recipient, keeping the bytes'
    // layout, the signer and the signature.
    let mut entries = story.entries.clone();
    let mut entry = RosterEntry::from_bytes(&entries[2].body).unwrap();
    let RosterChange::AddMember(member) = &mut entry.change else {
        panic!("entry 3 adds the manager");
    };
    member.recipient = server_account.recipient();
    entries[2].body = entry.to_bytes();
    assert_eq!(entries[2].body.len(), story.entries[2].body.len());
    assert_eq!(
        Roster::verify(story.vault, &entries, None).unwrap_err(),
        RosterError::BadSignature { seq: 3 }
    );
    // Re-signed by the server, it is a stranger's entry; and whatever it signs, the next
    // entry no longer follows.
    entries[2] = entry.sign(&SigningKey::generate());
    assert_eq!(
        Roster::verify(story.vault, &entries, None).unwrap_err(),
        RosterError::NotAMember { seq: 3 }
    );
    entries[2] = entry.sign(&story.owner.key);
    assert_eq!(
        Roster::verify(story.vault, &entries, None).unwrap_err(),
        RosterError::BrokenChain { seq: 4 }
    );
    // Any single flipped bit of a stored entry is refused.
    for bit in 0..story.entries[2].body.len() * 8 {
        let mut entries = story.entries.clone();
        entries[2].body[bit / 8] ^= 1 << (bit % 8);
        assert!(
            Roster::verify(story.vault, &entries, None).is_err(),
            "bit {bit}"
        );
    }
}

#[test]
fn dropped_reordered_or_foreign_entries_are_refused() {
    let story = story();
    let mut dropped = story.entries.clone();
    dropped.remove(3);
    assert_eq!(
        Roster::verify(story.vault, &dropped, None).unwrap_err(),
        RosterError::BrokenChain { seq: 4 }
    );
    let mut swapped = story.entries.clone();
    swapped.swap(2, 3);
    assert_eq!(
        Roster::verify(story.vault, &swapped, None).unwrap_err(),
        RosterError::BrokenChain { seq: 3 }
    );
    assert_eq!(
        Roster::verify(VaultId::generate(), &story.entries, None).unwrap_err(),
        RosterError::WrongRecord { seq: 1 }
    );
    assert_eq!(
        Roster::verify(story.vault, &[], None).unwrap_err(),
        RosterError::Empty
    );
    assert_eq!(
        Roster::verify(story.vault, &story.entries[1..], None).unwrap_err(),
        RosterError::BrokenChain { seq: 1 }
    );
}

#[test]
fn the_genesis_entry_must_be_signed_by_the_owner_it_names() {
    let vault = VaultId::generate();
    let owner = person("Ana", Role::Owner);
    let genesis = RosterEntry {
        vault,
        seq: 1,
        prev: [0; 32],
        at: at(0),
        change: RosterChange::Genesis {
            owner: owner.member.clone(),
        },
    };
    Roster::verify(vault, &[genesis.sign(&owner.key)], None).unwrap();
    let server_key = SigningKey::generate();
    assert_eq!(
        Roster::verify(vault, &[genesis.sign(&server_key)], None).unwrap_err(),
        RosterError::GenesisNotByOwner
    );
    let mut as_viewer = genesis.clone();
    as_viewer.change = RosterChange::Genesis {
        owner: Member {
            role: Role::Viewer,
            ..owner.member.clone()
        },
    };
    assert_eq!(
        Roster::verify(vault, &[as_viewer.sign(&owner.key)], None).unwrap_err(),
        RosterError::GenesisNotByOwner
    );
}

#[test]
fn epochs_only_go_forward() {
    let story = story();
    for epoch in [KeyEpoch(1), KeyEpoch(2)] {
        let replayed = forged(
            story.vault,
            &story.entries,
            &story.owner.key,
            RosterChange::NewEpoch {
                epoch,
                vault_recipient: VaultIdentity::generate(epoch).recipient(),
            },
        );
        assert_eq!(
            Roster::verify(story.vault, &replayed, None).unwrap_err(),
            RosterError::EpochNotIncreasing { seq: 7 }
        );
    }
}

#[test]
fn a_hand_over_keeps_the_old_owner_as_a_manager() {
    let story = story();
    let roster = Roster::verify(story.vault, &story.entries, None).unwrap();
    let mut append = RosterAppend::after(roster, &story.owner.key);
    append
        .push(
            RosterChange::ChangeRole {
                account: story.manager.member.account,
                role: Role::Owner,
            },
            at(50),
        )
        .unwrap();
    let roster = append.roster();
    assert_eq!(roster.owner().account, story.manager.member.account);
    assert_eq!(
        roster.member(story.owner.member.account).unwrap().role,
        Role::Manager
    );
    // The previous owner can no longer name keys.
    let mut as_old_owner = RosterAppend::after(roster.clone(), &story.owner.key);
    assert_eq!(
        as_old_owner
            .push(
                RosterChange::NewEpoch {
                    epoch: KeyEpoch(3),
                    vault_recipient: VaultIdentity::generate(KeyEpoch(3)).recipient()
                },
                at(51)
            )
            .unwrap_err(),
        RosterError::KeysChangedByNonOwner { seq: 8 }
    );
}

#[test]
fn a_member_replaces_their_own_keys() {
    let story = story();
    let roster = Roster::verify(story.vault, &story.entries, None).unwrap();
    let replacement = person("Ben", Role::Manager);
    let mut append = RosterAppend::after(roster, &story.manager.key);
    append
        .push(
            RosterChange::MemberKeys {
                account: story.manager.member.account,
                signing_key: replacement.key.public_key(),
                recipient: replacement.account.recipient(),
            },
            at(55),
        )
        .unwrap();
    let (roster, new_entries) = append.finish();
    let mut entries = story.entries.clone();
    entries.extend(new_entries);
    assert_eq!(
        Roster::verify(story.vault, &entries, Some(roster.head()))
            .unwrap()
            .member(story.manager.member.account)
            .unwrap()
            .recipient,
        replacement.account.recipient()
    );
    // The old key signs nothing more.
    let stale = forged(
        story.vault,
        &entries,
        &story.manager.key,
        RosterChange::AddMember(person("Gus", Role::Viewer).member),
    );
    assert_eq!(
        Roster::verify(story.vault, &stale, None).unwrap_err(),
        RosterError::NotAMember { seq: 8 }
    );
    // Nobody takes another member's signing key.
    let copycat = Member {
        signing_key: story.owner.key.public_key(),
        ..person("Hal", Role::Viewer).member
    };
    let duplicate = forged(
        story.vault,
        &entries,
        &story.owner.key,
        RosterChange::AddMember(copycat),
    );
    assert_eq!(
        Roster::verify(story.vault, &duplicate, None).unwrap_err(),
        RosterError::KeyInUse { seq: 8 }
    );
}

#[test]
fn entries_and_heads_travel_as_json() {
    let story = story();
    let json = serde_json::to_string(&story.entries).unwrap();
    let back: Vec<SignedRosterEntry> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, story.entries);
    let head = Roster::verify(story.vault, &back, None).unwrap().head();
    let head_json = serde_json::to_string(&head).unwrap();
    assert_eq!(
        serde_json::from_str::<RosterHead>(&head_json).unwrap(),
        head
    );
    assert!(json.contains("\"signer\":\"folio-sig1"), "{json}");
}

#[test]
fn keys_older_than_the_list_are_left_out_and_unnamed_ones_refuse_the_set() {
    let story = story();
    let roster = Roster::verify(story.vault, &story.entries, None).unwrap();
    // A record started before signing at epoch 0 of an old scheme would have keys older
    // than the list's first epoch: they predate it and are simply not used.
    let older = VaultIdentity::generate(KeyEpoch(0));
    let approved = roster
        .approved_keys(vec![older, story.epoch1.clone(), story.epoch2.clone()])
        .unwrap();
    let epochs: Vec<KeyEpoch> = approved.iter().map(VaultIdentity::epoch).collect();
    assert_eq!(epochs, vec![KeyEpoch(1), KeyEpoch(2)]);
    let planted = VaultIdentity::generate(KeyEpoch(3));
    assert_eq!(
        roster
            .approved_keys(vec![story.epoch1.clone(), story.epoch2.clone(), planted])
            .unwrap_err(),
        RosterError::KeyNotSignedByOwner { epoch: KeyEpoch(3) }
    );
}

#[test]
fn only_segments_a_member_signed_open_once_a_record_has_a_list() {
    use folio_shared::roster::WriteError;
    use folio_shared::roster::{WriteKind, WriteStatement, sign_write, vouch_for_segment};
    use folio_shared::vault::{SegmentError, SetAsideReason, VaultKeyring};

    let story = story();
    let roster = Roster::verify(story.vault, &story.entries, None).unwrap();
    let sealer = folio_shared::vault::Sealer::for_identity(story.vault, &story.epoch2);
    let entry = |marker: &str| folio_shared::record::Entry {
        id: folio_shared::record::EntryId(format!("Observation/{marker}")),
        op: folio_shared::record::Op::Put {
            resource: serde_json::json!({"resourceType": "Observation", "id": marker, "status": "final"}),
            source: Default::default(),
        },
        at: at(90),
    };
    let seal = |marker: &str| sealer.seal(&[entry(marker)]).unwrap().remove(0);
    let (by_manager, as_compaction, unsigned, by_viewer) =
        (seal("m"), seal("c"), seal("u"), seal("v"));
    let sign = |key: &SigningKey, kind, segment: &folio_shared::vault::SealedSegment| {
        sign_write(
            key,
            &WriteStatement::for_ciphertext(story.vault, KeyEpoch(2), kind, segment.as_bytes()),
        )
    };
    let signatures = [
        Some(sign(&story.manager.key, WriteKind::Segment, &by_manager)),
        Some(sign(
            &story.owner.key,
            WriteKind::Compaction,
            &as_compaction,
        )),
        None,
        // Removed before epoch 2: their signature no longer counts.
        Some(sign(&story.viewer.key, WriteKind::Segment, &by_viewer)),
    ];
    let log = [&by_manager, &as_compaction, &unsigned, &by_viewer];
    assert_eq!(
        vouch_for_segment(&roster, &by_manager, signatures[0].as_ref())
            .unwrap()
            .name,
        "Ben"
    );
    assert_eq!(
        vouch_for_segment(&roster, &unsigned, None).unwrap_err(),
        SegmentError::Unsigned
    );
    assert_eq!(
        vouch_for_segment(&roster, &unsigned, signatures[0].as_ref()).unwrap_err(),
        SegmentError::BadWriteSignature(WriteError::BadSignature),
        "a signature over other bytes"
    );

    let mut keyring = VaultKeyring::new(story.vault, story.epoch1.clone());
    keyring.insert(story.epoch2.clone());
    let opened = keyring.open_vouched(log, |position, segment| {
        vouch_for_segment(&roster, segment, signatures[position].as_ref()).map(drop)
    });
    let ids: Vec<&str> = opened.iter().map(|(id, _)| id.0.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&"Observation/m") && ids.contains(&"Observation/c"));
    let set_aside: Vec<(usize, SetAsideReason)> = opened
        .set_aside()
        .iter()
        .map(|s| (s.position, s.reason()))
        .collect();
    assert_eq!(
        set_aside,
        vec![
            (2, SetAsideReason::NotFromAMember),
            (3, SetAsideReason::NotFromAMember)
        ]
    );
}
