//! [`SharePackage`]: a share as the patient's client makes it, from the choice to the
//! encrypted file and the link. The app and the CLI both make links through it, so a link
//! made in either holds the same bundle under the same rules.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::api::share::ShareFileUpload;
use crate::shl::{self, Flags, LinkKey, ShareLinkPayload};
use crate::vault::VaultContents;

use super::{PatientSummary, ShareError, SharePreview, ShareSelection, share_bundle};

/// The content type of a shared bundle, with the FHIR version as published STU1 writes it.
pub const FHIR_R4_JSON: &str = "application/fhir+json;fhirVersion=4.0.1";
/// Bundles larger than this are compressed (`zip: DEF`) before encryption. Smaller ones stay
/// plain, since some receivers still cannot inflate.
pub const COMPRESS_ABOVE_BYTES: usize = 16 * 1024;

/// What the patient chose to share.
#[derive(Debug, Clone, PartialEq)]
pub enum ShareContent {
    /// An International Patient Summary built from the record.
    PatientSummary,
    /// The chosen categories and dates, as a collection.
    Selection(ShareSelection),
}

impl ShareContent {
    /// The label a link gets when the patient gives none.
    pub fn default_label(&self) -> &'static str {
        match self {
            ShareContent::PatientSummary => "Patient summary",
            ShareContent::Selection(_) => "Health record",
        }
    }
}

/// A cut of the record, ready to preview and encrypt.
#[derive(Debug, Clone, PartialEq)]
pub struct SharePackage {
    pub bundle: Value,
    /// Computed from the bundle itself, so the patient approves what will be sent.
    pub preview: SharePreview,
}

impl SharePackage {
    pub fn build(
        contents: &VaultContents,
        content: &ShareContent,
        now: DateTime<Utc>,
    ) -> Result<SharePackage, ShareError> {
        let bundle = match content {
            ShareContent::PatientSummary => PatientSummary::build(contents, now)?.into_bundle(),
            ShareContent::Selection(selection) => share_bundle(contents, selection, now)?,
        };
        let preview = SharePreview::of(&bundle);
        Ok(SharePackage { bundle, preview })
    }

    /// Category name → count, which the server keeps for the patient's list of links.
    pub fn categories(&self) -> BTreeMap<String, u32> {
        self.preview
            .counts
            .iter()
            .map(|(category, count)| (category.name().to_owned(), *count as u32))
            .collect()
    }

    /// The bundle as one JWE file under `key`.
    pub fn encrypt(&self, key: &LinkKey) -> ShareFileUpload {
        let plaintext = serde_json::to_vec(&self.bundle).expect("a JSON value serializes");
        ShareFileUpload {
            content_type: FHIR_R4_JSON.to_owned(),
            jwe: shl::encrypt(
                key,
                FHIR_R4_JSON,
                &plaintext,
                plaintext.len() > COMPRESS_ABOVE_BYTES,
            ),
        }
    }
}

/// The `shlink:/` payload for a link the server made at `manifest_url`.
pub fn link_payload(
    manifest_url: String,
    key: LinkKey,
    expires_at: DateTime<Utc>,
    passcode: bool,
    label: String,
) -> ShareLinkPayload {
    ShareLinkPayload {
        url: manifest_url,
        key,
        exp: Some(expires_at.timestamp()),
        flags: Flags {
            passcode,
            ..Flags::default()
        },
        label: Some(label),
        v: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::ShareCategory;

    #[test]
    fn an_empty_record_cannot_be_shared() {
        let contents = VaultContents::default();
        let choice = ShareContent::Selection(ShareSelection::of([ShareCategory::Allergies]));
        assert_eq!(
            SharePackage::build(&contents, &choice, Utc::now()),
            Err(ShareError::NoPatient)
        );
    }

    #[test]
    fn the_encrypted_file_opens_with_the_link_key_to_the_same_bundle() {
        let package = SharePackage {
            bundle: serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": []}),
            preview: SharePreview::default(),
        };
        let key = LinkKey::generate();
        let file = package.encrypt(&key);
        let opened = shl::decrypt(&key, &file.jwe).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&opened.plaintext).unwrap(),
            package.bundle
        );
        assert_eq!(file.content_type, FHIR_R4_JSON);
    }
}
