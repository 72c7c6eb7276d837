use leptos::prelude::*;
use leptos::task::spawn_local;

use folio_shared::api::VaultSummary;
use folio_shared::api::care::CaregiverStatus;
use folio_shared::vault::VaultId;

use crate::api;
use crate::components::alert::Alert;
use crate::offline;
use crate::session::{Session, SessionState};
use crate::unlocking;

/// What the start page can offer, given the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Checking,
    SignedOut,
    Recovering,
    Locked,
    Unlocked,
}

/// The landing page: what Folio is, and the user's record when they are in. (Whether the
/// server is ready, and what it runs, is in the settings.)
#[component]
pub fn Home() -> impl IntoView {
    let session = Session::expect();
    let standing = Memo::new(move |_| match session.state() {
        SessionState::Checking => Standing::Checking,
        SessionState::SignedOut => Standing::SignedOut,
        SessionState::SignedIn(_) if session.is_recovery_scope() => Standing::Recovering,
        SessionState::SignedIn(_) if session.is_unlocked() => Standing::Unlocked,
        SessionState::SignedIn(_) => Standing::Locked,
    });
    view! {
        {move || (standing.get() != Standing::Unlocked).then(|| view! {
            <section class="card" aria-labelledby="welcome">
                <h2 id="welcome">"Your health record, held by you"</h2>
                <p>
                    "Folio gathers your records from every provider into one record that is "
                    "locked on your own devices: Folio's server keeps it, but cannot read it."
                </p>
            </section>
        })}
        {move || match standing.get() {
            Standing::Checking => ().into_any(),
            Standing::SignedOut => view! {
                <section class="card" aria-labelledby="get-started">
                    <h2 id="get-started">"Get started"</h2>
                    <p>"Folio signs you in with a passkey: no password to remember or leak."</p>
                    <p class="actions">
                        <a class="button primary" href="/signup">"Create an account"</a>
                        <a class="button" href="/signin">"Sign in"</a>
                    </p>
                </section>
            }.into_any(),
            Standing::Recovering => view! {
                <section class="card" aria-labelledby="recovering">
                    <h2 id="recovering">"Finish recovering your account"</h2>
                    <p>"You signed in with your recovery code. Register a new passkey to continue."</p>
                    <p class="actions"><a class="button primary" href="/recover">"Continue"</a></p>
                </section>
            }.into_any(),
            Standing::Locked => view! {
                <section class="card" aria-labelledby="locked">
                    <h2 id="locked">"Your records are locked"</h2>
                    <p>"You are signed in, but this page does not hold the key to your records."</p>
                    <p class="actions"><a class="button primary" href="/unlock">"Unlock"</a></p>
                </section>
            }.into_any(),
            Standing::Unlocked => view! { <VaultStatus/> }.into_any(),
        }}
    }
}

/// What opening the user's vault found.
#[derive(Debug, Clone, PartialEq)]
enum VaultCheck {
    NoVault,
    Unlocked {
        segments: i64,
        /// The vault, when the caller owns it: whose emergency requests they answer.
        owned: Option<VaultId>,
        /// The record opened, for the summary at a glance.
        vault: VaultSummary,
    },
    Failed(String),
}

/// Proves the vault opens: its current key unwraps with the account identity in memory.
async fn check_vault(session: Session) -> VaultCheck {
    let Some(account) = session.account_identity() else {
        return VaultCheck::Failed("your records are locked".into());
    };
    let vaults = match offline::vaults(session).await {
        Ok(vaults) => vaults,
        Err(error) => return VaultCheck::Failed(error.to_string()),
    };
    // The record chosen on the caregivers page, else the caller's own.
    let chosen = session.acting_in_untracked().map(|record| record.vault.id);
    let vault = match chosen {
        Some(id) => vaults.iter().find(|vault| vault.id == id),
        None => vaults
            .iter()
            .find(|vault| vault.is_own_record())
            .or(vaults.first()),
    };
    let Some(vault) = vault else {
        return VaultCheck::NoVault;
    };
    let wraps = match offline::vault_keys(session, vault.id).await {
        Ok(wraps) => wraps,
        Err(error) => return VaultCheck::Failed(error.to_string()),
    };
    match unlocking::unlock_vault(&account, vault, &wraps) {
        Ok(_) => VaultCheck::Unlocked {
            segments: vault.last_seq,
            owned: (vault.role == "owner").then_some(VaultId(vault.id)),
            vault: vault.clone(),
        },
        Err(error) => VaultCheck::Failed(error.to_string()),
    }
}

