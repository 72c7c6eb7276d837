//! The command-line client's profile: one JSON file holding the server's URL, the software
//! passkey and the device's key and token.
//!
//! It is the CLI's keychain. Anyone who reads it can sign in and unlock the account, so it
//! is created readable by its owner only, replaced atomically (a crash mid-write leaves the
//! old file, never half a file), and never printed.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use folio_shared::keys::DeviceKey;
use folio_shared::roster::RosterHead;
use folio_shared::vault::VaultId;
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use super::soft_passkey::SavedPasskey;
use crate::client::VaultClient;

/// The format version written today; a newer file is refused rather than misread.
const PROFILE_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("no profile at {0}: make one with `folio account create --server URL --profile {0}`")]
    Missing(PathBuf),
    #[error(
        "a profile already exists at {0}; pass --force to replace it (its account stays on the server)"
    )]
    Exists(PathBuf),
    #[error("cannot read or write the profile {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the profile {path} is damaged: {reason}")]
    Damaged { path: PathBuf, reason: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub version: u32,
    /// The server's public URL: the origin the passkey answers for.
    pub server: Url,
    pub account_id: Uuid,
    pub passkey: ProfilePasskey,
    pub device: ProfileDevice,
    /// The head of each record's member list as last verified: a list the server later
    /// serves shorter or different is refused.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub roster_heads: BTreeMap<Uuid, RosterHead>,
    /// Where this profile was loaded from, to keep new heads in.
    #[serde(skip)]
    path: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfilePasskey {
    pub id: Uuid,
    #[serde(flatten)]
    pub saved: SavedPasskey,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct ProfileDevice {
    pub id: Uuid,
    pub name: String,
    /// The bearer token (`fd_…`).
    pub token: String,
    /// The device's age identity: the account identity is wrapped to its recipient.
    pub key: String,
}

impl std::fmt::Debug for ProfileDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileDevice")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ProfileDevice {
    pub fn key(&self) -> Result<DeviceKey, String> {
        self.key
            .parse()
            .map_err(|_| "the device key is not an age identity".to_owned())
    }
}

impl Profile {
    /// The API as this profile's device reaches it.
    pub fn client(&self) -> VaultClient {
        let client = VaultClient::new(self.server.as_str(), &self.device.token);
        for (vault, head) in &self.roster_heads {
            client.pin_head(VaultId(*vault), *head);
        }
        client
    }

    /// Keeps `heads` (what a client verified) in the profile file it was loaded from, if
    /// any changed.
    pub fn remember_roster_heads(
        &self,
        heads: &HashMap<Uuid, RosterHead>,
    ) -> Result<(), ProfileError> {
        let changed = heads
            .iter()
            .any(|(vault, head)| self.roster_heads.get(vault) != Some(head));
        let Some(path) = self.path.as_deref().filter(|_| changed) else {
            return Ok(());
        };
        // Read afresh: another command may have pinned other records meanwhile.
        let mut current = Profile::load(path)?;
        current
            .roster_heads
            .extend(heads.iter().map(|(v, h)| (*v, *h)));
        current.save(path)
    }

    pub fn new(
        server: Url,
        account_id: Uuid,
        passkey: ProfilePasskey,
        device: ProfileDevice,
    ) -> Self {
        Profile {
            version: PROFILE_VERSION,
            server,
            account_id,
            passkey,
            device,
            roster_heads: BTreeMap::new(),
            path: None,
        }
    }

    /// [`Profile::load`], for a command: the error names the file.
    pub fn read(path: &Path) -> anyhow::Result<Profile> {
        use anyhow::Context as _;
        Profile::load(path).with_context(|| format!("reading the profile {}", path.display()))
    }

    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ProfileError::Missing(path.to_owned())
            } else {
                ProfileError::Io {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        let damaged = |reason: String| ProfileError::Damaged {
            path: path.to_owned(),
            reason,
        };
        let mut profile: Profile =
            serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
        profile.path = Some(path.to_owned());
        if profile.version > PROFILE_VERSION {
            return Err(damaged(format!(
                "it was written by a newer folio (format {}, this one reads {PROFILE_VERSION})",
                profile.version
            )));
        }
        profile.device.key().map_err(damaged)?;
        Ok(profile)
    }

    /// Refuses to overwrite another profile unless `force`: it may be the only key to an
    /// account.
    pub fn ensure_absent(path: &Path, force: bool) -> Result<(), ProfileError> {
        if path.exists() && !force {
            return Err(ProfileError::Exists(path.to_owned()));
        }
        Ok(())
    }

    /// Writes the profile to a private temporary file beside `path`, then renames it over.
    pub fn save(&self, path: &Path) -> Result<(), ProfileError> {
        let io = |source| ProfileError::Io {
            path: path.to_owned(),
            source,
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "profile".into());
        let temporary = dir.join(format!(".{name}.{}.tmp", Uuid::new_v4().simple()));
        let json = serde_json::to_vec_pretty(self).expect("a profile serializes");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let result = (|| {
            let mut file = options.open(&temporary)?;
            file.write_all(&json)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::rename(&temporary, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        result.map_err(io)
    }
}
