//! Copying text for the user (a share link, the recovery code).

use wasm_bindgen_futures::JsFuture;

/// Whether the browser copied `text`: it refuses outside a secure page or without a
/// user's gesture, and the caller says what to do instead.
pub async fn copy(text: &str) -> Result<(), ()> {
    let clipboard = web_sys::window().ok_or(())?.navigator().clipboard();
    JsFuture::from(clipboard.write_text(text))
        .await
        .map(|_| ())
        .map_err(|_| ())
}
