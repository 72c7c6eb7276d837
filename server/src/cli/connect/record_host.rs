//! The CLI's side of a sync: HTTP to the provider with a bounded body, and the record the
//! pages go into.

use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use folio_shared::import::Delivery;
use folio_shared::provider_connect::{Delivered, HttpAnswer, PageDelivery, ProviderHost};
use folio_shared::vault::VaultContents;
use futures::StreamExt as _;
use url::Url;

use crate::cli::import::is_key_reused;
use crate::cli::vault_access::VaultAccess;

/// The most of one answer a sync reads: a page of a search, or a document.
pub const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// How long one request to a provider may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// An HTTP client for providers. Redirects are followed within the provider's own origin
/// only (a document may move); the bearer token never leaves it.
pub fn provider_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if same_origin && attempt.previous().len() < 5 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        }))
        .build()
}

/// Reads a response into an [`HttpAnswer`], stopping at [`MAX_ANSWER_BYTES`].
pub async fn answer_of(response: reqwest::Response) -> reqwest::Result<HttpAnswer> {
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let retry_after = header("retry-after");
    let mut body = Vec::new();
    let mut truncated = false;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let room = MAX_ANSWER_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpAnswer {
        status,
        content_type,
        retry_after,
        body,
        truncated,
    })
}

/// A sync's I/O from the command line.
pub struct RecordHost<'a> {
    pub http: reqwest::Client,
    pub access: &'a VaultAccess,
    pub contents: &'a mut VaultContents,
}

impl ProviderHost for RecordHost<'_> {
    type Error = anyhow::Error;

    async fn get(&mut self, url: &Url, bearer: &str, accept: &str) -> Result<HttpAnswer> {
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(bearer)
            .header("accept", accept)
            .send()
            .await?;
        Ok(answer_of(response).await?)
    }

    async fn post_form(
        &mut self,
        url: &Url,
        form: &[(&'static str, String)],
    ) -> Result<HttpAnswer> {
        let response = self
            .http
            .post(url.clone())
            .header("accept", "application/json")
            .form(form)
            .send()
            .await?;
        Ok(answer_of(response).await?)
    }

    async fn sleep(&mut self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn deliver(&mut self, delivery: PageDelivery) -> Result<Delivered> {
        let access = self.access;
        let prepared = Delivery::prepare(
            delivery.entries,
            &delivery.attachments,
            &delivery.page_bytes,
            self.contents,
            &access.keyring,
        )?;
        for (blob, sealed) in prepared.attachments {
            access
                .client
                .put_attachment(access.vault_id, blob, sealed)
                .await?;
        }
        for (key, segment) in &prepared.segments {
            match access.client.upload(access.vault_id, key, segment).await {
                Ok(_) => {}
                // Stored by an earlier run that stopped before it heard back.
                Err(e) if is_key_reused(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let new = prepared.new_entries.iter().map(|e| e.id.clone()).collect();
        for entry in prepared.new_entries {
            self.contents.apply(entry);
        }
        Ok(Delivered {
            new,
            already_present: prepared.already_present,
        })
    }
}
