//! `folio import`: bring files (FHIR JSON or NDJSON, C-CDA, SMART Health Cards, zips, PDFs
//! and photos) into a record.
//!
//! Each file stands on its own: it is read (with the importer's size cap checked before a
//! byte is read), imported, and uploaded as segments of its own, so a bad file fails alone
//! and changes nothing. Entries the record already holds (same id, same resource, same
//! source file) are dropped before sealing, so importing a file again uploads nothing;
//! upload keys are derived from the file and the entries it adds, so a retried command is
//! answered by the server as the upload it already stored.
//!
//! Before anything is sealed, the file's patient is compared with the record's
//! ([`PatientCheck`]): a file about someone else is refused unless `--patient-mismatch
//! allow` says it is the same person after all.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use chrono::Utc;
use clap::{Args, ValueEnum};
use folio_shared::import::shc::Jwks;
use folio_shared::import::{
    DeliveryBuilder, FileDigest, FileImport, ImportError, ImportErrorKind, ImportFormat,
    ImportLimits, ImportOptions, ImportReport, IssuerKeys, Location, ReportItem, TrustedIssuer,
    detect, import_detected,
};
use folio_shared::patient_identity::{PatientCheck, PatientDetails, PatientMatch};
use folio_shared::record::EntryId;
use folio_shared::vault::{VaultContents, VaultId};
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::account::{Output, ProfileArg};
use super::profile::Profile;
use super::vault_access::VaultAccess;
use crate::client::ClientError;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The provider the files come from (e.g. "St Mary's Hospital"). Entries from
    /// different providers are kept apart and merged only in views.
    #[arg(long = "source", value_name = "NAME")]
    pub source: Option<String>,
    /// The record to import into (default: your own, created on first import).
    #[arg(long)]
    pub vault: Option<uuid::Uuid>,
    /// A JWKS file of SMART Health Card issuer keys to verify cards against, instead of
    /// fetching the issuer's `/.well-known/jwks.json`. May be given more than once.
    #[arg(long = "jwks", value_name = "FILE")]
    pub jwks: Vec<PathBuf>,
    /// What to do with a file about someone other than the record's patient: refuse it
    /// (nothing of it is written), or import it anyway as the same person.
    #[arg(long = "patient-mismatch", value_enum, default_value_t = OnMismatch::Refuse)]
    pub patient_mismatch: OnMismatch,
    #[command(flatten)]
    pub output: Output,
    /// Files or folders (folders are walked in name order; hidden files are skipped).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// `--patient-mismatch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnMismatch {
    Refuse,
    Allow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Imported,
    AlreadyImported,
    Failed,
}

/// One file's outcome: the importer's report, and what reached the record.
#[derive(Debug, Serialize)]
struct FileResult {
    path: PathBuf,
    status: FileStatus,
    #[serde(flatten)]
    report: ImportReport,
    /// Who the file is about (its Patient), or null when it names no one or was not read.
    patient: Option<PatientDetails>,
    /// How that compares with the record's patient; null when the file was not read.
    patient_match: Option<PatientMatch>,
    /// The mismatch in a sentence, when the file is about someone else.
    #[serde(skip)]
    mismatch: Option<String>,
    /// Refused for being about someone else (`--patient-mismatch refuse`).
    #[serde(skip)]
    refused: bool,
    /// Entries uploaded by this command.
    new_entries: usize,
    /// Entries the record already held exactly as imported.
    already_present: usize,
    segments: usize,
    attachments: usize,
}

#[derive(Debug, Default, Serialize)]
struct Totals {
    files: usize,
    imported: usize,
    already_imported: usize,
    failed: usize,
    /// Files about someone other than the record's patient (refused, or imported with
    /// `--patient-mismatch allow`).
    patient_mismatches: usize,
    /// Resources the importers produced, per type.
    counts: BTreeMap<String, usize>,
    resources: usize,
    new_entries: usize,
    already_present: usize,
    warnings: usize,
    segments: usize,
    attachments: usize,
}

#[derive(Debug, Serialize)]
struct ImportSummary {
    vault: uuid::Uuid,
    files: Vec<FileResult>,
    totals: Totals,
}

