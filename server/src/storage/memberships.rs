//! Caregivers' memberships of vaults: invite, accept, confirm, revoke, and the question every
//! vault route asks, "what role does this account hold here now?".

use chrono::{DateTime, Duration, Utc};
use folio_shared::care::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use super::entity::{account, membership, vault, vault_key};
use super::{secret_token, shares, vault_events};

/// How long an invitation link can be accepted.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);

#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("no such invitation")]
    UnknownInvitation,
    #[error("this invitation was accepted already")]
    AlreadyAccepted,
    #[error("this invitation has expired: ask for a new one")]
    InvitationExpired,
    #[error("this invitation was withdrawn")]
    Withdrawn,
    #[error("you cannot accept an invitation to your own record")]
    OwnRecord,
    #[error("no such caregiver in this record")]
    NotFound,
    #[error("the caregiver has not accepted the invitation yet")]
    NotAccepted,
    #[error("this caregiver was confirmed already")]
    AlreadyConfirmed,
    #[error("this caregiver was removed")]
    Revoked,
    #[error("{0}")]
    BadKeys(String),
    #[error("this is not an emergency contact")]
    NotEmergencyContact,
    #[error("the owner has not confirmed this emergency contact")]
    NotConfirmed,
    #[error("access was requested already")]
    AlreadyRequested,
    #[error("there is no pending request for access")]
    NoRequest,
    #[error("the waiting period is over and access was released: remove the contact instead")]
    AlreadyReleased,
    #[error("{}", super::vaults::ROTATE_FIRST)]
    RotationDue,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A new invitation and the secret its link carries (shown once, stored as a hash).
pub struct NewInvitation {
    pub membership: membership::Model,
    pub secret: String,
}

/// What the owner (or a manager) says about the person they invite.
pub struct Invitee<'a> {
    pub vault_id: Uuid,
    pub role: Role,
    pub name: &'a str,
    pub invited_by: Uuid,
    pub ends_at: Option<DateTime<Utc>>,
    /// Makes them an emergency contact with this waiting period.
    pub emergency_wait: Option<Duration>,
}

pub async fn invite(
    db: &DatabaseConnection,
    invitee: Invitee<'_>,
    now: DateTime<Utc>,
) -> Result<NewInvitation, DbErr> {
    let Invitee {
        vault_id,
        role,
        name,
        invited_by,
        ends_at,
        emergency_wait,
    } = invitee;
    let secret = secret_token::generate("fi_");
    let membership = membership::ActiveModel {
        id: Set(Uuid::new_v4()),
        vault_id: Set(vault_id),
        role: Set(role.as_str().to_owned()),
        name: Set(name.to_owned()),
        invited_by: Set(invited_by),
        invitation_hash: Set(secret_token::hash(secret.as_bytes())),
        invitation_expires_at: Set(now + INVITATION_LIFETIME),
        ends_at: Set(ends_at),
        account_id: Set(None),
        recipient: Set(None),
        signing_key: Set(None),
        accepted_at: Set(None),
        confirmed_at: Set(None),
        revoked_at: Set(None),
        emergency_wait_seconds: Set(emergency_wait.map(|wait| wait.num_seconds())),
        access_requested_at: Set(None),
        request_refused_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(NewInvitation { membership, secret })
}

/// The caregiver's side: the signed-in `account` takes the invitation, and the server
/// records the account's public recipient for the owner to check and wrap to.
pub async fn accept(
    db: &DatabaseConnection,
    secret: &str,
    account: Uuid,
    recipient: &str,
    signing_key: Option<Vec<u8>>,
    now: DateTime<Utc>,
) -> Result<membership::Model, MembershipError> {
    let txn = db.begin().await?;
    let row = membership::Entity::find()
        .filter(membership::Column::InvitationHash.eq(secret_token::hash(secret.as_bytes())))
        .one(&txn)
        .await?
        .ok_or(MembershipError::UnknownInvitation)?;
    if row.revoked_at.is_some() {
        return Err(MembershipError::Withdrawn);
    }
    if row.accepted_at.is_some() {
        return Err(MembershipError::AlreadyAccepted);
    }
    if now >= row.invitation_expires_at {
        return Err(MembershipError::InvitationExpired);
    }
    let owner = vault::Entity::find_by_id(row.vault_id)
        .one(&txn)
        .await?
        .map(|v| v.owner_id);
    if owner == Some(account) {
        return Err(MembershipError::OwnRecord);
    }
    // Conditional on still being unaccepted: of two racing acceptances, one updates nothing.
    let claimed = membership::Entity::update_many()
        .col_expr(membership::Column::AccountId, Expr::value(account))
        .col_expr(membership::Column::Recipient, Expr::value(recipient))
        .col_expr(
            membership::Column::SigningKey,
            Expr::value(signing_key.clone()),
        )
        .col_expr(membership::Column::AcceptedAt, Expr::value(now))
        .filter(membership::Column::Id.eq(row.id))
        .filter(membership::Column::AcceptedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(MembershipError::AlreadyAccepted);
    }
    txn.commit().await?;
    Ok(membership::Model {
        account_id: Some(account),
        recipient: Some(recipient.to_owned()),
        signing_key,
        accepted_at: Some(now),
        ..row
    })
}

pub async fn for_vault(
    db: &impl ConnectionTrait,
    vault_id: Uuid,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::VaultId.eq(vault_id))
        .order_by_asc(membership::Column::CreatedAt)
        .all(db)
        .await
}

