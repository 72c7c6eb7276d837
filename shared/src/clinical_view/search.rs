//! Search across a whole record, on the decrypted data where it is held (the patient's
//! browser): words of the text and codes (LOINC, SNOMED, RxNorm…), matched in any order.
//!
//! **Decision.** Each resource's searchable text is every string value in it (names,
//! displays, codes, systems, dates, notes), lowercased once when the index is built, so a
//! keystroke scans flat strings instead of walking JSON. A resource matches when every word
//! of the query occurs in it; hits whose title holds the words come first, then the most
//! recent. This is a substring scan, not an inverted index: at 30,000 resources it is a
//! few tens of megabytes of text, and a patient searches rarely enough for that to do.

use serde_json::Value;

use super::fhir::{concept_text, first_date, resource_type, string};
use crate::record::EntryId;
use crate::vault::VaultContents;

/// Dates a hit is ordered by, in the order a resource is likely to carry them.
const DATE_POINTERS: [&str; 10] = [
    "/effectiveDateTime",
    "/effectivePeriod/start",
    "/occurrenceDateTime",
    "/onsetDateTime",
    "/recordedDate",
    "/authoredOn",
    "/performedDateTime",
    "/performedPeriod/start",
    "/period/start",
    "/date",
];

/// The elements whose CodeableConcept names a resource, most telling first.
const TITLE_CONCEPTS: [&str; 6] = [
    "/code",
    "/vaccineCode",
    "/medicationCodeableConcept",
    "/type/0",
    "/class",
    "/category/0",
];

/// One resource as search sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub id: EntryId,
    /// What kind of entry it is, in words ("Lab result", "Vaccination").
    pub kind: &'static str,
    /// The code that names it, with its system in words ("LOINC 4548-4").
    pub code: Option<String>,
    /// A measurement's value in words ("98 mg/dL").
    pub value: Option<String>,
    /// What the resource is about, in words ("Hemoglobin A1c", "Penicillin allergy").
    pub title: String,
    /// Its clinical date (`YYYY-MM-DD…`), when it has one.
    pub date: Option<String>,
}

#[derive(Debug, Clone)]
struct Indexed {
    hit: SearchHit,
    title: String,
    text: String,
}

/// The search index of one record.
#[derive(Debug, Clone, Default)]
pub struct RecordSearch {
    entries: Vec<Indexed>,
}

/// What a query found: the first hits, and how many there were in all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub total: usize,
}

