//! Caregivers through the API, on SQLite and PostgreSQL: the whole role × action matrix
//! (owner, manager, viewer, removed caregiver, stranger) on the real routes; a server that
//! swaps the caregiver's key is caught by the safety code; a removed caregiver's saved keys
//! open nothing sealed after the owner's client rotated; invitations are taken once.

use chrono::{Duration, Utc};
use folio_server::client::ClientError;
use folio_server::clock::Clock;
use folio_server::http::shares::{CreateShare, ShareFileUpload};
use folio_server::storage::entity::membership;
use folio_shared::api::care::{Caregiver, CaregiverRemoval, CaregiverStatus, CreateInvitation};
use folio_shared::api::{CompactionHead, MemberKeyWrap};
use folio_shared::care::{ConfirmError, Role, SafetyCode, wrap_for_caregiver};
use folio_shared::keys::{AccountRecipient, KeyEpoch};
use folio_shared::shl::{self, LinkKey};
use folio_shared::vault::{SealedSegment, VaultKeyring, compact, seal_attachment};
use folio_tests::vault_fixture::{Patient, marked_record};
use folio_tests::{Engine, TestServer, on_every_engine};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

on_every_engine!(
    every_role_may_do_what_its_role_allows_and_nothing_more,
    a_server_that_swaps_the_caregivers_key_is_caught_by_the_safety_code,
    a_removed_caregivers_keys_open_nothing_added_after_the_rotation,
    an_invitation_is_taken_once_by_someone_other_than_the_owner,
    emergency_access_opens_only_after_the_wait_and_a_refusal_blocks_it,
    a_parent_holds_a_childs_record_then_hands_it_to_the_child,
    uploads_to_a_removed_caregivers_key_wait_for_the_rotation,
    a_caregiver_whose_end_date_passed_counts_as_removed,
    removing_a_manager_ends_their_links_and_invitations,
);

fn invitation(role: Role, name: &str) -> CreateInvitation {
    CreateInvitation {
        role,
        name: name.into(),
        ends_at: None,
        emergency_wait_hours: None,
    }
}

fn keyring(patient: &Patient) -> VaultKeyring {
    VaultKeyring::new(patient.vault_id, patient.vault_key.clone())
}

/// `caregiver` takes `request`, an invitation from `owner` to the record `keyring` opens,
/// through the API, both sides deriving the safety code from what the server told them.
/// Returns the caregiver as confirmed.
async fn join_with(
    owner: &Patient,
    keyring: &VaultKeyring,
    caregiver: &Patient,
    request: &CreateInvitation,
) -> Caregiver {
    let vault = keyring.vault_id();
    let invited = owner.client.invite(vault, request).await.unwrap();
    let accepted = caregiver
        .client
        .accept_invitation(&invited.link)
        .await
        .unwrap();
    assert_eq!(accepted.role, request.role);
    let told_owner: AccountRecipient = accepted.owner_recipient.parse().unwrap();
    let on_their_screen =
        SafetyCode::derive(vault, &told_owner, &caregiver.account.recipient(), None);
    let listed = owner.client.caregivers(vault).await.unwrap();
    let entry = listed.iter().find(|c| c.id == invited.id).unwrap();
    assert_eq!(entry.status, CaregiverStatus::AwaitingConfirmation);
    let confirmation = wrap_for_caregiver(
        keyring,
        &owner.account.recipient(),
        entry.recipient.as_deref().unwrap(),
        entry.signing_key.as_ref(),
        &on_their_screen.to_string(),
    )
    .expect("the codes match when nobody swapped a key");
    owner
        .client
        .confirm_caregiver(vault, invited.id, &confirmation)
        .await
        .unwrap()
}

/// `caregiver` joins `owner`'s own record with `role`. Returns the membership id.
async fn join(owner: &Patient, caregiver: &Patient, role: Role) -> uuid::Uuid {
    let confirmed = join_with(owner, &keyring(owner), caregiver, &invitation(role, "Sam")).await;
    assert_eq!(confirmed.status, CaregiverStatus::Active);
    confirmed.id
}

fn status(result: Result<impl Sized, ClientError>) -> StatusCode {
    match result {
        Ok(_) => StatusCode::OK,
        Err(e) => e.status().unwrap_or_else(|| panic!("no HTTP status: {e}")),
    }
}

