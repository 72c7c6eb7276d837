//! The provider directory as shipped (`public/providers/directory.json`, written by
//! `cargo xtask provider-directory`): it holds every entry of its source lists with their
//! addresses unchanged, its gzip is the same file, and real providers are found by name.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use folio_shared::provider_directory::{DirectoryEntry, ProviderDirectory};
use serde_json::Value;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/providers")
}

fn directory() -> ProviderDirectory {
    let bytes = std::fs::read(shipped().join("directory.json")).expect("the committed directory");
    ProviderDirectory::from_json(&bytes).expect("the committed directory reads")
}

/// The lists it is made from, when this machine has them.
fn sources() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/providers");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: the source lists are not at {} (the checks against them need them)",
            dir.display()
        );
        None
    }
}

fn read_json(dir: &Path, file: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap()
}

type Addresses = (
    String,
    String,
    Option<String>,
    Option<String>,
    Vec<(String, String)>,
);

fn addresses(entry: &DirectoryEntry) -> Addresses {
    (
        entry.name.clone(),
        entry.fhir_base.clone(),
        entry.authorize.clone(),
        entry.token.clone(),
        entry.extra_params.clone(),
    )
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

#[test]
fn every_source_entry_is_in_the_directory_with_its_addresses_unchanged() {
    let Some(dir) = sources() else {
        return;
    };
    let directory = directory();
    let mut expected: Vec<Addresses> = Vec::new();
    for file in [
        "mere-medical-epic-r4.json",
        "mere-medical-cerner-r4.json",
        "mere-medical-healow-ecw-r4.json",
    ] {
        for entry in read_json(&dir, file).as_array().unwrap() {
            expected.push((
                text(&entry["name"]).unwrap(),
                text(&entry["url"]).unwrap(),
                text(&entry["authorize"]),
                text(&entry["token"]),
                Vec::new(),
            ));
        }
    }
    for (practice, name) in read_json(&dir, "mere-medical-athena-organizations.json")
        .as_object()
        .unwrap()
    {
        expected.push((
            text(name).unwrap(),
            "https://api.platform.athenahealth.com/fhir/r4".into(),
            Some("https://api.platform.athenahealth.com/oauth2/v1/authorize".into()),
            Some("https://api.platform.athenahealth.com/oauth2/v1/token".into()),
            vec![(
                "ah-practice".into(),
                format!("Organization/a-1.Practice-{practice}"),
            )],
        ));
    }
    // The vendors' sandboxes are added where the lists do not hold them already (same
    // sign-in or FHIR base) and a FHIR base is known.
    let listed = expected.len();
    let sandboxes = read_json(&dir, "sandboxes.json");
    let added = sandboxes["sandboxes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let Some(base) = text(&s["fhir_base"]).or(text(&s["fhir_base_patient_access"])) else {
                return false;
            };
            let authorize = text(&s["authorize"]);
            !expected[..listed]
                .iter()
                .any(|e| e.1 == base || (authorize.is_some() && e.2 == authorize))
        })
        .count();
    assert_eq!(
        listed,
        807 + 1454 + 6919 + 21757,
        "the source lists changed"
    );
    assert_eq!(directory.len(), listed + added);

    let mut held: HashMap<Addresses, usize> = HashMap::new();
    for entry in directory.entries() {
        *held.entry(addresses(&entry)).or_default() += 1;
    }
    for source in expected {
        let count = held.get_mut(&source);
        assert!(
            count.as_ref().is_some_and(|c| **c > 0),
            "not in the directory as its list gives it: {source:?}"
        );
        *count.unwrap() -= 1;
    }
    let sandboxes: Vec<String> = directory
        .entries()
        .filter(|e| e.sandbox)
        .map(|e| e.name)
        .collect();
    assert!(
        sandboxes.len() >= 3 + added,
        "the lists' own sandboxes and the added ones: {sandboxes:?}"
    );
}

