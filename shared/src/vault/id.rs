//! [`VaultId`]: which patient's record a segment belongs to.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The identity of one vault (one patient's record). It is public: the server routes
/// segments by it, and every segment repeats it inside its ciphertext so that a segment
/// moved between vaults is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VaultId(pub Uuid);

impl VaultId {
    /// A fresh random id, for a new vault.
    pub fn generate() -> Self {
        Self(Uuid::new_v4())
    }
}

impl fmt::Display for VaultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
