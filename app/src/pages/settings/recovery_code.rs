use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::ceremonies;
use crate::components::alert::{Alert, Progress};
use crate::components::recovery_code::RecoveryCodeReveal;
use crate::session::Session;

/// Where replacing the recovery code is.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Idle,
    Confirming,
    Showing(String),
}

/// Replaces the recovery code, for when the old one is lost or may have been seen.
#[component]
pub fn RecoveryCodeSettings() -> impl IntoView {
    let session = Session::expect();
    let step = RwSignal::new(Step::Idle);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);
    let make_new_code = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let announce = move |prompt: &str| progress.set(Some(prompt.to_owned()));
            match ceremonies::new_recovery_code(session, announce).await {
                Ok(code) => step.set(Step::Showing(code.to_string())),
                Err(failure) => {
                    error.set(Some(failure.to_string()));
                    step.set(Step::Idle);
                }
            }
            progress.set(None);
            busy.set(false);
        });
    };
    move || {
        match step.get() {
        Step::Showing(code) => view! {
            <RecoveryCodeReveal code=code warning=None on_continue=move || step.set(Step::Idle)/>
        }
        .into_any(),
        Step::Idle | Step::Confirming => view! {
            <section class="card" aria-labelledby="recovery-title">
                <h2 id="recovery-title">"Recovery code"</h2>
                <p>
                    "Your recovery code signs you in and unlocks your records if you lose every "
                    "passkey and linked device. Make a new one if you lost it or someone may "
                    "have seen it."
                </p>
                {move || if step.get() == Step::Confirming {
                    view! {
                        <div class="confirm" role="group" aria-labelledby="recovery-confirm">
                            <p id="recovery-confirm">
                                "The code you have now will stop working at once. Make a new one? \
                                 Your passkey may ask you to confirm it's you."
                            </p>
                            <p class="actions">
                                <button type="button" class="primary" disabled=move || busy.get() on:click=make_new_code>
                                    "Yes, make a new code"
                                </button>
                                <button type="button" on:click=move |_| step.set(Step::Idle)>"Cancel"</button>
                            </p>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" on:click=move |_| step.set(Step::Confirming)>
                            "Make a new recovery code"
                        </button>
                    }.into_any()
                }}
                <Progress message=progress/>
                <Alert message=error/>
            </section>
        }
        .into_any(),
    }
    }
}