fn share_request() -> CreateShare {
    let key = LinkKey::generate();
    CreateShare {
        files: vec![ShareFileUpload {
            content_type: "application/fhir+json;fhirVersion=4.0.1".into(),
            jwe: shl::encrypt(&key, "application/fhir+json", b"{}", false),
        }],
        label: "For Dr Test".into(),
        expires_at: Utc::now() + Duration::days(1),
        passcode: None,
        max_attempts: None,
        max_opens: None,
        categories: Default::default(),
        direct_file: false,
    }
}

/// What each actor gets for each action, as HTTP statuses (200 stands for any success).
#[derive(Debug, PartialEq)]
struct Outcomes {
    read_log: StatusCode,
    read_keys: StatusCode,
    write_segment: StatusCode,
    write_attachment: StatusCode,
    see_shares: StatusCode,
    share: StatusCode,
    invite_viewer: StatusCode,
    invite_manager: StatusCode,
    list_caregivers: StatusCode,
    activity: StatusCode,
    compact: StatusCode,
}

async fn try_everything(owner: &Patient, actor: &Patient, tag: &str) -> Outcomes {
    let vault = owner.vault_id;
    let client = &actor.client;
    // Each actor has confirmed it is them, so their role alone decides.
    actor.confirm().await;
    let sealed = owner.sealer().seal(&marked_record(tag, "Actor")).unwrap();
    let attachment = seal_attachment(&owner.vault_key.recipient(), tag.as_bytes());
    // Compaction as the actor sees the log (or an empty log when they cannot read it).
    let (log, generation) = owner.client.all_segments(vault).await.unwrap();
    let segments: Vec<SealedSegment> = log.iter().map(|(_, s)| s.clone()).collect();
    let compacted = compact(&keyring(owner), &segments, &owner.sealer()).unwrap();
    let head = CompactionHead {
        generation,
        from_seq: 1,
        to_seq: log.last().unwrap().0 as i64,
        epoch: 1,
        recipient: None,
        wrapped_keys: vec![],
        write_signatures: vec![],
        roster: None,
    };
    Outcomes {
        read_log: status(client.all_segments(vault).await),
        read_keys: status(client.keys(vault).await),
        write_segment: status(client.upload(vault, &format!("w-{tag}"), &sealed[0]).await),
        write_attachment: status(
            client
                .put_attachment(vault, uuid::Uuid::new_v4(), attachment)
                .await,
        ),
        see_shares: status(client.shares(vault).await),
        share: status(client.create_share(vault, &share_request()).await),
        invite_viewer: status(client.invite(vault, &invitation(Role::Viewer, tag)).await),
        invite_manager: status(client.invite(vault, &invitation(Role::Manager, tag)).await),
        list_caregivers: status(client.caregivers(vault).await),
        activity: status(client.activity(vault).await),
        compact: status(client.compact(vault, &head, &compacted).await),
    }
}

const OK: StatusCode = StatusCode::OK;
const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;
const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;

