//! Pages that need a signed-in, unlocked account send everyone else where they can get one.

use folio_shared::api::account::SessionScope;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::session::{Session, SessionState};

/// Where the session allows the user to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// The app is still asking the server.
    Waiting,
    Elsewhere(&'static str),
    /// The unlock page, coming back here once unlocked.
    Unlock,
    Allowed,
}

/// Renders `children` only for a signed-in, unlocked account.
///
/// The decision is a memo, so a new session for the same account (every passkey ceremony
/// makes one) does not re-render the page under the user's hands.
#[component]
pub fn RequireUnlocked(children: ChildrenFn) -> impl IntoView {
    let session = Session::expect();
    let access = Memo::new(move |before: Option<&Access>| match session.state() {
        SessionState::Checking => Access::Waiting,
        // Someone who was in and just signed out (or deleted the account) is done here: the
        // start page, not a sign-in form, is where they meant to go.
        SessionState::SignedOut if before == Some(&Access::Allowed) => Access::Elsewhere("/"),
        SessionState::SignedOut => Access::Elsewhere("/signin"),
        SessionState::SignedIn(info) if info.scope == SessionScope::Recovery => {
            Access::Elsewhere("/recover")
        }
        SessionState::SignedIn(_) if !session.is_unlocked() => Access::Unlock,
        SessionState::SignedIn(_) => Access::Allowed,
    });
    let location = use_location();
    move || match access.get() {
        Access::Waiting => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Access::Elsewhere(path) => view! { <Redirect path=path/> }.into_any(),
        Access::Unlock => {
            let here = format!(
                "{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked()
            );
            let path = format!("/unlock?next={}", js_sys::encode_uri_component(&here));
            view! { <Redirect path=path/> }.into_any()
        }
        Access::Allowed => children().into_any(),
    }
}
