//! A FHIR server's SMART configuration (`/.well-known/smart-configuration`, SMART App
//! Launch 2.x), checked for what Folio needs: a standalone patient launch by a public
//! client, with PKCE S256, over https.

use serde::Deserialize;
use url::Url;

/// What the server's document says, as far as Folio reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SmartConfiguration {
    #[serde(default)]
    pub issuer: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
}

/// Why a server cannot be connected to, in words for the patient and the person who runs
/// Folio.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigurationError {
    #[error("this address did not answer with a SMART configuration Folio can read: {0}")]
    Unreadable(String),
    #[error("the provider's {which} address is not a secure (https) address: {url}")]
    NotHttps { which: &'static str, url: String },
    #[error(
        "the provider does not offer what Folio needs to sign in: {0} (Folio signs in as a \
         patient, from its own page, without a client secret)"
    )]
    Missing(&'static str),
    #[error(
        "the provider does not support PKCE with S256, which keeps the sign-in from being \
         taken over on the way back to Folio"
    )]
    NoPkce,
}

/// The form of the scopes to ask for: SMART v1 (`patient/*.read`) or v2 (`patient/*.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeStyle {
    V1,
    V2,
}

impl SmartConfiguration {
    /// Reads and checks the document. `localhost` may use http (a test server); everything
    /// else must be https.
    pub fn parse(json: &[u8]) -> Result<SmartConfiguration, ConfigurationError> {
        let config: SmartConfiguration = serde_json::from_slice(json)
            .map_err(|e| ConfigurationError::Unreadable(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigurationError> {
        secure("sign-in", &self.authorization_endpoint)?;
        secure("token", &self.token_endpoint)?;
        for (capability, what) in [
            (
                "launch-standalone",
                "a sign-in started from Folio (launch-standalone)",
            ),
            (
                "client-public",
                "apps without a client secret (client-public)",
            ),
        ] {
            if !self.capabilities.iter().any(|c| c == capability) {
                return Err(ConfigurationError::Missing(what));
            }
        }
        if !self
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
        {
            return Err(ConfigurationError::NoPkce);
        }
        Ok(())
    }

    /// v2 scopes where the server says it grants them (`permission-v2`, or a `.rs` scope
    /// among those it lists), else v1.
    pub fn scope_style(&self) -> ScopeStyle {
        let v2 = self.capabilities.iter().any(|c| c == "permission-v2")
            || self
                .scopes_supported
                .iter()
                .any(|s| s.starts_with("patient/") && s.ends_with(".rs"));
        if v2 { ScopeStyle::V2 } else { ScopeStyle::V1 }
    }

    /// The scopes Folio asks for: the patient in context, who signed in, a refresh token
    /// for later syncs, and read access to the patient's record.
    pub fn scopes(&self) -> String {
        let read = match self.scope_style() {
            ScopeStyle::V1 => "patient/*.read",
            ScopeStyle::V2 => "patient/*.rs",
        };
        format!("launch/patient openid fhirUser offline_access {read}")
    }
}

fn secure(which: &'static str, address: &str) -> Result<Url, ConfigurationError> {
    let url = Url::parse(address).map_err(|_| ConfigurationError::NotHttps {
        which,
        url: address.to_owned(),
    })?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if url.scheme() == "https" || (url.scheme() == "http" && local) {
        Ok(url)
    } else {
        Err(ConfigurationError::NotHttps {
            which,
            url: address.to_owned(),
        })
    }
}
