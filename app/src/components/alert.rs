//! Messages that assistive technology announces as they appear.

use leptos::prelude::*;

/// An error the user must see. The element stays in the page while empty: some screen
/// readers announce only changes to a live region that already existed.
#[component]
pub fn Alert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! { <p class="alert" role="alert">{move || message.get()}</p> }
}

/// Progress of a step that takes a while ("Waiting for your passkey…"), announced politely.
#[component]
pub fn Progress(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! { <p class="progress" role="status">{move || message.get()}</p> }
}
