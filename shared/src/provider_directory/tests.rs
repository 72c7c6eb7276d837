use serde_json::json;

use super::*;

/// A directory like the shipped one, small: Epic-style templates with a provider that does
/// not follow them, athenahealth's practice parameter, a sandbox.
fn directory() -> ProviderDirectory {
    let document = json!({
        "format": FORMAT,
        "version": VERSION,
        "vendors": [
            {"name": "Epic", "fhir_base": "{}api/FHIR/R4/", "authorize": "{}oauth2/authorize",
             "token": "{}oauth2/token"},
            {"name": "athenahealth", "fhir_base": "https://api.platform.athenahealth.com/fhir/r4",
             "authorize": "https://api.platform.athenahealth.com/oauth2/v1/authorize",
             "token": "https://api.platform.athenahealth.com/oauth2/v1/token",
             "params": [["ah-practice", "Organization/a-1.Practice-{}"]]},
            {"name": "Oracle Health (Cerner)", "fhir_base": "https://fhir-myrecord.cerner.com/r4/{}/",
             "authorize": "https://authorization.cerner.com/tenants/{}/authorize"}
        ],
        "entries": [
            ["Mercy Hospital", 0, "https://epic.mercy.example/prd/"],
            ["Mercy", 1, "10"],
            ["Mercyhealth", 2, "t-1"],
            ["Hospital Mercy", 1, "11"],
            ["St. Mary's Mercy Center", 1, "12"],
            ["Hospital General Castañer INC", 1, "13"],
            ["El Centro de Corazón", 1, "14"],
            ["Kaiser Permanente - Washington", 0, "https://fhir.kp.org/Interconnect-FHIR-PRD/api/FHIR/R4/",
             "https://fhir.kp.org/KPPolarisPortal/esb-envlbl/750/oauth2/authorize",
             "https://fhir.kp.org/KPPolarisPortal/esb-envlbl/750/oauth2/token"],
            ["MyChart Sandbox (R4)", 0, "https://fhir.epic.com/interconnect-fhir-oauth/"]
        ],
        "sandboxes": [8]
    });
    ProviderDirectory::from_json(document.to_string().as_bytes()).unwrap()
}

fn names(found: &[DirectoryEntry]) -> Vec<&str> {
    found.iter().map(|e| e.name.as_str()).collect()
}

#[test]
fn entries_fill_their_vendors_templates() {
    let directory = directory();
    assert_eq!(directory.len(), 9);
    let mercy = &directory.search("mercy hospital", 1)[0];
    assert_eq!(
        mercy,
        &DirectoryEntry {
            name: "Mercy Hospital".into(),
            vendor: "Epic".into(),
            fhir_base: "https://epic.mercy.example/prd/api/FHIR/R4/".into(),
            authorize: Some("https://epic.mercy.example/prd/oauth2/authorize".into()),
            token: Some("https://epic.mercy.example/prd/oauth2/token".into()),
            extra_params: Vec::new(),
            sandbox: false,
            places: Vec::new(),
        }
    );
    // A vendor without a token template leaves it to the SMART configuration.
    let cerner = &directory.search("mercyhealth", 1)[0];
    assert_eq!(cerner.fhir_base, "https://fhir-myrecord.cerner.com/r4/t-1/");
    assert_eq!(
        cerner.authorize.as_deref(),
        Some("https://authorization.cerner.com/tenants/t-1/authorize")
    );
    assert_eq!(cerner.token, None);
}

#[test]
fn a_provider_off_its_vendors_pattern_keeps_its_own_addresses() {
    let kaiser = &directory().search("kaiser", 5)[0];
    assert_eq!(
        kaiser.fhir_base,
        "https://fhir.kp.org/Interconnect-FHIR-PRD/api/FHIR/R4/"
    );
    assert_eq!(
        kaiser.token.as_deref(),
        Some("https://fhir.kp.org/KPPolarisPortal/esb-envlbl/750/oauth2/token")
    );
    assert!(kaiser.extra_params.is_empty());
}

#[test]
fn an_athena_practice_is_one_base_and_its_practice_parameter() {
    let found = directory().search("castaner", 5);
    assert_eq!(names(&found), ["Hospital General Castañer INC"]);
    let practice = &found[0];
    assert_eq!(practice.vendor, "athenahealth");
    assert_eq!(
        practice.fhir_base,
        "https://api.platform.athenahealth.com/fhir/r4"
    );
    assert_eq!(
        practice.extra_params,
        [(
            "ah-practice".to_owned(),
            "Organization/a-1.Practice-13".to_owned()
        )]
    );
}

#[test]
fn search_ranks_the_whole_name_then_names_starting_with_it_then_shorter_names() {
    let found = directory().search("Mercy", 10);
    assert_eq!(
        names(&found),
        [
            "Mercy",
            "Mercyhealth",
            "Mercy Hospital",
            "Hospital Mercy",
            "St. Mary's Mercy Center"
        ]
    );
    assert_eq!(
        names(&directory().search("mercy", 2)),
        ["Mercy", "Mercyhealth"]
    );
}

