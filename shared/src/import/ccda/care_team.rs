//! Care Team Organizer → CareTeam: each Care Team Member Act's performer becomes a
//! participant, named, with its function (PCP, care coordinator…) or specialty as role.

use super::CdaContext;
use super::datatypes::{codeable_concept, effective, entry_concept, status_code, when};
use super::participants::person_name;
use super::xml::{child, children, has_template, path, text};
use roxmltree::Node;
use serde_json::{Value, json};

const MEMBER_ACT: &str = "2.16.840.1.113883.10.20.22.4.500.1";

pub(crate) fn care_team(organizer: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("CareTeam", organizer, "subject");
    r["status"] = json!(match status_code(organizer) {
        Some("completed") => "inactive",
        Some("suspended") => "suspended",
        _ => "active",
    });
    if let Some(name) = entry_concept(child(organizer, "code"), organizer, &ctx.narrative)
        .and_then(|c| c["text"].as_str().map(str::to_string))
    {
        r["name"] = json!(name);
    }
    if let Some(w) = effective(organizer) {
        r["period"] = w.into_period();
    }
    let participants: Vec<Value> = children(organizer, "component")
        .filter_map(|c| child(c, "act"))
        .filter(|a| has_template(*a, &[MEMBER_ACT]))
        .filter_map(|act| member(act, ctx))
        .collect();
    if !participants.is_empty() {
        r["participant"] = Value::Array(participants);
    }
    r
}

fn member(act: Node<'_, '_>, ctx: &CdaContext) -> Option<Value> {
    let performer = child(act, "performer")?;
    let entity = child(performer, "assignedEntity")?;
    let name = path(entity, &["assignedPerson", "name"])
        .and_then(person_name)
        .or_else(|| path(entity, &["representedOrganization", "name"]).and_then(text))?;
    let mut p = json!({ "member": { "display": name } });
    let role = child(performer, "functionCode")
        .or_else(|| child(entity, "code"))
        .and_then(|c| codeable_concept(c, &ctx.narrative));
    if let Some(role) = role {
        p["role"] = json!([role]);
    }
    if let Some(org) = path(entity, &["representedOrganization", "name"]).and_then(text)
        && path(entity, &["assignedPerson", "name"]).is_some()
    {
        p["onBehalfOf"] = json!({ "display": org });
    }
    if let Some(period) = child(act, "effectiveTime").and_then(when) {
        p["period"] = period.into_period();
    }
    Some(p)
}
