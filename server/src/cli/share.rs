//! `folio share create|list|revoke|log|open`: hand a clinician a SMART Health Link to part
//! of the record, see who opened it, take it back; and open any link as a clinician would.
//!
//! The bundle is cut and encrypted here, under a fresh link key that never leaves this
//! process except inside the printed link: the server gets ciphertext and the link's rules.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, bail};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::{Args, Subcommand};
use folio_shared::api::share::CreateShare;
use folio_shared::share::{
    ShareCategory, ShareContent, SharePackage, ShareSelection, link_payload,
};
use folio_shared::shl::LinkKey;
use folio_shared::vault::VaultId;
use serde::Serialize;
use uuid::Uuid;

use super::account::{Output, ProfileArg};
use super::profile::Profile;
use super::vault_access::VaultAccess;
use crate::client::VaultClient;
use crate::client::share::open_link;

#[derive(Debug, Args)]
pub struct ShareArgs {
    #[command(subcommand)]
    pub command: ShareCommand,
}

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Share part of your record as a SMART Health Link and print the link.
    Create {
        #[command(flatten)]
        profile: ProfileArg,
        /// The record to share from (default: your own).
        #[arg(long)]
        vault: Option<Uuid>,
        /// Only these categories, comma-separated (e.g. `allergies,medications`).
        #[arg(long, conflicts_with = "ips")]
        categories: Option<String>,
        /// Share an International Patient Summary instead of chosen categories.
        #[arg(long)]
        ips: bool,
        /// Only resources dated on or after this day (YYYY-MM-DD).
        #[arg(long, conflicts_with = "ips")]
        from: Option<NaiveDate>,
        /// Only resources dated on or before this day (YYYY-MM-DD).
        #[arg(long, conflicts_with = "ips")]
        to: Option<NaiveDate>,
        /// How long the link works: `30m`, `1h`, `7d`, `1y`, or a last day `2026-12-31`.
        #[arg(long, default_value = "7d")]
        expires: String,
        /// A passcode the clinician must type (at least 6 characters); send it separately.
        #[arg(long)]
        passcode: Option<String>,
        /// How many times the link may be opened.
        #[arg(long)]
        max_opens: Option<u32>,
        /// What the clinician sees before opening (at most 80 characters).
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// List your share links: what each shares, its expiry and how it has been used.
    List {
        #[command(flatten)]
        profile: ProfileArg,
        #[arg(long)]
        vault: Option<Uuid>,
        #[command(flatten)]
        output: Output,
    },
    /// Revoke a share link at once.
    Revoke {
        /// The share's id, from `folio share list`.
        id: Uuid,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
    /// Show who opened a share link, when, and whether the log is intact.
    Log {
        id: Uuid,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
    /// Open any SMART Health Link as a clinician would and print its FHIR JSON.
    Open {
        /// The link: `shlink:/…` or a viewer URL with `#shlink:/…`.
        link: String,
        #[arg(long)]
        passcode: Option<String>,
        /// Who is opening it, as the patient's access log shows.
        #[arg(long, default_value = "Folio command line")]
        recipient: String,
        #[command(flatten)]
        output: Output,
    },
}

pub async fn run(args: ShareArgs) -> Result<()> {
    match args.command {
        ShareCommand::Create {
            profile,
            vault,
            categories,
            ips,
            from,
            to,
            expires,
            passcode,
            max_opens,
            label,
            output,
        } => {
            let choice = Choice {
                categories,
                ips,
                from,
                to,
            };
            let rules = Rules {
                expires_at: parse_expiry(&expires, Utc::now())?,
                passcode,
                max_opens,
                label,
            };
            create(&profile, vault, choice, rules, &output).await
        }
        ShareCommand::List {
            profile,
            vault,
            output,
        } => list(&profile, vault, &output).await,
        ShareCommand::Revoke {
            id,
            profile,
            output,
        } => {
            let client = client(&profile)?;
            let revoked = client
                .revoke_share(id)
                .await
                .context("revoking the share")?;
            output.print(&revoked, || {
                format!("revoked share {id}: the link no longer opens")
            })
        }
        ShareCommand::Log {
            id,
            profile,
            output,
        } => log(&profile, id, &output).await,
        ShareCommand::Open {
            link,
            passcode,
            recipient,
            output,
        } => open(&link, passcode.as_deref(), &recipient, &output).await,
    }
}

struct Choice {
    categories: Option<String>,
    ips: bool,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

struct Rules {
    expires_at: DateTime<Utc>,
    passcode: Option<String>,
    max_opens: Option<u32>,
    label: Option<String>,
}

/// `30m`, `12h`, `7d`, `1y` from `now`, or the end (UTC) of a day `YYYY-MM-DD`.
fn parse_expiry(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let end = day
            .and_hms_opt(23, 59, 59)
            .context("a valid day")?
            .and_utc();
        if end <= now {
            bail!("the expiry {text} is in the past");
        }
        return Ok(end);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .with_context(|| format!("`{text}` is not an expiry: use 30m, 1h, 7d, 1y or YYYY-MM-DD"))?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .with_context(|| format!("`{text}` is not an expiry: use 30m, 1h, 7d, 1y or YYYY-MM-DD"))?;
    let length = match unit {
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "y" => Duration::days(365 * n),
        _ => bail!("`{text}` is not an expiry: use 30m, 1h, 7d, 1y or YYYY-MM-DD"),
    };
    if n <= 0 {
        bail!("the expiry must be in the future");
    }
    Ok(now + length)
}

fn client(profile: &ProfileArg) -> Result<VaultClient> {
    let profile = Profile::read(&profile.path)?;
    Ok(profile.client())
}

#[derive(Serialize)]
struct Created {
    id: Uuid,
    /// The link to hand over: the viewer URL with the payload in its fragment.
    link: String,
    /// The bare `shlink:/…`, for SHL-aware scanners.
    shlink: String,
    expires_at: DateTime<Utc>,
    categories: BTreeMap<String, u32>,
}

async fn create(
    profile_arg: &ProfileArg,
    vault: Option<Uuid>,
    choice: Choice,
    rules: Rules,
    output: &Output,
) -> Result<()> {
    let profile = Profile::read(&profile_arg.path)?;
    let access = VaultAccess::open(&profile, vault.map(VaultId), false).await?;
    let contents = access.contents().await?;
    let content = if choice.ips {
        ShareContent::PatientSummary
    } else {
        let selection = match &choice.categories {
            Some(list) => ShareSelection::of(ShareCategory::parse_list(list)?),
            None => ShareSelection::everything(),
        };
        ShareContent::Selection(selection.between(choice.from, choice.to))
    };
    let package = SharePackage::build(&contents, &content, Utc::now())?;
    if package.preview.is_empty() {
        bail!("nothing in the record matches: choose other categories or dates");
    }
    let categories = package.categories();
    let key = LinkKey::generate();
    let label = rules
        .label
        .unwrap_or_else(|| content.default_label().to_owned());
    let has_passcode = rules.passcode.is_some();
    let created = access
        .client
        .create_share(
            access.vault_id,
            &CreateShare {
                files: vec![package.encrypt(&key)],
                label: label.clone(),
                expires_at: rules.expires_at,
                passcode: rules.passcode,
                max_attempts: None,
                max_opens: rules.max_opens,
                categories: categories.clone(),
                direct_file: false,
            },
        )
        .await
        .context("uploading the share")?;
    let payload = link_payload(
        created.manifest_url,
        key,
        created.expires_at,
        has_passcode,
        label,
    );
    let viewer = format!("{}/view", profile.server.as_str().trim_end_matches('/'));
    let answer = Created {
        id: created.id,
        link: payload.viewer_url(&viewer),
        shlink: payload.encode(),
        expires_at: created.expires_at,
        categories,
    };
    output.print(&answer, || {
        format!(
            "{}\n\nshare {} works until {}{}",
            answer.link,
            answer.id,
            answer.expires_at.format("%Y-%m-%d %H:%M UTC"),
            if has_passcode {
                "; send the passcode separately"
            } else {
                ""
            }
        )
    })
}

async fn list(profile_arg: &ProfileArg, vault: Option<Uuid>, output: &Output) -> Result<()> {
    let profile = Profile::read(&profile_arg.path)?;
    let client = profile.client();
    let vault_id = match vault {
        Some(id) => id,
        None => {
            client
                .vaults()
                .await
                .context("listing the records")?
                .into_iter()
                .find(|v| v.is_own_record())
                .context("this account has no record yet")?
                .id
        }
    };
    let shares = client
        .shares(VaultId(vault_id))
        .await
        .context("listing the shares")?;
    output.print(&shares, || {
        if shares.is_empty() {
            return "no share links yet".to_owned();
        }
        shares
            .iter()
            .map(|s| {
                let what = s
                    .categories
                    .iter()
                    .map(|(name, count)| format!("{count} {name}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let opens = match s.max_opens {
                    Some(max) => format!("{}/{max} opens", s.opens),
                    None => format!("{} opens", s.opens),
                };
                format!(
                    "{}  {:?}  {}  until {}  {opens}  [{what}]",
                    s.id,
                    s.status,
                    s.label,
                    s.expires_at.format("%Y-%m-%d %H:%M")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

async fn log(profile: &ProfileArg, id: Uuid, output: &Output) -> Result<()> {
    let log = client(profile)?
        .share_log(id)
        .await
        .context("reading the share's log")?;
    output.print(&log, || {
        let mut lines: Vec<String> = log
            .entries
            .iter()
            .map(|e| {
                format!(
                    "{}  {}  {}",
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.outcome,
                    e.recipient
                )
            })
            .collect();
        lines.push(if log.chain_valid {
            "the log is intact".to_owned()
        } else {
            "WARNING: the log was altered: an entry was changed or removed".to_owned()
        });
        lines.join("\n")
    })
}

#[derive(Serialize)]
struct OpenedFile {
    content_type: String,
    content: serde_json::Value,
}

async fn open(link: &str, passcode: Option<&str>, recipient: &str, output: &Output) -> Result<()> {
    let files = open_link(link, recipient, passcode).await?;
    let mut opened = Vec::with_capacity(files.len());
    for file in files {
        opened.push(OpenedFile {
            content_type: file.content_type,
            content: file.file.json().context("a file of the link is not JSON")?,
        });
    }
    output.print(&opened, || {
        opened
            .iter()
            .map(|f| serde_json::to_string_pretty(&f.content).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_read_as_lengths_or_last_days() {
        let now = DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(parse_expiry("1h", now).unwrap(), now + Duration::hours(1));
        assert_eq!(parse_expiry("7d", now).unwrap(), now + Duration::days(7));
        assert_eq!(parse_expiry("1y", now).unwrap(), now + Duration::days(365));
        assert_eq!(
            parse_expiry("2026-12-31", now).unwrap().to_rfc3339(),
            "2026-12-31T23:59:59+00:00"
        );
        assert!(parse_expiry("2026-01-01", now).is_err());
        assert!(parse_expiry("7w", now).is_err());
        assert!(parse_expiry("soon", now).is_err());
    }
}
