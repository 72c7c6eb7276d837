//! `folio care invite|accept|confirm|list|revoke`: give a caregiver access to a record, and
//! take it back.
//!
//! The key exchange is the point: `accept` prints the safety code the caregiver reads out,
//! and `confirm` wraps the record's keys to the caregiver only when the owner's own code
//! (derived from the key the server reports for them) is the same. `revoke` removes the
//! caregiver and rotates the record's key, so keys they kept open nothing added later; run
//! again, it finishes a rotation that was interrupted. Inviting and removing are
//! account-critical: both confirm with the profile's passkey first (`fresh_proof.rs`).

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Context as _, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};
use folio_shared::api::care::{Caregiver, CaregiverStatus, CreateInvitation, Membership};
use folio_shared::care::{Role, SafetyCode, add_caregiver, owner_safety_code, wrap_for_caregiver};
use folio_shared::keys::{AccountRecipient, KeyEpoch, SigningPublicKey, VaultIdentity};
use folio_shared::vault::VaultId;
use serde::Serialize;
use uuid::Uuid;

use super::account::{Output, ProfileArg};
use super::fresh_proof::confirm_device;
use super::profile::Profile;
use super::vault_access::{VaultAccess, unlock_account, unlock_to_write};
use crate::client::VaultClient;

#[derive(Debug, Args)]
pub struct CareArgs {
    #[command(subcommand)]
    pub command: CareCommand,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CaregiverRole {
    /// Reads the record and sees its share links.
    Viewer,
    /// Also imports, shares and invites viewers.
    Manager,
    /// Hand over a record you hold for a dependant: they become its owner, you its manager.
    Owner,
}

impl From<CaregiverRole> for Role {
    fn from(role: CaregiverRole) -> Role {
        match role {
            CaregiverRole::Viewer => Role::Viewer,
            CaregiverRole::Manager => Role::Manager,
            CaregiverRole::Owner => Role::Owner,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum CareCommand {
    /// Invite someone to help with a record; prints the link to send them.
    Invite {
        #[command(flatten)]
        profile: ProfileArg,
        #[arg(long, value_enum)]
        role: CaregiverRole,
        /// Who this is, as your activity log will name them (e.g. "Sam, my son").
        #[arg(long, default_value = "Caregiver")]
        name: String,
        /// The last day of their access (YYYY-MM-DD); none by default.
        #[arg(long)]
        until: Option<NaiveDate>,
        /// Make them an emergency contact (a viewer): their access opens this many hours
        /// after they ask for it, unless you refuse in between.
        #[arg(long, value_name = "HOURS")]
        emergency_wait_hours: Option<u32>,
        /// The record (default: your own).
        #[arg(long)]
        vault: Option<Uuid>,
        #[command(flatten)]
        output: Output,
    },
    /// As an emergency contact: ask for access to the record you stand by for.
    RequestAccess {
        /// The membership id, from `folio care list`.
        id: Uuid,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
    /// Refuse an emergency contact's request for access, within its waiting period.
    Refuse {
        id: Uuid,
        #[command(flatten)]
        profile: ProfileArg,
        #[arg(long)]
        vault: Option<Uuid>,
        #[command(flatten)]
        output: Output,
    },
    /// Make a record you hold for someone else (a child); import into it with `--vault`,
    /// and hand it over later with `folio care invite --role owner --vault ID`.
    Dependant {
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
    /// Take an invitation with your own account; prints the safety code to read to the owner.
    Accept {
        /// The invitation link (or just its secret).
        link: String,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
    /// Give a caregiver who accepted the record's keys, once their safety code matches yours.
    Confirm {
        /// The caregiver's id, from `folio care list`.
        id: Uuid,
        #[command(flatten)]
        profile: ProfileArg,
        /// The code on the caregiver's screen. Without it, yours is shown and you are asked.
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        vault: Option<Uuid>,
        #[command(flatten)]
        output: Output,
    },
    /// The caregivers of your record, and the records you help with.
    List {
        #[command(flatten)]
        profile: ProfileArg,
        #[arg(long)]
        vault: Option<Uuid>,
        #[command(flatten)]
        output: Output,
    },
    /// Remove a caregiver, then rotate the record's key so theirs opens nothing new.
    Revoke {
        id: Uuid,
        #[command(flatten)]
        profile: ProfileArg,
        #[arg(long)]
        vault: Option<Uuid>,
        #[command(flatten)]
        output: Output,
    },
}

pub async fn run(args: CareArgs) -> Result<()> {
    match args.command {
        CareCommand::Invite {
            profile,
            role,
            name,
            until,
            emergency_wait_hours,
            vault,
            output,
        } => {
            let invitation = Invitee {
                role: role.into(),
                name,
                until,
                emergency_wait_hours,
            };
            invite(&profile, invitation, vault, &output).await
        }
        CareCommand::RequestAccess {
            id,
            profile,
            output,
        } => {
            let profile = Profile::read(&profile.path)?;
            let requested = profile
                .client()
                .request_access(id)
                .await
                .context("asking for access")?;
            output.print(&requested, || match requested.releases_at {
                Some(at) => format!(
                    "Access requested. It opens at {} unless the owner refuses first.",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
                None => "Access requested.".to_owned(),
            })
        }
        CareCommand::Refuse {
            id,
            profile,
            vault,
            output,
        } => {
            let profile = Profile::read(&profile.path)?;
            let access = VaultAccess::open(&profile, vault.map(VaultId), false).await?;
            let refused = access
                .client
                .refuse_access(access.vault_id, id)
                .await
                .context("refusing the request")?;
            output.print(&refused, || {
                format!("Refused: {} does not get access.", refused.name)
            })
        }
        CareCommand::Dependant { profile, output } => dependant(&profile, &output).await,
        CareCommand::Accept {
            link,
            profile,
            output,
        } => accept(&profile, &link, &output).await,
        CareCommand::Confirm {
            id,
            profile,
            code,
            vault,
            output,
        } => confirm(&profile, id, code, vault, &output).await,
        CareCommand::List {
            profile,
            vault,
            output,
        } => list(&profile, vault, &output).await,
        CareCommand::Revoke {
            id,
            profile,
            vault,
            output,
        } => revoke(&profile, id, vault, &output).await,
    }
}

/// Who is invited, and on what terms.
struct Invitee {
    role: Role,
    name: String,
    until: Option<NaiveDate>,
    emergency_wait_hours: Option<u32>,
}

async fn invite(
    profile: &ProfileArg,
    invitee: Invitee,
    vault: Option<Uuid>,
    output: &Output,
) -> Result<()> {
    let Invitee {
        role,
        name,
        until,
        emergency_wait_hours,
    } = invitee;
    let path = &profile.path;
    let mut profile = Profile::read(&profile.path)?;
    let access = VaultAccess::open(&profile, vault.map(VaultId), false).await?;
    confirm_device(path, &mut profile, &access.client).await?;
    let ends_at = until
        .map(|day| {
            day.and_hms_opt(23, 59, 59)
                .map(|end| end.and_utc())
                .context("a valid day")
        })
        .transpose()?;
    let invitation = access
        .client
        .invite(
            access.vault_id,
            &CreateInvitation {
                role,
                name: name.clone(),
                ends_at,
                emergency_wait_hours,
            },
        )
        .await
        .context("inviting the caregiver")?;
    output.print(&invitation, || {
        format!(
            "Send this link to {name} ({role}); it works once, until {}:\n{}\n\
             When they have accepted, compare safety codes and run `folio care confirm {}`.",
            invitation.expires_at.format("%Y-%m-%d %H:%M UTC"),
            invitation.link,
            invitation.id
        )
    })
}

#[derive(Serialize)]
struct DependantRecord {
    vault: Uuid,
}

async fn dependant(profile: &ProfileArg, output: &Output) -> Result<()> {
    let profile = Profile::read(&profile.path)?;
    let client = profile.client();
    let account = unlock_account(&client, &profile).await?;
    let id = VaultId(Uuid::new_v4());
    let identity = VaultIdentity::generate(KeyEpoch::FIRST);
    client
        .create_vault_as(id, &identity, &identity.wrap_to(&account.recipient()), true)
        .await
        .context("creating the record")?;
    let made = DependantRecord { vault: id.0 };
    output.print(&made, || {
        format!(
            "Made record {} for your dependant. Import into it with `folio import --vault {}`.",
            id.0, id.0
        )
    })
}

#[derive(Serialize)]
struct Accepted {
    membership_id: Uuid,
    vault_id: Uuid,
    role: Role,
    /// Read this to the owner: their screen must show the same.
    safety_code: String,
}

async fn accept(profile: &ProfileArg, link: &str, output: &Output) -> Result<()> {
    let profile = Profile::read(&profile.path)?;
    let client = profile.client();
    let (me, my_signing_key) = my_keys(&client, &profile).await?;
    let accepted = client
        .accept_invitation(link)
        .await
        .context("accepting the invitation")?;
    let owner: AccountRecipient = accepted
        .owner_recipient
        .parse()
        .context("the server sent no usable key for the owner")?;
    let code = SafetyCode::derive(
        VaultId(accepted.vault_id),
        &owner,
        &me,
        Some(&my_signing_key),
    );
    let answer = Accepted {
        membership_id: accepted.membership_id,
        vault_id: accepted.vault_id,
        role: accepted.role,
        safety_code: code.to_string(),
    };
    output.print(&answer, || {
        format!(
            "Invitation accepted ({}). Read this safety code to the record's owner; \
             their screen must show the same before they confirm you:\n\n    {code}\n",
            answer.role
        )
    })
}

/// This account's public keys, from its own unlocked identity: never the server's word.
async fn my_keys(
    client: &VaultClient,
    profile: &Profile,
) -> Result<(AccountRecipient, SigningPublicKey)> {
    let (account, signing) = unlock_to_write(client, profile).await?;
    Ok((account.recipient(), signing.public_key()))
}

async fn confirm(
    profile: &ProfileArg,
    id: Uuid,
    code: Option<String>,
    vault: Option<Uuid>,
    output: &Output,
) -> Result<()> {
    let profile = Profile::read(&profile.path)?;
    let access = VaultAccess::open(&profile, vault.map(VaultId), false).await?;
    let caregivers = access
        .client
        .caregivers(access.vault_id)
        .await
        .context("listing the caregivers")?;
    let caregiver = caregivers
        .into_iter()
        .find(|c| c.id == id)
        .with_context(|| format!("no caregiver {id} in this record: see `folio care list`"))?;
    if caregiver.status != CaregiverStatus::AwaitingConfirmation {
        bail!(
            "{} cannot be confirmed: {}",
            caregiver.name,
            describe(caregiver.status)
        );
    }
    let recipient = caregiver
        .recipient
        .as_deref()
        .context("the server sent no key for this caregiver")?;
    let owner = access.account.recipient();
    let their_code = match code {
        Some(code) => code,
        None => ask_to_compare(
            &caregiver.name,
            &owner_safety_code(
                &access.keyring,
                &owner,
                recipient,
                caregiver.signing_key.as_ref(),
            )?,
            output,
        )?,
    };
    let confirmation = wrap_for_caregiver(
        &access.keyring,
        &owner,
        recipient,
        caregiver.signing_key.as_ref(),
        &their_code,
    )?;
    // Under a member list they join it first: a member the list names but the server has
    // not confirmed can do nothing, while the other order would leave a confirmed
    // caregiver whose writes every client sets aside.
    if let Some(roster) = &access.roster {
        let signer = access
            .client
            .signer()
            .context("this profile has no signing key")?;
        let joining = add_caregiver(roster, signer, &caregiver, Utc::now())?;
        access
            .client
            .append_roster(access.vault_id, &joining)
            .await
            .context("adding the caregiver to the record's member list")?;
        access.keep_member_lists(&profile)?;
    }
    let confirmed = access
        .client
        .confirm_caregiver(access.vault_id, id, &confirmation)
        .await
        .context("confirming the caregiver")?;
    output.print(&confirmed, || {
        format!(
            "{} is confirmed as {}: they can open the record now.",
            confirmed.name, confirmed.role
        )
    })
}

/// Shows the owner's code and asks whether the caregiver's screen shows the same; the
/// answer stands for their code, so a "no" is refused like a mismatch.
fn ask_to_compare(name: &str, mine: &SafetyCode, output: &Output) -> Result<String> {
    if output.json || !std::io::stdin().is_terminal() {
        bail!("pass the code on {name}'s screen with --code, to compare it with yours");
    }
    print!(
        "Your safety code for {name}:\n\n    {mine}\n\nDoes their screen show exactly this? [y/N] "
    );
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim().eq_ignore_ascii_case("y") || line.trim().eq_ignore_ascii_case("yes") {
        Ok(mine.to_string())
    } else {
        bail!("not confirmed: nothing was shared. Remove the invitation and invite them again")
    }
}

fn describe(status: CaregiverStatus) -> &'static str {
    match status {
        CaregiverStatus::Invited => "they have not accepted the invitation yet",
        CaregiverStatus::AwaitingConfirmation => "they are waiting for your confirmation",
        CaregiverStatus::Active => "they are confirmed already",
        CaregiverStatus::Ended => "their access has ended",
        CaregiverStatus::Revoked => "they were removed",
        CaregiverStatus::Standby => "emergency contact, standing by",
        CaregiverStatus::AccessRequested => "emergency contact, asked for access",
        CaregiverStatus::InvitationExpired => "the invitation expired",
    }
}

#[derive(Serialize)]
struct Listing {
    /// The caregivers of the record (empty when you have none, or no record).
    caregivers: Vec<Caregiver>,
    /// The records you help with or were invited to, with your safety code for each.
    helping_with: Vec<Helping>,
}

#[derive(Serialize)]
struct Helping {
    #[serde(flatten)]
    membership: Membership,
    safety_code: Option<String>,
}

async fn list(profile: &ProfileArg, vault: Option<Uuid>, output: &Output) -> Result<()> {
    let profile = Profile::read(&profile.path)?;
    let client = profile.client();
    let vaults = client.vaults().await.context("listing the records")?;
    let chosen = match vault {
        Some(id) => Some(VaultId(id)),
        None => vaults
            .iter()
            .find(|v| v.is_own_record())
            .map(|v| VaultId(v.id)),
    };
    let caregivers = match chosen {
        Some(id) => client
            .caregivers(id)
            .await
            .context("listing the caregivers")?,
        None => Vec::new(),
    };
    let (me, my_signing_key) = my_keys(&client, &profile).await?;
    let helping_with = client
        .memberships()
        .await
        .context("listing the records you help with")?
        .into_iter()
        .map(|membership| {
            let code = membership
                .owner_recipient
                .parse::<AccountRecipient>()
                .ok()
                .map(|owner| {
                    SafetyCode::derive(
                        VaultId(membership.vault_id),
                        &owner,
                        &me,
                        Some(&my_signing_key),
                    )
                });
            Helping {
                safety_code: code.map(|c| c.to_string()),
                membership,
            }
        })
        .collect();
    let listing = Listing {
        caregivers,
        helping_with,
    };
    output.print(&listing, || text(&listing))
}

fn text(listing: &Listing) -> String {
    let mut out = String::new();
    if listing.caregivers.is_empty() {
        out.push_str("No caregivers.\n");
    } else {
        out.push_str("Caregivers:\n");
        for c in &listing.caregivers {
            let until = c
                .ends_at
                .map(|end| format!(", until {}", end.format("%Y-%m-%d")))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}  {} ({}{until}): {}\n",
                c.id,
                c.name,
                c.role,
                describe(c.status)
            ));
        }
    }
    if !listing.helping_with.is_empty() {
        out.push_str("You help with:\n");
        for h in &listing.helping_with {
            let m = &h.membership;
            out.push_str(&format!(
                "  record {} as {}: {}\n",
                m.vault_id,
                m.role,
                describe(m.status)
            ));
            if m.status == CaregiverStatus::AwaitingConfirmation
                && let Some(code) = &h.safety_code
            {
                out.push_str(&format!("    safety code: {code}\n"));
            }
        }
    }
    out.trim_end().to_owned()
}

#[derive(Serialize)]
struct Revoked {
    caregiver: Option<Caregiver>,
    /// The key epoch the record was rotated to.
    epoch: u32,
    rotated_at: DateTime<Utc>,
}

async fn revoke(
    profile: &ProfileArg,
    id: Uuid,
    vault: Option<Uuid>,
    output: &Output,
) -> Result<()> {
    let path = &profile.path;
    let mut profile = Profile::read(&profile.path)?;
    let access = VaultAccess::open(&profile, vault.map(VaultId), false).await?;
    confirm_device(path, &mut profile, &access.client).await?;
    let caregiver = match access.client.remove_caregiver(access.vault_id, id).await {
        Ok(removed) => Some(removed),
        // Removed before, by a run that stopped before rotating: finish the rotation.
        Err(e) if e.status() == Some(reqwest::StatusCode::CONFLICT) => None,
        Err(e) => return Err(e).context("removing the caregiver"),
    };
    let summary = access.client.vault(access.vault_id).await?;
    if caregiver.is_none() && !summary.rotation_due {
        bail!("caregiver {id} was removed already and the record's key was rotated since");
    }
    let rotated = access
        .client
        .rotate_key(access.vault_id, &access.account, &access.keyring)
        .await
        .context(
            "rotating the record's key (the caregiver is removed; run this again to finish)",
        )?;
    access.keep_member_lists(&profile)?;
    let answer = Revoked {
        caregiver,
        epoch: rotated.current().epoch().0,
        rotated_at: Utc::now(),
    };
    output.print(&answer, || {
        let who = answer
            .caregiver
            .as_ref()
            .map_or("The caregiver".to_owned(), |c| c.name.clone());
        format!(
            "{who} no longer has access. The record's key was rotated (epoch {}): \
             keys they kept open nothing added from now on.",
            answer.epoch
        )
    })
}
