//! sea-orm entities, one module per table.

pub mod account;
pub mod attachment;
pub mod device;
pub mod segment;
pub mod vault;
pub mod vault_key;
