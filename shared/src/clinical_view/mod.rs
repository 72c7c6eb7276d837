//! What a clinician sees first when they open a shared record: a summary model built from
//! FHIR R4 JSON (a Bundle, collection or IPS document, or single resources), with no I/O
//! and no browser types, so the viewer (`/view` in the app) renders it and native tests
//! check it.
//!
//! - [`fhir`]: small readers of FHIR datatypes (CodeableConcept text, dates, references);
//! - [`model`]: the summary itself, section by section, in a clinician's order;
//! - [`chart`]: the geometry of a trend chart (scaled points, reference band), which the
//!   viewer turns into inline SVG;
//! - [`search`]: search across a whole record, text and codes, for the patient's app;
//! - [`timeline`]: the record in date order, by category and provider, grouped by visit.

pub mod chart;
pub mod fhir;
pub mod model;
pub mod search;
pub mod timeline;

pub use chart::{ChartGeometry, ChartPoint};
pub use model::{
    ClinicalView, ClinicalViewBuilder, Document, Item, PatientBanner, Point, ReferenceRange,
    Series, read_at_a_glance,
};
