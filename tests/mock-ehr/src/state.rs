//! Everything a running provider remembers: the records it serves, the codes and tokens it
//! issued, the search snapshots its `next` links point into, the fault switched on, the
//! pause, and the counts tests read back.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use serde_json::Value;
use tokio::sync::watch;

use crate::config::{Fault, ProviderConfig};
use crate::data::{PatientData, absolutize_binary_urls};

/// What a provider counted since it started, for tests to check what a client did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// First-page searches (type searches and `$everything`, not `next` pages) per resource
    /// type and per HTTP status answered; `$everything` counts under `"$everything"`.
    pub searches: BTreeMap<String, BTreeMap<u16, usize>>,
    /// Searchset Bundle pages answered with 200, first pages and `next` pages alike.
    pub pages_served: usize,
    /// Authorization codes exchanged for tokens.
    pub token_grants: usize,
    /// Refresh tokens exchanged for new tokens.
    pub refreshes: usize,
    /// FHIR requests answered 401 (no, unknown or expired access token).
    pub unauthorized: usize,
    /// `Patient/{id}/$everything` requests answered 200.
    pub everything_calls: usize,
    /// `Binary/{id}` requests answered 200.
    pub binary_fetches: usize,
    /// Single-resource reads (`{Type}/{id}`) answered 200, Binaries excluded.
    pub reads: usize,
    /// Every access and refresh token issued, so a test can look for them where they must
    /// never be (a server's database and logs).
    pub issued_tokens: Vec<String>,
}

impl Stats {
    /// How many first-page searches of `resource_type` were answered with `status`.
    pub fn searches_of(&self, resource_type: &str, status: u16) -> usize {
        self.searches
            .get(resource_type)
            .and_then(|by_status| by_status.get(&status))
            .copied()
            .unwrap_or(0)
    }
}

/// One patient's resources as served; `Arc` so search snapshots share them cheaply.
pub(crate) struct Record {
    pub patient_id: String,
    pub resources: Vec<Arc<Value>>,
}

/// An authorization code and what it was issued for.
pub(crate) struct CodeGrant {
    pub redirect_uri: String,
    pub challenge: String,
    pub scope: String,
    pub issued: Instant,
    /// Set on the first exchange attempt: a code is spent even when the attempt fails, so a
    /// stolen code cannot be tried against many verifiers.
    pub used: bool,
    pub grant: u64,
}

/// What an access or refresh token stands for.
#[derive(Clone)]
pub(crate) struct TokenGrant {
    pub patient: String,
    pub scope: String,
    /// The authorization this token descends from; revoked together on code replay.
    pub grant: u64,
    /// When an access token stops working (refresh tokens do not expire).
    pub expires: Instant,
}

/// The matches of one search, kept so `next` links page through a stable list.
pub(crate) struct Snapshot {
    pub patient: String,
    pub resources: Vec<Arc<Value>>,
}

/// The provider's mutable state, behind one lock (never held across an await).
pub(crate) struct Inner {
    pub fault: Option<Fault>,
    /// Index 0 is the signed-in patient, then `other_patients` in order.
    pub records: Vec<Record>,
    pub codes: HashMap<String, CodeGrant>,
    pub access_tokens: HashMap<String, TokenGrant>,
    pub refresh_tokens: HashMap<String, TokenGrant>,
    pub snapshots: HashMap<String, Snapshot>,
    /// Types whose one throttled search has happened.
    pub throttled: HashSet<String>,
    pub stats: Stats,
    /// Pages still to serve before FHIR requests hang.
    pub pause_after: Option<usize>,
    next_grant: u64,
}

impl Inner {
    /// A fresh number for a new authorization.
    pub fn new_grant(&mut self) -> u64 {
        self.next_grant += 1;
        self.next_grant
    }

    /// Forgets every access and refresh token issued under `grant`.
    pub fn revoke(&mut self, grant: u64) {
        self.access_tokens.retain(|_, t| t.grant != grant);
        self.refresh_tokens.retain(|_, t| t.grant != grant);
    }

