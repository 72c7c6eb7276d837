//! `cargo xtask`: the README's commands.
//!
//! - `cargo xtask run`: install what is missing, build the app, serve at http://localhost:8080.
//! - `cargo xtask test`: install what is missing, build the app, run every test.
//! - `cargo xtask lint`: `cargo fmt --check` and clippy, native and wasm32.
//! - `cargo xtask setup`: only the installs.
//! - `cargo xtask provider-directory`: the app's provider directory, from the public lists.
//!
//! Every install is skipped when the right version is already there, so repeated runs are
//! fast. Nothing is downloaded from outside the package registries (crates.io, npm, Debian):
//! Trunk runs offline with the wasm-bindgen and wasm-opt installed here.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

mod app_bundle;
mod app_sizes;
mod provider_directory;

const TRUNK_VERSION: &str = "0.21.14";
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn main() -> std::process::ExitCode {
    // The error and its causes, never a backtrace (CI may set RUST_BACKTRACE).
    match run_task() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_task() -> Result<()> {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = workspace_root()?;
    env::set_current_dir(&root)?;
    let task = args.first().map(String::as_str).unwrap_or("help");
    match task {
        "setup" => setup(&root, Needs::Browser),
        "build" => {
            setup(&root, Needs::BuildOnly)?;
            build_app(&root)
        }
        "run" => {
            setup(&root, Needs::BuildOnly)?;
            build_app(&root)?;
            run(&root, &args[1..])
        }
        "test" => {
            setup(&root, Needs::Browser)?;
            build_app(&root)?;
            test(&root, &args[1..])
        }
        "bench-wasm" => {
            setup(&root, Needs::Browser)?;
            bench_wasm(&root)
        }
        "lint" => {
            setup(&root, Needs::BuildOnly)?;
            lint(&root)
        }
        "fuzz" => fuzz(&root, args.get(1).map(String::as_str)),
        "provider-directory" => provider_directory::generate(&root, args.get(1).map(PathBuf::from)),
        _ => {
            eprintln!("usage: cargo xtask <setup|build|run|test|lint>");
            eprintln!(
                "  run    install missing tools, build the app, serve at http://127.0.0.1:8080"
            );
            eprintln!("  test   install missing tools, build the app, run the whole test suite");
            eprintln!("  lint   cargo fmt --check and clippy (native and wasm32)");
            eprintln!(
                "  fuzz [SECONDS]  libFuzzer on the fhir, ccda and shc importers, SECONDS each (60)"
            );
            eprintln!(
                "  bench-wasm  open a 30,000-resource vault in headless Chromium, beside JSON.parse"
            );
            eprintln!(
                "  provider-directory [DIR]  public/providers/ from the lists in DIR (../shared/data/providers)"
            );
            if task == "help" {
                Ok(())
            } else {
                bail!("unknown task {task}")
            }
        }
    }
}

#[derive(PartialEq)]
enum Needs {
    BuildOnly,
    Browser,
}

fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    Ok(manifest
        .parent()
        .context("xtask lives in the workspace")?
        .to_path_buf())
}

/// PATH with the project's npm tools and cargo's bin directory in front.
fn tool_path(root: &Path) -> OsString {
    let mut dirs = vec![root.join("tools/node_modules/.bin")];
    if let Some(home) = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
    {
        dirs.push(home.join("bin"));
    }
    dirs.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    env::join_paths(dirs).expect("paths without separators")
}

fn cmd(root: &Path, program: &str) -> Command {
    let mut command = Command::new(program);
    command.env("PATH", tool_path(root));
    command
}

