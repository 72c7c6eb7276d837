//! The record in date order: every encounter, result, medication change, immunization,
//! document, problem, allergy and procedure, newest first, filterable by category and
//! provider, and grouped by visit where the data says which encounter an entry belongs to.
//!
//! **Decision.** A visit is an Encounter and the entries that reference it
//! (`encounter` or `context.encounter`); after import those references name entry ids, so
//! grouping is a lookup, not a guess by date. Entries without a date cannot be placed and
//! are counted (`undated`), not shown; billing resources (claims, explanations of benefit)
//! are not clinical events and are left out.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::fhir::{first_date, resource_type, string};
use super::search::title_of;
use crate::record::EntryId;
use crate::vault::VaultContents;

/// The kinds of event a patient filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimelineCategory {
    Encounter,
    Result,
    Medication,
    Immunization,
    Document,
    Problem,
    Allergy,
    Procedure,
}

impl TimelineCategory {
    pub const ALL: [TimelineCategory; 8] = [
        TimelineCategory::Encounter,
        TimelineCategory::Result,
        TimelineCategory::Medication,
        TimelineCategory::Immunization,
        TimelineCategory::Document,
        TimelineCategory::Problem,
        TimelineCategory::Allergy,
        TimelineCategory::Procedure,
    ];

    fn of(resource_type: &str) -> Option<TimelineCategory> {
        Some(match resource_type {
            "Encounter" => TimelineCategory::Encounter,
            "Observation" | "DiagnosticReport" => TimelineCategory::Result,
            "MedicationRequest"
            | "MedicationStatement"
            | "MedicationAdministration"
            | "MedicationDispense" => TimelineCategory::Medication,
            "Immunization" => TimelineCategory::Immunization,
            "DocumentReference" => TimelineCategory::Document,
            "Condition" => TimelineCategory::Problem,
            "AllergyIntolerance" => TimelineCategory::Allergy,
            "Procedure" => TimelineCategory::Procedure,
            _ => return None,
        })
    }

    /// The category as the filter names it.
    pub fn label(self) -> &'static str {
        match self {
            TimelineCategory::Encounter => "Visits",
            TimelineCategory::Result => "Results",
            TimelineCategory::Medication => "Medications",
            TimelineCategory::Immunization => "Immunizations",
            TimelineCategory::Document => "Documents",
            TimelineCategory::Problem => "Problems",
            TimelineCategory::Allergy => "Allergies",
            TimelineCategory::Procedure => "Procedures",
        }
    }
}

/// Where each kind of resource keeps the date it happened.
const WHEN: [&str; 14] = [
    "/period/start",
    "/effectiveDateTime",
    "/effectivePeriod/start",
    "/issued",
    "/occurrenceDateTime",
    "/authoredOn",
    "/whenHandedOver",
    "/date",
    "/onsetDateTime",
    "/recordedDate",
    "/performedDateTime",
    "/performedPeriod/start",
    "/dateAsserted",
    "/created",
];

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    pub id: EntryId,
    /// As written (`YYYY-MM-DD…`): sorting the text sorts the dates.
    pub date: String,
    pub category: TimelineCategory,
    pub title: String,
    /// A medication's status (a change: started, stopped), a result's value.
    pub detail: Option<String>,
    pub provider: Option<String>,
    /// The encounter this belongs to, when it says.
    pub visit: Option<EntryId>,
}

/// An encounter with what happened in it, or an event that belongs to no visit.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineGroup<'a> {
    /// The Encounter, when this is a visit (it may be filtered out while its entries show).
    pub visit: Option<&'a TimelineEvent>,
    pub date: &'a str,
    pub events: Vec<&'a TimelineEvent>,
}

#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Newest first.
    events: Vec<TimelineEvent>,
    providers: BTreeSet<String>,
    undated: usize,
}

impl Timeline {
    pub fn new(contents: &VaultContents) -> Timeline {
        let mut timeline = Timeline::default();
        for (id, stored) in contents.iter() {
            let resource = &stored.resource;
            let Some(category) = TimelineCategory::of(resource_type(resource)) else {
                continue;
            };
            let Some(date) = first_date(resource, &WHEN) else {
                timeline.undated += 1;
                continue;
            };
            let provider = if stored.source.patient_reported {
                Some("You (patient-reported)".to_owned())
            } else {
                stored.source.provider.clone()
            };
            if let Some(provider) = &provider {
                timeline.providers.insert(provider.clone());
            }
            timeline.events.push(TimelineEvent {
                id: id.clone(),
                date,
                category,
                title: title_of(resource),
                detail: detail_of(resource, category),
                provider,
                visit: visit_of(resource),
            });
        }
        timeline
            .events
            .sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
        timeline
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Entries of a timeline kind that carry no date, so are not shown.
    pub fn undated(&self) -> usize {
        self.undated
    }

    /// Every provider named, for the filter.
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        self.providers.iter().map(String::as_str)
    }

