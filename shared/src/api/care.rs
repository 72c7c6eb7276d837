//! Caregivers: invitations, acceptance, the owner's confirmation with wrapped keys, removal.
//!
//! The server relays public keys between owner and caregiver; both clients derive the
//! [`SafetyCode`](crate::care::SafetyCode) from what they were told, and the owner's client
//! wraps the vault key only when the codes match.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::VaultKeyWrap;
use crate::care::Role;

/// The owner (or a manager, for a viewer) invites someone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "role": "viewer", "name": "Grace (daughter)", "ends_at": "2027-06-30T00:00:00Z"
})))]
pub struct CreateInvitation {
    pub role: Role,
    /// Who this is, in the owner's words ("Sam, my son"): the activity log's name for them.
    pub name: String,
    /// Access ends at this time, when set.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Makes this an emergency contact (a viewer): confirmed like any caregiver, so the key
    /// is wrapped to them in escrow, but it opens only this many hours after they ask for
    /// it, and the owner can refuse in between.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_wait_hours: Option<u32>,
}

/// An invitation as made: `link` carries the secret and is shown once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "3c9d7e21-0f4a-4b8c-a1d2-e3f405162738", "vault_id": "0b6f6c7e-3a57-4c43-9d2b-0c1e8b7f5a10",
    "role": "viewer", "name": "Grace (daughter)", "ends_at": "2027-06-30T00:00:00Z",
    "expires_at": "2026-12-08T09:00:00Z",
    "link": "https://folio.example/care/accept#Jx4bq0yW2sC9nL8tA1vE5rU7kF3hD6mP"
})))]
pub struct Invitation {
    pub id: Uuid,
    pub vault_id: Uuid,
    pub role: Role,
    pub name: String,
    pub ends_at: Option<DateTime<Utc>>,
    /// The link can be accepted until then.
    pub expires_at: DateTime<Utc>,
    /// `…/care/accept#<secret>`: the secret is in the fragment, so it stays out of logs.
    pub link: String,
}

/// The caregiver, signed in, takes an invitation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptInvitation {
    pub secret: String,
}

/// What the caregiver's client needs to show the safety code: the owner's public key as
/// the server tells it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "membership_id": "3c9d7e21-0f4a-4b8c-a1d2-e3f405162738", "vault_id": "0b6f6c7e-3a57-4c43-9d2b-0c1e8b7f5a10",
    "role": "viewer",
    "owner_recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
})))]
pub struct AcceptedInvitation {
    pub membership_id: Uuid,
    pub vault_id: Uuid,
    pub role: Role,
    pub owner_recipient: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaregiverStatus {
    /// The link has not been taken yet.
    Invited,
    /// Taken; the owner must compare the safety code and confirm.
    AwaitingConfirmation,
    Active,
    /// An emergency contact the owner confirmed, who has not asked for access.
    Standby,
    /// An emergency contact asked for access; it opens at `releases_at` unless refused.
    AccessRequested,
    /// Past the end date the owner set.
    Ended,
    Revoked,
    /// Never taken, and now too late.
    InvitationExpired,
}

impl CaregiverStatus {
    /// Whether the owner's client wrapped the key to them and they keep it (emergency
    /// contacts standing by included): whom a rotation must wrap the new key to.
    pub fn holds_key(self) -> bool {
        matches!(
            self,
            CaregiverStatus::Active | CaregiverStatus::Standby | CaregiverStatus::AccessRequested
        )
    }
}

/// One caregiver of a record, as the owner's list shows them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "3c9d7e21-0f4a-4b8c-a1d2-e3f405162738", "role": "viewer",
    "name": "Grace (daughter)", "status": "active", "account_id": "5d1f3c2a-8e4b-4f0a-9c6d-2b7e1a9f4c33",
    "recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "ends_at": "2027-06-30T00:00:00Z", "invited_at": "2026-12-01T09:00:00Z",
    "accepted_at": "2026-12-01T10:00:00Z", "confirmed_at": "2026-12-01T10:05:00Z",
    "revoked_at": null, "emergency_wait_hours": null, "access_requested_at": null,
    "releases_at": null, "request_refused_at": null
})))]
pub struct Caregiver {
    pub id: Uuid,
    pub role: Role,
    pub name: String,
    pub status: CaregiverStatus,
    pub account_id: Option<Uuid>,
    /// The caregiver's public key as the server recorded it at acceptance.
    pub recipient: Option<String>,
    /// The signing key the caregiver's account had registered at acceptance, which the
    /// safety code covers and the owner's client adds to the member list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub signing_key: Option<crate::keys::SigningPublicKey>,
    pub ends_at: Option<DateTime<Utc>>,
    pub invited_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Set for an emergency contact.
    pub emergency_wait_hours: Option<u32>,
    pub access_requested_at: Option<DateTime<Utc>>,
    /// When a pending emergency request opens access.
    pub releases_at: Option<DateTime<Utc>>,
    pub request_refused_at: Option<DateTime<Utc>>,
}

