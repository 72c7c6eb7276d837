//! Importers: turn a file a patient brings (FHIR JSON or NDJSON, a C-CDA document, a SMART
//! Health Card, a zip of those, or a PDF or photo) into vault [`Entry`] values plus an
//! [`ImportReport`] that says what was imported and what was not.
//!
//! They run on the client (browser WASM or CLI), so they do no I/O: callers hand over a
//! file name and its bytes, and for health cards the issuer keys they fetched.
//!
//! Rules every importer keeps:
//! - **All or nothing per file.** A file with an error yields no entries, only the error
//!   (a zip is a folder of files: each member succeeds or fails on its own).
//! - **Nothing dropped silently.** Anything not imported or imported as-is is a warning
//!   with its location (NDJSON line, JSON pointer, XPath-like path).
//! - **Stable ids.** See [`identity`]: importing the same file twice gives the same ids.
//! - **Bounded work.** [`ImportLimits`] caps input size, zip expansion, XML size and
//!   resource count before the work is done, so a hostile file cannot exhaust a phone.

pub mod archive;
mod bound_urls;
pub mod ccda;
pub mod delivery;
pub mod detect;
pub mod document;
pub mod error;
pub mod fhir_json;
pub mod identity;
pub mod issuer_keys;
mod json_compact;
mod json_outline;
mod json_writer;
pub mod merge;
pub mod ndjson;
pub mod options;
pub mod report;
pub mod shc;

pub use delivery::{Delivery, DeliveryBuilder, FileDigest, JsonEntries, attachment_blob_id};
pub use detect::{Detected, ImportFormat};
pub use document::Attachment;
pub use error::{ImportError, ImportErrorKind};
pub use issuer_keys::IssuerKeys;
pub use options::{DocumentDetails, ImportLimits, ImportOptions, TrustedIssuer};
pub use report::{ImportReport, Location, ReportItem};

use crate::record::{Entry, EntryId, Op, Source};
use serde_json::Value;

/// What importing one file produced. Entries are `Put` ops ready to be sealed into one
/// segment; attachments are the large binaries (PDF, images) that the vault stores as
/// separate blobs, referenced from a DocumentReference as `folio-attachment:<id>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOutcome {
    pub entries: Vec<Entry>,
    pub attachments: Vec<Attachment>,
    pub report: ImportReport,
}

/// Import one file: detect its format from its content (never trust the extension: C-CDA
/// arrives as `.xml`, `.ccd` and `.txt`) and dispatch to the matching importer.
pub fn import_file(
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let detected = detect::detect_for_import(name, bytes, &opts.limits)?;
    let mut entries = Vec::new();
    let FileImport {
        attachments,
        report,
    } = import_detected(detected, name, bytes, opts, &mut entries)?;
    Ok(ImportOutcome {
        entries,
        attachments,
        report,
    })
}

/// Import one file whose format the caller has already detected with [`detect::detect`]
/// (the CLI and the app need it first, to fetch a health card's issuer keys), so a large
/// file is not scanned twice.
pub fn import_as(
    format: ImportFormat,
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let mut entries = Vec::new();
    let FileImport {
        attachments,
        report,
    } = import_into(format, name, bytes, opts, &mut entries)?;
    Ok(ImportOutcome {
        entries,
        attachments,
        report,
    })
}

/// What importing one file produced besides its entries, which went to an [`EntryTarget`].
#[derive(Debug, Clone, PartialEq)]
pub struct FileImport {
    pub attachments: Vec<Attachment>,
    pub report: ImportReport,
}

/// Where an importer puts each entry as it makes it: a list ([`import_as`]), or a
/// [`DeliveryBuilder`] that seals each one as it comes, so that a large Bundle's resources
/// need not all be held as trees at once.
pub trait EntryTarget {
    fn accept(&mut self, entry: Entry);

    /// The resources' JSON, for a target that keeps only that: an importer that can write
    /// a resource's JSON as it reads the file (a FHIR JSON Bundle's, with its references
    /// rewritten on the way) writes it there and never builds the resource's tree.
    fn json(&mut self) -> Option<&mut JsonEntries> {
        None
    }
}

impl EntryTarget for Vec<Entry> {
    fn accept(&mut self, entry: Entry) {
        self.push(entry);
    }
}

/// [`import_as`], handing each entry to `target` as it is made. On an error the target may
/// have received some of the file's entries already: drop them, as a file imports all or
/// nothing.
pub fn import_into(
    format: ImportFormat,
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    target: &mut dyn EntryTarget,
) -> Result<FileImport, ImportError> {
    import_detected(format.into(), name, bytes, opts, target)
}

