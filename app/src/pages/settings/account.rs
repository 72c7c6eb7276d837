use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::ceremonies;
use crate::components::alert::{Alert, Progress};
use crate::session::Session;

/// Leaving: signing out of this browser, or deleting the account and every record.
#[component]
pub fn Account() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let dialog = NodeRef::<html::Dialog>::new();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);

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
    let delete = move |_| {
        let navigate = navigate.clone();
        busy.set(true);
        error.set(None);
        progress.set(Some("Confirm with your passkey.".into()));
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
