//! Passkey accounts in the real app: headless Chromium with a virtual authenticator signs
//! up, signs out and back in, unlocks, recovers and manages the account, through the built
//! WASM app under the production CSP.
//!
//! The page is opened at `http://localhost:PORT` (the server's public URL): WebAuthn needs
//! a secure context and a relying-party id that is a domain, which an IP address is not.

use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::web_authn::{
    AuthenticatorId, SetAutomaticPresenceSimulationParams,
};
use folio_shared::api::account::{AccountUnlock, PairedDevice, RedeemPairing};
use folio_shared::keys::{DeviceKey, Unlocker, WrappedKey};
use folio_tests::browser::{
    Browser, add_security_key, add_virtual_authenticator, authenticator_credentials, click,
    download, expect_vault_unlocked, fill, remove_virtual_authenticator, screenshot, sign_up,
    text_of, wait_for,
};
use folio_tests::{Engine, TestServer, app_dir};

/// A phone-sized viewport: the app is built mobile-first.
const PHONE: (u32, u32) = (390, 844);

async fn start_server() -> TestServer {
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}: run `cargo xtask test`, which builds it",
        dist.display()
    );
    TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist).await
}

/// Sets every fresh proof five minutes back, so the next account-critical change asks the
/// passkey again.
async fn age_fresh_proofs(server: &TestServer) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = server.server().storage().db();
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE fresh_proofs SET proven_at = ?1",
        [(chrono::Utc::now() - chrono::Duration::minutes(5)).into()],
    ))
    .await
    .expect("proofs aged");
}

/// Lets a virtual authenticator answer by itself, or keeps it waiting for a touch.
async fn set_presence(page: &Page, authenticator: &AuthenticatorId, answers: bool) {
    page.execute(SetAutomaticPresenceSimulationParams::new(
        authenticator.clone(),
        answers,
    ))
    .await
    .expect("the authenticator's presence is set");
}

/// Links a device from the open settings page: the test plays the device, redeeming the
/// pairing code with a key of its own. Returns the device's answer and its key.
async fn pair_device(page: &Page, server: &TestServer, name: &str) -> (PairedDevice, DeviceKey) {
    click(page, "#devices-title ~ button").await;
    let pairing_code = text_of(page, "[data-testid=pairing-code]").await;
    let device_key = DeviceKey::generate();
    let paired = reqwest::Client::new()
        .post(server.url("/api/v1/pairings/redeem"))
        .json(&RedeemPairing {
            code: pairing_code,
            device_name: name.into(),
            device_recipient: Unlocker::from_device_key(&device_key)
                .recipient()
                .to_string(),
        })
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the pairing code is redeemed")
        .json()
        .await
        .unwrap();
    (paired, device_key)
}

/// Waits until the app has given every linked device the account key.
async fn wait_until_keyed(page: &Page) {
    wait_for(
        page,
        "(document.querySelector('[data-testid=device-list]')||{}).innerText?.includes('Unlocks') ? 'keyed' : ''",
        Duration::from_secs(30),
    )
    .await;
}

/// Signs out with the masthead button and waits for the signed-out masthead.
async fn sign_out(page: &Page) {
    click(page, "[data-testid=sign-out]").await;
    wait_for(
        page,
        "document.querySelector('.masthead a[href=\"/signin\"]') ? 'signed out' : ''",
        Duration::from_secs(20),
    )
    .await;
}

/// Records, for the life of the document, whether the unlock page or a recovery-code field
/// was ever rendered (the app navigates without reloading, so one observer sees it all).
async fn watch_for_unlock_page(page: &Page) {
    page.evaluate(
        "(() => { window.sawUnlockPage = false; \
         const check = () => { if (document.querySelector('#unlock-title, #recovery-code')) \
         window.sawUnlockPage = true; }; \
         new MutationObserver(check).observe(document.body, { childList: true, subtree: true }); \
         check(); return 'watching'; })()",
    )
    .await
    .expect("the observer is installed");
}

/// Makes the browser report that it cannot offer passkeys as autofill suggestions, for the
/// rest of this document. Chromium completes an autofill request at once when a virtual
/// authenticator holds a passkey, which would sign in before any button is pressed.
async fn turn_off_autofill(page: &Page) {
    page.evaluate(
        "(() => { PublicKeyCredential.isConditionalMediationAvailable = async () => false; \
         return 'off'; })()",
    )
    .await
    .expect("autofill is turned off");
}

