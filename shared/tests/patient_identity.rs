//! Patient identity: the match rule an import applies (same person in other spellings and
//! from other sources; a different birth date; a shared identifier; a file without a
//! patient) and the one computed patient every page names, on files of the shared corpus.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use folio_shared::clinical_view::ClinicalViewBuilder;
use folio_shared::import::{ImportOptions, import_file};
use folio_shared::patient_identity::{
    Difference, PatientCheck, PatientDetails, PatientMatch, record_patient, same_person,
};
use folio_shared::record::{Entry, EntryId, Op, Source};
use folio_shared::share::{SharePreview, ShareSelection, share_bundle};
use folio_shared::vault::VaultContents;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The sample data, `shared/data` beside the repository: found from the crate upwards, so
/// it is found from a worktree nested deeper as well.
fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/data"))
        .find(|dir| dir.join("README.md").is_file())
        .expect("the sample data, shared/data beside the repository")
}
/// A man born 1963-10-05.
const RIOJAS: &str = "fhir-r4/synthea/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json";
/// A woman born 1965-04-07.
const TURNER: &str = "fhir-r4/synthea/Catherine_Turner_fa4fbf0c-f581-41f2-889b-f3769e57681d.json";
/// Eve Everywoman, a woman born 1975-05-01, as a C-CDA.
const EVE_CCDA: &str = "ccda/hl7-examples/CCD_1.xml";

fn day(days: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap() + Duration::days(days)
}

/// The entries importing `file` (under `provider`, on `at`) makes.
fn import(file: &str, provider: &str, at: DateTime<Utc>) -> Vec<Entry> {
    let path = data_dir().join(file);
    let name = path.file_name().unwrap().to_str().unwrap();
    let opts = ImportOptions::new(at).with_provider(provider.to_owned());
    import_file(name, &std::fs::read(&path).unwrap(), &opts)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .entries
}

fn patients(entries: &[Entry]) -> Vec<(&EntryId, &Value)> {
    entries
        .iter()
        .filter_map(|e| match &e.op {
            Op::Put { resource, .. } if e.id.resource_type() == "Patient" => {
                Some((&e.id, resource))
            }
            _ => None,
        })
        .collect()
}

fn record_of(entries: Vec<Entry>) -> VaultContents {
    let mut contents = VaultContents::default();
    for entry in entries {
        contents.apply(entry);
    }
    contents
}

/// The Synthea Patient of `file`, to edit into other spellings.
fn synthea_patient(file: &str) -> Value {
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(data_dir().join(file)).unwrap()).unwrap();
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .find(|r| r["resourceType"] == "Patient")
        .unwrap()
}

fn without_identifiers(mut patient: Value) -> Value {
    patient.as_object_mut().unwrap().remove("identifier");
    patient
}

#[test]
fn the_same_person_in_other_spellings_and_sources_matches() {
    let original = PatientDetails::of(&synthea_patient(RIOJAS));
    assert_eq!(original.name.as_deref(), Some("Alejandro Riojas"));
    let spellings = [
        json!({"name": [{"family": "RIOJAS", "given": ["ALEJANDRO"]}], "birthDate": "1963-10-05"}),
        json!({"name": [{"family": " Ríojas ", "given": ["Alejándro", "José"]}], "gender": "male"}),
        json!({"name": [{"family": "Riojas", "given": ["A."]}], "birthDate": "1963"}),
        json!({"name": [{"text": "Alejandro Riojas"}], "gender": "unknown"}),
        json!({"name": [{"use": "nickname", "given": ["Alex"]}, {"family": "riojas", "given": ["alejandro"]}]}),
    ];
    for spelling in spellings {
        let other = PatientDetails::of(&spelling);
        assert_eq!(same_person(&original, &other), Ok(()), "{spelling}");
        assert_eq!(
            same_person(&other, &original),
            Ok(()),
            "{spelling}, turned round"
        );
    }
}

