//! Who a record is about, and whether a file is about the same person.
//!
//! A vault is one person's record, but every import brings its own copy of the Patient
//! (a C-CDA's recordTarget, a FHIR server's Patient, a health card's subject). Two
//! questions follow, answered here and nowhere else:
//!
//! - [`details`]: what a Patient resource says about the person (name, birth date, sex,
//!   identifiers), read the same way for every page.
//! - [`record`]: which Patient names the record ([`record_patient`]): the patient's own
//!   entry first, then the most recent source. The start page, `/record`, the share
//!   preview, a share's bundle and the clinician viewer all show this one.
//! - [`matching`]: the rule that says whether two Patients are the same person
//!   ([`same_person`]), and the check every import makes before anything is written
//!   ([`PatientCheck`]): `matched`, `first` (the record had no patient yet) or `mismatch`.

pub mod details;
mod folding;
pub mod matching;
pub mod record;

pub use details::PatientDetails;
pub use matching::{Difference, PatientCheck, PatientMatch, same_person};
pub use record::{RecordPatient, record_patient};