#[test]
fn known_providers_of_each_vendor_come_back_exactly() {
    let directory = directory();
    let find = |name: &str| -> DirectoryEntry {
        directory
            .search(name, 5)
            .into_iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the first five"))
    };
    let s = |v: &str| Some(v.to_owned());

    let aaci = find("AACI");
    assert_eq!(aaci.vendor, "Epic");
    assert_eq!(
        (aaci.fhir_base.as_str(), aaci.authorize, aaci.token),
        (
            "https://webprd.ochin.org/prd-fhir/MyChartAACI/api/FHIR/R4/",
            s("https://webprd.ochin.org/prd-fhir/MyChartAACI/oauth2/authorize"),
            s("https://webprd.ochin.org/prd-fhir/MyChartAACI/oauth2/token")
        )
    );
    // Off Epic's pattern: the sign-in is on another path, the FHIR base in capitals.
    let kaiser = find("Kaiser Permanente - Northern California");
    assert_eq!(
        (kaiser.fhir_base.as_str(), kaiser.authorize, kaiser.token),
        (
            "https://FHIR.KP.ORG/service/ptnt_care/EpicEdiFhirRoutingSvc/v2014/esb-envlbl/326/api/FHIR/R4/",
            s("https://fhir.kp.org/KPPolarisPortal/esb-envlbl/326/oauth2/authorize"),
            s("https://fhir.kp.org/KPPolarisPortal/esb-envlbl/326/oauth2/token")
        )
    );
    // Oracle Health: the tenant is the address's (the list's id differs from it here).
    let beacon = find("Beacon Health System");
    assert_eq!(beacon.vendor, "Oracle Health (Cerner)");
    assert_eq!(
        (beacon.fhir_base.as_str(), beacon.authorize, beacon.token),
        (
            "https://fhir-myrecord.cerner.com/r4/28FMw_aQtzSqkrYbQSc2Fss9Rc_nhEOH/",
            s(
                "https://authorization.cerner.com/tenants/28FMw_aQtzSqkrYbQSc2Fss9Rc_nhEOH/protocols/oauth2/profiles/smart-v1/personas/patient/authorize"
            ),
            s(
                "https://authorization.cerner.com/tenants/28FMw_aQtzSqkrYbQSc2Fss9Rc_nhEOH/hosts/fhir-myrecord.cerner.com/protocols/oauth2/profiles/smart-v1/token"
            )
        )
    );
    let pointcare = find("Pointcare Medical Center LLC");
    assert_eq!(pointcare.vendor, "eClinicalWorks (healow)");
    assert_eq!(
        (
            pointcare.fhir_base.as_str(),
            pointcare.authorize,
            pointcare.token
        ),
        (
            "https://fhir4.healow.com/fhir/r4/AACJCD",
            s("https://oauthserver.eclinicalworks.com/oauth/oauth2/authorize"),
            s("https://oauthserver.eclinicalworks.com/oauth/oauth2/token")
        )
    );
    let southeastern = find("Southeastern Medical Center");
    assert_eq!(southeastern.vendor, "athenahealth");
    assert_eq!(
        (
            southeastern.fhir_base.as_str(),
            southeastern.authorize,
            southeastern.token
        ),
        (
            "https://api.platform.athenahealth.com/fhir/r4",
            s("https://api.platform.athenahealth.com/oauth2/v1/authorize"),
            s("https://api.platform.athenahealth.com/oauth2/v1/token")
        )
    );
    assert_eq!(
        southeastern.extra_params,
        [(
            "ah-practice".to_owned(),
            "Organization/a-1.Practice-10".to_owned()
        )]
    );
}

#[test]
fn real_names_are_found_in_the_first_five() {
    let directory = directory();
    for (query, name) in [
        ("mayo clinic", "Mayo Clinic"),
        ("Cleveland Clinic", "Cleveland Clinic"),
        ("johns hopkins", "Johns Hopkins Medicine"),
        ("kaiser northern", "Kaiser Permanente - Northern California"),
        ("nyu langone", "NYU Langone"),
        ("stanford child", "Stanford Children's Health"),
        ("beacon health", "Beacon Health System"),
        ("pointcare", "Pointcare Medical Center LLC"),
        ("duke raleigh", "Duke Raleigh Hospital"),
        ("castaner", "Hospital General Castañer INC"),
        ("corazon", "El Centro de Corazón"),
    ] {
        let found = directory.search(query, 5);
        assert!(
            found.iter().any(|e| e.name == name),
            "{query:?} does not find {name:?} in the first five: {:?}",
            found.iter().map(|e| &e.name).collect::<Vec<_>>()
        );
    }
    assert_eq!(directory.search("mayo clinic", 1)[0].name, "Mayo Clinic");
}

#[test]
fn sandboxes_are_found_by_the_word_and_by_vendor() {
    let directory = directory();
    let sandboxes = directory.search("sandbox", 20);
    for name in [
        "Epic MyChart Sandbox (R4)",
        "Cerner Sandbox (R4)",
        "Healow Sandbox (eClinicalWorks)",
        "athenahealth (Preview environment) sandbox",
    ] {
        assert!(
            sandboxes.iter().any(|e| e.name == name && e.sandbox),
            "{name}"
        );
    }
    let oracle = directory.search("oracle sandbox", 5);
    assert_eq!(oracle[0].name, "Cerner Sandbox (R4)");
    let preview = directory.search("athenahealth sandbox", 5);
    assert_eq!(
        preview[0].fhir_base,
        "https://api.preview.platform.athenahealth.com/fhir/r4"
    );
}

#[test]
fn the_directory_names_its_providers_origins_and_no_others() {
    let directory = directory();
    for url in [
        "https://fhir4.healow.com/fhir/r4/AACJCD/Patient",
        "https://oauthserver.eclinicalworks.com/oauth/oauth2/token",
        "https://api.platform.athenahealth.com/fhir/r4/Observation",
        "https://fhir.kp.org/KPPolarisPortal/esb-envlbl/326/oauth2/token",
        "https://webprd.ochin.org/anything",
    ] {
        assert!(directory.is_directory_endpoint(url), "{url}");
    }
    for url in [
        "https://example.com/",
        "http://fhir4.healow.com/fhir/r4/AACJCD",
        "https://fhir4.healow.com.example.com/",
    ] {
        assert!(!directory.is_directory_endpoint(url), "{url}");
    }
}

#[test]
fn the_gzip_served_beside_it_is_the_same_file() {
    let json = std::fs::read(shipped().join("directory.json")).unwrap();
    let gz = std::fs::read(shipped().join("directory.json.gz")).unwrap();
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert!(
        unzipped == json,
        "directory.json.gz is stale: run cargo xtask provider-directory"
    );
    let notice = std::fs::read_to_string(shipped().join("NOTICE.txt")).unwrap();
    assert!(notice.contains("Copyright 2024 Christopher Fu"));
    assert!(notice.contains("Permission is hereby granted"));
}
