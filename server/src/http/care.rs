//! Caregivers: invite by link, accept with one's own account, confirm with the vault keys
//! wrapped by the owner's client, remove; the caregiver's own list; the owner's activity log.
//!
//! The server only relays public keys and stores wrapped ones. It never decides that a
//! caregiver may read: reading needs the vault key, which only the owner's client wraps, and
//! only after the safety code matched on both screens (`folio_shared::care`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use folio_shared::api::Problem;
use folio_shared::api::care::{
    AcceptInvitation, AcceptedInvitation, ActivityEntry, Caregiver, CaregiverRemoval,
    CaregiverStatus, ConfirmCaregiver, CreateInvitation, Invitation, MAX_CAREGIVER_NAME_CHARS,
    MAX_EMERGENCY_WAIT_HOURS, Membership,
};
use folio_shared::care::{Action, Role};
use folio_shared::keys::SigningPublicKey;
use uuid::Uuid;

use super::AppState;
use super::access::authorize;
use super::auth::Principal;
use super::json::ApiJson;
use super::problem::ApiError;
use super::wire;
use crate::storage::entity::{membership, vault};
use crate::storage::memberships::{self, MemberKey, MembershipError};
use crate::storage::{accounts, vault_events, vaults};

impl From<MembershipError> for ApiError {
    fn from(err: MembershipError) -> Self {
        let message = err.to_string();
        match err {
            MembershipError::UnknownInvitation | MembershipError::NotFound => {
                ApiError::NotFound(message)
            }
            MembershipError::AlreadyAccepted
            | MembershipError::AlreadyConfirmed
            | MembershipError::Revoked
            | MembershipError::Withdrawn
            | MembershipError::NotAccepted
            | MembershipError::NotConfirmed
            | MembershipError::AlreadyRequested
            | MembershipError::NoRequest
            | MembershipError::AlreadyReleased
            | MembershipError::RotationDue => ApiError::Conflict(message),
            MembershipError::NotEmergencyContact => ApiError::Unprocessable(message),
            MembershipError::InvitationExpired => ApiError::Gone(message),
            MembershipError::OwnRecord | MembershipError::BadKeys(_) => {
                ApiError::Unprocessable(message)
            }
            MembershipError::Db(e) => ApiError::from(e),
        }
    }
}

/// Where a membership stands at `now`, derived from its row.
pub fn status(row: &membership::Model, now: DateTime<Utc>) -> CaregiverStatus {
    if row.revoked_at.is_some() {
        CaregiverStatus::Revoked
    } else if row.confirmed_at.is_some() {
        if memberships::is_active(row, now) {
            CaregiverStatus::Active
        } else if !memberships::holds_key(row, now) {
            CaregiverStatus::Ended
        } else if row.access_requested_at.is_some() {
            CaregiverStatus::AccessRequested
        } else {
            CaregiverStatus::Standby
        }
    } else if row.accepted_at.is_some() {
        CaregiverStatus::AwaitingConfirmation
    } else if now >= row.invitation_expires_at {
        CaregiverStatus::InvitationExpired
    } else {
        CaregiverStatus::Invited
    }
}

/// An entry in the owner's activity log for something the owner did. (What a caregiver
/// does is logged under their name by `authorize`.)
async fn owner_did(
    state: &AppState,
    principal: &Principal,
    vault: &vault::Model,
    action: &str,
    detail: &str,
) -> Result<(), ApiError> {
    if principal.account_id == vault.owner_id {
        let db = state.storage.db();
        vault_events::record(
            db,
            vault.id,
            Some(principal.account_id),
            "owner",
            action,
            detail,
        )
        .await?;
    }
    Ok(())
}

fn role_of(row: &membership::Model) -> Result<Role, ApiError> {
    row.role
        .parse()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("membership {} has no valid role", row.id)))
}

