//! What the server says it supports (`GET /fhir/metadata`), and the same lists the search
//! code enforces, so the CapabilityStatement never promises what the server refuses.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::fhir_json;
use crate::data::{in_compartment, instant, type_of};
use crate::state::{Inner, Provider};

/// Patient-compartment types searchable with `patient`, whether or not this patient has
/// any (an empty searchset is an answer; a 404 would not be).
const COMPARTMENT_TYPES: &[&str] = &[
    "AllergyIntolerance",
    "CarePlan",
    "CareTeam",
    "Claim",
    "Condition",
    "Coverage",
    "Device",
    "DiagnosticReport",
    "DocumentReference",
    "Encounter",
    "ExplanationOfBenefit",
    "Goal",
    "ImagingStudy",
    "Immunization",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Procedure",
    "ServiceRequest",
];

/// Types outside the patient compartment: read by id (a client resolving a reference),
/// never searched.
pub(crate) const READ_ONLY_TYPES: &[&str] = &[
    "Binary",
    "Location",
    "Medication",
    "Organization",
    "Practitioner",
    "PractitionerRole",
];

/// Types that also take the `category` search parameter (US Core's categorised types).
pub(crate) const CATEGORY_TYPES: &[&str] = &[
    "CarePlan",
    "Condition",
    "DiagnosticReport",
    "DocumentReference",
    "Observation",
];

/// Whether `resource_type` can be searched with `patient` here: a compartment type, or a
/// type the patient's record holds compartment resources of.
pub(crate) fn searchable(inner: &Inner, patient_id: &str, resource_type: &str) -> bool {
    resource_type == "Patient"
        || COMPARTMENT_TYPES.contains(&resource_type)
        || (!READ_ONLY_TYPES.contains(&resource_type)
            && inner.record(patient_id).is_some_and(|record| {
                record
                    .resources
                    .iter()
                    .any(|r| type_of(r) == resource_type && in_compartment(patient_id, r))
            }))
}

/// Every searchable type, sorted (Patient included).
fn searchable_types(inner: &Inner, patient_id: &str) -> BTreeSet<String> {
    let mut types: BTreeSet<String> = COMPARTMENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
    types.insert("Patient".to_owned());
    if let Some(record) = inner.record(patient_id) {
        types.extend(
            record
                .resources
                .iter()
                .filter(|r| in_compartment(patient_id, r))
                .map(|r| type_of(r).to_owned())
                .filter(|t| !READ_ONLY_TYPES.contains(&t.as_str())),
        );
    }
    types
}

/// `GET /fhir/metadata`: an R4 CapabilityStatement, readable without a token (clients read
/// it before signing in).
pub(crate) async fn metadata(State(provider): State<Arc<Provider>>) -> Response {
    let types = searchable_types(&provider.lock(), provider.patient_id());
    let search_param = |name: &str, kind: &str| json!({"name": name, "type": kind});
    let mut resources: Vec<Value> = types
        .iter()
        .map(|resource_type| {
            let mut params = vec![search_param("_lastUpdated", "date")];
            if resource_type == "Patient" {
                params.push(search_param("_id", "token"));
            } else {
                params.push(search_param("patient", "reference"));
                params.push(search_param("subject", "reference"));
            }
            if CATEGORY_TYPES.contains(&resource_type.as_str()) {
                params.push(search_param("category", "token"));
            }
            let mut resource = json!({
                "type": resource_type,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": params,
            });
            if resource_type == "Patient" && provider.config.everything {
                resource["operation"] = json!([{
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"
                }]);
            }
            resource
        })
        .collect();
    resources.extend(
        READ_ONLY_TYPES
            .iter()
            .map(|t| json!({"type": t, "interaction": [{"code": "read"}]})),
    );
    resources.sort_by(|a, b| a["type"].as_str().cmp(&b["type"].as_str()));

    let statement = json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(chrono::Utc::now()),
        "kind": "instance",
        "software": {"name": "Folio mock EHR"},
        "implementation": {"description": provider.config.name, "url": provider.fhir_base},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": provider.config.cors,
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"
                }]}],
                "extension": [{
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    "extension": [
                        {"url": "authorize", "valueUri": provider.authorization_endpoint()},
                        {"url": "token", "valueUri": provider.token_endpoint()}
                    ]
                }]
            },
            "resource": resources
        }]
    });
    fhir_json(StatusCode::OK, &statement)
}
