//! The summary model: one [`ClinicalView`] from any number of FHIR resources, in the order
//! a clinician reads (allergies first). Every item keeps its source provider when the
//! resource says where it came from.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use crate::patient_identity::PatientDetails;

use super::fhir::{
    concept_code, concept_key, concept_text, date_part, first_date, number, reference_display,
    resource_type, source_of, string,
};

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
    /// A FHIR date or dateTime as written.
    pub date: Option<String>,
    pub source: Option<String>,
    /// A warning worth a badge: high criticality, a severe reaction.
    pub alert: Option<String>,
}

/// A reference range, from `Observation.referenceRange`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReferenceRange {
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub text: Option<String>,
}

impl ReferenceRange {
    /// True when `value` falls outside the numeric bounds.
    pub fn excludes(&self, value: f64) -> bool {
        self.low.is_some_and(|low| value < low) || self.high.is_some_and(|high| value > high)
    }

    /// The range in words: "4.0–10.0", "< 5.7", "> 40", or its text.
    pub fn describe(&self) -> Option<String> {
        match (self.low, self.high) {
            (Some(low), Some(high)) => Some(format!("{}–{}", fmt_number(low), fmt_number(high))),
            (Some(low), None) => Some(format!("≥ {}", fmt_number(low))),
            (None, Some(high)) => Some(format!("≤ {}", fmt_number(high))),
            (None, None) => self.text.clone(),
        }
    }
}

/// One measured value of a test.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub date: Option<String>,
    /// The numeric value, when there is one (a chart needs it).
    pub value: Option<f64>,
    /// The value as shown: "7.2 %", "Positive".
    pub display: String,
    /// Out of its reference range, or flagged abnormal by the lab.
    pub out_of_range: bool,
    pub interpretation: Option<String>,
    pub source: Option<String>,
}

/// Every value of one test (or vital sign), oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The test's code (`system|code`, else its words): what makes values one series.
    pub key: String,
    pub name: String,
    pub unit: Option<String>,
    pub points: Vec<Point>,
    /// The most recent reference range given.
    pub range: Option<ReferenceRange>,
}

impl Series {
    /// The most recent value.
    pub fn latest(&self) -> Option<&Point> {
        self.points.last()
    }

    /// True when a trend chart makes sense: more than one numeric value.
    pub fn has_trend(&self) -> bool {
        self.points.iter().filter(|p| p.value.is_some()).count() > 1
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

impl Document {
    /// True for content the viewer can show from a blob: URL (PDF or image).
    pub fn viewable(&self) -> bool {
        self.data.is_some()
            && self.content_type.as_deref().is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                t.starts_with("application/pdf") || t.starts_with("image/")
            })
    }
}