async fn every_role_may_do_what_its_role_allows_and_nothing_more(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    owner.confirm().await;
    owner.upload_marker("matrix").await;
    let manager = Patient::sign_up(&server).await;
    let viewer = Patient::sign_up(&server).await;
    let removed = Patient::sign_up(&server).await;
    let stranger = Patient::sign_up(&server).await;
    join(&owner, &manager, Role::Manager).await;
    join(&owner, &viewer, Role::Viewer).await;
    let removed_id = join(&owner, &removed, Role::Manager).await;

    let outsider = Outcomes {
        read_log: NOT_FOUND,
        read_keys: NOT_FOUND,
        write_segment: NOT_FOUND,
        write_attachment: NOT_FOUND,
        see_shares: NOT_FOUND,
        share: NOT_FOUND,
        invite_viewer: NOT_FOUND,
        invite_manager: NOT_FOUND,
        list_caregivers: NOT_FOUND,
        activity: NOT_FOUND,
        compact: NOT_FOUND,
    };
    assert_eq!(
        try_everything(&owner, &stranger, "stranger").await,
        outsider,
        "stranger"
    );
    assert_eq!(
        try_everything(&owner, &viewer, "viewer").await,
        Outcomes {
            read_log: OK,
            read_keys: OK,
            write_segment: FORBIDDEN,
            write_attachment: FORBIDDEN,
            see_shares: OK,
            share: FORBIDDEN,
            invite_viewer: FORBIDDEN,
            invite_manager: FORBIDDEN,
            list_caregivers: FORBIDDEN,
            activity: FORBIDDEN,
            compact: FORBIDDEN,
        },
        "viewer"
    );
    assert_eq!(
        try_everything(&owner, &manager, "manager").await,
        Outcomes {
            read_log: OK,
            read_keys: OK,
            write_segment: OK,
            write_attachment: OK,
            see_shares: OK,
            share: OK,
            invite_viewer: OK,
            invite_manager: FORBIDDEN,
            list_caregivers: OK,
            activity: FORBIDDEN,
            compact: FORBIDDEN,
        },
        "manager"
    );
    assert_eq!(
        try_everything(&owner, &owner, "owner").await,
        Outcomes {
            read_log: OK,
            read_keys: OK,
            write_segment: OK,
            write_attachment: OK,
            see_shares: OK,
            share: OK,
            invite_viewer: OK,
            invite_manager: OK,
            list_caregivers: OK,
            activity: OK,
            compact: OK,
        },
        "owner"
    );
    // Removed last: until the owner's client rotates, nothing more is sealed to the old key.
    owner
        .client
        .remove_caregiver(owner.vault_id, removed_id)
        .await
        .unwrap();
    assert_eq!(
        try_everything(&owner, &removed, "removed").await,
        outsider,
        "removed caregiver"
    );

    // What the caregivers did is in the owner's activity log, under the owner's name for them.
    let activity = owner.client.activity(owner.vault_id).await.unwrap();
    assert!(
        activity
            .iter()
            .any(|e| e.actor == "Sam" && e.action == "added records" && e.detail == "manager"),
        "{activity:#?}"
    );
    assert!(
        activity
            .iter()
            .any(|e| e.actor == "Sam" && e.action == "read the record" && e.detail == "viewer"),
        "{activity:#?}"
    );
    // The caregivers see the record in their list with their role; the removed one does not.
    let listed = viewer.client.vaults().await.unwrap();
    assert!(
        listed
            .iter()
            .any(|v| v.id == owner.vault_id.0 && v.role == "viewer"),
        "{listed:?}"
    );
    let listed = removed.client.vaults().await.unwrap();
    assert!(
        listed.iter().all(|v| v.id != owner.vault_id.0),
        "{listed:?}"
    );
    // Only the owner deletes the record.
    assert_eq!(
        status(manager.client.delete_vault(owner.vault_id).await),
        FORBIDDEN
    );
    assert_eq!(status(owner.client.delete_vault(owner.vault_id).await), OK);
    server.stop().await;
}

async fn a_server_that_swaps_the_caregivers_key_is_caught_by_the_safety_code(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    owner.confirm().await;
    owner.upload_marker("swap").await;
    let caregiver = Patient::sign_up(&server).await;
    let invited = owner
        .client
        .invite(owner.vault_id, &invitation(Role::Viewer, "Sam"))
        .await
        .unwrap();
    let accepted = caregiver
        .client
        .accept_invitation(&invited.link)
        .await
        .unwrap();
    let on_their_screen = SafetyCode::derive(
        owner.vault_id,
        &accepted.owner_recipient.parse().unwrap(),
        &caregiver.account.recipient(),
        None,
    );

    // The server, turned malicious, reports a key of its own as the caregiver's.
    let its_own = folio_shared::keys::AccountIdentity::generate().recipient();
    let db = server.server().storage().db();
    membership::Entity::update_many()
        .col_expr(
            membership::Column::Recipient,
            Expr::value(its_own.to_string()),
        )
        .filter(membership::Column::Id.eq(invited.id))
        .exec(db)
        .await
        .unwrap();
    let listed = owner.client.caregivers(owner.vault_id).await.unwrap();
    let reported = listed[0].recipient.clone().unwrap();
    assert_eq!(reported, its_own.to_string());

    let on_owner_screen = folio_shared::care::owner_safety_code(
        &keyring(&owner),
        &owner.account.recipient(),
        &reported,
        None,
    )
    .unwrap();
    assert_ne!(on_owner_screen, on_their_screen, "the two screens differ");
    let refused = wrap_for_caregiver(
        &keyring(&owner),
        &owner.account.recipient(),
        &reported,
        None,
        &on_their_screen.to_string(),
    );
    assert_eq!(refused.unwrap_err(), ConfirmError::CodeMismatch);
    // Nothing was wrapped, so nothing was confirmed: the caregiver reads nothing.
    assert_eq!(
        status(caregiver.client.all_segments(owner.vault_id).await),
        NOT_FOUND
    );
    let listed = owner.client.caregivers(owner.vault_id).await.unwrap();
    assert_eq!(listed[0].status, CaregiverStatus::AwaitingConfirmation);
    server.stop().await;
}

