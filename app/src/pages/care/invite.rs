//! The invitation form: who, what they may do (viewer, manager, emergency contact, or, for a
//! record held for a dependant, the hand-over), until when, and the link and QR it makes.

use chrono::NaiveDate;
use folio_shared::api::care::{CreateInvitation, MAX_EMERGENCY_WAIT_HOURS};
use folio_shared::care::Role;
use folio_shared::vault::VaultId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::ceremonies;
use crate::components::alert::Progress;
use crate::components::qr::qr_data_uri;
use crate::dates;

/// What the role menu offers: the words the form sends, and what they mean to a patient.
const VIEWER: (&str, &str) = ("viewer", "Read the record and see its share links");
const MANAGER: (&str, &str) = ("manager", "Also import, share and invite viewers");
const EMERGENCY: (&str, &str) = (
    "emergency",
    "Emergency contact: may ask for access, which opens after a wait you can refuse within",
);
const HAND_OVER: (&str, &str) = ("owner", "Hand the record over: they become its owner");

/// The waiting periods offered to an emergency contact, in hours.
const WAITS: [(u32, &str); 4] = [
    (24, "1 day"),
    (48, "2 days"),
    (72, "3 days"),
    (168, "1 week"),
];

/// The form's choices as the server wants them, or what is wrong with them.
fn invitation(
    name: String,
    choice: &str,
    wait_hours: &str,
    ends_on: &str,
) -> Result<CreateInvitation, String> {
    let name = name.trim().to_owned();
    if name.is_empty() {
        return Err(
            "Say who this is: the activity log shows their actions under this name.".into(),
        );
    }
    let (role, emergency_wait_hours) = match choice {
        "manager" => (Role::Manager, None),
        "owner" => (Role::Owner, None),
        "emergency" => {
            let hours = wait_hours
                .parse::<u32>()
                .ok()
                .filter(|h| (1..=MAX_EMERGENCY_WAIT_HOURS).contains(h))
                .ok_or("Choose how long the wait is before an emergency request opens.")?;
            (Role::Viewer, Some(hours))
        }
        _ => (Role::Viewer, None),
    };
    let ends_at = match ends_on {
        "" => None,
        _ if role == Role::Owner => None,
        text => {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| format!("{text} is not a date."))?;
            let at = dates::end_of_local_day(day);
            if at <= dates::now() {
                return Err("The end date has passed: choose a later day, or none.".into());
            }
            Some(at)
        }
    };
    Ok(CreateInvitation {
        role,
        name,
        ends_at,
        emergency_wait_hours,
    })
}

/// Invite someone to `vault`. `may_manage` offers more than a viewer (the owner's right);
/// `can_hand_over` offers the hand-over of a record held for a dependant.
#[component]
pub fn InviteForm(
    vault: VaultId,
    may_manage: bool,
    can_hand_over: bool,
    changed: RwSignal<u32>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let choice = RwSignal::new(VIEWER.0.to_owned());
    let wait = RwSignal::new("48".to_owned());
    let ends_on = RwSignal::new(String::new());
    let link = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let mut offered = vec![VIEWER];
    if may_manage {
        offered.extend([MANAGER, EMERGENCY]);
    }
    if can_hand_over {
        offered.push(HAND_OVER);
    }
    let invite = move || {
        let made = invitation(
            name.get_untracked(),
            &choice.get_untracked(),
            &wait.get_untracked(),
            &ends_on.get_untracked(),
        );
        let request = match made {
            Ok(request) => request,
            Err(why) => {
                error.set(Some(why));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            // Inviting is account-critical: a passkey confirms it's the user when asked.
            let announce = move |prompt: &str| progress.set(Some(prompt.to_owned()));
            match ceremonies::confirmed(announce, || api::invite(vault, &request)).await {
                Ok(made) => {
                    link.set(Some(made.link));
                    error.set(None);
                    changed.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            progress.set(None);
            busy.set(false);
        });
    };
    view! {
        <form class="stack" on:submit=move |ev| { ev.prevent_default(); invite(); }>
            <label for="care-name">"Who is it?"</label>
            <input id="care-name" data-testid="care-name" required maxlength="80"
                placeholder="Sam, my son"
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            <label for="care-role">"What may they do?"</label>
            <select id="care-role" data-testid="care-role"
                on:change=move |ev| choice.set(event_target_value(&ev))>
                {offered.into_iter().map(|(value, words)| view! {
                    <option value=value selected=move || choice.get() == value>{words}</option>
                }).collect_view()}
            </select>
            {move || (choice.get() == EMERGENCY.0).then(|| view! {
                <label for="care-wait">"How long they wait after asking"</label>
                <select id="care-wait" data-testid="care-wait"
                    on:change=move |ev| wait.set(event_target_value(&ev))>
                    {WAITS.into_iter().map(|(hours, words)| view! {
                        <option value=hours.to_string() selected=move || wait.get() == hours.to_string()>{words}</option>
                    }).collect_view()}
                </select>
                <p class="muted">"You are told when they ask, and can refuse until the wait is over."</p>
            })}
            {move || (choice.get() != HAND_OVER.0).then(|| view! {
                <label for="care-ends">"Access ends on (optional)"</label>
                <input id="care-ends" type="date" data-testid="care-ends"
                    prop:value=move || ends_on.get() on:input=move |ev| ends_on.set(event_target_value(&ev))/>
            })}
            <button type="submit" class="button primary" data-testid="care-invite"
                disabled=move || busy.get()>"Invite"</button>
        </form>
        <Progress message=progress/>
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
        {move || error.get().map(|e| view! { <p class="status-bad" role="alert" data-testid="care-invite-error">{e}</p> })}
    }
}
