//! Medication Activity → MedicationStatement (what the patient takes or took, or was told
//! to take at admission or discharge), and a Planned Medication Activity →
//! MedicationRequest with intent `plan`. The dosage carries what the document says: the
//! sig as written, dose with unit, frequency, route and, for a request, the prescriber.

use super::CdaContext;
use super::datatypes::{
    When, attr_local, codeable_concept, effective, entry_concept, quantity, status_code,
};
use super::participants::{author_name, authored_at, display_reference, performer_name};
use super::sections::SectionKind;
use super::xml::{attr, child, children, has_template, path};
use roxmltree::Node;
use serde_json::{Value, json};

const MATERIAL: &[&str] = &["consumable", "manufacturedProduct", "manufacturedMaterial"];
const FREE_TEXT_SIG: &str = "2.16.840.1.113883.10.20.22.4.147";
const INSTRUCTION: &[&str] = &[
    "2.16.840.1.113883.10.20.22.4.20",
    "2.16.840.1.113883.10.20.1.49",
];
const SUPPLY_ORDER: &[&str] = &[
    "2.16.840.1.113883.10.20.22.4.17",
    "2.16.840.1.113883.10.20.1.34",
];
/// v3 TimingEvent codes that FHIR's event-timing shares (`Timing.repeat.when`).
const EVENT_TIMING: &[&str] = &[
    "AC", "ACD", "ACM", "ACV", "C", "CD", "CM", "CV", "HS", "IC", "ICD", "ICM", "ICV", "PC", "PCD",
    "PCM", "PCV", "WAKE",
];

pub(crate) fn medication_statement(sa: Node<'_, '_>, ctx: &CdaContext, kind: SectionKind) -> Value {
    let mut r = ctx.resource("MedicationStatement", sa, "subject");
    let status = if attr(sa, "negationInd") == Some("true") {
        "not-taken"
    } else if attr(sa, "moodCode") == Some("INT") {
        "intended"
    } else {
        match status_code(sa) {
            Some("active") => "active",
            Some("completed") => "completed",
            Some("aborted") | Some("cancelled") => "stopped",
            Some("suspended") | Some("held") => "on-hold",
            _ => "unknown",
        }
    };
    r["status"] = json!(status);
    match kind {
        SectionKind::AdmissionMedications => {
            r["category"] = json!({ "text": "Admission medication" });
        }
        SectionKind::DischargeMedications => {
            r["category"] = json!({ "text": "Discharge medication" });
        }
        _ => {}
    }
    r["medicationCodeableConcept"] = medication(sa, ctx);
    if let Some(w) = effective(sa) {
        w.set(&mut r, "effective");
    }
    if let Some(at) = authored_at(sa) {
        r["dateAsserted"] = json!(at);
    }
    if let Some(who) = prescriber(sa) {
        r["informationSource"] = display_reference(who);
    }
    if let Some(d) = dosage(sa, ctx) {
        r["dosage"] = json!([d]);
    }
    r
}

pub(crate) fn planned_medication(sa: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("MedicationRequest", sa, "subject");
    r["status"] = json!(match status_code(sa) {
        Some("completed") => "completed",
        Some("cancelled") | Some("aborted") => "cancelled",
        _ => "active",
    });
    r["intent"] = json!("plan");
    r["medicationCodeableConcept"] = medication(sa, ctx);
    if let Some(at) = authored_at(sa) {
        r["authoredOn"] = json!(at);
    }
    if let Some(who) = prescriber(sa) {
        r["requester"] = display_reference(who);
    }
    if let Some(mut d) = dosage(sa, ctx) {
        if let Some(w @ When::Period(_)) = effective(sa) {
            d["timing"]["repeat"]["boundsPeriod"] = w.into_period();
        }
        r["dosageInstruction"] = json!([d]);
    }
    r
}

