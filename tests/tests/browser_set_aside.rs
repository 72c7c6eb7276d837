//! A part of the record that could not be opened, in the real app: a manager caregiver
//! (through the API, with their own device token) adds random bytes to the owner's record;
//! the owner's start page says, in plain words, that an addition that appears to have come
//! from Sam could not be read, and the owner removes it after confirming. Afterwards the
//! notice is gone and the record shows its entries.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::Page;
use folio_shared::care::SafetyCode;
use folio_shared::keys::{AccountRecipient, SigningKey};
use folio_shared::vault::{SealedSegment, VaultId};
use folio_tests::browser::{
    Browser, add_virtual_authenticator, choose, click, expect_vault_unlocked, fill, pick_files,
    screenshot, sign_up, text_of, wait_for,
};
use folio_tests::vault_fixture::Patient;
use folio_tests::{Engine, TestServer, app_dir};

const PHONE: (u32, u32) = (390, 844);

/// Magic, version, vault id, epoch and recipient fingerprint: the envelope before the age
/// file's length.
const HEADER_BEFORE_LENGTH: usize = 8 + 1 + 16 + 4 + 8;

/// A small record to import: a patient with a peanut allergy and a condition.
fn record_file(dir: &Path) -> PathBuf {
    let path = dir.join("record.json");
    let bundle = serde_json::json!({
        "resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1",
                          "name": [{"family": "Owner", "given": ["Olga"]}]}},
            {"resource": {"resourceType": "AllergyIntolerance", "id": "a1",
                          "code": {"text": "Peanut"},
                          "patient": {"reference": "Patient/p1"}}},
            {"resource": {"resourceType": "Condition", "id": "c1",
                          "clinicalStatus": {"coding": [{"code": "active"}]},
                          "code": {"text": "Asthma"},
                          "subject": {"reference": "Patient/p1"}}}
        ]
    });
    std::fs::write(&path, serde_json::to_vec(&bundle).unwrap()).unwrap();
    path
}

/// Words that must never reach a patient's screen.
const INTERNAL_WORDS: [&str; 4] = ["segment", "epoch", "batch", "seq"];

async fn go_home(page: &Page) {
    click(page, "a.brand").await;
}

/// The owner invites a manager named `name` on the caregivers page; `manager` accepts
/// through the API; the owner confirms by the code their screen shows.
async fn join_as_manager(owner: &Page, manager: &Patient, name: &str) -> VaultId {
    click(owner, "a[href=\"/care\"]").await;
    fill(owner, "[data-testid=care-name]", name).await;
    choose(owner, "[data-testid=care-role]", "manager").await;
    click(owner, "[data-testid=care-invite]").await;
    let link = text_of(owner, "[data-testid=care-link]").await;
    let accepted = manager.client.accept_invitation(&link).await.unwrap();
    let owner_recipient: AccountRecipient = accepted.owner_recipient.parse().unwrap();
    let vault = VaultId(accepted.vault_id);
    let signing_key = SigningKey::of_account(&manager.account).public_key();
    let code = SafetyCode::derive(
        vault,
        &owner_recipient,
        &manager.account.recipient(),
        Some(&signing_key),
    );
    go_home(owner).await;
    click(owner, "a[href=\"/care\"]").await;
    fill(owner, "[data-testid=care-their-code]", &code.to_string()).await;
    click(owner, "[data-testid=care-confirm]").await;
    text_of(owner, "[data-testid=care-message]").await;
    vault
}

