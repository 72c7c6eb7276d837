//! Encounter Activity → Encounter. C-CDA codes the encounter's type (CPT, SNOMED), not
//! FHIR's required `class`; rather than guess ambulatory or inpatient, the class says
//! unknown (v3 NullFlavor UNK) and the code goes to `type`.

use super::CdaContext;
use super::datatypes::{effective, entry_concept, status_code};
use super::participants::{display_reference, performer_name};
use super::xml::child;
use roxmltree::Node;
use serde_json::{Value, json};

pub(crate) fn encounter(enc: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("Encounter", enc, "subject");
    let when = effective(enc);
    let finished =
        status_code(enc) == Some("completed") || when.as_ref().is_some_and(|w| w.end().is_some());
    r["status"] = json!(match status_code(enc) {
        Some("active") => "in-progress",
        Some("cancelled") | Some("aborted") => "cancelled",
        _ if finished => "finished",
        _ => "unknown",
    });
    r["class"] = json!({ "system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "UNK", "display": "unknown" });
    if let Some(code) = entry_concept(child(enc, "code"), enc, &ctx.narrative) {
        r["type"] = json!([code]);
    }
    if let Some(who) = performer_name(enc) {
        r["participant"] = json!([{ "individual": display_reference(who) }]);
    }
    match when {
        Some(super::datatypes::When::At(t)) => r["period"] = json!({ "start": t }),
        Some(super::datatypes::When::Period(p)) => r["period"] = p,
        None => {}
    }
    r
}
