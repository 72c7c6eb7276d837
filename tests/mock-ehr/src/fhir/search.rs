//! Type searches (`GET /fhir/{type}?patient=…`): the parameters a patient-scoped token may
//! use, checked as strictly as the CapabilityStatement declares them, and the matches handed
//! to `paging` as a snapshot.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::capability::{CATEGORY_TYPES, READ_ONLY_TYPES, searchable};
use super::paging::{first_page, page_count, search_fault};
use super::{Access, Refusal, authenticate, withheld};
use crate::config::Fault;
use crate::data::{in_compartment, last_updated, replace_reference, type_of};
use crate::params::Params;
use crate::state::{Inner, Provider};

/// `GET /fhir/{type}?patient=…`.
pub(crate) async fn search(
    State(provider): State<Arc<Provider>>,
    Path(resource_type): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    provider.wait_while_paused().await;
    let response = type_search(&provider, &resource_type, &headers, query.as_deref())
        .unwrap_or_else(IntoResponse::into_response);
    count_search(&provider, &resource_type, response.status());
    response
}

fn type_search(
    provider: &Provider,
    resource_type: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, Refusal> {
    if !searchable(&provider.lock(), provider.patient_id(), resource_type) {
        return Err(if READ_ONLY_TYPES.contains(&resource_type) {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                "not-supported",
                format!("{resource_type} is read by id here, not searched"),
            )
        } else {
            Refusal::new(
                StatusCode::NOT_FOUND,
                "not-supported",
                format!("unknown resource type {resource_type:?}"),
            )
        });
    }
    let token = authenticate(provider, headers)?;
    withheld(provider, &token, resource_type, Access::Search)?;
    if provider
        .config
        .throttled_once
        .iter()
        .any(|t| t == resource_type)
        && provider.lock().throttled.insert(resource_type.to_owned())
    {
        return Err(Refusal::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "too many requests; retry after the given delay",
        )
        .with_header(header::RETRY_AFTER, header::HeaderValue::from_static("1")));
    }
    if let Some(response) = search_fault(provider) {
        return Ok(response);
    }
    let params = Params::from_query(query);
    let criteria = Criteria::parse(provider, resource_type, &params, &token.patient)?;

    let mut inner = provider.lock();
    let matches: Vec<Arc<Value>> = candidates(&inner, &token.patient)
        .into_iter()
        .filter(|r| criteria.matches(r))
        .collect();
    let self_url = match query {
        Some(query) => format!("{}/{resource_type}?{query}", provider.fhir_base),
        None => format!("{}/{resource_type}", provider.fhir_base),
    };
    Ok(first_page(
        provider,
        &mut inner,
        &token.patient,
        matches,
        criteria.count,
        self_url,
    ))
}

