//! The clinician viewer's time from navigation to the rendered summary, in headless
//! Chromium, for an International Patient Summary of the largest Synthea patient.
//!
//! The patient's side is done once, untimed: the bundle is imported with Folio's importer,
//! the IPS cut from it and uploaded as a link without a passcode. Each run then opens the
//! link in a fresh tab; a script injected before the page's own fills in the clinician's
//! name the moment the form appears and notes `performance.now()` (milliseconds since
//! navigation started) when the form appeared and when the summary was in the page. No
//! human typing is counted, and the network is loopback.
//!
//! `cargo bench -p folio-tests --bench viewer` (the app must be built: `cargo xtask build`);
//! `FOLIO_BENCH_RUNS` sets the run count.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use folio_shared::api::share::CreateShare;
use folio_shared::import::{ImportOptions, import_file};
use folio_shared::share::{ShareContent, SharePackage, link_payload};
use folio_shared::shl::LinkKey;
use folio_shared::vault::VaultContents;
use folio_tests::browser::{Browser, visit, wait_for};
use folio_tests::vault_fixture::Patient;
use folio_tests::{Engine, TestServer, app_dir};

/// Fills the clinician's name as soon as the form is there, and stamps the two moments.
const INSTRUMENT: &str = r#"
(() => {
  const stamp = () => {
    if (!window.__formAt) {
      const name = document.querySelector('[data-testid=viewer-recipient]');
      const submit = document.querySelector('[data-testid=viewer-submit]');
      if (name && submit) {
        window.__formAt = performance.now();
        name.value = 'Dr Bench';
        name.dispatchEvent(new Event('input', { bubbles: true }));
        submit.click();
      }
    }
    if (!window.__summaryAt && document.querySelector('[data-testid=viewer-record] [data-testid=viewer-patient]')) {
      window.__summaryAt = performance.now();
    }
  };
  new MutationObserver(stamp).observe(document, { childList: true, subtree: true });
})();
"#;

fn largest_synthea() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fhir-r4/synthea");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a Synthea bundle")
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then run once, as a
    // smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("FOLIO_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if benching { 7 } else { 1 })
        .max(1);
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}: run `cargo xtask build`",
        dist.display()
    );
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist).await;

    let file = largest_synthea();
    let bytes = std::fs::read(&file).unwrap();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let outcome = import_file(&name, &bytes, &ImportOptions::new(Utc::now())).expect("imports");
    let mut contents = VaultContents::default();
    for entry in outcome.entries {
        contents.apply(entry);
    }
    let package =
        SharePackage::build(&contents, &ShareContent::PatientSummary, Utc::now()).expect("an IPS");
    let ips_bytes = serde_json::to_vec(&package.bundle).unwrap().len();
    let ips_entries = package.bundle["entry"].as_array().map_or(0, Vec::len);
    let patient = Patient::sign_up(&server).await;
    let key = LinkKey::generate();
    let file_upload = package.encrypt(&key);
    let jwe_bytes = file_upload.jwe.len();
    let created = patient
        .client
        .create_share(
            patient.vault_id,
            &CreateShare {
                files: vec![file_upload],
                label: "Patient summary".into(),
                expires_at: Utc::now() + chrono::Duration::hours(1),
                passcode: None,
                max_attempts: None,
                max_opens: None,
                categories: package.categories(),
                direct_file: false,
            },
        )
        .await
        .expect("the share");
    let link = link_payload(
        created.manifest_url,
        key,
        created.expires_at,
        false,
        "Patient summary".into(),
    )
    .viewer_url(&server.public("/view"));

    let browser = Browser::launch(390, 844).await;
    let mut form = Vec::with_capacity(runs);
    let mut summary = Vec::with_capacity(runs);
    // One run first to warm Chromium's cache of the app's WASM, as a clinician's second
    // patient would find it; every timed run is a fresh tab.
    for run in 0..=runs {
        let page = browser.open("about:blank").await;
        page.evaluate_on_new_document(INSTRUMENT)
            .await
            .expect("the instrument is installed");
        visit(&page, &link).await;
        wait_for(
            &page,
            "window.__summaryAt ? 'done' : ''",
            Duration::from_secs(120),
        )
        .await;
        let stamps: (f64, f64) = page
            .evaluate("[window.__formAt, window.__summaryAt]")
            .await
            .unwrap()
            .into_value::<Vec<f64>>()
            .map(|v| (v[0], v[1]))
            .unwrap();
        if run > 0 {
            form.push(stamps.0);
            summary.push(stamps.1);
        }
        let _ = page.close().await;
    }
    browser.close().await;
    server.stop().await;

    println!(
        "viewer: {name}: {} resources imported, IPS of {ips_entries} entries \
         ({ips_bytes} bytes of JSON, {jwe_bytes} bytes of JWE)",
        contents.len()
    );
    println!(
        "  navigation → access form shown:      median {:.0} ms",
        median(form.clone())
    );
    println!(
        "  navigation → summary rendered:       median {:.0} ms",
        median(summary.clone())
    );
    println!(
        "  form shown → summary (fetch, decrypt, render): median {:.0} ms",
        median(form.iter().zip(&summary).map(|(f, s)| s - f).collect())
    );
    println!(
        "  ({runs} runs; slowest navigation → summary {:.0} ms)",
        summary.iter().copied().fold(0.0, f64::max)
    );
}
