//! The recovery code, shown once, with the user's promise that they kept it.

use leptos::prelude::*;

use crate::components::heading::StepHeading;

/// Shows a new recovery code and why it matters, and lets the user go on only once they
/// say they saved it: the app never shows it again, and nobody can recover it for them.
#[component]
pub fn RecoveryCodeReveal<F>(
    /// The code, as printed (`RecoveryCode`'s `Display`).
    code: String,
    /// Something that did not work while making the account, still worth knowing.
    warning: Option<String>,
    on_continue: F,
) -> impl IntoView
where
    F: Fn() + 'static,
{
    let saved = RwSignal::new(false);
    view! {
        <section class="card" aria-labelledby="recovery-code-title">
            <StepHeading id="recovery-code-title">"Save your recovery code"</StepHeading>
            <p>
                "If you lose every passkey and linked device, this code is the only way back "
                "into your records. Folio cannot reset it: the server never sees it, and "
                "cannot read your records without it."
            </p>
            <p>"Write it down or print it, and keep it somewhere safe. It is shown only this once."</p>
            <p class="recovery-code" data-testid="recovery-code">
                // One unbreakable span per group, so a narrow screen wraps between groups.
                {code
                    .split_inclusive('-')
                    .map(|group| view! { <span class="code-group">{group.to_owned()}</span> })
                    .collect_view()}
            </p>
            {warning.map(|warning| view! { <p class="notice">{warning}</p> })}
            <label class="check">
                <input type="checkbox" id="recovery-code-saved" bind:checked=saved/>
                "I have saved my recovery code"
            </label>
            <button
                type="button"
                class="primary"
                disabled=move || !saved.get()
                on:click=move |_| on_continue()
            >
                "Continue"
            </button>
        </section>
    }
}

/// The field where the user types their recovery code back. Forgiving input (case,
/// spaces, missing dashes) is `RecoveryCode::from_str`'s job; this field only keeps the
/// browser from "correcting" it.
#[component]
pub fn RecoveryCodeField(value: RwSignal<String>) -> impl IntoView {
    view! {
        <label for="recovery-code">"Recovery code"</label>
        <p class="hint" id="recovery-code-hint">
            "The code you saved when you made your account: 7 groups of 5 characters."
        </p>
        <input
            id="recovery-code"
            name="recovery-code"
            type="text"
            class="code-input"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck="false"
            aria-describedby="recovery-code-hint"
            bind:value=value
        />
    }
}