fn run_cmd(command: &mut Command) -> Result<()> {
    eprintln!("xtask> {command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

fn output_of(root: &Path, program: &str, args: &[&str]) -> Option<String> {
    let out = cmd(root, program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn setup(root: &Path, needs: Needs) -> Result<()> {
    let targets = output_of(root, "rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets.lines().any(|t| t.trim() == WASM_TARGET) {
        run_cmd(cmd(root, "rustup").args(["target", "add", WASM_TARGET]))?;
    }
    if !output_of(root, "trunk", &["--version"]).is_some_and(|v| v.contains(TRUNK_VERSION)) {
        // Trunk 0.22 needs a newer rustc than this toolchain; 0.21.14 is the last that builds.
        run_cmd(cmd(root, "cargo").args([
            "install",
            "--locked",
            &format!("trunk@{TRUNK_VERSION}"),
        ]))?;
    }
    if !output_of(root, "wasm-bindgen", &["--version"])
        .is_some_and(|v| v.contains(WASM_BINDGEN_VERSION))
    {
        // Not --locked: its lockfile pins a webpki-roots the registry mirror does not have.
        run_cmd(cmd(root, "cargo").args([
            "install",
            &format!("wasm-bindgen-cli@{WASM_BINDGEN_VERSION}"),
        ]))?;
    }
    if !root.join("tools/node_modules/.bin/wasm-opt").exists()
        || !root.join("tools/node_modules/axe-core/axe.min.js").exists()
    {
        // Debian's binaryen 108 silently breaks wasm-bindgen's externref table; npm's 132 works.
        if !has_program(root, "npm") {
            apt_install(&["npm"])?;
        }
        run_cmd(cmd(root, "npm").args(["ci", "--prefix", "tools", "--no-audit", "--no-fund"]))?;
    }
    if needs == Needs::Browser
        && !(Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists())
    {
        apt_install(&["chromium", "chromium-driver"])?;
    }
    if needs == Needs::Browser {
        python_tools(root)?;
    }
    Ok(())
}

/// The API contract's checkers (an OpenAPI validator and a client generator, pinned in
/// `tools/requirements.txt`) in a virtual environment of their own, `tools/py`, which the
/// tests find beside the workspace.
fn python_tools(root: &Path) -> Result<()> {
    let venv = root.join("tools/py");
    let python = venv.join("bin/python");
    let requirements = root.join("tools/requirements.txt");
    let wanted =
        std::fs::read_to_string(&requirements).context("reading tools/requirements.txt")?;
    let installed = venv.join("requirements.installed");
    if python.exists() && std::fs::read_to_string(&installed).ok().as_deref() == Some(&wanted) {
        return Ok(());
    }
    run_cmd(cmd(root, "python3").args(["-m", "venv"]).arg(&venv))?;
    run_cmd(
        cmd(root, python.to_str().context("a UTF-8 path")?)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )?;
    std::fs::write(&installed, wanted).context("noting the installed tools")?;
    Ok(())
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let apt = |args: &[&str]| -> Result<()> {
        let mut command = if is_root {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !is_root {
            command.arg("apt-get");
        }
        run_cmd(command.args(args).env("DEBIAN_FRONTEND", "noninteractive"))
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend_from_slice(packages);
    apt(&install)
}

fn has_program(root: &Path, program: &str) -> bool {
    output_of(root, program, &["--version"]).is_some()
}

/// Trunk builds `dist/` but for the app's own WASM, which it cannot split; then
/// `app_bundle` builds that and links it from `dist/index.html`.
fn build_app(root: &Path) -> Result<()> {
    // Trunk passes --offline to cargo, so every crate must be in the local registry first.
    run_cmd(cmd(root, "cargo").args(["fetch"]))?;
    run_cmd(cmd(root, "trunk").args(["build", "--release"]))?;
    app_bundle::build(root)
}

fn run(root: &Path, extra: &[String]) -> Result<()> {
    std::fs::create_dir_all(root.join("data"))?;
    let mut command = cmd(root, "cargo");
    command
        .args([
            "run",
            "--release",
            "-p",
            "folio-server",
            "--bin",
            "folio",
            "--",
            "serve",
        ])
        .args(extra);
    set_default_env(&mut command, "FOLIO_DATA_DIR", &root.join("data"));
    set_default_env(&mut command, "FOLIO_APP_DIR", &root.join("dist"));
    run_cmd(&mut command)
}

fn set_default_env(command: &mut Command, key: &str, value: &Path) {
    if env::var_os(key).is_none() {
        command.env(key, value);
    }
}

fn test(root: &Path, extra: &[String]) -> Result<()> {
    let postgres =
        env::var("FOLIO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let mut native = cmd(root, "cargo");
    native
        .args([
            "test",
            "--workspace",
            "--exclude",
            "folio-app",
            "--exclude",
            "folio-import-worker",
        ])
        .args(extra)
        .env("FOLIO_TEST_POSTGRES_URL", &postgres)
        .env("FOLIO_APP_DIR", root.join("dist"));
    run_cmd(&mut native)?;

    // The crypto and codecs again, compiled to WebAssembly and run in headless Chromium.
    run_cmd(shared_in_browser(root, 180).args(["-p", "folio-shared", "--target", WASM_TARGET]))
}

/// `cargo test` of the shared crate compiled to wasm32, run by wasm-bindgen-test-runner in
/// headless Chromium, with `timeout_secs` for each test binary.
fn shared_in_browser(root: &Path, timeout_secs: u32) -> Command {
    let mut command = cmd(root, "cargo");
    command
        .arg("test")
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", timeout_secs.to_string())
        .current_dir(root.join("shared"));
    command
}

fn bench_wasm(root: &Path) -> Result<()> {
    run_cmd(shared_in_browser(root, 600).args([
        "--release",
        "-p",
        "folio-shared",
        "--target",
        WASM_TARGET,
        "--test",
        "open_bench_wasm",
        "--",
        "--include-ignored",
        "--nocapture",
    ]))
}

fn lint(root: &Path) -> Result<()> {
    run_cmd(cmd(root, "cargo").args(["fmt", "--all", "--check"]))?;
    run_cmd(cmd(root, "cargo").args([
        "clippy",
        "--workspace",
        "--exclude",
        "folio-app",
        "--exclude",
        "folio-import-worker",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run_cmd(cmd(root, "cargo").args([
        "clippy",
        "-p",
        "folio-app",
        "-p",
        "folio-import-worker",
        "-p",
        "folio-shared",
        "--target",
        WASM_TARGET,
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The fuzz targets of shared/fuzz, the sample-data folders (under /work/shared/data) that
/// seed each, and the largest file taken as a seed: big seeds make every execution slow.
const FUZZ_TARGETS: &[(&str, &[&str], u64)] = &[
    (
        "fhir",
        &[
            "fhir-r4/r4-core-examples",
            "fhir-r4/us-core-examples",
            "fhir-r4/synthea-bulk-ndjson",
        ],
        64 * 1024,
    ),
    (
        "ccda",
        &[
            "ccda/hl7-examples",
            "ccda/chb-sample-ccdas",
            "ccda/onc-2015-certification",
        ],
        100 * 1024,
    ),
    ("shc", &["shc/spec-examples"], 64 * 1024),
];

/// `cargo xtask fuzz [SECONDS]`: each target of shared/fuzz under libFuzzer for SECONDS,
/// seeded from the sample data; fails, naming the reproducer, if an input panics, hangs
/// or runs out of memory.
///
/// This is cargo-fuzz on stable Rust: with `--sanitizer none` every flag it passes is
/// stable (`-Cpasses=sancov-module` and LLVM options), so neither nightly nor
/// RUSTC_BOOTSTRAP is needed. The importers are safe Rust, where a sanitizer adds little;
/// panics, overflows (debug assertions are on), hangs and memory blow-ups are all caught.
/// `FOLIO_FUZZ_SANITIZER=address` builds with AddressSanitizer instead, in its own target
/// directory: its `-Zsanitizer` needs RUSTC_BOOTSTRAP=1 on stable, and it runs 3x slower.
fn fuzz(root: &Path, seconds: Option<&str>) -> Result<()> {
    let seconds: u64 = match seconds {
        Some(s) => s
            .parse()
            .with_context(|| format!("SECONDS is a number, not {s}"))?,
        None => 60,
    };
    if !output_of(root, "cargo", &["fuzz", "--version"])
        .is_some_and(|v| v.contains(CARGO_FUZZ_VERSION))
    {
        run_cmd(cmd(root, "cargo").args([
            "install",
            "--locked",
            &format!("cargo-fuzz@{CARGO_FUZZ_VERSION}"),
        ]))?;
    }
    let fuzz_dir = root.join("shared/fuzz");
    // Its own workspace: its lockfile starts from the main one (gitignored, refreshed when
    // that changes), so the crates fuzzed are the versions the workspace builds.
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let lock = fuzz_dir.join("Cargo.lock");
    if modified(&lock) < modified(&root.join("Cargo.lock")) {
        std::fs::copy(root.join("Cargo.lock"), &lock)?;
    }
    let sanitizer = env::var("FOLIO_FUZZ_SANITIZER").unwrap_or_else(|_| "none".into());
    let (bootstrap, options) = match sanitizer.as_str() {
        "none" => ("", "--sanitizer none".to_string()),
        s => (
            "RUSTC_BOOTSTRAP=1 ",
            format!("--sanitizer {s} --target-dir shared/fuzz/target/{s}"),
        ),
    };
    let cargo_fuzz = |task: &str| {
        let mut command = cmd(root, "cargo");
        command
            .args(["fuzz", task, "--fuzz-dir", "shared/fuzz"])
            .args(options.split(' '));
        if !bootstrap.is_empty() {
            command.env("RUSTC_BOOTSTRAP", "1");
        }
        command
    };
    run_cmd(&mut cargo_fuzz("build"))?;

    let data = root.parent().unwrap_or(root).join("shared/data");
    let (mut summary, mut crashes) = (Vec::new(), Vec::new());
    for &(target, folders, max_seed) in FUZZ_TARGETS {
        let corpus = fuzz_dir.join("corpus").join(target);
        let seeds = fuzz_seeds(&data, target, folders, max_seed, &corpus)?;
        let artifacts = fuzz_dir.join("artifacts").join(target);
        std::fs::create_dir_all(&artifacts)?;
        let files = |dir: &Path| -> Vec<PathBuf> {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .collect()
        };
        let before = files(&artifacts);
        let mut run = cargo_fuzz("run");
        run.arg(target)
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .args(["-timeout=10", "-print_final_stats=1"]);
        let (ok, stats) = run_fuzzer(&mut run)?;
        let stat = |key: &str| {
            stats
                .iter()
                .find(|(k, _)| k == key)
                .map_or("?", |(_, v)| v.as_str())
        };
        summary.push(format!(
            "{target:>5}: {} runs, {} exec/s, {} new units beside {seeds} seeds, peak RSS {} MB{}",
            stat("number_of_executed_units"),
            stat("average_exec_per_sec"),
            stat("new_units_added"),
            stat("peak_rss_mb"),
            if ok { "" } else { ", FAILED" },
        ));
        let found: Vec<PathBuf> = files(&artifacts)
            .into_iter()
            .filter(|p| !before.contains(p))
            .collect();
        if !ok && found.is_empty() {
            bail!("the {target} fuzzer failed without leaving a reproducer");
        }
        crashes.extend(found.into_iter().map(|p| (target, p)));
    }
    eprintln!("xtask fuzz: {seconds} s per target");
    for line in &summary {
        eprintln!("  {line}");
    }
    if crashes.is_empty() {
        return Ok(());
    }
    for (target, input) in &crashes {
        eprintln!(
            "  {target} reproducer: {}\n    replay: {bootstrap}cargo fuzz run --fuzz-dir shared/fuzz {options} {target} {}",
            input.display(),
            input.display()
        );
    }
    bail!("the fuzzers found {} failing input(s)", crashes.len())
}

/// Run a fuzzer, passing its output through; whether it passed, and libFuzzer's
/// `stat::` lines.
fn run_fuzzer(command: &mut Command) -> Result<(bool, Vec<(String, String)>)> {
    use std::io::BufRead;
    eprintln!("xtask> {command:?}");
    let mut child = command
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let stderr = std::io::BufReader::new(child.stderr.take().context("stderr is piped")?);
    let mut stats = Vec::new();
    for line in stderr.split(b'\n') {
        let line = String::from_utf8_lossy(&line?).into_owned();
        eprintln!("{line}");
        if let Some((key, value)) = line.strip_prefix("stat::").and_then(|s| s.split_once(':')) {
            stats.push((key.to_string(), value.trim().to_string()));
        }
    }
    Ok((child.wait()?.success(), stats))
}

/// Write a target's seeds into its corpus (gitignored, kept between runs so coverage
/// accumulates): the sample files up to `max_seed` bytes, the first lines of larger
/// NDJSON, QR text without its `shc:/` (the shc target adds it), and for fhir a zip of a
/// few seeds. Nothing from the sample data enters the repository.
fn fuzz_seeds(
    data: &Path,
    target: &str,
    folders: &[&str],
    max_seed: u64,
    corpus: &Path,
) -> Result<usize> {
    std::fs::create_dir_all(corpus)?;
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    for folder in folders {
        let Ok(dir) = std::fs::read_dir(data.join(folder)) else {
            eprintln!("xtask: no sample data at {}", data.join(folder).display());
            continue;
        };
        for file in dir.flatten().filter(|f| f.path().is_file()) {
            let name = file.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(file.path())?;
            if bytes.len() as u64 <= max_seed {
                if let Some(digits) = bytes.strip_prefix(b"shc:/") {
                    seeds.push((format!("{name}.digits"), digits.to_vec()));
                }
                seeds.push((name, bytes));
            } else if name.ends_with(".ndjson") {
                let mut head = Vec::new();
                for line in bytes.split_inclusive(|&b| b == b'\n') {
                    if (head.len() + line.len()) as u64 > max_seed / 4 {
                        break;
                    }
                    head.extend_from_slice(line);
                }
                if !head.is_empty() {
                    seeds.push((format!("{name}.head.ndjson"), head));
                }
            }
        }
    }
    if target == "fhir" {
        let members: Vec<(&str, &[u8])> = seeds
            .iter()
            .filter(|(_, b)| b.len() < 8 * 1024)
            .take(3)
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let zip = zip_seed(&members);
        seeds.push(("export.zip".into(), zip));
    }
    for (name, bytes) in &seeds {
        std::fs::write(corpus.join(format!("seed-{name}")), bytes)?;
    }
    Ok(seeds.len())
}

/// A zip of `members` (each under 64 KiB), alternately stored and deflated; the deflate
/// stream is one stored block, so no compressor is needed.
fn zip_seed(members: &[(&str, &[u8])]) -> Vec<u8> {
    let crc32 = |data: &[u8]| {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
            }
        }
        !crc
    };
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (i, (name, data)) in members.iter().enumerate() {
        let method: u16 = if i % 2 == 0 { 0 } else { 8 };
        let n = data.len() as u16;
        let body = match method {
            0 => data.to_vec(),
            _ => [&[1u8][..], &n.to_le_bytes(), &(!n).to_le_bytes(), data].concat(),
        };
        // Version needed, flags, method, time, date, CRC, sizes, name and extra lengths.
        let mut fields = Vec::new();
        for v in [20u16, 0, method, 0, 0x21] {
            fields.extend(v.to_le_bytes());
        }
        for v in [crc32(data), body.len() as u32, u32::from(n)] {
            fields.extend(v.to_le_bytes());
        }
        for v in [name.len() as u16, 0] {
            fields.extend(v.to_le_bytes());
        }
        let offset = out.len() as u32;
        out.extend(b"PK\x03\x04");
        out.extend(&fields);
        out.extend(name.as_bytes());
        out.extend(&body);
        central.extend(b"PK\x01\x02\x14\x00");
        central.extend(&fields);
        // Comment length, disk, internal and external attributes, local header offset.
        central.extend([0u8; 10]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let (size, offset, count) = (central.len() as u32, out.len() as u32, members.len() as u16);
    out.extend(central);
    out.extend(b"PK\x05\x06\0\0\0\0");
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}