/// How long an issuer's JWKS may take to arrive before the card is imported unverified.
const JWKS_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(args: ImportArgs) -> Result<()> {
    let profile = Profile::load(&args.profile.path)?;
    let hand_keys = load_jwks(&args.jwks)?;
    let files = collect_files(&args.paths)?;
    if files.is_empty() {
        bail!("no files to import under the given paths (hidden files are skipped)");
    }
    // Files are read and imported one ahead of the uploads, so parsing the next file (and
    // the first, while the record is being unlocked) overlaps the network.
    let (imported_tx, mut imported_rx) = tokio::sync::mpsc::channel(1);
    let mut reader = FileReader {
        provider: args.source.clone(),
        issuer_keys: IssuerKeys::new(hand_keys),
        http: None,
    };
    let reading = tokio::spawn(async move {
        let count = files.len();
        for (i, path) in files.into_iter().enumerate() {
            // Only a file that others follow needs its entries kept, to tell which of
            // theirs the record holds by then.
            let keep_entries = i + 1 < count;
            let imported = reader.read(path, keep_entries).await;
            if imported_tx.send(imported).await.is_err() {
                break; // the record could not be opened: nothing more to deliver
            }
        }
    });
    let access = VaultAccess::open(&profile, args.vault.map(VaultId), true).await?;
    let mut contents = access.contents().await?;
    let mut results = Vec::new();
    while let Some(imported) = imported_rx.recv().await {
        results.push(deliver(&access, &mut contents, imported, args.patient_mismatch).await);
    }
    reading.await.context("reading the files")?;
    let totals = totals(&results);
    let summary = ImportSummary {
        vault: access.vault_id.0,
        files: results,
        totals,
    };
    args.output.print(&summary, || text(&summary))?;
    // The process ends here: handing a large record's tree back to the allocator piece by
    // piece would take longer than importing it did.
    std::mem::forget(contents);
    let t = &summary.totals;
    if t.failed > 0 {
        let refused = refused_count(&summary);
        let mut why = format!(
            "{} of {} files were not imported ({} imported, {} already imported)",
            t.failed, t.files, t.imported, t.already_imported
        );
        if refused > 0 {
            why.push_str(&format!(
                "; {refused} of them are about someone other than this record's patient: \
                 import them anyway with --patient-mismatch allow, or make a record for that \
                 person with `folio care dependant` and import them there with --vault ID"
            ));
        }
        bail!(why);
    }
    Ok(())
}

fn load_jwks(paths: &[PathBuf]) -> Result<Option<Jwks>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut keys = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the JWKS file {}", path.display()))?;
        let jwks = Jwks::from_json(&text).with_context(|| {
            format!(
                "{} is not a JWKS (a JSON object with a `keys` array)",
                path.display()
            )
        })?;
        keys.extend(jwks.keys);
    }
    Ok(Some(Jwks { keys }))
}

/// The files to import, in order: each path as given, folders walked in name order.
fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list the folder {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot list the folder {}", dir.display()))?;
    children.sort();
    for child in children {
        let hidden = child
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if child.is_dir() {
            walk(&child, files)?;
        } else if child.is_file() {
            files.push(child);
        }
    }
    Ok(())
}

/// Reads and imports files, fetching card issuers' keys as it meets health cards.
struct FileReader {
    provider: Option<String>,
    issuer_keys: IssuerKeys,
    /// For issuer keys; made on the first health card, as most imports have none.
    http: Option<reqwest::Client>,
}

/// A file read and imported, waiting to be delivered to the record.
struct ImportedFile {
    path: PathBuf,
    name: String,
    imported: Result<Imported, Failure>,
}

struct Imported {
    digest: FileDigest,
    format: Option<ImportFormat>,
    file: FileImport,
    /// The file's Patients, with their entry ids: who it is about.
    patients: Vec<(EntryId, Value)>,
    /// The file's entries, ready to seal once the record's contents are known.
    entries: DeliveryBuilder,
}

/// Why a file imported nothing, with the importer's report so far.
struct Failure {
    format: Option<ImportFormat>,
    error: ReportItem,
    /// How the file's patient compared with the record's, once it was read (boxed: it
    /// holds two patients' details, and most failures have none).
    patient: Option<Box<PatientCheck>>,
    /// Refused because the file is about someone else.
    refused: bool,
}

impl From<ImportError> for Failure {
    fn from(e: ImportError) -> Self {
        Failure {
            format: None,
            error: ReportItem {
                location: e.location,
                message: e.kind.to_string(),
            },
            patient: None,
            refused: false,
        }
    }
}