/// The signed-in user's vault, unlocked in this browser.
#[component]
fn VaultStatus() -> impl IntoView {
    let session = Session::expect();
    let reload = RwSignal::new(0u32);
    let check = LocalResource::new(move || {
        reload.track();
        // Switching records on the caregivers page or the banner opens the other one here;
        // the server coming back brings the record up to date.
        session.acting_in();
        session.is_offline();
        check_vault(session)
    });
    let error = RwSignal::new(None::<String>);
    let creating = RwSignal::new(false);
    let create_vault = move |_| {
        let Some(account) = session.account_identity() else {
            return;
        };
        creating.set(true);
        error.set(None);
        spawn_local(async move {
            match api::create_vault(&unlocking::new_vault(&account)).await {
                Ok(_) => reload.update(|n| *n += 1),
                Err(failure) => error.set(Some(failure.to_string())),
            }
            creating.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="vault-title" aria-live="polite">
            <h2 id="vault-title">"Your records"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Opening your record…"</p> }>
                {move || check.get().map(|check| match check {
                    VaultCheck::Unlocked { segments, owned, vault } => view! {
                        {owned.map(|vault| view! { <EmergencyRequests vault=vault/> })}
                        // How many parts the record holds is for the tests, not the patient.
                        <p class="status-ok" data-testid="vault-status" data-parts=segments>"Your record is open."</p>
                        {(segments > 0).then(|| view! { <crate::pages::glance::Glance vault=vault/> })}
                        {(segments == 0).then(|| view! {
                            <p data-testid="home-empty">
                                "Nothing here yet. Start with the files your providers gave you: "
                                "a download from a patient portal, a health summary, a vaccination card, a PDF."
                            </p>
                        })}
                        <p class="actions">
                            {if segments == 0 {
                                view! { <a class="button primary" href="/import">"Import records"</a> }.into_any()
                            } else {
                                view! {
                                    <a class="button primary" href="/record" data-testid="home-open-record">"Open the record"</a>
                                    <a class="button" href="/timeline" data-testid="home-timeline">"Timeline"</a>
                                    <a class="button" href="/import">"Import records"</a>
                                    <a class="button" href="/share">"Share with a clinician"</a>
                                }.into_any()
                            }}
                            <a class="button" href="/care">"Caregivers"</a>
                        </p>
                    }.into_any(),
                    VaultCheck::NoVault => view! {
                        <p data-testid="vault-status">"You have no record yet."</p>
                        <button type="button" class="primary" on:click=create_vault disabled=move || creating.get()>
                            "Start my record"
                        </button>
                    }.into_any(),
                    VaultCheck::Failed(why) => view! {
                        <p class="status-bad" data-testid="vault-status">
                            {format!("Your record could not be opened: {why}.")}
                        </p>
                    }.into_any(),
                })}
            </Suspense>
            <Alert message=error/>
        </section>
    }
}

/// Emergency contacts who asked for the record: the owner hears of it on the start page,
/// and has until the wait is over to refuse on the caregivers page.
#[component]
fn EmergencyRequests(vault: VaultId) -> impl IntoView {
    let requests = LocalResource::new(move || async move {
        api::caregivers(vault)
            .await
            .map(|list| {
                list.into_iter()
                    .filter(|c| c.status == CaregiverStatus::AccessRequested)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    move || {
        requests.get().map(|asking| {
            asking
                .into_iter()
                .map(|caregiver| {
                    let opens = caregiver
                        .releases_at
                        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_default();
                    view! {
                        <p class="status-bad" role="alert" data-testid="home-emergency-request">
                            {format!(
                                "{} asked for emergency access to your record. It opens on {opens} unless you refuse. ",
                                caregiver.name
                            )}
                            <a href="/care">"Review on the caregivers page"</a>
                        </p>
                    }
                })
                .collect_view()
        })
    }
}