/// As `manager`, appends a well-framed segment of random bytes to `vault`, signed by them:
/// a member's write, which the server takes and no client can open.
async fn add_random_bytes(manager: &Patient, vault: VaultId) {
    let (log, _) = manager.client.all_segments(vault).await.unwrap();
    let mut bytes = log[0].1.as_bytes()[..HEADER_BEFORE_LENGTH].to_vec();
    bytes.extend_from_slice(&16u32.to_be_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    let segment = SealedSegment::from_bytes(bytes).expect("a well-framed segment");
    manager
        .client
        .upload(vault, "random-bytes", &segment)
        .await
        .expect("the server takes a member's well-framed segment");
}

async fn notice_count(page: &Page) -> usize {
    page.evaluate("document.querySelectorAll('[data-testid=set-aside-notice]').length")
        .await
        .unwrap()
        .into_value::<usize>()
        .unwrap()
}

/// A server serving the app, and the owner's phone signed up (the sign-up screenshot named
/// `screenshot_name`) with the small record imported, its start page showing no notice.
async fn owner_with_a_record(screenshot_name: &str) -> (TestServer, Browser, Page) {
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}",
        dist.display()
    );
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist).await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let owner = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&owner, true).await;
    sign_up(&owner, "Olga Owner", screenshot_name).await;
    expect_vault_unlocked(&owner).await;

    let files = tempfile::tempdir().unwrap();
    click(&owner, "a[href=\"/import\"]").await;
    pick_files(
        &owner,
        "[data-testid=import-files]",
        &[record_file(files.path())],
    )
    .await;
    wait_for(
        &owner,
        "document.querySelector('[data-testid=import-file]') \
         && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
        Duration::from_secs(120),
    )
    .await;
    go_home(&owner).await;
    text_of(&owner, "[data-testid=glance]").await;
    assert_eq!(
        notice_count(&owner).await,
        0,
        "a sound record shows no notice"
    );
    (server, browser, owner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_sees_what_could_not_be_opened_and_removes_it() {
    let (server, browser, owner) = owner_with_a_record("set-aside-signed-up.png").await;

    let mut manager = Patient::sign_up(&server).await;
    manager.start_signing().await;
    let vault = join_as_manager(&owner, &manager, "Sam").await;
    add_random_bytes(&manager, vault).await;

    // The start page opens everything else and says what it could not open, and whose.
    go_home(&owner).await;
    let notice = text_of(&owner, "[data-testid=set-aside-notice]").await;
    screenshot(&owner, "set-aside-notice.png").await;
    assert!(
        notice.contains("Part of your record could not be opened"),
        "{notice}"
    );
    assert!(
        notice.contains("appears to have come from Sam could not be read"),
        "{notice}"
    );
    assert!(notice.contains("damaged or tampered with"), "{notice}");
    let lower = notice.to_lowercase();
    for word in INTERNAL_WORDS {
        assert!(!lower.contains(word), "{word:?} on screen: {notice}");
    }
    let allergies = text_of(&owner, "[data-testid=glance-allergies]").await;
    assert!(
        allergies.contains("Peanut"),
        "everything else opened: {allergies}"
    );

    // The record page says the same.
    click(&owner, "[data-testid=home-open-record]").await;
    let on_record = text_of(&owner, "[data-testid=set-aside-notice]").await;
    assert!(on_record.contains("Sam"), "{on_record}");
    text_of(&owner, "[data-testid=record-summary]").await;

    // The owner removes it, after confirming; the notice goes and the entries stay.
    go_home(&owner).await;
    click(&owner, "[data-testid=set-aside-remove]").await;
    let asked = text_of(&owner, "[data-testid=set-aside-confirm-text]").await;
    assert!(asked.contains("removed for good"), "{asked}");
    click(&owner, "[data-testid=set-aside-confirm]").await;
    wait_for(
        &owner,
        "!document.querySelector('[data-testid=set-aside-notice]') \
         && document.querySelector('[data-testid=glance]') ? 'gone' : ''",
        Duration::from_secs(30),
    )
    .await;
    screenshot(&owner, "set-aside-removed.png").await;
    let allergies = text_of(&owner, "[data-testid=glance-allergies]").await;
    assert!(allergies.contains("Peanut"), "{allergies}");
    click(&owner, "[data-testid=home-open-record]").await;
    let count = text_of(&owner, "[data-testid=record-count]").await;
    assert!(count.starts_with("3 entries"), "{count}");
    assert_eq!(notice_count(&owner).await, 0);
    browser.close().await;
}

/// Whoever holds the server's database adds an allergy of its own to the record, sealed to
/// the record's public recipient (which decrypts): the owner's app shows the record without
/// it, says a part was not signed by anyone on the record, and the owner removes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_sets_aside_what_the_server_wrote_itself() {
    use folio_server::storage::entity::vault;
    use folio_shared::keys::{KeyEpoch, VaultRecipient};
    use folio_shared::vault::Sealer;
    use folio_tests::vault_fixture::{put, store_as_the_server};
    use sea_orm::EntityTrait;

    let (server, browser, owner) = owner_with_a_record("forged-signed-up.png").await;

    // The server's own allergy, sealed with what it holds: the record's public recipient.
    let db = server.server().storage().db();
    let stored = vault::Entity::find().one(db).await.unwrap().unwrap();
    let recipient: VaultRecipient = stored.recipient.parse().unwrap();
    let sealer = Sealer::new(VaultId(stored.id), KeyEpoch(stored.epoch as u32), recipient);
    let forged = sealer
        .seal(&[put(serde_json::json!({
            "resourceType": "AllergyIntolerance", "id": "from-the-server",
            "code": {"text": "Penicillin"},
            "patient": {"reference": "Patient/p1"}
        }))])
        .unwrap()
        .remove(0);
    store_as_the_server(db, VaultId(stored.id), &forged).await;

    // Back on the start page, the record is opened again: without it, and saying why.
    click(&owner, "a[href=\"/import\"]").await;
    go_home(&owner).await;
    let notice = text_of(&owner, "[data-testid=set-aside-notice]").await;
    screenshot(&owner, "set-aside-forged.png").await;
    assert!(
        notice.contains("not signed by anyone on your record"),
        "{notice}"
    );
    let allergies = text_of(&owner, "[data-testid=glance-allergies]").await;
    assert!(allergies.contains("Peanut"), "{allergies}");
    assert!(!allergies.contains("Penicillin"), "{allergies}");

    // Removed by the owner, it stays out.
    click(&owner, "[data-testid=set-aside-remove]").await;
    click(&owner, "[data-testid=set-aside-confirm]").await;
    wait_for(
        &owner,
        "!document.querySelector('[data-testid=set-aside-notice]') \
         && document.querySelector('[data-testid=glance]') ? 'gone' : ''",
        Duration::from_secs(30),
    )
    .await;
    let allergies = text_of(&owner, "[data-testid=glance-allergies]").await;
    assert!(allergies.contains("Peanut"), "{allergies}");
    assert!(!allergies.contains("Penicillin"), "{allergies}");
    browser.close().await;
}
