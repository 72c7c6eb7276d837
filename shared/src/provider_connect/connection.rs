//! A connection to a provider, as the record keeps it: where the provider is, whose record
//! it opens, its tokens, and how far each search of the sync has come.
//!
//! It is one of Folio's own vault entries (`FolioConnection/<id>`, see
//! [`crate::vault::is_folio_entry`]): sealed like every entry, on every device of the
//! record's members, and never in the server's database, logs, views, shares or exports.
//! Progress is written in the same segment as the page it follows, so a sync stopped
//! anywhere resumes exactly after the last page the record holds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::record::{Entry, EntryId, Op, Source};
use crate::vault::VaultContents;

use super::token::TokenGrant;

/// The entry type of a connection in the vault.
pub const CONNECTION_ENTRY_TYPE: &str = "FolioConnection";

/// One provider the patient connected the record to.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: Uuid,
    /// The provider's name, as the directory or the patient gave it: the source of what
    /// the sync brings in.
    pub name: String,
    /// The FHIR base the tokens are for (the `aud` of the sign-in).
    pub fhir_base: String,
    pub token_endpoint: String,
    pub client_id: String,
    /// The patient's id at the provider: every resource a sync receives must be theirs.
    pub patient: String,
    pub scope: String,
    /// Whether the provider offers `Patient/$everything` (read from its metadata).
    #[serde(default)]
    pub everything: bool,
    /// The resource types its CapabilityStatement lists (empty: not known, ask for all).
    #[serde(default)]
    pub served_types: Vec<String>,
    pub access_token: Option<String>,
    pub access_expires_at: Option<DateTime<Utc>>,
    pub refresh_token: Option<String>,
    pub connected_at: DateTime<Utc>,
    /// Per search (`Observation?category=laboratory`, `$everything`, …).
    #[serde(default)]
    pub progress: BTreeMap<String, SearchProgress>,
    /// When the last sync finished every search it could.
    #[serde(default)]
    pub last_synced_at: Option<DateTime<Utc>>,
    /// When the sync under way began; stored with its first page and cleared at its end,
    /// so a sync that was stopped shows as unfinished.
    #[serde(default)]
    pub syncing_since: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("fhir_base", &self.fhir_base)
            .field("patient", &self.patient)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

/// How far one search has come.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchProgress {
    /// Everything the provider changed up to this instant (its clock where it said) is in
    /// the record: the next round asks only for what changed since.
    #[serde(default)]
    pub synced_through: Option<DateTime<Utc>>,
    /// The round under way: when it began, and the next page to fetch.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub next_page: Option<String>,
}

/// A vault entry that is not a connection Folio can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the connection entry {id} could not be read: {why}")]
pub struct ConnectionEntryError {
    pub id: String,
    pub why: String,
}

impl Connection {
    /// A new connection from the tokens of a sign-in.
    pub fn new(
        name: String,
        fhir_base: String,
        token_endpoint: String,
        client_id: String,
        grant: TokenGrant,
        now: DateTime<Utc>,
    ) -> Connection {
        let mut connection = Connection {
            id: Uuid::new_v4(),
            name,
            fhir_base,
            token_endpoint,
            client_id,
            patient: grant.patient.clone(),
            scope: String::new(),
            everything: false,
            served_types: Vec::new(),
            access_token: None,
            access_expires_at: None,
            refresh_token: None,
            connected_at: now,
            progress: BTreeMap::new(),
            last_synced_at: None,
            syncing_since: None,
        };
        connection.take_grant(grant);
        connection
    }

    /// Keeps newly granted tokens (a refresh may rotate the refresh token: the old one is
    /// spent from now on).
    pub fn take_grant(&mut self, grant: TokenGrant) {
        self.access_token = Some(grant.access_token);
        self.access_expires_at = Some(grant.expires_at);
        if grant.refresh_token.is_some() {
            self.refresh_token = grant.refresh_token;
        }
        self.scope = grant.scope;
    }

    /// The grant as it stands, for a refresh answer that leaves parts out.
    pub fn grant(&self) -> Option<TokenGrant> {
        Some(TokenGrant {
            access_token: self.access_token.clone()?,
            expires_at: self.access_expires_at?,
            refresh_token: self.refresh_token.clone(),
            patient: self.patient.clone(),
            scope: self.scope.clone(),
        })
    }

    pub fn entry_id(&self) -> EntryId {
        EntryId(format!("{CONNECTION_ENTRY_TYPE}/{}", self.id))
    }

    /// The vault entry that stores the connection as it stands.
    pub fn entry(&self, now: DateTime<Utc>) -> Entry {
        let mut resource =
            serde_json::to_value(self).expect("a connection serializes to a JSON object");
        resource["resourceType"] = Value::String(CONNECTION_ENTRY_TYPE.into());
        Entry {
            id: self.entry_id(),
            op: Op::Put {
                resource,
                source: Source {
                    provider: Some(self.name.clone()),
                    file: Some(self.fhir_base.clone()),
                    retrieved_at: now,
                    ..Source::default()
                },
            },
            at: now,
        }
    }

    /// The entry that removes the connection, and its tokens with it, from the record.
    pub fn removal(&self, now: DateTime<Utc>) -> Entry {
        Entry {
            id: self.entry_id(),
            op: Op::Delete,
            at: now,
        }
    }

    /// Every connection the record holds, in id order.
    pub fn all_in(contents: &VaultContents) -> Vec<Result<Connection, ConnectionEntryError>> {
        contents
            .folio_entries(CONNECTION_ENTRY_TYPE)
            .map(|(id, stored)| {
                serde_json::from_value(stored.resource.clone()).map_err(|e| ConnectionEntryError {
                    id: id.to_string(),
                    why: e.to_string(),
                })
            })
            .collect()
    }

    /// Whether a sync began and has not finished (it was stopped, or runs now).
    pub fn sync_unfinished(&self) -> bool {
        self.syncing_since.is_some() || self.progress.values().any(|p| p.started_at.is_some())
    }
}
