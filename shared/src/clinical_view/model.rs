//! The summary model: one [`ClinicalView`] from any number of FHIR resources, in the order
//! a clinician reads (allergies first). Every item keeps its source provider when the
//! resource says where it came from.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use crate::patient_identity::PatientDetails;

use super::dates::ClinicalDate;
use super::fhir::{
    codes_of, concept_code, concept_text, date_part, first_date, number, reference_display,
    resource_type, source_of, string,
};
use super::order::{
    AllergyRank, AllergyStanding, ProblemRank, allergy_date, merge_by_code, problem_onset,
};
use super::results::ResultsBook;
pub use super::results::{Panel, PanelResult, Point, ReferenceRange, Series};
use super::units::UnitPreference;

/// The patient banner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatientBanner {
    pub name: Option<String>,
    pub birth_date: Option<String>,
    /// Whole years on the day the view was built.
    pub age: Option<u32>,
    pub sex: Option<String>,
    pub source: Option<String>,
}

/// One line of a section: what it is, its details, when, and from whom.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    pub title: String,
    pub details: Vec<String>,
    /// When, as written and as precisely as it is worth showing.
    pub date: Option<ClinicalDate>,
    /// Every provider that reported it (one line for the same fact from several).
    pub sources: Vec<String>,
    /// A warning worth a badge: high criticality, a severe reaction.
    pub alert: Option<String>,
}

impl Item {
    /// The sources in words: "Valley Clinic, City Hospital".
    pub fn sources_text(&self) -> Option<String> {
        (!self.sources.is_empty()).then(|| self.sources.join(", "))
    }
}

/// A document whose content is in the share (base64) or at a URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    pub date: Option<String>,
    pub content_type: Option<String>,
    /// Base64 content, when embedded.
    pub data: Option<String>,
    pub url: Option<String>,
    pub source: Option<String>,
}

/// The summary of a shared record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClinicalView {
    pub patient: Option<PatientBanner>,
    /// Current allergies and intolerances, in [`AllergyRank`] order: drug allergies first,
    /// then by criticality.
    pub allergies: Vec<Item>,
    /// Inactive, resolved and refuted allergies, in the same order.
    pub past_allergies: Vec<Item>,
    /// Active problems only (not resolved, inactive, refuted or entered in error), one
    /// line per code however many sources report it, most recent first.
    pub problems: Vec<Item>,
    /// Problems resolved, inactive or in remission, merged the same way, most recent first.
    pub past_problems: Vec<Item>,
    /// Current medications only (active, intended, on hold, or without a status).
    pub medications: Vec<Item>,
    /// Medications stopped, completed, cancelled or not taken, most recent first.
    pub past_medications: Vec<Item>,
    /// Laboratory and other measured results, one series per test, most recently measured
    /// first. Social history and questionnaire answers are not among them.
    pub results: Vec<Series>,
    /// The same results by panel (a report and its observations), newest panel first.
    pub panels: Vec<Panel>,
    /// Social history: smoking, alcohol, income, housing, pregnancy status, and the like.
    pub social_history: Vec<Series>,
    /// Answers to questionnaires and assessment scores.
    pub assessments: Vec<Series>,
    pub immunizations: Vec<Item>,
    pub vital_signs: Vec<Series>,
    pub documents: Vec<Document>,
    /// Procedures done (or not done, with the reason), most recent first.
    pub procedures: Vec<Item>,
    /// Encounters, most recent first.
    pub encounters: Vec<Item>,
    /// Resources read, of any type.
    pub resource_count: usize,
}

/// Whether the patient banner, the allergies, the active problems, the current
/// medications, the results and the immunizations of a [`ClinicalView`] (the start page's
/// summary at a glance) read resources of this type: those sections themselves, and what
/// they follow references to (a medication's product, prescriber and reason, which may be
/// a condition, an observation or a report). A record opened only for them need not
/// decode the rest: claims, explanations of benefit, encounters and procedures, most of a
/// typical record's bytes. `shared/tests/clinical_view.rs` checks those sections come out
/// the same from this part of a record as from all of it.
pub fn read_at_a_glance(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "Patient"
            | "AllergyIntolerance"
            | "Condition"
            | "MedicationRequest"
            | "MedicationStatement"
            | "Medication"
            | "Observation"
            | "DiagnosticReport"
            | "Immunization"
            | "Practitioner"
            | "PractitionerRole"
            | "Organization"
            | "RelatedPerson"
            | "Device"
    )
}

