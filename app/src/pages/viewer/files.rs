//! A shared record's documents, shown from the bundle or fetched and opened, as `blob:`
//! URLs revoked when the page goes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use folio_shared::clinical_view::Document;
use folio_shared::vault::{AttachmentError, AttachmentRef};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::document::Content;
use crate::api::ApiError;
use crate::offline;
use crate::record::OpenRecord;
use crate::session::Session;

/// A document whose content the record holds inline (base64 in the resource): an image is
/// shown at once; a note, a PDF or a clinical document when asked for, since reading a long
/// document for every line of a list would slow the page.
#[component]
pub fn BlobLink(document: Document) -> impl IntoView {
    let content_type = document.content_type.clone().unwrap_or_default();
    let shown_at_once = content_type.to_ascii_lowercase().starts_with("image/");
    let asked = RwSignal::new(shown_at_once);
    let document = StoredValue::new(document);
    move || {
        if !asked.get() {
            return view! {
                <button type="button" class="button" data-testid="document-show"
                    on:click=move |_| asked.set(true)>"Show the document"</button>
            }
            .into_any();
        }
        let bytes = document.with_value(|d| {
            d.data.as_deref().and_then(|data| {
                STANDARD
                    .decode(data.split_whitespace().collect::<String>())
                    .ok()
            })
        });
        match bytes {
            Some(bytes) => view! {
                <Content bytes=bytes content_type=content_type.clone()
                    title=document.with_value(|d| d.title.clone())/>
            }
            .into_any(),
            None => {
                view! { <p class="muted">"The content of this document could not be decoded."</p> }
                    .into_any()
            }
        }
    }
}

/// A document kept as an encrypted attachment of the record open in this page
/// (`folio-attachment:<id>`): fetched and decrypted here when the patient asks for it.
#[component]
pub fn AttachmentLink(
    record: StoredValue<OpenRecord>,
    attachment: String,
    content_type: String,
    title: String,
) -> impl IntoView {
    let opened = RwSignal::new(None::<Result<Vec<u8>, String>>);
    let busy = RwSignal::new(false);
    let attachment = StoredValue::new(attachment);
    let session = Session::expect();
    let open = move |_| {
        let reference = attachment.with_value(|name| AttachmentRef::from_url_name(name));
        busy.set(true);
        spawn_local(async move {
            let vault = record.with_value(|r| r.id());
            let result = match offline::attachment(session, vault, reference.blob).await {
                // Checked against the id the record names before anything is decrypted.
                Ok(sealed) => record.with_value(|r| {
                    r.keyring
                        .open_referenced_attachment(&reference, &sealed)
                        .map(|(plaintext, _binding)| plaintext)
                        .map_err(|e| match e {
                            AttachmentError::Altered => {
                                "This document was altered after it was saved.".to_owned()
                            }
                            AttachmentError::Unreadable(e) => {
                                format!("The document did not decrypt: {e}.")
                            }
                        })
                }),
                Err(ApiError::Offline) => Err("Folio's server cannot be reached, and this \
                    document is not kept on this device yet: it opens once you are online."
                    .into()),
                Err(e) => Err(format!("The document could not be fetched: {e}.")),
            };
            opened.set(Some(result));
            busy.set(false);
        });
    };
    let title = StoredValue::new(title);
    let content_type = StoredValue::new(content_type);
    move || match opened.get() {
        None => view! {
            <button type="button" class="button" data-testid="document-open"
                disabled=move || busy.get() on:click=open>
                {move || if busy.get() { "Decrypting…" } else { "Open the document" }}
            </button>
        }
        .into_any(),
        Some(Ok(bytes)) => view! {
            <Content bytes=bytes content_type=content_type.get_value() title=title.get_value()/>
        }
        .into_any(),
        Some(Err(why)) => view! { <p class="status-bad" role="alert">{why}</p> }.into_any(),
    }
}
