//! `folio export`: the whole record as a FHIR Bundle or NDJSON, made on this side from the
//! decrypted record by the very functions the app's export uses
//! (`folio_shared::export`), so both write the same file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use chrono::Utc;
use clap::{Args, ValueEnum};
use folio_shared::export::{to_bundle_text, to_ndjson};
use folio_shared::vault::VaultId;
use serde::Serialize;

use super::account::{Output, ProfileArg};
use super::profile::Profile;
use super::vault_access::VaultAccess;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The record to export (default: your own).
    #[arg(long)]
    pub vault: Option<uuid::Uuid>,
    /// A FHIR R4 `collection` Bundle (JSON), or NDJSON (one resource per line).
    #[arg(long, value_enum, default_value_t = ExportFormat::Bundle)]
    pub format: ExportFormat,
    /// Where to write it (replaced if it exists); standard output without it.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    // `--json`, with --output: a summary of what was written, as one JSON object.
    #[command(flatten)]
    pub summary: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Bundle,
    Ndjson,
}

/// What `--json` prints once the file is written.
#[derive(Debug, Serialize)]
struct Written {
    path: PathBuf,
    format: ExportFormat,
    resources: usize,
    bytes: usize,
}

pub async fn run(args: ExportArgs) -> Result<()> {
    if args.summary.json && args.output.is_none() {
        bail!("--json needs --output FILE: without it the export itself goes to standard output");
    }
    let profile = Profile::load(&args.profile.path)?;
    let access = VaultAccess::open(&profile, args.vault.map(VaultId), false).await?;
    let contents = access.contents().await?;
    let text = match args.format {
        ExportFormat::Bundle => to_bundle_text(&contents, access.vault_id, Utc::now()),
        ExportFormat::Ndjson => to_ndjson(&contents),
    };
    let Some(path) = args.output else {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .context("writing the export to standard output")?;
        return Ok(());
    };
    write_replacing(&path, text.as_bytes())?;
    let written = Written {
        path,
        format: args.format,
        resources: contents.len(),
        bytes: text.len(),
    };
    args.summary.print(&written, || {
        format!(
            "Wrote {} resources ({} bytes) to {}.",
            written.resources,
            written.bytes,
            written.path.display()
        )
    })
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so an
/// interrupted export never leaves half a file under the name asked for.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
