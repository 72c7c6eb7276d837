//! The patient app's two figures (issue 7): the compressed size of the WASM and JS its start
//! page loads (and, apart, of what only some pages load on demand: the other pages' modules
//! and the import worker), and the time from navigation to an interactive start page with a
//! 30,000-resource record, in headless Chromium on loopback.
//!
//! What the start page loads is what Chromium fetched for it (the page's resource timings),
//! from navigation until the summary at a glance is shown, unlock included, plus the
//! service worker's script; the service worker later keeps the rest in the background.
//!
//! Untimed setup: a patient signs up in the browser (virtual passkey with PRF) and imports,
//! through the import page, the four Synthea bundles repeated with fresh ids until the record
//! holds 30,000 resources (each copy a collection Bundle whose UUIDs are all replaced, so its
//! references still resolve inside it).
//!
//! Each timed run reloads the start page in the same tab (so the identity is gone from
//! memory, as for a patient coming back), once with the record's sealed segments kept in
//! IndexedDB by the visit before and once with that copy deleted; a script injected before the page's own presses
//! "Unlock" and then "Unlock with passkey" the moment each appears, and stamps
//! `performance.now()` (milliseconds since navigation started) when the app showed the
//! locked start page and when the summary at a glance was rendered. The virtual passkey
//! answers at once, so no human time is counted.
//!
//! `cargo xtask build && cargo bench -p folio-tests --bench app`; `FOLIO_BENCH_RUNS` sets
//! the run count. Goals: under 600 KB gzip loaded by the start page; under 1.5 s to the
//! interactive start page.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use folio_tests::browser::{
    Browser, add_virtual_authenticator, click, expect_vault_unlocked, pick_files, sign_up, text_of,
    visit, wait_for,
};
use folio_tests::{Engine, TestServer, app_dir};
use serde_json::Value;

const TARGET_RESOURCES: usize = 30_000;
const SIZE_GOAL_BYTES: usize = 600 * 1024;
const TIME_GOAL_MS: f64 = 1500.0;

const BUNDLES: [&str; 4] = [
    "Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json",
    "Catherine_Turner_fa4fbf0c-f581-41f2-889b-f3769e57681d.json",
    "Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json",
    "Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json",
];

const INSTRUMENT: &str = r#"
(() => {
  const stamp = () => {
    const unlockLink = document.querySelector('a[href="/unlock"].button');
    if (!window.__lockedAt && unlockLink) {
      window.__lockedAt = performance.now();
      unlockLink.click();
    }
    const unlock = [...document.querySelectorAll('button.primary')]
      .find(b => b.innerText.trim() === 'Unlock with passkey');
    if (unlock && !window.__unlockClicked && !unlock.disabled) {
      window.__unlockClicked = true;
      unlock.click();
    }
    if (!window.__glanceAt && document.querySelector('[data-testid=glance-results] li')) {
      window.__glanceAt = performance.now();
    }
  };
  new MutationObserver(stamp).observe(document, { childList: true, subtree: true });
})();
"#;

/// Deletes the app's IndexedDB copy of the record; the app's open connection lets go
/// (see `app/src/offline/store.js`), and the next page load waits for the deletion.
const FORGET_KEPT_COPY: &str = "new Promise((done) => { \
    const deleting = indexedDB.deleteDatabase('folio-offline'); \
    deleting.onsuccess = deleting.onerror = deleting.onblocked = () => done('gone'); })";

/// The paths of every file the page fetched since navigation.
const FETCHED: &str =
    "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)";

/// The app's milestones on the performance timeline of the page just loaded, by name.
const MILESTONES: &str = "Object.fromEntries(performance.getEntriesByType('mark') \
    .filter((m) => m.name.startsWith('folio:')).map((m) => [m.name, m.startTime]))";

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One `.wasm` or `.js` file of the built app.
struct AppFile {
    /// Its path under `dist/`, with `/` between folders.
    path: String,
    raw: usize,
    /// gzip level 9, as a server would precompress it.
    gzip: usize,
    /// Whether opening the start page loads it (see the module's comment). The rest (other
    /// pages' modules, the import worker) is fetched only by the pages that use it.
    initial: bool,
}

