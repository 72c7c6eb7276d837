//! `/care`: the people who help with your record (invite, compare the safety code and
//! confirm, remove), invitations you were sent, and the records you help with.
//!
//! The record's key reaches a caregiver only from this page (or the CLI), only after the
//! code on their screen matches the one here; removing someone rotates the key in this page.

use folio_shared::api::care::{Caregiver, CaregiverStatus, CreateInvitation};
use folio_shared::care::{Role, SafetyCode, owner_safety_code};
use folio_shared::keys::AccountRecipient;
use folio_shared::vault::VaultId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::caring;
use crate::components::guard::RequireUnlocked;
use crate::components::qr::qr_data_uri;
use crate::record::OpenRecord;
use crate::session::Session;

#[component]
pub fn Care() -> impl IntoView {
    view! {
        <RequireUnlocked>
            <Caregivers/>
            <AcceptInvitation/>
            <HelpedRecords/>
        </RequireUnlocked>
    }
}

fn describe(status: CaregiverStatus) -> &'static str {
    match status {
        CaregiverStatus::Invited => "Invited: has not opened the link yet",
        CaregiverStatus::AwaitingConfirmation => "Accepted: compare the safety code to confirm",
        CaregiverStatus::Active => "Has access",
        CaregiverStatus::Standby => "Emergency contact, standing by",
        CaregiverStatus::AccessRequested => "Emergency contact: asked for access",
        CaregiverStatus::Ended => "Access ended",
        CaregiverStatus::Revoked => "Removed",
        CaregiverStatus::InvitationExpired => "Invitation expired",
    }
}

