//! What a patient shares: a cut of their record that a clinician can read on its own.
//!
//! Two shapes, both FHIR R4 Bundles as `serde_json::Value`, ready to be encrypted into a
//! SMART Health Link:
//! - [`share_bundle`]: a `collection` of the categories and dates the patient picked
//!   ([`ShareSelection`]);
//! - [`PatientSummary`]: an International Patient Summary `document`.
//!
//! Both are cut from the record as the patient sees it (duplicates merged, one Patient;
//! see `patient_record`), carry what the chosen resources reference so they stay
//! readable, and keep every reference resolvable inside the bundle (`bundle`).
//! [`SharePreview`] summarises a finished bundle for the patient's approval.
//!
//! Like the rest of the crate this does no I/O and reads no clock: the caller passes the
//! time a share is made, so the same record and choice give the same bundle.

mod bundle;
pub mod category;
pub mod clinical_date;
mod error;
pub mod ips;
pub(crate) mod narrative;
mod package;
mod patient_record;
pub mod preview;
pub mod selection;

pub use category::{ParseCategoryError, ShareCategory, ShareRole, category_of, share_role};
pub use clinical_date::{ClinicalDate, clinical_date};
pub use error::ShareError;
pub use ips::{PatientSummary, SummarySection};
pub use package::{COMPRESS_ABOVE_BYTES, FHIR_R4_JSON, ShareContent, SharePackage, link_payload};
pub use preview::SharePreview;
pub use selection::{ShareSelection, share_bundle};
