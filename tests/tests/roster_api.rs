//! Signed writes on the server, on SQLite and PostgreSQL: an account registers its signing
//! key; the owner starts the record's member list; from then on every segment and every
//! compaction must carry the signature of a member the list allows, and the server keeps
//! the signature for clients to check. A list rolled back in the database is caught by the
//! client that pinned its head.

use base64::Engine as _;
use chrono::Utc;
use folio_server::client::ClientError;
use folio_server::storage::entity::{roster_entry, vault_key};
use folio_shared::api::account::AccountUnlock;
use folio_shared::api::roster::{
    AccountSigningKey, RosterAppendRequest, RosterEntries, decode_write_signature,
    encode_write_signature, write_headers,
};
use folio_shared::api::{CompactionHead, SegmentOrigins};
use folio_shared::care::Role;
use folio_shared::keys::{KeyEpoch, SigningKey, VaultIdentity, WrappedKey};
use folio_shared::record::EntryId;
use folio_shared::roster::{
    Member, Roster, RosterAppend, RosterChange, RosterError, SignedRosterEntry, WriteKind,
    WriteStatement, sign_write, verify_write,
};
use folio_shared::vault::{SealedSegment, SetAsideReason};
use folio_tests::vault_fixture::{Patient, marked_record, store_as_the_server};
use folio_tests::{Engine, TestServer, on_every_engine};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

on_every_engine!(
    an_account_registers_one_signing_key,
    once_a_record_has_a_member_list_every_write_is_signed_by_a_member,
    a_member_list_rolled_back_in_the_database_is_caught_by_the_pinned_head,
    what_the_server_writes_itself_is_set_aside_or_refused,
    a_rotation_brings_its_new_epoch_to_the_member_list_in_one_step,
    a_caregiver_joins_the_list_and_a_swapped_key_gets_nothing_at_the_rotation,
);

