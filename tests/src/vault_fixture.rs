//! A patient with a device and a vault on a test server: the starting point of the vault
//! and sharing tests.

use chrono::Utc;
use folio_server::client::VaultClient;
use folio_shared::keys::{AccountIdentity, KeyEpoch, RecoveryCode, Unlocker, VaultIdentity};
use folio_shared::record::{Entry, EntryId, Op, Source};
use folio_shared::vault::{SealedSegment, Sealer, VaultId, VaultKeyring};
use serde_json::json;

use crate::TestServer;

pub struct Patient {
    pub account_id: uuid::Uuid,
    pub token: String,
    pub account: AccountIdentity,
    pub vault_id: VaultId,
    pub vault_key: VaultIdentity,
    pub client: VaultClient,
    /// The account's recovery code, when the fixture made the account: what [`Patient::confirm`]
    /// proves with.
    pub recovery: Option<RecoveryCode>,
}

impl Patient {
    /// Signs a patient up (account and device) and creates their vault.
    pub async fn sign_up(server: &TestServer) -> Patient {
        let account = AccountIdentity::generate();
        let device_key = folio_shared::keys::DeviceKey::generate();
        let (account_id, _, token) = folio_server::storage::devices::create_account_with_device(
            server.server().storage().db(),
            &account.recipient().to_string(),
            "test device",
            &folio_shared::keys::Unlocker::from_device_key(&device_key)
                .recipient()
                .to_string(),
        )
        .await
        .expect("an account");
        let recovery = RecoveryCode::generate();
        folio_server::storage::recovery_codes::replace(
            server.server().storage().db(),
            account_id,
            &recovery.sign_in_verifier(),
            account
                .wrap_to(&Unlocker::from_recovery_code(&recovery).recipient())
                .as_bytes()
                .to_vec(),
        )
        .await
        .expect("a recovery code");
        let mut patient = Patient::with_account(server, account, token.0).await;
        patient.account_id = account_id;
        patient.recovery = Some(recovery);
        patient
    }

    /// Proves, for this device, that it holds the account (with the recovery code): what
    /// account-critical changes (inviting or removing caregivers, deleting the record) need
    /// for the next five minutes.
    pub async fn confirm(&self) {
        let recovery = self
            .recovery
            .as_ref()
            .expect("a patient the fixture signed up, with its recovery code");
        self.client
            .fresh_proof_with_recovery_code(&recovery.sign_in_verifier())
            .await
            .expect("the recovery code proves");
    }

    /// Creates a vault for an account that already has a device token.
    pub async fn with_account(
        server: &TestServer,
        account: AccountIdentity,
        token: String,
    ) -> Patient {
        let client = VaultClient::new(server.base_url.clone(), token.clone());
        let account_id = client.account().await.expect("the account").account_id;
        let vault_id = VaultId(uuid::Uuid::new_v4());
        let vault_key = VaultIdentity::generate(KeyEpoch::FIRST);
        client
            .create_vault(
                vault_id,
                &vault_key,
                &vault_key.wrap_to(&account.recipient()),
            )
            .await
            .expect("a vault");
        Patient {
            account_id,
            token,
            account,
            vault_id,
            vault_key,
            client,
            recovery: None,
        }
    }

    /// Registers the account's signing key, as every Folio client does when it unlocks, and
    /// makes this patient's client sign what it uploads. Returns the key.
    pub async fn start_signing(&mut self) -> folio_shared::keys::SigningKey {
        let key = self
            .client
            .ensure_signing_key(&self.account, None)
            .await
            .expect("the signing key is registered");
        self.client = self.client.clone().signing_with(key.clone());
        key
    }

    /// Seals and uploads a record carrying `marker`.
    pub async fn upload_marker(&self, marker: &str) {
        for (i, segment) in self
            .sealer()
            .seal(&marked_record(marker, "Marker"))
            .expect("sealed")
            .iter()
            .enumerate()
        {
            self.client
                .upload(self.vault_id, &format!("marker-{marker}-{i}"), segment)
                .await
                .expect("uploaded");
        }
    }

    pub fn sealer(&self) -> Sealer {
        Sealer::for_identity(self.vault_id, &self.vault_key)
    }

    /// The keyring as a fresh device would rebuild it: from the server's wrapped keys.
    pub async fn keyring_from_server(&self) -> VaultKeyring {
        let keys = self.client.keys(self.vault_id).await.expect("keys");
        let mut identities = keys.iter().map(|(epoch, wrapped)| {
            wrapped
                .unwrap_vault(&self.account, KeyEpoch(*epoch))
                .expect("unwraps")
        });
        let mut keyring =
            VaultKeyring::new(self.vault_id, identities.next().expect("one key at least"));
        for identity in identities {
            keyring.insert(identity);
        }
        keyring
    }
}

/// An entry putting `resource` under `Type/id`, sourced from a named provider.
pub fn put(resource: serde_json::Value) -> Entry {
    let id = format!(
        "{}/{}",
        resource["resourceType"].as_str().expect("a resourceType"),
        resource["id"].as_str().expect("an id")
    );
    Entry {
        id: EntryId(id),
        op: Op::Put {
            resource,
            source: Source {
                provider: Some("Riverside Clinic".into()),
                file: Some("visit.json".into()),
                retrieved_at: Utc::now(),
                ..Source::default()
            },
        },
        at: Utc::now(),
    }
}

/// A patient and an observation carrying `marker`, named `patient_name`.
pub fn marked_record(marker: &str, patient_name: &str) -> Vec<Entry> {
    vec![
        put(json!({
            "resourceType": "Patient", "id": "p1",
            "name": [{"family": patient_name, "given": ["Ada"]}],
            "birthDate": "1970-01-01"
        })),
        put(json!({
            "resourceType": "Observation", "id": "o1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}], "text": marker},
            "subject": {"reference": "Patient/p1"},
            "valueQuantity": {"value": 5.4, "unit": "mmol/L"}
        })),
    ]
}

/// Whoever holds the server's database appends `forged` to `vault`'s log directly, past
/// every check of the API: no uploader, no signature. Returns its seq.
pub async fn store_as_the_server(
    db: &sea_orm::DatabaseConnection,
    vault: VaultId,
    forged: &SealedSegment,
) -> i64 {
    use folio_server::storage::entity::{segment, vault};
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let stored = vault::Entity::find_by_id(vault.0)
        .one(db)
        .await
        .unwrap()
        .expect("the vault is stored");
    let seq = stored.last_seq + 1;
    segment::ActiveModel {
        vault_id: Set(vault.0),
        seq: Set(seq),
        epoch: Set(stored.epoch),
        upload_key: Set(format!("server-{seq}")),
        digest: Set([
            uuid::Uuid::new_v4().into_bytes(),
            uuid::Uuid::new_v4().into_bytes(),
        ]
        .concat()),
        size: Set(forged.len() as i64),
        ciphertext: Set(forged.as_bytes().to_vec()),
        created_at: Set(Utc::now()),
        uploaded_by: Set(None),
        write_signature: Set(None),
    }
    .insert(db)
    .await
    .unwrap();
    let mut bumped: vault::ActiveModel = stored.into();
    bumped.last_seq = Set(seq);
    bumped.update(db).await.unwrap();
    seq
}
