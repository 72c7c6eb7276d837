//! The provider sending the patient back: `redirect_uri?code=…&state=…`, or an error.
//!
//! The `state` must be the one this client put in its request (compared in constant
//! time): an answer to someone else's request, or one forged to make this client store a
//! stranger's record as the patient's, is refused before its code is used.

use subtle::ConstantTimeEq as _;

use super::token::describe;
use url::Url;

/// Why the provider's redirect gives no code to exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error(
        "the answer from the provider does not belong to this sign-in (its state differs): \
         nothing was connected; start again"
    )]
    WrongState,
    #[error("the provider did not sign you in ({error}{})", describe(.description))]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("the provider's answer carries no authorization code")]
    NoCode,
}

/// The authorization code of a redirect to `url`, if its `state` is `expected_state`.
pub fn authorization_code(url: &Url, expected_state: &str) -> Result<String, CallbackError> {
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let state = param("state").unwrap_or_default();
    if !bool::from(state.as_bytes().ct_eq(expected_state.as_bytes())) {
        return Err(CallbackError::WrongState);
    }
    if let Some(error) = param("error") {
        return Err(CallbackError::Refused {
            error,
            description: param("error_description"),
        });
    }
    param("code")
        .filter(|c| !c.is_empty())
        .ok_or(CallbackError::NoCode)
}
