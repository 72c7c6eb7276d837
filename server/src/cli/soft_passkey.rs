//! The command-line client's passkey: a software authenticator whose whole state lives in
//! the profile file, so a script or a headless machine can sign in without a person.
//!
//! It is webauthn-authenticator-rs's `SoftToken` (a CTAP2 authenticator with ECDSA P-256
//! keys and a signature counter) plus a PRF secret. Browsers get PRF from the authenticator's
//! `hmac-secret`; `SoftToken` has none, so this type evaluates the same function itself:
//! `HMAC-SHA256(secret, SHA-256("WebAuthn PRF" || 0x00 || input))`, as the WebAuthn PRF
//! extension defines it. Like a hardware authenticator's credential key, the secret never
//! leaves the profile, and signing in with this passkey unlocks the account as a PRF
//! passkey does in the browser.
//!
//! A profile is therefore as sensitive as an unlocked authenticator: it is written readable
//! by its owner only.

use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator as _;
use webauthn_authenticator_rs::softtoken::SoftToken;
use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum SoftPasskeyError {
    #[error("the software passkey refused the ceremony: {0:?}")]
    Ceremony(webauthn_authenticator_rs::error::WebauthnCError),
    #[error("the profile's passkey is damaged: {0}")]
    Damaged(String),
}

/// A software passkey, restorable from its saved form.
pub struct SoftPasskey {
    token: SoftToken,
    prf_secret: Zeroizing<[u8; 32]>,
}

/// What a profile stores of a [`SoftPasskey`]: the authenticator's CBOR state and the PRF
/// secret, both base64url.
#[derive(Clone, Serialize, Deserialize)]
pub struct SavedPasskey {
    pub authenticator: String,
    pub prf_secret: String,
}

impl std::fmt::Debug for SavedPasskey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SavedPasskey(…)")
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

impl SoftPasskey {
    /// A new authenticator with no credential yet. It always reports user verification: the
    /// person at the terminal is the person who owns the profile file.
    pub fn generate() -> Result<Self, SoftPasskeyError> {
        let (token, _ca) = SoftToken::new(true).map_err(SoftPasskeyError::Ceremony)?;
        let mut prf_secret = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(prf_secret.as_mut());
        Ok(SoftPasskey { token, prf_secret })
    }

    pub fn restore(saved: &SavedPasskey) -> Result<Self, SoftPasskeyError> {
        let cbor = Zeroizing::new(
            b64()
                .decode(&saved.authenticator)
                .map_err(|e| SoftPasskeyError::Damaged(e.to_string()))?,
        );
        let token =
            SoftToken::from_cbor(&cbor).map_err(|e| SoftPasskeyError::Damaged(format!("{e:?}")))?;
        let secret = Zeroizing::new(
            b64()
                .decode(&saved.prf_secret)
                .map_err(|e| SoftPasskeyError::Damaged(e.to_string()))?,
        );
        let prf_secret = Zeroizing::new(
            <[u8; 32]>::try_from(secret.as_slice())
                .map_err(|_| SoftPasskeyError::Damaged("the PRF secret is not 32 bytes".into()))?,
        );
        Ok(SoftPasskey { token, prf_secret })
    }

    /// The state to save after every ceremony: the signature counter moves on each sign-in,
    /// and a server refuses a counter that goes backwards (a cloned authenticator).
    pub fn save(&self) -> Result<SavedPasskey, SoftPasskeyError> {
        let cbor = Zeroizing::new(
            self.token
                .to_cbor()
                .map_err(|e| SoftPasskeyError::Damaged(format!("{e:?}")))?,
        );
        Ok(SavedPasskey {
            authenticator: b64().encode(cbor.as_slice()),
            prf_secret: b64().encode(self.prf_secret.as_slice()),
        })
    }

    pub fn register(
        &mut self,
        origin: &Url,
        options: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, SoftPasskeyError> {
        self.token
            .do_registration(origin.clone(), options)
            .map_err(SoftPasskeyError::Ceremony)
    }

    pub fn authenticate(
        &mut self,
        origin: &Url,
        options: RequestChallengeResponse,
    ) -> Result<PublicKeyCredential, SoftPasskeyError> {
        self.token
            .do_authentication(origin.clone(), options)
            .map_err(SoftPasskeyError::Ceremony)
    }

    /// The PRF extension's output for `input`, as a PRF authenticator would return it.
    pub fn prf(&self, input: &[u8]) -> Zeroizing<[u8; 32]> {
        let salt = Sha256::new()
            .chain_update(b"WebAuthn PRF")
            .chain_update([0u8])
            .chain_update(input)
            .finalize();
        let mut mac = Hmac::<Sha256>::new_from_slice(self.prf_secret.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(&salt);
        Zeroizing::new(mac.finalize().into_bytes().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restored_passkey_evaluates_the_same_prf() {
        let passkey = SoftPasskey::generate().unwrap();
        let restored = SoftPasskey::restore(&passkey.save().unwrap()).unwrap();
        assert_eq!(*passkey.prf(b"input"), *restored.prf(b"input"));
        assert_ne!(*passkey.prf(b"input"), *passkey.prf(b"other input"));
        let other = SoftPasskey::generate().unwrap();
        assert_ne!(*passkey.prf(b"input"), *other.prf(b"input"));
    }

    #[test]
    fn a_damaged_passkey_is_refused() {
        let mut saved = SoftPasskey::generate().unwrap().save().unwrap();
        saved.prf_secret = b64().encode([0u8; 16]);
        assert!(matches!(
            SoftPasskey::restore(&saved),
            Err(SoftPasskeyError::Damaged(_))
        ));
    }
}