async fn call(
    server: &TestServer,
    patient: &Patient,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .request(method, server.url(path))
        .bearer_auth(&patient.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn register(server: &TestServer, patient: &Patient, key: &SigningKey) -> StatusCode {
    let body = AccountSigningKey::of(key, &patient.account);
    call(
        server,
        patient,
        Method::PUT,
        "/api/v1/account/signing-key",
        Some(serde_json::to_value(body).unwrap()),
    )
    .await
    .0
}

fn owner_member(patient: &Patient, key: &SigningKey) -> Member {
    Member {
        account: patient.account_id,
        name: "Martha".into(),
        role: Role::Owner,
        signing_key: key.public_key(),
        recipient: patient.account.recipient(),
    }
}

/// The owner's genesis entry and the first key epoch, signed with `key`.
fn genesis(patient: &Patient, key: &SigningKey) -> Vec<SignedRosterEntry> {
    let mut append = RosterAppend::genesis(
        patient.vault_id,
        key,
        owner_member(patient, key),
        Utc::now(),
    )
    .unwrap();
    append
        .push(
            RosterChange::NewEpoch {
                epoch: KeyEpoch::FIRST,
                vault_recipient: patient.vault_key.recipient(),
            },
            Utc::now(),
        )
        .unwrap();
    append.finish().1
}

async fn append(
    server: &TestServer,
    patient: &Patient,
    after: u64,
    entries: Vec<SignedRosterEntry>,
) -> (StatusCode, Value) {
    let body = RosterAppendRequest { after, entries };
    call(
        server,
        patient,
        Method::POST,
        &format!("/api/v1/vaults/{}/roster", patient.vault_id.0),
        Some(serde_json::to_value(body).unwrap()),
    )
    .await
}

async fn roster_entries(server: &TestServer, patient: &Patient) -> Vec<SignedRosterEntry> {
    let (status, body) = call(
        server,
        patient,
        Method::GET,
        &format!("/api/v1/vaults/{}/roster", patient.vault_id.0),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value::<RosterEntries>(body)
        .unwrap()
        .entries
}

fn one_segment(patient: &Patient, marker: &str) -> SealedSegment {
    patient
        .sealer()
        .seal(&marked_record(marker, "Martha"))
        .unwrap()
        .remove(0)
}

/// Uploads `segment` with `signature` in the header (if any); the status and problem.
async fn upload(
    server: &TestServer,
    patient: &Patient,
    key: &str,
    segment: &SealedSegment,
    signature: Option<String>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .put(server.url(&format!(
            "/api/v1/vaults/{}/segments/{key}",
            patient.vault_id.0
        )))
        .bearer_auth(&patient.token)
        .header("content-type", "application/octet-stream")
        .body(segment.as_bytes().to_vec());
    if let Some(signature) = signature {
        request = request.header(write_headers::WRITE_SIGNATURE, signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn signed(patient: &Patient, key: &SigningKey, kind: WriteKind, bytes: &[u8]) -> String {
    let statement =
        WriteStatement::for_ciphertext(patient.vault_id, patient.vault_key.epoch(), kind, bytes);
    encode_write_signature(&sign_write(key, &statement))
}

fn detail(problem: &Value) -> String {
    problem["detail"].as_str().unwrap_or_default().to_owned()
}

/// Whoever holds the server's database adds a segment of its own to `owner`'s record,
/// sealed to the record's public recipient and carrying `marker`; no member signed it.
/// Returns its seq.
async fn forge_segment(server: &TestServer, owner: &Patient, marker: &str) -> i64 {
    let forged = owner
        .sealer()
        .seal(&marked_record(marker, "Martha"))
        .unwrap()
        .remove(0);
    store_as_the_server(server.server().storage().db(), owner.vault_id, &forged).await
}

async fn an_account_registers_one_signing_key(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = SigningKey::generate();

    let (_, unlock) = call(
        &server,
        &patient,
        Method::GET,
        "/api/v1/account/unlock",
        None,
    )
    .await;
    let unlock: AccountUnlock = serde_json::from_value(unlock).unwrap();
    assert!(unlock.signing_key.is_none(), "none until one is registered");

    assert_eq!(
        register(&server, &patient, &key).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        register(&server, &patient, &key).await,
        StatusCode::NO_CONTENT,
        "the same key again is a no-op"
    );
    assert_eq!(
        register(&server, &patient, &SigningKey::generate()).await,
        StatusCode::CONFLICT,
        "another key does not replace it"
    );
    let (status, problem) = call(
        &server,
        &patient,
        Method::PUT,
        "/api/v1/account/signing-key",
        Some(json!({ "public_key": key.public_key().to_string(), "wrapped_key": "bm90IGFnZQ" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // Another device of the account unwraps the same key with the account identity.
    let (_, unlock) = call(
        &server,
        &patient,
        Method::GET,
        "/api/v1/account/unlock",
        None,
    )
    .await;
    let unlock: AccountUnlock = serde_json::from_value(unlock).unwrap();
    let registered = unlock.signing_key.expect("the registered key");
    assert_eq!(registered.public_key, key.public_key());
    let wrapped = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&registered.wrapped_key)
        .unwrap();
    let unwrapped = SigningKey::unwrap(&WrappedKey::from_bytes(wrapped), &patient.account).unwrap();
    assert_eq!(unwrapped.public_key(), key.public_key());
    server.stop().await;
}

async fn once_a_record_has_a_member_list_every_write_is_signed_by_a_member(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    let stranger = Patient::sign_up(&server).await;
    let key = SigningKey::generate();
    let strangers_key = SigningKey::generate();
    register(&server, &owner, &key).await;
    register(&server, &stranger, &strangers_key).await;

    // Written before signing: an unsigned segment is taken, as before.
    let legacy = one_segment(&owner, "legacy");
    assert_eq!(
        upload(&server, &owner, "legacy", &legacy, None).await.0,
        StatusCode::CREATED
    );
    assert!(roster_entries(&server, &owner).await.is_empty());

    // Only the owner's registered key starts the list.
    let unregistered = SigningKey::generate();
    let (status, problem) = append(&server, &owner, 0, genesis(&owner, &unregistered)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, _) = append(&server, &stranger, 0, genesis(&owner, &strangers_key)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a stranger is not on the record"
    );
    let (status, body) = append(&server, &owner, 0, genesis(&owner, &key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entries"], 2);
    let (status, problem) = append(&server, &owner, 0, genesis(&owner, &key)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(detail(&problem).contains("has 2 entries"), "{problem}");

    // An entry that breaks the list's rules: the owner adding a second owner.
    let roster = Roster::verify(owner.vault_id, &roster_entries(&server, &owner).await, None)
        .expect("the list verifies");
    let mut next = RosterAppend::after(roster.clone(), &key);
    let refused = next.push(
        RosterChange::AddMember(Member {
            account: stranger.account_id,
            name: "Eve".into(),
            role: Role::Owner,
            signing_key: strangers_key.public_key(),
            recipient: stranger.account.recipient(),
        }),
        Utc::now(),
    );
    assert!(refused.is_err(), "the client refuses to sign it");

    // Now every write is signed.
    let fresh = one_segment(&owner, "fresh");
    let (status, problem) = upload(&server, &owner, "unsigned", &fresh, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("signed"), "{problem}");
    let (status, problem) = upload(
        &server,
        &owner,
        "stranger",
        &fresh,
        Some(signed(
            &owner,
            &strangers_key,
            WriteKind::Segment,
            fresh.as_bytes(),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(detail(&problem).contains("not a member"), "{problem}");
    let (status, problem) = upload(
        &server,
        &owner,
        "other-bytes",
        &fresh,
        Some(signed(&owner, &key, WriteKind::Segment, legacy.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("altered"), "{problem}");
    let (status, problem) = upload(
        &server,
        &owner,
        "garbled",
        &fresh,
        Some("not-a-signature".into()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, body) = upload(
        &server,
        &owner,
        "signed",
        &fresh,
        Some(signed(&owner, &key, WriteKind::Segment, fresh.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let seq = body["seq"].as_i64().unwrap();

    // The server hands the signature back, and it checks against the list.
    let (_, origins) = call(
        &server,
        &owner,
        Method::GET,
        &format!(
            "/api/v1/vaults/{}/segment-origins?seqs=1,{seq}",
            owner.vault_id.0
        ),
        None,
    )
    .await;
    let origins: SegmentOrigins = serde_json::from_value(origins).unwrap();
    assert_eq!(origins.segments.len(), 2);
    assert!(
        origins.segments[0].write_signature.is_none(),
        "written before signing"
    );
    let signature =
        decode_write_signature(origins.segments[1].write_signature.as_deref().unwrap()).unwrap();
    let statement = WriteStatement::for_ciphertext(
        owner.vault_id,
        KeyEpoch::FIRST,
        WriteKind::Segment,
        fresh.as_bytes(),
    );
    let writer = verify_write(&roster, &statement, &signature).unwrap();
    assert_eq!(writer.account, owner.account_id);

    // Rewriting the record: each new segment signed as a compaction, or refused.
    let compacted = owner
        .sealer()
        .seal(&marked_record("compacted", "Martha"))
        .unwrap();
    let whole = CompactionHead::whole_log(0, seq, 1);
    let refused = owner
        .client
        .compact(owner.vault_id, &whole, &compacted)
        .await;
    assert!(refused.is_err(), "an unsigned compaction is refused");
    let as_segment = CompactionHead {
        write_signatures: compacted
            .iter()
            .map(|s| signed(&owner, &key, WriteKind::Segment, s.as_bytes()))
            .collect(),
        ..whole.clone()
    };
    let refused = owner
        .client
        .compact(owner.vault_id, &as_segment, &compacted)
        .await;
    assert!(
        refused.is_err(),
        "a segment's signature does not stand for a compaction's"
    );
    let signed_head = CompactionHead {
        write_signatures: compacted
            .iter()
            .map(|s| signed(&owner, &key, WriteKind::Compaction, s.as_bytes()))
            .collect(),
        ..whole
    };
    owner
        .client
        .compact(owner.vault_id, &signed_head, &compacted)
        .await
        .expect("the owner's signed compaction");
    server.stop().await;
}

/// A rotation under a member list: its segments are signed at the new epoch, which only a
/// `NewEpoch` entry opens, so the entry comes with the compaction and is stored in its
/// transaction: the list never names an epoch whose key no one holds, nor misses one that
/// segments are sealed to.
async fn a_rotation_brings_its_new_epoch_to_the_member_list_in_one_step(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    let key = SigningKey::of_account(&owner.account);
    register(&server, &owner, &key).await;
    let (status, body) = append(&server, &owner, 0, genesis(&owner, &key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mine = one_segment(&owner, "before the rotation");
    let signature = signed(&owner, &key, WriteKind::Segment, mine.as_bytes());
    let (status, body) = upload(&server, &owner, "mine", &mine, Some(signature)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (log, generation) = owner.client.all_segments(owner.vault_id).await.unwrap();
    let keyring = owner.keyring_from_server().await;
    let rotation = folio_shared::vault::rotate(&keyring, log.iter().map(|(_, s)| s)).unwrap();
    let new_epoch = rotation.identity.epoch();
    let signatures = folio_shared::api::roster::sign_compaction(
        &key,
        owner.vault_id,
        new_epoch,
        &rotation.segments,
    );
    let head = folio_shared::care::rotation_head(
        &rotation,
        generation,
        log.last().unwrap().0 as i64,
        (owner.account_id, &owner.account.recipient()),
        &[],
    )
    .unwrap();
    let head = CompactionHead {
        write_signatures: signatures,
        ..head
    };
    let roster =
        Roster::verify(owner.vault_id, &roster_entries(&server, &owner).await, None).unwrap();
    let mut next = RosterAppend::after(roster, &key);
    next.push(
        RosterChange::NewEpoch {
            epoch: new_epoch,
            vault_recipient: rotation.identity.recipient(),
        },
        Utc::now(),
    )
    .unwrap();
    let (_, new_entries) = next.finish();

    // Without the entry, no member may write at the new epoch.
    let refused = owner
        .client
        .compact(owner.vault_id, &head, &rotation.segments)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN), "{refused}");
    // With the entry after a list that has moved on: refused, and nothing changed.
    let stale = CompactionHead {
        roster: Some(RosterAppendRequest {
            after: 1,
            entries: new_entries.clone(),
        }),
        ..head.clone()
    };
    let refused = owner
        .client
        .compact(owner.vault_id, &stale, &rotation.segments)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::CONFLICT), "{refused}");
    // The entry is right but the compaction is not (read at an old generation): the entry is
    // not kept either.
    let outdated = CompactionHead {
        generation: generation - 1,
        roster: Some(RosterAppendRequest {
            after: 2,
            entries: new_entries.clone(),
        }),
        ..head.clone()
    };
    let refused = owner
        .client
        .compact(owner.vault_id, &outdated, &rotation.segments)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::CONFLICT), "{refused}");
    assert_eq!(roster_entries(&server, &owner).await.len(), 2);
    assert_eq!(owner.client.vault(owner.vault_id).await.unwrap().epoch, 1);

    let rotated = CompactionHead {
        roster: Some(RosterAppendRequest {
            after: 2,
            entries: new_entries,
        }),
        ..head
    };
    let done = owner
        .client
        .compact(owner.vault_id, &rotated, &rotation.segments)
        .await
        .expect("the rotation and its entry, together");
    assert_eq!(done.epoch, new_epoch.0);
    let roster =
        Roster::verify(owner.vault_id, &roster_entries(&server, &owner).await, None).unwrap();
    assert_eq!(roster.head().seq, 3);
    assert_eq!(
        roster.epoch_recipient(new_epoch),
        Some(&rotation.identity.recipient())
    );
    server.stop().await;
}

/// The owner's client starts the list (as the CLI and the app do at the owner's next
/// unlock), a manager joins it on confirmation with the keys the safety code covered, writes
/// signed, and stays through a rotation; the server's database then swaps the manager's
/// recipient for a key of its own, and the owner's next rotation still wraps the new key to
/// the manager's real key, taken from the list: the swapped key opens nothing.
async fn a_caregiver_joins_the_list_and_a_swapped_key_gets_nothing_at_the_rotation(engine: Engine) {
    use folio_server::storage::entity::membership;
    use folio_shared::api::care::CreateInvitation;
    use folio_shared::care::{SafetyCode, add_caregiver, wrap_for_caregiver};

    let server = TestServer::start(engine).await;
    let mut owner = Patient::sign_up(&server).await;
    let mut manager = Patient::sign_up(&server).await;
    let owner_key = owner.start_signing().await;
    let managers_key = manager.start_signing().await;
    owner.upload_marker("written-before-signing").await;
    let keyring = owner.keyring_from_server().await;
    let roster = owner
        .client
        .start_member_list(
            owner.vault_id,
            &owner.account,
            owner.account_id,
            &keyring,
            false,
        )
        .await
        .unwrap()
        .expect("the list starts");
    assert_eq!(roster.members().len(), 1);
    // The older write was re-sealed and signed by the owner: it opens under the list.
    let opened = owner
        .client
        .open_record(owner.vault_id, &keyring)
        .await
        .unwrap();
    assert!(opened.set_aside.is_empty(), "{:?}", opened.set_aside);

    owner.confirm().await;
    let invited = owner
        .client
        .invite(
            owner.vault_id,
            &CreateInvitation {
                role: Role::Manager,
                name: "Sam".into(),
                ends_at: None,
                emergency_wait_hours: None,
            },
        )
        .await
        .unwrap();
    let accepted = manager
        .client
        .accept_invitation(&invited.link)
        .await
        .unwrap();
    let on_their_screen = SafetyCode::derive(
        owner.vault_id,
        &accepted.owner_recipient.parse().unwrap(),
        &manager.account.recipient(),
        Some(&managers_key.public_key()),
    );
    let listed = owner.client.caregivers(owner.vault_id).await.unwrap();
    let entry = listed.iter().find(|c| c.id == invited.id).unwrap();
    assert_eq!(entry.signing_key, Some(managers_key.public_key()));
    let confirmation = wrap_for_caregiver(
        &keyring,
        &owner.account.recipient(),
        entry.recipient.as_deref().unwrap(),
        entry.signing_key.as_ref(),
        &on_their_screen.to_string(),
    )
    .unwrap();
    let joining = add_caregiver(&roster, &owner_key, entry, Utc::now()).unwrap();
    owner
        .client
        .append_roster(owner.vault_id, &joining)
        .await
        .unwrap();
    owner
        .client
        .confirm_caregiver(owner.vault_id, invited.id, &confirmation)
        .await
        .unwrap();

    // The manager's signed write opens for the owner.
    manager.vault_key = keyring.current().clone();
    manager.vault_id = owner.vault_id;
    manager.upload_marker("from-the-manager").await;
    let opened = owner
        .client
        .open_record(owner.vault_id, &keyring)
        .await
        .unwrap();
    assert!(opened.set_aside.is_empty(), "{:?}", opened.set_aside);

    // The database gains an entry no member wrote, and swaps the manager's recipient for
    // the server's own key.
    forge_segment(&server, &owner, "from-the-server").await;
    let opened = owner
        .client
        .open_record(owner.vault_id, &keyring)
        .await
        .unwrap();
    assert_eq!(opened.set_aside.len(), 1, "{:?}", opened.set_aside);
    let servers = folio_shared::keys::AccountIdentity::generate();
    membership::Entity::update_many()
        .col_expr(
            membership::Column::Recipient,
            sea_orm::sea_query::Expr::value(servers.recipient().to_string()),
        )
        .filter(membership::Column::Id.eq(invited.id))
        .exec(server.server().storage().db())
        .await
        .unwrap();
    let rotated = owner
        .client
        .rotate_key(owner.vault_id, &owner.account, &keyring)
        .await
        .expect("the rotation wraps to the list's members");
    let new_epoch = rotated.current().epoch();
    assert_eq!(new_epoch, KeyEpoch(2));
    let managers_wraps = manager.client.keys(owner.vault_id).await.unwrap();
    let (_, wrapped) = managers_wraps
        .iter()
        .find(|(epoch, _)| *epoch == new_epoch.0)
        .expect("the manager keeps access");
    let opened_by_manager = wrapped.unwrap_vault(&manager.account, new_epoch).unwrap();
    assert_eq!(opened_by_manager.recipient(), rotated.current().recipient());
    assert!(
        wrapped.unwrap_vault(&servers, new_epoch).is_err(),
        "the server's key opens nothing"
    );
    // The rotation dropped the server's entry rather than re-sealing it as the owner's.
    let after = owner
        .client
        .open_record(owner.vault_id, &rotated)
        .await
        .unwrap();
    assert!(after.set_aside.is_empty(), "{:?}", after.set_aside);
    let observation = after
        .contents
        .get(&EntryId("Observation/o1".into()))
        .expect("the markers' observation");
    assert_eq!(observation.resource["code"]["text"], "from-the-manager");
    server.stop().await;
}

async fn a_member_list_rolled_back_in_the_database_is_caught_by_the_pinned_head(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    let key = SigningKey::generate();
    register(&server, &owner, &key).await;
    let (status, body) = append(&server, &owner, 0, genesis(&owner, &key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pinned = Roster::verify(owner.vault_id, &roster_entries(&server, &owner).await, None)
        .unwrap()
        .head();
    assert_eq!(pinned.seq, 2);

    // Whoever holds the database drops the newest entry.
    roster_entry::Entity::delete_many()
        .filter(roster_entry::Column::VaultId.eq(owner.vault_id.0))
        .filter(roster_entry::Column::Seq.eq(2))
        .exec(server.server().storage().db())
        .await
        .unwrap();
    let served = roster_entries(&server, &owner).await;
    assert_eq!(served.len(), 1);
    assert!(
        Roster::verify(owner.vault_id, &served, None).is_ok(),
        "a shorter list is valid on its own: only the pin shows it is old"
    );
    let caught = Roster::verify(owner.vault_id, &served, Some(pinned)).unwrap_err();
    assert!(
        matches!(caught, RosterError::RolledBack { .. }),
        "{caught:?}"
    );
    server.stop().await;
}

/// The server seals a segment of its own to the vault's public recipient and wraps a new
/// key of its own to the owner, writing both to its database: the owner's client (the code
/// `folio records` runs) sets the segment aside as not from a member and refuses the key.
async fn what_the_server_writes_itself_is_set_aside_or_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    let key = SigningKey::generate();
    register(&server, &owner, &key).await;
    let (status, body) = append(&server, &owner, 0, genesis(&owner, &key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mine = one_segment(&owner, "mine");
    let (status, body) = upload(
        &server,
        &owner,
        "mine",
        &mine,
        Some(signed(&owner, &key, WriteKind::Segment, mine.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The server's own entry: sealed to the public recipient it holds, so it decrypts.
    let db = server.server().storage().db();
    let seq = forge_segment(&server, &owner, "forged").await;

    let keyring = owner.keyring_from_server().await;
    let opened = owner
        .client
        .open_record(owner.vault_id, &keyring)
        .await
        .unwrap();
    let observation = opened
        .contents
        .get(&EntryId("Observation/o1".into()))
        .expect("the owner's own entry opens");
    assert_eq!(observation.resource["code"]["text"], "mine");
    assert_eq!(opened.set_aside.len(), 1, "{:?}", opened.set_aside);
    assert_eq!(opened.set_aside[0].seq, Some(seq));
    assert_eq!(opened.set_aside[0].reason, SetAsideReason::NotFromAMember);

    // The server's own key for a next epoch, wrapped to the owner's public recipient.
    let servers_key = VaultIdentity::generate(KeyEpoch(2));
    vault_key::ActiveModel {
        vault_id: Set(owner.vault_id.0),
        account_id: Set(owner.account_id),
        epoch: Set(2),
        wrapped_key: Set(servers_key.wrap_to(&owner.account.recipient()).into_bytes()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
    let wraps = owner.client.keys(owner.vault_id).await.unwrap();
    let unwrapped: Vec<VaultIdentity> = wraps
        .iter()
        .map(|(epoch, wrapped)| {
            wrapped
                .unwrap_vault(&owner.account, KeyEpoch(*epoch))
                .unwrap()
        })
        .collect();
    assert_eq!(
        unwrapped.len(),
        2,
        "the server's key unwraps like any other"
    );
    let roster = owner
        .client
        .checked_roster(owner.vault_id)
        .await
        .unwrap()
        .expect("the record has a member list");
    let refused = roster.approved_keys(unwrapped).unwrap_err();
    assert_eq!(
        refused,
        RosterError::KeyNotSignedByOwner { epoch: KeyEpoch(2) }
    );
    assert!(
        refused.to_string().contains("keys were tampered with"),
        "{refused}"
    );

    // A rolled-back list is refused by the same client, which pinned the head above.
    roster_entry::Entity::delete_many()
        .filter(roster_entry::Column::VaultId.eq(owner.vault_id.0))
        .filter(roster_entry::Column::Seq.eq(2))
        .exec(db)
        .await
        .unwrap();
    let refused = owner.client.open_record(owner.vault_id, &keyring).await;
    assert!(
        matches!(
            refused,
            Err(ClientError::Roster(RosterError::RolledBack { .. }))
        ),
        "{refused:?}"
    );
    server.stop().await;
}
