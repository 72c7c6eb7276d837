//! Code systems: HL7 v3 OIDs (as C-CDA writes them) to the FHIR system URIs that FHIR R4
//! resources and Folio's views use, so a SNOMED code from a CCD and one from a FHIR
//! server compare equal when duplicates are merged.

pub const SNOMED: &str = "http://snomed.info/sct";
pub const LOINC: &str = "http://loinc.org";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const CVX: &str = "http://hl7.org/fhir/sid/cvx";
pub const ICD10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const UCUM: &str = "http://unitsofmeasure.org";

/// The FHIR URI of a code system given by its HL7 OID, or `urn:oid:<oid>` when Folio does
/// not know a better name (still a valid, comparable FHIR system).
pub fn system_uri_for_oid(oid: &str) -> String {
    let known = match oid {
        "2.16.840.1.113883.6.96" => SNOMED,
        "2.16.840.1.113883.6.1" => LOINC,
        "2.16.840.1.113883.6.88" => RXNORM,
        "2.16.840.1.113883.12.292" => CVX,
        "2.16.840.1.113883.6.90" => ICD10_CM,
        "2.16.840.1.113883.6.103" => "http://hl7.org/fhir/sid/icd-9-cm",
        "2.16.840.1.113883.6.104" => "http://hl7.org/fhir/sid/icd-9-cm",
        "2.16.840.1.113883.6.12" => "http://www.ama-assn.org/go/cpt",
        "2.16.840.1.113883.6.69" => "http://hl7.org/fhir/sid/ndc",
        "2.16.840.1.113883.6.285" => "urn:oid:2.16.840.1.113883.6.285",
        "2.16.840.1.113883.6.8" => UCUM,
        "2.16.840.1.113883.5.4" => "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "2.16.840.1.113883.5.83" => {
            "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
        }
        "2.16.840.1.113883.5.1" => "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender",
        "2.16.840.1.113883.5.14" => "http://terminology.hl7.org/CodeSystem/v3-ActStatus",
        "2.16.840.1.113883.5.112" => {
            "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
        }
        "2.16.840.1.113883.3.26.1.1" => "http://ncimeta.nci.nih.gov",
        "2.16.840.1.113883.4.9" => "http://fdasis.nlm.nih.gov",
        "2.16.840.1.113883.6.238" => "urn:oid:2.16.840.1.113883.6.238",
        _ => return format!("urn:oid:{oid}"),
    };
    known.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_oids_map_to_fhir_uris_and_others_to_urn_oid() {
        assert_eq!(system_uri_for_oid("2.16.840.1.113883.6.96"), SNOMED);
        assert_eq!(system_uri_for_oid("2.16.840.1.113883.12.292"), CVX);
        assert_eq!(system_uri_for_oid("1.2.3"), "urn:oid:1.2.3");
    }
}