impl FileReader {
    async fn read(&mut self, path: PathBuf, keep_entries: bool) -> ImportedFile {
        let name = file_name(&path);
        let imported = self.import(&path, &name, keep_entries).await;
        ImportedFile {
            path,
            name,
            imported,
        }
    }

    async fn import(
        &mut self,
        path: &Path,
        name: &str,
        keep_entries: bool,
    ) -> Result<Imported, Failure> {
        let mut opts = ImportOptions::new(Utc::now());
        if let Some(provider) = &self.provider {
            opts = opts.with_provider(provider.clone());
        }
        let bytes = read_capped(path, name, &opts.limits)?;
        let detected = detect::detect_for_import(name, &bytes, &opts.limits)?;
        if detected.format().is_signed_health_card() {
            opts.issuers = self.issuer_keys(name, &bytes).await;
        }
        let format = Some(detected.format());
        let file = name.to_owned();
        let (digest, outcome) = tokio::task::spawn_blocking(move || {
            let mut entries = if keep_entries {
                DeliveryBuilder::keeping_entries()
            } else {
                DeliveryBuilder::serializing()
            };
            // The upload keys need the file's digest: hash it on the other core meanwhile.
            std::thread::scope(|scope| {
                let digest = scope.spawn(|| FileDigest::of(&bytes));
                let outcome = import_detected(detected, &file, &bytes, &opts, &mut entries)
                    .map(|file| (file, entries));
                (digest.join().expect("hashing does not panic"), outcome)
            })
        })
        .await
        .map_err(|e| Failure {
            format,
            error: ReportItem {
                location: Location::file(name),
                message: format!("the importer stopped unexpectedly: {e}"),
            },
            patient: None,
            refused: false,
        })?;
        let (file, entries) = outcome.map_err(|e| Failure {
            format,
            ..Failure::from(e)
        })?;
        Ok(Imported {
            digest,
            format,
            file,
            patients: entries.patients(),
            entries,
        })
    }

    /// Keys for the card issuers of a health-card file (see [`IssuerKeys`]).
    async fn issuer_keys(&mut self, name: &str, bytes: &[u8]) -> Vec<TrustedIssuer> {
        if self.http.is_none() {
            match reqwest::Client::builder().timeout(JWKS_TIMEOUT).build() {
                Ok(http) => self.http = Some(http),
                Err(e) => tracing::warn!(error = %e, "no HTTP client for card issuers' keys"),
            }
        }
        let fetch = |url: String| {
            let http = self.http.clone();
            async move {
                let fetched = fetch_jwks(&http?, &url).await;
                fetched
                    .inspect_err(|e| {
                        tracing::warn!(%url, error = %e, "could not fetch the card issuer's keys")
                    })
                    .ok()
            }
        };
        self.issuer_keys.for_file(name, bytes, fetch).await
    }
}

async fn fetch_jwks(http: &reqwest::Client, url: &str) -> reqwest::Result<Jwks> {
    http.get(url).send().await?.error_for_status()?.json().await
}

/// Seals and uploads what one imported file adds to the record, and keeps `contents` up
/// to date with it.
async fn deliver(
    access: &VaultAccess,
    contents: &mut VaultContents,
    file: ImportedFile,
    on_mismatch: OnMismatch,
) -> FileResult {
    let delivered = try_deliver(
        access,
        contents,
        &file.path,
        &file.name,
        file.imported,
        on_mismatch,
    );
    match delivered.await {
        Ok(result) => result,
        Err(failure) => FileResult {
            path: file.path,
            status: FileStatus::Failed,
            report: ImportReport {
                file: file.name,
                format: failure.format,
                errors: vec![failure.error],
                ..ImportReport::default()
            },
            patient: failure
                .patient
                .as_ref()
                .and_then(|c| c.file_patient().cloned()),
            patient_match: failure.patient.as_ref().map(|c| c.outcome()),
            mismatch: failure.patient.as_ref().and_then(|c| c.mismatch_sentence()),
            refused: failure.refused,
            new_entries: 0,
            already_present: 0,
            segments: 0,
            attachments: 0,
        },
    }
}

