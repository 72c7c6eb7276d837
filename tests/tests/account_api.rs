//! Passkey accounts over the HTTP API, on SQLite and PostgreSQL: sign-up, sign-in and unlock,
//! and every refusal the passkey issue names (replayed or expired challenge, wrong origin,
//! counter regression, unknown credential, pairing codes used twice or late), the rate limit,
//! CSRF, sessions, recovery, the last way in and account deletion.

use folio_server::cli::soft_passkey::SoftPasskey;
use folio_server::client::ClientError;
use folio_server::client::account::SessionClient;
use folio_shared::api::account::{Recover, RecoverySetup, RedeemPairing};
use folio_shared::keys::{DeviceKey, PASSKEY_PRF_INPUT, RecoveryCode, Unlocker};
use folio_tests::passkey_account::{PasskeyAccount, b64, passkey_wrap, unwrap};
use folio_tests::vault_fixture::Patient;
use folio_tests::{Engine, TestServer, on_every_engine};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use url::Url;

/// The status and detail of a refused request.
fn refused<T: std::fmt::Debug>(result: Result<T, ClientError>) -> (StatusCode, String) {
    match result {
        Err(ClientError::Problem { status, problem }) => {
            (status, problem.detail.unwrap_or(problem.title))
        }
        other => panic!("expected a problem answer, got {other:?}"),
    }
}

async fn signing_up_unlocks_with_the_passkey_and_signing_in_again_too(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let prf = Unlocker::from_passkey_prf(&patient.passkey.prf(PASSKEY_PRF_INPUT));

    let first = &patient.session.signed_in.unlock;
    assert_eq!(
        first.account_recipient,
        patient.account.recipient().to_string()
    );
    let unlocked = unwrap(passkey_wrap(first, patient.passkey_id), &prf);
    assert_eq!(unlocked.recipient(), patient.account.recipient());
    let recovered = unwrap(
        first.recovery.as_deref().expect("a recovery wrap"),
        &Unlocker::from_recovery_code(&patient.recovery),
    );
    assert_eq!(recovered.recipient(), patient.account.recipient());

    patient
        .session
        .clone()
        .sign_out()
        .await
        .expect("signed out");
    let again = patient.sign_in().await.expect("signed in again");
    assert_eq!(again.account_id(), patient.account_id);
    let unlocked = unwrap(
        passkey_wrap(&again.signed_in.unlock, patient.passkey_id),
        &prf,
    );
    assert_eq!(unlocked.recipient(), patient.account.recipient());
    let summary = again.account().await.expect("the account");
    assert_eq!((summary.passkeys, summary.has_recovery_code), (1, true));
    server.stop().await;
}

async fn a_replayed_sign_in_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let options = patient.login_start().await;
    let origin = patient.origin.clone();
    let assertion = patient.answer(&options, &origin);
    patient
        .client
        .login_finish(&assertion)
        .await
        .expect("the first answer signs in");
    let (status, detail) = refused(patient.client.login_finish(&assertion).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(detail.contains("already used"), "{detail}");
    server.stop().await;
}

async fn an_expired_challenge_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let options = patient.login_start().await;
    folio_server::storage::ceremonies::expire_now(
        server.server().storage().db(),
        options.ceremony_id,
    )
    .await
    .expect("the ceremony is aged");
    let origin = patient.origin.clone();
    let assertion = patient.answer(&options, &origin);
    let (status, detail) = refused(patient.client.login_finish(&assertion).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(detail.contains("expired"), "{detail}");
    server.stop().await;
}

async fn an_answer_for_another_origin_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let options = patient.login_start().await;
    // Same RP id (localhost), other port: a phishing page on the same host.
    let elsewhere = Url::parse("http://localhost:1").unwrap();
    let assertion = patient.answer(&options, &elsewhere);
    let (status, detail) = refused(patient.client.login_finish(&assertion).await);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(detail.contains("origin"), "{detail}");
    // The failed attempt used the ceremony up, and the passkey still works.
    patient
        .sign_in()
        .await
        .expect("a proper sign-in still works");
    server.stop().await;
}

