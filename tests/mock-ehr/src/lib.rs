//! A strict mock EHR for Folio's tests: one "patient portal" per `MockProvider`, with a SMART
//! App Launch authorization server (standalone patient launch, public client, PKCE S256,
//! rotating refresh tokens) and a FHIR R4 API serving one patient's record.
//!
//! It is strict where real EHRs are (exact redirect URIs, single-use codes, expiring
//! tokens, scopes, patient-bound tokens, absolute paging links) and can be switched into
//! misbehaving (`Fault`, forbidden and throttled types, pauses) so a client's handling of
//! each is tested without a real portal.
//!
//! ```no_run
//! # async fn example() -> Result<(), folio_mock_ehr::BundleError> {
//! use folio_mock_ehr::{MockProvider, PatientData, ProviderConfig};
//! let patient = PatientData::from_bundle_file("patient.json".as_ref())?;
//! let riverside = MockProvider::start(ProviderConfig::new("Riverside Clinic", patient)).await;
//! println!("{}", riverside.fhir_base()); // http://localhost:PORT/fhir
//! # Ok(()) }
//! ```

mod config;
mod data;
mod document;
mod fhir;
mod oauth;
mod params;
mod server;
mod state;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::{Fault, ProviderConfig};
pub use data::{BundleError, PatientData};
pub use state::Stats;

use data::{
    absolutize_binary_urls, id_of, in_compartment, last_updated, set_last_updated, type_of,
};
use state::Provider;

/// A running mock provider; it stops serving when dropped.
pub struct MockProvider {
    provider: Arc<Provider>,
    servers: Vec<JoinHandle<()>>,
}

impl MockProvider {
    /// Starts serving `config` on a free port of 127.0.0.1 (and of ::1 when it is free
    /// there too, so `localhost` works whichever address a client tries first).
    ///
    /// # Panics
    /// When no loopback port can be bound, which leaves a test nothing to do.
    pub async fn start(config: ProviderConfig) -> MockProvider {
        let v4 = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("bind 127.0.0.1:0 for the mock EHR");
        let port = v4.local_addr().expect("the bound address").port();
        let v6 = TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port)))
            .await
            .ok();
        // `localhost`, not 127.0.0.1: clients that allow plain http only for a test server
        // recognise it by that name.
        let provider = Arc::new(Provider::new(config, format!("http://localhost:{port}")));
        let app = server::router(Arc::clone(&provider));
        let servers = std::iter::once(v4)
            .chain(v6)
            .map(|listener| {
                let app = app.clone();
                tokio::spawn(async move {
                    // Serving only ends with an I/O error on the listener; the test then
                    // sees refused connections, which says more than a panic here would.
                    let _ = axum::serve(listener, app).await;
                })
            })
            .collect();
        MockProvider { provider, servers }
    }

    /// The FHIR base URL, `http://localhost:PORT/fhir`, which is also the `aud` to ask for.
    pub fn fhir_base(&self) -> String {
        self.provider.fhir_base.clone()
    }

    /// The registered client id.
    pub fn client_id(&self) -> &str {
        &self.provider.config.client_id
    }

    /// The id of the patient every token is issued for.
    pub fn patient_id(&self) -> &str {
        self.provider.patient_id()
    }

    /// What the provider has counted so far.
    pub fn stats(&self) -> Stats {
        self.provider.lock().stats.clone()
    }

    /// Every access and refresh token this provider has issued.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.provider.lock().stats.issued_tokens.clone()
    }

    /// Switches a misbehaviour on (or all off with `None`), effective from the next request.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.provider.lock().fault = fault;
    }

    /// After `n` more search pages are served (at once when 0), every further FHIR data
    /// request hangs until `resume`, so a test can stop a client mid-sync; `None` cancels a
    /// pause not yet reached.
    pub fn pause_after_pages(&self, n: Option<usize>) {
        self.provider.pause_after_pages(n);
    }

    /// Lets hanging and later FHIR requests through.
    pub fn resume(&self) {
        self.provider.resume();
    }

    /// Adds a resource to the signed-in patient's record (replacing one with the same type
    /// and id), last updated now and strictly after everything already there, for testing
    /// incremental sync with `_lastUpdated=gt…`. A missing `id` is generated. Returns the
    /// resource as stored.
    pub fn add_resource(&self, mut resource: Value) -> Value {
        if id_of(&resource).is_empty() {
            resource["id"] = Value::String(uuid::Uuid::new_v4().to_string());
        }
        absolutize_binary_urls(&mut resource, &self.provider.fhir_base);
        let mut inner = self.provider.lock();
        let patient = self.provider.patient_id().to_owned();
        let Some(record) = inner.records.iter_mut().find(|r| r.patient_id == patient) else {
            unreachable!("the signed-in patient's record is made at start");
        };
        let latest = record
            .resources
            .iter()
            .filter_map(|r| last_updated(r))
            .max();
        let mut at = chrono::Utc::now();
        // Instants are written in milliseconds: step past the latest by at least one.
        if let Some(latest) = latest
            && at <= latest + chrono::Duration::milliseconds(1)
        {
            at = latest + chrono::Duration::milliseconds(1);
        }
        set_last_updated(&mut resource, at);
        let (kind, id) = (type_of(&resource).to_owned(), id_of(&resource).to_owned());
        record
            .resources
            .retain(|r| !(type_of(r) == kind && id_of(r) == id));
        record.resources.push(Arc::new(resource.clone()));
        resource
    }

    /// Per resource type, how many resources a patient-compartment search of that type
    /// returns for the signed-in patient (forbidden types, Binaries and non-compartment
    /// types such as Organization left out), so tests compare what a client stored.
    pub fn expected_counts(&self) -> BTreeMap<String, usize> {
        self.counts(in_compartment)
    }

    /// Per resource type, what `Patient/$everything` returns: the compartment plus the
    /// Organizations and Practitioners it refers to (forbidden types and Binaries left out).
    pub fn expected_everything_counts(&self) -> BTreeMap<String, usize> {
        self.counts(|_, _| true)
    }

    fn counts(&self, include: impl Fn(&str, &Value) -> bool) -> BTreeMap<String, usize> {
        let inner = self.provider.lock();
        let patient = self.provider.patient_id();
        let forbidden = &self.provider.config.forbidden_types;
        let mut counts = BTreeMap::new();
        for resource in inner.record(patient).iter().flat_map(|r| &r.resources) {
            let kind = type_of(resource);
            if kind != "Binary"
                && !forbidden.iter().any(|f| f == kind)
                && include(patient, resource)
            {
                *counts.entry(kind.to_owned()).or_insert(0) += 1;
            }
        }
        counts
    }
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        // Release requests held by a pause, then stop accepting connections.
        self.provider.resume();
        self.servers.iter().for_each(JoinHandle::abort);
    }
}
