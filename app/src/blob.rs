//! Bytes the page made or decrypted, handed to the browser as `blob:` URLs (a document,
//! an export, the recovery code as a file); whoever makes one revokes it when its page goes.
//! `img-src` and `frame-src` allow `blob:` in Folio's CSP.

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
