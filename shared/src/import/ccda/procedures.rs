//! Procedure Activity (procedure, observation or act flavour) → Procedure.

use super::CdaContext;
use super::datatypes::{codeable_concept, effective, entry_concept, status_code};
use super::participants::{display_reference, performer_name};
use super::xml::{attr, child, children};
use roxmltree::Node;
use serde_json::{Value, json};

pub(crate) fn procedure(node: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("Procedure", node, "subject");
    r["status"] = json!(if attr(node, "negationInd") == Some("true") {
        "not-done"
    } else {
        match status_code(node) {
            Some("completed") => "completed",
            Some("active") => "in-progress",
            Some("aborted") => "stopped",
            Some("cancelled") => "not-done",
            Some("new") => "preparation",
            _ => "unknown",
        }
    });
    r["code"] = entry_concept(child(node, "code"), node, &ctx.narrative)
        .unwrap_or_else(|| json!({ "text": "Procedure (not named in the source document)" }));
    if let Some(w) = effective(node) {
        w.set(&mut r, "performed");
    }
    let sites: Vec<Value> = children(node, "targetSiteCode")
        .filter_map(|c| codeable_concept(c, &ctx.narrative))
        .collect();
    if !sites.is_empty() {
        r["bodySite"] = Value::Array(sites);
    }
    if let Some(who) = performer_name(node) {
        r["performer"] = json!([{ "actor": display_reference(who) }]);
    }
    r
}
