//! Fresh proof for account-critical changes (issue #21), on SQLite and PostgreSQL: a device
//! token or a session alone cannot replace the recovery code, add or remove a passkey,
//! revoke a device, delete a record or the account, or invite or remove a caregiver; a
//! user-verified passkey answer (or the recovery code) of the same caller in the last five
//! minutes can. Also: removing a passkey ends the sessions it signed in, and signing out
//! everywhere ends every session and device.

use folio_server::cli::soft_passkey::SoftPasskey;
use folio_server::client::VaultClient;
use folio_server::client::account::SessionClient;
use folio_shared::api::Problem;
use folio_shared::api::account::{
    AccountCriticalAction, AddPasskey, FRESH_PROOF_ACTION_MEMBER, FRESH_PROOF_REQUIRED,
    FreshProofMethod, RecoverySetup, RedeemPairing, RegistrationOptions, RegistrationStart,
    SignedIn, UserVerificationPolicy,
};
use folio_shared::api::care::CreateInvitation;
use folio_shared::care::Role;
use folio_shared::keys::{DeviceKey, RecoveryCode, Unlocker};
use folio_tests::passkey_account::{PasskeyAccount, b64};
use folio_tests::vault_fixture::Patient;
use folio_tests::{Engine, TestServer, on_every_engine};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// Who sends a request: a device's bearer token, or a session's cookie and CSRF token.
#[derive(Clone, Copy)]
enum Caller<'a> {
    Device(&'a str),
    Session { cookie: &'a str, csrf: &'a str },
}

impl<'a> Caller<'a> {
    fn session(session: &'a SessionClient) -> Self {
        Caller::Session {
            cookie: session.cookie(),
            csrf: &session.signed_in.session.csrf_token,
        }
    }
}

