//! Reading one medication resource (`MedicationRequest`, `MedicationStatement`,
//! `MedicationDispense`) into a [`MedicationUse`]: what it names and what that maps to, who
//! prescribed it, which source reported it, when, and whether it is still taken today.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde_json::Value;

use super::RecordResource;
use super::ingredients::{IngredientTable, Mapping};
use crate::clinical_view::fhir::{codings_of, parse_date, resource_type, string};

/// A pharmacy fill without a days' supply is taken to last this long.
const DEFAULT_DAYS_SUPPLY: u64 = 30;
/// A fill counts as current for this long after its supply runs out (late refills).
const REFILL_GRACE_DAYS: u64 = 30;

/// The resource types that say a medication is, was or will be taken.
pub(super) const MEDICATION_TYPES: &[&str] = &[
    "MedicationRequest",
    "MedicationStatement",
    "MedicationDispense",
];

/// One resource's account of a medication.
#[derive(Debug, Clone)]
pub(super) struct MedicationUse {
    pub resource: String,
    pub resource_type: String,
    /// The medication as the record names it.
    pub name: String,
    /// Its codes, `system|code`, for a medication that is not checked.
    pub codes: Vec<String>,
    pub mapping: Option<Mapping>,
    pub provider: Option<String>,
    pub prescriber: Option<String>,
    /// When it was prescribed, started, asserted or dispensed.
    pub date: Option<String>,
    /// When it ended or ends, as the record says.
    pub end: Option<String>,
    /// When a pharmacy handed it over (dispenses only).
    pub fill: Option<String>,
    /// The status as recorded.
    pub status: Option<String>,
    /// Taken now: a current status, and no end or supply run out before today.
    pub active: bool,
}

impl MedicationUse {
    /// Who stands behind it: the prescriber when known, else the source, else the resource.
    pub fn origin(&self) -> String {
        self.prescriber
            .as_deref()
            .or(self.provider.as_deref())
            .unwrap_or(&self.resource)
            .to_lowercase()
    }

    pub fn day(&self) -> Option<NaiveDate> {
        self.date.as_deref().and_then(parse_date)
    }
}

/// Resources by the references records use for them: `Type/id`, and `fullUrl`s.
pub(super) struct Index<'a> {
    by_reference: HashMap<String, &'a Value>,
}

impl<'a> Index<'a> {
    pub fn new(resources: &[RecordResource<'a>]) -> Self {
        let mut by_reference = HashMap::new();
        for record in resources {
            by_reference.insert(record.id.to_owned(), record.resource);
            if let Some(id) = string(record.resource, "/id") {
                by_reference.insert(
                    format!("{}/{id}", resource_type(record.resource)),
                    record.resource,
                );
            }
            if let Some(full_url) = string(record.resource, "/_fullUrl") {
                by_reference.insert(full_url.to_owned(), record.resource);
            }
        }
        Index { by_reference }
    }

    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let reference = reference.trim();
        self.by_reference.get(reference).copied().or_else(|| {
            let mut parts = reference.rsplit('/');
            let id = parts.next()?;
            let kind = parts.next()?;
            self.by_reference.get(&format!("{kind}/{id}")).copied()
        })
    }

