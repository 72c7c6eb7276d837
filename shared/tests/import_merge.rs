//! The same patient's data from two providers (a C-CDA from one, FHIR from the other)
//! merges in views: one item per clinical fact, listing both sources; nothing is deleted.

use chrono::{TimeZone, Utc};
use folio_shared::import::merge::{RecordItem, merged_view};
use folio_shared::import::{ImportOptions, import_file};
use folio_shared::record::{Entry, Op};

const CCDA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <templateId root="2.16.840.1.113883.10.20.22.1.2" extension="2015-08-01"/>
  <id root="2.16.840.1.113883.19.5" extension="doc-1"/>
  <code code="34133-9" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Summary of care</title>
  <effectiveTime value="20240301120000-0500"/>
  <recordTarget><patientRole>
    <id root="2.16.840.1.113883.19.5" extension="MRN-1"/>
    <patient><name><given>Ada</given><family>Lovelace</family></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="19801210"/></patient>
  </patientRole></recordTarget>
  <custodian><assignedCustodian><representedCustodianOrganization>
    <name>Hospital A</name></representedCustodianOrganization></assignedCustodian></custodian>
  <component><structuredBody>
    <component><section>
      <templateId root="2.16.840.1.113883.10.20.22.2.5.1" extension="2015-08-01"/>
      <code code="11450-4" codeSystem="2.16.840.1.113883.6.1"/>
      <title>Problems</title>
      <entry><act classCode="ACT" moodCode="EVN">
        <templateId root="2.16.840.1.113883.10.20.22.4.3"/>
        <statusCode code="active"/>
        <entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">
          <templateId root="2.16.840.1.113883.10.20.22.4.4" extension="2015-08-01"/>
          <id root="ab1791b0-5c71-11db-b0de-0800200c9a66"/>
          <code code="55607006" codeSystem="2.16.840.1.113883.6.96"/>
          <statusCode code="completed"/>
          <effectiveTime><low value="20200105"/></effectiveTime>
          <value xsi:type="CD" code="44054006" codeSystem="2.16.840.1.113883.6.96" displayName="Diabetes mellitus type 2"/>
        </observation></entryRelationship>
      </act></entry>
    </section></component>
    <component><section>
      <templateId root="2.16.840.1.113883.10.20.22.2.1.1" extension="2014-06-09"/>
      <code code="10160-0" codeSystem="2.16.840.1.113883.6.1"/>
      <entry><substanceAdministration classCode="SBADM" moodCode="EVN">
        <templateId root="2.16.840.1.113883.10.20.22.4.16" extension="2014-06-09"/>
        <statusCode code="active"/>
        <effectiveTime xsi:type="IVL_TS"><low value="20200110"/></effectiveTime>
        <doseQuantity value="1"/>
        <consumable><manufacturedProduct><manufacturedMaterial>
          <code code="860975" codeSystem="2.16.840.1.113883.6.88" displayName="metformin 500 MG"/>
        </manufacturedMaterial></manufacturedProduct></consumable>
      </substanceAdministration></entry>
    </section></component>
    <component><section>
      <templateId root="2.16.840.1.113883.10.20.22.2.3.1" extension="2015-08-01"/>
      <code code="30954-2" codeSystem="2.16.840.1.113883.6.1"/>
      <entry><organizer classCode="BATTERY" moodCode="EVN">
        <templateId root="2.16.840.1.113883.10.20.22.4.1" extension="2015-08-01"/>
        <code code="4548-4" codeSystem="2.16.840.1.113883.6.1"/>
        <statusCode code="completed"/>
        <effectiveTime value="20240215"/>
        <component><observation classCode="OBS" moodCode="EVN">
          <templateId root="2.16.840.1.113883.10.20.22.4.2" extension="2015-08-01"/>
          <code code="4548-4" codeSystem="2.16.840.1.113883.6.1" displayName="Hemoglobin A1c"/>
          <statusCode code="completed"/>
          <effectiveTime value="20240215"/>
          <value xsi:type="PQ" value="7.1" unit="%"/>
          <referenceRange><observationRange>
            <value xsi:type="IVL_PQ"><low value="4" unit="%"/><high value="5.6" unit="%"/></value>
          </observationRange></referenceRange>
        </observation></component>
      </organizer></entry>
    </section></component>
  </structuredBody></component>
</ClinicalDocument>"#;

