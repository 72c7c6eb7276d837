//! What a sync asks a provider for, and what it accepts as an answer.
//!
//! **The plan.** One search per resource type of a patient's record (Observations one
//! category at a time where a server refuses them all at once), or
//! `Patient/{id}/$everything` where the provider offers it. A later round asks only for
//! what changed since the last one (`_lastUpdated=gt…`, `_since` for `$everything`).
//!
//! **A page.** It must be a FHIR Bundle; every resource in it that names a patient must
//! name the connection's patient (a page holding anyone else's record is refused whole);
//! its `next` link must stay on the provider's own origin, since the access token goes
//! with it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use url::Url;

use super::Connection;

/// One search of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// Names the search in the connection's progress and the report
    /// (`Observation?category=laboratory`).
    pub key: String,
    /// The resource type asked for; `*` for `$everything`.
    pub resource_type: &'static str,
    path: String,
    params: Vec<(&'static str, String)>,
    since_param: &'static str,
}

/// The types a patient-access API serves, by US Core's patient search (and the payer
/// types some providers serve too).
const TYPES: &[&str] = &[
    "AllergyIntolerance",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationDispense",
    "Observation",
    "Immunization",
    "Procedure",
    "DiagnosticReport",
    "DocumentReference",
    "ImagingStudy",
    "ServiceRequest",
    "Encounter",
    "CarePlan",
    "CareTeam",
    "Goal",
    "FamilyMemberHistory",
    "Device",
    "Coverage",
    "ExplanationOfBenefit",
    "Claim",
];

/// Observation categories (FHIR's observation-category code system).
const OBSERVATION_CATEGORIES: &[&str] = &[
    "laboratory",
    "vital-signs",
    "social-history",
    "survey",
    "exam",
    "imaging",
    "procedure",
    "therapy",
    "activity",
];

/// The searches of a sync of `connection`.
pub fn plan(connection: &Connection) -> Vec<Search> {
    let patient = connection.patient.clone();
    if connection.everything {
        return vec![Search {
            key: "$everything".into(),
            resource_type: "*",
            path: format!("Patient/{patient}/$everything"),
            params: Vec::new(),
            since_param: "_since",
        }];
    }
    let mut searches = vec![Search {
        key: "Patient".into(),
        resource_type: "Patient",
        path: "Patient".into(),
        params: vec![("_id", patient.clone())],
        since_param: "_lastUpdated",
    }];
    // A server that wanted Observations by category before keeps being asked that way.
    let by_category = connection
        .progress
        .keys()
        .any(|key| key.starts_with("Observation?category="));
    let served = |t: &str| {
        connection.served_types.is_empty() || connection.served_types.iter().any(|s| s == t)
    };
    for resource_type in TYPES.iter().filter(|t| served(t)) {
        if *resource_type == "Observation" && by_category {
            searches.extend(observations_by_category(connection));
        } else {
            searches.push(by_patient(resource_type, &patient));
        }
    }
    searches
}

fn by_patient(resource_type: &'static str, patient: &str) -> Search {
    Search {
        key: resource_type.into(),
        resource_type,
        path: resource_type.into(),
        params: vec![("patient", patient.to_owned())],
        since_param: "_lastUpdated",
    }
}

/// Observations asked for one category at a time, for a server that refuses an
/// Observation search without one (as some do). Observations of a category not listed
/// here cannot be found on such a server.
pub fn observations_by_category(connection: &Connection) -> Vec<Search> {
    OBSERVATION_CATEGORIES
        .iter()
        .map(|category| {
            let mut search = by_patient("Observation", &connection.patient);
            search.key = format!("Observation?category={category}");
            search.params.push(("category", (*category).to_owned()));
            search
        })
        .collect()
}

/// The resource types a CapabilityStatement says the server serves (empty when it lists
/// none: then every type is asked for).
pub fn served_types(statement: &Value) -> Vec<String> {
    let mut types: Vec<String> = statement["rest"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rest| rest["resource"].as_array().into_iter().flatten())
        .filter_map(|r| r["type"].as_str().map(str::to_owned))
        .collect();
    types.sort();
    types.dedup();
    types
}

/// Whether a CapabilityStatement offers `Patient/$everything` (on the Patient resource,
/// or among the server's operations).
pub fn offers_everything(statement: &Value) -> bool {
    let named_everything = |operations: &Value| {
        operations.as_array().is_some_and(|ops| {
            ops.iter().any(|op| {
                op["name"] == "everything"
                    || op["definition"]
                        .as_str()
                        .is_some_and(|d| d.ends_with("/Patient-everything"))
            })
        })
    };
    statement["rest"].as_array().is_some_and(|rests| {
        rests.iter().any(|rest| {
            rest["resource"].as_array().is_some_and(|resources| {
                resources
                    .iter()
                    .any(|r| r["type"] == "Patient" && named_everything(&r["operation"]))
            })
        })
    })
}

