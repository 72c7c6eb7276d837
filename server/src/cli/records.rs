//! `folio records`: what a record holds, after merging the same facts reported by several
//! sources, per resource type, each item with every source that reported it; and the
//! parts of the record that could not be opened (set aside), which `folio drop-set-aside`
//! removes.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args;
use folio_shared::clinical_view::AllergyRank;
use folio_shared::import::merge::{RecordItem, merged_view};
use folio_shared::patient_identity::{PatientDetails, record_patient};
use folio_shared::record::{EntryId, Source};
use folio_shared::vault::{SetAsidePart, SetAsideReason, Uploader, VaultId};
use serde::Serialize;

use super::account::{Output, ProfileArg};
use super::profile::Profile;
use super::vault_access::VaultAccess;

#[derive(Debug, Args)]
pub struct RecordsArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The record to show (default: your own).
    #[arg(long)]
    pub vault: Option<uuid::Uuid>,
    /// Only resources of this FHIR type (e.g. `Observation`).
    #[arg(long = "type", value_name = "RESOURCE_TYPE")]
    pub resource_type: Option<String>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Default, Serialize)]
struct TypeCount {
    /// Entries stored (one per resource per source).
    entries: usize,
    /// Items after merging duplicates across sources.
    items: usize,
}

#[derive(Debug, Serialize)]
struct SourceView<'a> {
    provider: Option<&'a str>,
    file: Option<&'a str>,
    imported_at: DateTime<Utc>,
    verified_issuer: Option<&'a str>,
    unverified_reason: Option<&'a str>,
    patient_reported: bool,
}

impl<'a> From<&'a Source> for SourceView<'a> {
    fn from(s: &'a Source) -> Self {
        SourceView {
            provider: s.provider.as_deref(),
            file: s.file.as_deref(),
            imported_at: s.retrieved_at,
            verified_issuer: s.verified_issuer.as_deref(),
            unverified_reason: s.unverified_reason.as_deref(),
            patient_reported: s.patient_reported,
        }
    }
}

#[derive(Debug, Serialize)]
struct ItemView<'a> {
    id: &'a str,
    resource_type: &'a str,
    kind: &'a str,
    entries: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    sources: Vec<SourceView<'a>>,
}

#[derive(Debug, Serialize)]
struct RecordsView<'a> {
    vault: uuid::Uuid,
    /// Whom the record is about (`folio_shared::patient_identity::record_patient`), as
    /// every page of the app names them; null before any file names a patient.
    patient: Option<PatientDetails>,
    entries: usize,
    items: usize,
    types: BTreeMap<&'a str, TypeCount>,
    records: Vec<ItemView<'a>>,
    /// Parts of the record that could not be opened and are left out of everything above.
    set_aside: Vec<SetAsideView>,
}

/// A part of the record that was set aside, as `--json` gives it.
#[derive(Debug, Serialize)]
pub struct SetAsideView {
    /// The segment's place in the record's log.
    pub seq: Option<i64>,
    pub reason: SetAsideReason,
    /// What happened, in plain words: when, who appears to have written it, and why.
    pub message: String,
    /// The exact error, for developers.
    pub detail: String,
    /// Who the server says uploaded it: a claim, not proof.
    pub uploaded_by: Option<Uploader>,
    pub uploaded_at: Option<DateTime<Utc>>,
}

impl From<SetAsidePart> for SetAsideView {
    fn from(part: SetAsidePart) -> Self {
        SetAsideView {
            seq: part.seq,
            reason: part.reason,
            message: part.sentence(),
            detail: part.detail,
            uploaded_by: part.uploaded_by,
            uploaded_at: part.uploaded_at,
        }
    }
}

/// One line per set-aside part, for a person.
pub fn set_aside_lines(parts: &[SetAsideView]) -> String {
    parts
        .iter()
        .map(|part| {
            let seq = part.seq.map_or("?".to_owned(), |seq| seq.to_string());
            format!("  - {} [segment {seq}: {}]\n", part.message, part.detail)
        })
        .collect()
}

fn type_of(id: &str) -> &str {
    id.split_once('/').map_or(id, |(ty, _)| ty)
}

pub async fn run(args: RecordsArgs) -> Result<()> {
    let profile = Profile::load(&args.profile.path)?;
    let access = VaultAccess::open(&profile, args.vault.map(VaultId), false).await?;
    let opened = access.open_record().await?;
    let contents = opened.contents;
    let wanted = args.resource_type.as_deref();
    let items: Vec<RecordItem<'_>> = contents
        .iter()
        .filter(|(id, _)| wanted.is_none_or(|w| type_of(&id.0) == w))
        .map(|(id, stored)| RecordItem::of(id, stored))
        .collect();
    let mut merged = merged_view(&items);
    // Allergies in the order every view lists them (current, drugs first, by criticality);
    // the rest by id, as merged.
    let resources: HashMap<&EntryId, &serde_json::Value> =
        items.iter().map(|item| (item.id, item.resource)).collect();
    merged.sort_by_cached_key(|m| {
        let resource = resources.get(&m.primary).copied();
        let rank = resource
            .filter(|r| r["resourceType"] == "AllergyIntolerance")
            .map(AllergyRank::of);
        (type_of(&m.primary.0).to_owned(), rank)
    });
    let mut types: BTreeMap<&str, TypeCount> = BTreeMap::new();
    for item in &items {
        types.entry(type_of(&item.id.0)).or_default().entries += 1;
    }
    let records: Vec<ItemView<'_>> = merged
        .iter()
        .map(|m| ItemView {
            id: &m.primary.0,
            resource_type: type_of(&m.primary.0),
            kind: &m.kind,
            entries: m.entries.iter().map(|e| e.0.as_str()).collect(),
            code: m
                .code
                .as_ref()
                .map(|(system, code)| format!("{system}|{code}")),
            date: m.date.as_deref(),
            sources: m.sources.iter().map(SourceView::from).collect(),
        })
        .collect();
    for r in &records {
        types.entry(r.resource_type).or_default().items += 1;
    }
    let view = RecordsView {
        vault: access.vault_id.0,
        patient: record_patient(&contents).map(|p| p.details),
        entries: items.len(),
        items: records.len(),
        types,
        records,
        set_aside: opened
            .set_aside
            .into_iter()
            .map(SetAsideView::from)
            .collect(),
    };
    args.output.print(&view, || text(&view))
}

fn text(view: &RecordsView<'_>) -> String {
    let mut out = match &view.patient {
        Some(patient) => format!("The record of {}.\n", patient.describe()),
        None => "The record names no patient yet.\n".to_owned(),
    };
    out += &format!("{:<28} {:>8} {:>8}\n", "Type", "Items", "Entries");
    for (ty, c) in &view.types {
        out.push_str(&format!("{ty:<28} {:>8} {:>8}\n", c.items, c.entries));
    }
    out.push_str(&format!(
        "{:<28} {:>8} {:>8}\n(items merge the same fact from several sources; entries count each source's copy)",
        "Total", view.items, view.entries
    ));
    if !view.set_aside.is_empty() {
        out.push_str(&format!(
            "\n\nSet aside: {} part(s) of the record could not be opened and are left out above.\n",
            view.set_aside.len()
        ));
        out.push_str(&set_aside_lines(&view.set_aside));
        out.push_str("The owner can remove them with `folio drop-set-aside`.");
    }
    out
}