    /// The events of `categories` (and of `provider`, when given), grouped by visit, newest
    /// first. A visit's entries follow its Encounter even when they are dated a little later.
    pub fn groups(
        &self,
        categories: &BTreeSet<TimelineCategory>,
        provider: Option<&str>,
    ) -> Vec<TimelineGroup<'_>> {
        let shown = |e: &&TimelineEvent| {
            categories.contains(&e.category)
                && provider.is_none_or(|p| e.provider.as_deref() == Some(p))
        };
        let encounters: HashMap<&EntryId, &TimelineEvent> = self
            .events
            .iter()
            .filter(|e| e.category == TimelineCategory::Encounter)
            .map(|e| (&e.id, e))
            .collect();
        // The entries shown inside each visit.
        let mut members: HashMap<&EntryId, Vec<&TimelineEvent>> = HashMap::new();
        for event in self
            .events
            .iter()
            .filter(|e| e.category != TimelineCategory::Encounter && shown(e))
        {
            if let Some(visit) = event.visit.as_ref().filter(|v| encounters.contains_key(v)) {
                members.entry(visit).or_default().push(event);
            }
        }
        let mut groups = Vec::new();
        for event in &self.events {
            if event.category == TimelineCategory::Encounter {
                // A visit filtered out still heads the entries of it that are shown.
                let inside = members.remove(&event.id).unwrap_or_default();
                if shown(&event) || !inside.is_empty() {
                    groups.push(TimelineGroup {
                        visit: Some(event),
                        date: &event.date,
                        events: inside,
                    });
                }
            } else if shown(&event)
                && !event
                    .visit
                    .as_ref()
                    .is_some_and(|v| encounters.contains_key(v))
            {
                groups.push(TimelineGroup {
                    visit: None,
                    date: &event.date,
                    events: vec![event],
                });
            }
        }
        groups
    }
}

fn visit_of(resource: &Value) -> Option<EntryId> {
    string(resource, "/encounter/reference")
        .or_else(|| string(resource, "/context/encounter/0/reference"))
        .or_else(|| string(resource, "/context/encounter/reference"))
        .filter(|r| r.starts_with("Encounter/"))
        .map(|r| EntryId(r.to_owned()))
}

fn detail_of(resource: &Value, category: TimelineCategory) -> Option<String> {
    match category {
        TimelineCategory::Medication => string(resource, "/status").map(|s| match s {
            "active" => "started or continued".to_owned(),
            "stopped" | "completed" => "stopped".to_owned(),
            other => other.to_owned(),
        }),
        TimelineCategory::Result => {
            let quantity = resource.get("valueQuantity")?;
            let value = quantity.get("value")?;
            let unit = string(quantity, "/unit").unwrap_or("");
            Some(format!("{value} {unit}").trim().to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Entry, Op, Source};
    use chrono::Utc;
    use serde_json::json;

    fn record(resources: &[(&str, Option<&str>, Value)]) -> VaultContents {
        let mut contents = VaultContents::default();
        for (id, provider, resource) in resources {
            contents.apply(Entry {
                id: EntryId((*id).into()),
                op: Op::Put {
                    resource: resource.clone(),
                    source: Source {
                        provider: provider.map(str::to_owned),
                        ..Source::default()
                    },
                },
                at: Utc::now(),
            });
        }
        contents
    }

    fn sample() -> VaultContents {
        record(&[
            (
                "Encounter/v1",
                Some("St Mary's"),
                json!({"resourceType": "Encounter",
                "type": [{"text": "Check-up"}], "period": {"start": "2024-03-01T09:00:00Z"}}),
            ),
            (
                "Observation/o1",
                Some("St Mary's"),
                json!({"resourceType": "Observation",
                "code": {"text": "Weight"}, "effectiveDateTime": "2024-03-01T09:10:00Z",
                "valueQuantity": {"value": 70, "unit": "kg"},
                "encounter": {"reference": "Encounter/v1"}}),
            ),
            (
                "MedicationRequest/m1",
                Some("St Mary's"),
                json!({"resourceType": "MedicationRequest",
                "status": "active", "medicationCodeableConcept": {"text": "Metformin"},
                "authoredOn": "2024-03-01", "encounter": {"reference": "Encounter/v1"}}),
            ),
            (
                "Immunization/i1",
                Some("City Clinic"),
                json!({"resourceType": "Immunization",
                "vaccineCode": {"text": "Influenza"}, "occurrenceDateTime": "2025-10-01"}),
            ),
            (
                "Condition/c1",
                None,
                json!({"resourceType": "Condition", "code": {"text": "Asthma"}}),
            ),
            (
                "Claim/x",
                Some("St Mary's"),
                json!({"resourceType": "Claim", "created": "2024-03-02"}),
            ),
        ])
    }

    #[test]
    fn events_are_newest_first_grouped_by_visit() {
        let timeline = Timeline::new(&sample());
        assert_eq!(timeline.len(), 4, "the claim is not an event");
        assert_eq!(timeline.undated(), 1, "the condition has no date");
        let all: BTreeSet<_> = TimelineCategory::ALL.into_iter().collect();
        let groups = timeline.groups(&all, None);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].events[0].title, "Influenza");
        assert!(groups[0].visit.is_none());
        let visit = &groups[1];
        assert_eq!(visit.visit.unwrap().title, "Check-up");
        let inside: Vec<_> = visit.events.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(inside, ["Weight", "Metformin"]);
        assert_eq!(visit.events[0].detail.as_deref(), Some("70 kg"));
        assert_eq!(
            visit.events[1].detail.as_deref(),
            Some("started or continued")
        );
    }

    #[test]
    fn filters_keep_a_visit_heading_over_its_shown_entries() {
        let timeline = Timeline::new(&sample());
        let results: BTreeSet<_> = [TimelineCategory::Result].into_iter().collect();
        let groups = timeline.groups(&results, None);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].visit.unwrap().title, "Check-up");
        assert_eq!(groups[0].events.len(), 1);

        let all: BTreeSet<_> = TimelineCategory::ALL.into_iter().collect();
        let clinic = timeline.groups(&all, Some("City Clinic"));
        assert_eq!(clinic.len(), 1);
        assert_eq!(clinic[0].events[0].title, "Influenza");
        let providers: Vec<_> = timeline.providers().collect();
        assert_eq!(providers, ["City Clinic", "St Mary's"]);
    }
}