async fn a_cloned_authenticator_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let mut clone = SoftPasskey::restore(&patient.passkey.save().unwrap()).unwrap();
    patient.sign_in().await.expect("the original signs in");
    patient.sign_in().await.expect("and again");
    // The copy's counter is behind the one the server saw last.
    let options = patient.login_start().await;
    let credential = clone
        .authenticate(&patient.origin, options.options.clone())
        .expect("the clone answers");
    let (status, detail) = refused(
        patient
            .client
            .login_finish(&folio_shared::api::account::Assertion {
                ceremony_id: options.ceremony_id,
                credential,
            })
            .await,
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(detail.contains("cloned"), "{detail}");
    server.stop().await;
}

async fn an_unknown_credential_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let options = patient.login_start().await;
    let origin = patient.origin.clone();
    let assertion = patient.answer(&options, &origin);
    // The passkey is removed (the recovery code remains a way in) before its answer lands.
    patient.confirm().await;
    remove_passkey(&server, &patient.session, patient.passkey_id).await;
    let (status, detail) = refused(patient.client.login_finish(&assertion).await);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(detail.contains("not registered"), "{detail}");
    server.stop().await;
}

async fn remove_passkey(
    server: &TestServer,
    session: &SessionClient,
    id: uuid::Uuid,
) -> StatusCode {
    reqwest::Client::new()
        .delete(server.url(&format!("/api/v1/account/passkeys/{id}")))
        .header("cookie", session.cookie())
        .header("x-folio-csrf", &session.signed_in.session.csrf_token)
        .send()
        .await
        .expect("the request is sent")
        .status()
}

async fn a_pairing_code_works_once_and_not_late(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = PasskeyAccount::sign_up(&server).await;
    let redeem = |code: String| RedeemPairing {
        code,
        device_name: "phone".into(),
        device_recipient: Unlocker::from_device_key(&DeviceKey::generate())
            .recipient()
            .to_string(),
    };
    let pairing = patient.session.create_pairing().await.expect("a code");
    assert!(pairing.qr_svg.starts_with("<?xml") || pairing.qr_svg.contains("<svg"));
    let paired = patient
        .client
        .redeem_pairing(&redeem(pairing.code.clone()))
        .await
        .expect("the code pairs a device");
    assert!(paired.token.starts_with("fd_"));
    let (status, detail) = refused(patient.client.redeem_pairing(&redeem(pairing.code)).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(detail.contains("used"), "{detail}");

    let late = patient
        .session
        .create_pairing()
        .await
        .expect("another code");
    folio_server::storage::pairings::expire_now(server.server().storage().db(), late.id)
        .await
        .expect("the code is aged");
    let (status, detail) = refused(patient.client.redeem_pairing(&redeem(late.code)).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(detail.contains("expired"), "{detail}");

    let (status, _) = refused(
        patient
            .client
            .redeem_pairing(&redeem("AAAA-BBBB-CCCC".into()))
            .await,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    server.stop().await;
}

async fn authentication_endpoints_are_rate_limited(engine: Engine) {
    let server = TestServer::start_with(engine, |c| c.auth_attempts_per_minute = 5).await;
    let http = reqwest::Client::new();
    let attempt = || {
        http.post(server.url("/api/v1/auth/recover"))
            .json(&Recover {
                verifier: b64(&[7u8; 32]),
            })
            .send()
    };
    for _ in 0..5 {
        let response = attempt().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = attempt().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );
    // Each endpoint counts on its own: sign-in still answers.
    let start = http
        .post(server.url("/api/v1/auth/login/start"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::OK);
    server.stop().await;
}

async fn a_session_request_without_the_csrf_token_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = PasskeyAccount::sign_up(&server).await;
    let response = reqwest::Client::new()
        .post(server.url("/api/v1/account/pairings"))
        .header("cookie", patient.session.cookie())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let problem: serde_json::Value = response.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("CSRF"));
    // Reading needs no token; with it, the same request goes through.
    patient
        .session
        .account()
        .await
        .expect("a GET needs no CSRF token");
    patient
        .session
        .create_pairing()
        .await
        .expect("with the token it works");
    server.stop().await;
}

async fn sessions_end_on_sign_out_and_when_idle(engine: Engine) {
    let server = TestServer::start_with(engine, |c| c.session_idle_minutes = 1).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let session = patient.sign_in().await.unwrap();
    session.clone().sign_out().await.unwrap();
    let (status, _) = refused(session.account().await);
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let idle = patient.sign_in().await.unwrap();
    let db = server.server().storage().db();
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "UPDATE sessions SET last_seen_at = $1",
            _ => "UPDATE sessions SET last_seen_at = ?1",
        },
        [(chrono::Utc::now() - chrono::Duration::minutes(2)).into()],
    ))
    .await
    .unwrap();
    let (status, detail) = refused(idle.account().await);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(detail.contains("session has ended"), "{detail}");
    server.stop().await;
}

