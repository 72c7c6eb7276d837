//! The authorization request of a standalone patient launch: PKCE (RFC 7636, S256) and a
//! `state` that ties the answer to this request, both fresh random values kept by the
//! client until the provider sends the patient back.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore as _};
use sha2::{Digest as _, Sha256};
use url::Url;
use zeroize::Zeroizing;

use super::SmartConfiguration;

/// A PKCE pair: the verifier stays with the client; the challenge goes in the request.
pub struct Pkce {
    verifier: Zeroizing<String>,
}

impl Pkce {
    /// 32 random bytes, base64url: a 43-character verifier.
    pub fn generate() -> Pkce {
        Pkce::from_verifier(random_token())
    }

    pub fn from_verifier(verifier: String) -> Pkce {
        Pkce {
            verifier: Zeroizing::new(verifier),
        }
    }

    /// Sent with the code to the token endpoint.
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// `BASE64URL(SHA256(verifier))`, sent with `code_challenge_method=S256`.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }
}

/// One sign-in at a provider: where to send the patient, and what to keep until they return.
pub struct AuthorizationRequest {
    pub url: Url,
    pub state: String,
    pub pkce: Pkce,
}

impl AuthorizationRequest {
    /// The request to `config`'s authorization endpoint for the FHIR server at `fhir_base`
    /// (the `aud`), as `client_id`, returning to `redirect_uri`.
    pub fn new(
        config: &SmartConfiguration,
        fhir_base: &str,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<AuthorizationRequest, url::ParseError> {
        let pkce = Pkce::generate();
        let state = random_token();
        let mut url = Url::parse(&config.authorization_endpoint)?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &config.scopes())
            .append_pair("state", &state)
            .append_pair("aud", fhir_base)
            .append_pair("code_challenge", &pkce.challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(AuthorizationRequest { url, state, pkce })
    }
}

fn random_token() -> String {
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(bytes.as_mut());
    URL_SAFE_NO_PAD.encode(&bytes[..])
}
