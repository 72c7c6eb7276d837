//! Export: the whole record as a FHIR Bundle or NDJSON, made here from the decrypted record
//! (so it works offline), handed to the browser as a `blob:` download; and a printable
//! summary.

use folio_shared::export::{to_bundle_text, to_ndjson};
use leptos::prelude::*;

use crate::blob;
use crate::dates;
use crate::record::OpenRecord;

/// A made export: what to call it, and where the browser finds it.
#[derive(Debug, Clone, PartialEq)]
struct Made {
    name: &'static str,
    url: String,
    bytes: usize,
}

#[component]
pub fn Export(record: StoredValue<OpenRecord>) -> impl IntoView {
    let made = RwSignal::new(Vec::<Made>::new());
    let error = RwSignal::new(None::<String>);
    let make = move |_| {
        // The old links' blobs go before new ones are made.
        for old in made.get_untracked() {
            blob::revoke(&old.url);
        }
        let (bundle, ndjson) = record.with_value(|r| {
            (
                to_bundle_text(&r.contents, r.id(), dates::now()),
                to_ndjson(&r.contents),
            )
        });
        let links = [
            ("folio-record.fhir.json", bundle, "application/fhir+json"),
            ("folio-record.ndjson", ndjson, "application/fhir+ndjson"),
        ]
        .into_iter()
        .filter_map(|(name, text, content_type)| {
            blob::blob_url(text.as_bytes(), content_type).map(|url| Made {
                name,
                url,
                bytes: text.len(),
            })
        })
        .collect::<Vec<_>>();
        if links.len() < 2 {
            error.set(Some(
                "This browser refused to make the download. Try again, or another browser.".into(),
            ));
        } else {
            error.set(None);
        }
        made.set(links);
    };
    on_cleanup(move || {
        for old in made.get_untracked() {
            blob::revoke(&old.url);
        }
    });
    let print = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        <section class="card" aria-labelledby="export-title">
            <h2 id="export-title">"Export"</h2>
            <p>"Your whole record, made on this device, to keep or to take to another app. The files are not encrypted: store them with care."</p>
            <p class="actions">
                <button type="button" class="button" data-testid="export-make" on:click=make>"Prepare the export"</button>
                <button type="button" class="button" data-testid="export-print" on:click=print>"Print the summary"</button>
            </p>
            <ul>
                {move || made.get().into_iter().map(|m| view! {
                    <li>
                        <a href=m.url.clone() download=m.name data-testid="export-link">{m.name}</a>
                        {format!(" ({})", size(m.bytes))}
                    </li>
                }).collect_view()}
            </ul>
            {move || error.get().map(|e| view! { <p class="status-bad" role="alert">{e}</p> })}
        </section>
    }
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{} KB", b >> 10),
        b => format!("{b} bytes"),
    }
}
