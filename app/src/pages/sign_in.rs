use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::ceremonies::{self, AfterSignIn, Failure};
use crate::components::alert::{Alert, Progress};
use crate::passkey::{self, Mediation, PasskeyError};
use crate::session::Session;

/// `/signin`: a passkey button, and the passkeys among the autofill suggestions of a
/// field where the browser offers them.
#[component]
pub fn SignIn() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);
    let autofill = RwSignal::new(false);

    let signed_in = move |after: AfterSignIn| match after {
        AfterSignIn::Unlocked => navigate("/", Default::default()),
        AfterSignIn::Locked => navigate("/unlock", Default::default()),
    };

    // The autofill request waits for as long as the page is open; it is started again
    // after a button attempt, which had to abort it.
    let offer_autofill = {
        let signed_in = signed_in.clone();
        move || {
            let signed_in = signed_in.clone();
            spawn_local(async move {
                if !passkey::autofill_available().await {
                    return;
                }
                autofill.set(true);
                match ceremonies::sign_in(session, Mediation::Autofill, None).await {
                    Ok(after) => signed_in(after),
                    // The user never asked for this request: a browser that gives up on it
                    // (no passkey to suggest, say) is no news to them.
                    Err(Failure::Passkey(PasskeyError::Cancelled)) => {}
                    Err(failure) if failure.is_silent() => {}
                    Err(failure) => error.set(Some(failure.to_string())),
                }
            });
        }
    };
    offer_autofill();
    on_cleanup(passkey::abort_autofill);

    let sign_in_with_button = move |_| {
        let signed_in = signed_in.clone();
        let offer_autofill = offer_autofill.clone();
        busy.set(true);
        error.set(None);
        progress.set(Some(
            "Follow your browser's prompt to use your passkey.".into(),
        ));
        spawn_local(async move {
            let outcome = ceremonies::sign_in(session, Mediation::Modal, None).await;
            progress.set(None);
            busy.set(false);
            match outcome {
                Ok(after) => signed_in(after),
                Err(failure) => {
                    if !failure.is_silent() {
                        error.set(Some(failure.to_string()));
                    }
                    offer_autofill();
                }
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="signin-title">
            <h2 id="signin-title">"Sign in"</h2>
            <p>"Use the passkey you made for Folio on this or another device."</p>
            <Show when=move || autofill.get()>
                <label for="passkey-autofill">"Your passkey"</label>
                <p class="hint" id="passkey-autofill-hint">
                    "Choose it among the suggestions of this field, or use the button."
                </p>
                <input
                    id="passkey-autofill"
                    name="username"
                    type="text"
                    autocomplete="username webauthn"
                    aria-describedby="passkey-autofill-hint"
                />
            </Show>
            <button
                type="button"
                class="primary"
                data-testid="passkey-sign-in"
                disabled=move || busy.get()
                on:click=sign_in_with_button
            >
                "Sign in with a passkey"
            </button>
            <Progress message=progress/>
            <Alert message=error/>
            <p class="muted">
                "New to Folio? " <a href="/signup">"Create an account"</a> ". "
                "Lost every passkey? " <a href="/recover">"Use your recovery code"</a> "."
            </p>
        </section>
    }
}
