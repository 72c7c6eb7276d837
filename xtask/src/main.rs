//! `cargo xtask`: the README's commands.
//!
//! - `cargo xtask run`: install what is missing, build the app, serve at http://127.0.0.1:8080.
//! - `cargo xtask test`: install what is missing, build the app, run every test.
//! - `cargo xtask lint`: `cargo fmt --check` and clippy, native and wasm32.
//! - `cargo xtask setup`: only the installs.
//!
//! Every install is skipped when the right version is already there, so repeated runs are
//! fast. Nothing is downloaded from outside the package registries (crates.io, npm, Debian):
//! Trunk runs offline with the wasm-bindgen and wasm-opt installed here.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const TRUNK_VERSION: &str = "0.21.14";
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn main() -> Result<()> {
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
        _ => {
            eprintln!("usage: cargo xtask <setup|build|run|test|lint>");
            eprintln!(
                "  run    install missing tools, build the app, serve at http://127.0.0.1:8080"
            );
            eprintln!("  test   install missing tools, build the app, run the whole test suite");
            eprintln!("  lint   cargo fmt --check and clippy (native and wasm32)");
            eprintln!(
                "  bench-wasm  open a 30,000-resource vault in headless Chromium, beside JSON.parse"
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
    if !root.join("tools/node_modules/.bin/wasm-opt").exists() {
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

fn build_app(root: &Path) -> Result<()> {
    // Trunk passes --offline to cargo, so every crate must be in the local registry first.
    run_cmd(cmd(root, "cargo").args(["fetch"]))?;
    run_cmd(cmd(root, "trunk").args(["build", "--release"]))
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
        .args(["test", "--workspace", "--exclude", "folio-app"])
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
        "folio-shared",
        "--target",
        WASM_TARGET,
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}
