//! `mock-ehr`: two mock patient portals for trying a client by hand.
//!
//! `mock-ehr PATIENT.json [OTHER.json] [--redirect-uri URI]...` starts "Riverside Clinic"
//! serving the first Bundle's patient and "Lakeside Hospital" serving the second (or the
//! first again), prints their addresses, and serves until Ctrl-C.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use folio_mock_ehr::{MockProvider, PatientData, ProviderConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut bundles = Vec::new();
    let mut redirect_uris = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--redirect-uri" => {
                redirect_uris.push(args.next().context("--redirect-uri needs a URI after it")?)
            }
            "-h" | "--help" => {
                println!("usage: mock-ehr PATIENT.json [OTHER.json] [--redirect-uri URI]...");
                return Ok(());
            }
            _ => bundles.push(PathBuf::from(arg)),
        }
    }
    let (first, second) = match bundles.as_slice() {
        [first] => (first, first),
        [first, second] => (first, second),
        _ => bail!("usage: mock-ehr PATIENT.json [OTHER.json] [--redirect-uri URI]..."),
    };
    if redirect_uris.is_empty() {
        redirect_uris.push(ProviderConfig::DEFAULT_REDIRECT_URI.to_owned());
    }

    let mut providers = Vec::new();
    for (name, path) in [("Riverside Clinic", first), ("Lakeside Hospital", second)] {
        let patient = PatientData::from_bundle_file(path)
            .with_context(|| format!("reading the patient for {name}"))?;
        let config = ProviderConfig {
            redirect_uris: redirect_uris.clone(),
            ..ProviderConfig::new(name, patient)
        };
        let provider = MockProvider::start(config).await;
        println!("{name}");
        println!("  FHIR base:     {}", provider.fhir_base());
        println!("  client_id:     {}", provider.client_id());
        println!("  patient:       {}", provider.patient_id());
        println!("  redirect URIs: {}", redirect_uris.join(" "));
        providers.push(provider);
    }
    println!("Serving; Ctrl-C stops.");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    drop(providers);
    Ok(())
}