/// Builds a [`ClinicalView`] from FHIR JSON as it arrives, file by file. Resources the
/// caller keeps anyway (a decrypted record) are borrowed, not copied: at 30,000 resources a
/// deep copy of each tree would cost more than reading them.
#[derive(Debug, Default)]
pub struct ClinicalViewBuilder<'a> {
    today: Option<NaiveDate>,
    units: UnitPreference,
    /// Each resource with the providers to credit when it names none.
    resources: Vec<(Cow<'a, Value>, Vec<String>)>,
    /// The Patient the banner shows, when the caller knows whose record it is
    /// ([`crate::patient_identity::record_patient`]); else the first Patient added.
    patient: Option<(&'a Value, Option<String>)>,
}

impl ClinicalView {
    /// The view of one FHIR JSON value (a Bundle or a single resource), as of `today`.
    pub fn from_json(json: &Value, today: NaiveDate) -> Self {
        let mut builder = ClinicalViewBuilder::new(today);
        builder.add_json(json, None);
        builder.build()
    }

    /// True when nothing clinical was found at all.
    pub fn is_empty(&self) -> bool {
        self.patient.is_none()
            && self.allergies.is_empty()
            && self.past_allergies.is_empty()
            && self.social_history.is_empty()
            && self.assessments.is_empty()
            && self.problems.is_empty()
            && self.past_problems.is_empty()
            && self.medications.is_empty()
            && self.past_medications.is_empty()
            && self.results.is_empty()
            && self.immunizations.is_empty()
            && self.vital_signs.is_empty()
            && self.documents.is_empty()
            && self.procedures.is_empty()
            && self.encounters.is_empty()
    }
}

impl<'a> ClinicalViewBuilder<'a> {
    pub fn new(today: NaiveDate) -> Self {
        ClinicalViewBuilder {
            today: Some(today),
            units: UnitPreference::default(),
            resources: Vec::new(),
            patient: None,
        }
    }

    /// Shows measurements in these units (metric unless told otherwise).
    pub fn units(mut self, units: UnitPreference) -> Self {
        self.units = units;
        self
    }

    /// The record's patient, who the banner names whatever other Patients are added.
    pub fn name_patient(&mut self, patient: &'a Value, source: Option<&str>) {
        self.patient = Some((patient, source.map(str::to_owned)));
    }

    /// Adds a Bundle's entries (recursively, for bundles in bundles) or one resource.
    /// `source` is the provider to credit when a resource does not name one (the issuer
    /// of a health card, say).
    pub fn add_json(&mut self, json: &Value, source: Option<&str>) {
        if resource_type(json) == "Bundle" {
            for entry in json
                .get("entry")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(resource) = entry.get("resource") {
                    let mut resource = resource.clone();
                    if let Some(full_url) = string(entry, "/fullUrl")
                        && let Value::Object(fields) = &mut resource
                    {
                        fields.insert("_fullUrl".into(), Value::String(full_url.to_owned()));
                    }
                    self.add_json(&resource, source);
                }
            }
        } else if !resource_type(json).is_empty() {
            self.add_resource(json.clone(), source);
        }
    }

    /// Adds one resource.
    pub fn add_resource(&mut self, resource: Value, source: Option<&str>) {
        self.resources.push((
            Cow::Owned(resource),
            source.map(str::to_owned).into_iter().collect(),
        ));
    }

    /// Adds one resource the caller holds for at least as long as the builder.
    pub fn add_borrowed(&mut self, resource: &'a Value, source: Option<&str>) {
        self.add_borrowed_from(resource, source.as_slice());
    }

    /// Adds one resource the caller holds, credited to every provider that reported it
    /// (when the resource names none itself).
    pub fn add_borrowed_from(&mut self, resource: &'a Value, sources: &[&str]) {
        let sources = sources.iter().map(|s| (*s).to_owned()).collect();
        self.resources.push((Cow::Borrowed(resource), sources));
    }

    pub fn build(self) -> ClinicalView {
        let today = self.today;
        let index = Index::new(&self.resources);
        let mut view = ClinicalView {
            resource_count: self.resources.len(),
            ..ClinicalView::default()
        };
        if let Some((resource, fallback)) = &self.patient {
            let source = source_of(resource).or_else(|| fallback.clone());
            view.patient = Some(patient(resource, today, source));
        }
        let mut measured = ResultsBook::new(self.units);
        let mut allergies: Vec<(AllergyRank, Item)> = Vec::new();
        let mut problems: Vec<(Vec<String>, Item)> = Vec::new();
        let mut past_problems: Vec<(Vec<String>, Item)> = Vec::new();
        for (resource, fallback) in &self.resources {
            let sources: Vec<String> = match source_of(resource) {
                Some(source) => vec![source],
                None => fallback.clone(),
            };
            let source = (!sources.is_empty()).then(|| sources.join(", "));
            match resource_type(resource) {
                "Patient" if view.patient.is_none() => {
                    view.patient = Some(patient(resource, today, source));
                }
                "AllergyIntolerance" => {
                    if let Some(item) = allergy(resource, sources) {
                        allergies.push((AllergyRank::of(resource), item));
                    }
                }
                "Condition" => match problem(resource, sources) {
                    Some((Standing::Current, codes, item)) => problems.push((codes, item)),
                    Some((Standing::Past, codes, item)) => past_problems.push((codes, item)),
                    None => {}
                },
                "MedicationStatement" | "MedicationRequest" => {
                    match medication(resource, &index, sources) {
                        Some((Standing::Current, item)) => view.medications.push(item),
                        Some((Standing::Past, item)) => view.past_medications.push(item),
                        None => {}
                    }
                }
                "Procedure" => {
                    if let Some(item) = procedure(resource, &index, sources) {
                        view.procedures.push(item);
                    }
                }
                "Immunization" => {
                    if let Some(item) = immunization(resource, sources) {
                        view.immunizations.push(item);
                    }
                }
                "Observation" => measured.add_observation(resource, source),
                "DiagnosticReport" => measured.add_report(resource, source),
                "DocumentReference" => {
                    view.documents
                        .extend(document_reference(resource, &index, source));
                }
                "Binary" if !index.is_attachment(resource) => {
                    if let Some(document) = binary(resource, source) {
                        view.documents.push(document);
                    }
                }
                "Encounter" => {
                    if let Some(item) = encounter(resource, sources) {
                        view.encounters.push(item);
                    }
                }
                _ => {}
            }
        }
        let measured = measured.finish();
        view.results = measured.results;
        view.panels = measured.panels;
        view.vital_signs = measured.vital_signs;
        view.social_history = measured.social_history;
        view.assessments = measured.assessments;
        allergies.sort_by(|a, b| a.0.cmp(&b.0));
        for (rank, item) in allergies {
            match rank.standing() {
                AllergyStanding::Current => view.allergies.push(item),
                AllergyStanding::NotCurrent => view.past_allergies.push(item),
            }
        }
        view.problems = merge_by_code(problems);
        // Past episodes of one problem stay apart: merged only when they began on one day.
        for (codes, item) in &mut past_problems {
            let day = item.date.as_ref().map_or("", |d| d.day());
            for code in codes.iter_mut() {
                code.push('@');
                code.push_str(day);
            }
        }
        view.past_problems = merge_by_code(past_problems);
        view.problems.sort_by_cached_key(ProblemRank::of_item);
        view.past_problems.sort_by_cached_key(ProblemRank::of_item);
        sort_newest_first(&mut view.encounters);
        sort_newest_first(&mut view.immunizations);
        sort_newest_first(&mut view.past_medications);
        sort_newest_first(&mut view.procedures);
        view.documents
            .sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.title.cmp(&b.title)));
        view
    }
}

