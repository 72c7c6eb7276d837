//! `GET /api/v1/connect/client`: which client id Folio is registered under at a provider.
//! Clients are registered with each provider (or vendor) by whoever runs the server, so the
//! answer is the server's configuration (`folio serve --smart-clients FILE`).

use serde::{Deserialize, Serialize};

/// The client id to sign in at the provider whose FHIR base was asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "fhir_base": "https://fhir.example-hospital.org/api/FHIR/R4/",
    "client_id": "7c1e0b5a-folio"
})))]
pub struct ProviderClient {
    /// The FHIR base asked about.
    pub fhir_base: String,
    pub client_id: String,
}
