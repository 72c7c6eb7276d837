//! The one order of each clinical list, used alike by the patient's pages, the clinician
//! viewer, the International Patient Summary and the command line, so a list reads the
//! same wherever it is shown.
//!
//! **Allergies**: what is current before what is not (inactive, resolved and refuted
//! allergies in their own group, after); within each group drug allergies first (category
//! `medication`: the ones a prescriber must see), then by criticality (high, unable to
//! assess, low, not given), then the most recent, then by name.
//!
//! **Problems**: merged by code across sources ([`merge_by_code`]); past problems only when
//! they also began on the same day, so episodes stay apart. Listed by [`ProblemRank`]: the
//! most recent onset first (by day), then by name.

use std::cmp::Reverse;

use serde_json::Value;

use super::fhir::{concept_code, concept_text, first_date, string};
use super::model::Item;

/// Where an allergy or intolerance sits in the list. Sorting by it is the order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AllergyRank {
    standing: AllergyStanding,
    not_a_drug: bool,
    criticality: u8,
    newest_first: Reverse<Option<String>>,
    name: String,
}

/// Whether an allergy is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AllergyStanding {
    /// Active, or of no recorded status (safer shown as current).
    Current,
    /// Inactive, resolved, or refuted.
    NotCurrent,
}

impl AllergyRank {
    /// The rank of an `AllergyIntolerance`.
    pub fn of(allergy: &Value) -> AllergyRank {
        let criticality = match string(allergy, "/criticality") {
            Some("high") => 0,
            Some("unable-to-assess") => 1,
            Some("low") => 2,
            _ => 3,
        };
        AllergyRank {
            standing: allergy_standing(allergy),
            not_a_drug: !is_drug_allergy(allergy),
            criticality,
            newest_first: Reverse(allergy_date(allergy)),
            name: allergy
                .get("code")
                .and_then(concept_text)
                .unwrap_or_default()
                .to_lowercase(),
        }
    }

    pub fn standing(&self) -> AllergyStanding {
        self.standing
    }
}

/// Sorts allergies into their order; `resource` gives each one's `AllergyIntolerance`.
pub fn order_allergies<'v, T>(list: &mut [T], resource: impl Fn(&T) -> &'v Value) {
    list.sort_by_cached_key(|item| AllergyRank::of(resource(item)));
}

/// Current, or inactive, resolved or refuted.
pub fn allergy_standing(allergy: &Value) -> AllergyStanding {
    let refuted = concept_code(allergy.get("verificationStatus")).as_deref() == Some("refuted");
    let ended = matches!(
        concept_code(allergy.get("clinicalStatus")).as_deref(),
        Some("inactive" | "resolved")
    );
    if refuted || ended {
        AllergyStanding::NotCurrent
    } else {
        AllergyStanding::Current
    }
}

/// True for an allergy to a medication (category `medication`).
pub fn is_drug_allergy(allergy: &Value) -> bool {
    allergy
        .get("category")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|c| c == "medication")
}

/// The date an allergy is listed under: its onset, else when it was recorded.
pub fn allergy_date(allergy: &Value) -> Option<String> {
    first_date(
        allergy,
        &["/onsetDateTime", "/onsetPeriod/start", "/recordedDate"],
    )
}

/// Where a problem sits in its list (active or past). Sorting by it is the order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProblemRank {
    newest_first: Reverse<Option<String>>,
    name: String,
}

impl ProblemRank {
    /// The rank of a problem that began on `onset` (a FHIR date or dateTime).
    pub fn new(onset: Option<&str>, name: &str) -> ProblemRank {
        let day = onset.map(|d| d.split('T').next().unwrap_or(d).to_owned());
        ProblemRank {
            newest_first: Reverse(day),
            name: name.to_lowercase(),
        }
    }

    /// The rank of a `Condition`.
    pub fn of(condition: &Value) -> ProblemRank {
        let name = condition.get("code").and_then(concept_text);
        ProblemRank::new(
            problem_onset(condition).as_deref(),
            name.as_deref().unwrap_or(""),
        )
    }

    /// The rank of a line of a view's problem list.
    pub fn of_item(item: &Item) -> ProblemRank {
        ProblemRank::new(item.date.as_ref().map(|d| d.written.as_str()), &item.title)
    }
}

/// Sorts problems into their order; `resource` gives each one's `Condition`.
pub fn order_problems<'v, T>(list: &mut [T], resource: impl Fn(&T) -> &'v Value) {
    list.sort_by_cached_key(|item| ProblemRank::of(resource(item)));
}

/// When a problem began: its onset, else when it was recorded.
pub fn problem_onset(condition: &Value) -> Option<String> {
    first_date(
        condition,
        &["/onsetDateTime", "/onsetPeriod/start", "/recordedDate"],
    )
}

/// **Problems**: one line per problem however many sources report it. Two problems are
/// one when their codes share a `system|code` (or, uncoded, their words match): the line
/// keeps the first one's name, the earliest onset, and every source and detail.
pub fn merge_by_code(problems: Vec<(Vec<String>, Item)>) -> Vec<Item> {
    let mut merged: Vec<(Vec<String>, Item)> = Vec::new();
    for (codes, item) in problems {
        let same = merged
            .iter()
            .position(|(known, _)| codes.iter().any(|c| known.contains(c)));
        match same {
            Some(n) => {
                let (known, line) = &mut merged[n];
                for code in codes {
                    if !known.contains(&code) {
                        known.push(code);
                    }
                }
                for source in item.sources {
                    if !line.sources.contains(&source) {
                        line.sources.push(source);
                    }
                }
                for detail in item.details {
                    if !line.details.contains(&detail) {
                        line.details.push(detail);
                    }
                }
                line.date = match (line.date.take(), item.date) {
                    (Some(a), Some(b)) => Some(if b.day() < a.day() { b } else { a }),
                    (a, b) => a.or(b),
                };
                line.alert = line.alert.take().or(item.alert);
            }
            None if codes.is_empty() => merged.push((Vec::new(), item)),
            None => merged.push((codes, item)),
        }
    }
    merged.into_iter().map(|(_, item)| item).collect()
}