async fn saw_unlock_page(page: &Page) -> bool {
    page.evaluate("window.sawUnlockPage")
        .await
        .expect("the observer's finding")
        .into_value()
        .expect("a boolean")
}

async fn path_of(page: &Page) -> String {
    page.evaluate("location.pathname")
        .await
        .expect("the location")
        .into_value()
        .expect("a string")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_with_prf_signs_in_and_unlocks_without_the_recovery_code() {
    let server = start_server().await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    let authenticator = add_virtual_authenticator(&page, true).await;

    let code = sign_up(&page, "Alice Example", "passkeys-prf-recovery-code.png").await;
    assert_eq!(code.len(), 7 * 5 + 6, "a printed code: {code}");
    expect_vault_unlocked(&page).await;
    screenshot(&page, "passkeys-prf-home-unlocked.png").await;
    let credentials = authenticator_credentials(&page, &authenticator).await;
    assert_eq!(credentials.len(), 1, "one passkey on the authenticator");
    assert!(
        credentials[0].is_resident_credential,
        "a discoverable passkey"
    );

    sign_out(&page).await;
    assert!(
        page.evaluate("document.querySelector('[data-testid=vault-status]') === null")
            .await
            .unwrap()
            .into_value::<bool>()
            .unwrap(),
        "signing out forgets the vault"
    );

    // The button: a modal request, with PRF.
    watch_for_unlock_page(&page).await;
    turn_off_autofill(&page).await;
    click(&page, ".masthead a[href=\"/signin\"]").await;
    screenshot(&page, "passkeys-prf-sign-in.png").await;
    click(&page, "[data-testid=passkey-sign-in]").await;
    expect_vault_unlocked(&page).await;
    assert_eq!(path_of(&page).await, "/");
    assert!(
        !saw_unlock_page(&page).await,
        "the passkey's PRF output unlocked the account; the unlock page was never needed"
    );
    screenshot(&page, "passkeys-prf-signed-in-unlocked.png").await;

    // A reload keeps the session (a cookie) but not the key (memory only); the passkey
    // unlocks again.
    page.reload().await.expect("a reload");
    click(&page, "#locked ~ .actions a[href=\"/unlock\"]").await;
    let reason = text_of(&page, "[data-testid=unlock-reason]").await;
    assert!(
        reason.contains("only in memory"),
        "the unlock page says: {reason}"
    );
    click(&page, "#unlock-title ~ button.primary").await;
    expect_vault_unlocked(&page).await;

    // Autofill: the reload brought the browser's own conditional mediation back, and
    // Chromium's virtual authenticator picks its passkey as soon as it is offered.
    sign_out(&page).await;
    watch_for_unlock_page(&page).await;
    click(&page, ".masthead a[href=\"/signin\"]").await;
    expect_vault_unlocked(&page).await;
    assert!(
        !saw_unlock_page(&page).await,
        "signing in from autofill unlocks too"
    );

    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_prf_the_unlock_page_explains_and_the_recovery_code_unlocks() {
    let server = start_server().await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, false).await;

    let code = sign_up(&page, "Bob Example", "passkeys-no-prf-recovery-code.png").await;
    expect_vault_unlocked(&page).await;
    sign_out(&page).await;

    turn_off_autofill(&page).await;
    click(&page, ".masthead a[href=\"/signin\"]").await;
    click(&page, "[data-testid=passkey-sign-in]").await;
    let reason = text_of(&page, "[data-testid=unlock-reason]").await;
    assert!(
        reason.contains("doesn't support the PRF extension"),
        "the unlock page says why: {reason}"
    );
    assert_eq!(path_of(&page).await, "/unlock");
    screenshot(&page, "passkeys-no-prf-unlock.png").await;

    // A typo is caught before anything is tried, and the message names the group.
    let mut typo: Vec<char> = code.chars().collect();
    typo[7] = if typo[7] == 'A' { 'B' } else { 'A' };
    fill(
        &page,
        "#recovery-code",
        &typo.into_iter().collect::<String>(),
    )
    .await;
    click(&page, ".recovery-form button[type=submit]").await;
    let alert = text_of(&page, ".recovery-form ~ [role=alert]").await;
    assert!(alert.contains("group 2"), "the typo is located: {alert}");

    // Typed the way people type: lower case, spaces for dashes.
    fill(
        &page,
        "#recovery-code",
        &code.to_lowercase().replace('-', " "),
    )
    .await;
    click(&page, ".recovery-form button[type=submit]").await;
    expect_vault_unlocked(&page).await;
    screenshot(&page, "passkeys-no-prf-unlocked-with-code.png").await;

    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_manage_passkeys_recovery_code_devices_and_deletion() {
    let server = start_server().await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    let authenticator = add_virtual_authenticator(&page, true).await;
    let first_code = sign_up(&page, "Carol Example", "passkeys-settings-signup.png").await;
    expect_vault_unlocked(&page).await;

    click(&page, ".masthead a[href=\"/settings\"]").await;
    let passkeys = text_of(&page, "[data-testid=passkey-list]").await;
    assert!(
        passkeys.contains("Unlocks"),
        "the passkey unlocks: {passkeys}"
    );

    // Rename the passkey.
    click(
        &page,
        "[data-testid=passkey-list] .item-actions button:not(.danger)",
    )
    .await;
    fill(
        &page,
        "[data-testid=passkey-list] .inline-form input",
        "Test phone",
    )
    .await;
    click(
        &page,
        "[data-testid=passkey-list] .inline-form button[type=submit]",
    )
    .await;
    wait_for(
        &page,
        "(document.querySelector('[data-testid=passkey-list] .item-name')||{}).innerText === 'Test phone' ? 'renamed' : ''",
        Duration::from_secs(20),
    )
    .await;

    // A change that needs a fresh proof is refused to the session alone, with a problem the
    // app recognises.
    let refused: String = page
        .evaluate(
            "(async () => { \
             const session = await (await fetch('/api/v1/session')).json(); \
             const answer = await fetch('/api/v1/account/recovery-code', \
               { method: 'DELETE', headers: { 'x-folio-csrf': session.csrf_token } }); \
             return answer.status + ' ' + (await answer.json()).type; })()",
        )
        .await
        .expect("the request is answered")
        .into_value()
        .expect("a status and a type");
    assert_eq!(
        refused,
        format!("403 {}", folio_shared::api::account::FRESH_PROOF_REQUIRED)
    );

    // A new recovery code replaces the old one, shown once, after the passkey confirms.
    click(&page, "#recovery-title ~ button").await;
    click(&page, "#recovery-confirm ~ .actions button.primary").await;
    let second_code = text_of(&page, "[data-testid=recovery-code]").await;
    assert_ne!(second_code, first_code);
    click(&page, "#recovery-code-saved").await;
    click(&page, "#recovery-code-title ~ button.primary").await;

    // Add a passkey on a second authenticator (the proof just made still counts). The
    // first, which already holds a passkey of this account, is kept from answering: a
    // browser would let the user pick, Chromium's virtual environment takes whichever
    // answers first.
    // The spare has no PRF (a plain security key), so adding it signs nothing in again and
    // this session stays the first passkey's.
    set_presence(&page, &authenticator, false).await;
    let spare = add_security_key(&page).await;
    click(&page, "#passkeys-title ~ button").await;
    fill(&page, "#display-name", "Carol Example").await;
    fill(&page, "#passkey-name", "Spare key").await;
    click(&page, "#passkeys-title ~ form button[type=submit]").await;
    wait_for(
        &page,
        "document.querySelectorAll('[data-testid=passkey-list] li').length === 2 ? 'added' : ''",
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(authenticator_credentials(&page, &spare).await.len(), 1);
    screenshot(&page, "passkeys-settings-added.png").await;
    set_presence(&page, &authenticator, true).await;

    // Remove it: the proof has run out, so the passkey confirms again first.
    age_fresh_proofs(&server).await;
    click(
        &page,
        "[data-testid=passkey-list] li:nth-child(2) .item-actions button.danger",
    )
    .await;
    click(
        &page,
        "[data-testid=passkey-list] li:nth-child(2) .item-actions button.danger",
    )
    .await;
    wait_for(
        &page,
        "document.querySelectorAll('[data-testid=passkey-list] li').length === 1 ? 'removed' : ''",
        Duration::from_secs(30),
    )
    .await;
    remove_virtual_authenticator(&page, spare).await;

    // Removing the last way in is refused, with the server's reason shown. The recovery
    // code is a way in too, so it goes first, through the API as any client could (the
    // session confirmed a moment ago).
    let removed: u16 = page
        .evaluate(
            "(async () => { \
             const session = await (await fetch('/api/v1/session')).json(); \
             const answer = await fetch('/api/v1/account/recovery-code', \
               { method: 'DELETE', headers: { 'x-folio-csrf': session.csrf_token } }); \
             return answer.status; })()",
        )
        .await
        .expect("the recovery code is removed")
        .into_value()
        .expect("a status");
    assert_eq!(removed, 204);
    click(
        &page,
        "[data-testid=passkey-list] .item-actions button.danger",
    )
    .await;
    click(
        &page,
        "[data-testid=passkey-list] .item-actions button.danger",
    )
    .await;
    let refusal = text_of(&page, "#passkeys-title ~ [role=alert]").await;
    assert!(!refusal.is_empty());
    assert!(
        text_of(&page, "[data-testid=passkey-list]")
            .await
            .contains("Test phone"),
        "the passkey is still there"
    );
    screenshot(&page, "passkeys-settings-last-passkey.png").await;

    // Link a device: the test plays the device, redeeming the code with its own key; the
    // app, polling, wraps the account key to it.
    let (paired, device_key) = pair_device(&page, &server, "Test CLI").await;
    screenshot(&page, "passkeys-settings-pairing.png").await;
    wait_until_keyed(&page).await;
    let http = reqwest::Client::new();
    let unlock: AccountUnlock = http
        .get(server.url("/api/v1/account/unlock"))
        .bearer_auth(&paired.token)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the device reads its unlock")
        .json()
        .await
        .unwrap();
    let wrapped = unlock
        .device
        .expect("the app wrapped the account key to the device");
    use base64::Engine as _;
    let wrapped = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(wrapped)
        .unwrap();
    let account = WrappedKey::from_bytes(wrapped)
        .unwrap_account(&Unlocker::from_device_key(&device_key))
        .expect("the device's key opens the account key");
    assert_eq!(account.recipient().to_string(), unlock.account_recipient);
    screenshot(&page, "passkeys-settings-device-linked.png").await;

    // Delete the account: a dialog, then the passkey confirms (always, however recently).
    click(&page, "#account-title ~ .actions button.danger").await;
    click(&page, "dialog[open] button.danger").await;
    wait_for(
        &page,
        "location.pathname === '/' && document.querySelector('.masthead a[href=\"/signup\"]') ? 'gone' : ''",
        Duration::from_secs(30),
    )
    .await;
    assert!(
        authenticator_credentials(&page, &authenticator)
            .await
            .is_empty(),
        "the browser was told the account's passkeys are gone"
    );
    let session = http
        .get(server.url("/api/v1/account"))
        .bearer_auth(&paired.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        session.status(),
        401,
        "the device token died with the account"
    );

    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_ends_this_session_and_every_device() {
    let server = start_server().await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, true).await;
    sign_up(&page, "Erin Example", "passkeys-everywhere-signup.png").await;
    expect_vault_unlocked(&page).await;

    // A linked device, paired from settings.
    click(&page, ".masthead a[href=\"/settings\"]").await;
    let (paired, _) = pair_device(&page, &server, "Old laptop").await;

    click(&page, "[data-testid=sign-out-everywhere]").await;
    screenshot(&page, "passkeys-sign-out-everywhere.png").await;
    click(&page, "[data-testid=sign-out-everywhere-confirm]").await;
    wait_for(
        &page,
        "location.pathname === '/' && document.querySelector('.masthead a[href=\"/signin\"]') ? 'signed out' : ''",
        Duration::from_secs(30),
    )
    .await;
    let session: u16 = page
        .evaluate("fetch('/api/v1/session').then(answer => answer.status)")
        .await
        .expect("the session is asked for")
        .into_value()
        .expect("a status");
    assert_eq!(session, 401, "this browser's session ended");
    let device = reqwest::Client::new()
        .get(server.url("/api/v1/account"))
        .bearer_auth(&paired.token)
        .send()
        .await
        .unwrap();
    assert_eq!(device.status(), 401, "the linked device is signed out");

    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recovery_code_brings_back_an_account_whose_passkeys_are_lost() {
    let server = start_server().await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    let lost_phone = add_virtual_authenticator(&page, true).await;
    let old_code = sign_up(&page, "Dana Example", "passkeys-recover-signup.png").await;
    expect_vault_unlocked(&page).await;
    sign_out(&page).await;

    // Every passkey goes with the lost phone; the new phone has none yet.
    remove_virtual_authenticator(&page, lost_phone).await;
    let new_phone = add_virtual_authenticator(&page, true).await;

    click(&page, ".masthead a[href=\"/signin\"]").await;
    click(&page, "main a[href=\"/recover\"]").await;
    fill(&page, "#recovery-code", &old_code).await;
    click(&page, "form button[type=submit]").await;

    // The recovery session can only register a passkey, so that comes next.
    fill(&page, "#display-name", "Dana Example").await;
    screenshot(&page, "passkeys-recover-new-passkey.png").await;
    click(&page, "form button[type=submit]").await;

    // Back in; the code that was just typed is replaced.
    click(&page, "#recovered-title ~ .actions button.primary").await;
    let new_code = text_of(&page, "[data-testid=recovery-code]").await;
    assert_ne!(new_code, old_code);
    click(&page, "#recovery-code-saved").await;
    click(&page, "#recovery-code-title ~ button.primary").await;
    expect_vault_unlocked(&page).await;
    assert_eq!(
        authenticator_credentials(&page, &new_phone).await.len(),
        1,
        "the new phone holds the new passkey"
    );

    // The new passkey unlocks by itself.
    sign_out(&page).await;
    watch_for_unlock_page(&page).await;
    turn_off_autofill(&page).await;
    click(&page, ".masthead a[href=\"/signin\"]").await;
    click(&page, "[data-testid=passkey-sign-in]").await;
    expect_vault_unlocked(&page).await;
    assert!(!saw_unlock_page(&page).await, "the new passkey unlocks");

    // The old code no longer signs in.
    sign_out(&page).await;
    click(&page, ".masthead a[href=\"/signin\"]").await;
    click(&page, "main a[href=\"/recover\"]").await;
    fill(&page, "#recovery-code", &old_code).await;
    click(&page, "form button[type=submit]").await;
    let refusal = text_of(&page, "form ~ [role=alert]").await;
    assert!(
        refusal.contains("replaced"),
        "the old code is refused: {refusal}"
    );
    screenshot(&page, "passkeys-recover-old-code-refused.png").await;

    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_recovery_code_can_be_copied_and_downloaded_and_holds_the_links_until_saved() {
    use chromiumoxide::cdp::browser_protocol::browser::{
        PermissionDescriptor, PermissionSetting, SetPermissionParams,
    };
    let server = start_server().await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, true).await;
    let downloads = tempfile::tempdir().expect("a download folder");
    // The test reads the clipboard back, which a page may only do when allowed.
    for name in ["clipboard-read", "clipboard-write"] {
        page.execute(
            SetPermissionParams::builder()
                .permission(PermissionDescriptor::new(name))
                .setting(PermissionSetting::Granted)
                .origin(server.public("").trim_end_matches('/'))
                .build()
                .expect("a permission"),
        )
        .await
        .expect("the clipboard is allowed");
    }
    browser.allow_downloads(downloads.path()).await;

    fill(&page, "#display-name", "Carol Example").await;
    click(&page, "form button[type=submit]").await;
    let code = text_of(&page, "[data-testid=recovery-code]").await;
    let held = "document.querySelector('.masthead').inert ? 'held' : ''";
    wait_for(&page, held, Duration::from_secs(5)).await;

    click(&page, "[data-testid=recovery-code-copy]").await;
    let kept = text_of(&page, "[data-testid=recovery-code-kept]").await;
    assert!(kept.starts_with("Copied."), "{kept}");
    let copied: String = page
        .evaluate("navigator.clipboard.readText()")
        .await
        .expect("the clipboard is read")
        .into_value()
        .expect("text");
    assert_eq!(copied, code, "the code, as shown, is on the clipboard");

    let saved = download(
        &page,
        "[data-testid=recovery-code-download]",
        downloads.path(),
        "folio-recovery-code.txt",
    )
    .await;
    let saved = String::from_utf8(saved).expect("a text file");
    assert!(
        saved.starts_with(&format!("Folio recovery code\n\n{code}\n")),
        "{saved}"
    );
    text_of(&page, "[data-testid=recovery-code-print]").await;
    screenshot(&page, "passkeys-recovery-code-kept.png").await;

    // The masthead's links wait for "I have saved it", then work again.
    click(&page, "#recovery-code-saved").await;
    click(&page, "[data-testid=recovery-code-continue]").await;
    expect_vault_unlocked(&page).await;
    let free = "document.querySelector('.masthead').inert ? '' : 'free'";
    wait_for(&page, free, Duration::from_secs(5)).await;
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_device_gives_the_account_new_keys_and_a_new_recovery_code() {
    let server = start_server().await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, true).await;
    let old_code = sign_up(&page, "Grace Example", "passkeys-revoke-signup.png").await;
    expect_vault_unlocked(&page).await;
    let http = reqwest::Client::new();

    // A linked device, which the app gives the account key.
    click(&page, ".masthead a[href=\"/settings\"]").await;
    let (paired, _) = pair_device(&page, &server, "Lost tablet").await;
    wait_until_keyed(&page).await;
    let before: AccountUnlock = http
        .get(server.url("/api/v1/account/unlock"))
        .bearer_auth(&paired.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Revoke it: the passkey confirms, and a new recovery code is shown with what happened.
    click(
        &page,
        "[data-testid=device-list] .item-actions button.danger",
    )
    .await;
    click(
        &page,
        "[data-testid=device-list] .item-actions button.danger",
    )
    .await;
    let new_code = text_of(&page, "[data-testid=recovery-code]").await;
    assert_eq!(new_code.len(), 7 * 5 + 6, "a printed code: {new_code}");
    assert_ne!(new_code, old_code);
    let words = text_of(&page, "#recovery-code-title ~ .notice").await;
    assert!(
        words.contains("“Lost tablet” is signed out") && words.contains("new keys"),
        "{words}"
    );
    screenshot(&page, "passkeys-revoke-new-code.png").await;
    click(&page, "#recovery-code-saved").await;
    click(&page, "#recovery-code-title ~ button.primary").await;

    // The lost device is signed out; the account's keys are new, and this passkey opens them.
    let device = http
        .get(server.url("/api/v1/account"))
        .bearer_auth(&paired.token)
        .send()
        .await
        .unwrap();
    assert_eq!(device.status(), 401, "the revoked device is signed out");
    let after: AccountUnlock = serde_json::from_value(
        page.evaluate("fetch('/api/v1/account/unlock').then(answer => answer.json())")
            .await
            .expect("the unlock is read")
            .into_value()
            .expect("JSON"),
    )
    .unwrap();
    assert_ne!(after.account_recipient, before.account_recipient);
    assert_eq!(after.passkeys.len(), 1, "this passkey keeps its way in");
    assert!(after.device.is_none());

    // The record, given a new key, opens after a reload with this passkey alone (the
    // settings page asks to unlock first, and returns there).
    page.reload().await.expect("a reload");
    click(&page, "#unlock-title ~ button.primary").await;
    wait_for(
        &page,
        "document.querySelector('#devices-title') ? 'settings' : ''",
        Duration::from_secs(30),
    )
    .await;
    click(&page, ".masthead a[href=\"/\"]").await;
    expect_vault_unlocked(&page).await;
    let vaults: Vec<serde_json::Value> = serde_json::from_value(
        page.evaluate("fetch('/api/v1/vaults').then(answer => answer.json())")
            .await
            .expect("the records are read")
            .into_value()
            .expect("JSON"),
    )
    .unwrap();
    assert_eq!(
        vaults[0]["epoch"], 2,
        "the record got a new key: {vaults:?}"
    );
    assert_eq!(vaults[0]["rotation_due"], false, "{vaults:?}");

    browser.close().await;
    server.stop().await;
}