/// The resources a search looks through: the token's patient's compartment, or, with the
/// `OtherPatientsBundle` fault, someone else's.
fn candidates(inner: &Inner, patient: &str) -> Vec<Arc<Value>> {
    let compartment = |patient_id: &str| -> Vec<Arc<Value>> {
        inner
            .record(patient_id)
            .map(|record| {
                record
                    .resources
                    .iter()
                    .filter(|r| type_of(r) != "Binary" && in_compartment(patient_id, r))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    if inner.fault != Some(Fault::OtherPatientsBundle) {
        return compartment(patient);
    }
    if let Some(other) = inner.records.iter().find(|r| r.patient_id != patient) {
        return compartment(&other.patient_id);
    }
    // No other patient configured: pass this patient's resources off as an impostor's.
    let impostor = format!("{patient}-other");
    compartment(patient)
        .into_iter()
        .map(|r| {
            let mut r = (*r).clone();
            replace_reference(
                &mut r,
                &format!("Patient/{patient}"),
                &format!("Patient/{impostor}"),
            );
            if type_of(&r) == "Patient" {
                r["id"] = Value::String(impostor.clone());
            }
            Arc::new(r)
        })
        .collect()
}

/// What a type search asked for, once checked.
struct Criteria {
    resource_type: String,
    /// `_lastUpdated` comparisons, all of which must hold.
    last_updated: Vec<(Comparison, DateTime<Utc>)>,
    /// `category` tokens as `(system, code)`; any may match.
    categories: Option<Vec<(Option<String>, String)>>,
    count: usize,
}

#[derive(Debug, Clone, Copy)]
enum Comparison {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Criteria {
    /// Checks the parameters: unknown or repeated ones are 400 (the CapabilityStatement says
    /// which exist), a patient other than the token's is 403.
    fn parse(
        provider: &Provider,
        resource_type: &str,
        params: &Params,
        token_patient: &str,
    ) -> Result<Criteria, Refusal> {
        let invalid = Refusal::invalid;
        let is_patient = resource_type == "Patient";
        let allowed = |name: &str| match name {
            "_lastUpdated" | "_count" => true,
            "_id" => is_patient,
            "patient" | "subject" => !is_patient,
            "category" => CATEGORY_TYPES.contains(&resource_type),
            _ => false,
        };
        if let Some(unknown) = params.names().find(|n| !allowed(n)) {
            return Err(invalid(format!(
                "unknown search parameter {unknown:?} for {resource_type}"
            )));
        }

        let asked_patient = if is_patient {
            params.single("_id").map_err(invalid)?.map(str::to_owned)
        } else {
            let patient = params.single("patient").map_err(invalid)?;
            let subject = params.single("subject").map_err(invalid)?;
            match (patient, subject) {
                (Some(_), Some(_)) => {
                    return Err(invalid("give patient or subject, not both".into()));
                }
                (Some(reference), None) | (None, Some(reference)) => {
                    Some(patient_id_of(provider, reference))
                }
                (None, None) => {
                    // Real EHRs refuse unbounded searches from patient-scoped apps.
                    return Err(invalid(format!(
                        "searching {resource_type} needs a patient parameter"
                    )));
                }
            }
        };
        if let Some(asked) = asked_patient
            && asked != token_patient
        {
            return Err(Refusal::forbidden(
                "the access token is not for the patient asked about",
            ));
        }

        let last_updated = params
            .all("_lastUpdated")
            .map(parse_date_comparison)
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let categories = params.single("category").map_err(invalid)?.map(|value| {
            value
                .split(',')
                .map(|token| match token.split_once('|') {
                    Some((system, code)) => (
                        Some(system.to_owned()).filter(|s| !s.is_empty()),
                        code.to_owned(),
                    ),
                    None => (None, token.to_owned()),
                })
                .collect()
        });
        let count =
            page_count(provider, params.single("_count").map_err(invalid)?).map_err(invalid)?;
        Ok(Criteria {
            resource_type: resource_type.to_owned(),
            last_updated,
            categories,
            count,
        })
    }

    fn matches(&self, resource: &Value) -> bool {
        if type_of(resource) != self.resource_type {
            return false;
        }
        let updated_ok = self.last_updated.iter().all(|(comparison, at)| {
            last_updated(resource).is_some_and(|updated| match comparison {
                Comparison::Gt => updated > *at,
                Comparison::Ge => updated >= *at,
                Comparison::Lt => updated < *at,
                Comparison::Le => updated <= *at,
            })
        });
        let category_ok = self.categories.as_ref().is_none_or(|wanted| {
            codings(&resource["category"]).any(|coding| {
                wanted.iter().any(|(system, code)| {
                    coding["code"].as_str() == Some(code)
                        && system
                            .as_deref()
                            .is_none_or(|s| coding["system"].as_str() == Some(s))
                })
            })
        });
        updated_ok && category_ok
    }
}

/// The codings of a CodeableConcept or a list of them.
fn codings(concepts: &Value) -> impl Iterator<Item = &Value> {
    let concepts: Vec<&Value> = match concepts {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    };
    concepts
        .into_iter()
        .filter_map(|c| c["coding"].as_array())
        .flatten()
}

/// The patient id in a `patient`/`subject` value: `id`, `Patient/id` or an absolute URL on
/// this server.
fn patient_id_of(provider: &Provider, reference: &str) -> String {
    let local = reference
        .strip_prefix(&provider.fhir_base)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(reference);
    local.strip_prefix("Patient/").unwrap_or(local).to_owned()
}

/// `gt2024-05-01T10:00:00Z`-style values. FHIR requires a time zone when a time is given,
/// so an unencoded `+01:00` (a space once decoded) is refused, as real servers do.
fn parse_date_comparison(value: &str) -> Result<(Comparison, DateTime<Utc>), String> {
    let (comparison, rest) = match value.get(..2) {
        Some("gt") => (Comparison::Gt, &value[2..]),
        Some("ge") => (Comparison::Ge, &value[2..]),
        Some("lt") => (Comparison::Lt, &value[2..]),
        Some("le") => (Comparison::Le, &value[2..]),
        _ => {
            return Err(format!(
                "_lastUpdated {value:?} needs a prefix: gt, ge, lt or le"
            ));
        }
    };
    let at = DateTime::parse_from_rfc3339(rest)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(rest, "%Y-%m-%d")
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .map_err(|_| {
            format!("_lastUpdated {value:?} is not a FHIR instant with a time zone, or a date")
        })?;
    Ok((comparison, at))
}
/// Counts a first-page search under `label` and the status answered.
pub(crate) fn count_search(provider: &Provider, label: &str, status: StatusCode) {
    *provider
        .lock()
        .stats
        .searches
        .entry(label.to_owned())
        .or_default()
        .entry(status.as_u16())
        .or_default() += 1;
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_updated_needs_a_prefix_and_a_time_zone() {
        assert!(parse_date_comparison("gt2024-05-01T10:00:00Z").is_ok());
        assert!(parse_date_comparison("ge2024-05-01T10:00:00.123+02:00").is_ok());
        assert!(parse_date_comparison("lt2024-05-01").is_ok());
        assert!(parse_date_comparison("2024-05-01T10:00:00Z").is_err());
        assert!(parse_date_comparison("gt2024-05-01T10:00:00 02:00").is_err());
        assert!(parse_date_comparison("gt2024-05-01T10:00:00").is_err());
    }
}
