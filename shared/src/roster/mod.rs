//! The record's member list (roster) and signed writes: what lets a client tell the
//! patient's changes from the server's.
//!
//! The server can read and write its database and answer anything. It holds the vault's
//! public recipient, so it can seal entries of its own, and it lists the members a rotation
//! wraps the new key to. The roster is a hash-chained log of member changes, each entry
//! signed by a member allowed to make it; a client verifies it from the owner's genesis
//! entry and pins its head, so the server can neither forge, drop nor reorder entries, nor
//! roll the list back or show two clients different lists without being caught. Against
//! it, a client checks:
//! - every write's signature ([`verify_write`]): a member who could make it at its epoch;
//! - every unwrapped vault key ([`Roster::accept_vault_key`]): the one the owner named for
//!   its epoch;
//! - whom a new key is wrapped to ([`Roster::rotation_recipients`]).
//!
//! Byte formats: `entry.rs` (entries, hashes) and `write.rs` (write statements).
//! The server stores and enforces it (`server/src/http/roster.rs`); the CLI checks it when
//! a record has a member list; the app does not yet.

mod append;
mod codec;
mod entry;
mod error;
mod state;
mod write;

pub use append::RosterAppend;
pub use entry::{MAX_NAME_BYTES, Member, RosterChange, RosterEntry, RosterHead, SignedRosterEntry};
pub use error::{RosterError, WriteError};
pub use state::Roster;
pub use write::{
    WRITE_STATEMENT_LEN, WriteKind, WriteSignature, WriteStatement, sign_write, verify_write,
    vouch_for_segment,
};