async fn try_deliver(
    access: &VaultAccess,
    contents: &mut VaultContents,
    path: &Path,
    name: &str,
    imported: Result<Imported, Failure>,
    on_mismatch: OnMismatch,
) -> Result<FileResult, Failure> {
    let Imported {
        digest,
        format,
        file,
        patients,
        entries,
    } = imported?;
    let check = PatientCheck::of(patients.iter().map(|(id, r)| (id, r)), contents);
    if check.is_mismatch() && on_mismatch == OnMismatch::Refuse {
        return Err(Failure {
            format,
            error: ReportItem {
                location: Location::file(name),
                message: format!(
                    "{} Nothing of it was imported.",
                    check.mismatch_sentence().unwrap_or_default()
                ),
            },
            patient: Some(Box::new(check)),
            refused: true,
        });
    }
    let fail = |message: String| Failure {
        format,
        error: ReportItem {
            location: Location::file(name),
            message,
        },
        patient: Some(Box::new(check.clone())),
        refused: false,
    };
    let delivery = entries
        .finish(&file.attachments, &digest, contents, &access.keyring)
        .map_err(|e| fail(format!("sealing the entries: {e}")))?;
    let total = delivery.new_count + delivery.already_present;
    let mut result = FileResult {
        path: path.to_owned(),
        status: FileStatus::AlreadyImported,
        report: file.report,
        patient: check.file_patient().cloned(),
        patient_match: Some(check.outcome()),
        mismatch: check.mismatch_sentence(),
        refused: false,
        new_entries: delivery.new_count,
        already_present: delivery.already_present,
        segments: 0,
        attachments: 0,
    };
    if delivery.new_count == 0 {
        // A file that holds nothing importable imported fine; one whose every entry the
        // record holds already was imported before.
        if total == 0 {
            result.status = FileStatus::Imported;
        }
        return Ok(result);
    }
    for (blob, sealed) in delivery.attachments {
        access
            .client
            .put_attachment(access.vault_id, blob, sealed)
            .await
            .map_err(|e| fail(format!("uploading an attachment: {e}")))?;
        result.attachments += 1;
    }
    let count = delivery.segments.len();
    for (i, (key, segment)) in delivery.segments.iter().enumerate() {
        match access.client.upload(access.vault_id, key, segment).await {
            Ok(_) => {}
            // The same plan already stored under this key (a retried command whose first
            // run finished this segment): it holds these very entries.
            Err(e) if is_key_reused(&e) => {}
            Err(e) => {
                let done = if i > 0 {
                    format!(
                        " ({i} of {count} segments were stored; run the import again to finish)"
                    )
                } else {
                    String::new()
                };
                return Err(fail(format!("uploading the entries: {e}{done}")));
            }
        }
        result.segments += 1;
    }
    // Kept only when more files follow (see `run`): the last file's are not needed.
    for entry in delivery.new_entries {
        contents.apply(entry);
    }
    result.status = FileStatus::Imported;
    Ok(result)
}

pub(crate) fn is_key_reused(e: &ClientError) -> bool {
    matches!(e, ClientError::Problem { status, problem }
        if *status == StatusCode::CONFLICT
            && problem.detail.as_deref().is_some_and(|d| d.starts_with("upload key already used")))
}

