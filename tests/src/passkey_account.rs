//! A patient who signs up with a software passkey over the HTTP API, as the CLI does: for
//! API tests of the passkey ceremonies and of everything that needs a signed-in session.

use base64::Engine as _;
use folio_server::cli::soft_passkey::SoftPasskey;
use folio_server::client::account::{AccountClient, SessionClient};
use folio_server::client::{ClientError, VaultClient};
use folio_shared::api::account::{
    AccountUnlock, Assertion, AuthenticationOptions, FreshProof, RecoverySetup, RegistrationStart,
    SignUp,
};
use folio_shared::keys::{AccountIdentity, PASSKEY_PRF_INPUT, RecoveryCode, Unlocker, WrappedKey};
use url::Url;
use uuid::Uuid;

use crate::TestServer;

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An account made through `/api/v1/auth/register/*` with a software passkey.
pub struct PasskeyAccount {
    pub account_id: Uuid,
    pub passkey_id: Uuid,
    pub passkey: SoftPasskey,
    pub account: AccountIdentity,
    pub recovery: RecoveryCode,
    pub origin: Url,
    pub client: AccountClient,
    /// The session sign-up started.
    pub session: SessionClient,
}

impl PasskeyAccount {
    pub async fn sign_up(server: &TestServer) -> PasskeyAccount {
        let origin = Url::parse(&server.public_url).expect("the public URL");
        let client = AccountClient::new(&server.base_url);
        let mut passkey = SoftPasskey::generate().expect("a software passkey");
        let account = AccountIdentity::generate();
        let recovery = RecoveryCode::generate();
        let options = client
            .register_start(&RegistrationStart {
                display_name: "Test Patient".into(),
                discoverable: false,
            })
            .await
            .expect("registration options");
        let credential = passkey
            .register(&origin, options.options)
            .expect("the passkey registers");
        let prf = Unlocker::from_passkey_prf(&passkey.prf(PASSKEY_PRF_INPUT));
        let session = client
            .register_finish(&sign_up_body(
                options.ceremony_id,
                credential,
                &account,
                &prf,
                &recovery,
            ))
            .await
            .expect("signed up");
        PasskeyAccount {
            account_id: session.account_id(),
            passkey_id: session.signed_in.passkey_id.expect("the new passkey's id"),
            passkey,
            account,
            recovery,
            origin,
            client,
            session,
        }
    }

    /// Starts a sign-in listing this account's credentials.
    pub async fn login_start(&self) -> AuthenticationOptions {
        self.client
            .login_start(Some(self.account_id))
            .await
            .expect("sign-in options")
    }

    /// The passkey's answer to `options`, as if from `origin`.
    pub fn answer(&mut self, options: &AuthenticationOptions, origin: &Url) -> Assertion {
        Assertion {
            ceremony_id: options.ceremony_id,
            credential: self
                .passkey
                .authenticate(origin, options.options.clone())
                .expect("the passkey answers"),
        }
    }

    /// Proves, for the sign-up session, with the passkey (user-verified): what
    /// account-critical changes need for the next five minutes.
    pub async fn confirm(&mut self) -> FreshProof {
        let session = self.session.clone();
        self.confirm_session(&session).await
    }

    /// Proves for `session` with the passkey.
    pub async fn confirm_session(&mut self, session: &SessionClient) -> FreshProof {
        let options = session.fresh_proof_start().await.expect("proof options");
        let origin = self.origin.clone();
        let assertion = self.answer(&options, &origin);
        session
            .fresh_proof_finish(&assertion)
            .await
            .expect("the passkey proves")
    }

    /// Proves for a device of the account with the passkey.
    pub async fn confirm_device(&mut self, device: &VaultClient) -> FreshProof {
        let options = device.fresh_proof_start().await.expect("proof options");
        let origin = self.origin.clone();
        let assertion = self.answer(&options, &origin);
        device
            .fresh_proof_finish(&assertion)
            .await
            .expect("the passkey proves")
    }

    /// Signs in with the passkey: start, answer, finish.
    pub async fn sign_in(&mut self) -> Result<SessionClient, ClientError> {
        let options = self.login_start().await;
        let origin = self.origin.clone();
        let assertion = self.answer(&options, &origin);
        self.client.login_finish(&assertion).await
    }
}

pub fn sign_up_body(
    ceremony_id: Uuid,
    credential: folio_shared::api::account::RegisterPublicKeyCredential,
    account: &AccountIdentity,
    prf: &Unlocker,
    recovery: &RecoveryCode,
) -> SignUp {
    SignUp {
        ceremony_id,
        credential,
        passkey_name: "test passkey".into(),
        prf_enabled: true,
        account_recipient: account.recipient().to_string(),
        passkey_wrapped_key: Some(b64(account.wrap_to(&prf.recipient()).as_bytes())),
        recovery: RecoverySetup {
            wrapped_key: b64(account
                .wrap_to(&Unlocker::from_recovery_code(recovery).recipient())
                .as_bytes()),
            verifier: b64(&recovery.sign_in_verifier()),
        },
    }
}

/// Unwraps the account identity from `unlock` with `unlocker`'s wrap.
pub fn unwrap(wrapped: &str, unlocker: &Unlocker) -> AccountIdentity {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(wrapped)
        .expect("base64url");
    WrappedKey::from_bytes(bytes)
        .unwrap_account(unlocker)
        .expect("the wrap opens")
}

/// The PRF wrap of `passkey_id` in `unlock`.
pub fn passkey_wrap(unlock: &AccountUnlock, passkey_id: Uuid) -> &str {
    &unlock
        .passkeys
        .iter()
        .find(|p| p.passkey_id == passkey_id)
        .expect("a PRF wrap for the passkey")
        .wrapped_key
}