impl Search {
    /// The first page's address under `base`, asking only for what changed after `since`.
    pub fn first_url(&self, base: &Url, since: Option<DateTime<Utc>>) -> Url {
        let mut url = provider_url(base, &self.path);
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in &self.params {
                query.append_pair(name, value);
            }
            if let Some(since) = since {
                let instant = since.to_rfc3339_opts(SecondsFormat::Secs, true);
                match self.since_param {
                    "_lastUpdated" => query.append_pair("_lastUpdated", &format!("gt{instant}")),
                    param => query.append_pair(param, &instant),
                };
            }
        }
        url
    }
}

/// `path` under the FHIR base (which may or may not end with a slash): for searches, and
/// for what a client fetches outside a sync (discovery, metadata, the patient).
pub fn provider_url(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url.set_query(None);
    url
}

/// Why a page is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("the provider's answer is not a FHIR Bundle ({0})")]
    NotABundle(String),
    #[error(
        "the provider's answer holds records of another patient ({0}), not yours: none of it \
         was kept"
    )]
    OtherPatient(String),
    #[error(
        "the provider's next page is on another site ({0}): Folio does not send your sign-in \
         there"
    )]
    NextElsewhere(String),
}

/// A page as taken: the Bundle to import (its `outcome` entries left out), where the
/// next page is, and the provider's clock when it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub bundle: Value,
    pub next: Option<Url>,
    pub server_time: Option<DateTime<Utc>>,
    pub resources: usize,
}

/// Reads one page of a search of `connection` at `base`.
pub fn read_page(
    body: &[u8],
    connection: &Connection,
    base: &Url,
) -> Result<SearchPage, PageError> {
    let mut bundle: Value = serde_json::from_slice(body).map_err(|_| {
        let start: String = String::from_utf8_lossy(&body[..body.len().min(40)])
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        PageError::NotABundle(format!("it starts “{start}”"))
    })?;
    match bundle["resourceType"].as_str() {
        Some("Bundle") => {}
        Some(other) => {
            return Err(PageError::NotABundle(format!(
                "it is a resource of type {other}"
            )));
        }
        None => return Err(PageError::NotABundle("JSON without a resourceType".into())),
    }
    let next = next_link(&bundle, base)?;
    let server_time = bundle["meta"]["lastUpdated"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let mut resources = 0;
    if let Some(entries) = bundle.get_mut("entry").and_then(Value::as_array_mut) {
        // OperationOutcomes about the search (mode `outcome`) are not part of the record.
        entries
            .retain(|entry| entry["search"]["mode"] != "outcome" && entry["resource"].is_object());
        for entry in entries.iter() {
            check_patient(&entry["resource"], &connection.patient)?;
        }
        resources = entries.len();
    }
    Ok(SearchPage {
        bundle,
        next,
        server_time,
        resources,
    })
}

fn next_link(bundle: &Value, base: &Url) -> Result<Option<Url>, PageError> {
    let Some(href) = bundle["link"].as_array().and_then(|links| {
        links
            .iter()
            .find(|l| l["relation"] == "next")
            .and_then(|l| l["url"].as_str())
    }) else {
        return Ok(None);
    };
    let next = base
        .join(href)
        .map_err(|_| PageError::NextElsewhere(href.chars().take(200).collect()))?;
    if next.origin() != base.origin() {
        return Err(PageError::NextElsewhere(
            next.origin().ascii_serialization(),
        ));
    }
    Ok(Some(next))
}

/// The fields by which a patient-access resource names its patient.
const PATIENT_FIELDS: &[&str] = &["subject", "patient", "beneficiary"];

fn check_patient(resource: &Value, patient: &str) -> Result<(), PageError> {
    if resource["resourceType"] == "Patient" {
        let id = resource["id"].as_str().unwrap_or_default();
        return if id == patient {
            Ok(())
        } else {
            Err(PageError::OtherPatient(format!("Patient/{id}")))
        };
    }
    for field in PATIENT_FIELDS {
        let Some(reference) = resource[field]["reference"].as_str() else {
            continue;
        };
        if let Some(id) = patient_id(reference)
            && id != patient
        {
            return Err(PageError::OtherPatient(format!("Patient/{id}")));
        }
    }
    Ok(())
}

/// The patient id of a `Patient/{id}` reference, relative or absolute.
fn patient_id(reference: &str) -> Option<&str> {
    let path = reference.split(['?', '#']).next().unwrap_or(reference);
    let mut parts = path.rsplit('/');
    let last = parts.next()?;
    let before = parts.next()?;
    match (before, last) {
        ("Patient", id) => Some(id),
        // `Patient/{id}/_history/{v}`
        (_, _) if path.contains("/_history/") => {
            let head = path.split("/_history/").next()?;
            patient_id(head)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_references_are_read_in_every_form() {
        assert_eq!(patient_id("Patient/p1"), Some("p1"));
        assert_eq!(patient_id("https://x.org/fhir/Patient/p1"), Some("p1"));
        assert_eq!(patient_id("Patient/p1/_history/3"), Some("p1"));
        assert_eq!(patient_id("Group/g1"), None);
        assert_eq!(patient_id("urn:uuid:abc"), None);
    }
}
