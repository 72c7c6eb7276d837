//! sea-orm entities, one module per table.

pub mod account;
pub mod attachment;
pub mod ceremony;
pub mod device;
pub mod fresh_proof;
pub mod membership;
pub mod pairing;
pub mod passkey;
pub mod recovery_code;
pub mod roster_entry;
pub mod segment;
pub mod session;
pub mod share;
pub mod share_access;
pub mod share_file;
pub mod share_ticket;
pub mod vault;
pub mod vault_event;
pub mod vault_key;
