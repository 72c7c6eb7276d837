//! Refusal paths: every kind of bad input gets a clear error (or report entry) and imports
//! nothing.

use chrono::{TimeZone, Utc};
use folio_shared::import::shc::Jwks;
use folio_shared::import::{ImportErrorKind, ImportOptions, TrustedIssuer, import_file};
use folio_shared::record::Op;
use std::io::Write;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

fn opts() -> ImportOptions {
    ImportOptions::new(Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap())
}

fn kind_of(name: &str, bytes: &[u8], opts: &ImportOptions) -> (ImportErrorKind, String) {
    let err = import_file(name, bytes, opts).expect_err("must be refused");
    (err.kind.clone(), err.to_string())
}

#[test]
fn invalid_json_is_an_error_with_its_line() {
    let (kind, msg) = kind_of(
        "a.json",
        b"{\n \"resourceType\": \"Patient\",\n oops\n}",
        &opts(),
    );
    assert!(matches!(kind, ImportErrorKind::InvalidJson(_)), "{msg}");
    assert!(msg.starts_with("a.json:3"), "{msg}");
}

#[test]
fn json_that_is_not_fhir_is_named_as_such() {
    let (kind, msg) = kind_of("x.json", br#"{"name": "folio", "version": "1"}"#, &opts());
    assert!(matches!(kind, ImportErrorKind::NotFhir(_)), "{msg}");
    let (kind, _) = kind_of("x.json", b"[1, 2, 3]", &opts());
    assert!(matches!(kind, ImportErrorKind::NotFhir(_)));
}

#[test]
fn a_resource_without_resource_type_fails_the_file_with_its_pointer() {
    let bundle = br#"{"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "a"}},
        {"resource": {"id": "b", "status": "final"}}]}"#;
    let err = import_file("b.json", bundle, &opts()).unwrap_err();
    assert_eq!(err.kind, ImportErrorKind::MissingResourceType);
    assert_eq!(
        err.location.json_pointer.as_deref(),
        Some("/entry/1/resource")
    );
    // A single resource missing it, too.
    let (kind, _) = kind_of("r.json", br#"{"id": "x", "meta": {}}"#, &opts());
    assert_eq!(kind, ImportErrorKind::MissingResourceType);
}

#[test]
fn xml_that_is_not_ccda_is_refused() {
    let (kind, _) = kind_of("page.xml", b"<html><body>hi</body></html>", &opts());
    assert_eq!(
        kind,
        ImportErrorKind::NotCcda {
            root: "html".into()
        }
    );
    let (kind, _) = kind_of(
        "b.xml",
        br#"<Bundle xmlns="http://hl7.org/fhir"><id value="x"/></Bundle>"#,
        &opts(),
    );
    assert_eq!(kind, ImportErrorKind::FhirXmlUnsupported);
}

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol9;</title></ClinicalDocument>"#;

const EXTERNAL_ENTITY: &str = r#"<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>"#;

#[test]
fn billion_laughs_and_external_entities_are_refused() {
    for xml in [BILLION_LAUGHS, EXTERNAL_ENTITY] {
        let (kind, msg) = kind_of("evil.xml", xml.as_bytes(), &opts());
        assert_eq!(kind, ImportErrorKind::XmlDtdRefused, "{msg}");
    }
    // Second line of defence, should DTDs ever be allowed: roxmltree itself bounds entity
    // expansion and never loads an external entity.
    let allow = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let laughs = roxmltree::Document::parse_with_options(BILLION_LAUGHS, allow).unwrap_err();
    assert!(
        matches!(laughs, roxmltree::Error::EntityReferenceLoop(_)),
        "{laughs:?}"
    );
    let allow = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    match roxmltree::Document::parse_with_options(EXTERNAL_ENTITY, allow) {
        Err(_) => {}
        Ok(doc) => assert!(
            !doc.root_element()
                .descendants()
                .any(|n| n.text().is_some_and(|t| t.contains("root:")))
        ),
    }
}