/// The owner's side: invite, confirm, remove.
#[component]
fn Caregivers() -> impl IntoView {
    let session = Session::expect();
    let record = LocalResource::new(move || OpenRecord::open_own(session, false));
    view! {
        <section class="card" aria-labelledby="care-title">
            <h2 id="care-title">"People who help with your record"</h2>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Opening your record…"</p> }>
                {move || record.get().map(|opened| match opened {
                    Ok(record) => view! { <CaregiverList record=record/> }.into_any(),
                    Err(why) => view! { <p class="muted" data-testid="care-unavailable">{why}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CaregiverList(record: OpenRecord) -> impl IntoView {
    let session = Session::expect();
    let vault = record.id();
    let record = StoredValue::new(record);
    let changed = RwSignal::new(0u32);
    let caregivers = LocalResource::new(move || {
        changed.track();
        api::caregivers(vault)
    });
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("viewer".to_owned());
    let link = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    // What the last confirmation or removal did; kept here, since the rows are made anew
    // when the list is read again.
    let notice = RwSignal::new(None::<(bool, String)>);
    let invite = move |_| {
        let role = if role.get_untracked() == "manager" {
            Role::Manager
        } else {
            Role::Viewer
        };
        let invitation = CreateInvitation {
            role,
            name: name.get_untracked(),
            ends_at: None,
            emergency_wait_hours: None,
        };
        spawn_local(async move {
            match api::invite(vault, &invitation).await {
                Ok(made) => {
                    link.set(Some(made.link));
                    error.set(None);
                    changed.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <form class="stack" on:submit=move |ev| { ev.prevent_default(); invite(()); }>
            <label for="care-name">"Who is it?"</label>
            <input id="care-name" data-testid="care-name" required maxlength="80"
                placeholder="Sam, my son"
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            <label for="care-role">"What may they do?"</label>
            <select id="care-role" data-testid="care-role"
                on:change=move |ev| role.set(event_target_value(&ev))>
                <option value="viewer">"Read the record and see its share links"</option>
                <option value="manager">"Also import, share and invite viewers"</option>
            </select>
            <button type="submit" class="button primary" data-testid="care-invite">"Invite"</button>
        </form>
        {move || link.get().map(|link| {
            let qr = qr_data_uri(&link);
            view! {
                <p>"Send them this link, or let them scan the code (it works once, for 7 days):"</p>
                <p class="link-text" data-testid="care-link">{link}</p>
                {qr.map(|src| view! {
                    <img class="qr" data-testid="care-qr" src=src alt="The invitation link as a QR code"/>
                })}
            }
        })}
        {move || error.get().map(|e| view! { <p class="status-bad" role="alert">{e}</p> })}
        {move || notice.get().map(|(good, text)| view! {
            <p class=if good { "status-good" } else { "status-bad" } data-testid="care-message" role="status">{text}</p>
        })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || caregivers.get().map(|answer| match answer {
                Err(e) => view! { <p class="status-bad">{e.to_string()}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <p class="muted" data-testid="care-empty">"Nobody helps with your record yet."</p>
                }.into_any(),
                Ok(list) => view! {
                    <ul class="share-list" data-testid="care-list">
                        {list.into_iter().map(|caregiver| view! {
                            <CaregiverRow caregiver=caregiver record=record changed=changed notice=notice session=session/>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn CaregiverRow(
    caregiver: Caregiver,
    record: StoredValue<OpenRecord>,
    changed: RwSignal<u32>,
    notice: RwSignal<Option<(bool, String)>>,
    session: Session,
) -> impl IntoView {
    let status = caregiver.status;
    let owner = session.account_identity();
    let our_code = match (&owner, &caregiver.recipient) {
        (Some(owner), Some(recipient)) if status == CaregiverStatus::AwaitingConfirmation => {
            record.with_value(|r| owner_safety_code(&r.keyring, &owner.recipient(), recipient).ok())
        }
        _ => None,
    };
    let their_code = RwSignal::new(String::new());
    let message = notice;
    let caregiver = StoredValue::new(caregiver);
    let confirm = move |_| {
        let Some(owner) = session.account_identity() else {
            return;
        };
        let code = their_code.get_untracked();
        spawn_local(async move {
            let opened = record.get_value();
            match caring::confirm(&opened, &owner, &caregiver.get_value(), &code).await {
                Ok(confirmed) => {
                    message.set(Some((
                        true,
                        format!("{} can open your record now.", confirmed.name),
                    )));
                    changed.update(|n| *n += 1);
                }
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let remove = move |_| {
        let Some(owner) = session.account_identity() else {
            return;
        };
        let Some(owner_id) = session.info_untracked().map(|info| info.account_id) else {
            return;
        };
        message.set(Some((
            true,
            "Removing them and rotating your record's key…".into(),
        )));
        spawn_local(async move {
            let opened = record.get_value();
            match caring::remove_and_rotate(&opened, &owner, owner_id, &caregiver.get_value()).await
            {
                Ok(epoch) => {
                    message.set(Some((true, format!("Removed. Your record's key was rotated (epoch {epoch}): keys they kept open nothing new."))));
                    changed.update(|n| *n += 1);
                }
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let refuse = move |_| {
        spawn_local(async move {
            let vault = record.with_value(|r| r.id());
            match api::refuse_access(vault, caregiver.with_value(|c| c.id)).await {
                Ok(refused) => {
                    message.set(Some((
                        true,
                        format!("Refused: {} does not get access.", refused.name),
                    )));
                    changed.update(|n| *n += 1);
                }
                Err(e) => message.set(Some((false, e.to_string()))),
            }
        });
    };
    let releases = caregiver.with_value(|c| c.releases_at);
    let name = caregiver.with_value(|c| c.name.clone());
    let role = caregiver.with_value(|c| c.role.to_string());
    view! {
        <li class="share-row" data-testid="care-row">
            <p><strong>{name}</strong>" · "{role}</p>
            <p data-testid="care-status">{describe(status)}</p>
            {our_code.map(|code| view! {
                <p>"Your safety code:"</p>
                <p class="link-text" data-testid="care-code">{code.to_string()}</p>
                <label for="care-their-code">"The code on their screen"</label>
                <input id="care-their-code" data-testid="care-their-code" inputmode="numeric"
                    prop:value=move || their_code.get()
                    on:input=move |ev| their_code.set(event_target_value(&ev))/>
                <button class="button primary" data-testid="care-confirm" on:click=confirm>"Codes match: confirm"</button>
            })}
            {(status == CaregiverStatus::AccessRequested).then(|| view! {
                <p class="status-bad" role="alert" data-testid="care-request">
                    {releases.map(|at| format!(
                        "They asked for emergency access. It opens on {} unless you refuse.",
                        at.format("%Y-%m-%d %H:%M UTC")
                    ))}
                </p>
                <button class="button danger" data-testid="care-refuse" on:click=refuse>"Refuse"</button>
            })}
            {status.holds_key().then(|| view! {
                <button class="button danger" data-testid="care-remove" on:click=remove>"Remove"</button>
            })}
        </li>
    }
}

/// The caregiver's side: take an invitation someone sent.
#[component]
fn AcceptInvitation() -> impl IntoView {
    let session = Session::expect();
    let link = RwSignal::new(String::new());
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
                        let shown =
                            SafetyCode::derive(VaultId(accepted.vault_id), &owner, &me.recipient());
                        code.set(Some(shown.to_string()));
                        error.set(None);
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

/// The records this account helps with, opened here.
#[component]
fn HelpedRecords() -> impl IntoView {
    let session = Session::expect();
    let refresh = RwSignal::new(0u32);
    let helped = LocalResource::new(move || {
        refresh.track();
        async move {
            let vaults = api::vaults().await.map_err(|e| e.to_string())?;
            let mut opened = Vec::new();
            for vault in vaults.into_iter().filter(|v| v.role != "owner") {
                let (id, role) = (vault.id, vault.role.clone());
                let record = OpenRecord::open(session, vault).await;
                opened.push((id, role, record.map(|r| r.contents.len())));
            }
            Ok::<_, String>(opened)
        }
    });
    view! {
        <section class="card" aria-labelledby="helped-title">
            <h2 id="helped-title">"Records you help with"</h2>
            <button class="button" data-testid="helped-refresh" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
            <Suspense fallback=|| view! { <p class="muted">"Opening…"</p> }>
                {move || helped.get().map(|answer| match answer {
                    Err(e) => view! { <p class="status-bad">{e}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted" data-testid="helped-none">"You do not help with anyone's record."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="share-list">
                            {list.into_iter().map(|(id, role, opened)| view! {
                                <li class="share-row" data-testid="helped-record">
                                    {match opened {
                                        Ok(count) => format!("Record {id} ({role}): {count} entries"),
                                        Err(e) => format!("Record {id} ({role}): {e}"),
                                    }}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
