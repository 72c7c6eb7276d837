//! `folio connect`: connect a record to a provider's patient portal (SMART on FHIR), sync
//! it, list and remove connections.
//!
//! The connection, tokens included, is an entry of the record (sealed like every entry);
//! nothing of it reaches Folio's server in the clear. The sign-in runs in the patient's
//! browser and returns to a loopback address this command listens on (RFC 8252).

mod record_host;
mod sign_in;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use folio_shared::patient_identity::PatientCheck;
use folio_shared::provider_connect::{
    Connection, PageDelivery, ProviderHost as _, SearchOutcome, SmartConfiguration, SyncReport,
    offers_everything, provider_url, served_types, sync,
};
use folio_shared::record::{Entry, EntryId};
use folio_shared::vault::{VaultContents, VaultId};
use serde::Serialize;
use serde_json::Value;
use url::Url;

use super::account::{Output, ProfileArg};
use super::import::OnMismatch;
use super::profile::Profile;
use super::vault_access::{NoRecordYet, VaultAccess};
use record_host::{MAX_ANSWER_BYTES, RecordHost, answer_of, provider_client};

#[derive(Debug, Args)]
pub struct ConnectArgs {
    #[command(subcommand)]
    pub command: ConnectCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConnectCommand {
    /// Sign in at a provider's patient portal and connect it to a record.
    Add(AddArgs),
    /// The record's connections, and how their last sync went.
    List(ListArgs),
    /// Bring in what the providers hold (one connection, or all), resuming a sync that
    /// stopped.
    Sync(SyncArgs),
    /// Forget a connection and its sign-in (what it brought in stays in the record).
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The record (default: your own).
    #[arg(long)]
    pub vault: Option<uuid::Uuid>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub record: RecordArgs,
    /// The provider's FHIR base URL (its patient-access API).
    #[arg(long = "fhir-base", value_name = "URL")]
    pub fhir_base: Url,
    /// The client id Folio is registered under at this provider (default: the one your
    /// Folio server is configured with, `folio serve --smart-clients`).
    #[arg(long = "client-id", value_name = "ID")]
    pub client_id: Option<String>,
    /// What to call the provider (default: the name its server gives, or its address).
    #[arg(long)]
    pub name: Option<String>,
    /// The loopback address to receive the provider's answer on.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// How long to wait for the sign-in, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub timeout: u64,
    /// What to do when the provider's patient is not this record's patient.
    #[arg(long = "patient-mismatch", value_enum, default_value_t = OnMismatch::Refuse)]
    pub patient_mismatch: OnMismatch,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub record: RecordArgs,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub record: RecordArgs,
    /// The connection to sync (default: every connection of the record).
    pub id: Option<uuid::Uuid>,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub record: RecordArgs,
    pub id: uuid::Uuid,
}

pub async fn run(args: ConnectArgs) -> Result<()> {
    match args.command {
        ConnectCommand::Add(args) => add(args).await,
        ConnectCommand::List(args) => list(args).await,
        ConnectCommand::Sync(args) => sync_connections(args).await,
        ConnectCommand::Remove(args) => remove(args).await,
    }
}

/// A connection as the verbs print it: never its tokens.
#[derive(Debug, Serialize)]
struct ConnectionSummary {
    id: uuid::Uuid,
    name: String,
    fhir_base: String,
    patient: String,
    scope: String,
    connected_at: DateTime<Utc>,
    last_synced_at: Option<DateTime<Utc>>,
    /// A sync stopped before its end; `folio connect sync` resumes it.
    sync_unfinished: bool,
    /// The sign-in can be renewed without the patient (a refresh token is held).
    renewable: bool,
}

impl From<&Connection> for ConnectionSummary {
    fn from(c: &Connection) -> Self {
        ConnectionSummary {
            id: c.id,
            name: c.name.clone(),
            fhir_base: c.fhir_base.clone(),
            patient: c.patient.clone(),
            scope: c.scope.clone(),
            connected_at: c.connected_at,
            last_synced_at: c.last_synced_at,
            sync_unfinished: c.sync_unfinished(),
            renewable: c.refresh_token.is_some(),
        }
    }
}

async fn open(record: &RecordArgs, create: bool) -> Result<(VaultAccess, VaultContents)> {
    let profile = Profile::read(&record.profile.path)?;
    let access = VaultAccess::open(&profile, record.vault.map(VaultId), create).await?;
    let contents = access.contents().await?;
    Ok((access, contents))
}

fn connections(contents: &VaultContents) -> Result<Vec<Connection>> {
    Connection::all_in(contents)
        .into_iter()
        .map(|c| c.map_err(anyhow::Error::from))
        .collect()
}

async fn add(args: AddArgs) -> Result<()> {
    let http = provider_client().context("making an HTTP client")?;
    let fhir_base = args.fhir_base.to_string();
    let config = discover(&http, &args.fhir_base).await?;
    let statement = capability_statement(&http, &args.fhir_base).await;
    // The record is made, if the account has none yet, only once the provider's patient
    // is known: a sign-in that fails leaves nothing behind.
    let existing = match open(&args.record, false).await {
        Ok(opened) => Some(opened),
        Err(e) if e.downcast_ref::<NoRecordYet>().is_some() => None,
        Err(e) => return Err(e),
    };
    let client_id = match args.client_id.clone() {
        Some(id) => id,
        None => Profile::read(&args.record.profile.path)?
            .client()
            .provider_client(&fhir_base)
            .await
            .map(|c| c.client_id)
            .with_context(|| {
                format!(
                    "no client id for {fhir_base}: give the one Folio is registered under at \
                     this provider with --client-id"
                )
            })?,
    };
    let timeout = Duration::from_secs(args.timeout);
    let signed_in =
        sign_in::sign_in(&http, &config, &fhir_base, &client_id, args.listen, timeout).await?;
    let grant = signed_in.grant;

    // Whose record the provider opened, before anything of it is kept.
    let patient_url = provider_url(&args.fhir_base, &format!("Patient/{}", grant.patient));
    let response = http
        .get(patient_url)
        .bearer_auth(&grant.access_token)
        .header("accept", "application/fhir+json")
        .send()
        .await
        .context("reading your details at the provider")?;
    let answer = answer_of(response).await?;
    let patient: Value = serde_json::from_slice(&answer.body)
        .ok()
        .filter(|p: &Value| {
            (200..300).contains(&answer.status)
                && p["resourceType"] == "Patient"
                && p["id"] == grant.patient.as_str()
        })
        .ok_or_else(|| {
            anyhow!(
                "the provider did not answer with the patient it signed you in as \
                 (Patient/{}, HTTP {}): nothing was connected",
                grant.patient,
                answer.status
            )
        })?;
    let (access, contents) = match existing {
        Some(opened) => opened,
        None => open(&args.record, true).await?,
    };
    let id = EntryId(format!("Patient/{}", grant.patient));
    let check = PatientCheck::of([(&id, &patient)], &contents);
    if check.is_mismatch() && args.patient_mismatch == OnMismatch::Refuse {
        let sentence = check.mismatch_sentence().unwrap_or_default().replacen(
            "This file is",
            "Your record at this provider is",
            1,
        );
        bail!(
            "{sentence} Nothing was connected: connect it to that person's record with --vault \
             ID, or add --patient-mismatch allow if it is you after all"
        );
    }

    let name = args.name.clone().unwrap_or_else(|| {
        args.fhir_base
            .host_str()
            .unwrap_or(fhir_base.as_str())
            .to_owned()
    });
    let now = Utc::now();
    let mut connection = Connection::new(
        name,
        fhir_base,
        config.token_endpoint.clone(),
        client_id,
        grant,
        now,
    );
    if let Some(statement) = &statement {
        connection.everything = offers_everything(statement);
        connection.served_types = served_types(statement);
    }
    let mut contents = contents;
    store(&access, &mut contents, connection.entry(now))
        .await
        .context("keeping the connection in your record")?;
    let summary = ConnectionSummary::from(&connection);
    args.record.output.print(&summary, || {
        format!(
            "Connected {} ({}) as patient {}. Run `folio connect sync {}` to bring in your records.",
            summary.name, summary.fhir_base, summary.patient, summary.id
        )
    })
}

/// Writes one entry of the connection (or its removal) to the record.
async fn store(access: &VaultAccess, contents: &mut VaultContents, entry: Entry) -> Result<()> {
    let mut host = RecordHost {
        http: provider_client()?,
        access,
        contents,
    };
    host.deliver(PageDelivery {
        page_bytes: serde_json::to_vec(&entry)?,
        entries: vec![entry],
        attachments: Vec::new(),
    })
    .await?;
    Ok(())
}

/// The provider's SMART configuration, checked for what Folio's sign-in needs.
async fn discover(http: &reqwest::Client, base: &Url) -> Result<SmartConfiguration> {
    let url = provider_url(base, ".well-known/smart-configuration");
    let response = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .with_context(|| format!("reaching {url}"))?;
    let answer = answer_of(response).await?;
    if !(200..300).contains(&answer.status) {
        bail!(
            "{url} answered HTTP {}: this address does not offer a SMART sign-in",
            answer.status
        );
    }
    if answer.truncated {
        bail!("{url} answered with more than {MAX_ANSWER_BYTES} bytes: not a SMART configuration");
    }
    Ok(SmartConfiguration::parse(&answer.body)?)
}

/// The provider's CapabilityStatement, which says whether it offers `Patient/$everything`
/// and which types it serves. A provider without readable metadata is asked for every type.
async fn capability_statement(http: &reqwest::Client, base: &Url) -> Option<Value> {
    let url = provider_url(base, "metadata");
    let response = http
        .get(url)
        .header("accept", "application/fhir+json")
        .send()
        .await
        .ok()?;
    let answer = answer_of(response).await.ok()?;
    let statement: Value = serde_json::from_slice(&answer.body).ok()?;
    (statement["resourceType"] == "CapabilityStatement").then_some(statement)
}

async fn list(args: ListArgs) -> Result<()> {
    let summaries: Vec<ConnectionSummary> = match open(&args.record, false).await {
        Ok((_access, contents)) => connections(&contents)?
            .iter()
            .map(ConnectionSummary::from)
            .collect(),
        // No record, so no connection either.
        Err(e) if e.downcast_ref::<NoRecordYet>().is_some() => Vec::new(),
        Err(e) => return Err(e),
    };
    args.record.output.print(&summaries, || {
        if summaries.is_empty() {
            return "No providers are connected to this record.".into();
        }
        summaries
            .iter()
            .map(|c| {
                let synced = match (c.sync_unfinished, c.last_synced_at) {
                    (true, _) => {
                        "a sync stopped before its end: `folio connect sync` resumes it".into()
                    }
                    (false, Some(at)) => format!("last synced {}", at.format("%Y-%m-%d %H:%M UTC")),
                    (false, None) => "never synced".into(),
                };
                format!("{}  {} ({}): {synced}", c.id, c.name, c.fhir_base)
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

async fn sync_connections(args: SyncArgs) -> Result<()> {
    let (access, mut contents) = open(&args.record, false).await?;
    let mut chosen = connections(&contents)?;
    if let Some(id) = args.id {
        chosen.retain(|c| c.id == id);
        if chosen.is_empty() {
            bail!("this record has no connection {id} (`folio connect list` shows them)");
        }
    } else if chosen.is_empty() {
        bail!("no providers are connected to this record: `folio connect add` connects one");
    }
    let http = provider_client().context("making an HTTP client")?;
    let mut reports = Vec::new();
    for mut connection in chosen {
        let mut host = RecordHost {
            http: http.clone(),
            access: &access,
            contents: &mut contents,
        };
        reports.push(sync(&mut host, &mut connection).await);
    }
    args.record.output.print(&reports, || {
        reports.iter().map(sync_text).collect::<Vec<_>>().join("\n")
    })?;
    let stopped: Vec<String> = reports
        .iter()
        .filter_map(|r| {
            r.stopped
                .as_ref()
                .map(|why| format!("{}: {why}", r.provider))
        })
        .collect();
    if !stopped.is_empty() {
        bail!("the sync stopped before its end ({})", stopped.join("; "));
    }
    Ok(())
}

/// One connection's sync in words: what came in per type, what the provider refused or
/// failed, and a last line that is true however it went.
fn sync_text(report: &SyncReport) -> String {
    let mut out = format!("{}:\n", report.provider);
    for (resource_type, t) in &report.types {
        if t.fetched > 0 {
            out.push_str(&format!(
                "    {resource_type:<28} {:>6} fetched, {:>6} new\n",
                t.fetched, t.new
            ));
        }
    }
    for search in &report.searches {
        let why = search.why.as_deref().unwrap_or("no reason given");
        match search.outcome {
            SearchOutcome::Done => {}
            SearchOutcome::Refused => {
                out.push_str(&format!("  not shared: {}: {why}\n", search.search));
            }
            SearchOutcome::Failed => {
                out.push_str(&format!("  failed: {}: {why}\n", search.search));
            }
            SearchOutcome::NotReached => {
                out.push_str(&format!("  not reached: {}\n", search.search));
            }
        }
    }
    for w in report.warnings.iter().take(10) {
        out.push_str(&format!("  note: {w}\n"));
    }
    let fetched: usize = report.types.values().map(|t| t.fetched).sum();
    let new: usize = report.types.values().map(|t| t.new).sum();
    let not_done = report
        .searches
        .iter()
        .filter(|s| s.outcome != SearchOutcome::Done)
        .count();
    let how = match (&report.stopped, not_done) {
        (Some(_), _) => "stopped before its end; `folio connect sync` resumes it".to_owned(),
        (None, 0) => "finished".to_owned(),
        (None, n) => format!("finished, except {n} search(es) listed above"),
    };
    out.push_str(&format!(
        "  {fetched} resources fetched, {new} new, {} document(s) kept, {} page(s); {how}",
        report.attachments, report.pages
    ));
    out
}

async fn remove(args: RemoveArgs) -> Result<()> {
    let (access, mut contents) = open(&args.record, false).await?;
    let connection = connections(&contents)?
        .into_iter()
        .find(|c| c.id == args.id)
        .ok_or_else(|| {
            anyhow!(
                "this record has no connection {} (`folio connect list` shows them)",
                args.id
            )
        })?;
    let now = Utc::now();
    let removal = connection.removal(now);
    store(&access, &mut contents, removal)
        .await
        .context("removing the connection from your record")?;
    #[derive(Serialize)]
    struct Removed {
        removed: uuid::Uuid,
        name: String,
    }
    let removed = Removed {
        removed: connection.id,
        name: connection.name.clone(),
    };
    args.record.output.print(&removed, || {
        format!(
            "Removed the connection to {}: Folio no longer holds its sign-in. What it brought in stays in your record.",
            removed.name
        )
    })
}
