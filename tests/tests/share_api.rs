//! Share links through the API and the SMART Health Links data plane, on SQLite and
//! PostgreSQL: passcode budgets hold under parallel guesses, expiry, revocation and open
//! limits answer 404 at once, every access is logged in an intact hash chain, file
//! locations are short-lived, and neither the link key nor the passcode reaches the server.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use folio_server::http::shares::{CreateShare, CreatedShare, ShareFileUpload};
use folio_shared::shl::{self, LinkKey, Manifest};
use folio_tests::vault_fixture::Patient;
use folio_tests::{Engine, TestServer, on_every_engine};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

on_every_engine!(
    wrong_passcodes_count_down_then_lock_the_link,
    parallel_guesses_never_spend_more_than_the_budget,
    an_expired_link_answers_404_at_once,
    a_revoked_link_answers_404_at_once_and_loses_its_files,
    open_limits_hold_under_concurrency,
    manifest_requests_need_a_recipient_and_cors_is_open,
    direct_file_links_serve_the_jwe,
    the_access_log_records_every_outcome_and_shows_tampering,
    locations_work_within_their_lifetime_only,
    neither_the_key_nor_the_passcode_reaches_the_server,
    strangers_cannot_see_or_revoke_shares,
    share_requests_are_checked,
);

const FHIR: &str = "application/fhir+json;fhirVersion=4.0.1";

fn bundle(marker: &str) -> Value {
    json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "AllergyIntolerance", "id": "a1",
                      "code": {"text": marker}}}]})
}

fn request(key: &LinkKey, marker: &str) -> CreateShare {
    CreateShare {
        files: vec![ShareFileUpload {
            content_type: FHIR.into(),
            jwe: shl::encrypt(
                key,
                FHIR,
                &serde_json::to_vec(&bundle(marker)).unwrap(),
                false,
            ),
        }],
        label: "For Dr Test".into(),
        expires_at: Utc::now() + Duration::days(1),
        passcode: None,
        max_attempts: None,
        max_opens: None,
        categories: [("allergies".to_owned(), 1)].into(),
        direct_file: false,
    }
}

async fn create(patient: &Patient, share: &CreateShare) -> CreatedShare {
    patient
        .client
        .create_share(patient.vault_id, share)
        .await
        .expect("the share is created")
}

/// POSTs a manifest request to the link, answering the status and the JSON body.
async fn ask(server: &TestServer, link: &CreatedShare, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(server.url(&format!("/shl/{}", link.link_id)))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(content_type, "application/json", "a 401 is plain JSON");
    }
    (status, body)
}

async fn with_passcode(
    server: &TestServer,
    link: &CreatedShare,
    passcode: &str,
) -> (StatusCode, Value) {
    ask(
        server,
        link,
        json!({"recipient": "Dr Test", "passcode": passcode}),
    )
    .await
}

async fn attempts_left(server: &TestServer, share: uuid::Uuid) -> Option<i64> {
    let db = server.server().storage().db();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "SELECT attempts_left FROM shares WHERE id = $1",
        _ => "SELECT attempts_left FROM shares WHERE id = ?",
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [share.into()]))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<Option<i32>>("", "attempts_left")
        .unwrap()
        .map(i64::from)
}

async fn wrong_passcodes_count_down_then_lock_the_link(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let link = create(
        &patient,
        &CreateShare {
            passcode: Some("open sesame".into()),
            ..request(&key, "peanut")
        },
    )
    .await;

    let (status, body) = with_passcode(&server, &link, "open sesame").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for expected in [4, 3, 2, 1, 0] {
        let (status, body) = with_passcode(&server, &link, "guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, json!({"remainingAttempts": expected}));
    }
    let (status, body) = with_passcode(&server, &link, "open sesame").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "locked, even for the right passcode"
    );
    assert!(body.get("remainingAttempts").is_none());
    assert_eq!(attempts_left(&server, link.id).await, Some(0));
    let listed = patient.client.shares(patient.vault_id).await.unwrap();
    assert_eq!(
        serde_json::to_value(listed[0].status).unwrap(),
        json!("locked")
    );
    server.stop().await;
}