    /// A reference's target, `#id` meaning a resource contained in `within`.
    fn target(&self, within: &'a Value, reference: &Value) -> Option<&'a Value> {
        let reference = string(reference, "/reference")?;
        match reference.strip_prefix('#') {
            Some(id) => within
                .get("contained")
                .and_then(Value::as_array)?
                .iter()
                .find(|c| string(c, "/id") == Some(id)),
            None => self.resolve(reference),
        }
    }

    /// Who a reference names: the person's or organisation's name, else its display.
    fn name_of(&self, within: &'a Value, reference: &Value) -> Option<String> {
        self.target(within, reference)
            .and_then(person_name)
            .or_else(|| string(reference, "/display").map(str::to_owned))
    }
}

pub(super) fn read(
    record: &RecordResource<'_>,
    index: &Index<'_>,
    table: &IngredientTable,
    today: NaiveDate,
) -> Option<MedicationUse> {
    let resource = record.resource;
    let kind = resource_type(resource);
    if !MEDICATION_TYPES.contains(&kind) {
        return None;
    }
    let status = string(resource, "/status").map(str::to_ascii_lowercase);
    // Never given to the patient, or recorded by mistake: not part of the list.
    if matches!(
        status.as_deref(),
        Some("entered-in-error" | "draft" | "declined")
    ) {
        return None;
    }
    let (name, codes, mapping) = medication(resource, index, table);
    let date = match kind {
        "MedicationRequest" => first(resource, &["/authoredOn"]),
        "MedicationStatement" => first(
            resource,
            &[
                "/effectiveDateTime",
                "/effectivePeriod/start",
                "/dateAsserted",
            ],
        ),
        _ => first(resource, &["/whenHandedOver", "/whenPrepared"]),
    };
    let fill = (kind == "MedicationDispense")
        .then(|| first(resource, &["/whenHandedOver"]))
        .flatten();
    let end = match kind {
        "MedicationStatement" => first(resource, &["/effectivePeriod/end"]),
        "MedicationRequest" => first(
            resource,
            &[
                "/dosageInstruction/0/timing/repeat/boundsPeriod/end",
                "/dispenseRequest/validityPeriod/end",
            ],
        ),
        _ => fill.as_deref().and_then(|fill| supply_end(resource, fill)),
    };
    // A dispense is "completed" once handed over: its supply says how long it lasts.
    let current_status = matches!(
        (kind, status.as_deref()),
        (
            _,
            None | Some("active" | "intended" | "on-hold" | "unknown")
        ) | (
            "MedicationDispense",
            Some("completed" | "in-progress" | "preparation")
        )
    );
    let ended = end
        .as_deref()
        .and_then(parse_date)
        .is_some_and(|end| end < today);
    Some(MedicationUse {
        resource: record.id.to_owned(),
        resource_type: kind.to_owned(),
        name,
        codes,
        mapping,
        provider: record.provider.map(str::to_owned),
        prescriber: prescriber(resource, kind, index),
        date,
        end,
        fill,
        status,
        active: current_status && !ended,
    })
}

/// The medication's name, codes and ingredients: its CodeableConcept, or the Medication
/// it refers to (contained or not), whose ingredients are read when its code is not.
fn medication(
    resource: &Value,
    index: &Index<'_>,
    table: &IngredientTable,
) -> (String, Vec<String>, Option<Mapping>) {
    if let Some(concept) = resource.get("medicationCodeableConcept") {
        return (
            concept_name(concept),
            codings_of(concept),
            table.map_concept(concept),
        );
    }
    let Some(reference) = resource.get("medicationReference") else {
        return ("Unnamed medication".into(), Vec::new(), None);
    };
    let display = string(reference, "/display");
    let Some(medication) = index.target(resource, reference) else {
        let mapping = display.and_then(|name| table.map_name(name));
        let name = display.unwrap_or("Medication (not found in the record)");
        return (name.to_owned(), Vec::new(), mapping);
    };
    let code = medication.get("code").unwrap_or(&Value::Null);
    let name = match concept_name(code) {
        name if code.is_object() => name,
        _ => display.unwrap_or("Unnamed medication").to_owned(),
    };
    let mut mapping = table
        .map_concept(code)
        .or_else(|| ingredients_of(medication, table))
        .or_else(|| display.and_then(|name| table.map_name(name)));
    if let Some(mapping) = &mut mapping
        && mapping.strength.is_none()
    {
        mapping.strength = stated_strength(medication);
    }
    (name, codings_of(code), mapping)
}

/// A Medication's ingredients, when each of them maps.
fn ingredients_of(medication: &Value, table: &IngredientTable) -> Option<Mapping> {
    let items = medication.get("ingredient").and_then(Value::as_array)?;
    let mut found: Option<Mapping> = None;
    for item in items {
        let concept = item.get("itemCodeableConcept")?;
        let mapping = table.map_concept(concept)?;
        match &mut found {
            None => found = Some(mapping),
            Some(found) => {
                for id in mapping.ingredients {
                    if !found.ingredients.contains(&id) {
                        found.ingredients.push(id);
                    }
                }
            }
        }
    }
    found
}

/// "500 mg" from a Medication's first ingredient strength.
fn stated_strength(medication: &Value) -> Option<String> {
    let numerator = medication.pointer("/ingredient/0/strength/numerator")?;
    let value = numerator.get("value").and_then(Value::as_f64)?;
    let unit = string(numerator, "/unit").or_else(|| string(numerator, "/code"))?;
    Some(format!("{value} {}", unit.to_lowercase()))
}

fn concept_name(concept: &Value) -> String {
    crate::clinical_view::fhir::concept_text(concept).unwrap_or_else(|| "Unnamed medication".into())
}

/// Who prescribed it. A statement's information source counts when it is a clinician (not
/// the patient or a relative); a dispense names the prescriber of the request it filled.
fn prescriber(resource: &Value, kind: &str, index: &Index<'_>) -> Option<String> {
    let reference = match kind {
        "MedicationRequest" => resource.get("requester"),
        "MedicationStatement" => resource.get("informationSource").filter(|source| {
            !string(source, "/reference")
                .is_some_and(|r| r.starts_with("Patient/") || r.starts_with("RelatedPerson/"))
        }),
        _ => {
            let request = resource
                .pointer("/authorizingPrescription/0")
                .and_then(|reference| index.target(resource, reference));
            return request.and_then(|request| prescriber(request, "MedicationRequest", index));
        }
    }?;
    index.name_of(resource, reference)
}

/// When a fill's supply runs out, with the grace for a late refill.
fn supply_end(dispense: &Value, fill: &str) -> Option<String> {
    let handed = parse_date(fill)?;
    let days = dispense
        .pointer("/daysSupply/value")
        .and_then(Value::as_f64)
        .filter(|days| days.is_finite() && *days >= 0.0)
        .map_or(DEFAULT_DAYS_SUPPLY, |days| days.ceil() as u64);
    handed
        .checked_add_days(Days::new(days.saturating_add(REFILL_GRACE_DAYS)))
        .map(|end| end.to_string())
}

fn first(resource: &Value, pointers: &[&str]) -> Option<String> {
    pointers
        .iter()
        .find_map(|p| string(resource, p))
        .map(str::to_owned)
}

/// A Practitioner's, Person's or Organization's name.
fn person_name(resource: &Value) -> Option<String> {
    if let Some(name) = resource.get("name").and_then(Value::as_str) {
        return Some(name.trim().to_owned()).filter(|n| !n.is_empty());
    }
    let name = resource.pointer("/name/0")?;
    if let Some(text) = string(name, "/text") {
        return Some(text.to_owned());
    }
    let mut parts: Vec<&str> = name
        .get("prefix")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            name.get("given")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        )
        .filter_map(Value::as_str)
        .collect();
    parts.extend(string(name, "/family"));
    (!parts.is_empty()).then(|| parts.join(" "))
}