/// Resources by `fullUrl` and by `Type/id`, to resolve references within the share.
struct Index<'a> {
    by_reference: HashMap<String, &'a Value>,
    attachment_urls: Vec<String>,
}

impl<'a> Index<'a> {
    fn new(resources: &'a [(Cow<'_, Value>, Vec<String>)]) -> Self {
        let mut by_reference = HashMap::new();
        let mut attachment_urls = Vec::new();
        for (resource, _) in resources {
            let resource: &'a Value = resource;
            if let Some(full_url) = string(resource, "/_fullUrl") {
                by_reference.insert(full_url.to_owned(), resource);
            }
            if let Some(id) = string(resource, "/id") {
                by_reference.insert(format!("{}/{id}", resource_type(resource)), resource);
            }
            if resource_type(resource) == "DocumentReference" {
                for content in array(resource, "/content") {
                    if let Some(url) = string(content, "/attachment/url") {
                        attachment_urls.push(url.to_owned());
                    }
                }
            }
        }
        Index {
            by_reference,
            attachment_urls,
        }
    }

    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let reference = reference.trim();
        self.by_reference.get(reference).copied().or_else(|| {
            // An absolute URL ending in Type/id.
            let mut parts = reference.rsplit('/');
            let id = parts.next()?;
            let kind = parts.next()?;
            self.by_reference.get(&format!("{kind}/{id}")).copied()
        })
    }

    /// Who a reference names (a practitioner, organization or person): the resource's name
    /// when the share holds it, else the reference's display.
    fn name_of(&self, reference: &Value) -> Option<String> {
        string(reference, "/reference")
            .and_then(|r| self.resolve(r))
            .and_then(display_name)
            .or_else(|| reference_display(reference))
    }

    /// True when a DocumentReference of the share points at this Binary: it is shown as
    /// that document's content, not twice.
    fn is_attachment(&self, binary: &Value) -> bool {
        let full_url = string(binary, "/_fullUrl");
        let id = string(binary, "/id").map(|id| format!("Binary/{id}"));
        self.attachment_urls.iter().any(|url| {
            Some(url.as_str()) == full_url
                || id
                    .as_deref()
                    .is_some_and(|id| url == id || url.ends_with(&format!("/{id}")))
        })
    }
}