#[test]
fn every_query_word_must_start_a_word_of_the_name() {
    let directory = directory();
    assert_eq!(
        names(&directory.search("mercy cent", 10)),
        ["St. Mary's Mercy Center"]
    );
    assert_eq!(
        names(&directory.search("hosp mer", 10)),
        ["Hospital Mercy", "Mercy Hospital"]
    );
    // Inside a word is not a match.
    assert!(directory.search("ercy", 10).is_empty());
    assert!(directory.search("mercy clinic", 10).is_empty());
}

#[test]
fn search_ignores_case_accents_and_punctuation() {
    let directory = directory();
    for query in ["corazon", "CORAZÓN", "Corazo\u{301}n", "centro de"] {
        assert_eq!(
            names(&directory.search(query, 10)),
            ["El Centro de Corazón"],
            "{query}"
        );
    }
    assert_eq!(
        names(&directory.search("CASTAÑER", 10)),
        ["Hospital General Castañer INC"]
    );
    // An apostrophe joins a word: "mary's" is "marys", found by "mary" and "marys".
    for query in ["st marys", "St. Mary's", "mary"] {
        assert_eq!(
            names(&directory.search(query, 10)),
            ["St. Mary's Mercy Center"],
            "{query}"
        );
    }
    assert!(directory.search("  -- ", 10).is_empty());
    assert!(directory.search("mercy", 0).is_empty());
}

#[test]
fn sandboxes_are_found_by_the_word_and_their_vendor() {
    let directory = directory();
    for query in ["sandbox", "epic sandbox", "epic"] {
        let found = directory.search(query, 10);
        assert_eq!(names(&found), ["MyChart Sandbox (R4)"], "{query}");
        assert!(found[0].sandbox);
    }
    assert!(!directory.search("mercy hospital", 1)[0].sandbox);
}

#[test]
fn endpoints_are_the_origins_the_directory_names() {
    let directory = directory();
    for url in [
        "https://epic.mercy.example/prd/api/FHIR/R4/Patient/1",
        "https://EPIC.MERCY.EXAMPLE:443/elsewhere",
        "https://fhir.kp.org/KPPolarisPortal/esb-envlbl/750/oauth2/token",
        "https://api.platform.athenahealth.com/oauth2/v1/token",
        "https://fhir-myrecord.cerner.com/r4/another-tenant/Observation",
        "https://authorization.cerner.com/tenants/t-1/authorize",
        "https://fhir.epic.com/interconnect-fhir-oauth/oauth2/token",
    ] {
        assert!(directory.is_directory_endpoint(url), "{url}");
    }
    for url in [
        "http://epic.mercy.example/prd/api/FHIR/R4/",
        "https://epic.mercy.example:8443/",
        "https://epic.mercy.example.attacker.test/",
        "https://epic.mercy.example@attacker.test/",
        "https://attacker.test/https://epic.mercy.example/",
        "not a url",
        "data:text/plain,https://epic.mercy.example/",
    ] {
        assert!(!directory.is_directory_endpoint(url), "{url}");
    }
}

#[test]
fn a_document_of_another_format_or_version_is_refused_in_words() {
    let refused = |document: serde_json::Value| {
        ProviderDirectory::from_json(document.to_string().as_bytes())
            .unwrap_err()
            .to_string()
    };
    let base =
        |version: u32| json!({"format": FORMAT, "version": version, "vendors": [], "entries": []});
    assert!(
        ProviderDirectory::from_json(base(VERSION).to_string().as_bytes())
            .unwrap()
            .is_empty()
    );
    assert!(refused(base(2)).contains("version 2"));
    assert!(refused(json!({"format": "something-else", "version": 1})).contains("something-else"));
    let vendor = json!({"name": "V", "fhir_base": "https://v.example/{}"});
    let with = |entries: serde_json::Value, sandboxes: serde_json::Value| {
        json!({"format": FORMAT, "version": VERSION, "vendors": [vendor],
               "entries": entries, "sandboxes": sandboxes})
    };
    assert!(refused(with(json!([["A", 1, "x"]]), json!([]))).contains("vendor 1"));
    assert!(refused(with(json!([["A", 0, "x"]]), json!([1]))).contains("entry 1"));
    for row in [
        json!(["A", 0]),
        json!(["A", 0, "x", null]),
        json!(["A", 0, "x", null, null, "y"]),
    ] {
        assert!(
            ProviderDirectory::from_json(with(json!([row]), json!([])).to_string().as_bytes())
                .is_err(),
            "{row}"
        );
    }
    assert!(ProviderDirectory::from_json(b"[").is_err());
}

