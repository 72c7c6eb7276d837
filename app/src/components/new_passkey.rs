//! The two names a new passkey needs.

use leptos::prelude::*;

/// Fields for registering a passkey on an existing account: the name the authenticator
/// shows (the server does not keep it, so it is asked again), and the passkey's own name
/// for the settings list.
#[component]
pub fn NewPasskeyFields(
    display_name: RwSignal<String>,
    passkey_name: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label for="passkey-name">"Name for this passkey"</label>
        <p class="hint" id="passkey-name-hint">"So you can tell it apart in settings, e.g. “Work laptop”."</p>
        <input
            id="passkey-name"
            name="passkey-name"
            type="text"
            autocomplete="off"
            required
            aria-describedby="passkey-name-hint"
            bind:value=passkey_name
        />
        <label for="display-name">"Your name"</label>
        <p class="hint" id="display-name-hint">
            "Your authenticator shows it when you choose a passkey. Folio's server does not keep it."
        </p>
        <input
            id="display-name"
            name="display-name"
            type="text"
            autocomplete="name"
            required
            aria-describedby="display-name-hint"
            bind:value=display_name
        />
    }
}
