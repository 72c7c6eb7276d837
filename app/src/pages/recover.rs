use std::str::FromStr;

use folio_shared::keys::RecoveryCode;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::ceremonies;
use crate::components::alert::{Alert, Progress};
use crate::components::heading::StepHeading;
use crate::components::new_passkey::NewPasskeyFields;
use crate::components::recovery_code::{RecoveryCodeField, RecoveryCodeReveal};
use crate::passkey;
use crate::session::Session;

/// Where recovery is. The server lets a recovery-code session do one thing, register a
/// passkey, so the steps run in this order and cannot be skipped.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Code,
    NewPasskey,
    /// Back in with a full session; a new recovery code is offered (the old one has just
    /// been typed somewhere, perhaps on a borrowed device).
    Back {
        warning: Option<String>,
    },
    NewCode(String),
}

/// `/recover`: every passkey is lost; the recovery code signs in and unlocks, then a new
/// passkey is registered.
#[component]
pub fn Recover() -> impl IntoView {
    let step = RwSignal::new(Step::Code);
    let navigate = use_navigate();
    move || match step.get() {
        Step::Code => view! { <EnterCode step=step/> }.into_any(),
        Step::NewPasskey => view! { <RegisterPasskey step=step/> }.into_any(),
        Step::Back { warning } => view! { <OfferNewCode step=step warning=warning/> }.into_any(),
        Step::NewCode(code) => {
            let navigate = navigate.clone();
            view! {
                <RecoveryCodeReveal
                    code=code
                    warning=None
                    on_continue=move || navigate("/", Default::default())
                />
            }
            .into_any()
        }
    }
}

#[component]
fn EnterCode(step: RwSignal<Step>) -> impl IntoView {
    let session = Session::expect();
    let code = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let recovery_code = match RecoveryCode::from_str(&code.get_untracked()) {
            Ok(recovery_code) => recovery_code,
            Err(typo) => {
                error.set(Some(format!("Check your recovery code: {typo}.")));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match ceremonies::recover(session, &recovery_code).await {
                Ok(()) => step.set(Step::NewPasskey),
                Err(failure) => error.set(Some(failure.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="recover-title">
            <h2 id="recover-title">"Recover your account"</h2>
            <p>
                "Lost every passkey? Your recovery code signs you in and unlocks your records. "
                "You will then register a new passkey."
            </p>
            <form on:submit=submit>
                <RecoveryCodeField value=code/>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    "Recover my account"
                </button>
            </form>
            <Alert message=error/>
        </section>
    }
}

#[component]
fn RegisterPasskey(step: RwSignal<Step>) -> impl IntoView {
    let session = Session::expect();
    let display_name = RwSignal::new(String::new());
    let passkey_name = RwSignal::new(passkey::suggested_name());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let display = display_name.get_untracked().trim().to_owned();
        let name = passkey_name.get_untracked().trim().to_owned();
        if display.is_empty() || name.is_empty() {
            error.set(Some("Fill in both names.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        progress.set(Some(
            "Follow your browser's prompt to create a passkey.".into(),
        ));
        spawn_local(async move {
            let announce = move |prompt: &str| progress.set(Some(prompt.to_owned()));
            match ceremonies::add_passkey(session, display, name, announce).await {
                Ok(added) => step.set(Step::Back {
                    warning: added.unlock_setup_failed.map(|failure| {
                        format!(
                            "Your new passkey signs you in, but could not be set up to unlock \
                             your records ({failure}). You can retry from settings."
                        )
                    }),
                }),
                Err(failure) if failure.is_silent() => {}
                Err(failure) => error.set(Some(failure.to_string())),
            }
            progress.set(None);
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="new-passkey-title">
            <StepHeading id="new-passkey-title">"Register a new passkey"</StepHeading>
            <p>
                "Your records are unlocked. To finish, register a passkey on this device: "
                "until you do, this session can do nothing else."
            </p>
            <form on:submit=submit>
                <NewPasskeyFields display_name=display_name passkey_name=passkey_name/>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    "Register a new passkey"
                </button>
            </form>
            <Progress message=progress/>
            <Alert message=error/>
        </section>
    }
}

#[component]
fn OfferNewCode(step: RwSignal<Step>, warning: Option<String>) -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);
    let make_new_code = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let announce = move |prompt: &str| progress.set(Some(prompt.to_owned()));
            match ceremonies::new_recovery_code(session, announce).await {
                Ok(code) => step.set(Step::NewCode(code.to_string())),
                Err(failure) => error.set(Some(failure.to_string())),
            }
            progress.set(None);
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="recovered-title">
            <StepHeading id="recovered-title">"You are back in"</StepHeading>
            <p>"Your new passkey is registered and your records are unlocked."</p>
            {warning.map(|warning| view! { <p class="notice">{warning}</p> })}
            <p>
                "Your recovery code still works. If anyone else may have seen it, make a new "
                "one now: the old code stops working."
            </p>
            <p class="actions">
                <button type="button" class="primary" disabled=move || busy.get() on:click=make_new_code>
                    "Make a new recovery code"
                </button>
                <button type="button" on:click=move |_| navigate("/", Default::default())>
                    "Keep my current code"
                </button>
            </p>
            <Progress message=progress/>
            <Alert message=error/>
        </section>
    }
}