/// Sends `method path` with `body` as `caller`; the status and the body as JSON.
async fn call(
    server: &TestServer,
    caller: Caller<'_>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().request(method, server.url(path));
    request = match caller {
        Caller::Device(token) => request.bearer_auth(token),
        Caller::Session { cookie, csrf } => request
            .header("cookie", cookie)
            .header("x-folio-csrf", csrf),
    };
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the request is sent");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Asserts a 403 that asks for a fresh proof for `action`, in words and in fields.
fn assert_needs_fresh_proof(
    (status, body): &(StatusCode, Value),
    action: AccountCriticalAction,
    what: &str,
) {
    assert_eq!(*status, StatusCode::FORBIDDEN, "{what}: {body}");
    let problem: Problem = serde_json::from_value(body.clone()).expect("a problem body");
    assert_eq!(problem.kind, FRESH_PROOF_REQUIRED, "{what}");
    assert!(folio_shared::api::account::needs_fresh_proof(&problem));
    assert_eq!(
        problem.extensions[FRESH_PROOF_ACTION_MEMBER],
        serde_json::to_value(action).unwrap(),
        "{what}"
    );
    let detail = problem.detail.unwrap_or_default();
    assert!(
        detail.contains("POST /api/v1/auth/fresh-proof/start") && detail.contains("passkey"),
        "{what}: {detail}"
    );
}

fn recovery_setup(patient: &PasskeyAccount, code: &RecoveryCode) -> Value {
    serde_json::to_value(RecoverySetup {
        wrapped_key: b64(patient
            .account
            .wrap_to(&Unlocker::from_recovery_code(code).recipient())
            .as_bytes()),
        verifier: b64(&code.sign_in_verifier()),
    })
    .unwrap()
}

fn invitation() -> Value {
    serde_json::to_value(CreateInvitation {
        role: Role::Viewer,
        name: "Sam".into(),
        ends_at: None,
        emergency_wait_hours: None,
    })
    .unwrap()
}

/// Pairs a new device to the account; its id and token.
async fn pair_device(patient: &PasskeyAccount, name: &str) -> (Uuid, String) {
    let pairing = patient.session.create_pairing().await.expect("a code");
    let paired = patient
        .client
        .redeem_pairing(&RedeemPairing {
            code: pairing.code,
            device_name: name.into(),
            device_recipient: Unlocker::from_device_key(&DeviceKey::generate())
                .recipient()
                .to_string(),
        })
        .await
        .expect("paired");
    (paired.device_id, paired.token)
}

/// Registers a new software passkey through `caller` (a session that has a fresh proof).
async fn add_passkey(
    server: &TestServer,
    caller: Caller<'_>,
    origin: &url::Url,
) -> (SoftPasskey, Uuid) {
    let (status, body) = call(
        server,
        caller,
        Method::POST,
        "/api/v1/account/passkeys/register/start",
        Some(
            serde_json::to_value(RegistrationStart {
                display_name: "Second".into(),
                discoverable: false,
            })
            .unwrap(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let options: RegistrationOptions = serde_json::from_value(body).unwrap();
    let mut passkey = SoftPasskey::generate().unwrap();
    let credential = passkey.register(origin, options.options).unwrap();
    let (status, body) = call(
        server,
        caller,
        Method::POST,
        "/api/v1/account/passkeys/register/finish",
        Some(
            serde_json::to_value(AddPasskey {
                ceremony_id: options.ceremony_id,
                credential,
                name: "second passkey".into(),
                prf_enabled: false,
                wrapped_key: None,
            })
            .unwrap(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().parse().unwrap();
    (passkey, id)
}

async fn every_account_critical_route_needs_a_fresh_proof_of_its_caller(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let (device_id, token) = pair_device(&patient, "phone").await;
    let (other_device, _) = pair_device(&patient, "old laptop").await;
    let record = Patient::with_account(&server, patient.account.clone(), token.clone()).await;
    let vault = record.vault_id.0;
    let device = Caller::Device(&token);
    let new_code = RecoveryCode::generate();

    // A device token alone: refused everywhere, with a problem naming the fresh proof.
    use AccountCriticalAction as A;
    let routes = [
        (
            A::ReplaceRecoveryCode,
            Method::PUT,
            "/api/v1/account/recovery-code".to_owned(),
            Some(recovery_setup(&patient, &new_code)),
        ),
        (
            A::RemoveRecoveryCode,
            Method::DELETE,
            "/api/v1/account/recovery-code".to_owned(),
            None,
        ),
        (
            A::RemovePasskey,
            Method::DELETE,
            format!("/api/v1/account/passkeys/{}", patient.passkey_id),
            None,
        ),
        (
            A::RevokeDevice,
            Method::DELETE,
            format!("/api/v1/account/devices/{other_device}"),
            None,
        ),
        (
            A::DeleteRecord,
            Method::DELETE,
            format!("/api/v1/vaults/{vault}"),
            None,
        ),
        (
            A::DeleteAccount,
            Method::DELETE,
            "/api/v1/account".to_owned(),
            None,
        ),
        (
            A::InviteCaregiver,
            Method::POST,
            format!("/api/v1/vaults/{vault}/caregivers"),
            Some(invitation()),
        ),
        (
            A::RemoveCaregiver,
            Method::DELETE,
            format!("/api/v1/vaults/{vault}/caregivers/{}", Uuid::new_v4()),
            None,
        ),
    ];
    for (action, method, path, body) in &routes {
        let answer = call(&server, device, method.clone(), path, body.clone()).await;
        assert_needs_fresh_proof(&answer, *action, &format!("device: {method} {path}"));
    }
    // Adding a passkey takes a session; an old session alone is refused too.
    let sign_up_session = patient.session.clone();
    let session = Caller::session(&sign_up_session);
    let add = call(
        &server,
        session,
        Method::POST,
        "/api/v1/account/passkeys/register/start",
        Some(json!({"display_name": "Second", "discoverable": false})),
    )
    .await;
    assert_needs_fresh_proof(&add, A::AddPasskey, "session: add a passkey");
    for (action, method, path, body) in &routes {
        let answer = call(&server, session, method.clone(), path, body.clone()).await;
        assert_needs_fresh_proof(&answer, *action, &format!("session: {method} {path}"));
    }

    // After the device confirms with a user-verified passkey answer, the same calls succeed.
    let proof = patient
        .confirm_device(&VaultClient::new(&server.base_url, &token))
        .await;
    assert_eq!(proof.method, FreshProofMethod::Passkey);
    let seconds_left = (proof.expires_at - chrono::Utc::now()).num_seconds();
    assert!((290..=300).contains(&seconds_left), "{seconds_left} s");
    // ... for that device only: the session has proved nothing.
    let (status, _) = call(
        &server,
        session,
        Method::PUT,
        "/api/v1/account/recovery-code",
        Some(recovery_setup(&patient, &new_code)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, invited) = call(
        &server,
        device,
        Method::POST,
        &format!("/api/v1/vaults/{vault}/caregivers"),
        Some(invitation()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{invited}");
    let (status, body) = call(
        &server,
        device,
        Method::DELETE,
        &format!(
            "/api/v1/vaults/{vault}/caregivers/{}",
            invited["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &server,
        device,
        Method::PUT,
        "/api/v1/account/recovery-code",
        Some(recovery_setup(&patient, &new_code)),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = call(
        &server,
        device,
        Method::DELETE,
        &format!("/api/v1/account/devices/{other_device}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    patient.confirm().await;
    let origin = patient.origin.clone();
    let (_, second) = add_passkey(&server, session, &origin).await;
    let (status, body) = call(
        &server,
        device,
        Method::DELETE,
        &format!("/api/v1/account/passkeys/{second}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = call(
        &server,
        device,
        Method::DELETE,
        "/api/v1/account/recovery-code",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = call(
        &server,
        device,
        Method::DELETE,
        &format!("/api/v1/vaults/{vault}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = call(&server, device, Method::DELETE, "/api/v1/account", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = call(&server, device, Method::GET, "/api/v1/account", None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the device {device_id} went with the account"
    );
    server.stop().await;
}

/// Sets every proof's time `seconds` back.
async fn age_proofs(server: &TestServer, seconds: i64) {
    let db = server.server().storage().db();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE fresh_proofs SET proven_at = $1",
        _ => "UPDATE fresh_proofs SET proven_at = ?1",
    };
    let rows = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [(chrono::Utc::now() - chrono::Duration::seconds(seconds)).into()],
        ))
        .await
        .expect("proofs aged");
    assert!(rows.rows_affected() > 0, "a proof to age");
}

async fn a_proof_older_than_five_minutes_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let sign_up_session = patient.session.clone();
    let session = Caller::session(&sign_up_session);
    let code = RecoveryCode::generate();
    patient.confirm().await;
    age_proofs(&server, 5 * 60 + 1).await;
    let answer = call(
        &server,
        session,
        Method::PUT,
        "/api/v1/account/recovery-code",
        Some(recovery_setup(&patient, &code)),
    )
    .await;
    assert_needs_fresh_proof(
        &answer,
        AccountCriticalAction::ReplaceRecoveryCode,
        "an old proof",
    );
    // Just inside the five minutes it still counts.
    patient.confirm().await;
    age_proofs(&server, 5 * 60 - 10).await;
    let (status, body) = call(
        &server,
        session,
        Method::PUT,
        "/api/v1/account/recovery-code",
        Some(recovery_setup(&patient, &code)),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    server.stop().await;
}

async fn an_answer_without_user_verification_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let mut options = patient.session.fresh_proof_start().await.unwrap();
    assert_eq!(
        options.options.public_key.user_verification,
        UserVerificationPolicy::Required,
        "the challenge asks for user verification"
    );
    // The authenticator answers with a touch only (the UV flag unset).
    options.options.public_key.user_verification = UserVerificationPolicy::Preferred;
    let origin = patient.origin.clone();
    let assertion = patient.answer(&options, &origin);
    let refused = patient
        .session
        .fresh_proof_finish(&assertion)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(
        refused.to_string().contains("did not verify you"),
        "{refused}"
    );
    let answer = call(
        &server,
        Caller::session(&patient.session),
        Method::DELETE,
        "/api/v1/account",
        None,
    )
    .await;
    assert_needs_fresh_proof(
        &answer,
        AccountCriticalAction::DeleteAccount,
        "after a touch-only answer",
    );
    server.stop().await;
}

async fn recover(server: &TestServer, code: &RecoveryCode) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/api/v1/auth/recover"))
        .json(&json!({"verifier": b64(&code.sign_in_verifier())}))
        .send()
        .await
        .unwrap()
}

async fn a_stolen_device_token_cannot_replace_the_recovery_code_and_recover(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = PasskeyAccount::sign_up(&server).await;
    let (_, stolen) = pair_device(&patient, "stolen phone").await;
    let attackers = RecoveryCode::generate();
    let answer = call(
        &server,
        Caller::Device(&stolen),
        Method::PUT,
        "/api/v1/account/recovery-code",
        Some(recovery_setup(&patient, &attackers)),
    )
    .await;
    assert_needs_fresh_proof(
        &answer,
        AccountCriticalAction::ReplaceRecoveryCode,
        "stolen token",
    );
    assert_eq!(
        recover(&server, &attackers).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Nor can it prove with a recovery code of its own making, or another account's.
    let other = PasskeyAccount::sign_up(&server).await;
    let refused = VaultClient::new(&server.base_url, &stolen)
        .fresh_proof_with_recovery_code(&other.recovery.sign_in_verifier())
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(
        recover(&server, &patient.recovery).await.status(),
        StatusCode::OK,
        "the owner's code still works"
    );
    server.stop().await;
}

async fn signing_in_with_the_recovery_code_proves_only_what_recovering_needs(engine: Engine) {
    let server = TestServer::start(engine).await;
    let patient = PasskeyAccount::sign_up(&server).await;
    let (device_id, _) = pair_device(&patient, "phone").await;
    let response = recover(&server, &patient.recovery).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let signed_in: SignedIn = response.json().await.unwrap();
    let recovering = Caller::Session {
        cookie: &cookie,
        csrf: &signed_in.session.csrf_token,
    };

    add_passkey(&server, recovering, &patient.origin).await;
    let new_code = RecoveryCode::generate();
    let (status, body) = call(
        &server,
        recovering,
        Method::PUT,
        "/api/v1/account/recovery-code",
        Some(recovery_setup(&patient, &new_code)),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // The rest needs a proof asked for on purpose.
    let answer = call(
        &server,
        recovering,
        Method::DELETE,
        &format!("/api/v1/account/devices/{device_id}"),
        None,
    )
    .await;
    assert_needs_fresh_proof(
        &answer,
        AccountCriticalAction::RevokeDevice,
        "recovered session",
    );
    let answer = call(
        &server,
        recovering,
        Method::DELETE,
        &format!("/api/v1/account/passkeys/{}", patient.passkey_id),
        None,
    )
    .await;
    assert_needs_fresh_proof(
        &answer,
        AccountCriticalAction::RemovePasskey,
        "recovered session",
    );
    // The new recovery code is such a proof.
    let (status, body) = call(
        &server,
        recovering,
        Method::POST,
        "/api/v1/auth/fresh-proof/recovery-code",
        Some(json!({"verifier": b64(&new_code.sign_in_verifier())})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["method"], "recovery_code");
    let (status, body) = call(
        &server,
        recovering,
        Method::DELETE,
        &format!("/api/v1/account/devices/{device_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    server.stop().await;
}

async fn removing_a_passkey_ends_the_sessions_it_started(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    patient.confirm().await;
    let origin = patient.origin.clone();
    let (mut second, second_id) =
        add_passkey(&server, Caller::session(&patient.session), &origin).await;
    // A session signed in with the second passkey, another with the first.
    let options = patient.login_start().await;
    let credential = second
        .authenticate(&origin, options.options.clone())
        .unwrap();
    let with_second = patient
        .client
        .login_finish(&folio_shared::api::account::Assertion {
            ceremony_id: options.ceremony_id,
            credential,
        })
        .await
        .unwrap();
    assert_eq!(with_second.signed_in.passkey_id, Some(second_id));
    let with_first = patient.sign_in().await.unwrap();

    patient.confirm_session(&with_first).await;
    let (status, body) = call(
        &server,
        Caller::session(&with_first),
        Method::DELETE,
        &format!("/api/v1/account/passkeys/{second_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let ended = with_second.account().await.unwrap_err();
    assert_eq!(ended.status(), Some(StatusCode::UNAUTHORIZED), "{ended}");
    with_first
        .account()
        .await
        .expect("the first passkey's session goes on");
    patient
        .session
        .account()
        .await
        .expect("and so does the sign-up session");
    server.stop().await;
}

async fn signing_out_everywhere_ends_every_session_and_device(engine: Engine) {
    let server = TestServer::start(engine).await;
    let mut patient = PasskeyAccount::sign_up(&server).await;
    let other_session = patient.sign_in().await.unwrap();
    let (_, token) = pair_device(&patient, "phone").await;
    let (_, other_token) = pair_device(&patient, "laptop").await;
    let bystander = PasskeyAccount::sign_up(&server).await;

    let device = VaultClient::new(&server.base_url, &token);
    let ended = device.sign_out_everywhere().await.unwrap();
    assert_eq!((ended.sessions_ended, ended.devices_signed_out), (2, 2));
    for session in [&patient.session, &other_session] {
        assert_eq!(
            session.account().await.unwrap_err().status(),
            Some(StatusCode::UNAUTHORIZED)
        );
    }
    for token in [&token, &other_token] {
        let (status, _) = call(
            &server,
            Caller::Device(token),
            Method::GET,
            "/api/v1/account",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    bystander
        .session
        .account()
        .await
        .expect("another account is untouched");
    // The passkey still signs in.
    patient.sign_in().await.expect("signing in again works");
    server.stop().await;
}

on_every_engine!(
    every_account_critical_route_needs_a_fresh_proof_of_its_caller,
    a_proof_older_than_five_minutes_is_refused,
    an_answer_without_user_verification_is_refused,
    a_stolen_device_token_cannot_replace_the_recovery_code_and_recover,
    signing_in_with_the_recovery_code_proves_only_what_recovering_needs,
    removing_a_passkey_ends_the_sessions_it_started,
    signing_out_everywhere_ends_every_session_and_device,
);
