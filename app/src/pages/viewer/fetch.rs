//! The SMART Health Links retrieval protocol, spoken to whichever host the link names:
//! the manifest `POST` (or, for a `U` link, the direct `GET ?recipient=`), then each
//! `location` file, each decrypted here with the link's key.
//!
//! Requests go with `mode: cors` and without credentials: the host may be anyone's, and
//! nothing of this browser's Folio session may go to it.

use folio_shared::shl::manifest::{FileSource, sniff_content_type};
use folio_shared::shl::{Manifest, ManifestRequest, PasscodeRejected, ShareLinkPayload, decrypt};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why the files could not be fetched, in words a clinician can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// 401: the passcode was wrong.
    WrongPasscode { remaining_attempts: u32 },
    /// 404: expired, revoked, used up or never existed; the host does not say which.
    NotAvailable,
    /// 429: too many attempts for now.
    TooManyAttempts { retry_after_seconds: Option<u64> },
    /// The host could not be reached (offline, DNS, CORS refused).
    Network,
    /// Any other HTTP status.
    Status(u16),
    /// The host answered, but not with what the protocol says, or a file did not decrypt.
    Invalid(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::WrongPasscode { remaining_attempts: 0 } => f.write_str(
                "Wrong passcode. No attempts are left: the link is now disabled. Ask the patient for a new link.",
            ),
            FetchError::WrongPasscode { remaining_attempts: 1 } => {
                f.write_str("Wrong passcode, 1 attempt left.")
            }
            FetchError::WrongPasscode { remaining_attempts } => {
                write!(f, "Wrong passcode, {remaining_attempts} attempts left.")
            }
            FetchError::NotAvailable => f.write_str(
                "This link can no longer be opened. It may have expired, been revoked by the patient, been used up, or never existed; for privacy the server does not say which. Please ask the patient to share a new link.",
            ),
            FetchError::TooManyAttempts {
                retry_after_seconds: Some(seconds),
            } => write!(f, "Too many attempts, try again in {seconds} s."),
            FetchError::TooManyAttempts { .. } => {
                f.write_str("Too many attempts, try again in a little while.")
            }
            FetchError::Network => f.write_str(
                "The server that holds this record could not be reached. Check the connection and try again.",
            ),
            FetchError::Status(status) => write!(
                f,
                "The server that holds this record answered with an error (HTTP {status}). Try again later."
            ),
            FetchError::Invalid(what) => write!(
                f,
                "The shared record could not be read ({what}). Ask the patient to share it again."
            ),
        }
    }
}

/// One decrypted file of the link.
pub struct File {
    /// The media type: the JWE's `cty`, else the manifest's, else sniffed from the JSON.
    pub content_type: String,
    pub plaintext: Vec<u8>,
}

/// Fetches and decrypts every file of the link, as `recipient` (who goes in the
/// patient's access log) with `passcode` when the link has one.
pub async fn fetch_files(
    link: &ShareLinkPayload,
    recipient: &str,
    passcode: Option<&str>,
) -> Result<Vec<File>, FetchError> {
    if link.flags.direct_file {
        let separator = if link.url.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}{separator}recipient={}",
            link.url,
            String::from(js_sys::encode_uri_component(recipient))
        );
        let jwe = get_text(&url).await?;
        return Ok(vec![open(link, &jwe, None)?]);
    }
    let request = ManifestRequest {
        recipient: recipient.to_owned(),
        passcode: passcode.map(str::to_owned),
        embedded_length_max: None,
    };
    let body = serde_json::to_string(&request).map_err(|e| FetchError::Invalid(e.to_string()))?;
    let (status, headers, text) = send("POST", &link.url, Some(&body)).await?;
    match status {
        200..=299 => {}
        401 => {
            let rejected: PasscodeRejected = serde_json::from_str(&text)
                .map_err(|_| FetchError::Invalid("a 401 without remainingAttempts".into()))?;
            return Err(FetchError::WrongPasscode {
                remaining_attempts: rejected.remaining_attempts,
            });
        }
        404 => return Err(FetchError::NotAvailable),
        429 => {
            return Err(FetchError::TooManyAttempts {
                retry_after_seconds: headers
                    .get("retry-after")
                    .ok()
                    .flatten()
                    .and_then(|v| v.trim().parse().ok()),
            });
        }
        other => return Err(FetchError::Status(other)),
    }
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| FetchError::Invalid(format!("manifest: {e}")))?;
    let mut files = Vec::new();
    for file in &manifest.files {
        let jwe = match file
            .source()
            .map_err(|e| FetchError::Invalid(e.to_string()))?
        {
            FileSource::Embedded(jwe) => jwe.to_owned(),
            FileSource::Location(url) => get_text(url).await?,
        };
        files.push(open(link, &jwe, Some(&file.content_type))?);
    }
    Ok(files)
}

/// Decrypts one JWE and settles its content type.
fn open(link: &ShareLinkPayload, jwe: &str, listed: Option<&str>) -> Result<File, FetchError> {
    let decrypted = decrypt(&link.key, jwe.trim())
        .map_err(|e| FetchError::Invalid(format!("decryption: {e}")))?;
    let content_type = decrypted
        .content_type
        .clone()
        .or_else(|| listed.map(str::to_owned))
        .or_else(|| {
            serde_json::from_slice(&decrypted.plaintext)
                .ok()
                .and_then(|json| sniff_content_type(&json))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    Ok(File {
        content_type,
        plaintext: decrypted.plaintext,
    })
}

/// A GET whose body is a JWE; statuses mean what they mean for the manifest.
async fn get_text(url: &str) -> Result<String, FetchError> {
    let (status, _, text) = send("GET", url, None).await?;
    match status {
        200..=299 => Ok(text),
        404 => Err(FetchError::NotAvailable),
        429 => Err(FetchError::TooManyAttempts {
            retry_after_seconds: None,
        }),
        other => Err(FetchError::Status(other)),
    }
}

async fn send(
    method: &str,
    url: &str,
    body: Option<&str>,
) -> Result<(u16, web_sys::Headers, String), FetchError> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_cache(web_sys::RequestCache::NoStore);
    let headers = web_sys::Headers::new().map_err(|_| FetchError::Network)?;
    if let Some(body) = body {
        headers
            .set("content-type", "application/json")
            .map_err(|_| FetchError::Network)?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let window = web_sys::window().ok_or(FetchError::Network)?;
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| FetchError::Network)?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| FetchError::Network)?;
    let text = JsFuture::from(response.text().map_err(|_| FetchError::Network)?)
        .await
        .map_err(|_| FetchError::Network)?
        .as_string()
        .unwrap_or_default();
    Ok((response.status(), response.headers(), text))
}
