//! Plan of Treatment / Goals: planned acts, encounters, procedures and observations →
//! ServiceRequest (intent from the moodCode); Goal Observation → Goal.

use super::CdaContext;
use super::datatypes::{effective, entry_concept, quantity, status_code};
use super::xml::{attr, child, text};
use roxmltree::Node;
use serde_json::{Value, json};

pub(crate) fn service_request(node: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("ServiceRequest", node, "subject");
    r["status"] = json!(match status_code(node) {
        Some("completed") => "completed",
        Some("cancelled") | Some("aborted") => "revoked",
        Some("suspended") | Some("held") => "on-hold",
        _ => "active",
    });
    r["intent"] = json!(match attr(node, "moodCode") {
        Some("RQO") => "order",
        Some("PRP") => "proposal",
        _ => "plan",
    });
    if let Some(code) = entry_concept(child(node, "code"), node, &ctx.narrative) {
        r["code"] = code;
    }
    if let Some(w) = effective(node) {
        w.set(&mut r, "occurrence");
    }
    r
}

pub(crate) fn goal(obs: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("Goal", obs, "subject");
    r["lifecycleStatus"] = json!(match status_code(obs) {
        Some("completed") => "completed",
        Some("cancelled") | Some("aborted") => "cancelled",
        _ => "active",
    });
    // description is required; the goal's code, else its value as text, else say so.
    r["description"] = entry_concept(child(obs, "code"), obs, &ctx.narrative)
        .or_else(|| {
            child(obs, "value")
                .and_then(text)
                .map(|t| json!({ "text": t }))
        })
        .unwrap_or_else(
            || json!({ "text": "Goal (not described in the source document's entries)" }),
        );
    if let Some(start) = effective(obs).and_then(|w| w.start()) {
        r["startDate"] = json!(start.get(..10).unwrap_or(&start));
    }
    if let Some(q) = child(obs, "value").and_then(quantity) {
        r["target"] = json!([{ "detailQuantity": q }]);
    }
    r
}
