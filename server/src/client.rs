//! A client of the vault API, for the command line and the tests: it moves sealed
//! segments and wrapped keys, and never sees plaintext unless the caller opens them.

use base64::Engine as _;
use folio_shared::api::account::{AccountSummary, AccountUnlock};
use folio_shared::api::roster::{sign_compaction, sign_upload, write_headers};
use folio_shared::api::{
    CompactionHead, CompactionResult, CreateVault, Problem, UploadedSegment, VaultKeyWrap,
    VaultSummary, segment_headers,
};
use folio_shared::keys::{KeyEpoch, SigningKey, VaultIdentity, WrappedKey};
use folio_shared::roster::WriteKind;
use folio_shared::segment_stream::{self, SegmentFrame};
use folio_shared::vault::{SealedSegment, VaultId};
use reqwest::StatusCode;

pub mod account;
pub mod account_keys;
pub mod care;
pub mod connect;
pub mod fresh_proof;
pub mod roster;
pub mod set_aside;
pub mod share;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the server answered {status}: {}", problem.detail.as_deref().unwrap_or(&problem.title))]
    Problem {
        status: StatusCode,
        problem: Box<Problem>,
    },
    #[error("cannot reach the server: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the server sent something unexpected: {0}")]
    Unexpected(String),
    /// The record's member list does not hold: the server (or its database) changed it.
    #[error("{0}; this server cannot be trusted with this record until that is explained")]
    Roster(folio_shared::roster::RosterError),
}

