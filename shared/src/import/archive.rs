//! Zip archives of exports (a bulk-export folder, an EHR download). Each member is imported
//! as its own file, so one bad member fails alone and is listed in the report's errors.
//! Walking folders on disk is the CLI's job; this takes the archive's bytes.
//!
//! Zip bombs are refused before and during decompression: the declared sizes must fit the
//! total and ratio limits, and each member is read through a cap of its declared size, so
//! an archive that lies about sizes is caught after at most one member's worth of output.

use super::detect::ImportFormat;
use super::error::{ImportError, ImportErrorKind};
use super::report::{ImportReport, Location, ReportItem};
use super::{ImportOptions, ImportOutcome, import_file};
use std::io::{Cursor, Read};

pub(crate) fn import_zip(
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let limits = &opts.limits;
    let at = || Location::file(name);
    let bad = |e: zip::result::ZipError| {
        ImportError::new(at(), ImportErrorKind::InvalidZip(e.to_string()))
    };
    let bomb = |why: String| ImportError::new(at(), ImportErrorKind::ZipBomb(why));

    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(bad)?;
    if archive.len() > limits.max_zip_members {
        return Err(bomb(format!(
            "{} members, over the limit of {}",
            archive.len(),
            limits.max_zip_members
        )));
    }
    // First pass on declared sizes: refuse without decompressing anything.
    let mut declared_total: u64 = 0;
    for i in 0..archive.len() {
        let member = archive.by_index_raw(i).map_err(bad)?;
        declared_total = declared_total.saturating_add(member.size());
        check_ratio(
            &member.name().map_err(bad)?,
            member.size(),
            member.compressed_size(),
            limits.max_zip_ratio,
        )
        .map_err(bomb)?;
    }
    if declared_total > limits.max_zip_total_bytes {
        return Err(bomb(format!(
            "members expand to {declared_total} bytes, over the limit of {}",
            limits.max_zip_total_bytes
        )));
    }

    let mut outcome = ImportOutcome {
        entries: Vec::new(),
        attachments: Vec::new(),
        report: ImportReport::new(name, ImportFormat::Zip),
    };
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).map_err(bad)?;
        if member.is_dir() {
            continue;
        }
        let inner_name = member.name().map_err(bad)?.to_string();
        let member_name = format!("{name}!{inner_name}");
        let base_name = inner_name.rsplit('/').next().unwrap_or_default();
        if base_name.starts_with('.') || inner_name.starts_with("__MACOSX/") {
            outcome.report.warnings.push(ReportItem {
                location: Location::file(&member_name),
                message: "hidden or system file skipped".into(),
            });
            continue;
        }
        let declared = member.size();
        let mut data = Vec::with_capacity(declared.min(64 * 1024 * 1024) as usize);
        // Read one byte past the declared size to catch a member that lies about it.
        let read = (&mut member)
            .take(declared.saturating_add(1))
            .read_to_end(&mut data);
        drop(member);
        if let Err(e) = read {
            outcome.report.errors.push(ReportItem {
                location: Location::file(&member_name),
                message: format!("cannot decompress: {e}"),
            });
            continue;
        }
        if data.len() as u64 > declared {
            return Err(bomb(format!(
                "{member_name} expands past its declared size"
            )));
        }
        if super::detect::sniff_binary(&data) == Some(ImportFormat::Zip) {
            outcome.report.errors.push(ReportItem {
                location: Location::file(&member_name),
                message: "a zip inside a zip is not imported; unpack it first".into(),
            });
            continue;
        }
        match import_file(&member_name, &data, opts) {
            Ok(member_outcome) => {
                outcome.entries.extend(member_outcome.entries);
                outcome.attachments.extend(member_outcome.attachments);
                outcome.report.absorb(member_outcome.report);
            }
            Err(e) => outcome.report.errors.push(ReportItem {
                location: e.location,
                message: e.kind.to_string(),
            }),
        }
        if outcome.entries.len() > limits.max_resources {
            return Err(ImportError::new(
                at(),
                ImportErrorKind::TooManyResources {
                    max: limits.max_resources,
                },
            ));
        }
    }
    Ok(outcome)
}

fn check_ratio(name: &str, size: u64, compressed: u64, max_ratio: u64) -> Result<(), String> {
    // Tiny members compress absurdly well legitimately (a run of spaces); only ratios on
    // members large enough to matter count.
    if size > 1024 * 1024 && size / compressed.max(1) > max_ratio {
        return Err(format!(
            "{name} expands {}x ({size} bytes from {compressed}), over the limit of {max_ratio}x",
            size / compressed.max(1)
        ));
    }
    Ok(())
}
