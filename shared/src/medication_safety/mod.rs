//! Medication safety across providers: one reconciled medication list from every source's
//! `MedicationRequest`, `MedicationStatement` and `MedicationDispense`, checked for
//! dangerous interactions and duplicate therapy, on the patient's device and without a
//! network (the list never leaves it).
//!
//! - [`names`]: reading medication names as records write them (strengths, forms, brands);
//! - [`ingredients`]: the bundled ingredient table and the mapping of codes and names to it;
//! - [`reading`]: one resource's account of a medication (who, when, active or past);
//! - [`reconcile`]: accounts gathered into lines, one per ingredient set and strength;
//! - [`rules`]: interaction and duplicate-therapy rules, as data, and the alerts they raise.
//!
//! A medication whose ingredients cannot be read is listed under `unmapped`, as not
//! checked: it is never counted as safe. Origins and licences of the bundled data are in
//! `README.md` beside this file.

pub mod discussed;
pub mod ingredients;
mod names;
mod reading;
pub mod reconcile;
pub mod rules;

use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::vault::VaultContents;

pub use ingredients::{IngredientTable, MappedBy, Mapping};
pub use reconcile::{MedicationLine, MedicationSource, MedicationStatus};
pub use rules::{Alert, AlertKind, RuleBook, Severity, Wording};

/// The bundled table or rules could not be read: a build shipped broken data. The tests
/// load both, so this is not expected at run time; it is an error rather than a panic so
/// the app can say the check is unavailable instead of failing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KnowledgeError {
    #[error("the bundled {file} is malformed at line {line}: {problem}")]
    Table {
        file: &'static str,
        line: usize,
        problem: String,
    },
    #[error("the bundled interaction rules are malformed: {0}")]
    Rules(String),
}

/// The ingredient table and the rules, read once.
#[derive(Debug)]
pub struct Knowledge {
    pub table: IngredientTable,
    pub rules: RuleBook,
}

impl Knowledge {
    /// The bundled knowledge, parsed on first use.
    pub fn bundled() -> Result<&'static Knowledge, KnowledgeError> {
        static KNOWLEDGE: OnceLock<Result<Knowledge, KnowledgeError>> = OnceLock::new();
        KNOWLEDGE
            .get_or_init(|| {
                let table = IngredientTable::bundled()?;
                let rules = RuleBook::bundled(&table)?;
                Ok(Knowledge { table, rules })
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// One resource of the record with the source it came from.
#[derive(Debug, Clone, Copy)]
pub struct RecordResource<'a> {
    /// Its id in the record (`MedicationRequest/…`).
    pub id: &'a str,
    pub resource: &'a Value,
    /// The provider or file it came from, as the patient knows it.
    pub provider: Option<&'a str>,
}

/// The reconciled list and what the check found: what `folio meds --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicationSafety {
    /// The reconciled lines whose ingredients are known, active first.
    pub medications: Vec<MedicationLine>,
    /// Interactions and duplicates among the active lines.
    pub alerts: Vec<Alert>,
    /// Medications whose ingredients could not be read: not checked.
    pub unmapped: Vec<MedicationLine>,
}

impl MedicationSafety {
    /// The alerts the patient has not yet marked as discussed with a clinician.
    pub fn to_act_on(&self) -> impl Iterator<Item = &Alert> {
        self.alerts
            .iter()
            .filter(|alert| alert.discussed_on.is_none())
    }

    /// The alerts that concern a line.
    pub fn alerts_for<'s>(&'s self, line: &'s MedicationLine) -> impl Iterator<Item = &'s Alert> {
        self.alerts
            .iter()
            .filter(move |alert| alert.medications.contains(&line.id))
    }
}

/// Checks a record given as resources (all of them: medication resources refer to
/// Medications and Practitioners), as of `today` (ends and pharmacy supplies before it are
/// past).
pub fn check(
    resources: &[RecordResource<'_>],
    today: NaiveDate,
) -> Result<MedicationSafety, KnowledgeError> {
    let knowledge = Knowledge::bundled()?;
    let index = reading::Index::new(resources);
    let uses = resources
        .iter()
        .filter_map(|record| reading::read(record, &index, &knowledge.table, today))
        .collect();
    let (medications, unmapped) = reconcile::reconcile(uses, &knowledge.table);
    let mut alerts = knowledge.rules.alerts(&medications, &knowledge.table);
    let marks = discussed::marks(resources);
    for alert in &mut alerts {
        alert.discussed_on = marks.get(&alert.key()).cloned();
    }
    Ok(MedicationSafety {
        medications,
        alerts,
        unmapped,
    })
}

/// Checks a vault's record, each resource credited to the provider (else the file) it was
/// imported from.
pub fn check_contents(
    contents: &VaultContents,
    today: NaiveDate,
) -> Result<MedicationSafety, KnowledgeError> {
    let resources: Vec<RecordResource<'_>> = contents
        .iter()
        .map(|(id, stored)| RecordResource {
            id: id.as_str(),
            resource: &stored.resource,
            provider: stored
                .source
                .provider
                .as_deref()
                .or(stored.source.file.as_deref()),
        })
        .collect();
    check(&resources, today)
}

/// The ingredients one CodeableConcept maps to, by name, with how: what the coverage
/// measure and the app's "not checked" hints use.
pub fn map_concept(concept: &Value) -> Result<Option<(Vec<String>, MappedBy)>, KnowledgeError> {
    let knowledge = Knowledge::bundled()?;
    Ok(knowledge.table.map_concept(concept).map(|mapping| {
        (
            mapping
                .ingredients
                .iter()
                .map(|id| knowledge.table.get(*id).name.clone())
                .collect(),
            mapping.by,
        )
    }))
}
