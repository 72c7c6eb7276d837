//! Why a file could not be imported. Every error carries a [`Location`] so the user can
//! find the problem; the kinds are distinct so the app can phrase them and tests can
//! assert them.

use super::report::Location;
use thiserror::Error;

/// A file that imports nothing, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{location}: {kind}")]
pub struct ImportError {
    pub location: Location,
    pub kind: ImportErrorKind,
}

impl ImportError {
    pub fn new(location: Location, kind: ImportErrorKind) -> Self {
        ImportError { location, kind }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportErrorKind {
    #[error("the file is {size} bytes, over the import limit of {max} bytes")]
    TooLarge { size: u64, max: u64 },
    #[error("the file is empty")]
    Empty,
    #[error(
        "not a format Folio imports (FHIR JSON or NDJSON, C-CDA XML, SMART Health Card, zip, PDF, JPEG, PNG)"
    )]
    UnrecognizedFormat,
    #[error("the text is not UTF-8")]
    NotUtf8,
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error("the file ends early, it looks truncated: {0}")]
    Truncated(String),
    #[error("JSON, but not FHIR: {0}")]
    NotFhir(String),
    #[error("a resource has no `resourceType`")]
    MissingResourceType,
    #[error("invalid FHIR resource: {0}")]
    InvalidResource(String),
    #[error("FHIR XML is not supported; export the data as FHIR JSON instead")]
    FhirXmlUnsupported,
    #[error("invalid XML: {0}")]
    InvalidXml(String),
    #[error(
        "XML with a document type declaration (<!DOCTYPE>) is refused: C-CDA never needs one, and DTD entities enable expansion and external-entity attacks"
    )]
    XmlDtdRefused,
    #[error("XML nests deeper than {max} elements")]
    XmlTooDeep { max: usize },
    #[error("XML has more than {max} nodes")]
    XmlTooManyNodes { max: u32 },
    #[error("XML, but not a C-CDA document (root element `{root}`)")]
    NotCcda { root: String },
    #[error("more than {max} resources in one file")]
    TooManyResources { max: usize },
    #[error("invalid zip archive: {0}")]
    InvalidZip(String),
    #[error("zip archive refused as a possible zip bomb: {0}")]
    ZipBomb(String),
    #[error("invalid SMART Health Card: {0}")]
    InvalidHealthCard(String),
}
