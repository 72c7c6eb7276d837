//! Getting the link: from the address bar's fragment (`/view#shlink:/…`), which is then
//! cleared so the key does not stay in the history, or pasted into a field when the page
//! was opened without one. Links of any SHL host are accepted.

use folio_shared::shl::ShareLinkPayload;
use leptos::prelude::*;

/// The link in the address bar's fragment, if any; the fragment is removed either way,
/// with `history.replaceState`, so the key is not kept in the browser's history.
pub fn take_from_address_bar() -> Option<Result<ShareLinkPayload, String>> {
    let window = web_sys::window()?;
    let location = window.location();
    let hash = location.hash().ok()?;
    if hash.len() <= 1 {
        return None;
    }
    let clean = format!(
        "{}{}",
        location.pathname().unwrap_or_else(|_| "/view".into()),
        location.search().unwrap_or_default()
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
    }
    Some(parse(&hash))
}

/// Reads a pasted or scanned link, with an error a clinician can act on.
pub fn parse(text: &str) -> Result<ShareLinkPayload, String> {
    ShareLinkPayload::parse(text).map_err(|e| {
        format!("This is not a SMART Health Link this viewer can open ({e}). Paste the whole link, starting with shlink:/ or https://.")
    })
}

/// The field for a link when the page was opened without one.
#[component]
pub fn LinkEntry(
    on_link: Callback<ShareLinkPayload>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse(&text.get_untracked()) {
            Ok(link) => {
                // The key is in the text: do not keep it in the field.
                text.set(String::new());
                error.set(None);
                on_link.run(link);
            }
            Err(message) => error.set(Some(message)),
        }
    };
    view! {
        <section class="card" aria-labelledby="viewer-entry-title" data-testid="viewer-entry">
            <h2 id="viewer-entry-title">"Open a shared health record"</h2>
            <p>
                "Scan the patient's QR code with your camera, or paste the link they sent you. "
                "The record is decrypted in this browser only."
            </p>
            <form class="viewer-form" on:submit=submit>
                <label for="viewer-link">"SMART Health Link"</label>
                <p class="hint" id="viewer-link-hint">"Starts with shlink:/ or https://"</p>
                <input
                    id="viewer-link"
                    name="link"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    required
                    aria-describedby="viewer-link-hint"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <button type="submit" class="primary" data-testid="viewer-open-link">"Open link"</button>
            </form>
        </section>
    }
}
