//! The server's side of connecting to a provider: only which client id to sign in with.

use folio_shared::api::connect::ProviderClient;
use reqwest::Method;

use super::{ClientError, VaultClient, check};

impl VaultClient {
    /// The client id this server's operator registered at the provider at `fhir_base`.
    pub async fn provider_client(&self, fhir_base: &str) -> Result<ProviderClient, ClientError> {
        let response = self
            .request(Method::GET, "/api/v1/connect/client")
            .query(&[("fhir_base", fhir_base)])
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }
}