/// The product (RxNorm in C-CDA), named by its code, its narrative, or the material's name.
fn medication(sa: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let material = path(sa, MATERIAL);
    let code = material.and_then(|m| child(m, "code"));
    let by_code = code.and_then(|c| codeable_concept(c, &ctx.narrative));
    if by_code.as_ref().is_some_and(|c| c.get("text").is_some()) {
        return by_code.unwrap_or_default();
    }
    let name = material
        .and_then(|m| child(m, "name"))
        .and_then(super::xml::text);
    if let Some(name) = name {
        let mut cc = by_code.unwrap_or_else(|| json!({}));
        cc["text"] = json!(name);
        return cc;
    }
    entry_concept(code, sa, &ctx.narrative)
        .unwrap_or_else(|| json!({ "text": "Medication (not named in the source document)" }))
}

/// Who prescribed it: the supply order's author, else the activity's author, else its
/// performer.
fn prescriber(sa: Node<'_, '_>) -> Option<String> {
    related(sa, "supply")
        .filter(|s| has_template(*s, SUPPLY_ORDER))
        .find_map(author_name)
        .or_else(|| author_name(sa))
        .or_else(|| performer_name(sa))
}

fn related<'a, 'i: 'a>(sa: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    children(sa, "entryRelationship").filter_map(move |er| child(er, name))
}

/// The sig as written: a Medication Free Text Sig, else the activity's own text unless it
/// only repeats the medication's name.
fn sig(sa: Node<'_, '_>, ctx: &CdaContext, name: Option<&str>) -> Option<String> {
    related(sa, "substanceAdministration")
        .filter(|s| has_template(*s, &[FREE_TEXT_SIG]))
        .find_map(|s| child(s, "text").and_then(|t| ctx.narrative.resolve(t)))
        .or_else(|| {
            child(sa, "text")
                .and_then(|t| ctx.narrative.resolve(t))
                .filter(|t| Some(t.as_str()) != name)
        })
}

fn dosage(sa: Node<'_, '_>, ctx: &CdaContext) -> Option<Value> {
    let mut d = json!({});
    let name = medication(sa, ctx)["text"].as_str().map(str::to_string);
    if let Some(text) = sig(sa, ctx, name.as_deref()) {
        d["text"] = json!(text);
    }
    // The instruction's own words; its code only says "instruction".
    if let Some(instruction) = related(sa, "act")
        .filter(|a| has_template(*a, INSTRUCTION))
        .find_map(|a| child(a, "text").and_then(|t| ctx.narrative.resolve(t)))
    {
        d["patientInstruction"] = json!(instruction);
    }
    if let Some(dose) = child(sa, "doseQuantity").and_then(|q| dose(q, sa)) {
        d["doseAndRate"] = json!([{ "doseQuantity": dose }]);
    }
    if let Some(route) = child(sa, "routeCode").and_then(|c| codeable_concept(c, &ctx.narrative)) {
        d["route"] = route;
    }
    if let Some(timing) = timing(sa) {
        d["timing"] = json!({ "repeat": timing });
    }
    (d.as_object().is_some_and(|o| !o.is_empty())).then_some(d)
}

/// doseQuantity with its unit as a reader shows it: a UCUM annotation such as `{tbl}` is
/// shown as the word it abbreviates (the UCUM code stays in `code`), and a dose given
/// without a unit takes the administration unit ("tablet") when the activity names one.
fn dose(q: Node<'_, '_>, sa: Node<'_, '_>) -> Option<Value> {
    let mut dose = quantity(q)?;
    match dose["unit"].as_str() {
        Some(unit) if unit.starts_with('{') && unit.ends_with('}') => {
            let word = unit.trim_matches(|c| c == '{' || c == '}');
            let word = match word.to_ascii_lowercase().as_str() {
                "tbl" | "tab" | "tabs" | "tablets" => "tablet",
                "cap" | "caps" | "capsules" => "capsule",
                "puff" | "puffs" => "puff",
                "drp" | "drop" | "drops" | "gtt" => "drop",
                _ => word,
            };
            dose["unit"] = json!(word);
        }
        Some(_) => {}
        None => {
            if let Some(unit) = child(sa, "administrationUnitCode")
                .and_then(|u| attr(u, "displayName").or_else(|| attr(u, "code")))
            {
                dose["unit"] = json!(unit.trim().to_lowercase());
            }
        }
    }
    Some(dose)
}

