//! `/care`: the people who help with the record the pages act in (invite, compare the
//! safety code and confirm, remove and rotate, refuse an emergency request, read what they
//! did), invitations you were sent, the records you help with or hold for a dependant (and
//! switching into one), and the records you stand by for as an emergency contact.
//!
//! A record's key reaches a caregiver only from this page (or the CLI), only after the
//! code on their screen matches the one here; removing someone rotates the key in this page.

mod activity;
mod caregivers;
mod helping;
mod invite;

use folio_shared::api::care::CaregiverStatus;
use leptos::prelude::*;

use crate::components::guard::RequireUnlocked;

/// `/care/accept#<secret>`: an invitation link opened. The secret leaves the address bar at
/// once (it is a credential until used) and waits in memory for the caregivers page, after
/// signing in or unlocking if that comes first.
#[component]
pub fn AcceptLink() -> impl IntoView {
    let session = crate::session::Session::expect();
    if let Some(window) = web_sys::window() {
        let hash = window.location().hash().unwrap_or_default();
        let secret = hash.trim_start_matches('#').trim();
        if !secret.is_empty() {
            session.set_pending_invitation(Some(secret.to_owned()));
        }
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/care"));
        }
    }
    view! { <Care/> }
}

#[component]
pub fn Care() -> impl IntoView {
    view! {
        <RequireUnlocked>
            <caregivers::Caregivers/>
            <helping::AcceptInvitation/>
            <helping::HelpedRecords/>
            <helping::StandingBy/>
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
