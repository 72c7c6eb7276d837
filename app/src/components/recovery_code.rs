//! The recovery code, shown once, with the user's promise that they kept it.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::blob::{blob_url, revoke};
use crate::components::heading::StepHeading;
use crate::components::navigation_hold::NavigationHold;

/// Shows a new recovery code and why it matters, with ways to keep it (copy, a text file,
/// print), and lets the user go on only once they say they saved it: the app never shows
/// it again, and nobody can recover it for them. Until then the masthead's links wait.
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
    let kept = RwSignal::new(None::<&'static str>);
    let hold = NavigationHold::expect();
    hold.hold();
    let copy = {
        let code = code.clone();
        move |_| {
            let code = code.clone();
            spawn_local(async move {
                kept.set(Some(match crate::clipboard::copy(&code).await {
                    Ok(()) => {
                        "Copied. Paste it into your password manager or a note you keep safe."
                    }
                    Err(()) => "This browser would not copy: write the code down or download it.",
                }));
            });
        }
    };
    // A file the browser saves from a `blob:` URL that lives as long as this step.
    let file = blob_url(recovery_file(&code).as_bytes(), "text/plain;charset=utf-8");
    if let Some(url) = file.clone() {
        on_cleanup(move || revoke(&url));
    }
    let print = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        <section class="card recovery-card" aria-labelledby="recovery-code-title">
            <StepHeading id="recovery-code-title">"Save your recovery code"</StepHeading>
            <p>
                "If you lose every passkey and linked device, this code is the only way back "
                "into your records. Folio cannot reset it: the server never sees it, and "
                "cannot read your records without it."
            </p>
            <p>"Copy it, download it or print it, and keep it somewhere safe. It is shown only this once."</p>
            <p class="recovery-code" data-testid="recovery-code">
                // One unbreakable span per group, so a narrow screen wraps between groups.
                {code
                    .split_inclusive('-')
                    .map(|group| view! { <span class="code-group">{group.to_owned()}</span> })
                    .collect_view()}
            </p>
            <div class="actions recovery-actions">
                <button type="button" data-testid="recovery-code-copy" on:click=copy>"Copy"</button>
                {file.map(|url| view! {
                    <a class="button" href=url download=RECOVERY_FILE_NAME data-testid="recovery-code-download">
                        "Download"
                    </a>
                })}
                <button type="button" data-testid="recovery-code-print" on:click=print>"Print"</button>
            </div>
            <p role="status" data-testid="recovery-code-kept">{move || kept.get()}</p>
            {warning.map(|warning| view! { <p class="notice">{warning}</p> })}
            <label class="check">
                <input type="checkbox" id="recovery-code-saved" bind:checked=saved/>
                "I have saved my recovery code"
            </label>
            <button
                type="button"
                class="primary"
                data-testid="recovery-code-continue"
                disabled=move || !saved.get()
                on:click=move |_| {
                    hold.release();
                    on_continue();
                }
            >
                "Continue"
            </button>
        </section>
    }
}

const RECOVERY_FILE_NAME: &str = "folio-recovery-code.txt";

/// The downloaded file: the code and what it is for, so whoever finds the file later (the
/// patient, years on) knows what to do with it.
fn recovery_file(code: &str) -> String {
    format!(
        "Folio recovery code\n\n{code}\n\n\
         This code lets you back into your Folio records if you lose every passkey and \
         linked device. Keep it somewhere only you can reach: anyone with it and your \
         account can read your records. Folio cannot show it again or reset it.\n"
    )
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
