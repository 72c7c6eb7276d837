//! Why a share could not be made, in words the patient can act on.

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// A share must say whose record it is, and an IPS must have a subject.
    #[error(
        "the record names no patient: import a record that does (a FHIR Patient, a C-CDA recordTarget) or enter your details first"
    )]
    NoPatient,
    /// `from` after `to`: refused rather than read as "nothing", which would share only
    /// the undated resources.
    #[error("the date range is empty: it starts on {from}, after it ends on {to}")]
    InvertedRange { from: NaiveDate, to: NaiveDate },
}
