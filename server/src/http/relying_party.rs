//! The WebAuthn relying party: webauthn-rs configured from the server's public URL, and what
//! its errors mean to a user.

use url::Url;
use webauthn_rs::prelude::{CreationChallengeResponse, Webauthn, WebauthnBuilder, WebauthnError};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::problem::ApiError;

/// The relying party for `public_url`: its host is the RP id, its origin the only origin
/// accepted in a client's response.
pub fn for_public_url(public_url: &Url) -> Result<Webauthn, WebauthnError> {
    let rp_id = public_url.host_str().ok_or(WebauthnError::Configuration)?;
    WebauthnBuilder::new(rp_id, public_url)?
        .rp_name("Folio")
        .build()
}

/// webauthn-rs asks for a passkey without requiring it to be discoverable. Folio signs in
/// without a user name, so browsers must make a discoverable credential (stored on the
/// authenticator with its user handle).
pub fn require_discoverable(options: &mut CreationChallengeResponse) {
    let selection = options
        .public_key
        .authenticator_selection
        .get_or_insert_with(Default::default);
    selection.require_resident_key = true;
    selection.resident_key = Some(ResidentKeyRequirement::Required);
}

/// A failed ceremony as a problem the user can act on. The cause is logged, since
/// "could not be verified" alone would leave an operator guessing.
pub fn ceremony_failed(error: WebauthnError) -> ApiError {
    tracing::info!(error = %error, "passkey ceremony refused");
    let detail = match error {
        WebauthnError::InvalidRPOrigin | WebauthnError::InvalidRPIDHash => {
            "the passkey answered for a different site than this one (origin mismatch)"
        }
        WebauthnError::CredentialPossibleCompromise => {
            "this passkey's signature counter went backwards, which happens when a passkey has \
             been cloned: it is refused. Sign in with another passkey or the recovery code, \
             and remove this one"
        }
        WebauthnError::UserNotVerified => {
            "the authenticator did not verify you (PIN, fingerprint or face): Folio requires it"
        }
        WebauthnError::MismatchedChallenge | WebauthnError::ChallengeNotFound => {
            "the passkey answered a different sign-in attempt: start again"
        }
        _ => "the passkey's answer could not be verified",
    };
    ApiError::Unauthorized(detail.to_owned())
}