impl ClientError {
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Problem { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// One page of a vault's log.
#[derive(Debug)]
pub struct SegmentPage {
    pub segments: Vec<(u64, SealedSegment)>,
    pub more: bool,
    pub generation: i64,
}

/// A device's view of the API: a base URL and its bearer token.
#[derive(Clone)]
pub struct VaultClient {
    http: reqwest::Client,
    base: String,
    token: String,
    /// The member-list head this client verified last, per vault (`client/roster.rs`).
    roster_heads: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<uuid::Uuid, folio_shared::roster::RosterHead>>,
    >,
    /// The account's key, which signs every segment and compaction this client uploads.
    signer: Option<std::sync::Arc<SigningKey>>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) async fn check(response: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await?;
    let problem: Problem = serde_json::from_str(&text).map_err(|_| {
        ClientError::Unexpected(format!("HTTP {status} without a problem body: {text}"))
    })?;
    Err(ClientError::Problem {
        status,
        problem: Box::new(problem),
    })
}

impl VaultClient {
    pub fn new(base: impl Into<String>, token: impl Into<String>) -> Self {
        VaultClient {
            http: reqwest::Client::new(),
            base: base.into().trim_end_matches('/').to_owned(),
            token: token.into(),
            roster_heads: Default::default(),
            signer: None,
        }
    }

    /// This client, signing what it uploads with `key` (the account's,
    /// [`SigningKey::of_account`]).
    pub fn signing_with(mut self, key: SigningKey) -> Self {
        self.signer = Some(std::sync::Arc::new(key));
        self
    }

    /// The key this client signs with, if any.
    pub fn signer(&self) -> Option<&SigningKey> {
        self.signer.as_deref()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    /// Registers a vault whose identity the caller made, with the owner's wrapped key.
    pub async fn create_vault(
        &self,
        id: VaultId,
        identity: &VaultIdentity,
        wrapped: &WrappedKey,
    ) -> Result<VaultSummary, ClientError> {
        self.create_vault_as(id, identity, wrapped, false).await
    }

    /// Like [`create_vault`](Self::create_vault); `dependant` marks a record held for
    /// someone else (a child), to hand over later.
    pub async fn create_vault_as(
        &self,
        id: VaultId,
        identity: &VaultIdentity,
        wrapped: &WrappedKey,
        dependant: bool,
    ) -> Result<VaultSummary, ClientError> {
        let body = CreateVault {
            id: id.0,
            recipient: identity.recipient().to_string(),
            epoch: identity.epoch().0,
            wrapped_key: b64(wrapped.as_bytes()),
            dependant,
        };
        let response = self
            .request(reqwest::Method::POST, "/api/v1/vaults")
            .json(&body)
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    /// The account this device belongs to.
    pub async fn account(&self) -> Result<AccountSummary, ClientError> {
        let response = self
            .request(reqwest::Method::GET, "/api/v1/account")
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    /// The account identity wrapped to this device's key (and the other unlockers).
    pub async fn account_unlock(&self) -> Result<AccountUnlock, ClientError> {
        let response = self
            .request(reqwest::Method::GET, "/api/v1/account/unlock")
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn vaults(&self) -> Result<Vec<VaultSummary>, ClientError> {
        let response = self
            .request(reqwest::Method::GET, "/api/v1/vaults")
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn vault(&self, id: VaultId) -> Result<VaultSummary, ClientError> {
        let response = self
            .request(reqwest::Method::GET, &format!("/api/v1/vaults/{}", id.0))
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn keys(&self, id: VaultId) -> Result<Vec<(u32, WrappedKey)>, ClientError> {
        let response = self
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/vaults/{}/keys", id.0),
            )
            .send()
            .await?;
        let wraps: Vec<VaultKeyWrap> = check(response).await?.json().await?;
        wraps
            .into_iter()
            .map(|w| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(&w.wrapped_key)
                    .map(|bytes| (w.epoch, WrappedKey::from_bytes(bytes)))
                    .map_err(|e| ClientError::Unexpected(e.to_string()))
            })
            .collect()
    }

    /// Uploads raw bytes as a segment, unsigned; the server checks the envelope.
    pub async fn upload_raw(
        &self,
        id: VaultId,
        upload_key: &str,
        bytes: Vec<u8>,
    ) -> Result<UploadedSegment, ClientError> {
        self.put_segment(id, upload_key, bytes, None).await
    }

    /// Uploads a sealed segment, signed when this client has a key.
    pub async fn upload(
        &self,
        id: VaultId,
        upload_key: &str,
        segment: &SealedSegment,
    ) -> Result<UploadedSegment, ClientError> {
        let signature = self.signer().map(|key| {
            sign_upload(
                key,
                id,
                segment.epoch(),
                WriteKind::Segment,
                segment.as_bytes(),
            )
        });
        self.put_segment(id, upload_key, segment.as_bytes().to_vec(), signature)
            .await
    }

    async fn put_segment(
        &self,
        id: VaultId,
        upload_key: &str,
        bytes: Vec<u8>,
        signature: Option<String>,
    ) -> Result<UploadedSegment, ClientError> {
        let mut request = self
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/vaults/{}/segments/{upload_key}", id.0),
            )
            .header("content-type", "application/octet-stream");
        if let Some(signature) = signature {
            request = request.header(write_headers::WRITE_SIGNATURE, signature);
        }
        let response = request.body(bytes).send().await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn segments_after(
        &self,
        id: VaultId,
        after: u64,
    ) -> Result<SegmentPage, ClientError> {
        let response = self
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/vaults/{}/segments?after={after}", id.0),
            )
            .send()
            .await?;
        let response = check(response).await?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let more = header(segment_headers::MORE).as_deref() == Some("true");
        let generation = header(segment_headers::GENERATION)
            .and_then(|g| g.parse().ok())
            .unwrap_or(0);
        let body = response.bytes().await?;
        let frames = segment_stream::decode_frames(&body, usize::MAX)
            .map_err(|e| ClientError::Unexpected(e.to_string()))?;
        let segments = frames
            .into_iter()
            .map(|f| SealedSegment::from_bytes(f.bytes).map(|s| (f.seq, s)))
            .collect::<Result<_, _>>()
            .map_err(|e| ClientError::Unexpected(e.to_string()))?;
        Ok(SegmentPage {
            segments,
            more,
            generation,
        })
    }

    /// The whole log, following pages, with the generation of the first page.
    pub async fn all_segments(
        &self,
        id: VaultId,
    ) -> Result<(Vec<(u64, SealedSegment)>, i64), ClientError> {
        let mut all = Vec::new();
        let mut after = 0;
        let mut generation = None;
        loop {
            let page = self.segments_after(id, after).await?;
            generation.get_or_insert(page.generation);
            if let Some((seq, _)) = page.segments.last() {
                after = *seq;
            }
            all.extend(page.segments);
            if !page.more {
                return Ok((all, generation.unwrap_or(0)));
            }
        }
    }

    /// Replaces a range of the log with `segments`, signed when this client has a key (and
    /// `head` carries no signatures of its own).
    pub async fn compact(
        &self,
        id: VaultId,
        head: &CompactionHead,
        segments: &[SealedSegment],
    ) -> Result<CompactionResult, ClientError> {
        let signed;
        let head = match self.signer() {
            Some(key) if head.write_signatures.is_empty() => {
                signed = CompactionHead {
                    write_signatures: sign_compaction(key, id, KeyEpoch(head.epoch), segments),
                    ..head.clone()
                };
                &signed
            }
            _ => head,
        };
        let json = serde_json::to_vec(head).expect("a head serializes");
        let mut body = (json.len() as u32).to_be_bytes().to_vec();
        body.extend_from_slice(&json);
        for (i, segment) in segments.iter().enumerate() {
            SegmentFrame {
                seq: i as u64,
                bytes: segment.as_bytes().to_vec(),
            }
            .encode_into(&mut body);
        }
        let response = self
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/vaults/{}/compactions", id.0),
            )
            .header("content-type", "application/vnd.folio.compaction")
            .body(body)
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn put_attachment(
        &self,
        id: VaultId,
        attachment: uuid::Uuid,
        bytes: Vec<u8>,
    ) -> Result<(), ClientError> {
        let response = self
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/vaults/{}/attachments/{attachment}", id.0),
            )
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await?;
        check(response).await?;
        Ok(())
    }

    pub async fn get_attachment(
        &self,
        id: VaultId,
        attachment: uuid::Uuid,
    ) -> Result<Vec<u8>, ClientError> {
        let response = self
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/vaults/{}/attachments/{attachment}", id.0),
            )
            .send()
            .await?;
        Ok(check(response).await?.bytes().await?.to_vec())
    }

    pub async fn delete_vault(&self, id: VaultId) -> Result<(), ClientError> {
        let response = self
            .request(reqwest::Method::DELETE, &format!("/api/v1/vaults/{}", id.0))
            .send()
            .await?;
        check(response).await?;
        Ok(())
    }
}