/// Frequency from a PIVL_TS (every period, or so many times a period when
/// `institutionSpecified`) and event timing from an EIVL_TS (before meals, at bedtime).
fn timing(sa: Node<'_, '_>) -> Option<Value> {
    let mut repeat = serde_json::Map::new();
    let typed = |ty: &'static str| {
        children(sa, "effectiveTime").filter(move |e| {
            attr_local(*e, "type").is_some_and(|t| t.rsplit(':').next() == Some(ty))
        })
    };
    for pivl in typed("PIVL_TS") {
        let Some(period) = child(pivl, "period") else {
            continue;
        };
        let (Some(number), Some(unit)) = (
            attr(period, "value").and_then(|v| v.trim().parse::<serde_json::Number>().ok()),
            attr(period, "unit"),
        ) else {
            continue;
        };
        let value = number.as_f64().unwrap_or(0.0);
        if !["s", "min", "h", "d", "wk", "mo", "a"].contains(&unit) || value <= 0.0 {
            continue;
        }
        let per_day = 24.0 / value;
        if attr(pivl, "institutionSpecified") == Some("true")
            && unit == "h"
            && per_day.fract() == 0.0
        {
            // "every 8 hours, at times the institution sets" is "3 times a day".
            repeat.insert("frequency".into(), json!(per_day as u32));
            repeat.insert("period".into(), json!(1));
            repeat.insert("periodUnit".into(), json!("d"));
        } else {
            repeat.insert("frequency".into(), json!(1));
            repeat.insert("period".into(), Value::Number(number));
            repeat.insert("periodUnit".into(), json!(unit));
        }
        break;
    }
    let events: Vec<Value> = typed("EIVL_TS")
        .filter_map(|e| child(e, "event").and_then(|ev| attr(ev, "code")))
        .filter(|c| EVENT_TIMING.contains(c))
        .map(|c| json!(c))
        .collect();
    if !events.is_empty() {
        repeat.insert("when".into(), Value::Array(events));
    }
    (!repeat.is_empty()).then_some(Value::Object(repeat))
}

#[cfg(test)]
mod tests {
    use super::timing;
    use roxmltree::Document;
    use serde_json::json;

    fn timing_of(effective_times: &str) -> Option<serde_json::Value> {
        let xml = format!(
            r#"<substanceAdministration xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{effective_times}</substanceAdministration>"#
        );
        let doc = Document::parse(&xml).unwrap();
        timing(doc.root_element())
    }

    #[test]
    fn a_pivl_period_is_every_so_often_unless_the_institution_sets_the_times() {
        assert_eq!(
            timing_of(
                r#"<effectiveTime xsi:type="PIVL_TS"><period value="1" unit="wk"/></effectiveTime>"#
            ),
            Some(json!({ "frequency": 1, "period": 1, "periodUnit": "wk" }))
        );
        assert_eq!(
            timing_of(
                r#"<effectiveTime xsi:type="PIVL_TS" institutionSpecified="true"><period value="8" unit="h"/></effectiveTime>"#
            ),
            Some(json!({ "frequency": 3, "period": 1, "periodUnit": "d" }))
        );
        assert_eq!(
            timing_of(
                r#"<effectiveTime xsi:type="PIVL_TS"><period value="1" unit="fortnight"/></effectiveTime>"#
            ),
            None
        );
    }

    #[test]
    fn eivl_events_become_when_codes() {
        assert_eq!(
            timing_of(
                r#"<effectiveTime xsi:type="EIVL_TS"><event code="HS"/></effectiveTime><effectiveTime xsi:type="EIVL_TS"><event code="NOPE"/></effectiveTime>"#
            ),
            Some(json!({ "when": ["HS"] }))
        );
    }
}
