//! A record's entries in a patient's words: what kind of thing an entry is ("Lab result",
//! not "Observation"), the code that names it ("LOINC 29463-7", so the patient learns what
//! to search for), and a field's name and value as a person reads them.

use serde_json::Value;

use super::classify::{ObservationKind, category_codes, observation_kind};
use super::dates::date_text;
use super::fhir::resource_type;

/// What kind of entry `resource` is, in words.
pub fn kind_of(resource: &Value) -> &'static str {
    match resource_type(resource) {
        "Observation" => match observation_kind(resource) {
            ObservationKind::VitalSign => "Vital sign",
            ObservationKind::SocialHistory => "Social history",
            ObservationKind::Survey => "Questionnaire answer",
            ObservationKind::Result if is_lab(resource) => "Lab result",
            ObservationKind::Result => "Result",
        },
        "DiagnosticReport" => "Report",
        "Condition" => "Problem",
        "AllergyIntolerance" => "Allergy",
        "MedicationRequest" => "Prescription",
        "MedicationStatement" => "Medication",
        "MedicationDispense" => "Medication dispensed",
        "MedicationAdministration" => "Medication given",
        "Medication" => "Medicine",
        "Immunization" => "Vaccination",
        "Procedure" => "Procedure",
        "Encounter" => "Visit",
        "DocumentReference" | "Binary" => "Document",
        "Patient" => "Your details",
        "Claim" | "ExplanationOfBenefit" => "Insurance claim",
        "Coverage" => "Insurance",
        "CarePlan" => "Care plan",
        "CareTeam" => "Care team",
        "Goal" => "Goal",
        "FamilyMemberHistory" => "Family history",
        "ServiceRequest" => "Order or referral",
        "ImagingStudy" => "Imaging",
        "Device" => "Device",
        "Organization" => "Provider",
        "Practitioner" | "PractitionerRole" => "Clinician",
        "Location" => "Place",
        "Provenance" => "Record history",
        "QuestionnaireResponse" => "Questionnaire",
        _ => "Other entry",
    }
}

fn is_lab(observation: &Value) -> bool {
    category_codes(observation)
        .iter()
        .any(|code| code.eq_ignore_ascii_case("laboratory"))
}

/// The code that names `resource`, with its system in words: "LOINC 29463-7",
/// "SNOMED CT 44054006", "RxNorm 314076", "CVX 140". `None` for a system a patient could
/// not search by or when there is no code.
pub fn code_of(resource: &Value) -> Option<String> {
    let concept = ["code", "vaccineCode", "medicationCodeableConcept"]
        .into_iter()
        .find_map(|field| resource.get(field))?;
    concept
        .get("coding")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|coding| {
            let system = system_name(coding.get("system").and_then(Value::as_str)?)?;
            let code = coding.get("code").and_then(Value::as_str)?.trim();
            (!code.is_empty()).then(|| format!("{system} {code}"))
        })
}

fn system_name(system: &str) -> Option<&'static str> {
    Some(match system {
        "http://loinc.org" => "LOINC",
        "http://snomed.info/sct" => "SNOMED CT",
        "http://www.nlm.nih.gov/research/umls/rxnorm" => "RxNorm",
        "http://hl7.org/fhir/sid/cvx" => "CVX",
        "http://hl7.org/fhir/sid/icd-10-cm" => "ICD-10-CM",
        "http://hl7.org/fhir/sid/icd-10" => "ICD-10",
        "http://www.ama-assn.org/go/cpt" => "CPT",
        _ => return None,
    })
}

