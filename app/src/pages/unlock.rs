use std::str::FromStr;

use folio_shared::api::account::SessionScope;
use folio_shared::keys::RecoveryCode;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::ceremonies::{self, AfterSignIn};
use crate::components::alert::{Alert, Progress};
use crate::components::recovery_code::RecoveryCodeField;
use crate::passkey::Mediation;
use crate::session::{Session, SessionState};

/// Who is looking at the unlock page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visitor {
    Checking,
    SignedOut,
    Recovering,
    Unlocked,
    Locked,
}

/// `/unlock`: signed in, but the account key is not in this page's memory (after a reload,
/// or a passkey that cannot unlock). A passkey with PRF or the recovery code opens it.
#[component]
pub fn Unlock() -> impl IntoView {
    let session = Session::expect();
    let visitor = Memo::new(move |_| match session.state() {
        SessionState::Checking => Visitor::Checking,
        SessionState::SignedOut => Visitor::SignedOut,
        SessionState::SignedIn(info) if info.scope == SessionScope::Recovery => Visitor::Recovering,
        SessionState::SignedIn(_) if session.is_unlocked() => Visitor::Unlocked,
        SessionState::SignedIn(_) => Visitor::Locked,
    });
    let query = use_query_map();
    let next = move || destination(query.with_untracked(|q| q.get("next")));
    move || match visitor.get() {
        Visitor::Checking => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Visitor::SignedOut => view! { <Redirect path="/signin"/> }.into_any(),
        Visitor::Recovering => view! { <Redirect path="/recover"/> }.into_any(),
        Visitor::Unlocked => view! { <Redirect path=next()/> }.into_any(),
        Visitor::Locked => view! { <UnlockForms next=next()/> }.into_any(),
    }
}

/// Where to go once unlocked: the page the patient was opening (`?next=`, set by the
/// guard), if it is a page of this app; the start page otherwise. Only a path on this
/// origin is followed, so a link cannot send someone elsewhere after they unlock.
fn destination(next: Option<String>) -> String {
    next.filter(|path| {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path.contains('\\')
            && !path.starts_with("/unlock")
    })
    .unwrap_or_else(|| "/".to_owned())
}

#[component]
fn UnlockForms(next: String) -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);
    let code = RwSignal::new(String::new());

    let unlock_with_passkey = {
        let navigate = navigate.clone();
        let next = next.clone();
        move |_| {
            let Some(account_id) = session.info_untracked().map(|info| info.account_id) else {
                return;
            };
            let navigate = navigate.clone();
            let next = next.clone();
            busy.set(true);
            error.set(None);
            progress.set(Some(
                "Follow your browser's prompt to use your passkey.".into(),
            ));
            spawn_local(async move {
                // Without the server, the passkey opens the copy kept on this device.
                let outcome = if session.is_offline_untracked() {
                    ceremonies::unlock_offline(session).await
                } else {
                    ceremonies::sign_in(session, Mediation::Modal, Some(account_id)).await
                };
                progress.set(None);
                busy.set(false);
                match outcome {
                    Ok(AfterSignIn::Unlocked) => navigate(&next, Default::default()),
                    // The explanation above changes to this passkey's reason.
                    Ok(AfterSignIn::Locked) => {}
                    Err(failure) if failure.is_silent() => {}
                    Err(failure) => error.set(Some(failure.to_string())),
                }
            });
        }
    };

    let unlock_with_code = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let recovery_code = match RecoveryCode::from_str(&code.get_untracked()) {
            Ok(recovery_code) => recovery_code,
            Err(typo) => {
                error.set(Some(format!("Check your recovery code: {typo}.")));
                return;
            }
        };
        let navigate = navigate.clone();
        let next = next.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let outcome = ceremonies::unlock_with_recovery_code(session, &recovery_code).await;
            busy.set(false);
            match outcome {
                Ok(()) => {
                    code.set(String::new());
                    navigate(&next, Default::default());
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="unlock-title">
            <h2 id="unlock-title">"Unlock your records"</h2>
            {move || match session.locked_reason() {
                Some(reason) => view! {
                    <p class="notice" data-testid="unlock-reason">{reason.to_string()}</p>
                }.into_any(),
                None => view! {
                    <p data-testid="unlock-reason">
                        "You are signed in, but this page does not hold the key to your records: "
                        "it is kept only in memory, so reloading the page forgets it."
                    </p>
                }.into_any(),
            }}
            {move || session.is_offline().then(|| view! {
                <p class="notice" data-testid="unlock-offline">
                    "Folio's server cannot be reached. Your passkey or recovery code opens the "
                    "copy of your records kept on this device."
                </p>
            })}
            <button
                type="button"
                class="primary"
                disabled=move || busy.get()
                on:click=unlock_with_passkey
            >
                "Unlock with passkey"
            </button>
            <Progress message=progress/>
            <form on:submit=unlock_with_code class="recovery-form">
                <RecoveryCodeField value=code/>
                <button type="submit" disabled=move || busy.get()>"Unlock with recovery code"</button>
            </form>
            <Alert message=error/>
        </section>
    }
}