fn array<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The banner: what [`PatientDetails`] reads of the Patient, the one reading every page
/// shares.
fn patient(resource: &Value, today: Option<NaiveDate>, source: Option<String>) -> PatientBanner {
    let details = PatientDetails::of(resource);
    PatientBanner {
        age: today.and_then(|today| details.age_on(today)),
        name: details.name,
        birth_date: details.birth_date,
        sex: details.sex,
        source,
    }
}

/// A person's or organization's name as written: the official `HumanName` (else the
/// first), its text or its given and family names; an organization's `name`. Clinicians
/// are named with their prefix ("Dr."); the patient, on their own banner, without.
fn display_name(resource: &Value) -> Option<String> {
    let with_prefix = resource_type(resource) != "Patient";
    if let Some(name) = resource.get("name").and_then(Value::as_str) {
        return Some(name.to_owned());
    }
    array(resource, "/name")
        .find(|n| string(n, "/use") == Some("official"))
        .or_else(|| array(resource, "/name").next())
        .and_then(|name| {
            string(name, "/text").map(str::to_owned).or_else(|| {
                let prefix = array(name, "/prefix").filter(|_| with_prefix);
                let words: Vec<&str> = prefix
                    .chain(array(name, "/given"))
                    .filter_map(Value::as_str)
                    .chain(string(name, "/family"))
                    .collect();
                (!words.is_empty()).then(|| words.join(" "))
            })
        })
}

