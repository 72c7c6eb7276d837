//! The retrieval protocol of links without the `U` flag: the receiver POSTs a
//! [`ManifestRequest`] to the link's `url` and gets a [`Manifest`] listing the files, each
//! embedded as a JWE or at a short-lived `location`; a wrong passcode gets a 401 with
//! [`PasscodeRejected`].
//!
//! The standard moved two things between its June 2025 source and the published STU1:
//! `status` went from each file to the manifest, and the FHIR version went from a
//! `fhirVersion` property into the content type's parameter
//! (`application/fhir+json;fhirVersion=4.0.1`). Folio writes the published forms and reads
//! both.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A FHIR resource, usually a Bundle (an IPS document, for example).
pub const FHIR_JSON: &str = "application/fhir+json";
/// A `.smart-health-card` file: `{"verifiableCredential": ["<JWS>", …]}`.
pub const SMART_HEALTH_CARD: &str = "application/smart-health-card";
/// A SMART access-token response with `aud`, for live access to a FHIR server.
pub const SMART_API_ACCESS: &str = "application/smart-api-access";
/// The FHIR version to assume when a file names none, as the standard allows.
pub const DEFAULT_FHIR_VERSION: &str = "4.0.1";

/// `POST {url}`: who is asking, and the passcode when the link has the `P` flag.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ManifestRequest {
    /// Who is fetching, as shown to the person who shared the link in their access log.
    pub recipient: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode: Option<String>,
    /// The longest `embedded` JWE the receiver accepts, in characters; longer files come
    /// as a `location` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded_length_max: Option<u64>,
}

/// The answer to a [`ManifestRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "finalized",
    "files": [{
        "contentType": "application/fhir+json;fhirVersion=4.0.1",
        "location": "https://folio.example/shl/I91rhba3VsuGXGchcnr6VHlQFKxfE28kuZ0ssbEuxno/files/0?ticket=Zm9saW8tdGlja2V0"
    }]
})))]
pub struct Manifest {
    /// Whether the files may still change. Published STU1 puts it here; older manifests
    /// put it on each file (see [`Manifest::status_of`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ManifestStatus>,
    #[serde(default)]
    pub files: Vec<ManifestFile>,
    /// A FHIR `List` with metadata: the place for FHIR extensions, since the manifest
    /// itself has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub list: Option<Value>,
}

/// Whether a link's files may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ManifestStatus {
    Finalized,
    CanChange,
    NoLongerValid,
}

/// One file of a manifest: exactly one of `embedded` and `location` is expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ManifestFile {
    /// One of the content-type constants of this module, perhaps with parameters.
    pub content_type: String,
    /// The compact JWE itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<String>,
    /// A URL whose `GET` returns the compact JWE; valid for at most an hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// ISO 8601 time of the file's last change, kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// The pre-STU1 place of the status; read, never written by Folio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ManifestStatus>,
    /// The pre-STU1 place of the FHIR version; read, never written by Folio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhir_version: Option<String>,
}

/// Where a file's JWE is to be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSource<'a> {
    Embedded(&'a str),
    Location(&'a str),
}

/// Why a manifest file cannot be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("a manifest file has neither `embedded` nor `location`")]
    FileWithoutContent,
}

/// The body of a 401: the passcode was wrong, and this many tries are left before the link
/// is disabled for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasscodeRejected {
    pub remaining_attempts: u32,
}

impl Manifest {
    /// A file's status: the manifest's when it has one (STU1), otherwise the file's own
    /// (the earlier layout).
    pub fn status_of(&self, file: &ManifestFile) -> Option<ManifestStatus> {
        self.status.or(file.status)
    }
}

impl ManifestFile {
    /// The embedded JWE when there is one (it is current as of the request, and costs no
    /// second fetch), otherwise the location. The standard does not forbid sending both.
    pub fn source(&self) -> Result<FileSource<'_>, ManifestError> {
        match (&self.embedded, &self.location) {
            (Some(embedded), _) => Ok(FileSource::Embedded(embedded)),
            (None, Some(location)) => Ok(FileSource::Location(location)),
            (None, None) => Err(ManifestError::FileWithoutContent),
        }
    }

    /// The FHIR version of a FHIR file: the content type's `fhirVersion` parameter, else
    /// the older `fhirVersion` property, else [`DEFAULT_FHIR_VERSION`]. `None` for files
    /// that are not FHIR.
    pub fn fhir_version(&self) -> Option<&str> {
        if !content_types_match(&self.content_type, FHIR_JSON) {
            return None;
        }
        let from_parameter = self.content_type.split(';').skip(1).find_map(|parameter| {
            let (name, value) = parameter.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("fhirVersion")
                .then(|| value.trim().trim_matches('"'))
        });
        Some(
            from_parameter
                .or(self.fhir_version.as_deref())
                .unwrap_or(DEFAULT_FHIR_VERSION),
        )
    }
}

/// The type and subtype of a content type, without parameters or surrounding space:
/// `application/fhir+json;fhirVersion=4.0.1` → `application/fhir+json`.
pub fn media_type(content_type: &str) -> &str {
    content_type
        .split_once(';')
        .map_or(content_type, |(essence, _)| essence)
        .trim()
}

/// True when two content types name the same media type. Parameters such as
/// `;fhirVersion=…` are ignored and case does not matter, as in MIME.
pub fn content_types_match(a: &str, b: &str) -> bool {
    media_type(a).eq_ignore_ascii_case(media_type(b))
}

/// What a decrypted JSON file is when its JWE has no `cty` (direct-file links have no
/// manifest to say): a FHIR resource has `resourceType`, a health card file has
/// `verifiableCredential`.
pub fn sniff_content_type(json: &Value) -> Option<&'static str> {
    if json.get("resourceType").is_some_and(Value::is_string) {
        Some(FHIR_JSON)
    } else if json
        .get("verifiableCredential")
        .is_some_and(Value::is_array)
    {
        Some(SMART_HEALTH_CARD)
    } else {
        None
    }
}

/// Never prints the passcode: requests end up in logs.
impl fmt::Debug for ManifestRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManifestRequest")
            .field("recipient", &self.recipient)
            .field("passcode", &self.passcode.as_ref().map(|_| "<redacted>"))
            .field("embedded_length_max", &self.embedded_length_max)
            .finish()
    }
}
