//! The import report: what one import produced, per resource type, and everything that
//! was not imported as-is, each with a location a person can find in the file.

use super::detect::ImportFormat;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Where in an imported file something happened.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Location {
    /// The file name; for a zip member `archive.zip!member/path.json`.
    pub file: String,
    /// 1-based line: NDJSON lines, JSON syntax errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// JSON pointer (RFC 6901) into a JSON file, e.g. `/entry/3/resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_pointer: Option<String>,
    /// XPath-like path into an XML file, e.g. `/ClinicalDocument/component/structuredBody/component[3]/section/entry[2]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xml_path: Option<String>,
}

impl Location {
    pub fn file(file: &str) -> Self {
        Location {
            file: file.to_string(),
            ..Location::default()
        }
    }

    pub fn with_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.json_pointer = Some(pointer.into());
        self
    }

    pub fn with_xml_path(mut self, path: impl Into<String>) -> Self {
        self.xml_path = Some(path.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(p) = &self.json_pointer {
            write!(f, " at {}", if p.is_empty() { "/" } else { p })?;
        }
        if let Some(p) = &self.xml_path {
            write!(f, " at {p}")?;
        }
        Ok(())
    }
}

/// One warning or error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportItem {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for ReportItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// What one import did. `errors` is empty for a single file that imported (its failure is
/// an [`super::ImportError`] instead); for a zip it lists the members that failed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ImportFormat>,
    /// Entries produced, per FHIR resource type.
    pub counts: BTreeMap<String, usize>,
    /// Imported, but not exactly as given, or not at all: each says what and where.
    pub warnings: Vec<ReportItem>,
    /// Files (zip members) that imported nothing because of an error.
    pub errors: Vec<ReportItem>,
    /// Facts the user should know that are not problems, e.g. that the original C-CDA
    /// document is kept inline in a DocumentReference.
    pub notes: Vec<String>,
}

impl ImportReport {
    pub fn new(file: &str, format: ImportFormat) -> Self {
        ImportReport {
            file: file.to_string(),
            format: Some(format),
            ..ImportReport::default()
        }
    }

    /// Total number of entries produced.
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// Count of one resource type (0 when absent).
    pub fn count(&self, resource_type: &str) -> usize {
        self.counts.get(resource_type).copied().unwrap_or(0)
    }

    /// Fold a zip member's report into the archive's (its locations already name the
    /// member as `archive!member`).
    pub(crate) fn absorb(&mut self, member: ImportReport) {
        for (ty, n) in member.counts {
            *self.counts.entry(ty).or_default() += n;
        }
        self.warnings.extend(member.warnings);
        self.errors.extend(member.errors);
        self.notes.extend(member.notes);
    }
}