/// Whole years from `born` to `today`.
pub fn age_on(born: NaiveDate, today: NaiveDate) -> Option<u32> {
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

fn entered_in_error(resource: &Value) -> bool {
    string(resource, "/status") == Some("entered-in-error")
        || matches!(
            concept_code(resource.get("verificationStatus")).as_deref(),
            Some("entered-in-error" | "refuted")
        )
}

fn allergy(resource: &Value, sources: Vec<String>) -> Option<Item> {
    // Refuted allergies are listed, among the past ones: that a test ruled one out is
    // worth knowing.
    if string(resource, "/status") == Some("entered-in-error")
        || concept_code(resource.get("verificationStatus")).as_deref() == Some("entered-in-error")
    {
        return None;
    }
    let title = resource
        .get("code")
        .and_then(concept_text)
        .unwrap_or_else(|| "Unnamed allergy or intolerance".into());
    let mut details = Vec::new();
    let criticality = string(resource, "/criticality");
    if let Some(criticality) = criticality {
        details.push(format!("Criticality: {}", words(criticality)));
    }
    let mut severe = false;
    for reaction in array(resource, "/reaction") {
        let manifestations: Vec<String> = array(reaction, "/manifestation")
            .filter_map(concept_text)
            .collect();
        let severity = string(reaction, "/severity");
        severe |= severity == Some("severe");
        let mut line = if manifestations.is_empty() {
            "Reaction".to_owned()
        } else {
            format!("Reaction: {}", manifestations.join(", "))
        };
        if let Some(severity) = severity {
            line.push_str(&format!(" ({severity})"));
        }
        details.push(line);
    }
    if let Some(status) = concept_code(resource.get("clinicalStatus"))
        && status != "active"
    {
        details.push(format!("Status: {status}"));
    }
    if let Some(verification) = concept_code(resource.get("verificationStatus"))
        && verification != "confirmed"
    {
        details.push(format!("Verification: {verification}"));
    }
    if let Some(category) = array(resource, "/category")
        .filter_map(Value::as_str)
        .next()
    {
        details.push(format!("Category: {category}"));
    }
    let alert = if criticality == Some("high") {
        Some("High criticality".into())
    } else if severe {
        Some("Severe reaction".into())
    } else {
        None
    };
    Some(Item {
        title,
        details,
        date: allergy_date(resource).map(|d| ClinicalDate::new(d).to_the_day()),
        sources,
        alert,
    })
}

/// Whether a problem or medication is the patient's now or in their past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Current,
    Past,
}

/// A problem, with the codes it is merged on across sources.
fn problem(resource: &Value, sources: Vec<String>) -> Option<(Standing, Vec<String>, Item)> {
    if entered_in_error(resource) {
        return None;
    }
    let status = concept_code(resource.get("clinicalStatus"));
    let abated = first_date(
        resource,
        &[
            "/abatementDateTime",
            "/abatementPeriod/end",
            "/abatementPeriod/start",
        ],
    );
    let standing = if matches!(
        status.as_deref(),
        Some("inactive" | "resolved" | "remission")
    ) || (abated.is_some() && status.is_none())
    {
        Standing::Past
    } else {
        Standing::Current
    };
    let title = resource
        .get("code")
        .and_then(concept_text)
        .unwrap_or_else(|| "Unnamed problem".into());
    let mut details = Vec::new();
    if let Some(severity) = resource.get("severity").and_then(concept_text) {
        details.push(format!("Severity: {severity}"));
    }
    if let Some(verification) = concept_code(resource.get("verificationStatus"))
        && verification != "confirmed"
    {
        details.push(format!("Verification: {verification}"));
    }
    let onset = problem_onset(resource);
    if standing == Standing::Past {
        if let Some(status) = &status {
            details.push(format!("Status: {status}"));
        }
        if let Some(abated) = &abated {
            details.push(format!("Ended: {}", date_part(abated)));
        }
    }
    let item = Item {
        title,
        details,
        date: onset.map(|d| ClinicalDate::new(d).to_the_day()),
        sources,
        alert: None,
    };
    let codes = resource.get("code").map(codes_of).unwrap_or_default();
    Some((standing, codes, item))
}