fn caregiver(row: membership::Model, now: DateTime<Utc>) -> Result<Caregiver, ApiError> {
    Ok(Caregiver {
        id: row.id,
        role: role_of(&row)?,
        name: row.name.clone(),
        status: status(&row, now),
        account_id: row.account_id,
        recipient: row.recipient.clone(),
        signing_key: row
            .signing_key
            .as_deref()
            .and_then(|bytes| <&[u8; 32]>::try_from(bytes).ok())
            .and_then(|bytes| SigningPublicKey::from_bytes(bytes).ok()),
        ends_at: row.ends_at,
        invited_at: row.created_at,
        accepted_at: row.accepted_at,
        confirmed_at: row.confirmed_at,
        revoked_at: row.revoked_at,
        emergency_wait_hours: wait_hours(&row),
        access_requested_at: row.access_requested_at,
        releases_at: memberships::releases_at(&row),
        request_refused_at: row.request_refused_at,
    })
}

/// A membership as the caregiver sees it, with the owner's key for the safety code.
async fn membership(
    state: &AppState,
    row: &membership::Model,
    now: DateTime<Utc>,
) -> Result<Membership, ApiError> {
    Ok(Membership {
        id: row.id,
        vault_id: row.vault_id,
        role: role_of(row)?,
        status: status(row, now),
        owner_recipient: owner_recipient(state, row.vault_id).await?,
        ends_at: row.ends_at,
        emergency_wait_hours: wait_hours(row),
        releases_at: memberships::releases_at(row),
    })
}

fn wait_hours(row: &membership::Model) -> Option<u32> {
    row.emergency_wait_seconds
        .map(|secs| u32::try_from(secs / 3600).unwrap_or(u32::MAX))
}

/// Inviting a viewer is a manager's right too; anything more is the owner's, and handing
/// the record over most of all.
fn invite_action(role: Role) -> Action {
    match role {
        Role::Viewer => Action::InviteViewer,
        Role::Manager => Action::ManageCaregivers,
        Role::Owner => Action::Administer,
    }
}

