//! Immunization Activity → Immunization (vaccine code is CVX in C-CDA).

use super::CdaContext;
use super::datatypes::{codeable_concept, effective, entry_concept, quantity, status_code};
use super::participants::{display_reference, performer_name};
use super::xml::{attr, child, path, text};
use roxmltree::Node;
use serde_json::{Value, json};

pub(crate) fn immunization(sa: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("Immunization", sa, "patient");
    let not_done = attr(sa, "negationInd") == Some("true");
    r["status"] = json!(if not_done {
        "not-done"
    } else {
        match status_code(sa) {
            Some("aborted") | Some("cancelled") => "not-done",
            _ => "completed",
        }
    });
    let code = path(
        sa,
        &[
            "consumable",
            "manufacturedProduct",
            "manufacturedMaterial",
            "code",
        ],
    );
    r["vaccineCode"] = entry_concept(code, sa, &ctx.narrative)
        .unwrap_or_else(|| json!({ "text": "Vaccine (not named in the source document)" }));
    // occurrence[x] is required: an undated immunization keeps that fact as text.
    match effective(sa).and_then(|w| w.start()) {
        Some(t) => r["occurrenceDateTime"] = json!(t),
        None => r["occurrenceString"] = json!("unknown date"),
    }
    if let Some(lot) = path(
        sa,
        &[
            "consumable",
            "manufacturedProduct",
            "manufacturedMaterial",
            "lotNumberText",
        ],
    )
    .and_then(text)
    {
        r["lotNumber"] = json!(lot);
    }
    if let Some(dose) = child(sa, "doseQuantity").and_then(quantity) {
        r["doseQuantity"] = dose;
    }
    if let Some(route) = child(sa, "routeCode").and_then(|c| codeable_concept(c, &ctx.narrative)) {
        r["route"] = route;
    }
    if let Some(who) = performer_name(sa) {
        r["performer"] = json!([{ "actor": display_reference(who) }]);
    }
    r
}