/// A page that only asks whether it is signed in gets 204 instead of 401 (so a signed-out
/// visitor's browser logs no failed request); a failure to check stays an error.
async fn asking_whether_signed_in_answers_no_content_when_asked_so(engine: Engine) {
    let server = TestServer::start(engine).await;
    let http = reqwest::Client::new();
    let ask = |query: &'static str, cookie: Option<&'static str>| {
        let mut request = http.get(server.url(&format!("/api/v1/session{query}")));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let plain = ask("", None).await.unwrap();
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
    let optional = ask("?optional=true", None).await.unwrap();
    assert_eq!(optional.status(), StatusCode::NO_CONTENT);
    assert!(optional.bytes().await.unwrap().is_empty());
    let ended = ask("?optional=true", Some("folio_session=no-such-session"))
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    let malformed = ask("?optional=maybe", None).await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.headers()["content-type"],
        "application/problem+json"
    );
    server.stop().await;
}

async fn the_recovery_code_signs_in_once_to_add_a_passkey_and_can_be_replaced(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let http = reqwest::Client::new();
    let recover = |verifier: [u8; 32]| {
        http.post(server.url("/api/v1/auth/recover"))
            .json(&Recover {
                verifier: b64(&verifier),
            })
            .send()
    };
    let response = recover(patient.recovery.sign_in_verifier()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // A recovery session may not use the account until it registers a passkey.
    let forbidden = http
        .get(server.url("/api/v1/account"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    // Replacing the code (confirmed with the passkey): the old one stops signing in at once.
    patient.confirm().await;
    let new_code = RecoveryCode::generate();
    let response = http
        .put(server.url("/api/v1/account/recovery-code"))
        .header("cookie", patient.session.cookie())
        .header(
            "x-folio-csrf",
            &patient.session.signed_in.session.csrf_token,
        )
        .json(&RecoverySetup {
            wrapped_key: b64(patient
                .account
                .wrap_to(&Unlocker::from_recovery_code(&new_code).recipient())
                .as_bytes()),
            verifier: b64(&new_code.sign_in_verifier()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let old = recover(patient.recovery.sign_in_verifier()).await.unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = recover(new_code.sign_in_verifier()).await.unwrap();
    assert_eq!(new.status(), StatusCode::OK);
    server.stop().await;
}

async fn the_last_way_in_cannot_be_removed(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    patient.confirm().await;
    let http = reqwest::Client::new();
    let delete_code = http
        .delete(server.url("/api/v1/account/recovery-code"))
        .header("cookie", patient.session.cookie())
        .header(
            "x-folio-csrf",
            &patient.session.signed_in.session.csrf_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(delete_code.status(), StatusCode::NO_CONTENT);
    let status = remove_passkey(&server, &patient.session, patient.passkey_id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let summary = patient.session.account().await.unwrap();
    assert_eq!((summary.passkeys, summary.has_recovery_code), (1, false));
    server.stop().await;
}

async fn deleting_the_account_needs_a_fresh_proof_and_removes_everything(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    // A vault with a segment, through a device of this account.
    let pairing = patient.session.create_pairing().await.unwrap();
    let device_key = DeviceKey::generate();
    let paired = patient
        .client
        .redeem_pairing(&RedeemPairing {
            code: pairing.code,
            device_name: "cli".into(),
            device_recipient: Unlocker::from_device_key(&device_key)
                .recipient()
                .to_string(),
        })
        .await
        .unwrap();
    let vault = Patient::with_account(&server, patient.account.clone(), paired.token.clone()).await;
    vault.upload_marker("DELETE-ME-MARKER").await;

    // Deleting needs a fresh proof of this session, from a passkey of this account.
    let start = patient.session.fresh_proof_start().await.unwrap();
    let mut stranger = PasskeyAccount::sign_up(&server).await;
    let foreign = stranger
        .passkey
        .authenticate(&stranger.origin, start.options.clone());
    assert!(
        foreign.is_err(),
        "a stranger's passkey has no credential in the options"
    );
    let origin = patient.origin.clone();
    let assertion = patient.answer(&start, &origin);
    patient
        .session
        .fresh_proof_finish(&assertion)
        .await
        .unwrap();

    let before = rows_of(&server, patient.account_id, vault.vault_id.0).await;
    assert!(
        before.iter().all(|(_, n)| *n > 0),
        "rows before deletion: {before:?}"
    );
    let deleted = reqwest::Client::new()
        .delete(server.url("/api/v1/account"))
        .header("cookie", patient.session.cookie())
        .header(
            "x-folio-csrf",
            &patient.session.signed_in.session.csrf_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let after = rows_of(&server, patient.account_id, vault.vault_id.0).await;
    assert!(
        after.iter().all(|(_, n)| *n == 0),
        "rows left after deletion: {after:?}"
    );
    stranger
        .sign_in()
        .await
        .expect("another account is untouched");
    let (status, _) = refused(patient.client.login_start(Some(patient.account_id)).await);
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the deleted account cannot sign in"
    );
    server.stop().await;
}

/// How many rows of the account (or of its vault) each table holds.
async fn rows_of(
    server: &TestServer,
    account: uuid::Uuid,
    vault: uuid::Uuid,
) -> Vec<(&'static str, i64)> {
    let db = server.server().storage().db();
    let backend = db.get_database_backend();
    let mut counts = Vec::new();
    for (table, column, id) in [
        ("accounts", "id", account),
        ("passkeys", "account_id", account),
        ("devices", "account_id", account),
        ("sessions", "account_id", account),
        ("recovery_codes", "account_id", account),
        ("fresh_proofs", "account_id", account),
        ("vaults", "owner_id", account),
        ("segments", "vault_id", vault),
    ] {
        let placeholder = if backend == sea_orm::DbBackend::Postgres {
            "$1"
        } else {
            "?1"
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = {placeholder}"),
                [id.into()],
            ))
            .await
            .expect("a count")
            .expect("a row");
        counts.push((table, row.try_get::<i64>("", "n").expect("a number")));
    }
    counts
}

on_every_engine!(
    signing_up_unlocks_with_the_passkey_and_signing_in_again_too,
    a_replayed_sign_in_is_refused,
    an_expired_challenge_is_refused,
    an_answer_for_another_origin_is_refused,
    a_cloned_authenticator_is_refused,
    an_unknown_credential_is_refused,
    a_pairing_code_works_once_and_not_late,
    authentication_endpoints_are_rate_limited,
    a_session_request_without_the_csrf_token_is_refused,
    sessions_end_on_sign_out_and_when_idle,
    asking_whether_signed_in_answers_no_content_when_asked_so,
    the_recovery_code_signs_in_once_to_add_a_passkey_and_can_be_replaced,
    the_last_way_in_cannot_be_removed,
    deleting_the_account_needs_a_fresh_proof_and_removes_everything,
);
