//! Share links from both sides: the patient's calls (create, list, revoke, read the log)
//! with a device token, and a receiver that opens any SMART Health Link as a clinician's
//! viewer would, with no account at all.

use folio_shared::shl::{
    self, Decrypted, JweError, Manifest, ManifestRequest, PasscodeRejected, PayloadError,
    ShareLinkPayload,
};
use folio_shared::vault::VaultId;
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use super::{ClientError, VaultClient, check};
use crate::http::shares::{CreateShare, CreatedShare, ShareLog, ShareSummary};

impl VaultClient {
    /// Uploads files the caller encrypted under a fresh link key; the key stays here.
    pub async fn create_share(
        &self,
        vault: VaultId,
        share: &CreateShare,
    ) -> Result<CreatedShare, ClientError> {
        let response = self
            .request(Method::POST, &format!("/api/v1/vaults/{}/shares", vault.0))
            .json(share)
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn shares(&self, vault: VaultId) -> Result<Vec<ShareSummary>, ClientError> {
        let response = self
            .request(Method::GET, &format!("/api/v1/vaults/{}/shares", vault.0))
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn revoke_share(&self, share: Uuid) -> Result<ShareSummary, ClientError> {
        let response = self
            .request(Method::POST, &format!("/api/v1/shares/{share}/revoke"))
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn share_log(&self, share: Uuid) -> Result<ShareLog, ClientError> {
        let response = self
            .request(Method::GET, &format!("/api/v1/shares/{share}/log"))
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }
}

/// Why a link could not be opened, in words a clinician can act on.
#[derive(Debug, thiserror::Error)]
pub enum OpenLinkError {
    #[error("this is not a SMART Health Link: {0}")]
    Payload(#[from] PayloadError),
    #[error("the link is of a newer version ({0}) than this client reads")]
    NewerVersion(u32),
    #[error("the link needs a passcode: ask the patient for it")]
    PasscodeNeeded,
    #[error("the link has both the P and U flags, which the standard forbids")]
    PasscodeOnDirectFile,
    #[error("wrong passcode: {remaining} attempts left before the link locks")]
    WrongPasscode { remaining: u32 },
    #[error("the link is revoked or expired (or was used up): ask the patient for a new one")]
    NotActive,
    #[error("too many requests: try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("the link's server answered {status}: {detail}")]
    Refused { status: StatusCode, detail: String },
    #[error("cannot reach the link's server: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the link's server sent something unexpected: {0}")]
    Unexpected(String),
    #[error("a file does not decrypt with the link's key: {0}")]
    Decrypt(#[from] JweError),
}

/// One decrypted file of a link, with its content type as the manifest or the JWE gave it.
#[derive(Debug)]
pub struct OpenedFile {
    pub content_type: String,
    pub file: Decrypted,
}

/// Opens any SMART Health Link as a viewer would: reads the payload, asks for the manifest
/// (or the single file of a `U` link), fetches each file embedded or at its location, and
/// decrypts it with the key from the link. `recipient` goes into the sharer's access log.
pub async fn open_link(
    link: &str,
    recipient: &str,
    passcode: Option<&str>,
) -> Result<Vec<OpenedFile>, OpenLinkError> {
    let payload = ShareLinkPayload::parse(link)?;
    if let Some(v) = payload.v.filter(|v| *v > shl::payload::SUPPORTED_VERSION) {
        return Err(OpenLinkError::NewerVersion(v));
    }
    let http = reqwest::Client::new();
    if payload.flags.direct_file {
        if payload.flags.passcode {
            return Err(OpenLinkError::PasscodeOnDirectFile);
        }
        let response = http
            .get(&payload.url)
            .query(&[("recipient", recipient)])
            .send()
            .await?;
        let jwe = refused(response).await?.text().await?;
        let file = shl::decrypt(&payload.key, &jwe)?;
        let content_type = file
            .content_type
            .clone()
            .unwrap_or_else(|| shl::manifest::FHIR_JSON.to_owned());
        return Ok(vec![OpenedFile { content_type, file }]);
    }
    if payload.flags.passcode && passcode.is_none() {
        return Err(OpenLinkError::PasscodeNeeded);
    }
    let request = ManifestRequest {
        recipient: recipient.to_owned(),
        passcode: passcode.map(str::to_owned),
        embedded_length_max: None,
    };
    let response = http.post(&payload.url).json(&request).send().await?;
    let manifest: Manifest = refused(response).await?.json().await?;
    let mut opened = Vec::with_capacity(manifest.files.len());
    for entry in &manifest.files {
        let jwe = match entry
            .source()
            .map_err(|e| OpenLinkError::Unexpected(e.to_string()))?
        {
            shl::manifest::FileSource::Embedded(jwe) => jwe.to_owned(),
            shl::manifest::FileSource::Location(url) => {
                refused(http.get(url).send().await?).await?.text().await?
            }
        };
        opened.push(OpenedFile {
            content_type: entry.content_type.clone(),
            file: shl::decrypt(&payload.key, &jwe)?,
        });
    }
    Ok(opened)
}

/// The response when it succeeded, otherwise what the protocol's refusals mean.
async fn refused(response: reqwest::Response) -> Result<reqwest::Response, OpenLinkError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    match status {
        StatusCode::NOT_FOUND => Err(OpenLinkError::NotActive),
        StatusCode::UNAUTHORIZED => {
            let rejected: PasscodeRejected = response.json().await.map_err(|e| {
                OpenLinkError::Unexpected(format!("a 401 without remainingAttempts: {e}"))
            })?;
            Err(OpenLinkError::WrongPasscode {
                remaining: rejected.remaining_attempts,
            })
        }
        StatusCode::TOO_MANY_REQUESTS => Err(OpenLinkError::RateLimited {
            retry_after_secs: response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(60),
        }),
        _ => Err(OpenLinkError::Refused {
            status,
            detail: response.text().await.unwrap_or_default(),
        }),
    }
}
