//! The encrypted vault through its API, on SQLite and PostgreSQL: the server never holds
//! plaintext, uploads are ordered and idempotent, bad segments change nothing, compaction
//! and rotation swap atomically, attachments stream, and deleting a vault leaves no byte.

use folio_server::client::ClientError;
use folio_shared::api::{CompactionHead, MemberKeyWrap};
use folio_shared::keys::KeyEpoch;
use folio_shared::vault::{
    AttachmentBinding, AttachmentError, AttachmentRef, SealedSegment, Sealer, VaultId,
    VaultKeyring, attachment_id, compact, rotate, seal_attachment,
};
use folio_tests::vault_fixture::{Patient, marked_record, put};
use folio_tests::{Engine, TestServer, on_every_engine};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

on_every_engine!(
    server_stores_no_plaintext_and_the_owner_reads_it_back,
    concurrent_uploads_keep_every_segment_in_one_order,
    bad_segments_are_refused_and_change_nothing,
    strangers_see_nothing,
    compaction_and_rotation_swap_atomically,
    attachments_stream_and_count_against_the_quota,
    deleting_a_vault_removes_every_byte,
    malformed_vault_requests_get_problem_json,
    attachments_are_bound_to_their_bytes,
);

fn status(err: ClientError) -> StatusCode {
    err.status()
        .unwrap_or_else(|| panic!("expected a problem, got {err}"))
}