/// Invite someone to help with this record. The link is shown once.
#[utoipa::path(post, path = "/api/v1/vaults/{vault}/caregivers", tag = "caregivers",
    security(("device_token" = []), ("session" = [])), params(("vault" = Uuid, Path)), request_body = CreateInvitation,
    responses(
        (status = 201, description = "The invitation and the link to send", body = Invitation),
        (status = 403, description = "No fresh proof (`action: invite_caregiver`), or the caller's role may not invite this role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Owner role, empty or long name, end date in the past", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn invite(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
    ApiJson(request): ApiJson<CreateInvitation>,
) -> Result<(StatusCode, Json<Invitation>), ApiError> {
    super::fresh_proof::require(
        &state,
        &principal,
        folio_shared::api::account::AccountCriticalAction::InviteCaregiver,
    )
    .await?;
    let handing_over = request.role == Role::Owner;
    if handing_over && (request.emergency_wait_hours.is_some() || request.ends_at.is_some()) {
        return Err(ApiError::Unprocessable(
            "handing a record over (role `owner`) takes no end date or waiting period".into(),
        ));
    }
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_CAREGIVER_NAME_CHARS {
        return Err(ApiError::Unprocessable(format!(
            "`name` says who this is, in 1 to {MAX_CAREGIVER_NAME_CHARS} characters"
        )));
    }
    let now = state.config.clock.now();
    if request.ends_at.is_some_and(|end| end <= now) {
        return Err(ApiError::Unprocessable("`ends_at` is in the past".into()));
    }
    let action = match request.emergency_wait_hours {
        None if handing_over => Action::Administer,
        None => invite_action(request.role),
        Some(hours) => {
            if request.role != Role::Viewer {
                return Err(ApiError::Unprocessable(
                    "an emergency contact is a `viewer`".into(),
                ));
            }
            if hours == 0 || hours > MAX_EMERGENCY_WAIT_HOURS {
                return Err(ApiError::Unprocessable(format!(
                    "`emergency_wait_hours` is 1 to {MAX_EMERGENCY_WAIT_HOURS}"
                )));
            }
            Action::Administer
        }
    };
    let vault = authorize(&state, &principal, vault_id, action, "invited a caregiver").await?;
    if handing_over && !vault.dependant {
        return Err(ApiError::Unprocessable(
            "only a record held for a dependant can be handed over (role `owner`)".into(),
        ));
    }
    let db = state.storage.db();
    let invitee = memberships::Invitee {
        vault_id,
        role: request.role,
        name,
        invited_by: principal.account_id,
        ends_at: request.ends_at,
        emergency_wait: request
            .emergency_wait_hours
            .map(|hours| chrono::Duration::hours(hours.into())),
    };
    let new = memberships::invite(db, invitee, now).await?;
    owner_did(
        &state,
        &principal,
        &vault,
        "invited a caregiver",
        &match request.emergency_wait_hours {
            Some(hours) => format!("{name} as emergency contact ({hours} h wait)"),
            None => format!("{name} as {}", request.role),
        },
    )
    .await?;
    let link = format!(
        "{}/care/accept#{}",
        state.config.public_url.as_str().trim_end_matches('/'),
        new.secret
    );
    Ok((
        StatusCode::CREATED,
        Json(Invitation {
            id: new.membership.id,
            vault_id,
            role: request.role,
            name: name.to_owned(),
            ends_at: new.membership.ends_at,
            expires_at: new.membership.invitation_expires_at,
            link,
        }),
    ))
}

/// The record's caregivers and invitations, removed ones included.
#[utoipa::path(get, path = "/api/v1/vaults/{vault}/caregivers", tag = "caregivers",
    security(("device_token" = []), ("session" = [])), params(("vault" = Uuid, Path)),
    responses((status = 200, description = "The record's caregivers", body = Vec<Caregiver>), (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
) -> Result<Json<Vec<Caregiver>>, ApiError> {
    authorize(
        &state,
        &principal,
        vault_id,
        Action::InviteViewer,
        "looked at the caregivers",
    )
    .await?;
    let now = state.config.clock.now();
    let rows = memberships::for_vault(state.storage.db(), vault_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| caregiver(row, now))
            .collect::<Result<_, _>>()?,
    ))
}

/// The caregiver's side: take an invitation with one's own account. The server records the
/// account's public key; the owner's client checks it with the safety code before wrapping.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "caregivers",
    security(("device_token" = []), ("session" = [])), request_body = AcceptInvitation,
    responses(
        (status = 200, description = "The membership, with the owner's key for the safety code", body = AcceptedInvitation),
        (status = 404, description = "No such invitation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Taken already, or withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn accept(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<AcceptInvitation>,
) -> Result<Json<AcceptedInvitation>, ApiError> {
    let db = state.storage.db();
    let account = accounts::get(db, principal.account_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the account no longer exists".into()))?;
    let recipient = account.recipient.ok_or_else(|| {
        ApiError::Unprocessable("this account has no public key to share a record with".into())
    })?;
    let secret = request.secret.trim().trim_start_matches('#');
    let row = memberships::accept(
        db,
        secret,
        principal.account_id,
        &recipient,
        account.signing_key,
        state.config.clock.now(),
    )
    .await?;
    let owner = owner_recipient(&state, row.vault_id).await?;
    vault_events::record(
        db,
        row.vault_id,
        Some(principal.account_id),
        &row.name,
        "accepted the invitation",
        "waiting for the owner to compare the safety code",
    )
    .await?;
    Ok(Json(AcceptedInvitation {
        membership_id: row.id,
        vault_id: row.vault_id,
        role: role_of(&row)?,
        owner_recipient: owner,
    }))
}

async fn owner_recipient(state: &AppState, vault_id: Uuid) -> Result<String, ApiError> {
    let db = state.storage.db();
    let vault = vaults::find(db, vault_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such vault".into()))?;
    accounts::get(db, vault.owner_id)
        .await?
        .and_then(|owner| owner.recipient)
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("the owner of vault {vault_id} has no key"))
        })
}

/// The owner's client compared the safety code and wrapped the vault keys to the caregiver.
#[utoipa::path(post, path = "/api/v1/vaults/{vault}/caregivers/{caregiver}/confirm", tag = "caregivers",
    security(("device_token" = []), ("session" = [])), params(("vault" = Uuid, Path), ("caregiver" = Uuid, Path)),
    request_body = ConfirmCaregiver,
    responses(
        (status = 200, description = "The caregiver as the record now lists them", body = Caregiver),
        (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record or caregiver for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not accepted yet, confirmed already, or removed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The wraps are not age files, or miss the current epoch", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    principal: Principal,
    Path((vault_id, id)): Path<(Uuid, Uuid)>,
    ApiJson(request): ApiJson<ConfirmCaregiver>,
) -> Result<Json<Caregiver>, ApiError> {
    let db = state.storage.db();
    // An unknown id is answered after the vault check, so strangers learn nothing from it.
    let target = memberships::get(db, vault_id, id).await.ok();
    // Confirming a viewer is within a manager's right to invite one.
    let action = target
        .as_ref()
        .and_then(|m| m.role.parse().ok())
        .map_or(Action::ManageCaregivers, invite_action);
    let vault = authorize(
        &state,
        &principal,
        vault_id,
        action,
        "confirmed a caregiver",
    )
    .await?;
    let mut keys = Vec::with_capacity(request.wrapped_keys.len());
    for wrap in &request.wrapped_keys {
        let wrapped_key = wire::wrapped_key("wrapped_key", &wrap.wrapped_key)?;
        let epoch = i32::try_from(wrap.epoch).map_err(|_| {
            ApiError::Unprocessable(format!("key epoch {} is out of range", wrap.epoch))
        })?;
        keys.push(MemberKey { epoch, wrapped_key });
    }
    let now = state.config.clock.now();
    let row = memberships::confirm(db, vault_id, id, vault.epoch, keys, now).await?;
    owner_did(
        &state,
        &principal,
        &vault,
        "confirmed a caregiver",
        &format!("{} as {}", row.name, row.role),
    )
    .await?;
    Ok(Json(caregiver(row, now)?))
}

/// Remove a caregiver or withdraw an invitation: access ends at once and the server's keys
/// for them are deleted; the vault is marked due a rotation, which the owner's client does,
/// and nothing more is sealed to the old key until then. A removed manager's share links
/// and unconfirmed invitations end with them.
#[utoipa::path(delete, path = "/api/v1/vaults/{vault}/caregivers/{caregiver}", tag = "caregivers",
    security(("device_token" = []), ("session" = [])), params(("vault" = Uuid, Path), ("caregiver" = Uuid, Path)),
    responses(
        (status = 200, description = "The caregiver as removed, and what ended with their access", body = CaregiverRemoval),
        (status = 403, description = "No fresh proof (`action: remove_caregiver`), or the caller's role may not remove caregivers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record or caregiver for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Removed already", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path((vault_id, id)): Path<(Uuid, Uuid)>,
) -> Result<Json<CaregiverRemoval>, ApiError> {
    super::fresh_proof::require(
        &state,
        &principal,
        folio_shared::api::account::AccountCriticalAction::RemoveCaregiver,
    )
    .await?;
    let vault = authorize(
        &state,
        &principal,
        vault_id,
        Action::ManageCaregivers,
        "removed a caregiver",
    )
    .await?;
    let db = state.storage.db();
    let now = state.config.clock.now();
    let removal = memberships::revoke(db, vault_id, id, now).await?;
    let row = removal.membership;
    owner_did(&state, &principal, &vault, "removed a caregiver", &row.name).await?;
    Ok(Json(CaregiverRemoval {
        caregiver: caregiver(row, now)?,
        revoked_share_links: removal.revoked_links,
        withdrawn_invitations: removal.withdrawn_invitations,
    }))
}

/// The records the caller was invited to or helps with, with each owner's public key for the
/// safety code.
#[utoipa::path(get, path = "/api/v1/memberships", tag = "caregivers", security(("device_token" = []), ("session" = [])),
    responses((status = 200, description = "The records this account helps with", body = Vec<Membership>), (status = 404, description = "A record was deleted while the list was read; ask again", body = Problem, content_type = "application/problem+json")))]
pub async fn my_memberships(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Membership>>, ApiError> {
    let now = state.config.clock.now();
    let rows = memberships::for_account(state.storage.db(), principal.account_id).await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        list.push(membership(&state, &row, now).await?);
    }
    Ok(Json(list))
}

/// What caregivers did in the record and who came and went, newest first.
#[utoipa::path(get, path = "/api/v1/vaults/{vault}/activity", tag = "caregivers",
    security(("device_token" = []), ("session" = [])), params(("vault" = Uuid, Path)),
    responses((status = 200, description = "The record's activity log, newest first", body = Vec<ActivityEntry>), (status = 403, description = "Not allowed for this account or its role in the record", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn activity(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
) -> Result<Json<Vec<ActivityEntry>>, ApiError> {
    authorize(
        &state,
        &principal,
        vault_id,
        Action::ManageCaregivers,
        "read the activity log",
    )
    .await?;
    let events = vault_events::newest(state.storage.db(), vault_id).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| ActivityEntry {
                at: e.at,
                actor: e.actor,
                action: e.action,
                detail: e.detail,
            })
            .collect(),
    ))
}

