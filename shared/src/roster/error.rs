//! Why a member list or a signed write was refused, in words a client can show.
//!
//! Each message says what happened to the record; `seq` is the entry's position, for a
//! support log, not for the patient.

use crate::care::Role;
use crate::keys::KeyEpoch;

/// Why a member list (roster) did not verify, or refused a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    #[error("the record's member list is missing")]
    Empty,
    #[error("the record's member list is damaged (entry {seq}: {reason})")]
    Malformed { seq: u64, reason: &'static str },
    #[error("the record's member list belongs to another record")]
    WrongRecord { seq: u64 },
    #[error("the record's member list was altered after it was signed (entry {seq})")]
    BadSignature { seq: u64 },
    #[error("the record's member list has entries missing, added or out of order (entry {seq})")]
    BrokenChain { seq: u64 },
    #[error("the record's member list was not started by its owner")]
    GenesisNotByOwner,
    #[error("the record's member list was started twice (entry {seq})")]
    SecondGenesis { seq: u64 },
    #[error(
        "the record's member list was changed by someone who is not a member of the record (entry {seq})"
    )]
    NotAMember { seq: u64 },
    #[error(
        "the record's member list was changed by a {role}, who may not make that change (entry {seq})"
    )]
    NotAllowed { seq: u64, role: Role },
    #[error("the record's keys were changed by someone who is not its owner (entry {seq})")]
    KeysChangedByNonOwner { seq: u64 },
    #[error("the record's keys went back to an older generation (entry {seq})")]
    EpochNotIncreasing { seq: u64 },
    #[error("the record's member list adds someone who is already a member (entry {seq})")]
    AlreadyMember { seq: u64 },
    #[error("the record's member list names someone who is not a member (entry {seq})")]
    NoSuchMember { seq: u64 },
    #[error("the record's member list gives two members the same key (entry {seq})")]
    KeyInUse { seq: u64 },
    #[error(
        "the record's member list removes its owner or names a second one; the record must be handed over instead (entry {seq})"
    )]
    OwnerChange { seq: u64 },
    #[error("the record's member list was rolled back to an older version")]
    RolledBack { pinned: u64, found: u64 },
    #[error("the record's member list was replaced by a different version (entry {seq})")]
    Forked { seq: u64 },
    #[error("the record's keys were tampered with: the owner did not approve this key")]
    KeyNotSignedByOwner { epoch: KeyEpoch },
}

/// Why a signed write (a segment, an attachment, a key wrap, a compaction) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("this change belongs to another record")]
    WrongRecord,
    #[error("this change was signed by someone who is not a member of the record")]
    UnknownSigner,
    #[error("this change was signed by a member who could not make it at that time")]
    NotAllowed,
    #[error("this change was altered after it was signed")]
    BadSignature,
}
