//! The import worker: receives one file at a time, imports it with the same importers as
//! `folio import`, and posts back the entries, or why the file imported nothing.
//!
//! It lives as long as the page's run of imports, so a health-card issuer's keys are
//! fetched once per run. Jobs are answered in order: the page sends the next file only
//! after the last reply.

use std::cell::RefCell;
use std::rc::Rc;

use folio_import_worker::{
    AttachmentInfo, Envelope, ImportFailure, ImportJob, ImportedFile, IssuerKeySource, JOB, REPLY,
    WorkerReply, message,
};
use folio_shared::import::shc::Jwks;
use folio_shared::import::{
    ImportError, ImportFormat, ImportOptions, IssuerKeys, Location, TrustedIssuer, detect,
    import_as,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let fetched_keys = Rc::new(RefCell::new(IssuerKeys::new(None)));
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let fetched_keys = fetched_keys.clone();
        spawn_local(async move {
            let (reply, attachments) = match Envelope::from_js(&event.data(), JOB) {
                Some(envelope) => answer(envelope, &fetched_keys).await,
                None => (
                    failed(Location::default(), "the page sent no file".into()),
                    vec![],
                ),
            };
            post(&reply, &attachments);
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&WorkerReply::Ready, &[]);
}

/// The reply to a job, and the bytes of the attachments it names.
async fn answer(
    envelope: Envelope,
    fetched_keys: &RefCell<IssuerKeys>,
) -> (WorkerReply, Vec<Vec<u8>>) {
    let job: ImportJob = match serde_json::from_str(&envelope.json) {
        Ok(job) => job,
        Err(e) => {
            return (
                failed(Location::default(), format!("a malformed job: {e}")),
                vec![],
            );
        }
    };
    let bytes = envelope.bytes.into_iter().next().unwrap_or_default();
    match import(&job, &bytes, fetched_keys).await {
        Ok((file, attachments)) => (WorkerReply::Imported(file), attachments),
        Err(failure) => (WorkerReply::Failed(failure), Vec::new()),
    }
}

/// The file's entries, and its attachments' bytes in the order of their infos.
async fn import(
    job: &ImportJob,
    bytes: &[u8],
    fetched_keys: &RefCell<IssuerKeys>,
) -> Result<(ImportedFile, Vec<Vec<u8>>), ImportFailure> {
    let name = job.name.as_str();
    let mut opts = ImportOptions::new(job.imported_at);
    opts.provider = job.provider.clone();
    opts.document = job.document.clone();
    let format = detect::detect(name, bytes, &opts.limits).map_err(|e| failure(None, e))?;
    if format.is_signed_health_card() {
        opts.issuers = match &job.issuer_keys {
            IssuerKeySource::Given(jwks) => {
                IssuerKeys::new(Some(jwks.clone()))
                    .for_file(name, bytes, |_| async { None })
                    .await
            }
            IssuerKeySource::Fetch => {
                progress("fetching the card issuer's keys");
                fetch_issuer_keys(fetched_keys, name, bytes).await
            }
            IssuerKeySource::Unverified => Vec::new(),
        };
    }
    progress("reading the records");
    let outcome = import_as(format, name, bytes, &opts).map_err(|e| failure(Some(format), e))?;
    let (attachments, blobs) = outcome
        .attachments
        .into_iter()
        .map(|a| {
            let info = AttachmentInfo {
                id: a.id,
                content_type: a.content_type,
            };
            (info, a.bytes)
        })
        .unzip();
    let file = ImportedFile {
        format,
        entries: outcome.entries,
        attachments,
        report: outcome.report,
    };
    Ok((file, blobs))
}

/// The run's cache is taken out while fetching, so no borrow is held across an await;
/// jobs come one at a time, so nothing else wants it meanwhile.
async fn fetch_issuer_keys(
    fetched_keys: &RefCell<IssuerKeys>,
    name: &str,
    bytes: &[u8],
) -> Vec<TrustedIssuer> {
    let mut keys = fetched_keys.take();
    let fetch = |url: String| async move {
        fetch_text(&url)
            .await
            .and_then(|text| Jwks::from_json(&text).ok())
    };
    let trusted = keys.for_file(name, bytes, fetch).await;
    fetched_keys.replace(keys);
    trusted
}

/// A public document fetched without credentials, or `None` on any failure; issuers
/// serve their JWKS with CORS, as the SMART Health Cards spec requires.
async fn fetch_text(url: &str) -> Option<String> {
    let init = web_sys::RequestInit::new();
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let response = JsFuture::from(scope.fetch_with_str_and_init(url, &init))
        .await
        .ok()?;
    let response: web_sys::Response = response.dyn_into().ok()?;
    if !response.ok() {
        return None;
    }
    JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()
}

fn failure(format: Option<ImportFormat>, e: ImportError) -> ImportFailure {
    ImportFailure::new(format, e.location, e.kind.to_string())
}

fn failed(location: Location, message: String) -> WorkerReply {
    WorkerReply::Failed(ImportFailure::new(None, location, message))
}

fn progress(step: &str) {
    post(&WorkerReply::Progress(step.to_owned()), &[]);
}

fn post(reply: &WorkerReply, attachments: &[Vec<u8>]) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let json = serde_json::to_string(reply).expect("a reply serializes");
    let binaries: Vec<&[u8]> = attachments.iter().map(Vec::as_slice).collect();
    let (message, transfer) = message(REPLY, &json, &binaries);
    // Posting a plain object of strings and typed arrays cannot fail.
    let _ = scope.post_message_with_transfer(&message, &transfer);
}