fn medication(
    resource: &Value,
    index: &Index<'_>,
    sources: Vec<String>,
) -> Option<(Standing, Item)> {
    let status = string(resource, "/status");
    let standing = match status {
        None | Some("active" | "intended" | "on-hold" | "unknown") => Standing::Current,
        Some("stopped" | "completed" | "cancelled" | "not-taken") => Standing::Past,
        // Entered in error, or a draft never prescribed.
        Some(_) => return None,
    };
    let title = resource
        .get("medicationCodeableConcept")
        .and_then(concept_text)
        .or_else(|| {
            let reference = resource.get("medicationReference")?;
            string(reference, "/reference")
                .and_then(|r| {
                    if let Some(id) = r.strip_prefix('#') {
                        array(resource, "/contained").find(|c| string(c, "/id") == Some(id))
                    } else {
                        index.resolve(r)
                    }
                })
                .and_then(|medication| medication.get("code").and_then(concept_text))
                .or_else(|| reference_display(reference))
        })
        .unwrap_or_else(|| "Unnamed medication".into());
    let mut details = Vec::new();
    for dosage in array(resource, "/dosage").chain(array(resource, "/dosageInstruction")) {
        if let Some(text) = string(dosage, "/text") {
            details.push(text.to_owned());
        } else if let (Some(value), unit) = (
            number(dosage, "/doseAndRate/0/doseQuantity/value"),
            string(dosage, "/doseAndRate/0/doseQuantity/unit"),
        ) {
            let dose = format!("{} {}", fmt_number(value), unit.unwrap_or(""));
            details.push(format!("Dose: {}", dose.trim()));
        }
    }
    if let Some(status) = status
        && status != "active"
    {
        details.push(format!("Status: {}", words(status)));
    }
    if let Some(prescriber) = resource
        .get("requester")
        .and_then(|requester| index.name_of(requester))
    {
        details.push(format!("Prescribed by: {prescriber}"));
    }
    if let Some(reason) = reason(resource, index) {
        details.push(format!("For: {reason}"));
    }
    let item = Item {
        title,
        details,
        date: first_date(
            resource,
            &[
                "/effectivePeriod/start",
                "/effectiveDateTime",
                "/authoredOn",
                "/dateAsserted",
            ],
        )
        .map(|d| ClinicalDate::new(d).to_the_day()),
        sources,
        alert: None,
    };
    Some((standing, item))
}

