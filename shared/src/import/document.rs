//! PDFs and photos of paper records: kept as a separate attachment blob (the vault stores
//! large binaries as their own age files) and described by a DocumentReference whose
//! `content.attachment.url` is `folio-attachment:<id>`.
//!
//! The attachment id is the SHA-256 of the bytes, so importing the same scan twice names
//! the same blob and the same DocumentReference.

use super::EntrySink;
use super::detect::ImportFormat;
use super::error::ImportError;
use super::identity::{derived_id, sha256_hex};
use serde_json::{Value, json};

/// A binary to store beside the entries, referenced as `folio-attachment:<id>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("id", &self.id)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The URL scheme by which a DocumentReference names an attachment blob.
pub const ATTACHMENT_URL_SCHEME: &str = "folio-attachment:";

pub(crate) fn import_document(
    sink: &mut EntrySink<'_>,
    format: ImportFormat,
    bytes: &[u8],
) -> Result<(), ImportError> {
    let content_type = match format {
        ImportFormat::Pdf => "application/pdf",
        ImportFormat::Jpeg => "image/jpeg",
        _ => "image/png",
    };
    let attachment_id = sha256_hex(bytes);
    let details = &sink.opts.document;
    let title = details
        .title
        .clone()
        .unwrap_or_else(|| sink.file.to_string());
    let namespace = sink.opts.provider.clone().unwrap_or_default();
    let mut attachment = json!({
        "contentType": content_type,
        "url": format!("{ATTACHMENT_URL_SCHEME}{attachment_id}"),
        "size": bytes.len(),
        "title": title,
    });
    let mut doc = json!({
        "resourceType": "DocumentReference",
        "id": derived_id(&namespace, &format!("attachment:{attachment_id}")),
        "status": "current",
        "description": title,
        "date": sink.opts.imported_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    if let Some(date) = &details.date {
        attachment["creation"] = Value::String(date.clone());
        doc["context"] = json!({ "period": { "start": date } });
    }
    doc["content"] = json!([{ "attachment": attachment }]);
    if !details.tags.is_empty() {
        doc["category"] = details.tags.iter().map(|t| json!({ "text": t })).collect();
    }
    let source = sink.source();
    sink.push(doc, source)?;
    sink.push_attachment(Attachment {
        id: attachment_id,
        content_type: content_type.to_string(),
        bytes: bytes.to_vec(),
    });
    Ok(())
}
