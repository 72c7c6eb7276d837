//! The app's WebAssembly, split so that opening the start page loads only what it needs.
//!
//! Trunk 0.21 cannot split a module, so it builds everything else in `dist/` (styles, icons,
//! the web manifest, the service worker, the import worker and `index.html`), and this step
//! builds the app itself:
//!
//! 1. cargo builds `folio-app` for wasm32, linked with `--emit-relocs`: the splitter needs
//!    the relocations to move code and data between modules;
//! 2. `wasm_split_cli_support` (the splitter cargo-leptos runs) cuts it at the functions
//!    marked `#[wasm_split(…)]` (`app/src/pages/on_demand.rs`): one module for each page
//!    loaded on demand, shared chunks for what several of them use, the main module with
//!    the rest, and `__wasm_split.js`, which fetches them;
//! 3. wasm-bindgen writes the main module's JS glue;
//! 4. wasm-opt `-Oz` shrinks every module, as Trunk does for the import worker;
//! 5. the files go into `dist/app-<hash>/`, one hash over all of them (they name each
//!    other, so they change together), and `index.html` gets the loader and the list of
//!    chunks the service worker keeps for offline use.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};

use crate::{WASM_TARGET, cmd, run_cmd};

/// The cargo profile of the WASM builds (the workspace's Cargo.toml).
const PROFILE: &str = "wasm-release";
/// The JS glue's name: `folio-app.js` and `folio-app_bg.wasm`.
const GLUE: &str = "folio-app";
/// The splitter's loader, which the main module imports and which fetches the chunks.
const SPLIT_LOADER: &str = "__wasm_split.js";
/// The `<meta>` naming every file of the build, for the service worker to keep.
pub const FILES_META: &str = "folio-app-files";

/// Builds the app into `dist/app-<hash>/` and links it from `dist/index.html`, which Trunk
/// has written.
pub fn build(root: &Path) -> Result<()> {
    // `cargo rustc` gives the flag to the app's own link only, so the crates it shares with
    // the import worker are compiled once for both.
    run_cmd(cmd(root, "cargo").args([
        "rustc",
        "-p",
        "folio-app",
        "--bin",
        "folio-app",
        "--target",
        WASM_TARGET,
        "--profile",
        PROFILE,
        "--",
        "-Clink-args=--emit-relocs",
    ]))?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let linked = target_dir
        .join(WASM_TARGET)
        .join(PROFILE)
        .join("folio-app.wasm");
    let work = target_dir.join("app-bundle");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;

    let chunks = split(&linked, &work)?;
    let main = work.join("main.wasm");
    run_cmd(
        cmd(root, "wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--keep-lld-exports"])
            .args(["--out-name", GLUE, "--out-dir"])
            .arg(&work)
            .arg(&main),
    )?;
    std::fs::remove_file(&main)?;

    let glue_wasm = work.join(format!("{GLUE}_bg.wasm"));
    if std::env::var_os("FOLIO_APP_SIZES").is_some() {
        crate::app_sizes::report(root, &glue_wasm)?;
    }
    let mut modules = chunks;
    modules.push(glue_wasm);
    optimise(root, &modules)?;

    let files = files_under(&work)?;
    let hash = hash_of(&work, &files)?;
    let dist = root.join("dist");
    let folder = format!("app-{hash}");
    for file in &files {
        let to = dist.join(&folder).join(file);
        std::fs::create_dir_all(to.parent().expect("a file in a folder"))?;
        std::fs::copy(work.join(file), &to)?;
    }
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index)
        .with_context(|| format!("{}: run Trunk first", index.display()))?;
    std::fs::write(&index, link_into(&html, &folder, &files)?)?;
    eprintln!(
        "xtask: the app is in dist/{folder}/ ({} modules loaded on demand)",
        modules.len() - 1
    );
    Ok(())
}

/// Splits `linked` into `work`: `main.wasm` for wasm-bindgen, the modules loaded on
/// demand (returned) and the loader.
fn split(linked: &Path, work: &Path) -> Result<Vec<PathBuf>> {
    let input = std::fs::read(linked).with_context(|| format!("{}", linked.display()))?;
    let main = work.join("main.wasm");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = work;
    options.main_out_path = &main;
    options.link_name = "./__wasm_split.js";
    // The loader reaches the main module's exports through its glue, beside it.
    let glue = format!("./{GLUE}.js");
    options.main_module = &glue;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|e| anyhow!("splitting {}: {e:?}", linked.display()))?;
    if split.split_modules.is_empty() {
        bail!("the app has no #[wasm_split] pages: was it linked with --emit-relocs?");
    }
    Ok(split.split_modules)
}

