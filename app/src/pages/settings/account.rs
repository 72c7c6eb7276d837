use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::ceremonies;
use crate::components::alert::{Alert, Progress};
use crate::session::Session;

/// Leaving: signing out of this browser or everywhere, or deleting the account and every
/// record.
#[component]
pub fn Account() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let dialog = NodeRef::<html::Dialog>::new();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);
    let confirming_sign_out = RwSignal::new(false);
    let sign_out_error = RwSignal::new(None::<String>);

    let sign_out = {
        let navigate = navigate.clone();
        move |_| {
            let navigate = navigate.clone();
            spawn_local(async move {
                ceremonies::sign_out(session).await;
                navigate("/", Default::default());
            });
        }
    };
    let open_dialog = move |_| {
        error.set(None);
        if let Some(dialog) = dialog.get() {
            let _ = dialog.show_modal();
        }
    };
    let close_dialog = move |_| {
        if let Some(dialog) = dialog.get() {
            dialog.close();
        }
    };
    let sign_out_everywhere = {
        let navigate = navigate.clone();
        move |_| {
            let navigate = navigate.clone();
            busy.set(true);
            sign_out_error.set(None);
            spawn_local(async move {
                match ceremonies::sign_out_everywhere(session).await {
                    Ok(_) => navigate("/", Default::default()),
                    Err(failure) => sign_out_error.set(Some(failure.to_string())),
                }
                busy.set(false);
            });
        }
    };
    let delete = move |_| {
        let navigate = navigate.clone();
        busy.set(true);
        error.set(None);
        progress.set(Some(ceremonies::CONFIRM_PROMPT.into()));
        spawn_local(async move {
            match ceremonies::delete_account(session).await {
                // This page is gone with the account (and its dialog with it).
                Ok(()) => navigate("/", Default::default()),
                Err(failure) if failure.is_silent() => {}
                Err(failure) => error.set(Some(failure.to_string())),
            }
            progress.set(None);
            busy.set(false);
        });
    };

    view! {
        <section class="card" aria-labelledby="account-title">
            <h2 id="account-title">"Account"</h2>
            <p class="actions">
                <button type="button" on:click=sign_out>"Sign out"</button>
            </p>
            <p>
                "If a device or browser you used may be in someone else's hands, sign out "
                "everywhere: every browser and linked device is signed out at once, this one "
                "too. Your passkeys and recovery code still sign you back in."
            </p>
            <p class="actions">
                {move || if confirming_sign_out.get() {
                    view! {
                        <span role="group" aria-label="Confirm signing out everywhere">
                            <span>"Sign out every browser and device, this one included? "</span>
                            <button type="button" class="danger" data-testid="sign-out-everywhere-confirm"
                                disabled=move || busy.get() on:click=sign_out_everywhere.clone()>
                                "Yes, sign out everywhere"
                            </button>
                            <button type="button" on:click=move |_| confirming_sign_out.set(false)>"Cancel"</button>
                        </span>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" data-testid="sign-out-everywhere"
                            on:click=move |_| confirming_sign_out.set(true)>
                            "Sign out everywhere…"
                        </button>
                    }.into_any()
                }}
            </p>
            <Alert message=sign_out_error/>
            <p>
                "Deleting your account removes it, its passkeys and linked devices, and your "
                "vault with every record in it from Folio's server. It cannot be undone."
            </p>
            <p class="actions">
                <button type="button" class="danger" on:click=open_dialog>"Delete my account…"</button>
            </p>
            <dialog node_ref=dialog aria-labelledby="delete-title" class="dialog">
                <h2 id="delete-title">"Delete everything?"</h2>
                <p>
                    "Your records will be gone for good, on every device. "
                    "Confirm with your passkey."
                </p>
                <p class="actions">
                    <button type="button" class="danger" disabled=move || busy.get() on:click=delete>
                        "Delete with my passkey"
                    </button>
                    <button type="button" autofocus on:click=close_dialog>"Cancel"</button>
                </p>
                <Progress message=progress/>
                <Alert message=error/>
            </dialog>
        </section>
    }
}
