//! The provider's token endpoint: exchanging the code for tokens (with the PKCE verifier),
//! refreshing them, and reading what it answers.
//!
//! A token response must name the `patient` whose record the tokens open: a sync that does
//! not know whose record it reads cannot check that what it receives is about that person.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// Tokens as the provider granted them.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    /// Absent when the provider did not grant `offline_access`: the connection then lasts
    /// as long as the access token.
    pub refresh_token: Option<String>,
    pub patient: String,
    pub scope: String,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "…"))
            .field("patient", &self.patient)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Why the provider's token endpoint gave no usable tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// An OAuth error answer (`invalid_grant`: the code or refresh token is spent, expired
    /// or revoked).
    #[error("the provider refused the sign-in ({code}{})", describe(.description))]
    Refused {
        code: String,
        description: Option<String>,
    },
    #[error("the provider's token answer could not be read: {0}")]
    Unreadable(String),
    #[error(
        "the provider's token answer does not say whose record it opens (no `patient`): Folio \
         cannot check that what it receives is about you"
    )]
    NoPatient,
    #[error("the provider's token answer is not a bearer token ({0})")]
    NotBearer(String),
}

/// An OAuth `error_description`, as the end of a sentence (at most 200 characters of it).
pub(super) fn describe(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(": {}", d.chars().take(200).collect::<String>()))
        .unwrap_or_default()
}

impl TokenError {
    /// The refresh token (or code) no longer works: the patient must sign in again.
    pub fn needs_new_sign_in(&self) -> bool {
        matches!(self, TokenError::Refused { code, .. } if code == "invalid_grant")
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<i64>,
    refresh_token: Option<String>,
    patient: Option<String>,
    scope: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// An access token with no stated lifetime is trusted for five minutes: a 401 refreshes it
/// earlier if it lapses sooner.
const DEFAULT_LIFETIME_SECS: i64 = 300;

impl TokenGrant {
    /// Reads the token endpoint's answer (`status`, `body`), received at `now`.
    /// `previous`, on a refresh, is the grant being refreshed: a refresh answer may leave
    /// out the patient and the refresh token, which then stay as they were.
    pub fn from_answer(
        status: u16,
        body: &[u8],
        now: DateTime<Utc>,
        previous: Option<&TokenGrant>,
    ) -> Result<TokenGrant, TokenError> {
        let answer: TokenAnswer = serde_json::from_slice(body).map_err(|_| {
            TokenError::Unreadable(format!(
                "HTTP {status}, {} bytes that are not a JSON object",
                body.len()
            ))
        })?;
        if let Some(code) = answer.error {
            return Err(TokenError::Refused {
                code,
                description: answer.error_description,
            });
        }
        if !(200..300).contains(&status) {
            return Err(TokenError::Unreadable(format!(
                "HTTP {status} without an OAuth error"
            )));
        }
        let access_token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| TokenError::Unreadable("no access_token".into()))?;
        let token_type = answer.token_type.unwrap_or_default();
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(TokenError::NotBearer(token_type));
        }
        let patient = answer
            .patient
            .filter(|p| !p.is_empty())
            .or_else(|| previous.map(|p| p.patient.clone()))
            .ok_or(TokenError::NoPatient)?;
        let lifetime = answer
            .expires_in
            .filter(|s| *s > 0)
            .unwrap_or(DEFAULT_LIFETIME_SECS);
        Ok(TokenGrant {
            access_token,
            expires_at: now + Duration::seconds(lifetime),
            refresh_token: answer
                .refresh_token
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            patient,
            scope: answer
                .scope
                .or_else(|| previous.map(|p| p.scope.clone()))
                .unwrap_or_default(),
        })
    }
}

/// The form that exchanges an authorization `code` for tokens (RFC 6749 §4.1.3 with the
/// PKCE verifier of RFC 7636 §4.5; a public client names itself with `client_id`).
pub fn code_exchange_form(
    code: &str,
    redirect_uri: &str,
    client_id: &str,
    verifier: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "authorization_code".into()),
        ("code", code.into()),
        ("redirect_uri", redirect_uri.into()),
        ("client_id", client_id.into()),
        ("code_verifier", verifier.into()),
    ]
}

/// The form that trades a refresh token for new tokens (RFC 6749 §6).
pub fn refresh_form(refresh_token: &str, client_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh_token.into()),
        ("client_id", client_id.into()),
    ]
}