/// `wasm-opt -Oz` on each module in place, two at a time (the machines here have two
/// cores; most modules are small, so starting wasm-opt is much of the time).
fn optimise(root: &Path, modules: &[PathBuf]) -> Result<()> {
    let queue = Mutex::new(modules.iter().collect::<VecDeque<_>>());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while let Some(module) = queue.lock().expect("no panics").pop_front() {
                    let optimised = module.with_extension("opt.wasm");
                    let outcome = cmd(root, "wasm-opt")
                        .arg("-Oz")
                        .arg(module)
                        .arg("-o")
                        .arg(&optimised)
                        .output()
                        .map_err(anyhow::Error::from)
                        .and_then(|out| {
                            if !out.status.success() {
                                bail!("{}", String::from_utf8_lossy(&out.stderr));
                            }
                            Ok(std::fs::rename(&optimised, module)?)
                        });
                    if let Err(why) = outcome {
                        let name = module.display().to_string();
                        failures
                            .lock()
                            .expect("no panics")
                            .push(format!("{name}: {why}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("no panics");
    if !failures.is_empty() {
        bail!("wasm-opt failed:\n{}", failures.join("\n"));
    }
    Ok(())
}

/// Every file under `dir`, relative to it, in a stable order.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, base: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, base, found)?;
            } else {
                found.push(path.strip_prefix(base)?.to_path_buf());
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found)?;
    found.sort();
    Ok(found)
}

/// 16 hex digits of SHA-256 over every file's name and bytes.
fn hash_of(dir: &Path, files: &[PathBuf]) -> Result<String> {
    let mut hasher = Sha256::new();
    for file in files {
        let name = file.to_string_lossy();
        let bytes = std::fs::read(dir.join(file))?;
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let digest = hasher.finalize();
    Ok(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
}

/// `html` with the app's loader before `</head>`: the glue and the loader preloaded, the
/// main module fetched while they load, and every file named for the service worker.
fn link_into(html: &str, folder: &str, files: &[PathBuf]) -> Result<String> {
    let url = |file: &str| format!("/{folder}/{file}");
    let glue = url(&format!("{GLUE}.js"));
    let wasm = url(&format!("{GLUE}_bg.wasm"));
    let every_file: Vec<String> = files
        .iter()
        .map(|f| url(&f.to_string_lossy().replace('\\', "/")))
        .collect();
    let loader = format!(
        r#"<link rel="modulepreload" href="{glue}">
<link rel="modulepreload" href="{split}">
<link rel="preload" href="{wasm}" as="fetch" type="application/wasm" crossorigin="anonymous">
<meta name="{FILES_META}" content="{every}">
<script type="module">import init from "{glue}"; await init({{ module_or_path: "{wasm}" }});</script>
"#,
        split = url(SPLIT_LOADER),
        every = every_file.join(" "),
    );
    let Some(at) = html.find("</head>") else {
        bail!("index.html has no </head>");
    };
    Ok(format!("{}{loader}{}", &html[..at], &html[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_goes_into_the_head_and_names_every_file() {
        let html = "<html><head><title>Folio</title></head><body></body></html>";
        let files = [
            PathBuf::from("__wasm_split.js"),
            PathBuf::from("folio-app.js"),
            PathBuf::from("folio-app_bg.wasm"),
            PathBuf::from("split_share.wasm"),
        ];
        let linked = link_into(html, "app-0123456789abcdef", &files).unwrap();
        let head = &linked[..linked.find("</head>").unwrap()];
        assert!(head.contains(
            r#"import init from "/app-0123456789abcdef/folio-app.js"; await init({ module_or_path: "/app-0123456789abcdef/folio-app_bg.wasm" });"#
        ));
        assert!(head.contains(
            r#"<link rel="modulepreload" href="/app-0123456789abcdef/__wasm_split.js">"#
        ));
        assert!(head.contains("/app-0123456789abcdef/split_share.wasm\">"));
        assert!(link_into("<html></html>", "app-0", &files).is_err());
    }

    #[test]
    fn the_hash_changes_with_any_file() {
        let dir = std::env::temp_dir().join(format!("folio-xtask-hash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.wasm"), b"one").unwrap();
        std::fs::write(dir.join("b.js"), b"two").unwrap();
        let files = files_under(&dir).unwrap();
        assert_eq!(files, [PathBuf::from("a.wasm"), PathBuf::from("b.js")]);
        let before = hash_of(&dir, &files).unwrap();
        assert_eq!(before.len(), 16);
        std::fs::write(dir.join("b.js"), b"twO").unwrap();
        assert_ne!(hash_of(&dir, &files).unwrap(), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