#[test]
fn a_different_birth_date_name_or_sex_is_someone_else() {
    let riojas = synthea_patient(RIOJAS);
    let original = PatientDetails::of(&riojas);
    let mut born_later = riojas.clone();
    born_later["birthDate"] = json!("1964-10-05");
    // Even with the same identifiers: a birth date decides.
    assert_eq!(
        same_person(&original, &PatientDetails::of(&born_later)),
        Err(Difference::BirthDate)
    );
    let mut brother = without_identifiers(riojas.clone());
    brother["name"][0]["given"] = json!(["Roberto"]);
    assert_eq!(
        same_person(&original, &PatientDetails::of(&brother)),
        Err(Difference::Name)
    );
    let mut other_sex = without_identifiers(riojas);
    other_sex["gender"] = json!("female");
    assert_eq!(
        same_person(&original, &PatientDetails::of(&other_sex)),
        Err(Difference::Sex)
    );
    assert!(
        same_person(&original, &PatientDetails::of(&synthea_patient(TURNER))).is_err(),
        "two Synthea patients are two people"
    );
}

#[test]
fn a_shared_identifier_is_the_same_person_under_another_name() {
    let riojas = synthea_patient(RIOJAS);
    let original = PatientDetails::of(&riojas);
    let mut renamed = riojas.clone();
    renamed["name"] = json!([{"family": "Smith", "given": ["Alex"]}]);
    renamed["gender"] = json!("other");
    // Only the social security number is kept.
    renamed["identifier"] = json!([riojas["identifier"][2].clone()]);
    assert_eq!(
        same_person(&original, &PatientDetails::of(&renamed)),
        Ok(())
    );
    assert_eq!(
        same_person(
            &original,
            &PatientDetails::of(&without_identifiers(renamed))
        ),
        Err(Difference::Name)
    );
}

#[test]
fn an_import_is_first_then_matched_and_another_patient_is_a_mismatch() {
    let riojas = import(RIOJAS, "Clinic A", day(0));
    let empty = VaultContents::default();
    let first = PatientCheck::of(patients(&riojas), &empty);
    assert_eq!(first.outcome(), PatientMatch::First);
    assert_eq!(
        first.file_patient().and_then(|p| p.name.as_deref()),
        Some("Alejandro Riojas")
    );

    let record = record_of(riojas.clone());
    // The same file again: its Patient is in the record already.
    let again = PatientCheck::of(patients(&riojas), &record);
    assert_eq!(again.outcome(), PatientMatch::Matched);
    // The same person from another provider: other entries, the same person.
    let elsewhere = import(RIOJAS, "Clinic B", day(1));
    assert_ne!(patients(&elsewhere)[0].0, patients(&riojas)[0].0);
    assert_eq!(
        PatientCheck::of(patients(&elsewhere), &record).outcome(),
        PatientMatch::Matched
    );

    // Another Synthea patient, and a C-CDA of a third person.
    for other in [
        import(TURNER, "Clinic A", day(2)),
        import(EVE_CCDA, "Clinic A", day(2)),
    ] {
        let check = PatientCheck::of(patients(&other), &record);
        assert_eq!(check.outcome(), PatientMatch::Mismatch);
        let PatientCheck::Mismatch {
            file,
            record: whose,
            difference,
            within_file,
        } = &check
        else {
            unreachable!()
        };
        assert_eq!(whose.name.as_deref(), Some("Alejandro Riojas"));
        assert_ne!(file.name.as_deref(), Some("Alejandro Riojas"));
        assert_eq!(*difference, Difference::BirthDate);
        assert!(!within_file);
        let sentence = check.mismatch_sentence().unwrap();
        assert!(
            sentence.contains(&file.describe()) && sentence.contains("Alejandro Riojas"),
            "{sentence}"
        );
    }
}

#[test]
fn a_file_without_a_patient_matches_and_says_so() {
    let observation = json!({"resourceType": "Observation", "status": "final",
        "code": {"text": "Weight"}, "valueQuantity": {"value": 70, "unit": "kg"}});
    let entries = import_json(&observation);
    assert!(patients(&entries).is_empty());
    for record in [
        VaultContents::default(),
        record_of(import(RIOJAS, "Clinic A", day(0))),
    ] {
        let check = PatientCheck::of(patients(&entries), &record);
        assert_eq!(check, PatientCheck::NoPatient);
        assert_eq!(check.outcome(), PatientMatch::Matched);
        assert_eq!(check.file_patient(), None);
    }
}