    /// The record of `patient_id`, if this provider holds that patient.
    pub fn record(&self, patient_id: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.patient_id == patient_id)
    }
}

/// A running provider's shared state, handed to every handler.
pub(crate) struct Provider {
    pub config: ProviderConfig,
    /// `http://localhost:PORT/fhir`, without a trailing slash.
    pub fhir_base: String,
    /// `http://localhost:PORT`, where the OAuth endpoints live.
    pub origin: String,
    inner: Mutex<Inner>,
    paused: watch::Sender<bool>,
}

impl Provider {
    /// The state for `config` served at `origin`; relative Binary URLs become absolute.
    pub fn new(mut config: ProviderConfig, origin: String) -> Provider {
        let fhir_base = format!("{origin}/fhir");
        let records = std::iter::once(&config.patient)
            .chain(&config.other_patients)
            .map(|data| record(data, &fhir_base))
            .collect();
        // The records now live in `Inner`; keeping a second copy in the config would only
        // invite reading a stale one.
        config.patient.resources.clear();
        config
            .other_patients
            .iter_mut()
            .for_each(|p| p.resources.clear());
        Provider {
            config,
            fhir_base,
            origin,
            inner: Mutex::new(Inner {
                fault: None,
                records,
                codes: HashMap::new(),
                access_tokens: HashMap::new(),
                refresh_tokens: HashMap::new(),
                snapshots: HashMap::new(),
                throttled: HashSet::new(),
                stats: Stats::default(),
                pause_after: None,
                next_grant: 0,
            }),
            paused: watch::channel(false).0,
        }
    }

    /// The state, even if a handler panicked while holding it (a test should see the
    /// panic's own message, not a poisoned lock).
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn fault(&self) -> Option<Fault> {
        self.lock().fault
    }

    /// The patient every token is issued for.
    pub fn patient_id(&self) -> &str {
        &self.config.patient.id
    }

    /// The `OAuth` token endpoint.
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.origin)
    }

    /// The `OAuth` authorization endpoint.
    pub fn authorization_endpoint(&self) -> String {
        format!("{}/oauth/authorize", self.origin)
    }

    /// Waits while the provider is paused (see `MockProvider::pause_after_pages`).
    pub async fn wait_while_paused(&self) {
        let mut paused = self.paused.subscribe();
        // Only fails when the sender is gone, i.e. the provider is shutting down.
        let _ = paused.wait_for(|p| !*p).await;
    }

    /// Counts a searchset page served, and pauses once the set number is reached.
    pub fn page_served(&self, inner: &mut Inner) {
        inner.stats.pages_served += 1;
        if let Some(left) = inner.pause_after.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                inner.pause_after = None;
                self.paused.send_replace(true);
            }
        }
    }

    /// Pauses after `n` more pages (at once when 0), or cancels a pending pause.
    pub fn pause_after_pages(&self, n: Option<usize>) {
        let mut inner = self.lock();
        inner.pause_after = n.filter(|&n| n > 0);
        if n == Some(0) {
            self.paused.send_replace(true);
        }
    }

    /// Lets hanging and later FHIR requests through.
    pub fn resume(&self) {
        self.lock().pause_after = None;
        self.paused.send_replace(false);
    }
}

fn record(data: &PatientData, fhir_base: &str) -> Record {
    Record {
        patient_id: data.id.clone(),
        resources: data
            .resources
            .iter()
            .map(|resource| {
                let mut resource = resource.clone();
                absolutize_binary_urls(&mut resource, fhir_base);
                Arc::new(resource)
            })
            .collect(),
    }
}

/// A token or code nobody can guess: 256 random bits, base64url.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether something issued at `issued` with `lifetime` is still valid.
pub(crate) fn alive(issued: Instant, lifetime: Duration) -> bool {
    issued.elapsed() < lifetime
}