async fn parallel_guesses_never_spend_more_than_the_budget(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let link = create(
        &patient,
        &CreateShare {
            passcode: Some("open sesame".into()),
            ..request(&key, "peanut")
        },
    )
    .await;

    let guesses = (0..20).map(|_| with_passcode(&server, &link, "wrong guess"));
    let answers = futures::future::join_all(guesses).await;
    let mut remaining: Vec<i64> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .map(|(_, b)| b["remainingAttempts"].as_i64().unwrap())
        .collect();
    remaining.sort();
    assert_eq!(remaining, [0, 1, 2, 3, 4], "exactly the budget is spent");
    assert_eq!(
        answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::NOT_FOUND)
            .count(),
        15
    );
    assert_eq!(attempts_left(&server, link.id).await, Some(0));

    // A right passcode among wrong ones: accepted only while it could take an attempt, and it
    // spends none. While it holds its reservation a wrong guess may find the budget empty and
    // be refused outright, so the wrong guesses spend at most the budget, and what they did not
    // spend is still there afterwards.
    let link = create(
        &patient,
        &CreateShare {
            passcode: Some("open sesame".into()),
            ..request(&key, "peanut")
        },
    )
    .await;
    let mut requests: Vec<_> = (0..12)
        .map(|_| with_passcode(&server, &link, "wrong guess"))
        .collect();
    requests.insert(6, with_passcode(&server, &link, "open sesame"));
    let answers = futures::future::join_all(requests).await;
    let unauthorized = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count() as i64;
    assert!(
        unauthorized <= 5,
        "{unauthorized} wrong guesses went through"
    );
    let left = attempts_left(&server, link.id).await.unwrap();
    match answers[6].0 {
        StatusCode::OK => assert_eq!(left, 5 - unauthorized, "the right passcode spent one"),
        StatusCode::NOT_FOUND => assert_eq!((unauthorized, left), (5, 0)),
        other => panic!("the right passcode got {other}"),
    }
    for _ in 0..left {
        let (status, _) = with_passcode(&server, &link, "wrong guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempts_left(&server, link.id).await, Some(0));
    let (status, _) = with_passcode(&server, &link, "open sesame").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "never accepted once the budget is gone"
    );
    server.stop().await;
}

