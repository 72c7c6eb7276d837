//! `folio meds`: the record's medications as one reconciled list across every source, with
//! the interactions and duplicate therapies found among the active ones, checked on this
//! side by the very code the app runs (`folio_shared::medication_safety`). Medications
//! whose ingredients could not be read are listed as not checked.

use anyhow::{Context as _, Result};
use chrono::Utc;
use clap::Args;
use folio_shared::medication_safety::{
    Alert, AlertKind, MedicationLine, MedicationSafety, MedicationStatus, Severity, check_contents,
};
use folio_shared::vault::VaultId;

use super::account::{Output, ProfileArg};
use super::profile::Profile;
use super::vault_access::VaultAccess;

#[derive(Debug, Args)]
pub struct MedsArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The record to check (default: your own).
    #[arg(long)]
    pub vault: Option<uuid::Uuid>,
    #[command(flatten)]
    pub output: Output,
}

pub async fn run(args: MedsArgs) -> Result<()> {
    let profile = Profile::read(&args.profile.path)?;
    let access = VaultAccess::open(&profile, args.vault.map(VaultId), false).await?;
    let contents = access.contents().await?;
    // "Today" decides which ends and pharmacy supplies are past: the local calendar day.
    let today = Utc::now().with_timezone(&chrono::Local).date_naive();
    let safety = check_contents(&contents, today).context("checking the medications")?;
    args.output.print(&safety, || text(&safety))
}

/// The list and its alerts in plain words, alerts first: they are what to act on.
fn text(safety: &MedicationSafety) -> String {
    let mut out = String::new();
    if safety.alerts.is_empty() {
        out.push_str("No interactions or duplicates found among the active medications");
        out.push_str(if safety.unmapped.is_empty() {
            ".\n"
        } else {
            " that could be checked.\n"
        });
    } else {
        out.push_str(&format!(
            "{} alert(s) to discuss with your clinician:\n",
            safety.alerts.len()
        ));
        for alert in &safety.alerts {
            out.push_str(&alert_text(alert, safety));
        }
    }
    let (active, past): (Vec<&MedicationLine>, Vec<&MedicationLine>) = safety
        .medications
        .iter()
        .partition(|line| line.status == MedicationStatus::Active);
    out.push_str(&format!("\nCurrent medications ({}):\n", active.len()));
    for line in active {
        out.push_str(&line_text(line));
    }
    out.push_str(&format!("\nPast medications ({}):\n", past.len()));
    for line in past {
        out.push_str(&line_text(line));
    }
    if !safety.unmapped.is_empty() {
        out.push_str(&format!(
            "\nNot checked ({}): their ingredients could not be read, so they were not checked \
             for interactions. Ask your pharmacist about them.\n",
            safety.unmapped.len()
        ));
        for line in &safety.unmapped {
            out.push_str(&line_text(line));
        }
    }
    out.trim_end().to_owned()
}

fn alert_text(alert: &Alert, safety: &MedicationSafety) -> String {
    let kind = match alert.kind {
        AlertKind::Interaction => "Interaction",
        AlertKind::Duplicate => "Duplicate",
    };
    let names: Vec<&str> = alert
        .medications
        .iter()
        .map(|id| {
            safety
                .medications
                .iter()
                .find(|line| &line.id == id)
                .map_or(id.as_str(), |line| line.name.as_str())
        })
        .collect();
    let severity = match alert.severity {
        Severity::High => "high",
        Severity::Moderate => "moderate",
    };
    format!(
        "  - {kind} ({severity} severity): {}: {}\n    Medications: {}\n    {}\n    Why it matters: {}\n    What to ask: {}\n    Rule {} ({})\n",
        alert.title,
        alert.ingredients.join(" + "),
        names.join("; "),
        alert.patient.what,
        alert.patient.why,
        alert.patient.ask,
        alert.rule,
        alert.source,
    )
}

fn line_text(line: &MedicationLine) -> String {
    let mut out = format!("  - {}", line.name);
    if !line.ingredients.is_empty() {
        out.push_str(&format!(" [{}]", line.ingredients.join(" + ")));
    }
    out.push('\n');
    let mut details = Vec::new();
    if !line.prescribers.is_empty() {
        details.push(format!("prescribed by {}", line.prescribers.join(", ")));
    }
    let mut providers: Vec<&str> = line
        .sources
        .iter()
        .filter_map(|s| s.provider.as_deref())
        .collect();
    providers.dedup();
    if !providers.is_empty() {
        details.push(format!("from {}", providers.join(", ")));
    }
    if let Some(date) = &line.last_date {
        details.push(format!("last recorded {date}"));
    }
    if let Some(fill) = &line.last_fill {
        details.push(format!("last filled {fill}"));
    }
    if let Some(ended) = &line.ended {
        details.push(format!("ended {ended}"));
    }
    if !line.earlier_strengths.is_empty() {
        details.push(format!("earlier {}", line.earlier_strengths.join(", ")));
    }
    if !details.is_empty() {
        out.push_str(&format!("    {}\n", details.join("; ")));
    }
    out
}
