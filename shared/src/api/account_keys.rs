//! `POST /api/v1/account/key-rotations`: the account's keys replaced in one request, as
//! revoking a device needs (see [`crate::account_keys`]).
//!
//! Everything in it is made on the revoking client: the server stores the new public halves
//! and wraps, and checks that the request covers every key the account holds, so that no
//! record is left wrapped to the old identity only.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::account::RecoverySetup;
use super::roster::AccountSigningKey;
use crate::roster::SignedRosterEntry;

/// The request. The new identity is wrapped only to unlockers the caller holds at this
/// moment: the passkey that just confirmed it's you (its PRF output), the calling device's
/// own key, and a new recovery code. Every other passkey unlocks once with the new code or
/// from a linked device; every other device is signed out and pairs again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountKeyRotation {
    /// The device this rotation revokes, if the rotation is for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_device: Option<Uuid>,
    /// The account recipient the client rotates away from: 409 if it changed meanwhile.
    pub previous_recipient: String,
    /// The new account recipient (`age1…`).
    pub account_recipient: String,
    /// The new signing key (derived from the new identity), wrapped to the new recipient.
    pub signing_key: AccountSigningKey,
    /// The new recovery code's traces: the old code stops at once.
    pub recovery: RecoverySetup,
    /// The new identity wrapped to the PRF unlocker of the passkey that confirmed it's you.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<RotatedPasskeyUnlock>,
    /// The new identity wrapped to the calling device's own key (required when a device
    /// calls, so it keeps its way in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_wrapped_key: Option<String>,
    /// Every vault key the account holds, re-wrapped to the new recipient: exactly the
    /// (vault, epoch) pairs the server holds for the account, or 409.
    pub vault_keys: Vec<AccountVaultKey>,
    /// For every record whose member list names the account: the `MemberKeys` entry, signed
    /// with the account's current (old) key, appended after the first `after` entries.
    pub member_lists: Vec<MemberKeysUpdate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotatedPasskeyUnlock {
    pub passkey_id: Uuid,
    pub wrapped_key: String,
}

/// A vault key wrapped to the account: `GET /api/v1/account/vault-keys` lists every one the
/// account holds (in every record, each epoch), and a rotation sends each back re-wrapped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "vault_id": "0b6f6c7e-3a57-4c43-9d2b-0c1e8b7f5a10", "epoch": 1, "wrapped_key": "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0-IFgyNTUxOSBhYmMK"
})))]
pub struct AccountVaultKey {
    pub vault_id: Uuid,
    pub epoch: u32,
    pub wrapped_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberKeysUpdate {
    pub vault_id: Uuid,
    pub after: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub entry: SignedRosterEntry,
}

/// The answer: what the rotation ended, and the records whose key the owner must now rotate
/// (their current key was readable with the old identity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountKeysRotated {
    pub devices_signed_out: u64,
    pub sessions_ended: u64,
    pub vault_keys: usize,
    pub member_lists: usize,
    /// Records this account owns, now marked for a key rotation.
    pub rotation_due: Vec<Uuid>,
}
