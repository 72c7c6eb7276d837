//! Connecting to a provider's patient portal with SMART on FHIR (issue 24, first part):
//! what a FHIR server's `/.well-known/smart-configuration` must offer for Folio's
//! standalone patient launch as a public client, and the authorization request with PKCE.
//! Pure, so both clients use it and it is tested natively; fetching is the caller's.

mod authorization;
mod smart_configuration;

pub use authorization::{AuthorizationRequest, Pkce};
pub use smart_configuration::{ConfigurationError, ScopeStyle, SmartConfiguration};