/// Every byte the server keeps: the SQLite files (database, WAL) or every PostgreSQL row as
/// text, plus every file under the data directory (the blob store).
async fn everything_stored(server: &TestServer) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in walk(server.data_dir.path()) {
        all.extend(std::fs::read(entry).unwrap_or_default());
    }
    if server.database_url.starts_with("postgres") {
        let db = server.server().storage().db();
        let backend = db.get_database_backend();
        let tables = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
            ))
            .await
            .unwrap();
        assert!(tables.len() >= 5, "expected the schema's tables");
        for table in tables {
            let name: String = table.try_get_by_index(0).unwrap();
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!("SELECT t::text FROM \"{name}\" t"),
                ))
                .await
                .unwrap();
            for row in rows {
                let text: String = row.try_get_by_index(0).unwrap();
                all.extend(text.into_bytes());
            }
        }
    }
    all
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn server_stores_no_plaintext_and_the_owner_reads_it_back(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let marker = format!("MARKER-{}", uuid::Uuid::new_v4().simple());
    let name = format!(
        "Quillfeather{}",
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );

    let segments = patient
        .sealer()
        .seal(&marked_record(&marker, &name))
        .unwrap();
    for (i, segment) in segments.iter().enumerate() {
        patient
            .client
            .upload(patient.vault_id, &format!("import-1-{i}"), segment)
            .await
            .unwrap();
    }
    // An attachment too: a "scanned letter" mentioning the patient, age-encrypted.
    let letter = format!("Dear Dr, re {name}: {marker}").into_bytes();
    let encrypted = age_encrypt(&patient, &letter);
    let attachment = uuid::Uuid::new_v4();
    patient
        .client
        .put_attachment(patient.vault_id, attachment, encrypted)
        .await
        .unwrap();

    let stored = everything_stored(&server).await;
    assert!(
        stored.len() > 1000,
        "the scan read the stores ({} bytes)",
        stored.len()
    );
    assert!(
        !contains(&stored, marker.as_bytes()),
        "the marker is stored in clear"
    );
    assert!(
        !contains(&stored, name.as_bytes()),
        "the patient's name is stored in clear"
    );

    // A fresh device with only the account key reads everything back through the API.
    let keyring = patient.keyring_from_server().await;
    let (fetched, _) = patient.client.all_segments(patient.vault_id).await.unwrap();
    let contents = keyring.open(fetched.iter().map(|(_, s)| s));
    let text = serde_json::to_string(
        &contents
            .iter()
            .map(|(_, r)| r.resource.clone())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(text.contains(&marker) && text.contains(&name));
    let letter_back = age_decrypt(
        &keyring,
        &patient
            .client
            .get_attachment(patient.vault_id, attachment)
            .await
            .unwrap(),
    );
    assert_eq!(letter_back, letter);
    server.stop().await;
}

fn age_encrypt(patient: &Patient, plaintext: &[u8]) -> Vec<u8> {
    seal_attachment(&patient.vault_key.recipient(), plaintext)
}

fn age_decrypt(keyring: &VaultKeyring, ciphertext: &[u8]) -> Vec<u8> {
    keyring
        .open_attachment(ciphertext)
        .expect("the attachment decrypts")
}

async fn concurrent_uploads_keep_every_segment_in_one_order(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    const PER_CLIENT: usize = 15;
    let mut tasks = Vec::new();
    for client_no in 0..2 {
        let client = patient.client.clone();
        let sealer = patient.sealer();
        let vault = patient.vault_id;
        tasks.push(tokio::spawn(async move {
            for i in 0..PER_CLIENT {
                let entry = put(json!({"resourceType": "Observation", "id": format!("c{client_no}-{i}"), "status": "final"}));
                let segment = sealer.seal(&[entry]).unwrap().remove(0);
                let key = format!("client{client_no}-{i}");
                let first = client.upload(vault, &key, &segment).await.unwrap();
                // A retry of the same upload (a lost answer) must not add a segment.
                let retry = client.upload(vault, &key, &segment).await.unwrap();
                assert_eq!(retry.seq, first.seq);
                assert!(retry.replayed && !first.replayed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (segments, _) = patient.client.all_segments(patient.vault_id).await.unwrap();
    let seqs: Vec<u64> = segments.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=(2 * PER_CLIENT) as u64).collect::<Vec<_>>(),
        "a total order with no gap or duplicate"
    );
    let keyring = patient.keyring_from_server().await;
    let contents = keyring.open(segments.iter().map(|(_, s)| s));
    assert_eq!(contents.len(), 2 * PER_CLIENT);
    server.stop().await;
}

async fn bad_segments_are_refused_and_change_nothing(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let good = patient
        .sealer()
        .seal(&marked_record("m", "n"))
        .unwrap()
        .remove(0);
    patient
        .client
        .upload(patient.vault_id, "good", &good)
        .await
        .unwrap();
    let before = patient.client.vault(patient.vault_id).await.unwrap();

    let bytes = good.as_bytes().to_vec();
    let mut truncated = bytes.clone();
    truncated.truncate(bytes.len() - 10);
    let mut bad_magic = bytes.clone();
    bad_magic[0] ^= 0xff;
    let mut future_version = bytes.clone();
    future_version[8] = 99;
    let other_vault = Sealer::for_identity(VaultId(uuid::Uuid::new_v4()), &patient.vault_key)
        .seal(&marked_record("m", "n"))
        .unwrap()
        .remove(0);
    let stale_epoch = Sealer::for_identity(patient.vault_id, &patient.vault_key.rotate().rotate())
        .seal(&marked_record("m", "n"))
        .unwrap()
        .remove(0);

    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "truncated",
            truncated,
            StatusCode::UNPROCESSABLE_ENTITY,
            "truncated",
        ),
        (
            "bad-magic",
            bad_magic,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a Folio segment",
        ),
        (
            "future",
            future_version,
            StatusCode::UNPROCESSABLE_ENTITY,
            "version",
        ),
        (
            "foreign",
            other_vault.as_bytes().to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "belongs to vault",
        ),
        (
            "stale",
            stale_epoch.as_bytes().to_vec(),
            StatusCode::CONFLICT,
            "epoch",
        ),
        ("replay", bytes.clone(), StatusCode::CONFLICT, "replayed"),
        (
            "plain",
            b"{\"resourceType\":\"Patient\"}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a Folio segment",
        ),
    ];
    for (key, body, expected, words) in cases {
        let err = patient
            .client
            .upload_raw(patient.vault_id, key, body)
            .await
            .expect_err(key);
        assert_eq!(err.status(), Some(expected), "{key}: {err}");
        assert!(
            err.to_string()
                .to_lowercase()
                .contains(&words.to_lowercase()),
            "{key}: {err}"
        );
    }
    // The same key with other bytes is refused; the original stays.
    let other = patient
        .sealer()
        .seal(&marked_record("x", "y"))
        .unwrap()
        .remove(0);
    let err = patient
        .client
        .upload(patient.vault_id, "good", &other)
        .await
        .unwrap_err();
    assert_eq!(status(err), StatusCode::CONFLICT);

    let after = patient.client.vault(patient.vault_id).await.unwrap();
    assert_eq!(
        (after.last_seq, after.used_bytes),
        (before.last_seq, before.used_bytes)
    );
    let (segments, _) = patient.client.all_segments(patient.vault_id).await.unwrap();
    assert_eq!(segments.len(), 1);
    assert_eq!(segments[0].1.as_bytes(), good.as_bytes());
    server.stop().await;
}

async fn strangers_see_nothing(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    let stranger = Patient::sign_up(&server).await;
    // Confirmed, so that only the record's ownership decides its deletion.
    stranger.confirm().await;
    let segment = owner
        .sealer()
        .seal(&marked_record("m", "n"))
        .unwrap()
        .remove(0);
    owner
        .client
        .upload(owner.vault_id, "one", &segment)
        .await
        .unwrap();

    assert_eq!(
        stranger.client.vaults().await.unwrap().len(),
        1,
        "only their own vault"
    );
    for err in [
        stranger.client.vault(owner.vault_id).await.unwrap_err(),
        stranger
            .client
            .segments_after(owner.vault_id, 0)
            .await
            .unwrap_err(),
        stranger.client.keys(owner.vault_id).await.unwrap_err(),
        stranger
            .client
            .upload(owner.vault_id, "evil", &segment)
            .await
            .unwrap_err(),
        stranger
            .client
            .delete_vault(owner.vault_id)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(status(err), StatusCode::NOT_FOUND);
    }
    let anonymous =
        folio_server::client::VaultClient::new(server.base_url.clone(), "fd_not-a-token");
    assert_eq!(
        status(anonymous.vaults().await.unwrap_err()),
        StatusCode::UNAUTHORIZED
    );
    let no_token = reqwest::get(server.url("/api/v1/vaults")).await.unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        owner
            .client
            .all_segments(owner.vault_id)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
    server.stop().await;
}

async fn compaction_and_rotation_swap_atomically(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let sealer = patient.sealer();
    for i in 0..6 {
        let entry =
            put(json!({"resourceType": "Observation", "id": format!("o{i}"), "status": "final"}));
        patient
            .client
            .upload(
                patient.vault_id,
                &format!("u{i}"),
                &sealer.seal(&[entry]).unwrap()[0],
            )
            .await
            .unwrap();
    }
    let keyring = patient.keyring_from_server().await;
    let (log, generation) = patient.client.all_segments(patient.vault_id).await.unwrap();
    let segments: Vec<SealedSegment> = log.into_iter().map(|(_, s)| s).collect();
    let expected = keyring.open(&segments);

    // Compaction: six segments become one, in place.
    let compacted = compact(&keyring, &segments, &sealer).unwrap();
    assert_eq!(compacted.len(), 1);
    let head = CompactionHead {
        generation,
        from_seq: 1,
        to_seq: 6,
        epoch: 1,
        recipient: None,
        wrapped_keys: vec![],
        write_signatures: vec![],
        roster: None,
    };
    let result = patient
        .client
        .compact(patient.vault_id, &head, &compacted)
        .await
        .unwrap();
    assert_eq!((result.seqs.clone(), result.epoch), (vec![1], 1));
    // A second compaction from the same (now stale) generation is refused.
    let err = patient
        .client
        .compact(patient.vault_id, &head, &compacted)
        .await
        .unwrap_err();
    assert_eq!(status(err), StatusCode::CONFLICT);

    // New uploads land after the compacted range.
    let late = put(json!({"resourceType": "Observation", "id": "late", "status": "final"}));
    let uploaded = patient
        .client
        .upload(patient.vault_id, "late", &sealer.seal(&[late]).unwrap()[0])
        .await
        .unwrap();
    assert_eq!(uploaded.seq, 7);
    let (log, generation) = patient.client.all_segments(patient.vault_id).await.unwrap();
    assert_eq!(generation, result.generation);
    let contents = keyring.open(log.iter().map(|(_, s)| s));
    assert_eq!(contents.len(), expected.len() + 1);

    // A rotation that leaves part of the log behind is refused, and changes nothing.
    let segments: Vec<SealedSegment> = log.iter().map(|(_, s)| s.clone()).collect();
    let rotation = rotate(&keyring, &segments).unwrap();
    let wrap = MemberKeyWrap {
        account_id: patient.account_id,
        wrapped_key: base64_url(
            rotation
                .identity
                .wrap_to(&patient.account.recipient())
                .as_bytes(),
        ),
    };
    let partial = CompactionHead {
        generation,
        from_seq: 1,
        to_seq: 1,
        epoch: 2,
        recipient: Some(rotation.identity.recipient().to_string()),
        wrapped_keys: vec![wrap.clone()],
        write_signatures: vec![],
        roster: None,
    };
    let err = patient
        .client
        .compact(patient.vault_id, &partial, &rotation.segments)
        .await
        .unwrap_err();
    assert_eq!(status(err), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        patient.client.vault(patient.vault_id).await.unwrap().epoch,
        1
    );

    let full = CompactionHead {
        to_seq: 7,
        ..partial
    };
    let rotated = patient
        .client
        .compact(patient.vault_id, &full, &rotation.segments)
        .await
        .unwrap();
    assert_eq!(rotated.epoch, 2);
    let summary = patient.client.vault(patient.vault_id).await.unwrap();
    assert_eq!(summary.recipient, rotation.identity.recipient().to_string());

    // Uploads sealed to the retired key are refused; a fresh device opens the rotated log.
    let stale = sealer
        .seal(&[put(
            json!({"resourceType": "Observation", "id": "stale", "status": "final"}),
        )])
        .unwrap();
    assert_eq!(
        status(
            patient
                .client
                .upload(patient.vault_id, "stale", &stale[0])
                .await
                .unwrap_err()
        ),
        StatusCode::CONFLICT
    );
    let fresh = patient.keyring_from_server().await;
    assert_eq!(fresh.current().epoch(), KeyEpoch(2));
    let (log, _) = patient.client.all_segments(patient.vault_id).await.unwrap();
    assert!(log.iter().all(|(_, s)| s.epoch() == KeyEpoch(2)));
    assert_eq!(
        fresh.open(log.iter().map(|(_, s)| s)).len(),
        expected.len() + 1
    );
    server.stop().await;
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn attachments_stream_and_count_against_the_quota(engine: Engine) {
    let server = TestServer::start_with(engine, |c| c.vault_quota_bytes = 3 * 1024 * 1024).await;
    let patient = Patient::sign_up(&server).await;
    let big = age_encrypt(&patient, &vec![7u8; 2 * 1024 * 1024]);
    let id = uuid::Uuid::new_v4();
    patient
        .client
        .put_attachment(patient.vault_id, id, big.clone())
        .await
        .unwrap();
    assert_eq!(
        patient
            .client
            .get_attachment(patient.vault_id, id)
            .await
            .unwrap(),
        big
    );
    let used = patient
        .client
        .vault(patient.vault_id)
        .await
        .unwrap()
        .used_bytes;
    assert_eq!(used, big.len() as i64);

    // Over the quota: refused, and the first attachment is intact.
    let second = uuid::Uuid::new_v4();
    let err = patient
        .client
        .put_attachment(patient.vault_id, second, big.clone())
        .await
        .unwrap_err();
    assert_eq!(status(err), StatusCode::INSUFFICIENT_STORAGE);
    assert_eq!(
        status(
            patient
                .client
                .get_attachment(patient.vault_id, second)
                .await
                .unwrap_err()
        ),
        StatusCode::NOT_FOUND
    );
    // Not an age file: refused, whatever its size.
    let err = patient
        .client
        .put_attachment(patient.vault_id, second, b"%PDF-1.7 plaintext".to_vec())
        .await
        .unwrap_err();
    assert_eq!(status(err), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        patient
            .client
            .vault(patient.vault_id)
            .await
            .unwrap()
            .used_bytes,
        used
    );
    assert_eq!(
        patient
            .client
            .get_attachment(patient.vault_id, id)
            .await
            .unwrap(),
        big
    );
    // No staging file is left behind by the refused uploads.
    let blobs = walk(&server.data_dir.path().join("blobs"));
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    server.stop().await;
}

async fn deleting_a_vault_removes_every_byte(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let segment = patient
        .sealer()
        .seal(&marked_record("m", "n"))
        .unwrap()
        .remove(0);
    patient
        .client
        .upload(patient.vault_id, "one", &segment)
        .await
        .unwrap();
    let attachment = age_encrypt(&patient, b"scan");
    patient
        .client
        .put_attachment(patient.vault_id, uuid::Uuid::new_v4(), attachment.clone())
        .await
        .unwrap();
    // A distinctive run of ciphertext bytes to look for after deletion.
    let probe = segment.as_bytes()[segment.len() - 64..].to_vec();
    let before = everything_stored(&server).await;
    assert!(contains(&before, &probe) || server.database_url.starts_with("postgres"));

    patient.confirm().await;
    patient.client.delete_vault(patient.vault_id).await.unwrap();
    assert_eq!(
        status(patient.client.vault(patient.vault_id).await.unwrap_err()),
        StatusCode::NOT_FOUND
    );
    let after = everything_stored(&server).await;
    assert!(!contains(&after, &probe), "segment bytes survive deletion");
    assert!(
        !contains(&after, &attachment[attachment.len() - 32..]),
        "attachment bytes survive deletion"
    );
    server.stop().await;
}

async fn malformed_vault_requests_get_problem_json(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let http = reqwest::Client::new();
    let post = |body: &'static str, content_type: &'static str| {
        http.post(server.url("/api/v1/vaults"))
            .bearer_auth(&patient.token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases = [
        (
            post("{not json", "application/json").await.unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("{\"id\": 5}", "application/json").await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post("{}", "text/plain").await.unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (response, expected) in cases {
        assert_eq!(response.status(), expected);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    let bad_recipient = http
        .post(server.url("/api/v1/vaults"))
        .bearer_auth(&patient.token)
        .json(&json!({"id": uuid::Uuid::new_v4(), "recipient": "age1nope", "epoch": 1, "wrapped_key": "AAAA"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_recipient.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let bad_key = patient
        .client
        .upload_raw(patient.vault_id, "no%20spaces", vec![1])
        .await
        .unwrap_err();
    assert_eq!(status(bad_key), StatusCode::BAD_REQUEST);

    // Bodies over the limit are refused with problem JSON before they are read: JSON routes
    // at 64 KiB, segments at 8 MiB, attachments at 64 MiB.
    let segments_path = format!("/api/v1/vaults/{}/segments/huge", patient.vault_id.0);
    let attachment_path = format!(
        "/api/v1/vaults/{}/attachments/{}",
        patient.vault_id.0,
        uuid::Uuid::new_v4()
    );
    for (method, path, declared) in [
        ("POST", "/api/v1/vaults".to_owned(), 100 * 1024),
        ("PUT", segments_path, 9 * 1024 * 1024),
        ("PUT", attachment_path, 65 * 1024 * 1024),
    ] {
        let head = server
            .declare_body(method, &path, &patient.token, declared)
            .await;
        assert!(head.starts_with("HTTP/1.1 413"), "{path}: {head}");
        assert!(head.contains("application/problem+json"), "{path}: {head}");
    }
    let (segments, _) = patient.client.all_segments(patient.vault_id).await.unwrap();
    assert!(segments.is_empty(), "nothing refused was stored");
    server.stop().await;
}

/// The status of a raw attachment upload (the client hides 200 from 201).
async fn put_attachment_status(
    server: &TestServer,
    patient: &Patient,
    id: uuid::Uuid,
    bytes: &[u8],
) -> StatusCode {
    reqwest::Client::new()
        .put(server.url(&format!(
            "/api/v1/vaults/{}/attachments/{id}",
            patient.vault_id.0
        )))
        .bearer_auth(&patient.token)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
        .status()
}

async fn attachments_are_bound_to_their_bytes(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let keyring = VaultKeyring::new(patient.vault_id, patient.vault_key.clone());
    let letter = age_encrypt(&patient, b"the letter");
    let id = attachment_id(&letter);
    let forged = age_encrypt(&patient, b"her letter");

    // An id that is not the hash of the bytes is refused.
    assert_eq!(
        put_attachment_status(&server, &patient, attachment_id(&forged), &letter).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        put_attachment_status(&server, &patient, id, &letter).await,
        StatusCode::CREATED
    );
    let used = patient
        .client
        .vault(patient.vault_id)
        .await
        .unwrap()
        .used_bytes;
    // The same bytes again are a retry; other bytes never replace them (they are not the
    // id's hash, so they are refused before the stored file is even looked at).
    assert_eq!(
        put_attachment_status(&server, &patient, id, &letter).await,
        StatusCode::OK
    );
    assert_eq!(
        put_attachment_status(&server, &patient, id, &forged).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        patient
            .client
            .vault(patient.vault_id)
            .await
            .unwrap()
            .used_bytes,
        used
    );
    let fetched = patient
        .client
        .get_attachment(patient.vault_id, id)
        .await
        .unwrap();
    let reference = AttachmentRef::from_url_name(&id.to_string());
    assert_eq!(
        keyring.open_referenced_attachment(&reference, &fetched),
        Ok((b"the letter".to_vec(), AttachmentBinding::Bound))
    );

    // An id made before this change (a v4) still uploads, keeps its bytes, and opens.
    let legacy = uuid::Uuid::new_v4();
    let old_scan = age_encrypt(&patient, b"an old scan");
    assert_eq!(
        put_attachment_status(&server, &patient, legacy, &old_scan).await,
        StatusCode::CREATED
    );
    assert_eq!(
        put_attachment_status(&server, &patient, legacy, &forged).await,
        StatusCode::CONFLICT
    );
    let fetched = patient
        .client
        .get_attachment(patient.vault_id, legacy)
        .await
        .unwrap();
    assert_eq!(
        keyring.open_referenced_attachment(
            &AttachmentRef::from_url_name(&legacy.to_string()),
            &fetched
        ),
        Ok((b"an old scan".to_vec(), AttachmentBinding::Legacy))
    );

    // A server that swaps the file under the id (sealed to the same key, so it would
    // decrypt) is caught by the reader before decrypting.
    let file = server
        .data_dir
        .path()
        .join("blobs")
        .join(patient.vault_id.0.simple().to_string())
        .join(format!("{}.age", id.simple()));
    std::fs::write(&file, &forged).unwrap();
    // This server sends the length it recorded, so a swapped file of another length (age
    // headers vary in length) does not arrive whole; one that does is refused by the reader.
    if let Ok(served) = patient.client.get_attachment(patient.vault_id, id).await {
        assert_eq!(
            keyring.open_referenced_attachment(&reference, &served),
            Err(AttachmentError::Altered)
        );
    }
    // A server that lies serves the other bytes whole: the reader refuses them.
    assert_eq!(
        keyring.open_referenced_attachment(&reference, &forged),
        Err(AttachmentError::Altered)
    );
    server.stop().await;
}
