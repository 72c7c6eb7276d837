//! Decrypted content handed to the browser as `blob:` URLs (documents, the FHIR download),
//! revoked when the page goes. `img-src` and `frame-src` allow `blob:` in Folio's CSP.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use folio_shared::clinical_view::Document;
use leptos::prelude::*;

/// A `blob:` URL for these bytes, or `None` if the browser refused.
pub fn blob_url(bytes: &[u8], content_type: &str) -> Option<String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(content_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

pub fn revoke(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// A document's embedded content: an image shown in place, a PDF to open or download.
#[component]
pub fn BlobLink(document: Document) -> impl IntoView {
    let content_type = document.content_type.clone().unwrap_or_default();
    let bytes = document.data.as_deref().and_then(|data| {
        STANDARD
            .decode(data.split_whitespace().collect::<String>())
            .ok()
    });
    let Some(url) = bytes.and_then(|b| blob_url(&b, &content_type)) else {
        return view! { <p class="muted">"The content of this document could not be decoded."</p> }
            .into_any();
    };
    let revoke_url = url.clone();
    on_cleanup(move || revoke(&revoke_url));
    let extension = if content_type.starts_with("application/pdf") {
        "pdf"
    } else {
        content_type.rsplit('/').next().unwrap_or("bin")
    };
    let file_name = format!("document.{extension}");
    if content_type.starts_with("image/") {
        view! {
            <figure class="viewer-figure">
                <img class="viewer-image" src=url.clone() alt=document.title.clone()/>
                <figcaption><a href=url download=file_name>"Download image"</a></figcaption>
            </figure>
        }
        .into_any()
    } else {
        view! {
            <p class="actions">
                <a href=url.clone() target="_blank" rel="noopener">"Open PDF"</a>
                <a href=url download=file_name>"Download PDF"</a>
            </p>
        }
        .into_any()
    }
}
