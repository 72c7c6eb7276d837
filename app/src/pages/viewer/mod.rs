//! `/view`: the clinician viewer. It opens a SMART Health Link from any host (the link in
//! the fragment, or pasted), asks who is reading and the passcode, fetches and decrypts
//! the files in this browser, and shows a one-screen summary for a clinician.
//!
//! Nothing decrypted is written to storage: the record lives in this page's memory, and
//! the fragment with the key is removed from the address bar as soon as it is read.
//!
//! Stable `data-testid`s for browser tests: `viewer-entry` (link field form; field
//! `viewer-link`, button `viewer-open-link`), `viewer-access` (name/passcode form;
//! `viewer-label`, `viewer-expired`, `viewer-recipient`, `viewer-passcode`,
//! `viewer-submit`), `viewer-status`, `viewer-error`, and after opening
//! `viewer-record`, `viewer-patient`, `viewer-allergies`, `viewer-problems`,
//! `viewer-medications`, `viewer-results`, `viewer-immunizations`, `viewer-vitals`,
//! `viewer-documents`, `viewer-encounters`, `viewer-unverified`, `viewer-download`,
//! `viewer-print`.

mod access;
pub(crate) mod chart;
pub(crate) mod document;
mod fetch;
pub(crate) mod files;
mod link;
pub(crate) mod medication_alerts;
mod records;
pub(crate) mod summary;

use std::rc::Rc;

use chrono::DateTime;
use folio_shared::shl::ShareLinkPayload;
use leptos::prelude::*;
use leptos::task::spawn_local;

use access::{Access, AccessForm, LinkFacts};
use records::Opened;

use crate::dates::now;

fn facts(link: &ShareLinkPayload) -> LinkFacts {
    let host = link
        .url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(&link.url)
        .to_owned();
    LinkFacts {
        label: link.label.clone(),
        host,
        expired: link.is_expired_at(now().timestamp()),
        expires: link
            .exp
            .and_then(|exp| DateTime::from_timestamp(exp, 0))
            .map(|at| format!("{} {}", crate::dates::day(&at), crate::dates::time(&at))),
        passcode: link.flags.passcode,
    }
}

#[component]
pub fn Viewer() -> impl IntoView {
    let link: StoredValue<Option<Rc<ShareLinkPayload>>, LocalStorage> =
        StoredValue::new_local(None);
    let link_facts = RwSignal::new(None::<LinkFacts>);
    let opened = RwSignal::new(None::<Opened>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);

    let set_link = move |payload: ShareLinkPayload| {
        link_facts.set(Some(facts(&payload)));
        link.set_value(Some(Rc::new(payload)));
    };
    match link::take_from_address_bar() {
        Some(Ok(payload)) => set_link(payload),
        Some(Err(message)) => error.set(Some(message)),
        None => {}
    }

    let open = Callback::new(move |access: Access| {
        let Some(payload) = link.get_value() else {
            return;
        };
        busy.set(true);
        error.set(None);
        status.set(Some("Fetching and decrypting the record…".into()));
        spawn_local(async move {
            let outcome =
                fetch::fetch_files(&payload, &access.recipient, access.passcode.as_deref()).await;
            match outcome {
                Ok(files) => {
                    let record = records::open_files(&files, now()).await;
                    busy.set(false);
                    status.set(Some(format!(
                        "Record opened: {} file{}, {} entries.",
                        files.len(),
                        if files.len() == 1 { "" } else { "s" },
                        record.view.resource_count
                    )));
                    opened.set(Some(record));
                }
                Err(e) => {
                    busy.set(false);
                    status.set(None);
                    error.set(Some(e.to_string()));
                }
            }
        });
    });

    let start_over = move || {
        opened.set(None);
        link.set_value(None);
        link_facts.set(None);
        status.set(None);
        error.set(None);
    };

    view! {
        <div class="viewer">
            <h1 class="viewer-title">"Clinician viewer"</h1>
            <p class="progress viewer-status" role="status" data-testid="viewer-status">
                {move || status.get()}
            </p>
            <p class="alert viewer-error" role="alert" data-testid="viewer-error">
                {move || error.get()}
            </p>
            {move || {
                if let Some(record) = opened.get() {
                    let shared = link_facts.get_untracked().map(|facts| facts.shared_as());
                    view! { <Record record=record shared=shared on_close=Callback::new(move |()| start_over())/> }.into_any()
                } else if let Some(facts) = link_facts.get() {
                    view! {
                        <AccessForm facts=facts busy=busy.into() on_submit=open error=error/>
                        <p class="viewer-other">
                            <button type="button" class="link" on:click=move |_| start_over()>
                                "Open a different link"
                            </button>
                        </p>
                    }
                    .into_any()
                } else {
                    view! { <link::LinkEntry on_link=Callback::new(set_link) error=error/> }.into_any()
                }
            }}
        </div>
    }
}

#[component]
fn Record(record: Opened, shared: Option<String>, on_close: Callback<()>) -> impl IntoView {
    let download = crate::blob::blob_url(record.fhir_json.as_bytes(), "application/fhir+json");
    if let Some(url) = download.clone() {
        on_cleanup(move || crate::blob::revoke(&url));
    }
    let print = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    let unverified = (record.unverified_cards > 0).then(|| {
        view! {
            <p class="notice" data-testid="viewer-unverified">
                "Signature not verified: "
                {record.unverified_cards}
                " SMART Health Card(s) in this link could not be checked against their issuer's keys. "
                "Treat their content as reported by the patient."
            </p>
        }
    });
    let skipped = record
        .skipped
        .iter()
        .map(|s| view! { <li>{s.clone()}</li> })
        .collect_view();
    let has_skipped = !record.skipped.is_empty();
    view! {
        <div class="viewer-record" data-testid="viewer-record">
            <div class="actions viewer-actions">
                {download.map(|url| view! {
                    <a class="button" href=url download="shared-record.fhir.json" data-testid="viewer-download">
                        "Download FHIR JSON"
                    </a>
                })}
                <button type="button" on:click=print data-testid="viewer-print">"Print"</button>
                <button type="button" on:click=move |_| on_close.run(())>"Close record"</button>
            </div>
            {unverified}
            {has_skipped.then(|| view! { <ul class="notice">{skipped}</ul> })}
            <summary::Summary view=record.view.clone() shared=shared medication_alerts=record.medication_alerts.clone()/>
        </div>
    }
}
