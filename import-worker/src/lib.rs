//! What the app and its import worker say to each other.
//!
//! The importers (FHIR JSON streaming, C-CDA XML, zip and DEFLATE, SMART Health Card ES256)
//! are most of what the app would otherwise load before its start page could show. They
//! run in a Web Worker instead, started by the pages that import (`/import`, and the
//! clinician viewer for health cards), so the start page does not carry them; a file's
//! import also no longer holds the page's thread.
//!
//! The worker only turns bytes into entries: sealing and uploading stay in the page, which
//! holds the record's keys. A message is a plain JS object ([`message`]): under `job` or
//! `reply` the JSON of an [`ImportJob`] or a [`WorkerReply`], and under `bytes` the binaries
//! beside it (the file to import; the attachments imported) as `Uint8Array`s, so no binary
//! goes through JSON.

use chrono::{DateTime, Utc};
use folio_shared::import::shc::Jwks;
use folio_shared::import::{
    Attachment, DocumentDetails, ImportFormat, ImportReport, Location, ReportItem,
};
use folio_shared::record::Entry;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// Where the worker's scripts are served: the loader Trunk writes for
/// `data-type="worker" data-loader-shim`, named after the binary.
pub const WORKER_SCRIPT: &str = "/folio-import-worker_loader.js";

/// One file to import; its bytes travel beside this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportJob {
    pub name: String,
    /// The import time written into every entry.
    pub imported_at: DateTime<Utc>,
    pub provider: Option<String>,
    pub document: DocumentDetails,
    pub issuer_keys: IssuerKeySource,
}

/// Where a health card's issuer keys come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IssuerKeySource {
    /// Keys the user gave by hand; nothing is fetched.
    Given(Jwks),
    /// Each https issuer's published keys, fetched by the worker once per issuer.
    Fetch,
    /// None: cards import as unverified (the clinician viewer shows them as such).
    Unverified,
}

/// What the worker sends: once when it is ready, then while and after it works on a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerReply {
    /// It listens for jobs now. A message posted before this would be lost: the worker's
    /// handler is set only once its WASM has loaded, after its script has run.
    Ready,
    /// What it is doing now, for the progress bar.
    Progress(String),
    Imported(ImportedFile),
    Failed(ImportFailure),
}

/// A file imported. The attachments' bytes travel beside the reply, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedFile {
    pub format: ImportFormat,
    pub entries: Vec<Entry>,
    pub attachments: Vec<AttachmentInfo>,
    pub report: ImportReport,
}

/// An attachment without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub id: String,
    pub content_type: String,
}

/// A file that imported nothing: the format when it was recognised, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportFailure {
    pub format: Option<ImportFormat>,
    pub item: ReportItem,
}

impl ImportFailure {
    pub fn new(format: Option<ImportFormat>, location: Location, message: String) -> Self {
        ImportFailure {
            format,
            item: ReportItem { location, message },
        }
    }
}

/// A message as posted: `json` under `key`, and `binaries` under `bytes`; with the
/// buffers to transfer rather than copy.
pub fn message(key: &str, json: &str, binaries: &[&[u8]]) -> (JsValue, js_sys::Array) {
    let message = js_sys::Object::new();
    let arrays = js_sys::Array::new();
    let transfer = js_sys::Array::new();
    for bytes in binaries {
        let array = js_sys::Uint8Array::from(*bytes);
        transfer.push(&array.buffer());
        arrays.push(&array);
    }
    // Setting properties on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(&message, &key.into(), &json.into());
    let _ = js_sys::Reflect::set(&message, &"bytes".into(), &arrays);
    (message.into(), transfer)
}

/// A message as received: its JSON and its binaries.
pub struct Envelope {
    pub json: String,
    pub bytes: Vec<Vec<u8>>,
}

impl Envelope {
    /// The envelope in a received message, if it has one under `key`.
    pub fn from_js(message: &JsValue, key: &str) -> Option<Envelope> {
        let json = js_sys::Reflect::get(message, &key.into())
            .ok()?
            .as_string()?;
        let binaries: js_sys::Array = js_sys::Reflect::get(message, &"bytes".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let bytes = binaries
            .iter()
            .map(|b| b.dyn_into::<js_sys::Uint8Array>().map(|a| a.to_vec()))
            .collect::<Result<_, _>>()
            .ok()?;
        Some(Envelope { json, bytes })
    }
}

/// The key of a job's JSON in a message to the worker.
pub const JOB: &str = "job";
/// The key of a reply's JSON in a message from the worker.
pub const REPLY: &str = "reply";

impl ImportedFile {
    /// The attachments again, their bytes from the envelope.
    pub fn attachments(&self, bytes: Vec<Vec<u8>>) -> Vec<Attachment> {
        self.attachments
            .iter()
            .zip(bytes)
            .map(|(info, bytes)| Attachment {
                id: info.id.clone(),
                content_type: info.content_type.clone(),
                bytes,
            })
            .collect()
    }
}
