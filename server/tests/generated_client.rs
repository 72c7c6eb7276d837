//! The API as the contract for phone apps (issue 27): a client generated from the served
//! OpenAPI document by an independent generator (PyPI `openapi-python-client`, installed by
//! `cargo xtask setup` in `tools/py`) talks to a real `folio serve` with a device token made
//! by `folio account create`: health, the account, the record list, a record's keys, a page
//! of segments, and refused requests read as problems (`tests/openapi/smoke.py`).

use std::path::Path;
use std::process::Command;

use folio_server::cli::profile::Profile;
use serde_json::json;

mod common;

use common::{create_account, folio_json, serve};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate is in the workspace")
}

/// Runs `command` and fails the test with its output unless it succeeds.
fn run(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_generated_python_client_reads_the_account_and_a_record() {
    let tools = workspace().join("tools/py/bin");
    assert!(
        tools.join("openapi-python-client").exists(),
        "{} has no openapi-python-client: run `cargo xtask setup`",
        tools.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let server = serve();
    let profile = dir.path().join("phone.json");
    let profile = profile.to_str().unwrap();
    create_account(&server, profile);
    let record = dir.path().join("record.json");
    std::fs::write(
        &record,
        serde_json::to_vec(&json!({
            "resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Patient", "id": "p1",
                              "name": [{"family": "Lovelace", "given": ["Ada"]}]}}
            ]
        }))
        .unwrap(),
    )
    .unwrap();
    let imported = folio_json(&[
        "import",
        "--profile",
        profile,
        "--json",
        record.to_str().unwrap(),
    ]);
    let vault = imported["vault"].as_str().unwrap();
    let token = Profile::load(Path::new(profile)).unwrap().device.token;

    // The document as the server serves it, and a client generated from it.
    let url = format!("{}/api/v1/openapi.json", server.url);
    let document = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() });
    let spec = dir.path().join("openapi.json");
    std::fs::write(&spec, document).unwrap();
    let package = dir.path().join("folio_client");
    run(
        Command::new(tools.join("openapi-python-client"))
            .args(["generate", "--meta", "none", "--path"])
            .arg(&spec)
            .arg("--output-path")
            .arg(&package)
            .env("PATH", path_with(&tools)),
        "generating the client",
    );
    let answer = run(
        Command::new(tools.join("python"))
            .arg(workspace().join("tests/openapi/smoke.py"))
            .args([server.url.as_str(), token.as_str(), vault])
            .env("PYTHONPATH", dir.path()),
        "the generated client's smoke test",
    );
    let summary: serde_json::Value = serde_json::from_str(answer.trim()).unwrap();
    assert_eq!(summary["vaults"], 1, "{summary}");
    assert!(summary["segments_bytes"].as_u64().unwrap() > 0, "{summary}");
}

/// PATH with `tools` first: the generator formats its output with the `ruff` beside it.
fn path_with(tools: &Path) -> std::ffi::OsString {
    let mut dirs = vec![tools.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}
