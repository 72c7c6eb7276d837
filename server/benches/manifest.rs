//! SMART Health Link manifest requests (`POST /shl/{id}`) under concurrent load, on SQLite
//! and on PostgreSQL: requests per second and p50/p99 latency, beside `GET /` (the app's
//! `index.html`, served from memory through the same router and middleware) of the same
//! server in the same run, as the ceiling of what server and load generator reach without
//! the database.
//!
//! The manifest is measured twice: every client on one link, and each client on a link of
//! its own. Each open of a link counts against it and appends to its hash-chained access
//! log, both under the share row's lock: on PostgreSQL one link's requests queue behind
//! each other while different links' do not (SQLite has one writer at a time anyway).
//!
//! The server runs in this process, on a runtime of its own with as many workers as
//! `folio serve` would have, so the bench can set what the `folio serve` harness cannot: the
//! database URL, the app folder, and a trusted `X-Forwarded-For`. The load generator runs
//! on one more thread of the same process; on a small machine both share the cores, and the
//! static-file ceiling shows what that costs. The account and the shares are made with the
//! real `folio` binary, as a patient would make them.
//!
//! `cargo bench -p folio-server --bench manifest`. `FOLIO_BENCH_SECONDS` sets the measured
//! time of each run (default 10), `FOLIO_BENCH_CLIENTS` the concurrencies (default
//! `16,64`), `FOLIO_BENCH_POSTGRES_URL` the PostgreSQL server (default the tests' one;
//! `none` skips PostgreSQL).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use folio_server::Server;
use folio_server::config::ServeConfig;
use folio_server::storage::shares;
use folio_shared::shl::ShareLinkPayload;
use sea_orm::{ConnectionTrait, Database};
use tokio::runtime::Runtime;

#[path = "../tests/common/mod.rs"]
mod common;

use common::folio_json;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Large enough that the shared file comes embedded in the manifest: one round trip, as a
/// viewer that asks for it gets.
const EMBEDDED_LENGTH_MAX: usize = 1 << 20;
/// What the app's built `index.html` looks like (Trunk's output is about this size).
const INDEX_HTML: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light dark">
  <meta name="theme-color" content="#1f5f8b">
  <title>Folio</title>
  <link rel="stylesheet" href="/style-0123456789abcdef.css" integrity="sha384-bench">
  <link rel="modulepreload" href="/folio-app-0123456789abcdef.js" crossorigin="anonymous">
  <link rel="preload" href="/folio-app-0123456789abcdef_bg.wasm" crossorigin="anonymous" as="fetch" type="application/wasm">
  <link rel="icon" href="/icons/folio.svg" type="image/svg+xml">
</head>
<body>
  <noscript>Folio needs JavaScript and WebAssembly to decrypt your record in this browser.</noscript>
  <script type="module">import init from '/folio-app-0123456789abcdef.js'; init('/folio-app-0123456789abcdef_bg.wasm');</script>
</body>
</html>
"##;

struct Settings {
    warmup: Duration,
    measure: Duration,
    concurrencies: Vec<usize>,
    postgres_url: Option<String>,
    /// `cargo bench` rather than the `cargo test --benches` smoke run.
    benching: bool,
}