async fn an_expired_link_answers_404_at_once(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let expires_at = Utc::now() + Duration::milliseconds(1500);
    let link = create(
        &patient,
        &CreateShare {
            expires_at,
            ..request(&key, "peanut")
        },
    )
    .await;
    let (status, _) = ask(&server, &link, json!({"recipient": "Dr Early"})).await;
    assert_eq!(status, StatusCode::OK);
    let wait = (expires_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + StdDuration::from_millis(50)).await;
    let (status, _) = ask(&server, &link, json!({"recipient": "Dr Late"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        Utc::now() < expires_at + Duration::seconds(1),
        "refused within a second of expiry"
    );
    let log = patient.client.share_log(link.id).await.unwrap();
    let outcomes: Vec<_> = log.entries.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes, ["opened", "expired"]);

    // The sweep deletes the ciphertext and keeps the history.
    folio_server::storage::shares::sweep(server.server().storage().db())
        .await
        .unwrap();
    let files = folio_server::storage::shares::files(server.server().storage().db(), link.id)
        .await
        .unwrap();
    assert!(files.is_empty());
    assert_eq!(
        patient
            .client
            .share_log(link.id)
            .await
            .unwrap()
            .entries
            .len(),
        2
    );
    server.stop().await;
}

async fn a_revoked_link_answers_404_at_once_and_loses_its_files(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let link = create(&patient, &request(&key, "peanut")).await;
    assert_eq!(
        ask(&server, &link, json!({"recipient": "Dr A"})).await.0,
        StatusCode::OK
    );
    let revoked = patient.client.revoke_share(link.id).await.unwrap();
    assert!(revoked.revoked);
    let (status, body) = ask(&server, &link, json!({"recipient": "Dr B"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["status"], 404, "a problem document");
    let db = server.server().storage().db();
    assert!(
        folio_server::storage::shares::files(db, link.id)
            .await
            .unwrap()
            .is_empty()
    );
    let listed = patient.client.shares(patient.vault_id).await.unwrap();
    assert_eq!(
        serde_json::to_value(listed[0].status).unwrap(),
        json!("revoked")
    );
    server.stop().await;
}

async fn open_limits_hold_under_concurrency(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let link = create(
        &patient,
        &CreateShare {
            max_opens: Some(2),
            ..request(&key, "peanut")
        },
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            ask(&server, &link, json!({"recipient": "Dr A"})).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        ask(&server, &link, json!({"recipient": "Dr A"})).await.0,
        StatusCode::NOT_FOUND
    );

    let link = create(
        &patient,
        &CreateShare {
            max_opens: Some(3),
            ..request(&key, "peanut")
        },
    )
    .await;
    let answers = futures::future::join_all(
        (0..15).map(|i| ask(&server, &link, json!({"recipient": format!("Dr {i}")}))),
    )
    .await;
    let opened = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::NOT_FOUND)
        .count();
    assert_eq!((opened, refused), (3, 12));
    let listed = patient.client.shares(patient.vault_id).await.unwrap();
    let summary = listed.iter().find(|s| s.id == link.id).unwrap();
    assert_eq!((summary.opens, summary.max_opens), (3, Some(3)));
    assert_eq!(
        serde_json::to_value(summary.status).unwrap(),
        json!("exhausted")
    );
    server.stop().await;
}

async fn manifest_requests_need_a_recipient_and_cors_is_open(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let link = create(&patient, &request(&key, "peanut")).await;
    for body in [
        json!({}),
        json!({"recipient": ""}),
        json!({"recipient": "  "}),
    ] {
        let (status, problem) = ask(&server, &link, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(problem["detail"].as_str().unwrap().contains("recipient"));
    }

    let http = reqwest::Client::new();
    let preflight = http
        .request(
            reqwest::Method::OPTIONS,
            server.url(&format!("/shl/{}", link.link_id)),
        )
        .header("Origin", "https://viewer.example.org")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("POST") && methods.contains("GET") && methods.contains("OPTIONS"));
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("content-type")
    );

    // Errors carry CORS too, so a viewer can read a 404; the patient's API does not.
    let unknown = http
        .post(server.url(&format!("/shl/{}", shl::LinkId::generate().as_str())))
        .header("Origin", "https://viewer.example.org")
        .json(&json!({"recipient": "Dr A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.headers()["access-control-allow-origin"], "*");
    let api = http
        .get(server.url("/api/v1/vaults"))
        .header("Origin", "https://viewer.example.org")
        .send()
        .await
        .unwrap();
    assert!(api.headers().get("access-control-allow-origin").is_none());

    // A malformed link id gets the same 404 as an unknown one.
    let malformed = http
        .post(server.url("/shl/not-a-link"))
        .json(&json!({"recipient": "Dr A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}

async fn direct_file_links_serve_the_jwe(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let link = create(
        &patient,
        &CreateShare {
            direct_file: true,
            ..request(&key, "peanut")
        },
    )
    .await;
    let http = reqwest::Client::new();
    let url = server.url(&format!("/shl/{}", link.link_id));
    let missing = http.get(&url).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let response = http
        .get(&url)
        .query(&[("recipient", "Verona Health System")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/jose");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let jwe = response.text().await.unwrap();
    let opened = shl::decrypt(&key, &jwe).unwrap();
    assert_eq!(opened.json().unwrap(), bundle("peanut"));
    let log = patient.client.share_log(link.id).await.unwrap();
    assert_eq!(log.entries[0].recipient, "Verona Health System");

    // A link without the U flag has no direct file.
    let manifest_link = create(&patient, &request(&key, "peanut")).await;
    let response = http
        .get(server.url(&format!("/shl/{}", manifest_link.link_id)))
        .query(&[("recipient", "Dr A")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}

async fn the_access_log_records_every_outcome_and_shows_tampering(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let link = create(
        &patient,
        &CreateShare {
            passcode: Some("open sesame".into()),
            max_attempts: Some(1),
            ..request(&key, "peanut")
        },
    )
    .await;
    assert_eq!(
        with_passcode(&server, &link, "open sesame").await.0,
        StatusCode::OK
    );
    let (status, _) = ask(
        &server,
        &link,
        json!({"recipient": "Dr Wrong", "passcode": "nope!!"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = ask(
        &server,
        &link,
        json!({"recipient": "Dr Late", "passcode": "open sesame"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    patient.client.revoke_share(link.id).await.unwrap();
    assert_eq!(
        ask(&server, &link, json!({"recipient": "Dr After"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let log = patient.client.share_log(link.id).await.unwrap();
    assert!(log.chain_valid);
    let seen: Vec<(&str, &str)> = log
        .entries
        .iter()
        .map(|e| (e.recipient.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("Dr Test", "opened"),
            ("Dr Wrong", "wrong_passcode"),
            ("Dr Late", "locked"),
            ("Dr After", "revoked"),
        ]
    );

    let db = server.server().storage().db();
    let backend = db.get_database_backend();
    db.execute_unprepared("UPDATE share_accesses SET recipient = 'Someone Else' WHERE seq = 2")
        .await
        .unwrap();
    assert!(!patient.client.share_log(link.id).await.unwrap().chain_valid);
    db.execute_unprepared("UPDATE share_accesses SET recipient = 'Dr Wrong' WHERE seq = 2")
        .await
        .unwrap();
    assert!(patient.client.share_log(link.id).await.unwrap().chain_valid);
    db.execute_raw(Statement::from_string(
        backend,
        "DELETE FROM share_accesses WHERE seq = 4",
    ))
    .await
    .unwrap();
    assert!(
        !patient.client.share_log(link.id).await.unwrap().chain_valid,
        "a removed last entry shows too"
    );
    server.stop().await;
}

async fn locations_work_within_their_lifetime_only(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let link = create(&patient, &request(&key, "peanut")).await;
    let (status, body) = ask(
        &server,
        &link,
        json!({"recipient": "Dr A", "embeddedLengthMax": 10}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let manifest: Manifest = serde_json::from_value(body).unwrap();
    assert_eq!(manifest.files.len(), 1);
    assert!(manifest.files[0].embedded.is_none());
    let location = manifest.files[0].location.clone().unwrap();
    assert!(location.starts_with(&link.manifest_url));

    let http = reqwest::Client::new();
    let response = http.get(&location).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/jose");
    let opened = shl::decrypt(&key, &response.text().await.unwrap()).unwrap();
    assert_eq!(opened.json().unwrap(), bundle("peanut"));

    // The ticket is for that file only.
    let other_file = location.replace("/files/0?", "/files/1?");
    assert_eq!(
        http.get(&other_file).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let forged = format!("{}?ticket=AAAA", location.split('?').next().unwrap());
    assert_eq!(
        http.get(&forged).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // Once its lifetime is over, it opens nothing.
    let past = Utc::now() - Duration::seconds(1);
    let db = server.server().storage().db();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE share_tickets SET expires_at = $1",
        _ => "UPDATE share_tickets SET expires_at = ?",
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [past.into()]))
        .await
        .unwrap();
    assert_eq!(
        http.get(&location).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // Without `embeddedLengthMax`, a small file is embedded.
    let (_, body) = ask(&server, &link, json!({"recipient": "Dr B"})).await;
    let manifest: Manifest = serde_json::from_value(body).unwrap();
    assert!(manifest.files[0].embedded.is_some());
    server.stop().await;
}

/// Every byte the server keeps: the files under its data directory (the SQLite database
/// and its WAL) and on PostgreSQL every row of every table as text.
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

async fn neither_the_key_nor_the_passcode_reaches_the_server(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let passcode = format!("pass-{}", uuid::Uuid::new_v4().simple());
    let marker = format!("MARKER-{}", uuid::Uuid::new_v4().simple());
    let link = create(
        &patient,
        &CreateShare {
            passcode: Some(passcode.clone()),
            ..request(&key, &marker)
        },
    )
    .await;
    let payload = shl::ShareLinkPayload {
        url: link.manifest_url.clone(),
        key: key.clone(),
        exp: Some(link.expires_at.timestamp()),
        flags: shl::Flags {
            passcode: true,
            ..shl::Flags::default()
        },
        label: Some("For Dr Test".into()),
        v: None,
    };
    let shlink = payload.encode();
    let (status, body) = with_passcode(&server, &link, &passcode).await;
    assert_eq!(status, StatusCode::OK);
    let manifest: Manifest = serde_json::from_value(body).unwrap();
    let jwe = manifest.files[0].embedded.as_deref().unwrap();
    assert!(
        shl::decrypt(&key, jwe)
            .unwrap()
            .text()
            .unwrap()
            .contains(&marker)
    );
    assert_eq!(
        with_passcode(&server, &link, "wrong one").await.0,
        StatusCode::UNAUTHORIZED
    );
    server.server().storage().purge_deleted().await.unwrap();

    let stored = everything_stored(&server).await;
    assert!(
        contains(&stored, b"$argon2id$"),
        "the scan sees the passcode's hash"
    );
    let key_text = key.to_base64url();
    for (what, secret) in [
        ("the link key", key_text.as_str()),
        ("the passcode", passcode.as_str()),
        ("the shlink payload", shlink.trim_start_matches("shlink:/")),
        ("the link id", link.link_id.as_str()),
        ("the record", marker.as_str()),
    ] {
        assert!(
            !contains(&stored, secret.as_bytes()),
            "{what} reached the server's storage"
        );
    }
    server.stop().await;
}

async fn strangers_cannot_see_or_revoke_shares(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let stranger = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let link = create(&patient, &request(&key, "peanut")).await;
    let status = |e: folio_server::client::ClientError| e.status().unwrap();
    assert_eq!(
        status(stranger.client.revoke_share(link.id).await.unwrap_err()),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(stranger.client.share_log(link.id).await.unwrap_err()),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(stranger.client.shares(patient.vault_id).await.unwrap_err()),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(
            stranger
                .client
                .create_share(patient.vault_id, &request(&key, "peanut"))
                .await
                .unwrap_err()
        ),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ask(&server, &link, json!({"recipient": "Dr A"})).await.0,
        StatusCode::OK
    );
    server.stop().await;
}

async fn share_requests_are_checked(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let good = request(&key, "peanut");
    let refused = [
        CreateShare {
            expires_at: Utc::now() + Duration::days(400),
            ..good.clone()
        },
        CreateShare {
            expires_at: Utc::now() - Duration::seconds(1),
            ..good.clone()
        },
        CreateShare {
            passcode: Some("12345".into()),
            ..good.clone()
        },
        CreateShare {
            files: vec![ShareFileUpload {
                content_type: FHIR.into(),
                jwe: "{\"resourceType\": \"Bundle\"}".into(),
            }],
            ..good.clone()
        },
        CreateShare {
            files: vec![],
            ..good.clone()
        },
        CreateShare {
            direct_file: true,
            passcode: Some("123456".into()),
            ..good.clone()
        },
    ];
    for share in refused {
        let err = patient
            .client
            .create_share(patient.vault_id, &share)
            .await
            .unwrap_err();
        assert_eq!(
            err.status(),
            Some(StatusCode::UNPROCESSABLE_ENTITY),
            "{err}"
        );
    }
    assert!(
        patient
            .client
            .shares(patient.vault_id)
            .await
            .unwrap()
            .is_empty()
    );

    // One client hammering one link is slowed down.
    let link = create(&patient, &good).await;
    let mut limited = None;
    for _ in 0..70 {
        let response = reqwest::Client::new()
            .post(server.url(&format!("/shl/{}", link.link_id)))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("429 after the per-minute budget");
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(limited.headers()["access-control-allow-origin"], "*");
    server.stop().await;
}
