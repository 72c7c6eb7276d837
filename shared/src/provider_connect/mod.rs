//! Connecting to a provider's patient portal with SMART on FHIR (issue 24): what a FHIR
//! server's `/.well-known/smart-configuration` must offer for Folio's standalone patient
//! launch as a public client, the authorization request with PKCE, the redirect back and
//! the token exchange, the connection as the record keeps it (tokens included, sealed
//! like every entry), and the sync that brings the provider's records in.
//!
//! Pure apart from [`ProviderHost`], the I/O a sync is given, so both clients run the same
//! code and it is tested natively.

mod authorization;
mod callback;
mod connection;
mod search;
mod smart_configuration;
mod sync;
mod token;

pub use authorization::{AuthorizationRequest, Pkce};
pub use callback::{CallbackError, authorization_code};
pub use connection::{CONNECTION_ENTRY_TYPE, Connection, ConnectionEntryError, SearchProgress};
pub use search::{
    PageError, Search, SearchPage, offers_everything, plan, provider_url, read_page, served_types,
};
pub use smart_configuration::{ConfigurationError, ScopeStyle, SmartConfiguration};
pub use sync::{
    Delivered, HttpAnswer, ORIGINAL_URL_EXTENSION, PageDelivery, ProviderHost, SYNC_BATCH_ENTRIES,
    SearchOutcome, SearchReport, SyncReport, TypeReport, sync, sync_in_batches,
};
pub use token::{TokenError, TokenGrant, code_exchange_form, refresh_form};
