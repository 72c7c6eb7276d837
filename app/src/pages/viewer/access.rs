//! The access form: who is opening the record (it goes in the patient's access log as
//! `recipient`) and the passcode when the link has one.

use leptos::prelude::*;

/// What the link says about itself, shown before anything is fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkFacts {
    pub label: Option<String>,
    pub host: String,
    pub expired: bool,
    pub expires: Option<String>,
    pub passcode: bool,
}

impl LinkFacts {
    /// How the record was shared, for the banner: "Shared as “For the pharmacist”, until
    /// 14 Dec 2026 10:00".
    pub fn shared_as(&self) -> String {
        let label = match &self.label {
            Some(label) => format!("Shared as “{label}”"),
            None => "Shared with you".to_owned(),
        };
        match &self.expires {
            Some(until) => format!("{label}, until {until}"),
            None => format!("{label}, with no end date"),
        }
    }
}

/// The clinician's name and, when needed, the passcode.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub recipient: String,
    pub passcode: Option<String>,
}

#[component]
pub fn AccessForm(
    facts: LinkFacts,
    busy: Signal<bool>,
    on_submit: Callback<Access>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let passcode = RwSignal::new(String::new());
    let needs_passcode = facts.passcode;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let recipient = name.get_untracked().trim().to_owned();
        if recipient.is_empty() {
            error.set(Some(
                "Enter your name: it is recorded in the patient's access log.".into(),
            ));
            return;
        }
        let code = passcode.get_untracked();
        if needs_passcode && code.is_empty() {
            error.set(Some("Enter the passcode the patient gave you.".into()));
            return;
        }
        error.set(None);
        on_submit.run(Access {
            recipient,
            passcode: needs_passcode.then_some(code),
        });
    };
    let title = facts
        .label
        .clone()
        .unwrap_or_else(|| "Shared health record".into());
    let expiry = if facts.expired {
        Some(
            view! {
                <p class="notice viewer-expired" data-testid="viewer-expired">
                    "This link's expiry date has passed"
                    {facts.expires.clone().map(|e| format!(" ({e})"))}
                    ". It will probably not open, but you can still try."
                </p>
            }
            .into_any(),
        )
    } else {
        facts
            .expires
            .clone()
            .map(|e| view! { <p class="muted">"Link valid until " {e} "."</p> }.into_any())
    };
    view! {
        <section class="card" aria-labelledby="viewer-access-title" data-testid="viewer-access">
            <h2 id="viewer-access-title" data-testid="viewer-label">{title}</h2>
            <p class="muted">"Held by " {facts.host.clone()}</p>
            {expiry}
            <form class="viewer-form" on:submit=submit>
                <label for="viewer-recipient">"Your name"</label>
                <p class="hint" id="viewer-recipient-hint">
                    "Required. The patient sees it in their record's access log."
                </p>
                <input
                    id="viewer-recipient"
                    name="recipient"
                    type="text"
                    autocomplete="name"
                    required
                    aria-describedby="viewer-recipient-hint"
                    data-testid="viewer-recipient"
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <Show when=move || needs_passcode>
                    <label for="viewer-passcode">"Passcode"</label>
                    <p class="hint" id="viewer-passcode-hint">"The patient gave it to you with the link."</p>
                    <input
                        id="viewer-passcode"
                        name="passcode"
                        type="password"
                        autocomplete="off"
                        required
                        aria-describedby="viewer-passcode-hint"
                        data-testid="viewer-passcode"
                        on:input=move |ev| passcode.set(event_target_value(&ev))
                    />
                </Show>
                <button
                    type="submit"
                    class="primary"
                    data-testid="viewer-submit"
                    disabled=move || busy.get()
                >
                    "Open the record"
                </button>
            </form>
        </section>
    }
}