/// [`import_into`] a file detected by [`detect::detect_for_import`], using again what
/// detection read of it.
pub fn import_detected(
    detected: Detected,
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    target: &mut dyn EntryTarget,
) -> Result<FileImport, ImportError> {
    let Detected { format, outline } = detected;
    let (size, max) = (bytes.len() as u64, opts.limits.max_input_bytes);
    if size > max {
        return Err(ImportError::new(
            Location::file(name),
            ImportErrorKind::TooLarge { size, max },
        ));
    }
    if format == ImportFormat::Zip {
        // Each member of a zip succeeds or fails on its own, so members are imported whole
        // before their entries move on.
        let outcome = archive::import_zip(name, bytes, opts)?;
        for entry in outcome.entries {
            target.accept(entry);
        }
        return Ok(FileImport {
            attachments: outcome.attachments,
            report: outcome.report,
        });
    }
    let mut sink = EntrySink::new(name, format, opts, target);
    match format {
        ImportFormat::Zip => unreachable!("imported above"),
        ImportFormat::FhirJson => {
            fhir_json::import_json(&mut sink, detect::text(name, bytes)?, outline)?
        }
        ImportFormat::FhirNdjson => ndjson::import_ndjson(&mut sink, detect::text(name, bytes)?)?,
        ImportFormat::Ccda => ccda::import_ccda(&mut sink, bytes)?,
        ImportFormat::SmartHealthCard
        | ImportFormat::SmartHealthCardJws
        | ImportFormat::SmartHealthCardQr
        | ImportFormat::SmartHealthCardPayload => {
            shc::import_card(&mut sink, format, detect::text(name, bytes)?)?
        }
        ImportFormat::Pdf | ImportFormat::Jpeg | ImportFormat::Png => {
            document::import_document(&mut sink, format, bytes)?
        }
    }
    Ok(sink.finish())
}

/// Collects the entries of one file with their provenance, keeps the report's counts
/// true, and enforces the resource limit as it goes.
pub(crate) struct EntrySink<'a> {
    pub(crate) file: &'a str,
    pub(crate) opts: &'a ImportOptions,
    target: &'a mut dyn EntryTarget,
    /// Entries handed to `target` so far.
    entries: usize,
    attachments: Vec<Attachment>,
    pub(crate) report: ImportReport,
}

impl<'a> EntrySink<'a> {
    pub(crate) fn new(
        file: &'a str,
        format: ImportFormat,
        opts: &'a ImportOptions,
        target: &'a mut dyn EntryTarget,
    ) -> Self {
        EntrySink {
            file,
            opts,
            target,
            entries: 0,
            attachments: Vec::new(),
            report: ImportReport::new(file, format),
        }
    }

    /// The provenance of this file's entries; importers adjust provider and verification.
    pub(crate) fn source(&self) -> Source {
        Source {
            provider: self.opts.provider.clone(),
            file: Some(self.file.to_string()),
            retrieved_at: self.opts.imported_at,
            ..Source::default()
        }
    }

    pub(crate) fn location(&self) -> Location {
        Location::file(self.file)
    }

    /// Add one resource. Its `resourceType` and `id` must already be final.
    pub(crate) fn push(&mut self, resource: Value, source: Source) -> Result<(), ImportError> {
        let resource_type = resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("Unknown");
        let id = resource
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let entry_id = self.count(resource_type, id)?;
        self.target.accept(Entry {
            id: entry_id,
            op: Op::Put { resource, source },
            at: self.opts.imported_at,
        });
        Ok(())
    }

    /// The target's JSON, when it keeps only that (see [`EntryTarget::json`]).
    pub(crate) fn json(&mut self) -> Option<&mut JsonEntries> {
        self.target.json()
    }

    /// [`EntrySink::push`] for a resource of `resource_type` and `id` written to
    /// [`EntrySink::json`] from `start` on.
    pub(crate) fn push_written(
        &mut self,
        resource_type: &str,
        id: &str,
        source: Source,
        start: usize,
    ) -> Result<(), ImportError> {
        let entry_id = self.count(resource_type, id)?;
        let at = self.opts.imported_at;
        self.target
            .json()
            .expect("written to the target's JSON")
            .push_written(entry_id, at, source, start);
        Ok(())
    }

    /// Counts one more entry, or refuses it over the limit; returns its id.
    fn count(&mut self, resource_type: &str, id: &str) -> Result<EntryId, ImportError> {
        let max = self.opts.limits.max_resources;
        if self.entries >= max {
            return Err(ImportError::new(
                self.location(),
                ImportErrorKind::TooManyResources { max },
            ));
        }
        match self.report.counts.get_mut(resource_type) {
            Some(count) => *count += 1,
            None => {
                self.report.counts.insert(resource_type.to_string(), 1);
            }
        }
        self.entries += 1;
        Ok(EntryId(format!("{resource_type}/{id}")))
    }

    pub(crate) fn push_attachment(&mut self, attachment: Attachment) {
        self.attachments.push(attachment);
    }

    pub(crate) fn warn(&mut self, location: Location, message: impl Into<String>) {
        self.report.warnings.push(ReportItem {
            location,
            message: message.into(),
        });
    }

    pub(crate) fn note(&mut self, message: impl Into<String>) {
        self.report.notes.push(message.into());
    }

    pub(crate) fn finish(self) -> FileImport {
        FileImport {
            attachments: self.attachments,
            report: self.report,
        }
    }
}