async fn a_removed_caregivers_keys_open_nothing_added_after_the_rotation(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    owner.confirm().await;
    owner.upload_marker("before-removal").await;
    let kept = Patient::sign_up(&server).await;
    let removed = Patient::sign_up(&server).await;
    join(&owner, &kept, Role::Viewer).await;
    let removed_id = join(&owner, &removed, Role::Manager).await;

    // What the caregiver keeps when they go: every key the server had for them.
    let saved: Vec<_> = removed
        .client
        .keys(owner.vault_id)
        .await
        .unwrap()
        .into_iter()
        .map(|(epoch, wrapped)| {
            wrapped
                .unwrap_vault(&removed.account, KeyEpoch(epoch))
                .unwrap()
        })
        .collect();
    let mut saved_keyring = VaultKeyring::new(owner.vault_id, saved[0].clone());
    for key in &saved[1..] {
        saved_keyring.insert(key.clone());
    }

    owner
        .client
        .remove_caregiver(owner.vault_id, removed_id)
        .await
        .unwrap();
    assert!(
        owner
            .client
            .vault(owner.vault_id)
            .await
            .unwrap()
            .rotation_due
    );
    let rotated = owner
        .client
        .rotate_key(owner.vault_id, &owner.account, &keyring(&owner))
        .await
        .unwrap();
    assert_eq!(rotated.current().epoch(), KeyEpoch(2));
    assert!(
        !owner
            .client
            .vault(owner.vault_id)
            .await
            .unwrap()
            .rotation_due
    );

    // The owner adds something after the rotation; the caregiver has a copy of every segment.
    let sealer = folio_shared::vault::Sealer::for_identity(owner.vault_id, rotated.current());
    for (i, segment) in sealer
        .seal(&marked_record("after-removal", "Later"))
        .unwrap()
        .iter()
        .enumerate()
    {
        owner
            .client
            .upload(owner.vault_id, &format!("after-{i}"), segment)
            .await
            .unwrap();
    }
    let (copy, _) = owner.client.all_segments(owner.vault_id).await.unwrap();
    assert!(copy.iter().all(|(_, s)| s.epoch() == KeyEpoch(2)));
    for (_, segment) in &copy {
        assert!(
            saved_keyring.entries(segment).is_err(),
            "a saved key opened a segment sealed after the rotation"
        );
    }
    // The caregiver who stays was re-wrapped and reads everything, old and new.
    let kept_keys = kept.client.keys(owner.vault_id).await.unwrap();
    let newest = kept_keys.iter().find(|(epoch, _)| *epoch == 2).unwrap();
    let kept_keyring = VaultKeyring::new(
        owner.vault_id,
        newest.1.unwrap_vault(&kept.account, KeyEpoch(2)).unwrap(),
    );
    let contents = kept_keyring.open(copy.iter().map(|(_, s)| s));
    assert!(
        contents.len() >= 2,
        "both records open for the caregiver who stays"
    );

    // A rotation that leaves out a caregiver who keeps access is refused.
    let (log, generation) = owner.client.all_segments(owner.vault_id).await.unwrap();
    let rotation = folio_shared::vault::rotate(&rotated, log.iter().map(|(_, s)| s)).unwrap();
    let head = CompactionHead {
        generation,
        from_seq: 1,
        to_seq: log.last().unwrap().0 as i64,
        epoch: 3,
        recipient: Some(rotation.identity.recipient().to_string()),
        wrapped_keys: vec![MemberKeyWrap {
            account_id: owner.account_id,
            wrapped_key: folio_tests::passkey_account::b64(
                rotation
                    .identity
                    .wrap_to(&owner.account.recipient())
                    .as_bytes(),
            ),
        }],
        write_signatures: vec![],
        roster: None,
    };
    assert_eq!(
        status(
            owner
                .client
                .compact(owner.vault_id, &head, &rotation.segments)
                .await
        ),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    server.stop().await;
}

async fn an_invitation_is_taken_once_by_someone_other_than_the_owner(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    owner.confirm().await;
    let caregiver = Patient::sign_up(&server).await;
    let latecomer = Patient::sign_up(&server).await;
    let invited = owner
        .client
        .invite(owner.vault_id, &invitation(Role::Viewer, "Sam"))
        .await
        .unwrap();
    assert!(
        invited.link.contains("/care/accept#fi_"),
        "{}",
        invited.link
    );
    assert_eq!(
        status(owner.client.accept_invitation(&invited.link).await),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the owner cannot take their own invitation"
    );
    assert_eq!(
        status(caregiver.client.accept_invitation("fi_not-a-secret").await),
        NOT_FOUND
    );
    caregiver
        .client
        .accept_invitation(&invited.link)
        .await
        .unwrap();
    assert_eq!(
        status(latecomer.client.accept_invitation(&invited.link).await),
        StatusCode::CONFLICT,
        "an invitation is taken once"
    );
    // A confirmation must carry the vault's current key, as an age file.
    let bad = folio_shared::api::care::ConfirmCaregiver {
        wrapped_keys: vec![],
    };
    assert_eq!(
        status(
            owner
                .client
                .confirm_caregiver(owner.vault_id, invited.id, &bad)
                .await
        ),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Bad invitations: the owner role, an empty name, an end in the past.
    for request in [
        invitation(Role::Owner, "Sam"),
        invitation(Role::Viewer, "  "),
        CreateInvitation {
            ends_at: Some(Utc::now() - Duration::hours(1)),
            ..invitation(Role::Viewer, "Sam")
        },
    ] {
        assert_eq!(
            status(owner.client.invite(owner.vault_id, &request).await),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{request:?}"
        );
    }
    // A late invitation answers 410.
    let late = owner
        .client
        .invite(owner.vault_id, &invitation(Role::Viewer, "Late"))
        .await
        .unwrap();
    let db = server.server().storage().db();
    membership::Entity::update_many()
        .col_expr(
            membership::Column::InvitationExpiresAt,
            Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .filter(membership::Column::Id.eq(late.id))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        status(latecomer.client.accept_invitation(&late.link).await),
        StatusCode::GONE
    );
    // The caregiver lists what they were invited to, with the owner's key for the code.
    let mine = caregiver.client.memberships().await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].status, CaregiverStatus::AwaitingConfirmation);
    assert_eq!(
        mine[0].owner_recipient,
        owner.account.recipient().to_string()
    );
    server.stop().await;
}