#[test]
fn a_file_about_two_people_is_a_mismatch_even_in_a_new_record() {
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "a",
            "name": [{"family": "Jones", "given": ["Myra"]}], "birthDate": "1945-02-01"}},
        {"resource": {"resourceType": "Patient", "id": "b",
            "name": [{"family": "Jones", "given": ["Frank"]}], "birthDate": "1940-06-11"}}
    ]});
    let check = PatientCheck::of(patients(&import_json(&bundle)), &VaultContents::default());
    assert!(matches!(
        check,
        PatientCheck::Mismatch {
            within_file: true,
            ..
        }
    ));
}

fn import_json(value: &Value) -> Vec<Entry> {
    import_file(
        "file.json",
        value.to_string().as_bytes(),
        &ImportOptions::new(day(0)),
    )
    .unwrap()
    .entries
}

fn put(id: &str, resource: Value, source: Source, at: DateTime<Utc>) -> Entry {
    Entry {
        id: EntryId(id.into()),
        op: Op::Put { resource, source },
        at,
    }
}

fn source(file: &str, at: DateTime<Utc>, patient_reported: bool) -> Source {
    Source {
        file: Some(file.into()),
        retrieved_at: at,
        patient_reported,
        ..Source::default()
    }
}

/// The name each page shows: the record's patient, the `/record` banner, and the share
/// preview and the clinician's banner of a share.
fn names_shown(record: &VaultContents) -> [Option<String>; 4] {
    let today = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    let chosen = record_patient(record).expect("a patient");
    let mut builder = ClinicalViewBuilder::new(today);
    // As `/record` builds it: every resource, the record's patient named.
    for (_, stored) in record.iter() {
        builder.add_borrowed(&stored.resource, None);
    }
    builder.name_patient(&chosen.stored.resource, None);
    let banner = builder.build().patient.and_then(|p| p.name);
    let bundle = share_bundle(record, &ShareSelection::default(), day(10)).unwrap();
    let preview = SharePreview::of(&bundle).patient_name;
    let mut viewer = ClinicalViewBuilder::new(today);
    viewer.add_json(&bundle, None);
    let clinician = viewer.build().patient.and_then(|p| p.name);
    [chosen.details.name, banner, preview, clinician]
}

#[test]
fn the_record_is_named_after_the_patients_own_entry_then_the_most_recent_source() {
    // Older first by entry id, so the first-by-id rule of old would pick it.
    let older = json!({"resourceType": "Patient", "id": "a",
        "name": [{"family": "Jones", "given": ["Myra"]}], "birthDate": "1945-02-01"});
    let newer = json!({"resourceType": "Patient", "id": "b",
        "name": [{"family": "Jones-Smith", "given": ["Myra", "Ann"]}], "birthDate": "1945-02-01",
        "gender": "female"});
    let mut record = record_of(vec![
        put(
            "Patient/a",
            older,
            source("old.json", day(0), false),
            day(0),
        ),
        put(
            "Patient/b",
            newer,
            source("new.json", day(5), false),
            day(5),
        ),
        put(
            "Condition/c",
            json!({"resourceType": "Condition", "id": "c", "code": {"text": "Asthma"},
                "subject": {"reference": "Patient/a"}}),
            source("old.json", day(0), false),
            day(0),
        ),
    ]);
    let newest = Some("Myra Ann Jones-Smith".to_owned());
    assert_eq!(names_shown(&record), [0, 1, 2, 3].map(|_| newest.clone()));
    let details = record_patient(&record).unwrap().details;
    assert_eq!(
        details.age_on(NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()),
        Some(80)
    );
    assert_eq!(details.sex.as_deref(), Some("female"));

    // The patient's own entry wins over any import, older or not.
    record.apply(put(
        "Patient/own",
        json!({"resourceType": "Patient", "id": "own", "name": [{"family": "Jones", "given": ["Myra"], "text": "Myra A. Jones"}]}),
        source("entered", day(-30), true),
        day(-30),
    ));
    let own = Some("Myra A. Jones".to_owned());
    assert_eq!(names_shown(&record), [0, 1, 2, 3].map(|_| own.clone()));
}