/// The summary of a shared record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClinicalView {
    pub patient: Option<PatientBanner>,
    pub allergies: Vec<Item>,
    /// Active problems only (not resolved, inactive, refuted or entered in error).
    pub problems: Vec<Item>,
    /// Problems resolved, inactive or in remission, most recent first.
    pub past_problems: Vec<Item>,
    /// Current medications only (active, intended, on hold, or without a status).
    pub medications: Vec<Item>,
    /// Medications stopped, completed, cancelled or not taken, most recent first.
    pub past_medications: Vec<Item>,
    /// Laboratory and other results, most recently measured first.
    pub results: Vec<Series>,
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
    resources: Vec<(Cow<'a, Value>, Option<String>)>,
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
            resources: Vec::new(),
            patient: None,
        }
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
        self.resources
            .push((Cow::Owned(resource), source.map(str::to_owned)));
    }

    /// Adds one resource the caller holds for at least as long as the builder.
    pub fn add_borrowed(&mut self, resource: &'a Value, source: Option<&str>) {
        self.resources
            .push((Cow::Borrowed(resource), source.map(str::to_owned)));
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
        let mut results: BTreeMap<String, Series> = BTreeMap::new();
        let mut vitals: BTreeMap<String, Series> = BTreeMap::new();
        for (resource, fallback) in &self.resources {
            let source = source_of(resource).or_else(|| fallback.clone());
            match resource_type(resource) {
                "Patient" if view.patient.is_none() => {
                    view.patient = Some(patient(resource, today, source));
                }
                "AllergyIntolerance" => {
                    if let Some(item) = allergy(resource, source) {
                        view.allergies.push(item);
                    }
                }
                "Condition" => match problem(resource, source) {
                    Some((Standing::Current, item)) => view.problems.push(item),
                    Some((Standing::Past, item)) => view.past_problems.push(item),
                    None => {}
                },
                "MedicationStatement" | "MedicationRequest" => {
                    match medication(resource, &index, source) {
                        Some((Standing::Current, item)) => view.medications.push(item),
                        Some((Standing::Past, item)) => view.past_medications.push(item),
                        None => {}
                    }
                }
                "Procedure" => {
                    if let Some(item) = procedure(resource, &index, source) {
                        view.procedures.push(item);
                    }
                }
                "Immunization" => {
                    if let Some(item) = immunization(resource, source) {
                        view.immunizations.push(item);
                    }
                }
                "Observation" => {
                    let target = if is_vital_sign(resource) {
                        &mut vitals
                    } else {
                        &mut results
                    };
                    observation(resource, source, target);
                }
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
                    if let Some(item) = encounter(resource, source) {
                        view.encounters.push(item);
                    }
                }
                _ => {}
            }
        }
        view.results = by_recency(results);
        view.vital_signs = by_recency(vitals);
        sort_newest_first(&mut view.encounters);
        sort_newest_first(&mut view.immunizations);
        sort_newest_first(&mut view.past_problems);
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
    fn new(resources: &'a [(Cow<'_, Value>, Option<String>)]) -> Self {
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

fn allergy(resource: &Value, source: Option<String>) -> Option<Item> {
    if entered_in_error(resource) {
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
        date: first_date(resource, &["/onsetDateTime", "/recordedDate"]),
        source,
        alert,
    })
}

/// Whether a problem or medication is the patient's now or in their past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Current,
    Past,
}

fn problem(resource: &Value, source: Option<String>) -> Option<(Standing, Item)> {
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
    let onset = first_date(
        resource,
        &["/onsetDateTime", "/onsetPeriod/start", "/recordedDate"],
    );
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
        date: onset,
        source,
        alert: None,
    };
    Some((standing, item))
}

fn medication(
    resource: &Value,
    index: &Index<'_>,
    source: Option<String>,
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
        ),
        source,
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
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

fn procedure(resource: &Value, index: &Index<'_>, source: Option<String>) -> Option<Item> {
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
        ),
        source,
        alert: None,
    })
}

fn immunization(resource: &Value, source: Option<String>) -> Option<Item> {
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
    let performer = string(resource, "/performer/0/actor/display").map(str::to_owned);
    Some(Item {
        title,
        details,
        date: first_date(resource, &["/occurrenceDateTime", "/occurrenceString"]),
        source: source.or(performer),
        alert: None,
    })
}

fn is_vital_sign(resource: &Value) -> bool {
    array(resource, "/category")
        .flat_map(|c| array(c, "/coding"))
        .any(|c| string(c, "/code") == Some("vital-signs"))
}

fn observation(resource: &Value, source: Option<String>, series: &mut BTreeMap<String, Series>) {
    if matches!(
        string(resource, "/status"),
        Some("entered-in-error" | "cancelled")
    ) {
        return;
    }
    let Some(code) = resource.get("code") else {
        return;
    };
    let date = first_date(
        resource,
        &[
            "/effectiveDateTime",
            "/effectivePeriod/start",
            "/effectiveInstant",
            "/issued",
        ],
    );
    let interpretation = array(resource, "/interpretation").next();
    let components: Vec<&Value> = array(resource, "/component").collect();
    if has_value(resource) || components.is_empty() {
        add_point(
            series,
            code,
            resource,
            interpretation,
            date.clone(),
            source.clone(),
        );
    }
    for component in components {
        if let Some(component_code) = component.get("code") {
            add_point(
                series,
                component_code,
                component,
                component.pointer("/interpretation/0").or(interpretation),
                date.clone(),
                source.clone(),
            );
        }
    }
}

fn has_value(element: &Value) -> bool {
    element
        .as_object()
        .is_some_and(|fields| fields.keys().any(|k| k.starts_with("value")))
}

