//! Family History Organizer → FamilyMemberHistory: the relative (relationship, sex, birth,
//! deceased) and each Family History Observation as a condition, with its age at onset
//! and whether it caused the relative's death.

use super::CdaContext;
use super::datatypes::{codeable_concept, date_time, effective, entry_concept, quantity};
use super::xml::{attr, child, children, has_template, path};
use roxmltree::Node;
use serde_json::{Value, json};

const AGE_OBSERVATION: &[&str] = &[
    "2.16.840.1.113883.10.20.22.4.31",
    "2.16.840.1.113883.10.20.1.38",
];
const DEATH_OBSERVATION: &[&str] = &[
    "2.16.840.1.113883.10.20.22.4.47",
    "2.16.840.1.113883.10.20.1.42",
];

pub(crate) fn family_member_history(organizer: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("FamilyMemberHistory", organizer, "patient");
    r["status"] = json!("completed");
    let relative = path(organizer, &["subject", "relatedSubject"]);
    r["relationship"] = relative
        .and_then(|s| child(s, "code"))
        .and_then(|c| codeable_concept(c, &ctx.narrative))
        .unwrap_or_else(|| json!({ "text": "Family member (relationship not stated)" }));
    let person = relative.and_then(|s| child(s, "subject"));
    if let Some(g) = person
        .and_then(|p| child(p, "administrativeGenderCode"))
        .and_then(|g| attr(g, "code"))
    {
        let sex = match g {
            "M" => "male",
            "F" => "female",
            "UN" => "other",
            _ => "unknown",
        };
        r["sex"] = json!({ "coding": [{
            "system": "http://hl7.org/fhir/administrative-gender", "code": sex
        }] });
    }
    if let Some(born) = person
        .and_then(|p| child(p, "birthTime"))
        .and_then(|b| attr(b, "value"))
        .and_then(date_time)
    {
        r["bornDate"] = json!(born.get(..10).unwrap_or(&born));
    }
    if let Some(dead) = person
        .and_then(|p| child(p, "deceasedInd"))
        .and_then(|d| attr(d, "value"))
    {
        r["deceasedBoolean"] = json!(dead == "true");
    }
    let conditions: Vec<Value> = children(organizer, "component")
        .filter_map(|c| child(c, "observation"))
        .map(|obs| condition(obs, ctx))
        .collect();
    if !conditions.is_empty() {
        r["condition"] = Value::Array(conditions);
    }
    r
}

fn condition(obs: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let code = entry_concept(child(obs, "value"), obs, &ctx.narrative)
        .unwrap_or_else(|| json!({ "text": "Condition (not named in the source document)" }));
    let mut c = json!({ "code": code });
    let related = || {
        children(obs, "entryRelationship")
            .filter_map(|er| child(er, "observation"))
            .collect::<Vec<_>>()
    };
    let age = related()
        .into_iter()
        .find(|o| has_template(*o, AGE_OBSERVATION))
        .and_then(|o| child(o, "value"))
        .and_then(quantity);
    if let Some(mut age) = age {
        if age["unit"] == "a" {
            age["unit"] = json!("years");
            age["code"] = json!("a");
        }
        c["onsetAge"] = age;
    } else if let Some(start) = effective(obs).and_then(|w| w.start()) {
        c["onsetPeriod"] = json!({ "start": start });
    }
    if related()
        .into_iter()
        .any(|o| has_template(o, DEATH_OBSERVATION))
    {
        c["contributedToDeath"] = json!(true);
    }
    c
}
