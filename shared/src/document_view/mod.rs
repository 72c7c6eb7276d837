//! What a document in the record shows when opened: its text, its PDF or image, or a
//! C-CDA document read from its narrative.
//!
//! Documents come from providers and from files the patient picked, so their content is
//! untrusted. Nothing here hands markup to the browser: a C-CDA narrative is read into a
//! small tree of [`Block`]s and [`Inline`]s holding plain text, which the app turns into
//! elements one at a time (text is always set as text). Scripts, styles, links, images and
//! every attribute of the source are dropped on the way.

mod narrative;

pub use narrative::{Block, Cell, ClinicalDocument, Inline, NarrativeError, NarrativeSection};

/// How a document's content can be shown in the page.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentBody {
    /// Plain text, shown with its line breaks.
    Text(String),
    /// A PDF, shown in a frame from a `blob:` URL.
    Pdf,
    /// An image, shown in place.
    Image,
    /// A C-CDA document, shown from its narrative.
    Clinical(ClinicalDocument),
    /// Content the viewer cannot show (an unknown type, or a document that could not be
    /// read); it can still be downloaded.
    Unsupported(String),
}

/// Reads `bytes` of content type `content_type` into what the page shows.
pub fn read_document(content_type: &str, bytes: &[u8]) -> DocumentBody {
    let kind = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match kind.as_str() {
        "application/pdf" => DocumentBody::Pdf,
        k if k.starts_with("image/") => DocumentBody::Image,
        "text/plain" | "text/markdown" | "text/rtf" => {
            DocumentBody::Text(String::from_utf8_lossy(bytes).into_owned())
        }
        "application/xml" | "text/xml" | "application/hl7-cda+xml" | "application/cda+xml" => {
            match ClinicalDocument::read(bytes) {
                Ok(document) => DocumentBody::Clinical(document),
                Err(e) => DocumentBody::Unsupported(e.to_string()),
            }
        }
        "" => DocumentBody::Unsupported("the document does not say what kind of file it is".into()),
        other => DocumentBody::Unsupported(format!("a {other} file cannot be shown in the page")),
    }
}
