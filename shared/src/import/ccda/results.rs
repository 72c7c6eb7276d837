//! Result Organizer → DiagnosticReport; Result, Vital Sign and Social History observations
//! → Observation with their category, value (PQ → Quantity in UCUM), interpretation and
//! reference range.

use super::CdaContext;
use super::datatypes::{
    codeable_concept, effective, entry_concept, observation_value, range, status_code,
};
use super::participants::{author_name, display_reference, performer_name};
use super::xml::{attr, child, children, text};
use roxmltree::Node;
use serde_json::{Value, json};

const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

/// Which kind of observation, for `Observation.category`.
#[derive(Clone, Copy)]
pub(crate) enum ObservationCategory {
    Laboratory,
    VitalSigns,
    SocialHistory,
    /// An assessment such as a health status ("alive and well").
    Survey,
    FunctionalStatus,
    CognitiveStatus,
}

const US_CORE_CATEGORY: &str = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category";

impl ObservationCategory {
    /// `Observation.category`: the FHIR category, and for functional and cognitive status
    /// US Core's finer category beside `survey`.
    fn categories(self) -> Value {
        let fhir =
            |code: &str| json!({ "coding": [{ "system": OBSERVATION_CATEGORY, "code": code }] });
        let us_core =
            |code: &str| json!({ "coding": [{ "system": US_CORE_CATEGORY, "code": code }] });
        match self {
            ObservationCategory::Laboratory => json!([fhir("laboratory")]),
            ObservationCategory::VitalSigns => json!([fhir("vital-signs")]),
            ObservationCategory::SocialHistory => json!([fhir("social-history")]),
            ObservationCategory::Survey => json!([fhir("survey")]),
            ObservationCategory::FunctionalStatus => {
                json!([fhir("survey"), us_core("functional-status")])
            }
            ObservationCategory::CognitiveStatus => {
                json!([fhir("survey"), us_core("cognitive-status")])
            }
        }
    }
}

pub(crate) fn observation(
    obs: Node<'_, '_>,
    ctx: &CdaContext,
    category: ObservationCategory,
) -> Value {
    let mut r = ctx.resource("Observation", obs, "subject");
    r["status"] = json!(observation_status(obs));
    r["category"] = category.categories();
    r["code"] = entry_concept(child(obs, "code"), obs, &ctx.narrative)
        .unwrap_or_else(|| json!({ "text": "Observation (not named in the source document)" }));
    // An observation in an organizer often leaves its time to the organizer.
    let when = effective(obs).or_else(|| {
        obs.ancestors()
            .skip(1)
            .find(|a| a.tag_name().name() == "organizer")
            .and_then(effective)
    });
    if let Some(w) = when {
        w.set(&mut r, "effective");
    }
    if let Some(value) = child(obs, "value")
        && attr(value, "nullFlavor").is_none()
        && let Some((suffix, v)) = observation_value(value, &ctx.narrative)
    {
        r[format!("value{suffix}")] = v;
    }
    if let Some(who) = performer_name(obs).or_else(|| author_name(obs)) {
        r["performer"] = json!([display_reference(who)]);
    }
    let interpretations: Vec<Value> = children(obs, "interpretationCode")
        .filter_map(|c| codeable_concept(c, &ctx.narrative))
        .collect();
    if !interpretations.is_empty() {
        r["interpretation"] = Value::Array(interpretations);
    }
    let ranges: Vec<Value> = children(obs, "referenceRange")
        .filter_map(|rr| child(rr, "observationRange"))
        .filter_map(|or| {
            let mut range_json = child(or, "value")
                .and_then(range)
                .unwrap_or_else(|| json!({}));
            if let Some(t) = child(or, "text").and_then(text) {
                range_json["text"] = json!(t);
            }
            (range_json.as_object().is_some_and(|o| !o.is_empty())).then_some(range_json)
        })
        .collect();
    if !ranges.is_empty() {
        r["referenceRange"] = Value::Array(ranges);
    }
    r
}

fn observation_status(obs: Node<'_, '_>) -> &'static str {
    match status_code(obs) {
        Some("completed") | None => "final",
        Some("active") => "preliminary",
        Some("aborted") | Some("cancelled") => "cancelled",
        _ => "unknown",
    }
}

pub(crate) fn diagnostic_report(
    organizer: Node<'_, '_>,
    ctx: &CdaContext,
    results: &[Node<'_, '_>],
) -> Value {
    let mut r = ctx.resource("DiagnosticReport", organizer, "subject");
    r["status"] = json!(match status_code(organizer) {
        Some("active") => "partial",
        Some("aborted") | Some("cancelled") => "cancelled",
        _ => "final",
    });
    r["category"] = json!([{ "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"
    }] }]);
    r["code"] = entry_concept(child(organizer, "code"), organizer, &ctx.narrative)
        .unwrap_or_else(|| json!({ "text": "Results (not named in the source document)" }));
    if let Some(w) = effective(organizer) {
        w.set(&mut r, "effective");
    }
    if !results.is_empty() {
        r["result"] = results
            .iter()
            .map(|o| json!({ "reference": ctx.reference("Observation", *o) }))
            .collect();
    }
    r
}