impl RecordSearch {
    pub fn new(contents: &VaultContents) -> RecordSearch {
        let entries = contents
            .iter()
            .map(|(id, stored)| {
                let resource = &stored.resource;
                let hit = SearchHit {
                    id: id.clone(),
                    kind: super::words::kind_of(resource),
                    code: super::words::code_of(resource),
                    value: super::words::value_of(resource),
                    title: title_of(resource),
                    date: first_date(resource, &DATE_POINTERS),
                };
                let mut text = String::new();
                collect_strings(resource, &mut text);
                if let Some(provider) = &stored.source.provider {
                    text.push_str(provider);
                }
                Indexed {
                    title: hit.title.to_lowercase(),
                    text: text.to_lowercase(),
                    hit,
                }
            })
            .collect();
        RecordSearch { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The resources holding every word of `query`, at most `limit` of them.
    pub fn query(&self, query: &str, limit: usize) -> SearchResults {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return SearchResults::default();
        }
        let mut found: Vec<(bool, &Indexed)> = self
            .entries
            .iter()
            .filter(|e| words.iter().all(|w| e.text.contains(w.as_str())))
            .map(|e| (words.iter().all(|w| e.title.contains(w.as_str())), e))
            .collect();
        // Title matches first, then newest first; entries without a date last.
        found.sort_by(|(a_title, a), (b_title, b)| {
            b_title
                .cmp(a_title)
                .then_with(|| b.hit.date.cmp(&a.hit.date))
                .then_with(|| a.hit.id.cmp(&b.hit.id))
        });
        SearchResults {
            total: found.len(),
            hits: found
                .into_iter()
                .take(limit)
                .map(|(_, e)| e.hit.clone())
                .collect(),
        }
    }
}

/// What a resource is about: its main concept's words, else a name, else its type.
pub fn title_of(resource: &Value) -> String {
    TITLE_CONCEPTS
        .iter()
        .filter_map(|pointer| resource.pointer(pointer))
        .find_map(concept_text)
        .or_else(|| string(resource, "/name/0/text").map(str::to_owned))
        .or_else(|| string(resource, "/name").map(str::to_owned))
        .or_else(|| string(resource, "/title").map(str::to_owned))
        .or_else(|| string(resource, "/description").map(str::to_owned))
        .unwrap_or_else(|| resource_type(resource).to_owned())
}

/// Every string in `value` (and the numbers, which are searched as written), separated.
fn collect_strings(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            // Attachments' base64 is not text anyone searches for.
            if s.len() < 4096 {
                out.push_str(s);
                out.push('\n');
            }
        }
        Value::Number(n) => {
            out.push_str(&n.to_string());
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| collect_strings(v, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Entry, Op, Source};
    use chrono::Utc;
    use serde_json::json;

    fn record(resources: &[(&str, Value)]) -> VaultContents {
        let mut contents = VaultContents::default();
        for (id, resource) in resources {
            contents.apply(Entry {
                id: EntryId((*id).into()),
                op: Op::Put {
                    resource: resource.clone(),
                    source: Source {
                        provider: Some("St Mary's".into()),
                        ..Source::default()
                    },
                },
                at: Utc::now(),
            });
        }
        contents
    }

    fn a1c(date: &str, value: f64) -> Value {
        json!({
            "resourceType": "Observation",
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c"}]},
            "effectiveDateTime": date,
            "valueQuantity": {"value": value, "unit": "%"}
        })
    }

    #[test]
    fn words_match_text_and_codes_in_any_order_newest_first() {
        let contents = record(&[
            ("Observation/1", a1c("2020-01-01", 6.1)),
            ("Observation/2", a1c("2023-05-01", 7.4)),
            (
                "Condition/1",
                json!({"resourceType": "Condition", "code": {"text": "Diabetes"},
                       "note": [{"text": "follow hemoglobin a1c"}]}),
            ),
            (
                "AllergyIntolerance/1",
                json!({"resourceType": "AllergyIntolerance", "code": {"text": "Penicillin"}}),
            ),
        ]);
        let search = RecordSearch::new(&contents);
        let found = search.query("a1c HEMOGLOBIN", 10);
        assert_eq!(found.total, 3);
        let ids: Vec<_> = found.hits.iter().map(|h| h.id.as_str()).collect();
        // Titles first (newest first), then the note that mentions it.
        assert_eq!(ids, ["Observation/2", "Observation/1", "Condition/1"]);
        assert_eq!(found.hits[0].title, "Hemoglobin A1c");
        assert_eq!(found.hits[0].date.as_deref(), Some("2023-05-01"));

        assert_eq!(search.query("4548-4", 10).total, 2, "a LOINC code");
        assert_eq!(search.query("7.4", 10).total, 1, "a value as written");
        assert_eq!(
            search.query("mary's penicillin", 10).total,
            1,
            "the provider"
        );
        assert_eq!(
            search.query("penicillin diabetes", 10).total,
            0,
            "every word"
        );
        assert_eq!(search.query("   ", 10), SearchResults::default());
        let limited = search.query("a1c", 1);
        assert_eq!((limited.total, limited.hits.len()), (3, 1));
    }

    #[test]
    fn a_resource_without_a_concept_is_titled_by_its_name_or_type() {
        assert_eq!(
            title_of(&json!({"resourceType": "Organization", "name": "St Mary's"})),
            "St Mary's"
        );
        assert_eq!(title_of(&json!({"resourceType": "Basic"})), "Basic");
    }
}
