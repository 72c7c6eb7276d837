//! What a clinician sees first when they open a shared record: a summary model built from
//! FHIR R4 JSON (a Bundle, collection or IPS document, or single resources), with no I/O
//! and no browser types, so the viewer (`/view` in the app) renders it and native tests
//! check it.
//!
//! - [`fhir`]: small readers of FHIR datatypes (CodeableConcept text, dates, references);
//! - [`model`]: the summary itself, section by section, in a clinician's order;
//! - [`results`]: measured values as series (one unit each) and panels;
//! - [`classify`]: results apart from vital signs, social history and questionnaires;
//! - [`units`]: quantities in the patient's units, units in words;
//! - [`order`]: the one order of each list (allergies, problems), shared with the IPS;
//! - [`dates`]: dates shown as precisely as they are known;
//! - [`chart`]: the geometry of a trend chart (scaled points, reference band), which the
//!   viewer turns into inline SVG;
//! - [`search`]: search across a whole record, text and codes, for the patient's app;
//! - [`timeline`]: the record in date order, by category and provider, grouped by visit.

pub mod by_year;
pub mod chart;
pub mod classify;
pub mod dates;
pub mod fhir;
pub mod model;
pub mod order;
pub mod results;
pub mod search;
pub mod timeline;
pub mod units;
pub mod words;

pub use by_year::{YearGroup, by_year};
pub use chart::{ChartGeometry, ChartPoint};
pub use classify::{ObservationKind, observation_kind};
pub use dates::{ClinicalDate, DatePrecision, date_text};
pub use model::{
    ClinicalView, ClinicalViewBuilder, Document, Item, PatientBanner, read_at_a_glance,
};
pub use order::{AllergyRank, AllergyStanding, ProblemRank, order_allergies, order_problems};
pub use results::{Panel, PanelResult, Point, ReferenceRange, Series};
pub use units::{UnitPreference, human_unit};