#[test]
fn folding_keeps_words_apart_and_accents_out() {
    assert_eq!(
        search::fold("  El Centro de Corazón "),
        "el centro de corazon"
    );
    assert_eq!(
        search::fold("Endeavor Health – NorthShore"),
        "endeavor health northshore"
    );
    assert_eq!(search::fold("OB/GYN & Children’s"), "ob gyn childrens");
    assert_eq!(search::fold("ﬁrst"), "first");
}

/// The four example Bundles of SMART App Launch's User-access Brands, from
/// `../shared/data/providers` (fabricated brands, kept there as fixtures).
fn brands_example(n: u32) -> Option<ProviderDirectory> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../shared/data/providers/hl7-smart-app-launch-brands-Bundle-example{n}.json"
    ));
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("skipped: no reference data at {}", path.display());
        return None;
    };
    Some(ProviderDirectory::from_brands_bundle(&bytes, "Example EHR").unwrap())
}

#[test]
fn a_brand_with_one_endpoint_is_one_entry_found_by_name_alias_and_city() {
    let Some(labs) = brands_example(1) else {
        return;
    };
    let entries: Vec<DirectoryEntry> = labs.entries().collect();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.name, "ExampleLabs");
    assert_eq!(entry.vendor, "Example EHR");
    assert_eq!(entry.fhir_base, "https://fhir.labs.example.com/r4");
    assert_eq!((entry.authorize.clone(), entry.token.clone()), (None, None));
    assert!(entry.places.contains(&"Anchorage, AK".to_owned()));
    assert!(entry.places.contains(&"Madison, WI".to_owned()));
    for query in [
        "examplelabs",
        "examplelabs wisconsin",
        "anchorage",
        "madison",
    ] {
        assert_eq!(names(&labs.search(query, 5)), ["ExampleLabs"], "{query}");
    }
    assert!(labs.is_directory_endpoint("https://fhir.labs.example.com/r4/metadata"));
    assert!(!labs.is_directory_endpoint("https://labs.example.com/"));
}

#[test]
fn brands_without_endpoints_use_their_parents_and_only_r4_is_kept() {
    let Some(health) = brands_example(2) else {
        return;
    };
    let entries: Vec<DirectoryEntry> = health.entries().collect();
    assert_eq!(
        names(&entries),
        [
            "ExampleHealth",
            "ExampleHealth Community Hospital",
            "ExampleHealth Physicians of Madison"
        ]
    );
    // The DSTU2 endpoint is left out; the affiliates reach the parent's R4 endpoint.
    for entry in &entries {
        assert_eq!(
            entry.fhir_base,
            "https://ehr.example.com/ProdFHIR/api/FHIR/R4"
        );
    }
    assert_eq!(entries[1].places, ["Lake City, IA"]);
    assert_eq!(
        names(&health.search("goodhealth madison", 5)),
        [
            "ExampleHealth",
            "ExampleHealth Community Hospital",
            "ExampleHealth Physicians of Madison"
        ]
    );
    assert_eq!(
        names(&health.search("lake city", 5)),
        ["ExampleHealth Community Hospital"]
    );
}

#[test]
fn a_brand_with_two_portals_is_an_entry_per_portal() {
    let Some(hospital) = brands_example(3) else {
        return;
    };
    let entries: Vec<DirectoryEntry> = hospital.entries().collect();
    assert_eq!(
        names(&entries),
        [
            "ExampleHospital (ExampleHospital Patient Gateway)",
            "ExampleHospital (ExampleHospital Pediatric Portal)"
        ]
    );
    assert_eq!(
        entries[0].fhir_base,
        "https://ehr1.example.org/ExampleHospital/api/FHIR/R4"
    );
    assert_eq!(
        entries[1].fhir_base,
        "https://ehr2.example.org/ExampleHospital/api/FHIR/R4"
    );
    assert_eq!(
        names(&hospital.search("pediatric", 5)),
        [entries[1].name.as_str()]
    );
}

#[test]
fn brands_sharing_an_endpoint_are_an_entry_each() {
    let Some(coequal) = brands_example(4) else {
        return;
    };
    let entries: Vec<DirectoryEntry> = coequal.entries().collect();
    assert_eq!(names(&entries), ["Brand1", "Brand2"]);
    assert_eq!(entries[0].fhir_base, entries[1].fhir_base);
    assert_eq!(names(&coequal.search("shield insurance", 5)), ["Brand2"]);
    assert_eq!(names(&coequal.search("sonoma", 5)), ["Brand1", "Brand2"]);
}

#[test]
fn what_is_not_a_brands_bundle_is_refused() {
    for json in [
        json!({"resourceType": "Patient"}),
        json!({"resourceType": "Bundle"}),
        json!({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Endpoint"}}]}),
    ] {
        assert!(ProviderDirectory::from_brands_bundle(json.to_string().as_bytes(), "X").is_err());
    }
}