async fn emergency_access_opens_only_after_the_wait_and_a_refusal_blocks_it(engine: Engine) {
    let clock = Clock::default();
    let server = TestServer::start_with(engine, |c| c.clock = clock.clone()).await;
    let owner = Patient::sign_up(&server).await;
    owner.confirm().await;
    owner.upload_marker("emergency").await;
    let contact = Patient::sign_up(&server).await;

    // Named with a two-day wait, accepted, and confirmed with the key in escrow.
    let confirmed = join_with(
        &owner,
        &keyring(&owner),
        &contact,
        &CreateInvitation {
            emergency_wait_hours: Some(48),
            ..invitation(Role::Viewer, "Alex")
        },
    )
    .await;
    assert_eq!(confirmed.status, CaregiverStatus::Standby);
    // Standing by, the contact gets nothing: not the record, not the escrowed key.
    assert_eq!(status(contact.client.keys(owner.vault_id).await), NOT_FOUND);

    // A request, refused by the owner within the wait, never opens.
    contact.client.request_access(confirmed.id).await.unwrap();
    assert_eq!(
        status(contact.client.request_access(confirmed.id).await),
        StatusCode::CONFLICT,
        "one request at a time"
    );
    let pending = owner.client.caregivers(owner.vault_id).await.unwrap();
    assert_eq!(pending[0].status, CaregiverStatus::AccessRequested);
    clock.advance(Duration::hours(47));
    assert_eq!(status(contact.client.keys(owner.vault_id).await), NOT_FOUND);
    let refused = owner
        .client
        .refuse_access(owner.vault_id, confirmed.id)
        .await
        .unwrap();
    assert_eq!(refused.status, CaregiverStatus::Standby);
    clock.advance(Duration::hours(2));
    assert_eq!(
        status(contact.client.keys(owner.vault_id).await),
        NOT_FOUND,
        "a refused request stays closed after its wait"
    );

    // A new request, not refused: closed until the wait is over, open after.
    let requested = contact.client.request_access(confirmed.id).await.unwrap();
    let opens = requested.releases_at.unwrap();
    clock.advance(Duration::hours(47) + Duration::minutes(59));
    assert_eq!(status(contact.client.keys(owner.vault_id).await), NOT_FOUND);
    clock.advance(Duration::minutes(2));
    assert!(clock.now() >= opens);
    let keys = contact.client.keys(owner.vault_id).await.unwrap();
    let identity = keys[0]
        .1
        .unwrap_vault(&contact.account, KeyEpoch(keys[0].0))
        .unwrap();
    let (log, _) = contact.client.all_segments(owner.vault_id).await.unwrap();
    let contents = VaultKeyring::new(owner.vault_id, identity).open(log.iter().map(|(_, s)| s));
    assert!(
        !contents.is_empty(),
        "released: the contact reads the record"
    );
    // Released, the contact is a viewer: reading, not writing.
    let sealed = owner.sealer().seal(&marked_record("late", "Late")).unwrap();
    assert_eq!(
        status(
            contact
                .client
                .upload(owner.vault_id, "late", &sealed[0])
                .await
        ),
        FORBIDDEN
    );
    // Too late to refuse now; the owner removes them instead.
    assert_eq!(
        status(
            owner
                .client
                .refuse_access(owner.vault_id, confirmed.id)
                .await
        ),
        StatusCode::CONFLICT
    );
    let activity = owner.client.activity(owner.vault_id).await.unwrap();
    assert!(
        activity
            .iter()
            .any(|e| e.actor == "Alex" && e.action == "asked for emergency access"),
        "{activity:#?}"
    );
    server.stop().await;
}