/// Membership `id` of `vault_id`.
pub async fn get(
    db: &impl ConnectionTrait,
    vault_id: Uuid,
    id: Uuid,
) -> Result<membership::Model, MembershipError> {
    membership::Entity::find_by_id(id)
        .filter(membership::Column::VaultId.eq(vault_id))
        .one(db)
        .await?
        .ok_or(MembershipError::NotFound)
}

/// One wrapped vault key for the caregiver, as the owner's client made it.
pub struct MemberKey {
    pub epoch: i32,
    pub wrapped_key: Vec<u8>,
}

/// The owner's client checked the safety code and wrapped the vault's keys to the
/// caregiver: store the wraps and make the membership active, in one transaction.
/// `current_epoch` is the vault's epoch; the wraps must include it.
pub async fn confirm(
    db: &DatabaseConnection,
    vault_id: Uuid,
    id: Uuid,
    current_epoch: i32,
    keys: Vec<MemberKey>,
    now: DateTime<Utc>,
) -> Result<membership::Model, MembershipError> {
    let txn = db.begin().await?;
    let row = get(&txn, vault_id, id).await?;
    if row.revoked_at.is_some() {
        return Err(MembershipError::Revoked);
    }
    if row.confirmed_at.is_some() {
        return Err(MembershipError::AlreadyConfirmed);
    }
    let Some(account) = row.account_id else {
        return Err(MembershipError::NotAccepted);
    };
    // Wrapping a key someone lost access to would hand out what the rotation is to retire.
    let vault = vault::Entity::find_by_id(vault_id)
        .one(&txn)
        .await?
        .ok_or(MembershipError::NotFound)?;
    if key_retired(&txn, &vault, now).await? {
        return Err(MembershipError::RotationDue);
    }
    if !keys.iter().any(|k| k.epoch == current_epoch) {
        return Err(MembershipError::BadKeys(format!(
            "the wraps must include the vault's current key epoch {current_epoch}"
        )));
    }
    for key in keys {
        if key.epoch < 1 || key.epoch > current_epoch {
            return Err(MembershipError::BadKeys(format!(
                "key epoch {} is not one of this vault's",
                key.epoch
            )));
        }
        vault_key::ActiveModel {
            vault_id: Set(vault_id),
            account_id: Set(account),
            epoch: Set(key.epoch),
            wrapped_key: Set(key.wrapped_key),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    if row.role == Role::Owner.as_str() {
        hand_over(&txn, vault_id, &row, account, now).await?;
    } else {
        membership::Entity::update_many()
            .col_expr(membership::Column::ConfirmedAt, Expr::value(now))
            .filter(membership::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(membership::Model {
        confirmed_at: Some(now),
        ..row
    })
}

/// A dependant's record passes to their own account: they become its owner, the invitation
/// that carried it is used up, and the previous owner stays on as a manager, holding the
/// keys they have (the new owner may remove them, and rotate).
async fn hand_over(
    txn: &impl ConnectionTrait,
    vault_id: Uuid,
    invitation: &membership::Model,
    new_owner: Uuid,
    now: DateTime<Utc>,
) -> Result<(), MembershipError> {
    let vault = vault::Entity::find_by_id(vault_id)
        .one(txn)
        .await?
        .ok_or(MembershipError::NotFound)?;
    let previous = vault.owner_id;
    let previous_account = account::Entity::find_by_id(previous).one(txn).await?;
    let previous_signing_key = previous_account
        .as_ref()
        .and_then(|a| a.signing_key.clone());
    let previous_recipient = previous_account.and_then(|a| a.recipient);
    vault::Entity::update_many()
        .col_expr(vault::Column::OwnerId, Expr::value(new_owner))
        .col_expr(vault::Column::Dependant, Expr::value(false))
        .filter(vault::Column::Id.eq(vault_id))
        .exec(txn)
        .await?;
    membership::Entity::delete_by_id(invitation.id)
        .exec(txn)
        .await?;
    membership::ActiveModel {
        id: Set(Uuid::new_v4()),
        vault_id: Set(vault_id),
        role: Set(Role::Manager.as_str().to_owned()),
        name: Set("Previous owner".to_owned()),
        invited_by: Set(new_owner),
        // No link carries this membership: a hash of nothing anyone holds.
        invitation_hash: Set(secret_token::hash(secret_token::generate("fi_").as_bytes())),
        invitation_expires_at: Set(now),
        ends_at: Set(None),
        account_id: Set(Some(previous)),
        recipient: Set(previous_recipient),
        signing_key: Set(previous_signing_key),
        accepted_at: Set(Some(now)),
        confirmed_at: Set(Some(now)),
        revoked_at: Set(None),
        emergency_wait_seconds: Set(None),
        access_requested_at: Set(None),
        request_refused_at: Set(None),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// What removing a caregiver did.
pub struct Removal {
    pub membership: membership::Model,
    /// The share links a removed manager had made, revoked with them.
    pub revoked_links: u64,
    /// The invitations a removed manager had sent that were not confirmed yet, withdrawn.
    pub withdrawn_invitations: u64,
}

/// Removes a caregiver (or withdraws an invitation): access ends at once, and the keys
/// the server held for them are deleted. Keys they saved themselves open only what was
/// sealed before the owner's client rotates the vault; until then nothing more may be
/// sealed to them (see [`key_retired`]). A manager's share links and unconfirmed
/// invitations go with them, and the owner's activity log says so.
pub async fn revoke(
    db: &DatabaseConnection,
    vault_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Removal, MembershipError> {
    let txn = db.begin().await?;
    let row = get(&txn, vault_id, id).await?;
    if row.revoked_at.is_some() {
        return Err(MembershipError::Revoked);
    }
    membership::Entity::update_many()
        .col_expr(membership::Column::RevokedAt, Expr::value(now))
        .filter(membership::Column::Id.eq(id))
        .filter(membership::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if let Some(account) = row.account_id {
        vault_key::Entity::delete_many()
            .filter(vault_key::Column::VaultId.eq(vault_id))
            .filter(vault_key::Column::AccountId.eq(account))
            .exec(&txn)
            .await?;
    }
    if row.confirmed_at.is_some() {
        // They held the key: the vault needs a new one before anything else is added.
        vault::Entity::update_many()
            .col_expr(vault::Column::RotationDueAt, Expr::value(now))
            .filter(vault::Column::Id.eq(vault_id))
            .filter(vault::Column::RotationDueAt.is_null())
            .exec(&txn)
            .await?;
    }
    let (revoked_links, withdrawn_invitations) = match row.account_id {
        Some(account) if row.role == Role::Manager.as_str() => {
            withdraw_what_they_made(&txn, &row, account, now).await?
        }
        _ => (0, 0),
    };
    txn.commit().await?;
    Ok(Removal {
        membership: membership::Model {
            revoked_at: Some(now),
            ..row
        },
        revoked_links,
        withdrawn_invitations,
    })
}

/// A removed manager's share links and unconfirmed invitations would outlive their access
/// (a link for up to a year; an invitee would be wrapped the next key): both end with it.
async fn withdraw_what_they_made(
    txn: &impl ConnectionTrait,
    manager: &membership::Model,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<(u64, u64), DbErr> {
    let links = shares::revoke_made_by(txn, manager.vault_id, account, now).await?;
    let invitations = membership::Entity::update_many()
        .col_expr(membership::Column::RevokedAt, Expr::value(now))
        .filter(membership::Column::VaultId.eq(manager.vault_id))
        .filter(membership::Column::InvitedBy.eq(account))
        .filter(membership::Column::ConfirmedAt.is_null())
        .filter(membership::Column::RevokedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected;
    if links + invitations > 0 {
        vault_events::record(
            txn,
            manager.vault_id,
            None,
            &manager.name,
            "links and invitations withdrawn",
            &format!(
                "{} share link{} and {} invitation{} they made, ended with their access",
                links,
                if links == 1 { "" } else { "s" },
                invitations,
                if invitations == 1 { "" } else { "s" },
            ),
        )
        .await?;
    }
    Ok((links, invitations))
}

/// Whether the vault's current key is one someone has lost access to, so nothing more may
/// be sealed or wrapped to it before the owner's client rotates it. A removal marks the
/// vault at once (`rotation_due_at`); a caregiver whose end date passed is found here, at
/// the request's time, by the key of the current epoch the server still holds for them (a
/// rotation wraps only to those who keep access), and the vault is marked then.
pub async fn key_retired(
    db: &impl ConnectionTrait,
    vault: &vault::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    if vault.rotation_due_at.is_some() {
        return Ok(true);
    }
    let ended: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::VaultId.eq(vault.id))
        .filter(membership::Column::ConfirmedAt.is_not_null())
        .filter(membership::Column::RevokedAt.is_null())
        .filter(membership::Column::EndsAt.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|row| row.ends_at.is_some_and(|end| now >= end))
        .filter_map(|row| row.account_id)
        .collect();
    if ended.is_empty() {
        return Ok(false);
    }
    let still_wrapped = vault_key::Entity::find()
        .filter(vault_key::Column::VaultId.eq(vault.id))
        .filter(vault_key::Column::Epoch.eq(vault.epoch))
        .filter(vault_key::Column::AccountId.is_in(ended))
        .one(db)
        .await?;
    let Some(ended_key) = still_wrapped else {
        return Ok(false);
    };
    vault::Entity::update_many()
        .col_expr(vault::Column::RotationDueAt, Expr::value(now))
        .filter(vault::Column::Id.eq(vault.id))
        .filter(vault::Column::Epoch.eq(ended_key.epoch))
        .filter(vault::Column::RotationDueAt.is_null())
        .exec(db)
        .await?;
    Ok(true)
}

/// Whether the owner's client wrapped the key to this member and they have not lost it:
/// confirmed, not removed, not past the end date. A rotation re-wraps to exactly these.
pub fn holds_key(row: &membership::Model, now: DateTime<Utc>) -> bool {
    row.confirmed_at.is_some()
        && row.revoked_at.is_none()
        && row.ends_at.is_none_or(|end| now < end)
}

/// When an emergency contact's pending request opens access, if one is pending.
pub fn releases_at(row: &membership::Model) -> Option<DateTime<Utc>> {
    let wait = Duration::seconds(row.emergency_wait_seconds?);
    Some(row.access_requested_at? + wait)
}

/// Whether a membership grants its role at `now`: it holds the key and, for an emergency
/// contact, a request has waited out its period without the owner refusing.
pub fn is_active(row: &membership::Model, now: DateTime<Utc>) -> bool {
    holds_key(row, now)
        && (row.emergency_wait_seconds.is_none() || releases_at(row).is_some_and(|at| now >= at))
}

/// The emergency contact asks for access; it opens after the waiting period unless the
/// owner refuses first.
pub async fn request_access(
    db: &DatabaseConnection,
    id: Uuid,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<membership::Model, MembershipError> {
    let row = membership::Entity::find_by_id(id)
        .filter(membership::Column::AccountId.eq(account))
        .one(db)
        .await?
        .ok_or(MembershipError::NotFound)?;
    if row.emergency_wait_seconds.is_none() {
        return Err(MembershipError::NotEmergencyContact);
    }
    if row.revoked_at.is_some() {
        return Err(MembershipError::Revoked);
    }
    if !holds_key(&row, now) {
        return Err(MembershipError::NotConfirmed);
    }
    if row.access_requested_at.is_some() {
        return Err(MembershipError::AlreadyRequested);
    }
    membership::Entity::update_many()
        .col_expr(membership::Column::AccessRequestedAt, Expr::value(now))
        .filter(membership::Column::Id.eq(id))
        .filter(membership::Column::AccessRequestedAt.is_null())
        .exec(db)
        .await?;
    Ok(membership::Model {
        access_requested_at: Some(now),
        ..row
    })
}

/// The owner refuses a pending emergency request, within its waiting period.
pub async fn refuse_access(
    db: &DatabaseConnection,
    vault_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<membership::Model, MembershipError> {
    let row = get(db, vault_id, id).await?;
    let Some(release) = releases_at(&row) else {
        return Err(MembershipError::NoRequest);
    };
    if now >= release {
        return Err(MembershipError::AlreadyReleased);
    }
    // Conditional on a request still pending: of two racing refusals, one updates nothing.
    let refused = membership::Entity::update_many()
        .col_expr(
            membership::Column::AccessRequestedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(membership::Column::RequestRefusedAt, Expr::value(now))
        .filter(membership::Column::Id.eq(id))
        .filter(membership::Column::AccessRequestedAt.is_not_null())
        .exec(db)
        .await?;
    if refused.rows_affected != 1 {
        return Err(MembershipError::NoRequest);
    }
    Ok(membership::Model {
        access_requested_at: None,
        request_refused_at: Some(now),
        ..row
    })
}

/// The active memberships of `account`, one per vault.
pub async fn active_for_account(
    db: &impl ConnectionTrait,
    account: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, Role)>, DbErr> {
    let rows = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account))
        .filter(membership::Column::RevokedAt.is_null())
        .filter(membership::Column::ConfirmedAt.is_not_null())
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| is_active(row, now))
        .filter_map(|row| Some((row.vault_id, row.role.parse().ok()?)))
        .collect())
}

/// Every membership `account` has had in `vault`, newest first.
pub async fn for_account_in(
    db: &impl ConnectionTrait,
    account: Uuid,
    vault_id: Uuid,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account))
        .filter(membership::Column::VaultId.eq(vault_id))
        .order_by_desc(membership::Column::CreatedAt)
        .all(db)
        .await
}

/// Every membership of `account`, newest first: the caregiver's own list.
pub async fn for_account(
    db: &impl ConnectionTrait,
    account: Uuid,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account))
        .order_by_desc(membership::Column::CreatedAt)
        .all(db)
        .await
}
