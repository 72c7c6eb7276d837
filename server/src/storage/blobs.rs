//! Encrypted attachments as files: `<data dir>/blobs/<vault>/<attachment>.age`.
//!
//! Large files stay out of the database so uploads and downloads stream without holding a
//! whole PDF in memory. A file is written to a temporary name and renamed into place, so a
//! failed or oversized upload never leaves a partial attachment behind.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the attachment is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    #[error("the upload is not an age-encrypted file")]
    NotEncrypted,
    #[error("blob storage failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A stored upload's size and the SHA-256 of its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub size: u64,
    pub sha256: [u8; 32],
}

/// Where attachments live on disk.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// Every age file starts with this line; anything else is not ciphertext we should keep.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

impl BlobStore {
    pub fn new(root: PathBuf) -> Self {
        BlobStore { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn vault_dir(&self, vault: Uuid) -> PathBuf {
        self.root.join(vault.simple().to_string())
    }

    fn path(&self, vault: Uuid, id: Uuid) -> PathBuf {
        self.vault_dir(vault).join(format!("{}.age", id.simple()))
    }

    /// Writes a streamed upload of at most `limit` bytes and returns what was written.
    pub async fn write<S, E>(
        &self,
        vault: Uuid,
        id: Uuid,
        mut body: S,
        limit: u64,
    ) -> Result<Written, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let dir = self.vault_dir(vault);
        tokio::fs::create_dir_all(&dir).await?;
        let temp = dir.join(format!(".{}.{}.part", id.simple(), Uuid::new_v4().simple()));
        let result = async {
            let mut file = tokio::fs::File::create(&temp).await?;
            let mut written: u64 = 0;
            let mut hash = Sha256::new();
            let mut head = Vec::with_capacity(AGE_MAGIC.len());
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| BlobError::Interrupted(e.to_string()))?;
                written += chunk.len() as u64;
                if written > limit {
                    return Err(BlobError::TooLarge { limit });
                }
                if head.len() < AGE_MAGIC.len() {
                    let take = (AGE_MAGIC.len() - head.len()).min(chunk.len());
                    head.extend_from_slice(&chunk[..take]);
                    if !AGE_MAGIC.starts_with(&head) {
                        return Err(BlobError::NotEncrypted);
                    }
                }
                hash.update(&chunk);
                file.write_all(&chunk).await?;
            }
            if head.len() < AGE_MAGIC.len() {
                return Err(BlobError::NotEncrypted);
            }
            file.sync_all().await?;
            Ok(Written {
                size: written,
                sha256: hash.finalize().into(),
            })
        }
        .await;
        match result {
            Ok(written) => {
                tokio::fs::rename(&temp, self.path(vault, id)).await?;
                Ok(written)
            }
            Err(err) => {
                let _ = tokio::fs::remove_file(&temp).await;
                Err(err)
            }
        }
    }

    /// Moves a staged upload into place under its final id, replacing any earlier file.
    pub async fn promote(&self, vault: Uuid, staged: Uuid, id: Uuid) -> Result<(), BlobError> {
        tokio::fs::rename(self.path(vault, staged), self.path(vault, id)).await?;
        Ok(())
    }

    pub async fn open(&self, vault: Uuid, id: Uuid) -> Result<tokio::fs::File, BlobError> {
        Ok(tokio::fs::File::open(self.path(vault, id)).await?)
    }

    /// The SHA-256 of a stored file, read in pieces.
    pub async fn sha256(&self, vault: Uuid, id: Uuid) -> Result<[u8; 32], BlobError> {
        let mut file = self.open(vault, id).await?;
        let mut hash = Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = file.read(&mut buffer).await?;
            if read == 0 {
                return Ok(hash.finalize().into());
            }
            hash.update(&buffer[..read]);
        }
    }

    pub async fn delete(&self, vault: Uuid, id: Uuid) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(vault, id)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Removes every attachment of a vault.
    pub async fn delete_vault(&self, vault: Uuid) -> Result<(), BlobError> {
        match tokio::fs::remove_dir_all(self.vault_dir(vault)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
