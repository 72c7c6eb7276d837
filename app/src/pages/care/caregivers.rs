//! The people who help with the record the pages act in: its owner's (or a manager's) list,
//! with the safety-code confirmation, removal with key rotation, refusal of an emergency
//! request, and a rotation that a removal left unfinished.

use folio_shared::api::care::{Caregiver, CaregiverStatus};
use folio_shared::care::{Action, Role, owner_safety_code};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::activity::ActivityLog;
use super::describe;
use super::invite::InviteForm;
use crate::api;
use crate::caring;
use crate::ceremonies;
use crate::record::OpenRecord;
use crate::session::Session;

/// What the last confirmation, removal or rotation did: good news or not, and the words.
type Notice = RwSignal<Option<(bool, String)>>;

#[component]
pub fn Caregivers() -> impl IntoView {
    let session = Session::expect();
    let record = OpenRecord::for_page(session);
    view! {
        <section class="card" aria-labelledby="care-title">
            <h2 id="care-title">"People who help with this record"</h2>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Opening the record…"</p> }>
                {move || record.get().map(|opened| match opened {
                    Ok(record) if record.may(Action::InviteViewer) => view! { <CaregiverList record=record/> }.into_any(),
                    Ok(record) => view! {
                        <p class="muted" data-testid="care-unavailable">{format!(
                            "As a {} of {} you can read it; its owner decides who helps with it.",
                            record.role(),
                            record.label()
                        )}</p>
                    }.into_any(),
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
    let may_manage = record.may(Action::ManageCaregivers);
    let can_hand_over = record.role() == Role::Owner && record.vault.dependant;
    let rotation_due = RwSignal::new(record.vault.rotation_due && may_manage);
    let label = record.label();
    let record = StoredValue::new(record);
    let changed = RwSignal::new(0u32);
    let caregivers = LocalResource::new(move || {
        changed.track();
        api::caregivers(vault)
    });
    // Kept here, since the rows are made anew when the list is read again.
    let notice: Notice = RwSignal::new(None);
    let rotate = move |_| {
        let (Some(owner), Some(info)) = (session.account_identity(), session.info_untracked())
        else {
            return;
        };
        notice.set(Some((true, "Rotating the record's key…".into())));
        spawn_local(async move {
            match caring::rotate_key(&record.get_value(), &owner, info.account_id).await {
                Ok(epoch) => {
                    rotation_due.set(false);
                    notice.set(Some((true, format!("The record's key was rotated (epoch {epoch}): keys a removed caregiver kept open nothing new."))));
                }
                Err(e) => notice.set(Some((false, e))),
            }
        });
    };
    view! {
        <p class="muted" data-testid="care-record">{format!("Caregivers of {label}.")}</p>
        {move || rotation_due.get().then(|| view! {
            <p class="status-bad" role="alert" data-testid="care-rotation-due">
                "Someone was removed but the record's key was not rotated yet: keys they kept could still open what is added next."
            </p>
            <button class="button primary" data-testid="care-rotate" on:click=rotate>"Rotate the key now"</button>
        })}
        <InviteForm vault=vault may_manage=may_manage can_hand_over=can_hand_over changed=changed/>
        {move || notice.get().map(|(good, text)| view! {
            <p class=if good { "status-good" } else { "status-bad" } data-testid="care-message" role="status">{text}</p>
        })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || caregivers.get().map(|answer| match answer {
                Err(e) => view! { <p class="status-bad">{e.to_string()}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <p class="muted" data-testid="care-empty">"Nobody helps with this record yet."</p>
                }.into_any(),
                Ok(list) => view! {
                    <ul class="share-list" data-testid="care-list">
                        {list.into_iter().map(|caregiver| view! {
                            <CaregiverRow caregiver=caregiver record=record may_manage=may_manage changed=changed notice=notice/>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
        {may_manage.then(|| view! { <ActivityLog vault=vault changed=changed/> })}
    }
}

#[component]
fn CaregiverRow(
    caregiver: Caregiver,
    record: StoredValue<OpenRecord>,
    may_manage: bool,
    changed: RwSignal<u32>,
    notice: Notice,
) -> impl IntoView {
    let session = Session::expect();
    let status = caregiver.status;
    let me = session.account_identity();
    // Viewers a manager invited are theirs to confirm; everyone else is the owner's.
    let may_confirm = may_manage || caregiver.role == Role::Viewer;
    let our_code = match (&me, &caregiver.recipient) {
        (Some(me), Some(recipient))
            if status == CaregiverStatus::AwaitingConfirmation && may_confirm =>
        {
            record.with_value(|r| {
                owner_safety_code(
                    &r.keyring,
                    &me.recipient(),
                    recipient,
                    caregiver.signing_key.as_ref(),
                )
                .ok()
            })
        }
        _ => None,
    };
    let their_code = RwSignal::new(String::new());
    let caregiver = StoredValue::new(caregiver);
    let confirm = move |_| {
        let Some(me) = session.account_identity() else {
            return;
        };
        let code = their_code.get_untracked();
        spawn_local(async move {
            let opened = record.get_value();
            match caring::confirm(&opened, &me, &caregiver.get_value(), &code).await {
                Ok(confirmed) if confirmed.role == Role::Owner => {
                    notice.set(Some((
                        true,
                        format!(
                            "{} owns the record now; you stay on as a manager.",
                            confirmed.name
                        ),
                    )));
                    changed.update(|n| *n += 1);
                }
                Ok(confirmed) => {
                    notice.set(Some((
                        true,
                        format!("{} can open the record now.", confirmed.name),
                    )));
                    changed.update(|n| *n += 1);
                }
                Err(e) => notice.set(Some((false, e))),
            }
        });
    };
    let remove = move |_| {
        let (Some(owner), Some(info)) = (session.account_identity(), session.info_untracked())
        else {
            return;
        };
        notice.set(Some((true, ceremonies::CONFIRM_PROMPT.into())));
        spawn_local(async move {
            // Removing a caregiver is account-critical: the passkey confirms it's the user
            // right before.
            if let Err(failure) = ceremonies::confirm_it_is_you().await {
                notice.set(Some((false, failure.to_string())));
                return;
            }
            notice.set(Some((
                true,
                "Removing them and rotating the record's key…".into(),
            )));
            let opened = record.get_value();
            match caring::remove_and_rotate(
                &opened,
                &owner,
                info.account_id,
                &caregiver.get_value(),
            )
            .await
            {
                Ok(epoch) => {
                    notice.set(Some((true, format!("Removed. The record's key was rotated (epoch {epoch}): keys they kept open nothing new."))));
                    changed.update(|n| *n += 1);
                }
                Err(e) => notice.set(Some((false, e))),
            }
        });
    };
    let refuse = move |_| {
        spawn_local(async move {
            let vault = record.with_value(|r| r.id());
            match api::refuse_access(vault, caregiver.with_value(|c| c.id)).await {
                Ok(refused) => {
                    notice.set(Some((
                        true,
                        format!("Refused: {} does not get access.", refused.name),
                    )));
                    changed.update(|n| *n += 1);
                }
                Err(e) => notice.set(Some((false, e.to_string()))),
            }
        });
    };
    let (name, role, releases, wait, ends) = caregiver.with_value(|c| {
        (
            c.name.clone(),
            c.role,
            c.releases_at,
            c.emergency_wait_hours,
            c.ends_at,
        )
    });
    let role_words = match (role, wait) {
        (Role::Owner, _) => "receives the record (hand-over)".to_owned(),
        (_, Some(hours)) => format!("emergency contact, {hours} h wait"),
        (role, None) => role.to_string(),
    };
    view! {
        <li class="share-row" data-testid="care-row">
            <p><strong>{name}</strong>" · "{role_words}</p>
            <p data-testid="care-status">{describe(status)}</p>
            {ends.map(|at| view! { <p class="muted">{format!("Until {}", at.format("%Y-%m-%d"))}</p> })}
            {our_code.map(|code| view! {
                <p>"Your safety code:"</p>
                <p class="link-text" data-testid="care-code">{code.to_string()}</p>
                <label for="care-their-code">"The code on their screen"</label>
                <input id="care-their-code" data-testid="care-their-code" inputmode="numeric"
                    prop:value=move || their_code.get()
                    on:input=move |ev| their_code.set(event_target_value(&ev))/>
                <button class="button primary" data-testid="care-confirm" on:click=confirm>"Codes match: confirm"</button>
            })}
            {(status == CaregiverStatus::AccessRequested && may_manage).then(|| view! {
                <p class="status-bad" role="alert" data-testid="care-request">
                    {releases.map(|at| format!(
                        "They asked for emergency access. It opens on {} unless you refuse.",
                        at.format("%Y-%m-%d %H:%M UTC")
                    ))}
                </p>
                <button class="button danger" data-testid="care-refuse" on:click=refuse>"Refuse"</button>
            })}
            {(status.holds_key() && may_manage).then(|| view! {
                <button class="button danger" data-testid="care-remove" on:click=remove>"Remove"</button>
            })}
        </li>
    }
}