async fn a_parent_holds_a_childs_record_then_hands_it_to_the_child(engine: Engine) {
    let server = TestServer::start(engine).await;
    let parent = Patient::sign_up(&server).await;
    parent.confirm().await;
    let child = Patient::sign_up(&server).await;

    // The parent makes a second record, held for the child, and fills it.
    let kid_vault = folio_shared::vault::VaultId(uuid::Uuid::new_v4());
    let kid_key = folio_shared::keys::VaultIdentity::generate(KeyEpoch::FIRST);
    let made = parent
        .client
        .create_vault_as(
            kid_vault,
            &kid_key,
            &kid_key.wrap_to(&parent.account.recipient()),
            true,
        )
        .await
        .unwrap();
    assert!(made.dependant && made.role == "owner");
    let sealer = folio_shared::vault::Sealer::for_identity(kid_vault, &kid_key);
    let sealed = sealer.seal(&marked_record("kid", "Kid")).unwrap();
    parent
        .client
        .upload(kid_vault, "kid-0", &sealed[0])
        .await
        .unwrap();
    // The parent's own record is still the one that is theirs.
    let listed = parent.client.vaults().await.unwrap();
    let own: Vec<_> = listed.iter().filter(|v| v.is_own_record()).collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].id, parent.vault_id.0);
    // Only a dependant's record is handed over.
    assert_eq!(
        status(
            parent
                .client
                .invite(parent.vault_id, &invitation(Role::Owner, "Kim"))
                .await
        ),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Hand-over: an owner invitation, accepted by the child, confirmed by safety code.
    join_with(
        &parent,
        &VaultKeyring::new(kid_vault, kid_key.clone()),
        &child,
        &invitation(Role::Owner, "Kim"),
    )
    .await;

    // The child owns it now, as their own record; the parent helps as a manager.
    let theirs = child.client.vault(kid_vault).await.unwrap();
    assert_eq!((theirs.role.as_str(), theirs.dependant), ("owner", false));
    assert_eq!(
        parent.client.vault(kid_vault).await.unwrap().role,
        "manager"
    );
    let keys = child.client.keys(kid_vault).await.unwrap();
    let identity = keys[0]
        .1
        .unwrap_vault(&child.account, KeyEpoch(keys[0].0))
        .unwrap();
    let (log, _) = child.client.all_segments(kid_vault).await.unwrap();
    let contents = VaultKeyring::new(kid_vault, identity.clone()).open(log.iter().map(|(_, s)| s));
    assert!(!contents.is_empty(), "the child reads their record");
    assert_eq!(
        status(parent.client.delete_vault(kid_vault).await),
        FORBIDDEN,
        "the parent no longer administers it"
    );

    // The new owner removes the parent and rotates: the parent reads nothing more.
    let caregivers = child.client.caregivers(kid_vault).await.unwrap();
    let previous = caregivers
        .iter()
        .find(|c| c.account_id == Some(parent.account_id))
        .unwrap();
    assert_eq!(previous.status, CaregiverStatus::Active);
    child.confirm().await;
    child
        .client
        .remove_caregiver(kid_vault, previous.id)
        .await
        .unwrap();
    let rotated = child
        .client
        .rotate_key(
            kid_vault,
            &child.account,
            &VaultKeyring::new(kid_vault, identity),
        )
        .await
        .unwrap();
    assert_eq!(rotated.current().epoch(), KeyEpoch(2));
    assert_eq!(
        status(parent.client.all_segments(kid_vault).await),
        NOT_FOUND
    );
    server.stop().await;
}