impl Settings {
    fn from_env() -> Settings {
        // `cargo bench` passes `--bench`; `cargo test --benches` does not: then run briefly,
        // as a smoke test.
        let benching = std::env::args().any(|a| a == "--bench");
        let seconds: f64 = std::env::var("FOLIO_BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|s: &f64| *s > 0.0)
            .unwrap_or(if benching { 10.0 } else { 0.5 });
        let concurrencies = std::env::var("FOLIO_BENCH_CLIENTS")
            .ok()
            .map(|list| {
                list.split(',')
                    .map(|n| {
                        n.trim()
                            .parse::<usize>()
                            .ok()
                            .filter(|&n| n > 0)
                            .unwrap_or_else(|| panic!("FOLIO_BENCH_CLIENTS: {n:?} is not a count"))
                    })
                    .collect()
            })
            .unwrap_or_else(|| if benching { vec![16, 64] } else { vec![4] });
        let postgres_url = match std::env::var("FOLIO_BENCH_POSTGRES_URL") {
            Ok(url) if url == "none" => None,
            Ok(url) => Some(url),
            Err(_) => Some(DEFAULT_POSTGRES_URL.to_owned()),
        };
        let measure = Duration::from_secs_f64(seconds);
        Settings {
            // Long enough to open every connection and fill the server's pools, so the
            // figures are of the steady state.
            warmup: (measure / 10).clamp(Duration::from_millis(200), Duration::from_secs(1)),
            measure,
            concurrencies,
            postgres_url,
            benching,
        }
    }
}

/// One request the load generator repeats.
#[derive(Clone)]
struct Target {
    url: String,
    /// A manifest request's JSON body; `None` for a `GET`.
    body: Option<Bytes>,
}

/// What one run of the load generator saw in its measured window.
struct Tally {
    elapsed: Duration,
    /// Latencies of the 2xx answers.
    latencies: Vec<Duration>,
    too_many: u64,
    other_status: u64,
    transport_errors: u64,
}

impl Tally {
    fn over(elapsed: Duration) -> Tally {
        Tally {
            elapsed,
            latencies: Vec::new(),
            too_many: 0,
            other_status: 0,
            transport_errors: 0,
        }
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Nearest-rank percentile of the sorted latencies.
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

/// Every request claims to come from a different client address (through the trusted
/// `X-Forwarded-For`): the manifest endpoint allows each client 60 requests a minute per
/// link, a limit no setting changes, and one load generator would otherwise measure the
/// limiter's 429s. The limiter's counting still runs on every request, as it would for many
/// real viewers.
static NEXT_CLIENT: AtomicU32 = AtomicU32::new(1);

fn next_client_address() -> String {
    let n = NEXT_CLIENT.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    Ipv4Addr::from(0x0a00_0000 | n).to_string()
}

/// `clients` concurrent connections, client `i` repeating `targets[i % len]`, for warm-up
/// plus the measured time; answers completed inside the measured window are counted.
async fn load(targets: &[Target], clients: usize, warmup: Duration, measure: Duration) -> Tally {
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("an HTTP client");
    let start = Instant::now();
    let window_opens = start + warmup;
    let window_closes = window_opens + measure;
    let workers: Vec<_> = (0..clients)
        .map(|i| {
            let http = http.clone();
            let target = targets[i % targets.len()].clone();
            tokio::spawn(async move {
                let mut tally = Tally::over(measure);
                while Instant::now() < window_closes {
                    let request = match &target.body {
                        Some(body) => http
                            .post(&target.url)
                            .header("content-type", "application/json")
                            .body(body.clone()),
                        None => http.get(&target.url),
                    }
                    .header("x-forwarded-for", next_client_address());
                    let sent = Instant::now();
                    // The whole body is read: a response is done when the client has it.
                    let outcome = match request.send().await {
                        Ok(response) => {
                            let status = response.status();
                            response.bytes().await.map(|_| status)
                        }
                        Err(e) => Err(e),
                    };
                    let done = Instant::now();
                    if done < window_opens || done >= window_closes {
                        continue;
                    }
                    match outcome {
                        Ok(status) if status.is_success() => tally.latencies.push(done - sent),
                        Ok(status) if status.as_u16() == 429 => tally.too_many += 1,
                        Ok(_) => tally.other_status += 1,
                        Err(_) => tally.transport_errors += 1,
                    }
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::over(measure);
    for worker in workers {
        let tally = worker.await.expect("a load worker finished");
        total.latencies.extend(tally.latencies);
        total.too_many += tally.too_many;
        total.other_status += tally.other_status;
        total.transport_errors += tally.transport_errors;
    }
    total.latencies.sort_unstable();
    total
}

/// A PostgreSQL database for one engine run, dropped when the run ends, even on a panic.
struct PostgresDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create(admin_url: &str) -> Result<PostgresDatabase, sea_orm::DbErr> {
        let name = format!("folio_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        admin.close().await.ok();
        let mut url = url::Url::parse(admin_url).expect("a valid PostgreSQL URL");
        url.set_path(&name);
        Ok(PostgresDatabase {
            admin_url: admin_url.to_owned(),
            url: url.to_string(),
            name,
        })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Dropped outside any runtime (the guard lives in `main`), so it may block here.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| {
                rt.block_on(async {
                    let admin = Database::connect(&admin_url).await?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await?;
                    admin.close().await
                })
            });
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the bench database {name}; drop it by hand");
        }
    }
}

/// A running server with a patient's share links on it.
struct Setup {
    server: Server,
    base_url: String,
    /// The shares, and the manifest request of each.
    shares: Vec<(uuid::Uuid, Target)>,
    _data: tempfile::TempDir,
}

fn smallest_synthea() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fhir-r4/synthea");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .min_by_key(|p| std::fs::metadata(p).map_or(u64::MAX, |m| m.len()))
        .expect("a Synthea bundle")
}

/// Starts a server on `database_url` (SQLite in its data folder when `None`), then signs a
/// patient up, imports a record and shares its summary `links` times, without a passcode,
/// with the CLI.
fn set_up(server_rt: &Runtime, database_url: Option<String>, links: usize) -> Setup {
    let data = tempfile::tempdir().expect("a temporary directory");
    let app_dir = data.path().join("dist");
    std::fs::create_dir_all(&app_dir).expect("the app folder");
    std::fs::write(app_dir.join("index.html"), INDEX_HTML).expect("index.html");
    let mut config = ServeConfig::for_data_dir(data.path().join("data"));
    // The public URL (the WebAuthn origin the CLI signs up against) must name the port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    config.listen = ([127, 0, 0, 1], port).into();
    config.public_url = url::Url::parse(&format!("http://localhost:{port}")).expect("a URL");
    config.storage.database_url = database_url;
    config.app_dir = app_dir;
    config.trust_forwarded_for = true;
    let public_url = config.public_url.as_str().trim_end_matches('/').to_owned();
    let server = server_rt
        .block_on(Server::start(config))
        .expect("the server starts");
    let base_url = format!("http://{}", server.addr());

    let profile = data.path().join("patient.json");
    let profile = profile.to_str().expect("a UTF-8 path");
    folio_json(&[
        "account",
        "create",
        "--server",
        &public_url,
        "--profile",
        profile,
        "--json",
    ]);
    let record = smallest_synthea();
    folio_json(&[
        "import",
        "--profile",
        profile,
        "--json",
        record.to_str().expect("a UTF-8 path"),
    ]);
    let body = Bytes::from(
        serde_json::json!({
            "recipient": "Benchmark viewer",
            "embeddedLengthMax": EMBEDDED_LENGTH_MAX,
        })
        .to_string(),
    );
    let shares = (0..links)
        .map(|n| {
            let created = folio_json(&[
                "share",
                "create",
                "--profile",
                profile,
                "--ips",
                "--expires",
                "1d",
                "--label",
                &format!("Benchmark {n}"),
                "--json",
            ]);
            let share_id = created["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .unwrap_or_else(|| panic!("`folio share create` printed no share id: {created:#}"));
            let link = created["link"]
                .as_str()
                .unwrap_or_else(|| panic!("`folio share create` printed no link: {created:#}"));
            let payload = ShareLinkPayload::parse(link).expect("a SMART Health Link");
            // Straight to the listener's address: `localhost` might resolve to ::1 first.
            let path = payload
                .url
                .strip_prefix(&public_url)
                .unwrap_or_else(|| panic!("the manifest URL {} is on this server", payload.url));
            let manifest = Target {
                url: format!("{base_url}{path}"),
                body: Some(body.clone()),
            };
            (share_id, manifest)
        })
        .collect();
    Setup {
        server,
        base_url,
        shares,
        _data: data,
    }
}

fn row(label: &str, clients: usize, tally: &Tally) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  {label:<34} {clients:>7} {:>9.0} {:>8.2} {:>8.2} {:>8} {:>6} {:>6}",
        tally.rate(),
        ms(tally.percentile(50.0)),
        ms(tally.percentile(99.0)),
        tally.latencies.len(),
        tally.too_many,
        tally.other_status + tally.transport_errors,
    );
}

/// True when every run answered only 2xx.
fn clean(tally: &Tally) -> bool {
    tally.too_many + tally.other_status + tally.transport_errors == 0 && !tally.latencies.is_empty()
}

/// Loads the static page, then the manifest of one link from every client, then of a link
/// per client, at each concurrency; then checks that each share's open count equals its
/// access log's length and that the log's hash chain is intact.
fn measure_engine(
    engine: &str,
    server_rt: &Runtime,
    load_rt: &Runtime,
    settings: &Settings,
    setup: Setup,
) -> bool {
    let mut ok = true;
    let page = Target {
        url: format!("{}/", setup.base_url),
        body: None,
    };
    let size = |target: &Target| {
        load_rt.block_on(async {
            let http = reqwest::Client::builder().no_proxy().build()?;
            let request = match &target.body {
                Some(body) => http.post(&target.url).body(body.clone()),
                None => http.get(&target.url),
            };
            let request = request.header("x-forwarded-for", next_client_address());
            let response = request.send().await?.error_for_status()?;
            response.bytes().await.map(|b| b.len())
        })
    };
    let manifests: Vec<Target> = setup.shares.iter().map(|(_, t)| t.clone()).collect();
    let page_bytes = size(&page).expect("the static page answers");
    let manifest_bytes = size(&manifests[0]).expect("the manifest answers");
    println!(
        "{engine}: GET / answers {page_bytes} bytes; a manifest {manifest_bytes} bytes (its file embedded)"
    );
    let one_link = format!("manifest {engine}, 1 link");
    let many_links = format!("manifest {engine}, link per client");
    for &clients in &settings.concurrencies {
        for (label, targets) in [
            ("static GET /", std::slice::from_ref(&page)),
            (one_link.as_str(), &manifests[..1]),
            (
                many_links.as_str(),
                &manifests[..clients.min(manifests.len())],
            ),
        ] {
            let tally = load_rt.block_on(load(targets, clients, settings.warmup, settings.measure));
            row(label, clients, &tally);
            ok &= clean(&tally);
        }
    }
    let db = setup.server.storage().db().clone();
    let mut intact = true;
    let mut opens = 0;
    for (id, _) in &setup.shares {
        let (share, log) = server_rt.block_on(async {
            let share = shares::get(&db, *id)
                .await
                .expect("the share row")
                .expect("the share exists");
            let log = shares::access_log(&db, *id).await.expect("the access log");
            (share, log)
        });
        intact &= shares::verify_chain(&share, &log) && i64::from(share.opens) == share.log_length;
        opens += share.opens;
    }
    println!(
        "  {} shares counted {opens} opens, each matching its access log, hash chains intact: {intact}",
        setup.shares.len()
    );
    ok &= intact;
    server_rt
        .block_on(setup.server.stop())
        .expect("the server stops cleanly");
    ok
}

fn main() -> ExitCode {
    let settings = Settings::from_env();
    // What `folio serve` installs, writing nowhere: the request spans cost what they cost in
    // production without the bench measuring a terminal.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,sqlx=warn,sea_orm=warn",
        ))
        .with_writer(std::io::sink)
        .init();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // `#[tokio::main]` in `folio serve` starts one worker per core.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("server")
        .enable_all()
        .build()
        .expect("the server's runtime");
    let load_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the load generator's runtime");
    println!(
        "manifest bench: {} s measured after {} s warm-up per run, {cores} cores shared by server and load generator",
        settings.measure.as_secs_f64(),
        settings.warmup.as_secs_f64()
    );
    println!(
        "  {:<34} {:>7} {:>9} {:>8} {:>8} {:>8} {:>6} {:>6}",
        "target", "clients", "req/s", "p50 ms", "p99 ms", "2xx", "429", "errors"
    );

    let mut ok = true;
    let started = Instant::now();
    // One link per client at the highest concurrency, for the link-per-client runs.
    let links = settings.concurrencies.iter().copied().max().unwrap_or(1);
    let sqlite = set_up(&server_rt, None, links);
    println!("sqlite: set up in {:.1} s", started.elapsed().as_secs_f64());
    ok &= measure_engine("sqlite", &server_rt, &load_rt, &settings, sqlite);

    // Declared here so the database outlives the server and is dropped outside a runtime.
    let postgres = match &settings.postgres_url {
        None => None,
        Some(admin_url) => match server_rt.block_on(PostgresDatabase::create(admin_url)) {
            Ok(db) => Some(db),
            Err(e) if !settings.benching => {
                println!("postgres: skipped in the smoke run, {admin_url} is unreachable: {e}");
                None
            }
            Err(e) => {
                eprintln!(
                    "PostgreSQL at {admin_url} is needed (set FOLIO_BENCH_POSTGRES_URL, or `none` to skip): {e}"
                );
                return ExitCode::FAILURE;
            }
        },
    };
    if let Some(pg) = &postgres {
        let started = Instant::now();
        let setup = set_up(&server_rt, Some(pg.url.clone()), links);
        println!(
            "postgres: set up in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        ok &= measure_engine("postgres", &server_rt, &load_rt, &settings, setup);
    }
    drop(server_rt);
    drop(postgres);
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("some requests failed, were rate-limited or went uncounted: see above");
        ExitCode::FAILURE
    }
}