#[test]
fn deep_xml_is_refused_before_it_is_walked() {
    let mut o = opts();
    o.limits.max_xml_depth = 50;
    let xml = format!(
        "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">{}{}</ClinicalDocument>",
        "<a>".repeat(60),
        "</a>".repeat(60)
    );
    let (kind, _) = kind_of("deep.xml", xml.as_bytes(), &o);
    assert_eq!(kind, ImportErrorKind::XmlTooDeep { max: 50 });
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn a_zip_bomb_is_refused_by_ratio_and_by_total_size() {
    // 20 MB of zeros deflates to about 20 KB: a ratio near 1000.
    let zeros = vec![0u8; 20 * 1024 * 1024];
    let bomb = zip_of(&[("zeros.json", &zeros)]);
    assert!(bomb.len() < 100_000);
    let (kind, msg) = kind_of("bomb.zip", &bomb, &opts());
    assert!(matches!(kind, ImportErrorKind::ZipBomb(_)), "{msg}");

    // Many small members that add up past the total limit.
    let chunk = vec![b' '; 1000];
    let members: Vec<(String, &[u8])> = (0..20)
        .map(|i| (format!("m{i}.json"), &chunk[..]))
        .collect();
    let refs: Vec<(&str, &[u8])> = members.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    let mut o = opts();
    o.limits.max_zip_total_bytes = 10_000;
    let (kind, msg) = kind_of("many.zip", &zip_of(&refs), &o);
    assert!(matches!(kind, ImportErrorKind::ZipBomb(_)), "{msg}");
}

#[test]
fn a_zip_imports_each_member_on_its_own() {
    let good = br#"{"resourceType": "Patient", "id": "p1"}"#;
    let bad = b"{ not json";
    let z = zip_of(&[
        ("export/patient.json", good),
        ("export/broken.json", bad),
        ("export/.DS_Store", b"x"),
    ]);
    let out = import_file("export.zip", &z, &opts()).unwrap();
    assert_eq!(out.report.count("Patient"), 1);
    assert_eq!(out.entries.len(), 1);
    assert_eq!(out.report.errors.len(), 1);
    assert_eq!(
        out.report.errors[0].location.file,
        "export.zip!export/broken.json"
    );
    assert!(
        out.report
            .warnings
            .iter()
            .any(|w| w.location.file.ends_with(".DS_Store"))
    );
}

#[test]
fn an_oversized_input_is_refused_before_parsing() {
    let mut o = opts();
    o.limits.max_input_bytes = 16;
    let (kind, msg) = kind_of("big.json", br#"{"resourceType": "Patient"}"#, &o);
    assert_eq!(kind, ImportErrorKind::TooLarge { size: 27, max: 16 });
    assert!(msg.contains("over the import limit"));
}

#[test]
fn too_many_resources_fail_the_file() {
    let mut o = opts();
    o.limits.max_resources = 2;
    let ndjson = b"{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\":\"Patient\",\"id\":\"b\"}\n{\"resourceType\":\"Patient\",\"id\":\"c\"}\n";
    let (kind, _) = kind_of("p.ndjson", ndjson, &o);
    assert_eq!(kind, ImportErrorKind::TooManyResources { max: 2 });
}

fn spec_card(example: &str) -> String {
    std::fs::read_to_string(format!(
        "{DATA}/shc/spec-examples/example-{example}-d-jws.txt"
    ))
    .unwrap()
}

fn spec_issuer() -> TrustedIssuer {
    let jwks = std::fs::read_to_string(format!(
        "{DATA}/shc/spec-examples/issuer/.well-known/jwks.json"
    ))
    .unwrap();
    TrustedIssuer {
        iss: "https://spec.smarthealth.cards/examples/issuer".into(),
        jwks: Jwks::from_json(&jwks).unwrap(),
        crls: vec![],
    }
}

fn reasons(out: &folio_shared::import::ImportOutcome) -> Vec<Option<String>> {
    out.entries
        .iter()
        .map(|e| match &e.op {
            Op::Put { source, .. } => source.unverified_reason.clone(),
            Op::Delete => unreachable!(),
        })
        .collect()
}

#[test]
fn a_card_with_a_bad_signature_is_imported_as_unverified_and_reported() {
    let jws = spec_card("00");
    let (rest, sig) = jws.trim().rsplit_once('.').unwrap();
    // Flip one signature character.
    let mut sig: Vec<char> = sig.chars().collect();
    sig[10] = if sig[10] == 'A' { 'B' } else { 'A' };
    let forged = format!("{rest}.{}", sig.into_iter().collect::<String>());
    let mut o = opts();
    o.issuers.push(spec_issuer());
    let out = import_file("card.txt", forged.as_bytes(), &o).unwrap();
    assert!(!out.entries.is_empty());
    assert!(
        reasons(&out)
            .iter()
            .all(|r| r.as_deref() == Some("the signature does not verify"))
    );
    assert!(
        out.report
            .warnings
            .iter()
            .any(|w| w.message.contains("not verified"))
    );

    // The genuine card verifies; without keys, or with another issuer's keys, it does not.
    let good = import_file("card.txt", jws.as_bytes(), &o).unwrap();
    assert!(reasons(&good).iter().all(Option::is_none));
    let none = import_file("card.txt", jws.as_bytes(), &opts()).unwrap();
    assert!(
        reasons(&none)[0]
            .as_deref()
            .unwrap()
            .contains("no issuer keys")
    );
    let mut wrong = opts();
    let mut other = spec_issuer();
    other
        .jwks
        .keys
        .retain(|k| k.kid.as_deref() != Some("3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"));
    wrong.issuers.push(other);
    let unknown = import_file("card.txt", jws.as_bytes(), &wrong).unwrap();
    assert!(
        reasons(&unknown)[0]
            .as_deref()
            .unwrap()
            .contains("is not in the issuer's JWKS")
    );
}

#[test]
fn truncated_files_are_reported_as_truncated() {
    let full = std::fs::read(format!(
        "{DATA}/fhir-r4/synthea/Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json"
    ))
    .unwrap();
    let (kind, _) = kind_of("cut.json", &full[..full.len() / 2], &opts());
    assert!(matches!(kind, ImportErrorKind::Truncated(_)), "{kind:?}");

    let ndjson = std::fs::read(format!(
        "{DATA}/fhir-r4/synthea-bulk-ndjson/Patient.000.ndjson"
    ))
    .unwrap();
    let cut = &ndjson[..ndjson.len() - 200];
    let err = import_file("Patient.ndjson", cut, &opts()).unwrap_err();
    assert!(matches!(err.kind, ImportErrorKind::Truncated(_)), "{err}");
    // The cut falls in the last line of what is left.
    let last_line = cut.split(|&b| b == b'\n').count();
    assert_eq!(err.location.line, Some(last_line), "{err}");

    let xml = std::fs::read(format!("{DATA}/ccda/hl7-examples/CCD_2.xml")).unwrap();
    let (kind, _) = kind_of("cut.xml", &xml[..xml.len() / 2], &opts());
    assert!(
        matches!(
            kind,
            ImportErrorKind::Truncated(_) | ImportErrorKind::InvalidXml(_)
        ),
        "{kind:?}"
    );
}

#[test]
fn a_bad_ndjson_line_fails_the_whole_file_with_its_line_number() {
    let text = b"{\"resourceType\":\"Patient\",\"id\":\"a\"}\n\n{\"resourceType\":\"Patient\",\"id\":\"b\"} x\n";
    let err = import_file("p.ndjson", text, &opts()).unwrap_err();
    assert!(matches!(err.kind, ImportErrorKind::InvalidJson(_)));
    assert_eq!(err.location.line, Some(3));
}

#[test]
fn unknown_formats_and_empty_files_are_named() {
    assert_eq!(
        kind_of("a.bin", b"\x00\x01\x02hello", &opts()).0,
        ImportErrorKind::UnrecognizedFormat
    );
    assert_eq!(
        kind_of("a.json", b"  \n", &opts()).0,
        ImportErrorKind::Empty
    );
}

/// A 2 GB file is refused by the default limits before a byte of it is read. (The zeroed
/// allocation is lazy: the pages are never touched, so this costs no memory.)
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_2_gb_file_is_refused_by_the_default_limit_before_parsing() {
    let size = 2usize << 30;
    let huge = vec![0u8; size];
    for name in [
        "huge.json",
        "huge.xml",
        "huge.zip",
        "huge.smart-health-card",
    ] {
        let (kind, msg) = kind_of(name, &huge, &opts());
        assert_eq!(
            kind,
            ImportErrorKind::TooLarge {
                size: size as u64,
                max: 512 * 1024 * 1024
            },
            "{msg}"
        );
    }
    let err = folio_shared::import::shc::card_issuers("huge.txt", &huge).unwrap_err();
    assert!(
        matches!(err.kind, ImportErrorKind::TooLarge { .. }),
        "{err}"
    );
}

#[test]
fn truncated_zips_and_cards_are_refused() {
    let z = zip_of(&[("export/patient.json", br#"{"resourceType": "Patient"}"#)]);
    let (kind, msg) = kind_of("cut.zip", &z[..z.len() / 2], &opts());
    assert!(matches!(kind, ImportErrorKind::InvalidZip(_)), "{msg}");

    // Half a JWS has lost its signature part, so it is not recognised as one.
    let jws = spec_card("00");
    let (kind, msg) = kind_of("cut.txt", &jws.as_bytes()[..jws.len() / 2], &opts());
    assert_eq!(kind, ImportErrorKind::UnrecognizedFormat, "{msg}");
    let qr = std::fs::read_to_string(format!(
        "{DATA}/shc/spec-examples/example-00-f-qr-code-numeric-value-0.txt"
    ))
    .unwrap();
    let cut = &qr.trim()[..qr.trim().len() / 4 * 2];
    let (kind, msg) = kind_of("cut-qr.txt", cut.as_bytes(), &opts());
    assert!(
        matches!(kind, ImportErrorKind::InvalidHealthCard(_)),
        "{msg}"
    );
    let file = std::fs::read(format!(
        "{DATA}/shc/spec-examples/example-00-e-file.smart-health-card"
    ))
    .unwrap();
    let (kind, msg) = kind_of("cut.smart-health-card", &file[..file.len() / 2], &opts());
    assert!(
        matches!(kind, ImportErrorKind::InvalidHealthCard(_)),
        "{msg}"
    );
}

/// A compact JWS (unsigned: only its payload matters here) whose DEFLATE payload is
/// `payload`.
fn card_with_payload(payload: &[u8]) -> String {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let mut deflate =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflate.write_all(payload).unwrap();
    let deflated = deflate.finish().unwrap();
    format!(
        "{}.{}.{}",
        b64(br#"{"alg":"ES256","zip":"DEF","kid":"k"}"#),
        b64(&deflated),
        b64(&[0; 64])
    )
}

/// Found by review while adding `card_issuers` to the shc fuzz target: it inflated a
/// card's payload without a bound, so a few kilobytes of card could take gigabytes; it
/// now keeps the import's payload limit.
#[test]
fn card_issuers_inflates_no_more_than_an_import_would() {
    let small = card_with_payload(br#"{"iss":"https://issuer.example","vc":{}}"#);
    let issuers = folio_shared::import::shc::card_issuers("c.txt", small.as_bytes()).unwrap();
    assert_eq!(issuers, ["https://issuer.example"]);

    // Valid JSON of 5 MiB, past the default 4 MiB payload limit, in about 5 KB of card.
    let padding = " ".repeat(5 * 1024 * 1024);
    let bomb = card_with_payload(
        format!(r#"{{"iss":"https://issuer.example","vc":{{}},"pad":"{padding}"}}"#).as_bytes(),
    );
    assert!(bomb.len() < 20_000);
    let err = folio_shared::import::shc::card_issuers("bomb.txt", bomb.as_bytes()).unwrap_err();
    assert!(
        matches!(&err.kind, ImportErrorKind::InvalidHealthCard(m) if m.contains("inflates past")),
        "{err}"
    );
    let (kind, _) = kind_of("bomb.txt", bomb.as_bytes(), &opts());
    assert!(matches!(kind, ImportErrorKind::InvalidHealthCard(_)));
}

/// Found by review while fuzzing the C-CDA importer (its inputs are too small to show
/// it), confirmed with the fuzz binary: every resource id and report path counted the
/// element's siblings again, so a section's entries cost quadratic time (10,000 took
/// seconds, 100,000 in a 7.7 MB file several minutes). Sibling positions are now counted
/// once per document; the paths, and so the ids, are unchanged.
#[test]
fn a_ccda_section_with_many_entries_imports_in_linear_time() {
    let n = 10_000;
    let mapped = r#"<entry><observation><templateId root="2.16.840.1.113883.10.20.22.4.4"/></observation></entry>"#;
    let unmapped = "<entry><act/></entry>";
    let xml = format!(
        r#"<ClinicalDocument xmlns="urn:hl7-org:v3"><component><structuredBody><component><section><templateId root="2.16.840.1.113883.10.20.22.2.5.1"/><code code="11450-4"/>{}</section></component></structuredBody></component></ClinicalDocument>"#,
        format!("{mapped}{unmapped}").repeat(n)
    );
    let started = std::time::Instant::now();
    let out = import_file("many.xml", xml.as_bytes(), &opts()).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(out.report.count("Condition"), n);
    let unmapped_paths: Vec<&str> = out
        .report
        .warnings
        .iter()
        .filter(|w| w.message.starts_with("unmapped"))
        .filter_map(|w| w.location.xml_path.as_deref())
        .collect();
    assert_eq!(unmapped_paths.len(), n);
    let section = "/ClinicalDocument/component/structuredBody/component/section";
    assert_eq!(unmapped_paths[0], format!("{section}/entry[2]"));
    assert_eq!(unmapped_paths[n - 1], format!("{section}/entry[{}]", 2 * n));
    // Linear work is well under a second in a debug build; the quadratic walk took minutes.
    assert!(elapsed.as_secs() < 20, "{elapsed:?}");
}