const FHIR: &str = r#"{"resourceType": "Bundle", "type": "collection", "entry": [
  {"fullUrl": "urn:uuid:0b1d1c3e-0000-4000-8000-000000000001", "resource": {"resourceType": "Patient", "name": [{"family": "Lovelace", "given": ["Ada"]}]}},
  {"resource": {"resourceType": "Condition", "id": "dm2",
    "subject": {"reference": "urn:uuid:0b1d1c3e-0000-4000-8000-000000000001"},
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
    "onsetDateTime": "2020-01-05"}},
  {"resource": {"resourceType": "MedicationRequest", "id": "met", "status": "active", "intent": "order",
    "subject": {"reference": "urn:uuid:0b1d1c3e-0000-4000-8000-000000000001"},
    "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"}]},
    "authoredOn": "2020-01-10"}},
  {"resource": {"resourceType": "Observation", "id": "a1c", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
    "effectiveDateTime": "2024-02-15T08:00:00Z",
    "valueQuantity": {"value": 7.1, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}},
  {"resource": {"resourceType": "Observation", "id": "a1c-later", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
    "effectiveDateTime": "2024-02-15T18:00:00Z",
    "valueQuantity": {"value": 6.9, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}}
]}"#;

#[test]
fn overlapping_records_from_two_providers_merge_in_views_with_both_sources() {
    let at = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
    let hospital = import_file("summary.xml", CCDA.as_bytes(), &ImportOptions::new(at)).unwrap();
    assert_eq!(hospital.report.count("Condition"), 1);
    assert_eq!(hospital.report.count("MedicationStatement"), 1);
    assert_eq!(hospital.report.count("Observation"), 1);
    assert_eq!(hospital.report.count("DiagnosticReport"), 1);
    let clinic = import_file(
        "clinic.json",
        FHIR.as_bytes(),
        &ImportOptions::new(at).with_provider("Clinic B"),
    )
    .unwrap();

    let all: Vec<Entry> = hospital.entries.into_iter().chain(clinic.entries).collect();
    let items: Vec<RecordItem> = all
        .iter()
        .map(|e| match &e.op {
            Op::Put { resource, source } => RecordItem {
                id: &e.id,
                resource,
                source,
            },
            Op::Delete => unreachable!(),
        })
        .collect();
    let view = merged_view(&items);

    for kind in ["condition", "medication"] {
        let items: Vec<_> = view.iter().filter(|i| i.kind == kind).collect();
        assert_eq!(items.len(), 1, "{kind}: {items:?}");
        assert_eq!(items[0].entries.len(), 2);
        let mut p: Vec<_> = items[0]
            .sources
            .iter()
            .map(|s| s.provider.clone().unwrap())
            .collect();
        p.sort();
        assert_eq!(p, ["Clinic B", "Hospital A"]);
    }
    let condition = view.iter().find(|i| i.kind == "condition").unwrap();
    assert_eq!(
        condition.code,
        Some(("http://snomed.info/sct".into(), "44054006".into()))
    );
    assert_eq!(condition.date.as_deref(), Some("2020-01-05"));

    // The A1c of the same day and value merges; the evening reading stays its own item.
    let a1c: Vec<_> = view.iter().filter(|i| i.kind == "observation").collect();
    assert_eq!(a1c.len(), 2, "{a1c:?}");
    assert_eq!(a1c.iter().map(|i| i.entries.len()).sum::<usize>(), 3);
    assert!(a1c.iter().any(|i| i.sources.len() == 2));
    // Patients, the report and the document are not clinical facts: never merged.
    assert!(
        view.iter()
            .filter(|i| i.kind == "Patient")
            .all(|i| i.entries.len() == 1)
    );
    // Nothing is dropped: every entry appears in exactly one view item.
    assert_eq!(
        view.iter().map(|i| i.entries.len()).sum::<usize>(),
        all.len()
    );
}

#[test]
fn a_scanned_pdf_becomes_a_document_reference_to_a_separate_attachment() {
    let at = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
    let mut opts = ImportOptions::new(at).with_provider("Dr. Smith");
    opts.document.title = Some("Cardiology letter".into());
    opts.document.date = Some("2025-11-02".into());
    opts.document.tags = vec!["cardiology".into()];
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    let out = import_file("letter.pdf", pdf, &opts).unwrap();
    assert_eq!(out.attachments.len(), 1);
    assert_eq!(out.attachments[0].content_type, "application/pdf");
    assert_eq!(out.attachments[0].bytes, pdf);
    let Op::Put { resource, source } = &out.entries[0].op else {
        unreachable!()
    };
    assert_eq!(resource["resourceType"], "DocumentReference");
    assert_eq!(
        resource["content"][0]["attachment"]["url"],
        format!("folio-attachment:{}", out.attachments[0].id)
    );
    assert_eq!(resource["description"], "Cardiology letter");
    assert_eq!(resource["category"][0]["text"], "cardiology");
    assert_eq!(source.provider.as_deref(), Some("Dr. Smith"));
    // PNG and JPEG by their magic bytes, whatever the name says.
    let png = import_file("scan.pdf", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", &opts).unwrap();
    assert_eq!(png.attachments[0].content_type, "image/png");
    let jpg = import_file("photo", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], &opts).unwrap();
    assert_eq!(jpg.attachments[0].content_type, "image/jpeg");
}