fn add_point(
    series: &mut BTreeMap<String, Series>,
    code: &Value,
    element: &Value,
    interpretation: Option<&Value>,
    date: Option<String>,
    source: Option<String>,
) {
    let Some(key) = concept_key(code) else {
        return;
    };
    let name = concept_text(code).unwrap_or_else(|| "Unnamed result".into());
    let (value, unit, display) = value_of(element);
    if display.is_empty() {
        return;
    }
    let range = element
        .pointer("/referenceRange/0")
        .map(|range| ReferenceRange {
            low: number(range, "/low/value"),
            high: number(range, "/high/value"),
            text: string(range, "/text").map(str::to_owned),
        })
        .filter(|r| r.low.is_some() || r.high.is_some() || r.text.is_some());
    let interpretation_code = interpretation
        .and_then(|i| concept_code(Some(i)))
        .map(|c| c.to_ascii_uppercase());
    let abnormal_code = interpretation_code.as_deref().is_some_and(|c| {
        matches!(
            c,
            "H" | "L" | "HH" | "LL" | "HU" | "LU" | "A" | "AA" | ">" | "<"
        )
    });
    let out_of_range = abnormal_code
        || value
            .zip(range.as_ref())
            .is_some_and(|(v, r)| r.excludes(v));
    let entry = series.entry(key.clone()).or_insert_with(|| Series {
        key,
        name,
        unit: None,
        points: Vec::new(),
        range: None,
    });
    if entry.unit.is_none() {
        entry.unit = unit;
    }
    entry.points.push(Point {
        date,
        value,
        display,
        out_of_range,
        interpretation: interpretation.and_then(concept_text),
        source,
    });
    if range.is_some() {
        entry.range = range;
    }
}

/// The numeric value, its unit and the value as shown.
fn value_of(element: &Value) -> (Option<f64>, Option<String>, String) {
    if let Some(quantity) = element.get("valueQuantity") {
        let value = number(quantity, "/value");
        let unit = string(quantity, "/unit")
            .or_else(|| string(quantity, "/code"))
            .map(str::to_owned);
        let comparator = string(quantity, "/comparator").unwrap_or("");
        let display = match value {
            Some(v) => format!(
                "{comparator}{} {}",
                fmt_number(v),
                unit.as_deref().unwrap_or("")
            )
            .trim()
            .to_owned(),
            None => String::new(),
        };
        return (value, unit, display);
    }
    if let Some(concept) = element.get("valueCodeableConcept") {
        return (None, None, concept_text(concept).unwrap_or_default());
    }
    if let Some(text) = string(element, "/valueString") {
        return (None, None, text.to_owned());
    }
    if let Some(value) = element.get("valueInteger").and_then(Value::as_f64) {
        return (Some(value), None, fmt_number(value));
    }
    if let Some(value) = element.get("valueBoolean").and_then(Value::as_bool) {
        return (None, None, if value { "Yes" } else { "No" }.into());
    }
    if let Some(low) = number(element, "/valueRange/low/value") {
        let high = number(element, "/valueRange/high/value");
        let display = match high {
            Some(high) => format!("{}–{}", fmt_number(low), fmt_number(high)),
            None => format!("≥ {}", fmt_number(low)),
        };
        return (None, None, display);
    }
    (None, None, String::new())
}

/// Series sorted oldest-first inside, and by their latest value, newest first.
fn by_recency(series: BTreeMap<String, Series>) -> Vec<Series> {
    let mut list: Vec<Series> = series
        .into_values()
        .map(|mut s| {
            s.points.sort_by_key(|p| p.date.clone());
            s
        })
        .collect();
    list.sort_by(|a, b| {
        let latest = |s: &Series| s.points.last().and_then(|p| p.date.clone());
        latest(b).cmp(&latest(a)).then_with(|| a.name.cmp(&b.name))
    });
    list
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

fn encounter(resource: &Value, source: Option<String>) -> Option<Item> {
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
    let provider = string(resource, "/serviceProvider/display").map(str::to_owned);
    Some(Item {
        title,
        details,
        date: first_date(resource, &["/period/start", "/period/end"]),
        source: source.or(provider),
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
