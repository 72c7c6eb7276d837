//! Importing files in the browser: the same importers and the same [`Delivery`] as
//! `folio import`, so the server receives only sealed segments and attachment blobs.
//!
//! Each file stands alone: read (its size checked before a byte is read), imported, sealed
//! and uploaded; a bad file fails with its report and changes nothing, and the files after
//! it still import.

use folio_shared::import::shc::Jwks;
use folio_shared::import::{
    Delivery, DocumentDetails, ImportError, ImportErrorKind, ImportFormat, ImportLimits,
    ImportOptions, ImportReport, IssuerKeys, Location, ReportItem, TrustedIssuer, detect,
    import_as,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::api;
use crate::dates;
use crate::record::{OpenRecord, upload_segments};

/// How one file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Imported,
    AlreadyImported,
    Failed,
}

/// One file's outcome: the importer's report and what reached the record.
#[derive(Debug, Clone, PartialEq)]
pub struct FileResult {
    pub status: FileStatus,
    pub report: ImportReport,
    pub new_entries: usize,
    pub already_present: usize,
}

/// Where an import run stands, for the progress bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub files_done: usize,
    pub files: usize,
    /// The file being worked on, and what is happening to it.
    pub current: Option<(String, String)>,
    /// Resources imported so far in this run.
    pub resources: usize,
}

/// What the user said about the files, shared by every file of one run.
#[derive(Debug, Clone, Default)]
pub struct ImportChoices {
    pub provider: Option<String>,
    /// Issuer keys given by hand; otherwise each card's issuer keys are fetched.
    pub jwks: Option<Jwks>,
    /// Title, date and tags for the PDFs and photos of the run.
    pub document: DocumentDetails,
}

/// Imports one run of files into `record`, reporting progress as it goes.
pub struct ImportRun<'a> {
    pub record: &'a mut OpenRecord,
    pub choices: ImportChoices,
    issuer_keys: IssuerKeys,
}

impl<'a> ImportRun<'a> {
    pub fn new(record: &'a mut OpenRecord, choices: ImportChoices) -> Self {
        ImportRun {
            record,
            issuer_keys: IssuerKeys::new(choices.jwks.clone()),
            choices,
        }
    }

    pub async fn import(&mut self, file: &web_sys::File, progress: &dyn Fn(&str)) -> FileResult {
        let name = file.name();
        match self.try_import(file, &name, progress).await {
            Ok(result) => result,
            Err((format, error)) => FileResult {
                status: FileStatus::Failed,
                report: ImportReport {
                    file: name,
                    format,
                    errors: vec![error],
                    ..ImportReport::default()
                },
                new_entries: 0,
                already_present: 0,
            },
        }
    }

    async fn try_import(
        &mut self,
        file: &web_sys::File,
        name: &str,
        progress: &dyn Fn(&str),
    ) -> Result<FileResult, (Option<ImportFormat>, ReportItem)> {
        let mut opts = ImportOptions::new(dates::now());
        if let Some(provider) = &self.choices.provider {
            opts = opts.with_provider(provider.clone());
        }
        opts.document = self.choices.document.clone();
        progress("reading");
        let bytes = read_capped(file, name, &opts.limits)
            .await
            .map_err(|e| (None, e))?;
        let detected = detect::detect(name, &bytes, &opts.limits).map_err(|e| (None, item(e)))?;
        let format = Some(detected);
        if is_health_card(detected) {
            progress("fetching the card issuer's keys");
            opts.issuers = self.issuer_keys(name, &bytes).await;
        }
        progress("reading the records");
        // Let the progress bar paint before the importer holds the thread.
        yield_to_browser().await;
        let outcome = import_as(detected, name, &bytes, &opts).map_err(|e| (format, item(e)))?;
        let fail = |message: String| {
            (
                format,
                ReportItem {
                    location: Location::file(name),
                    message,
                },
            )
        };
        progress("encrypting");
        yield_to_browser().await;
        let imported = outcome.entries.len();
        let delivery = Delivery::prepare(
            outcome.entries,
            &outcome.attachments,
            &bytes,
            &self.record.contents,
            &self.record.keyring,
        )
        .map_err(|e| fail(format!("sealing the entries: {e}")))?;
        let mut result = FileResult {
            status: FileStatus::AlreadyImported,
            report: outcome.report,
            new_entries: delivery.new_entries.len(),
            already_present: delivery.already_present,
        };
        if delivery.new_entries.is_empty() {
            if imported == 0 {
                result.status = FileStatus::Imported;
            }
            return Ok(result);
        }
        let vault = self.record.id();
        for (i, (blob, sealed)) in delivery.attachments.iter().enumerate() {
            progress(&format!(
                "uploading document {} of {}",
                i + 1,
                delivery.attachments.len()
            ));
            api::put_attachment(vault, *blob, sealed)
                .await
                .map_err(|e| fail(format!("uploading an attachment: {e}")))?;
        }
        let count = delivery.segments.len();
        upload_segments(vault, &delivery.segments, &|i| {
            progress(&format!("uploading batch {} of {count}", i + 1))
        })
        .await
        .map_err(|(stored, e)| {
            let done = if stored > 0 {
                format!(
                    " ({stored} of {count} batches were stored; import the file again to finish)"
                )
            } else {
                String::new()
            };
            fail(format!("uploading the entries: {e}{done}"))
        })?;
        for entry in delivery.new_entries {
            self.record.contents.apply(entry);
        }
        result.status = FileStatus::Imported;
        Ok(result)
    }

    /// The keys for a health-card file's issuers (see [`IssuerKeys`]); issuers serve their
    /// JWKS with CORS, as the SHC spec requires.
    async fn issuer_keys(&mut self, name: &str, bytes: &[u8]) -> Vec<TrustedIssuer> {
        let fetch = |url: String| async move {
            fetch_text(&url)
                .await
                .and_then(|text| Jwks::from_json(&text).ok())
        };
        self.issuer_keys.for_file(name, bytes, fetch).await
    }
}

fn item(e: ImportError) -> ReportItem {
    ReportItem {
        location: e.location,
        message: e.kind.to_string(),
    }
}

fn is_health_card(format: ImportFormat) -> bool {
    matches!(
        format,
        ImportFormat::SmartHealthCard
            | ImportFormat::SmartHealthCardJws
            | ImportFormat::SmartHealthCardQr
    )
}

/// The file's bytes, refused before reading when it is larger than the importer accepts.
async fn read_capped(
    file: &web_sys::File,
    name: &str,
    limits: &ImportLimits,
) -> Result<Vec<u8>, ReportItem> {
    let size = file.size() as u64;
    if size > limits.max_input_bytes {
        return Err(item(ImportError::new(
            Location::file(name),
            ImportErrorKind::TooLarge {
                size,
                max: limits.max_input_bytes,
            },
        )));
    }
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| ReportItem {
            location: Location::file(name),
            message: "the browser could not read this file".into(),
        })?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A public document fetched without credentials, or `None` on any failure.
async fn fetch_text(url: &str) -> Option<String> {
    let init = web_sys::RequestInit::new();
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    let window = web_sys::window()?;
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
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

/// Gives the browser a turn to paint before a long synchronous step.
pub async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}
