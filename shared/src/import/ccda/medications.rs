//! Medication Activity → MedicationStatement (what the patient takes or took), and a
//! Planned Medication Activity → MedicationRequest with intent `plan`.

use super::CdaContext;
use super::datatypes::{
    When, attr_local, codeable_concept, concept_at, effective, quantity, status_code,
};
use super::xml::{attr, child, children};
use roxmltree::Node;
use serde_json::{Value, json};

const PRODUCT_CODE: &[&str] = &[
    "consumable",
    "manufacturedProduct",
    "manufacturedMaterial",
    "code",
];

pub(crate) fn medication_statement(sa: Node<'_, '_>, ctx: &CdaContext) -> Value {
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
    r["medicationCodeableConcept"] = medication(sa);
    match effective(sa) {
        Some(w @ When::Period(_)) | Some(w @ When::At(_)) => w.set(&mut r, "effective"),
        None => {}
    }
    if let Some(d) = dosage(sa) {
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
    r["medicationCodeableConcept"] = medication(sa);
    if let Some(d) = dosage(sa) {
        r["dosageInstruction"] = json!([d]);
    }
    r
}

/// The product code (RxNorm in C-CDA), or a text saying it was not coded.
pub(crate) fn medication(sa: Node<'_, '_>) -> Value {
    concept_at(sa, PRODUCT_CODE)
        .or_else(|| {
            super::xml::path(
                sa,
                &[
                    "consumable",
                    "manufacturedProduct",
                    "manufacturedMaterial",
                    "name",
                ],
            )
            .and_then(super::xml::text)
            .map(|t| json!({ "text": t }))
        })
        .unwrap_or_else(|| json!({ "text": "Medication (not coded in the source document)" }))
}

fn dosage(sa: Node<'_, '_>) -> Option<Value> {
    let mut d = json!({});
    if let Some(dose) = child(sa, "doseQuantity").and_then(quantity) {
        d["doseAndRate"] = json!([{ "doseQuantity": dose }]);
    }
    if let Some(route) = child(sa, "routeCode").and_then(codeable_concept) {
        d["route"] = route;
    }
    // A PIVL_TS effectiveTime is the frequency ("every 8 hours").
    let period = children(sa, "effectiveTime")
        .find(|e| attr_local(*e, "type") == Some("PIVL_TS"))
        .and_then(|pivl| child(pivl, "period"))
        .and_then(|p| Some((attr(p, "value")?.parse::<f64>().ok()?, attr(p, "unit")?)));
    if let Some((value, unit)) = period
        && ["h", "d", "min", "wk", "mo"].contains(&unit)
    {
        d["timing"] = json!({ "repeat": { "frequency": 1, "period": value, "periodUnit": unit } });
    }
    (d.as_object().is_some_and(|o| !o.is_empty())).then_some(d)
}