/// The name the importer and the entries' sources know the file by.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads a file, refusing one over the import limit before reading it (and stopping at
/// the limit should it grow meanwhile).
#[expect(
    clippy::result_large_err,
    reason = "a Failure is made at most once per file, and it is the file's report"
)]
fn read_capped(path: &Path, name: &str, limits: &ImportLimits) -> Result<Vec<u8>, Failure> {
    let max = limits.max_input_bytes;
    let io_failure = |e: std::io::Error| Failure {
        format: None,
        error: ReportItem {
            location: Location::file(name),
            message: format!("cannot read {}: {e}", path.display()),
        },
        patient: None,
        refused: false,
    };
    let too_large = |size: u64| {
        Failure::from(ImportError::new(
            Location::file(name),
            ImportErrorKind::TooLarge { size, max },
        ))
    };
    let file = std::fs::File::open(path).map_err(io_failure)?;
    let size = file.metadata().map_err(io_failure)?.len();
    if size > max {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(io_failure)?;
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn totals(results: &[FileResult]) -> Totals {
    let mut t = Totals {
        files: results.len(),
        ..Totals::default()
    };
    for r in results {
        match r.status {
            FileStatus::Imported => t.imported += 1,
            FileStatus::AlreadyImported => t.already_imported += 1,
            FileStatus::Failed => t.failed += 1,
        }
        if r.patient_match == Some(PatientMatch::Mismatch) {
            t.patient_mismatches += 1;
        }
        for (ty, n) in &r.report.counts {
            *t.counts.entry(ty.clone()).or_default() += n;
        }
        t.resources += r.report.total();
        t.new_entries += r.new_entries;
        t.already_present += r.already_present;
        t.warnings += r.report.warnings.len();
        t.segments += r.segments;
        t.attachments += r.attachments;
    }
    t
}

/// Most warnings listed per file in text; `--json` lists them all.
const TEXT_WARNINGS: usize = 10;

fn text(summary: &ImportSummary) -> String {
    let mut out = String::new();
    for r in &summary.files {
        let path = r.path.display();
        match r.status {
            FileStatus::Failed if r.refused => {
                out.push_str(&format!(
                    "{path}: REFUSED, nothing imported: it is about someone else\n"
                ));
            }
            FileStatus::Failed => {
                out.push_str(&format!("{path}: FAILED, nothing imported\n"));
            }
            FileStatus::AlreadyImported => out.push_str(&format!(
                "{path}: already imported ({} resources, nothing new)\n",
                r.report.total()
            )),
            FileStatus::Imported => {
                out.push_str(&format!(
                    "{path}: imported {} new of {} resources",
                    r.new_entries,
                    r.report.total()
                ));
                if r.attachments > 0 {
                    out.push_str(&format!(", {} attachment(s)", r.attachments));
                }
                out.push('\n');
            }
        }
        for (ty, n) in &r.report.counts {
            out.push_str(&format!("    {ty:<28} {n:>7}\n"));
        }
        out.push_str(&patient_lines(r));
        for e in &r.report.errors {
            out.push_str(&format!("  error: {e}\n"));
        }
        for w in r.report.warnings.iter().take(TEXT_WARNINGS) {
            out.push_str(&format!("  warning: {w}\n"));
        }
        if r.report.warnings.len() > TEXT_WARNINGS {
            out.push_str(&format!(
                "  … and {} more warnings (--json lists them all)\n",
                r.report.warnings.len() - TEXT_WARNINGS
            ));
        }
        for n in &r.report.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
    }
    let t = &summary.totals;
    let refused = refused_count(summary);
    let refused = if refused > 0 {
        format!(" ({refused} about someone else)")
    } else {
        String::new()
    };
    let allowed = summary
        .files
        .iter()
        .filter(|r| {
            r.status == FileStatus::Imported && r.patient_match == Some(PatientMatch::Mismatch)
        })
        .count();
    let allowed = if allowed > 0 {
        format!(" ({allowed} about someone else, imported as you asked)")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{} file(s): {} imported{allowed}, {} already imported, {} failed{refused}; {} resources, {} new entries, {} warnings",
        t.files, t.imported, t.already_imported, t.failed, t.resources, t.new_entries, t.warnings
    ));
    out
}

/// Files refused as being about someone else.
fn refused_count(summary: &ImportSummary) -> usize {
    summary.files.iter().filter(|r| r.refused).count()
}

/// Who a file is about, and what to do about a file about someone else.
fn patient_lines(r: &FileResult) -> String {
    let Some(patient) = &r.patient else {
        return String::new();
    };
    let who = patient.describe();
    match r.patient_match {
        Some(PatientMatch::First) => {
            format!("  patient: {who} (the record's patient from now on)\n")
        }
        Some(PatientMatch::Matched) => format!("  patient: {who}\n"),
        Some(PatientMatch::Mismatch) if r.refused => format!(
            "  patient: {who}, not this record's patient\n  \
             to import it into this record anyway (the same person after all): add \
             --patient-mismatch allow\n  \
             to keep it apart: `folio care dependant` makes a record for this person; \
             import the file there with --vault ID\n"
        ),
        Some(PatientMatch::Mismatch) => format!(
            "  patient: {who}, not this record's patient; taken as the same person \
             (--patient-mismatch allow)\n  note: {}\n",
            r.mismatch.as_deref().unwrap_or_default()
        ),
        None => String::new(),
    }
}