/// The status and problem detail of an upload of a record marked `tag`, sealed by `sealer`.
async fn upload_as(
    owner: &Patient,
    sealer: &folio_shared::vault::Sealer,
    tag: &str,
) -> (StatusCode, String) {
    let sealed = sealer.seal(&marked_record(tag, "Later")).unwrap();
    match owner
        .client
        .upload(owner.vault_id, &format!("up-{tag}"), &sealed[0])
        .await
    {
        Ok(_) => (StatusCode::CREATED, String::new()),
        Err(ClientError::Problem { status, problem }) => {
            (status, problem.detail.unwrap_or_default())
        }
        Err(e) => panic!("no HTTP status: {e}"),
    }
}

async fn uploads_to_a_removed_caregivers_key_wait_for_the_rotation(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    owner.confirm().await;
    owner.upload_marker("before").await;
    let removed = Patient::sign_up(&server).await;
    let removed_id = join(&owner, &removed, Role::Manager).await;
    // Someone is waiting for the owner's confirmation when the removal lands.
    let newcomer = Patient::sign_up(&server).await;
    let invited = owner
        .client
        .invite(owner.vault_id, &invitation(Role::Viewer, "Newcomer"))
        .await
        .unwrap();
    let accepted = newcomer
        .client
        .accept_invitation(&invited.link)
        .await
        .unwrap();
    owner
        .client
        .remove_caregiver(owner.vault_id, removed_id)
        .await
        .unwrap();

    // The removed caregiver kept epoch 1's key: nothing more is sealed or wrapped to it.
    let (refused, detail) = upload_as(&owner, &owner.sealer(), "stale").await;
    assert_eq!(refused, StatusCode::CONFLICT);
    assert!(detail.contains("rotate the record's key first"), "{detail}");
    let attachment = seal_attachment(&owner.vault_key.recipient(), b"a letter");
    assert_eq!(
        status(
            owner
                .client
                .put_attachment(owner.vault_id, uuid::Uuid::new_v4(), attachment)
                .await
        ),
        StatusCode::CONFLICT
    );
    let code = SafetyCode::derive(
        owner.vault_id,
        &accepted.owner_recipient.parse().unwrap(),
        &newcomer.account.recipient(),
        None,
    );
    let wraps_old_key = wrap_for_caregiver(
        &keyring(&owner),
        &owner.account.recipient(),
        &newcomer.account.recipient().to_string(),
        None,
        &code.to_string(),
    )
    .unwrap();
    assert_eq!(
        status(
            owner
                .client
                .confirm_caregiver(owner.vault_id, invited.id, &wraps_old_key)
                .await
        ),
        StatusCode::CONFLICT
    );

    // The rotation itself is taken; then the new key is.
    let rotated = owner
        .client
        .rotate_key(owner.vault_id, &owner.account, &keyring(&owner))
        .await
        .unwrap();
    let sealer = folio_shared::vault::Sealer::for_identity(owner.vault_id, rotated.current());
    assert_eq!(
        upload_as(&owner, &sealer, "fresh").await.0,
        StatusCode::CREATED
    );
    let wraps_new_key = wrap_for_caregiver(
        &rotated,
        &owner.account.recipient(),
        &newcomer.account.recipient().to_string(),
        None,
        &code.to_string(),
    )
    .unwrap();
    owner
        .client
        .confirm_caregiver(owner.vault_id, invited.id, &wraps_new_key)
        .await
        .unwrap();
    server.stop().await;
}