impl Caregiver {
    /// Their account and public key as the server recorded them at acceptance, if both are
    /// there and the key parses: what a key is wrapped to.
    pub fn account_and_recipient(&self) -> Option<(Uuid, crate::keys::AccountRecipient)> {
        let recipient = self.recipient.as_deref()?.parse().ok()?;
        Some((self.account_id?, recipient))
    }
}

/// What removing a caregiver did: the caregiver as removed (the same fields as
/// [`Caregiver`]), and what a removed manager had made that ended with their access.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "3c9d7e21-0f4a-4b8c-a1d2-e3f405162738", "role": "manager",
    "name": "Grace (daughter)", "status": "revoked", "account_id": "5d1f3c2a-8e4b-4f0a-9c6d-2b7e1a9f4c33",
    "recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "ends_at": null, "invited_at": "2026-12-01T09:00:00Z",
    "accepted_at": "2026-12-01T10:00:00Z", "confirmed_at": "2026-12-01T10:05:00Z",
    "revoked_at": "2026-12-05T18:00:00Z", "emergency_wait_hours": null,
    "access_requested_at": null, "releases_at": null, "request_refused_at": null,
    "revoked_share_links": 1, "withdrawn_invitations": 0
})))]
pub struct CaregiverRemoval {
    #[serde(flatten)]
    pub caregiver: Caregiver,
    /// Share links the removed manager had made, revoked with them.
    #[serde(default)]
    pub revoked_share_links: u64,
    /// Invitations the removed manager had sent that were not confirmed yet, withdrawn.
    #[serde(default)]
    pub withdrawn_invitations: u64,
}

/// The owner's client, after the safety codes matched: the vault's keys wrapped to the
/// caregiver's recipient, one per epoch (the current one at least).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmCaregiver {
    pub wrapped_keys: Vec<VaultKeyWrap>,
}

/// A record the caller helps with (or was invited to), from the caregiver's side.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "3c9d7e21-0f4a-4b8c-a1d2-e3f405162738", "vault_id": "0b6f6c7e-3a57-4c43-9d2b-0c1e8b7f5a10",
    "role": "viewer", "status": "standby",
    "owner_recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "ends_at": null, "emergency_wait_hours": 48, "releases_at": null
})))]
pub struct Membership {
    pub id: Uuid,
    pub vault_id: Uuid,
    pub role: Role,
    pub status: CaregiverStatus,
    /// The owner's public key as the server tells it, for the safety code.
    pub owner_recipient: String,
    pub ends_at: Option<DateTime<Utc>>,
    pub emergency_wait_hours: Option<u32>,
    pub releases_at: Option<DateTime<Utc>>,
}

/// The longest waiting period an emergency contact may be given: 30 days.
pub const MAX_EMERGENCY_WAIT_HOURS: u32 = 30 * 24;

/// One line of a record's activity log, for its owner.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "at": "2026-12-02T08:15:00Z", "actor": "Grace (daughter)",
    "action": "read the record", "detail": "viewer"
})))]
pub struct ActivityEntry {
    pub at: DateTime<Utc>,
    /// The caregiver's name as the owner gave it, or `owner`.
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// The longest name an invitation may carry.
pub const MAX_CAREGIVER_NAME_CHARS: usize = 80;
