//! The caregiver's side: take an invitation, the records you help with or hold for a
//! dependant (and work in one of them), and the records you stand by for as an emergency
//! contact (and ask for one when it is needed).

use folio_shared::api::care::{CaregiverStatus, Membership};
use folio_shared::care::SafetyCode;
use folio_shared::keys::{AccountRecipient, SigningKey};
use folio_shared::vault::VaultId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::describe;
use crate::api;
use crate::record::OpenRecord;
use crate::session::{ActingIn, Session};
use crate::unlocking;

/// Take an invitation someone sent, and read them the safety code.
#[component]
pub fn AcceptInvitation() -> impl IntoView {
    let session = Session::expect();
    let link = RwSignal::new(session.pending_invitation().unwrap_or_default());
    let code = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let accept = move |_| {
        let Some(me) = session.account_identity() else {
            return;
        };
        let text = link.get_untracked();
        spawn_local(async move {
            match api::accept_invitation(&text).await {
                Ok(accepted) => match accepted.owner_recipient.parse::<AccountRecipient>() {
                    Ok(owner) => {
                        // This account's own keys, never the server's word for them.
                        let signing = SigningKey::of_account(&me).public_key();
                        let shown = SafetyCode::derive(
                            VaultId(accepted.vault_id),
                            &owner,
                            &me.recipient(),
                            Some(&signing),
                        );
                        code.set(Some(shown.to_string()));
                        error.set(None);
                        session.set_pending_invitation(None);
                    }
                    Err(_) => {
                        error.set(Some("The server sent no usable key for the owner.".into()))
                    }
                },
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="accept-title">
            <h2 id="accept-title">"Accept an invitation"</h2>
            <form class="stack" on:submit=move |ev| { ev.prevent_default(); accept(()); }>
                <label for="care-accept-link">"The link you were sent"</label>
                <input id="care-accept-link" data-testid="care-accept-link"
                    prop:value=move || link.get() on:input=move |ev| link.set(event_target_value(&ev))/>
                <button type="submit" class="button primary" data-testid="care-accept">"Accept"</button>
            </form>
            {move || code.get().map(|code| view! {
                <p>"Read this safety code to the person who invited you. They confirm you when their screen shows the same:"</p>
                <p class="link-text" data-testid="care-accept-code">{code}</p>
            })}
            {move || error.get().map(|e| view! { <p class="status-bad" role="alert">{e}</p> })}
        </section>
    }
}

/// One record other than the caller's own, opened here to name it.
#[derive(Clone)]
struct OtherRecord {
    vault: uuid::Uuid,
    role: String,
    opened: Result<ActingIn, String>,
    entries: usize,
}

/// The records this account helps with or holds for a dependant; "work in" one switches
/// every page (import, share, caregivers) to it until "back to my record".
#[component]
pub fn HelpedRecords() -> impl IntoView {
    let session = Session::expect();
    let refresh = RwSignal::new(0u32);
    let helped = LocalResource::new(move || {
        refresh.track();
        async move {
            let vaults = api::vaults().await.map_err(|e| e.to_string())?;
            let mut others = Vec::new();
            for vault in vaults.into_iter().filter(|v| !v.is_own_record()) {
                let (id, role) = (vault.id, vault.role.clone());
                let record = OpenRecord::open(session, vault).await;
                let entries = record.as_ref().map_or(0, |r| r.contents.len());
                let opened = record.map(|r| {
                    r.acting_in().unwrap_or_else(|| ActingIn {
                        label: r.label(),
                        vault: r.vault.clone(),
                    })
                });
                others.push(OtherRecord {
                    vault: id,
                    role,
                    opened,
                    entries,
                });
            }
            Ok::<_, String>(others)
        }
    });
    let error = RwSignal::new(None::<String>);
    let make_dependant = move |_| {
        let Some(account) = session.account_identity() else {
            return;
        };
        let mut vault = unlocking::new_vault(&account);
        vault.dependant = true;
        spawn_local(async move {
            match api::create_vault(&vault).await {
                Ok(_) => {
                    error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="helped-title">
            <h2 id="helped-title">"Records you help with"</h2>
            <p class="actions">
                <button class="button" data-testid="helped-refresh" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
                <button class="button" data-testid="dependant-create" on:click=make_dependant>"Make a record for a child"</button>
            </p>
            <p class="muted">
                "A record you make for a child is yours to fill and share until you hand it over to their own account (invite them with “Hand the record over”)."
            </p>
            {move || error.get().map(|e| view! { <p class="status-bad" role="alert">{e}</p> })}
            <Suspense fallback=|| view! { <p class="muted">"Opening…"</p> }>
                {move || helped.get().map(|answer| match answer {
                    Err(e) => view! { <p class="status-bad">{e}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted" data-testid="helped-none">"You do not help with anyone's record."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="share-list">
                            {list.into_iter().map(|other| view! { <OtherRecordRow other=other/> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn OtherRecordRow(other: OtherRecord) -> impl IntoView {
    let session = Session::expect();
    let OtherRecord {
        vault,
        role,
        opened,
        entries,
    } = other;
    match opened {
        Err(why) => view! {
            <li class="share-row" data-testid="helped-record">{format!("Record {vault} ({role}): {why}")}</li>
        }
        .into_any(),
        Ok(record) => {
            let label = record.label.clone();
            let here = move || session.acting_in().is_some_and(|a| a.vault.id == vault);
            let record = StoredValue::new(record);
            view! {
                <li class="share-row" data-testid="helped-record">
                    <p><strong>{label}</strong>{format!(" ({role}): {entries} entries")}</p>
                    {move || if here() {
                        view! { <p class="status-good" data-testid="helped-current">"You are working in this record."</p> }.into_any()
                    } else {
                        view! {
                            <button class="button primary" data-testid="helped-switch"
                                on:click=move |_| session.act_in(Some(record.get_value()))>
                                "Work in this record"
                            </button>
                        }.into_any()
                    }}
                </li>
            }
            .into_any()
        }
    }
}

/// Records this account stands by for as an emergency contact: ask for access when it is
/// needed; it opens after the owner's waiting period unless they refuse.
#[component]
pub fn StandingBy() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let memberships = LocalResource::new(move || {
        refresh.track();
        api::memberships()
    });
    view! {
        <section class="card" aria-labelledby="standby-title">
            <h2 id="standby-title">"Emergency access"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || memberships.get().map(|answer| match answer {
                    Err(e) => view! { <p class="status-bad">{e.to_string()}</p> }.into_any(),
                    Ok(list) => {
                        let standing: Vec<Membership> = list
                            .into_iter()
                            .filter(|m| m.emergency_wait_hours.is_some())
                            .collect();
                        if standing.is_empty() {
                            view! { <p class="muted" data-testid="standby-none">"Nobody named you as their emergency contact."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="share-list">
                                    {standing.into_iter().map(|m| view! { <StandbyRow membership=m refresh=refresh/> }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn StandbyRow(membership: Membership, refresh: RwSignal<u32>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let id = membership.id;
    let ask = move |_| {
        spawn_local(async move {
            match api::request_access(id).await {
                Ok(_) => {
                    error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let hours = membership.emergency_wait_hours.unwrap_or_default();
    let state = match (membership.status, membership.releases_at) {
        (CaregiverStatus::AccessRequested, Some(at)) => format!(
            "You asked for access. It opens on {} unless the owner refuses.",
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        (CaregiverStatus::Active, _) => {
            "Access is open: the record is in “Records you help with”.".to_owned()
        }
        (status, _) => describe(status).to_owned(),
    };
    view! {
        <li class="share-row" data-testid="standby-row">
            <p>{format!("Record {} · wait of {hours} h after you ask", membership.vault_id)}</p>
            <p data-testid="standby-status">{state}</p>
            {(membership.status == CaregiverStatus::Standby).then(|| view! {
                <button class="button danger" data-testid="standby-request" on:click=ask>"Ask for emergency access"</button>
            })}
            {move || error.get().map(|e| view! { <p class="status-bad" role="alert">{e}</p> })}
        </li>
    }
}