/// Every `.wasm` and `.js` file under `dist`, sorted by path.
fn app_files(dist: &Path) -> Vec<AppFile> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|x| x == "wasm" || x == "js") {
                found.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dist, &mut paths);
    let mut files: Vec<AppFile> = paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&bytes).unwrap();
            let relative = path.strip_prefix(dist).unwrap().components();
            let relative: Vec<_> = relative.map(|c| c.as_os_str().to_string_lossy()).collect();
            AppFile {
                path: relative.join("/"),
                raw: bytes.len(),
                gzip: gz.finish().unwrap().len(),
                initial: false,
            }
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Prints the files loaded `initial`ly or on demand; their gzip total.
fn print_files(files: &[AppFile], initial: bool) -> usize {
    let mut total = 0;
    for file in files.iter().filter(|f| f.initial == initial) {
        println!(
            "    {:<50} {:>10} bytes  {:>9} gzip",
            file.path, file.raw, file.gzip
        );
        total += file.gzip;
    }
    total
}

/// Replaces every UUID in `text` that `fresh` knows, in one pass.
fn replace_uuids(text: &str, fresh: &HashMap<String, String>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if i + 36 <= bytes.len()
            && let Some(new) = text
                .get(i..i + 36)
                .and_then(|candidate| fresh.get(candidate))
        {
            out.push_str(new);
            i += 36;
            continue;
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The four Synthea bundles again and again, each copy one collection Bundle with fresh
/// UUIDs, until `TARGET_RESOURCES` resources; returns the files written. They are one
/// patient's lifetime: only the first bundle's Patient is kept (the import refuses a file
/// about someone else), and every copy names the same person.
fn lifetime_files(dir: &Path) -> Vec<PathBuf> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fhir-r4/synthea");
    let bundles: Vec<Value> = BUNDLES
        .iter()
        .map(|name| serde_json::from_slice(&std::fs::read(data.join(name)).unwrap()).unwrap())
        .collect();
    let entries: Vec<&Value> = bundles
        .iter()
        .enumerate()
        .flat_map(|(i, b)| {
            b["entry"]
                .as_array()
                .unwrap()
                .iter()
                .filter(move |e| i == 0 || e["resource"]["resourceType"] != "Patient")
        })
        .collect();
    let ids: Vec<String> = entries
        .iter()
        .filter_map(|e| {
            e["fullUrl"]
                .as_str()?
                .strip_prefix("urn:uuid:")
                .map(str::to_owned)
        })
        .collect();
    let mut files = Vec::new();
    let mut written = 0;
    for copy in 0.. {
        if written >= TARGET_RESOURCES {
            break;
        }
        let take = entries.len().min(TARGET_RESOURCES - written);
        let bundle = serde_json::json!({
            "resourceType": "Bundle",
            "type": "collection",
            "entry": entries[..take],
        });
        let fresh: HashMap<String, String> = ids
            .iter()
            .map(|id| (id.clone(), uuid::Uuid::new_v4().to_string()))
            .collect();
        let text = replace_uuids(&bundle.to_string(), &fresh);
        let path = dir.join(format!("lifetime-{copy:02}.json"));
        std::fs::write(&path, text).unwrap();
        files.push(path);
        written += take;
    }
    files
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("FOLIO_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if benching { 5 } else { 1 })
        .max(1);
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}: run `cargo xtask build`",
        dist.display()
    );

    // A patient with a 30,000-resource record, imported through the app (untimed).
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist.clone()).await;
    let browser = Browser::launch(390, 844).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, true).await;
    sign_up(&page, "Bench Patient", "bench-app-signed-up.png").await;
    expect_vault_unlocked(&page).await;
    let dir = tempfile::tempdir().unwrap();
    let files = lifetime_files(dir.path());
    click(&page, "a[href=\"/import\"]").await;
    pick_files(&page, "[data-testid=import-files]", &files).await;
    wait_for(
        &page,
        &format!(
            "document.querySelectorAll('[data-testid=import-file]').length === {} \
             && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
            files.len()
        ),
        Duration::from_secs(1200),
    )
    .await;
    let report = text_of(&page, "[data-testid=import-summary]").await;
    assert!(
        report.starts_with(&format!(
            "{} of {} files imported",
            files.len(),
            files.len()
        )),
        "the lifetime record imports whole: {report}"
    );

    let mut locked = Vec::with_capacity(runs);
    let mut glance = Vec::with_capacity(runs);
    let mut glance_nothing_kept = Vec::with_capacity(runs);
    let mut milestones: HashMap<(bool, String), Vec<f64>> = HashMap::new();
    let mut start_page_fetched: Vec<String> = Vec::new();
    page.evaluate_on_new_document(INSTRUMENT)
        .await
        .expect("the instrument is installed");
    // One warm-up run first (Chromium's cache holds the WASM, as for a patient's second
    // visit); each run is a fresh load of the page, twice: with the sealed segments kept on
    // this device by the visit before (a patient coming back), and with nothing kept (the
    // first visit on a new device: every segment comes from the server).
    for run in 0..=runs {
        for nothing_kept in [false, true] {
            if nothing_kept {
                page.evaluate(FORGET_KEPT_COPY)
                    .await
                    .expect("the kept copy is deleted");
            }
            visit(&page, &server.public("/")).await;
            wait_for(
                &page,
                "window.__glanceAt ? 'done' : ''",
                Duration::from_secs(300),
            )
            .await;
            let stamps: Vec<f64> = page
                .evaluate("[window.__lockedAt, window.__glanceAt]")
                .await
                .unwrap()
                .into_value()
                .unwrap();
            let reached: HashMap<String, f64> = page
                .evaluate(MILESTONES)
                .await
                .unwrap()
                .into_value()
                .unwrap();
            if run == 1 && !nothing_kept {
                start_page_fetched = page.evaluate(FETCHED).await.unwrap().into_value().unwrap();
            }
            if run == 0 {
                continue;
            }
            for (name, at) in reached {
                milestones.entry((nothing_kept, name)).or_default().push(at);
            }
            if nothing_kept {
                glance_nothing_kept.push(stamps[1]);
            } else {
                locked.push(stamps[0]);
                glance.push(stamps[1]);
            }
        }
    }
    browser.close().await;
    server.stop().await;

    let mut app = app_files(&dist);
    for file in &mut app {
        // The page registers the service worker, whose script is not among its resources.
        file.initial = file.path == "sw.js"
            || start_page_fetched
                .iter()
                .any(|fetched| fetched.trim_start_matches('/') == file.path);
    }
    println!("app size (gzip -9):");
    println!("  loaded by the start page (fetched from navigation to the summary at a glance):");
    let initial = print_files(&app, true);
    println!(
        "  initial load: {initial} bytes gzip ({:.0} KB; goal under {} KB): {}",
        initial as f64 / 1024.0,
        SIZE_GOAL_BYTES / 1024,
        if initial < SIZE_GOAL_BYTES {
            "met"
        } else {
            "NOT met"
        }
    );
    let (pages, worker): (Vec<AppFile>, Vec<AppFile>) = app
        .into_iter()
        .filter(|f| !f.initial)
        .partition(|f| f.path.starts_with("app-"));
    println!(
        "  loaded on demand: the other pages' modules, {} files, {} bytes gzip \
         (the service worker keeps them in the background)",
        pages.len(),
        pages.iter().map(|f| f.gzip).sum::<usize>()
    );
    println!("  loaded on demand: the import worker, by /import and the viewer:");
    let worker = print_files(&worker, false);
    let on_demand = worker + pages.iter().map(|f| f.gzip).sum::<usize>();
    println!(
        "  all files: {} bytes gzip ({:.0} KB)",
        initial + on_demand,
        (initial + on_demand) as f64 / 1024.0
    );

    println!(
        "start page with a {TARGET_RESOURCES}-resource record ({} files imported):",
        files.len()
    );
    println!(
        "  navigation → locked start page shown:   median {:.0} ms",
        median(locked)
    );
    // Where the time goes: the app's own milestones (app/src/milestones.rs), in order.
    println!("  milestones, median ms after navigation (segments kept | nothing kept):");
    let at = |nothing_kept: bool, name: &String| {
        milestones
            .get(&(nothing_kept, name.clone()))
            .map_or(f64::NAN, |times| median(times.clone()))
    };
    let mut names: Vec<&String> = milestones.keys().map(|(_, name)| name).collect();
    names.sort_by(|a, b| at(true, a).total_cmp(&at(true, b)));
    names.dedup();
    for name in names {
        println!(
            "    {name:<22} {:>6.0} | {:>6.0}",
            at(false, name),
            at(true, name)
        );
    }
    for (what, times) in [
        ("segments kept on this device", &glance),
        (
            "nothing kept: every segment from the server",
            &glance_nothing_kept,
        ),
    ] {
        let home = median(times.clone());
        println!(
            "  navigation → interactive summary (unlock, decrypt, render), {what}: median {home:.0} ms, slowest {:.0} ms ({runs} runs; goal under {TIME_GOAL_MS:.0} ms): {}",
            times.iter().copied().fold(0.0, f64::max),
            if home < TIME_GOAL_MS {
                "met"
            } else {
                "NOT met"
            }
        );
    }
}
