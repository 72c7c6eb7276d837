//! What a mock provider is: its registered client, its patient, and the ways it is strict or
//! broken. Tests build one `ProviderConfig` per "patient portal" they connect to.

use std::time::Duration;

use crate::data::PatientData;

/// One provider's setup; `ProviderConfig::new` gives a well-behaved provider, and tests
/// change the fields they exercise with struct-update syntax.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The provider's display name ("Riverside Clinic"), shown in metadata and error pages.
    pub name: String,
    /// The one registered public client; any other `client_id` is refused.
    pub client_id: String,
    /// Registered redirect URIs, compared as exact strings (no prefix or normalised match).
    pub redirect_uris: Vec<String>,
    /// The patient who signs in: every token is issued for this patient.
    pub patient: PatientData,
    /// Other patients on the same server: asking for them is refused (403), and the
    /// `OtherPatientsBundle` fault serves the first one's resources.
    pub other_patients: Vec<PatientData>,
    /// How long an access token works; short (e.g. 2 s) makes a sync refresh midway.
    pub access_token_lifetime: Duration,
    /// How long an authorization code can be exchanged.
    pub code_lifetime: Duration,
    /// The page size when the client gives no `_count`, and the most a page ever holds.
    pub page_size: usize,
    /// Resource types the patient's token may not read: searches and reads answer 403.
    pub forbidden_types: Vec<String>,
    /// Resource types whose first search answers 429 with `Retry-After: 1`.
    pub throttled_once: Vec<String>,
    /// Whether `Patient/{id}/$everything` is offered (and listed in the metadata).
    pub everything: bool,
    /// Whether CORS headers are sent, as a browser app needs; real portals differ.
    pub cors: bool,
    /// Whether SMART v2 scopes (`patient/*.rs`, `permission-v2`) are advertised and granted;
    /// a v1-only server drops v2 scopes from the grant, as real v1 servers do.
    pub scope_style_v2: bool,
}

impl ProviderConfig {
    /// The client id `ProviderConfig::new` registers.
    pub const DEFAULT_CLIENT_ID: &'static str = "folio";
    /// The redirect URI `ProviderConfig::new` registers.
    pub const DEFAULT_REDIRECT_URI: &'static str = "http://localhost:8080/connect/callback";

    /// A well-behaved provider for `patient`: one client, one redirect URI, one-hour tokens,
    /// 30-second codes, pages of 50, no forbidden or throttled types, `$everything` and CORS
    /// on, SMART v2 scopes.
    pub fn new(name: impl Into<String>, patient: PatientData) -> ProviderConfig {
        ProviderConfig {
            name: name.into(),
            client_id: Self::DEFAULT_CLIENT_ID.to_owned(),
            redirect_uris: vec![Self::DEFAULT_REDIRECT_URI.to_owned()],
            patient,
            other_patients: Vec::new(),
            access_token_lifetime: Duration::from_secs(3600),
            code_lifetime: Duration::from_secs(30),
            page_size: 50,
            forbidden_types: Vec::new(),
            throttled_once: Vec::new(),
            everything: true,
            cors: true,
            scope_style_v2: true,
        }
    }
}

/// A way the provider misbehaves, switched on at run time with `MockProvider::set_fault`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The SMART configuration has no `token_endpoint`.
    DiscoveryMissingEndpoints,
    /// The token response names no `patient`, so the client has no patient in context.
    TokenWithoutPatient,
    /// Searches answer 200 with an OperationOutcome instead of a Bundle.
    PageNotABundle,
    /// Searches answer a Bundle of another patient's resources.
    OtherPatientsBundle,
    /// Searches answer 500 with a 5 MB text body, to check clients bound what they read.
    HugeErrorPage,
    /// A successful authorization redirects back with a `state` other than the one sent.
    WrongStateOnRedirect,
}
