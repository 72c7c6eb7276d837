//! The link just made: the URL to hand over, a copy button and a QR code to show.
//!
//! The QR code is drawn here because the link carries its key: no server may see it.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::components::qr::qr_data_uri;
use crate::dates;

#[derive(Debug, Clone, PartialEq)]
pub struct MadeLink {
    pub link: String,
    pub label: String,
    pub expires_at: DateTime<Utc>,
    pub has_passcode: bool,
}

#[component]
pub fn LinkCard(made: MadeLink) -> impl IntoView {
    let copied = RwSignal::new(None::<&'static str>);
    let link = made.link.clone();
    let copy = move |_| {
        let link = link.clone();
        leptos::task::spawn_local(async move {
            copied.set(Some(match crate::clipboard::copy(&link).await {
                Ok(_) => "Copied.",
                Err(_) => "This browser would not copy: select the link and copy it.",
            }));
        });
    };
    let qr = qr_data_uri(&made.link);
    let until = format!(
        "Works until {} {}.",
        dates::day(&made.expires_at),
        dates::time(&made.expires_at)
    );
    view! {
        <section class="card" aria-labelledby="share-made-title" data-testid="share-made">
            <h2 id="share-made-title" tabindex="-1">{format!("Link ready: {}", made.label)}</h2>
            <p>{until}{made.has_passcode.then_some(" Tell the clinician the passcode separately: it is not in the link.")}</p>
            <label for="share-link">"The link"</label>
            <input id="share-link" type="text" readonly data-testid="share-link" prop:value=made.link.clone()
                on:focus=|ev| {
                    use wasm_bindgen::JsCast as _;
                    if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                        input.select();
                    }
                }/>
            <p class="actions">
                <button type="button" class="primary" data-testid="share-copy" on:click=copy>"Copy the link"</button>
            </p>
            <p role="status">{move || copied.get()}</p>
            {qr.map(|src| view! {
                <img class="qr share-qr" data-testid="share-qr" src=src
                    alt="QR code of the link, for the clinician to scan"/>
            })}
        </section>
    }
}