/// Why something was prescribed or done: the coded reasons, else the conditions referred
/// to, by name.
fn reason(resource: &Value, index: &Index<'_>) -> Option<String> {
    let reasons: Vec<String> = array(resource, "/reasonCode")
        .filter_map(concept_text)
        .chain(array(resource, "/reasonReference").filter_map(|reference| {
            let target = string(reference, "/reference").and_then(|r| index.resolve(r));
            target
                .and_then(|condition| condition.get("code").and_then(concept_text))
                .or_else(|| reference_display(reference))
        }))
        .collect();
    // A record often names the same reason as a code and as a reference, or several times
    // over: say each once.
    let mut said = std::collections::HashSet::new();
    let reasons: Vec<String> = reasons
        .into_iter()
        .filter(|reason| said.insert(reason.to_lowercase()))
        .collect();
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

fn procedure(resource: &Value, index: &Index<'_>, sources: Vec<String>) -> Option<Item> {
    let status = string(resource, "/status");
    if entered_in_error(resource) || status == Some("preparation") {
        return None;
    }
    let title = resource
        .get("code")
        .and_then(concept_text)
        .unwrap_or_else(|| "Unnamed procedure".into());
    let mut details = Vec::new();
    match status {
        Some("not-done") => {
            let why = resource.get("statusReason").and_then(concept_text);
            details.push(match why {
                Some(why) => format!("Not done: {why}"),
                None => "Not done".into(),
            });
        }
        Some(status) if status != "completed" => {
            details.push(format!("Status: {}", words(status)));
        }
        _ => {}
    }
    let sites: Vec<String> = array(resource, "/bodySite")
        .filter_map(concept_text)
        .collect();
    if !sites.is_empty() {
        details.push(format!("Site: {}", sites.join(", ")));
    }
    if let Some(reason) = reason(resource, index) {
        details.push(format!("For: {reason}"));
    }
    let performers: Vec<String> = array(resource, "/performer")
        .filter_map(|performer| performer.get("actor"))
        .filter_map(|actor| index.name_of(actor))
        .collect();
    if !performers.is_empty() {
        details.push(format!("By: {}", performers.join(", ")));
    }
    if let Some(outcome) = resource.get("outcome").and_then(concept_text) {
        details.push(format!("Outcome: {outcome}"));
    }
    Some(Item {
        title,
        details,
        date: first_date(
            resource,
            &[
                "/performedDateTime",
                "/performedPeriod/start",
                "/performedString",
            ],
        )
        .map(ClinicalDate::new),
        sources,
        alert: None,
    })
}

fn immunization(resource: &Value, mut sources: Vec<String>) -> Option<Item> {
    if matches!(
        string(resource, "/status"),
        Some("entered-in-error" | "not-done")
    ) {
        return None;
    }
    let title = resource
        .get("vaccineCode")
        .and_then(concept_text)
        .unwrap_or_else(|| "Unnamed vaccine".into());
    let mut details = Vec::new();
    if let Some(lot) = string(resource, "/lotNumber") {
        details.push(format!("Lot {lot}"));
    }
    if sources.is_empty() {
        sources.extend(string(resource, "/performer/0/actor/display").map(str::to_owned));
    }
    Some(Item {
        title,
        details,
        date: first_date(resource, &["/occurrenceDateTime", "/occurrenceString"])
            .map(|d| ClinicalDate::new(d).to_the_day()),
        sources,
        alert: None,
    })
}

fn sort_newest_first(items: &mut [Item]) {
    items.sort_by(|a, b| b.date.cmp(&a.date));
}

fn document_reference(
    resource: &Value,
    index: &Index<'_>,
    source: Option<String>,
) -> Vec<Document> {
    if string(resource, "/status") == Some("entered-in-error") {
        return Vec::new();
    }
    let title = string(resource, "/description")
        .map(str::to_owned)
        .or_else(|| resource.get("type").and_then(concept_text));
    let date = first_date(resource, &["/date", "/context/period/start"]);
    let source = source.or_else(|| string(resource, "/custodian/display").map(str::to_owned));
    array(resource, "/content")
        .filter_map(|content| content.get("attachment"))
        .map(|attachment| {
            let mut data = string(attachment, "/data").map(str::to_owned);
            let mut content_type = string(attachment, "/contentType").map(str::to_owned);
            let url = string(attachment, "/url").map(str::to_owned);
            if data.is_none()
                && let Some(binary) = url.as_deref().and_then(|u| index.resolve(u))
                && resource_type(binary) == "Binary"
            {
                data = string(binary, "/data").map(str::to_owned);
                content_type =
                    content_type.or_else(|| string(binary, "/contentType").map(str::to_owned));
            }
            Document {
                title: string(attachment, "/title")
                    .map(str::to_owned)
                    .or_else(|| title.clone())
                    .unwrap_or_else(|| "Untitled document".into()),
                date: date
                    .clone()
                    .or_else(|| string(attachment, "/creation").map(str::to_owned)),
                content_type,
                url: url.filter(|_| data.is_none()),
                data,
                source: source.clone(),
            }
        })
        .collect()
}

fn binary(resource: &Value, source: Option<String>) -> Option<Document> {
    let data = string(resource, "/data")?.to_owned();
    Some(Document {
        title: "Attached file".into(),
        date: string(resource, "/meta/lastUpdated").map(|d| date_part(d).to_owned()),
        content_type: string(resource, "/contentType").map(str::to_owned),
        data: Some(data),
        url: None,
        source,
    })
}

fn encounter(resource: &Value, mut sources: Vec<String>) -> Option<Item> {
    if string(resource, "/status") == Some("entered-in-error") {
        return None;
    }
    let title = array(resource, "/type")
        .find_map(concept_text)
        .or_else(|| string(resource, "/class/display").map(str::to_owned))
        .or_else(|| string(resource, "/class/code").map(str::to_owned))
        .unwrap_or_else(|| "Encounter".into());
    let mut details = Vec::new();
    if let Some(reason) = array(resource, "/reasonCode").find_map(concept_text) {
        details.push(format!("Reason: {reason}"));
    }
    if let Some(practitioner) = string(resource, "/participant/0/individual/display") {
        details.push(practitioner.to_owned());
    }
    if sources.is_empty() {
        sources.extend(string(resource, "/serviceProvider/display").map(str::to_owned));
    }
    Some(Item {
        title,
        details,
        date: first_date(resource, &["/period/start", "/period/end"]).map(ClinicalDate::new),
        sources,
        alert: None,
    })
}

/// A number without trailing zeros: 7.20 → "7.2", 120.0 → "120".
pub fn fmt_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A readable form of a FHIR code: "unable-to-assess" → "unable to assess".
fn words(code: &str) -> String {
    code.replace('-', " ")
}
