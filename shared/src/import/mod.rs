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
pub mod ccda;
pub mod delivery;
pub mod detect;
pub mod document;
pub mod error;
pub mod fhir_json;
pub mod identity;
pub mod issuer_keys;
pub mod merge;
pub mod ndjson;
pub mod options;
pub mod report;
pub mod shc;

pub use delivery::{Delivery, attachment_blob_id};
pub use detect::ImportFormat;
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
    let format = detect::detect(name, bytes, &opts.limits)?;
    import_as(format, name, bytes, opts)
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
    let (size, max) = (bytes.len() as u64, opts.limits.max_input_bytes);
    if size > max {
        return Err(ImportError::new(
            Location::file(name),
            ImportErrorKind::TooLarge { size, max },
        ));
    }
    let mut sink = EntrySink::new(name, format, opts);
    match format {
        ImportFormat::Zip => return archive::import_zip(name, bytes, opts),
        ImportFormat::FhirJson => fhir_json::import_json(&mut sink, detect::text(name, bytes)?)?,
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
    entries: Vec<Entry>,
    attachments: Vec<Attachment>,
    pub(crate) report: ImportReport,
}

impl<'a> EntrySink<'a> {
    pub(crate) fn new(file: &'a str, format: ImportFormat, opts: &'a ImportOptions) -> Self {
        EntrySink {
            file,
            opts,
            entries: Vec::new(),
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
        let max = self.opts.limits.max_resources;
        if self.entries.len() >= max {
            return Err(ImportError::new(
                self.location(),
                ImportErrorKind::TooManyResources { max },
            ));
        }
        let resource_type = resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("Unknown")
            .to_string();
        let id = resource
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let entry_id = EntryId(format!("{resource_type}/{id}"));
        *self.report.counts.entry(resource_type).or_default() += 1;
        self.entries.push(Entry {
            id: entry_id,
            op: Op::Put { resource, source },
            at: self.opts.imported_at,
        });
        Ok(())
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

    pub(crate) fn finish(self) -> ImportOutcome {
        ImportOutcome {
            entries: self.entries,
            attachments: self.attachments,
            report: self.report,
        }
    }
}
