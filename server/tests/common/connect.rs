//! `folio connect add` as a patient runs it: the command prints where to sign in, the
//! "browser" follows that address, and the provider's redirect reaches the command's
//! loopback listener.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};

use super::FOLIO;

/// Connects `profile`'s record to the provider at `fhir_base` (client id `folio`), the
/// command listening on 127.0.0.1:`port` (registered at the provider). The command's JSON,
/// or what it said on standard error.
pub async fn connect_add(
    profile: &str,
    fhir_base: &str,
    port: u16,
    name: &str,
) -> Result<Value, String> {
    connect_add_with(
        profile,
        fhir_base,
        port,
        &["--client-id", "folio", "--name", name],
    )
    .await
}

/// [`connect_add`] with the given flags instead of the client id and name.
pub async fn connect_add_with(
    profile: &str,
    fhir_base: &str,
    port: u16,
    flags: &[&str],
) -> Result<Value, String> {
    let listen = format!("127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(FOLIO)
        .args(["connect", "add", "--fhir-base", fhir_base])
        .args(flags)
        .args([
            "--listen",
            &listen,
            "--timeout",
            "20",
            "--json",
            "--profile",
            profile,
        ])
        .env_remove("FOLIO_LOG")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = String::new();
    while let Some(line) = stderr.next_line().await.unwrap() {
        if let Some(url) = line.strip_prefix("Open this address to sign in: ") {
            // The browser: the provider signs the patient in and redirects back.
            let _ = reqwest::get(url).await;
            break;
        }
        said.push_str(&line);
        said.push('\n');
    }
    while let Some(line) = stderr.next_line().await.unwrap() {
        said.push_str(&line);
        said.push('\n');
    }
    let output = child.wait_with_output().await.unwrap();
    if output.status.success() {
        Ok(serde_json::from_slice(&output.stdout).unwrap())
    } else {
        assert!(!said.contains("stack backtrace"), "{said}");
        Err(said)
    }
}