/// A field's name in words: the names a patient meets most say what they mean
/// ("effectiveDateTime" is "When"); the rest are split into words ("onsetAge" is
/// "onset age").
pub fn field_name(name: &str) -> String {
    let known = match name {
        "effectiveDateTime" | "effectivePeriod" | "effectiveInstant" => "When",
        "issued" => "Reported",
        "recordedDate" | "recorded" => "Recorded",
        "onsetDateTime" | "onsetPeriod" | "onsetString" => "Since",
        "abatementDateTime" | "abatementPeriod" | "abatementString" => "Ended",
        "authoredOn" => "Prescribed",
        "occurrenceDateTime" | "occurrenceString" => "Given",
        "performedDateTime" | "performedPeriod" => "Done",
        "valueQuantity"
        | "valueString"
        | "valueCodeableConcept"
        | "valueBoolean"
        | "valueInteger" => "Value",
        "clinicalStatus" => "Status",
        "verificationStatus" => "Confirmed",
        "status" => "Record status",
        "code" | "vaccineCode" | "medicationCodeableConcept" => "What",
        "category" => "Kind",
        "interpretation" => "Result flag",
        "referenceRange" => "Normal range",
        "dosageInstruction" => "How to take it",
        "requester" => "Prescribed by",
        "performer" => "By",
        "reasonCode" | "reasonReference" => "Why",
        "bodySite" => "Where on the body",
        "note" => "Notes",
        "reaction" => "Reactions",
        "criticality" => "How serious",
        "period" => "When",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_owned();
    }
    let mut out = String::new();
    for c in name.chars() {
        if c.is_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// A field's value in words, or `None` when it holds nothing a patient reads (a bare
/// reference to another entry such as "Patient/9ae5…", an empty list).
pub fn field_value(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if looks_like_a_date(s) => Some(date_text(s)),
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "yes" } else { "no" }.into()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(field_value).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(fields) => {
            if let Some(text) = super::fhir::concept_text(value) {
                return Some(text);
            }
            if let Some(display) = fields.get("display").and_then(Value::as_str) {
                return Some(display.to_owned());
            }
            if let Some(quantity) = fields.get("value").filter(|v| v.is_number()) {
                let unit = fields
                    .get("unit")
                    .or(fields.get("code"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                return Some(format!("{quantity} {unit}").trim().to_owned());
            }
            if fields.contains_key("reference") {
                // Another entry of the record, by its id: nothing to read here.
                return None;
            }
            if let (Some(start), end) = (
                fields.get("start").and_then(Value::as_str),
                fields.get("end").and_then(Value::as_str),
            ) {
                return Some(match end {
                    Some(end) => format!("{} to {}", date_text(start), date_text(end)),
                    None => format!("from {}", date_text(start)),
                });
            }
            let parts: Vec<String> = fields
                .iter()
                .filter(|(k, _)| !k.starts_with('_') && *k != "extension")
                .filter_map(|(k, v)| Some(format!("{}: {}", field_name(k), field_value(v)?)))
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
    }
}

/// A measurement's value in words ("98 mg/dL", "Negative"), for an Observation that has one.
pub fn value_of(resource: &Value) -> Option<String> {
    if resource_type(resource) != "Observation" {
        return None;
    }
    [
        "valueQuantity",
        "valueCodeableConcept",
        "valueString",
        "valueBoolean",
        "valueInteger",
    ]
    .into_iter()
    .find_map(|field| resource.get(field).and_then(field_value))
}

/// What a file added, in a patient's terms, largest first: "19 test results and
/// measurements", "5 vaccinations", "1 allergy". `counts` is by FHIR resource type, as an
/// import report gives it; types that say the same thing to a patient (prescriptions and
/// medication lists) are added up, and the patient's own details are left out.
pub fn counts_in_words(counts: &std::collections::BTreeMap<String, usize>) -> Vec<String> {
    let mut by_words: Vec<(&'static str, &'static str, usize)> = Vec::new();
    for (resource_type, &n) in counts {
        let Some((one, many)) = plural_of(resource_type) else {
            continue;
        };
        match by_words.iter_mut().find(|(o, _, _)| *o == one) {
            Some((_, _, total)) => *total += n,
            None => by_words.push((one, many, n)),
        }
    }
    by_words.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    by_words
        .into_iter()
        .filter(|(_, _, n)| *n > 0)
        .map(|(one, many, n)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect()
}

fn plural_of(resource_type: &str) -> Option<(&'static str, &'static str)> {
    Some(match resource_type {
        "Patient" => return None,
        "AllergyIntolerance" => ("allergy", "allergies"),
        "Condition" => ("problem", "problems"),
        "MedicationRequest"
        | "MedicationStatement"
        | "MedicationDispense"
        | "MedicationAdministration"
        | "Medication" => ("medication", "medications"),
        "Immunization" => ("vaccination", "vaccinations"),
        "Observation" => (
            "test result or measurement",
            "test results and measurements",
        ),
        "DiagnosticReport" => ("report", "reports"),
        "Procedure" => ("procedure", "procedures"),
        "Encounter" => ("visit", "visits"),
        "DocumentReference" | "Binary" => ("document", "documents"),
        "Claim" | "ExplanationOfBenefit" => ("insurance claim", "insurance claims"),
        "Coverage" => ("insurance plan", "insurance plans"),
        "CarePlan" => ("care plan", "care plans"),
        "CareTeam" => ("care team", "care teams"),
        "FamilyMemberHistory" => ("family history entry", "family history entries"),
        "ServiceRequest" => ("order or referral", "orders and referrals"),
        "ImagingStudy" => ("imaging study", "imaging studies"),
        "Organization" | "Practitioner" | "PractitionerRole" | "Location" => {
            ("provider detail", "provider details")
        }
        _ => ("other entry", "other entries"),
    })
}

/// `YYYY-MM-DD…`: a FHIR date or dateTime, shown as precisely as it is known.
fn looks_like_a_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_are_named_in_words() {
        let lab = json!({"resourceType": "Observation",
            "category": [{"coding": [{"code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}]}});
        assert_eq!(kind_of(&lab), "Lab result");
        assert_eq!(code_of(&lab).as_deref(), Some("LOINC 2339-0"));
        let weight = json!({"resourceType": "Observation",
            "category": [{"coding": [{"code": "vital-signs"}]}]});
        assert_eq!(kind_of(&weight), "Vital sign");
        assert_eq!(kind_of(&json!({"resourceType": "Condition"})), "Problem");
        assert_eq!(kind_of(&json!({"resourceType": "Basic"})), "Other entry");
        let vaccine = json!({"resourceType": "Immunization",
            "vaccineCode": {"coding": [{"system": "urn:oid:1.2.3", "code": "x"},
                {"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]}});
        assert_eq!(code_of(&vaccine).as_deref(), Some("CVX 140"));
        assert_eq!(code_of(&json!({"code": {"text": "no coding"}})), None);
        let glucose = json!({"resourceType": "Observation",
            "valueQuantity": {"value": 98, "unit": "mg/dL"}});
        assert_eq!(value_of(&glucose).as_deref(), Some("98 mg/dL"));
        assert_eq!(value_of(&json!({"resourceType": "Condition"})), None);
    }

    #[test]
    fn a_file_is_summed_up_in_words_largest_first() {
        let counts = [
            ("Observation", 19),
            ("Immunization", 5),
            ("MedicationStatement", 2),
            ("MedicationRequest", 1),
            ("AllergyIntolerance", 1),
            ("Patient", 1),
            ("Basic", 2),
        ]
        .into_iter()
        .map(|(t, n)| (t.to_owned(), n))
        .collect();
        assert_eq!(
            counts_in_words(&counts),
            [
                "19 test results and measurements",
                "5 vaccinations",
                "3 medications",
                "2 other entries",
                "1 allergy"
            ]
        );
    }

    #[test]
    fn fields_read_as_words_and_references_are_left_out() {
        assert_eq!(field_name("effectiveDateTime"), "When");
        assert_eq!(field_name("onsetAge"), "onset age");
        assert_eq!(field_value(&json!({"reference": "Patient/9ae5"})), None);
        assert_eq!(
            field_value(&json!({"reference": "Practitioner/1", "display": "Dr. Lee"})).as_deref(),
            Some("Dr. Lee")
        );
        assert_eq!(
            field_value(&json!("2017-09-28T00:00:00-04:00")).as_deref(),
            Some("2017-09-28")
        );
        assert_eq!(field_value(&json!("final")).as_deref(), Some("final"));
        assert_eq!(
            field_value(&json!({"value": 72.5, "unit": "kg"})).as_deref(),
            Some("72.5 kg")
        );
    }
}
