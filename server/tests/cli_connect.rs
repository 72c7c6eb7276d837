//! `folio connect` (issue 24) against two strict mock providers serving the same patient
//! from `../shared/data`: Riverside offers `$everything`; Lakeside is searched type by
//! type, refuses Immunizations (403), throttles Conditions once (429) and speaks SMART v1.
//! Access tokens last two seconds, so every sync refreshes midway; refresh tokens rotate.
//!
//! Shown: both connected through the loopback sign-in, synced, and the record's counts per
//! type equal what the providers serve; a sync killed after its first page resumes with
//! nothing missing or doubled; the refused type is reported; list and remove; bad
//! providers get clear errors and change nothing; and no token the providers issued is
//! in the server's database or log.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use folio_mock_ehr::{Fault, MockProvider, PatientData, ProviderConfig};
use serde_json::Value;

mod common;

use common::connect::{connect_add, connect_add_with};
use common::{FOLIO, RunningServer, create_account, serve_logging_to, serve_logging_to_with};

fn synthea(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/fhir-r4/synthea")
        .join(name)
}

const PATIENT: &str = "Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json";

/// A free loopback port for the CLI's redirect, registered at the providers beforehand
/// (they compare redirect URIs exactly, as real ones do).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Patient {
    server: RunningServer,
    profile: String,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Patient {
    fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// `folio …` with this profile, asynchronously.
    async fn folio(&self, args: &[&str]) -> std::process::Output {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--profile", &self.profile]);
        tokio::process::Command::new(FOLIO)
            .args(&all)
            .env_remove("FOLIO_LOG")
            .env("RUST_BACKTRACE", "1")
            .output()
            .await
            .unwrap()
    }

    async fn json(&self, args: &[&str]) -> Value {
        let output = self.folio(args).await;
        assert!(
            output.status.success(),
            "folio {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    async fn connect(&self, provider: &MockProvider, name: &str) -> Result<Value, String> {
        connect_add(&self.profile, &provider.fhir_base(), self.port, name).await
    }

    /// The record's resources per type, as `folio export` writes them.
    async fn counts(&self) -> BTreeMap<String, usize> {
        let output = self.folio(&["export", "--format", "ndjson"]).await;
        assert!(output.status.success());
        let mut counts = BTreeMap::new();
        for line in String::from_utf8(output.stdout).unwrap().lines() {
            let resource: Value = serde_json::from_str(line).unwrap();
            *counts
                .entry(resource["resourceType"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        counts
    }
}

async fn patient() -> Patient {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_logging_to(dir.path());
    let profile = dir.path().join("profile.json").to_str().unwrap().to_owned();
    create_account(&server, &profile);
    Patient {
        server,
        profile,
        port: free_port(),
        _dir: dir,
    }
}

fn config(name: &str, patient: &Patient) -> ProviderConfig {
    let data = PatientData::from_bundle_file(&synthea(PATIENT)).unwrap();
    ProviderConfig {
        redirect_uris: vec![patient.redirect_uri()],
        access_token_lifetime: Duration::from_secs(2),
        page_size: 40,
        ..ProviderConfig::new(name, data)
    }
}

fn sum(a: &BTreeMap<String, usize>, b: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    let mut total = a.clone();
    for (t, n) in b {
        *total.entry(t.clone()).or_default() += n;
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_providers_connect_sync_resume_and_keep_their_tokens_out_of_the_server() {
    let me = patient().await;
    let riverside = MockProvider::start(config("Riverside Clinic", &me)).await;
    let lakeside = MockProvider::start(ProviderConfig {
        everything: false,
        cors: false,
        scope_style_v2: false,
        forbidden_types: vec!["Immunization".into()],
        throttled_once: vec!["Condition".into()],
        ..config("Lakeside Hospital", &me)
    })
    .await;

    let river = me.connect(&riverside, "Riverside Clinic").await.unwrap();
    let lake = me.connect(&lakeside, "Lakeside Hospital").await.unwrap();
    assert_eq!(river["name"], "Riverside Clinic");
    assert_eq!(lake["patient"], lakeside.patient_id());
    assert!(
        lake["scope"].as_str().unwrap().contains("patient/*.read"),
        "{lake}"
    );
    let (river_id, lake_id) = (
        river["id"].as_str().unwrap().to_owned(),
        lake["id"].as_str().unwrap().to_owned(),
    );

    // Lakeside's sync is killed midway, once its first batch is stored: the provider holds
    // every request after 30 pages, and the command is stopped while it waits.
    lakeside.pause_after_pages(Some(30));
    let mut killed = tokio::process::Command::new(FOLIO)
        .args([
            "connect",
            "sync",
            &lake_id,
            "--json",
            "--profile",
            &me.profile,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..1200 {
        if lakeside.stats().pages_served >= 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A batch's upload finishes before the next request, which now hangs.
    tokio::time::sleep(Duration::from_secs(2)).await;
    killed.kill().await.unwrap();
    lakeside.resume();
    let listed = me.json(&["connect", "list", "--json"]).await;
    let lake_listed = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == lake_id.as_str())
        .unwrap();
    assert_eq!(lake_listed["sync_unfinished"], true, "{listed}");
    let before = me.counts().await;
    assert_eq!(
        before.get("Patient"),
        Some(&1),
        "the first batch was kept: {before:?}"
    );
    let kept: usize = before.values().sum();
    assert!(kept >= 500, "{before:?}");

    // Both synced; Riverside's holds its requests a few pages in until the access token
    // has lapsed, so the sync must renew it midway.
    riverside.pause_after_pages(Some(3));
    let sync = tokio::process::Command::new(FOLIO)
        .args(["connect", "sync", "--json", "--profile", &me.profile])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..1200 {
        if riverside.stats().pages_served >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let refreshes_at_pause = riverside.stats().refreshes;
    riverside.resume();
    let output = sync.wait_with_output().await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reports: Value = serde_json::from_slice(&output.stdout).unwrap();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 2);
    let report_of = |name: &str| {
        reports
            .iter()
            .find(|r| r["provider"] == name)
            .unwrap_or_else(|| panic!("no report for {name}: {reports:?}"))
    };
    let river_report = report_of("Riverside Clinic");
    let lake_report = report_of("Lakeside Hospital");
    assert_eq!(river_report["stopped"], Value::Null, "{river_report}");
    assert_eq!(river_report["finished"], true, "{river_report}");
    assert_eq!(riverside.stats().everything_calls, 1);
    assert_eq!(lake_report["stopped"], Value::Null, "{lake_report}");
    assert_eq!(lake_report["types"]["Immunization"]["failed"], true);
    assert!(
        lake_report["types"]["Immunization"]["why"]
            .as_str()
            .unwrap()
            .contains("does not share"),
        "{lake_report}"
    );
    assert_eq!(lakeside.stats().searches_of("Condition", 429), 1);
    assert!(
        riverside.stats().refreshes > refreshes_at_pause,
        "the token that lapsed midway was renewed"
    );
    assert!(river_report["token_refreshes"].as_u64().unwrap() >= 1);
    assert!(
        river_report["attachments"].as_u64().unwrap() >= 1,
        "{river_report}"
    );

    // Nothing missing, nothing doubled: exactly what the two providers serve.
    let expected = sum(
        &riverside.expected_everything_counts(),
        &lakeside.expected_counts(),
    );
    assert_eq!(me.counts().await, expected);

    // A second sync asks only for what changed, and brings in what did.
    lakeside.add_resource(serde_json::json!({
        "resourceType": "Condition", "clinicalStatus": { "text": "active" },
        "subject": { "reference": format!("Patient/{}", lakeside.patient_id()) },
        "code": { "text": "Seasonal allergic rhinitis" }
    }));
    let again = me.json(&["connect", "sync", &lake_id, "--json"]).await;
    assert_eq!(again[0]["types"]["Condition"]["new"], 1, "{again}");
    let mut expected = expected;
    *expected.get_mut("Condition").unwrap() += 1;
    assert_eq!(me.counts().await, expected);

    // Removing a connection forgets its sign-in; what it brought stays.
    let removed = me.json(&["connect", "remove", &river_id, "--json"]).await;
    assert_eq!(removed["removed"], river_id.as_str());
    let listed = me.json(&["connect", "list", "--json"]).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(me.counts().await, expected);

    // No token either provider issued is anywhere in the server's data or log.
    let tokens: Vec<String> = riverside
        .issued_tokens()
        .into_iter()
        .chain(lakeside.issued_tokens())
        .collect();
    assert!(tokens.len() >= 6, "{}", tokens.len());
    let mut scanned = 0;
    for path in files_under(me.server.data.path())
        .into_iter()
        .chain(me.server.log.clone())
    {
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for token in &tokens {
            assert!(
                !contains(&bytes, token.as_bytes()),
                "a provider's token is in {}",
                path.display()
            );
        }
    }
    assert!(scanned > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_providers_get_clear_errors_and_change_nothing() {
    let me = patient().await;
    let provider = MockProvider::start(ProviderConfig {
        everything: false,
        other_patients: vec![
            PatientData::from_bundle_file(&synthea(
                "Catherine_Turner_fa4fbf0c-f581-41f2-889b-f3769e57681d.json",
            ))
            .unwrap(),
        ],
        ..config("Hillside Practice", &me)
    })
    .await;

    for (fault, says) in [
        (Fault::DiscoveryMissingEndpoints, "token_endpoint"),
        (Fault::TokenWithoutPatient, "does not say whose record"),
        (
            Fault::WrongStateOnRedirect,
            "does not belong to this sign-in",
        ),
    ] {
        provider.set_fault(Some(fault));
        let said = me
            .connect(&provider, "Hillside Practice")
            .await
            .unwrap_err();
        assert!(said.contains(says), "{fault:?}: {said}");
        let listed = me.json(&["connect", "list", "--json"]).await;
        assert_eq!(listed, serde_json::json!([]), "{fault:?}");
    }

    // Not even an empty record was made for the sign-ins that failed.
    let export = me.folio(&["export", "--format", "ndjson"]).await;
    assert!(
        String::from_utf8_lossy(&export.stderr).contains("no record yet"),
        "{export:?}"
    );

    provider.set_fault(None);
    let connection = me.connect(&provider, "Hillside Practice").await.unwrap();
    let id = connection["id"].as_str().unwrap();
    // A provider that sends someone else's records is stopped at once.
    provider.set_fault(Some(Fault::OtherPatientsBundle));
    let output = me.folio(&["connect", "sync", id, "--json"]).await;
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("another patient"), "{said}");
    assert!(!said.contains("backtrace"), "{said}");
    assert_eq!(me.counts().await, BTreeMap::new());

    for (fault, says) in [
        (Fault::PageNotABundle, "not a FHIR Bundle"),
        (Fault::HugeErrorPage, "HTTP 500"),
    ] {
        provider.set_fault(Some(fault));
        let report = me.json(&["connect", "sync", id, "--json"]).await;
        let searches = report[0]["searches"].as_array().unwrap();
        let failed =
            |s: &&Value| s["outcome"] == "failed" && s["why"].as_str().unwrap().contains(says);
        assert!(searches.iter().all(|s| failed(&s)), "{fault:?}: {report}");
        let fetched: u64 = report[0]["types"]
            .as_object()
            .unwrap()
            .values()
            .map(|t| t["fetched"].as_u64().unwrap())
            .sum();
        assert_eq!(fetched, 0, "{fault:?}");
        // A few words of the 5 MB page, never the page.
        assert!(report.to_string().len() < 100_000, "{fault:?}");
        assert_eq!(me.counts().await, BTreeMap::new(), "{fault:?}");
    }
    provider.set_fault(None);
    let report = me.json(&["connect", "sync", id, "--json"]).await;
    assert_eq!(report[0]["finished"], true, "{report}");
    assert_eq!(me.counts().await, provider.expected_counts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_id_comes_from_the_servers_configuration_when_not_given() {
    let port = free_port();
    let data = PatientData::from_bundle_file(&synthea(
        "Catherine_Turner_fa4fbf0c-f581-41f2-889b-f3769e57681d.json",
    ))
    .unwrap();
    let provider = MockProvider::start(ProviderConfig {
        redirect_uris: vec![format!("http://127.0.0.1:{port}/callback")],
        client_id: "registered-by-the-operator".into(),
        ..ProviderConfig::new("Hillside Practice", data)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let clients = dir.path().join("smart-clients.json");
    std::fs::write(
        &clients,
        serde_json::json!({ "clients": [
            { "fhir_base": provider.fhir_base(), "client_id": "registered-by-the-operator" }
        ]})
        .to_string(),
    )
    .unwrap();
    let server = serve_logging_to_with(
        dir.path(),
        &[("FOLIO_SMART_CLIENTS", clients.to_str().unwrap())],
    );
    let profile = dir.path().join("profile.json");
    let profile = profile.to_str().unwrap();
    create_account(&server, profile);

    let connected = connect_add_with(profile, &provider.fhir_base(), port, &[])
        .await
        .unwrap();
    assert_eq!(connected["patient"], provider.patient_id());
    assert_eq!(provider.stats().token_grants, 1);

    // A provider the server has no client for: the command says how to give one.
    let unknown = MockProvider::start(ProviderConfig {
        redirect_uris: vec![format!("http://127.0.0.1:{port}/callback")],
        ..ProviderConfig::new(
            "Elsewhere",
            PatientData::from_bundle_file(&synthea(
                "Catherine_Turner_fa4fbf0c-f581-41f2-889b-f3769e57681d.json",
            ))
            .unwrap(),
        )
    })
    .await;
    let said = connect_add_with(profile, &unknown.fhir_base(), port, &[])
        .await
        .unwrap_err();
    assert_eq!(unknown.stats().token_grants, 0);
    assert!(said.contains("--client-id"), "{said}");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
