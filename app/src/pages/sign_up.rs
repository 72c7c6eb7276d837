use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::ceremonies;
use crate::components::alert::{Alert, Progress};
use crate::components::recovery_code::RecoveryCodeReveal;
use crate::session::Session;

/// A new account's recovery code, as printed, and what went wrong after the account was
/// made.
type Saved = (String, Option<String>);

/// `/signup`: a name, a passkey, and the recovery code.
#[component]
pub fn SignUp() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<Saved>);

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let display_name = name.get_untracked().trim().to_owned();
        if display_name.is_empty() {
            error.set(Some("Type your name: your authenticator shows it.".into()));
            return;
        }
        error.set(None);
        busy.set(true);
        progress.set(Some(
            "Follow your browser's prompt to create a passkey; Folio then sets up your \
             encrypted vault."
                .into(),
        ));
        spawn_local(async move {
            match ceremonies::sign_up(session, display_name).await {
                Ok(signed_up) => saved.set(Some((
                    signed_up.recovery_code.to_string(),
                    signed_up.warning,
                ))),
                Err(failure) if failure.is_silent() => {}
                Err(failure) => error.set(Some(failure.to_string())),
            }
            progress.set(None);
            busy.set(false);
        });
    };

    move || match saved.get() {
        Some((code, warning)) => {
            let navigate = navigate.clone();
            view! {
                <RecoveryCodeReveal
                    code=code
                    warning=warning
                    on_continue=move || navigate("/", Default::default())
                />
            }
            .into_any()
        }
        None => view! {
            <section class="card" aria-labelledby="signup-title">
                <h2 id="signup-title">"Create your Folio account"</h2>
                <p>
                    "You sign in with a passkey, kept by your phone, computer or security key. "
                    "Where your authenticator supports it, the same passkey also unlocks your "
                    "encrypted records."
                </p>
                <form on:submit=submit>
                    <label for="display-name">"Your name"</label>
                    <p class="hint" id="display-name-hint">
                        "Your authenticator shows it when you choose a passkey. "
                        "Folio's server does not keep it."
                    </p>
                    <input
                        id="display-name"
                        name="display-name"
                        type="text"
                        autocomplete="name"
                        required
                        aria-describedby="display-name-hint"
                        bind:value=name
                    />
                    <button type="submit" class="primary" disabled=move || busy.get()>
                        "Create passkey"
                    </button>
                </form>
                <Progress message=progress/>
                <Alert message=error/>
                <p class="muted">
                    "Already have an account? " <a href="/signin">"Sign in"</a> ". "
                    "Lost your passkeys? " <a href="/recover">"Use your recovery code"</a> "."
                </p>
            </section>
        }
        .into_any(),
    }
}
