//! Importing files in the browser: the same importers and the same [`Delivery`] as
//! `folio import`, so the server receives only sealed segments and attachment blobs. The
//! importers run in the import worker ([`ImportWorker`]); sealing and uploading run here,
//! where the record's keys are.
//!
//! Each file stands alone: read (its size checked before a byte is read), imported, sealed
//! and uploaded; a bad file fails with its report and changes nothing, and the files after
//! it still import. A file about someone other than the record's patient is held back
//! before anything is sealed ([`PatientCheck`]), for the patient to decide.

use folio_import_worker::{ImportJob, ImportedFile, IssuerKeySource};
use folio_shared::import::shc::Jwks;
use folio_shared::import::{
    Delivery, DocumentDetails, ImportError, ImportErrorKind, ImportFormat, ImportLimits,
    ImportReport, Location, ReportItem,
};
use folio_shared::patient_identity::PatientCheck;
use folio_shared::record::{Entry, Op};
use wasm_bindgen_futures::JsFuture;

use crate::api;
use crate::dates;
use crate::import_worker::ImportWorker;
use crate::offline;
use crate::record::{OpenRecord, upload_segments};

/// How one file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Imported,
    AlreadyImported,
    Failed,
    /// About someone other than the record's patient: nothing was imported, the patient
    /// decides (import anyway, or into a record of its own).
    OtherPatient,
}

/// One file's outcome: the importer's report and what reached the record.
#[derive(Debug, Clone, PartialEq)]
pub struct FileResult {
    pub status: FileStatus,
    pub report: ImportReport,
    pub new_entries: usize,
    pub already_present: usize,
    /// How the file's patient compared with the record's, once the file was read.
    pub patient: Option<PatientCheck>,
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
    /// One worker for the run, so each card issuer's keys are fetched once.
    worker: ImportWorker,
}

impl<'a> ImportRun<'a> {
    /// Starts the import worker; fails if the browser will not run it.
    pub fn new(record: &'a mut OpenRecord, choices: ImportChoices) -> Result<Self, String> {
        Ok(ImportRun {
            record,
            choices,
            worker: ImportWorker::start()?,
        })
    }

    /// Imports one file. One about someone other than the record's patient is held back
    /// ([`FileStatus::OtherPatient`]) unless `same_person` says the patient has decided it
    /// is them after all.
    pub async fn import(
        &mut self,
        file: &web_sys::File,
        same_person: bool,
        progress: &dyn Fn(&str),
    ) -> FileResult {
        let name = file.name();
        match self.try_import(file, &name, same_person, progress).await {
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
                patient: None,
            },
        }
    }

    async fn try_import(
        &mut self,
        file: &web_sys::File,
        name: &str,
        same_person: bool,
        progress: &dyn Fn(&str),
    ) -> Result<FileResult, (Option<ImportFormat>, ReportItem)> {
        let limits = ImportLimits::default();
        progress("reading");
        let bytes = read_capped(file, name, &limits)
            .await
            .map_err(|e| (None, e))?;
        let job = ImportJob {
            name: name.to_owned(),
            imported_at: dates::now(),
            provider: self.choices.provider.clone(),
            document: self.choices.document.clone(),
            issuer_keys: match &self.choices.jwks {
                Some(jwks) => IssuerKeySource::Given(jwks.clone()),
                None => IssuerKeySource::Fetch,
            },
        };
        let (imported, attachments) = self
            .worker
            .import(&job, &bytes, progress)
            .await
            .map_err(|failure| (failure.format, failure.item))?;
        let ImportedFile {
            format,
            entries,
            report,
            ..
        } = imported;
        let format = Some(format);
        let fail = |message: String| {
            (
                format,
                ReportItem {
                    location: Location::file(name),
                    message,
                },
            )
        };
        let check = PatientCheck::of(patients(&entries), &self.record.contents);
        if check.is_mismatch() && !same_person {
            return Ok(FileResult {
                status: FileStatus::OtherPatient,
                report,
                new_entries: 0,
                already_present: 0,
                patient: Some(check),
            });
        }
        progress("encrypting");
        yield_to_browser().await;
        let imported = entries.len();
        let delivery = Delivery::prepare(
            entries,
            &attachments,
            &bytes,
            &self.record.contents,
            &self.record.keyring,
        )
        .map_err(|e| fail(format!("sealing the entries: {e}")))?;
        let mut result = FileResult {
            status: FileStatus::AlreadyImported,
            report,
            new_entries: delivery.new_entries.len(),
            already_present: delivery.already_present,
            patient: Some(check),
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
            offline::keep_attachment(vault, *blob, sealed);
        }
        let count = delivery.segments.len();
        upload_segments(vault, &self.record.signer, &delivery.segments, &|i| {
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
}

/// The file's Patients, with their entry ids: who it is about.
fn patients(
    entries: &[Entry],
) -> impl Iterator<Item = (&folio_shared::record::EntryId, &serde_json::Value)> {
    entries.iter().filter_map(|entry| match &entry.op {
        Op::Put { resource, .. } if entry.id.resource_type() == "Patient" => {
            Some((&entry.id, resource))
        }
        _ => None,
    })
}

fn item(e: ImportError) -> ReportItem {
    ReportItem {
        location: e.location,
        message: e.kind.to_string(),
    }
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

/// Gives the browser a turn to paint before a long synchronous step.
pub async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}