/// An emergency contact asks for access to the record they stand by for. It opens when the
/// waiting period is over, unless the owner refuses first; the owner sees the request in
/// their caregiver list and activity log.
#[utoipa::path(post, path = "/api/v1/memberships/{membership}/request-access", tag = "caregivers",
    security(("device_token" = []), ("session" = [])), params(("membership" = Uuid, Path)),
    responses(
        (status = 200, description = "The membership", body = Membership),
        (status = 404, description = "No such membership for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not confirmed, removed, or asked already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an emergency contact", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn request_access(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Membership>, ApiError> {
    let db = state.storage.db();
    let now = state.config.clock.now();
    let row = memberships::request_access(db, id, principal.account_id, now).await?;
    let releases = memberships::releases_at(&row);
    vault_events::record(
        db,
        row.vault_id,
        Some(principal.account_id),
        &row.name,
        "asked for emergency access",
        &releases
            .map(|at| format!("opens {} unless refused", at.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default(),
    )
    .await?;
    Ok(Json(membership(&state, &row, now).await?))
}

/// The owner refuses a pending emergency request, within its waiting period.
#[utoipa::path(post, path = "/api/v1/vaults/{vault}/caregivers/{caregiver}/refuse", tag = "caregivers",
    security(("device_token" = []), ("session" = [])), params(("vault" = Uuid, Path), ("caregiver" = Uuid, Path)),
    responses(
        (status = 200, description = "The caregiver as the record now lists them", body = Caregiver),
        (status = 403, description = "Only the owner may refuse", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record or caregiver for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No pending request, or the wait is over", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refuse_access(
    State(state): State<AppState>,
    principal: Principal,
    Path((vault_id, id)): Path<(Uuid, Uuid)>,
) -> Result<Json<Caregiver>, ApiError> {
    let vault = authorize(
        &state,
        &principal,
        vault_id,
        Action::Administer,
        "refused emergency access",
    )
    .await?;
    let db = state.storage.db();
    let now = state.config.clock.now();
    let row = memberships::refuse_access(db, vault_id, id, now).await?;
    owner_did(
        &state,
        &principal,
        &vault,
        "refused emergency access",
        &row.name,
    )
    .await?;
    Ok(Json(caregiver(row, now)?))
}
