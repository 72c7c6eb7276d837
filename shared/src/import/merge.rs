//! Duplicates across providers, merged for views only: the vault keeps every entry, and a
//! view shows one item per clinical fact with all the sources that reported it.
//!
//! Two entries are the same fact when they are the same kind (medication, condition,
//! allergy, immunization, observation), share a coding (same code in the same system:
//! RxNorm, SNOMED, LOINC, CVX…) and fall on the same day (onset, effective or occurrence
//! date; allergies and conditions without a date match on the code alone). Observations
//! must also carry the same value, so two readings on one day stay two readings.
//! Everything else stays one item per entry.

use crate::record::{EntryId, Source};
use crate::vault::StoredResource;
use serde_json::Value;
use std::collections::HashMap;

/// One entry of the current record, as a view sees it.
#[derive(Debug, Clone, Copy)]
pub struct RecordItem<'a> {
    pub id: &'a EntryId,
    pub resource: &'a Value,
    pub source: &'a Source,
}

impl<'a> RecordItem<'a> {
    /// One entry of the record as it stands.
    pub fn of(id: &'a EntryId, stored: &'a StoredResource) -> RecordItem<'a> {
        RecordItem {
            id,
            resource: &stored.resource,
            source: &stored.source,
        }
    }
}

/// One item of a view: a clinical fact and every entry and source that reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedItem {
    /// The entry to display (the first by id, so views are stable).
    pub primary: EntryId,
    /// All entries merged here, the primary first.
    pub entries: Vec<EntryId>,
    /// Every distinct source of those entries.
    pub sources: Vec<Source>,
    /// The clinical kind (`medication`, `condition`, …) or the resource type.
    pub kind: String,
    /// The shared `(system, code)` that matched, when merged on one.
    pub code: Option<(String, String)>,
    /// The shared day (`YYYY-MM-DD`), when there is one.
    pub date: Option<String>,
}

/// Group `items` into view items, merging duplicates. Order: by primary id.
pub fn merged_view(items: &[RecordItem<'_>]) -> Vec<MergedItem> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| items[a].id.cmp(items[b].id));
    let mut groups = UnionFind::new(items.len());
    let mut first_with_key: HashMap<MatchKey, usize> = HashMap::new();
    let mut matched_on: HashMap<usize, (String, String)> = HashMap::new();
    for &i in &order {
        for key in match_keys(items[i].resource) {
            match first_with_key.get(&key) {
                Some(&j) => {
                    groups.union(j, i);
                    matched_on
                        .entry(j)
                        .or_insert_with(|| (key.system.clone(), key.code.clone()));
                }
                None => {
                    first_with_key.insert(key, i);
                }
            }
        }
    }
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for &i in &order {
        by_root.entry(groups.find(i)).or_default().push(i);
    }
    let mut merged: Vec<MergedItem> = by_root
        .into_values()
        .map(|members| {
            let first = members[0];
            let resource = items[first].resource;
            let mut sources: Vec<Source> = Vec::new();
            for &m in &members {
                if !sources.contains(items[m].source) {
                    sources.push(items[m].source.clone());
                }
            }
            let kind = clinical_kind(resource)
                .map(str::to_string)
                .unwrap_or_else(|| resource_type(resource).to_string());
            MergedItem {
                primary: items[first].id.clone(),
                entries: members.iter().map(|&m| items[m].id.clone()).collect(),
                sources,
                kind,
                code: members.iter().find_map(|m| matched_on.get(m).cloned()),
                date: day(resource),
            }
        })
        .collect();
    merged.sort_by(|a, b| a.primary.cmp(&b.primary));
    merged
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MatchKey {
    kind: &'static str,
    system: String,
    code: String,
    day: Option<String>,
    value: Option<String>,
}

fn resource_type(resource: &Value) -> &str {
    resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn clinical_kind(resource: &Value) -> Option<&'static str> {
    Some(match resource_type(resource) {
        "MedicationStatement" | "MedicationRequest" => "medication",
        "Condition" => "condition",
        "AllergyIntolerance" => "allergy",
        "Immunization" => "immunization",
        "Observation" => "observation",
        _ => return None,
    })
}

/// The concept that says *what* the entry is about.
fn concept(resource: &Value) -> Option<&Value> {
    match resource_type(resource) {
        "MedicationStatement" | "MedicationRequest" => resource.get("medicationCodeableConcept"),
        "Immunization" => resource.get("vaccineCode"),
        _ => resource.get("code"),
    }
}

/// The day the fact happened, from the first date element the type has.
fn day(resource: &Value) -> Option<String> {
    const DATES: &[&str] = &[
        "/effectiveDateTime",
        "/effectivePeriod/start",
        "/occurrenceDateTime",
        "/onsetDateTime",
        "/onsetPeriod/start",
        "/authoredOn",
        "/performedDateTime",
        "/performedPeriod/start",
    ];
    DATES
        .iter()
        .find_map(|p| resource.pointer(p).and_then(Value::as_str))
        .map(|d| d.get(..10).unwrap_or(d).to_string())
}

fn observation_value(resource: &Value) -> Option<String> {
    if let Some(q) = resource.get("valueQuantity") {
        let value = q.get("value").and_then(Value::as_f64)?;
        let unit = q
            .get("code")
            .or_else(|| q.get("unit"))
            .and_then(Value::as_str)
            .unwrap_or("");
        return Some(format!("{value} {unit}"));
    }
    if let Some(c) = resource.pointer("/valueCodeableConcept/coding/0") {
        return Some(format!(
            "{}|{}",
            c.get("system")?.as_str()?,
            c.get("code")?.as_str()?
        ));
    }
    ["valueString", "valueInteger", "valueBoolean"]
        .iter()
        .find_map(|k| resource.get(*k).map(|v| v.to_string()))
}

fn match_keys(resource: &Value) -> Vec<MatchKey> {
    let Some(kind) = clinical_kind(resource) else {
        return Vec::new();
    };
    let day = day(resource);
    // A dated event (dose, measurement) without a date cannot be matched safely.
    if day.is_none() && matches!(kind, "immunization" | "observation" | "medication") {
        return Vec::new();
    }
    let value = if kind == "observation" {
        match observation_value(resource) {
            Some(v) => Some(v),
            None if resource.get("component").is_some() => Some(
                resource
                    .get("component")
                    .map(Value::to_string)
                    .unwrap_or_default(),
            ),
            None => None,
        }
    } else {
        None
    };
    let codings = concept(resource)
        .and_then(|c| c.get("coding"))
        .and_then(Value::as_array);
    codings
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let system = c.get("system")?.as_str()?.trim();
            let code = c.get("code")?.as_str()?.trim();
            (!system.is_empty() && !code.is_empty()).then(|| MatchKey {
                kind,
                system: system.to_string(),
                code: code.to_string(),
                day: day.clone(),
                value: value.clone(),
            })
        })
        .collect()
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // Keep the smaller index (earlier by id) as the root.
            let (keep, other) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[other] = keep;
        }
    }
}
