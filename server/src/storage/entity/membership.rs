use sea_orm::entity::prelude::*;

/// A caregiver's place in a vault, from invitation to revocation. Only the invitation
/// secret's SHA-256 is kept; `recipient` is the caregiver account's public key as the
/// server recorded it at acceptance, which the owner checks with the safety code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub vault_id: Uuid,
    /// `manager` or `viewer`.
    pub role: String,
    /// Who the owner says this is ("Sam, my son"): the activity log's name for them.
    pub name: String,
    pub invited_by: Uuid,
    pub invitation_hash: Vec<u8>,
    pub invitation_expires_at: DateTimeUtc,
    /// Access ends here, when the owner set an end date.
    pub ends_at: Option<DateTimeUtc>,
    pub account_id: Option<Uuid>,
    pub recipient: Option<String>,
    /// The caregiver account's Ed25519 public key at acceptance, if it had one.
    pub signing_key: Option<Vec<u8>>,
    pub accepted_at: Option<DateTimeUtc>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// Set for an emergency contact: how long after a request their access opens.
    pub emergency_wait_seconds: Option<i64>,
    pub access_requested_at: Option<DateTimeUtc>,
    /// The owner's last refusal of a request (a new request clears the old one).
    pub request_refused_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