async fn a_caregiver_whose_end_date_passed_counts_as_removed(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    owner.confirm().await;
    let helper = Patient::sign_up(&server).await;
    let request = CreateInvitation {
        ends_at: Some(Utc::now() + Duration::days(30)),
        ..invitation(Role::Viewer, "Locum")
    };
    let joined = join_with(&owner, &keyring(&owner), &helper, &request).await;
    assert_eq!(
        upload_as(&owner, &owner.sealer(), "while-helping").await.0,
        StatusCode::CREATED
    );

    // The end date passes; no request marks it.
    let db = server.server().storage().db();
    membership::Entity::update_many()
        .col_expr(
            membership::Column::EndsAt,
            Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .filter(membership::Column::Id.eq(joined.id))
        .exec(db)
        .await
        .unwrap();
    let (refused, detail) = upload_as(&owner, &owner.sealer(), "after-the-end").await;
    assert_eq!(refused, StatusCode::CONFLICT);
    assert!(detail.contains("rotate the record's key first"), "{detail}");
    assert!(
        owner
            .client
            .vault(owner.vault_id)
            .await
            .unwrap()
            .rotation_due
    );
    let marked = folio_server::storage::vaults::find(db, owner.vault_id.0)
        .await
        .unwrap()
        .unwrap();
    assert!(marked.rotation_due_at.is_some(), "marked when found");

    let rotated = owner
        .client
        .rotate_key(owner.vault_id, &owner.account, &keyring(&owner))
        .await
        .unwrap();
    assert!(
        !owner
            .client
            .vault(owner.vault_id)
            .await
            .unwrap()
            .rotation_due,
        "the ended caregiver holds no key of the new epoch"
    );
    let sealer = folio_shared::vault::Sealer::for_identity(owner.vault_id, rotated.current());
    assert_eq!(
        upload_as(&owner, &sealer, "after-rotation").await.0,
        StatusCode::CREATED
    );
    server.stop().await;
}

async fn removing_a_manager_ends_their_links_and_invitations(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    owner.confirm().await;
    owner.upload_marker("shared").await;
    let manager = Patient::sign_up(&server).await;
    manager.confirm().await;
    let manager_id = join(&owner, &manager, Role::Manager).await;
    let their_link = manager
        .client
        .create_share(owner.vault_id, &share_request())
        .await
        .unwrap();
    let owners_link = owner
        .client
        .create_share(owner.vault_id, &share_request())
        .await
        .unwrap();
    let their_invitation = manager
        .client
        .invite(owner.vault_id, &invitation(Role::Viewer, "Their friend"))
        .await
        .unwrap();
    let owners_invitation = owner
        .client
        .invite(owner.vault_id, &invitation(Role::Viewer, "Owner's friend"))
        .await
        .unwrap();
    let manifest = |link: String| {
        let url = server.url(&format!("/shl/{link}"));
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&serde_json::json!({"recipient": "Dr Test"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(manifest(their_link.link_id.clone()).await, StatusCode::OK);

    let removal: CaregiverRemoval = reqwest::Client::new()
        .delete(server.url(&format!(
            "/api/v1/vaults/{}/caregivers/{manager_id}",
            owner.vault_id.0
        )))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(removal.caregiver.status, CaregiverStatus::Revoked);
    assert_eq!(
        (removal.revoked_share_links, removal.withdrawn_invitations),
        (1, 1)
    );

    // Their link answers as if it never was; the owner's keeps working.
    assert_eq!(manifest(their_link.link_id).await, StatusCode::NOT_FOUND);
    assert_eq!(manifest(owners_link.link_id).await, StatusCode::OK);
    // Their invitation can no longer be taken; the owner's still can.
    let friend = Patient::sign_up(&server).await;
    assert_eq!(
        status(
            friend
                .client
                .accept_invitation(&their_invitation.link)
                .await
        ),
        StatusCode::CONFLICT
    );
    friend
        .client
        .accept_invitation(&owners_invitation.link)
        .await
        .unwrap();
    // The owner is told.
    let activity = owner.client.activity(owner.vault_id).await.unwrap();
    assert!(
        activity.iter().any(|e| e.actor == "Sam"
            && e.action == "links and invitations withdrawn"
            && e.detail.starts_with("1 share link and 1 invitation")),
        "{activity:#?}"
    );
    server.stop().await;
}
