//! Allergy - Intolerance Observation (inside an Allergy Concern Act) → AllergyIntolerance.
//!
//! The allergen is the participant's `playingEntity/code`; the observation's `value` says
//! what kind of reaction it is (drug allergy, food intolerance…), which gives FHIR's
//! `type` and `category`. Reactions and their severity come from nested observations.

use super::CdaContext;
use super::datatypes::{codeable_concept, effective, entry_concept};
use super::participants::{author_name, authored_at, display_reference};
use super::xml::{attr, child, children, has_template, path};
use crate::fhir::code_systems::SNOMED;
use roxmltree::Node;
use serde_json::{Value, json};

const CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
const VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
const REACTION: &[&str] = &[
    "2.16.840.1.113883.10.20.22.4.9",
    "2.16.840.1.113883.10.20.1.54",
];
const SEVERITY: &[&str] = &[
    "2.16.840.1.113883.10.20.22.4.8",
    "2.16.840.1.113883.10.20.1.55",
];

pub(crate) fn allergy(obs: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("AllergyIntolerance", obs, "patient");
    let negated = attr(obs, "negationInd") == Some("true");
    let allergen = allergen(obs, ctx);
    let kind = child(obs, "value")
        .and_then(|v| attr(v, "code"))
        .unwrap_or_default();
    match (negated, allergen) {
        // "No known allergies": FHIR codes the absence as a SNOMED situation.
        (true, None) => {
            r["code"] = json!({ "coding": [{ "system": SNOMED, "code": "716186003", "display": "No known allergy" }] });
            r["verificationStatus"] = verification("confirmed");
        }
        (true, Some(code)) => {
            r["code"] = code;
            r["verificationStatus"] = verification("refuted");
        }
        (false, code) => {
            if let Some(code) = code {
                r["code"] = code;
            } else if let Some(v) =
                child(obs, "value").and_then(|v| codeable_concept(v, &ctx.narrative))
            {
                r["code"] = v;
            }
            r["verificationStatus"] = verification("confirmed");
            let when = effective(obs);
            let ended = when.as_ref().is_some_and(|w| w.end().is_some());
            let active = allergy_status(obs).unwrap_or(if ended { "resolved" } else { "active" });
            r["clinicalStatus"] = json!({ "coding": [{ "system": CLINICAL, "code": active }] });
            if let Some(start) = when.and_then(|w| w.start()) {
                r["onsetDateTime"] = json!(start);
            }
        }
    }
    let (ty, category) = match kind {
        "419511003" | "416098002" | "59037007" => ("allergy", Some("medication")),
        "414285001" | "235719002" => ("allergy", Some("food")),
        "426232007" | "232347008" => ("allergy", Some("environment")),
        "420134006" | "418471000" | "418038007" => ("intolerance", None),
        _ => ("", None),
    };
    if !ty.is_empty() {
        r["type"] = json!(ty);
    }
    if let Some(c) = category {
        r["category"] = json!([c]);
    }
    let reactions: Vec<Value> = children(obs, "entryRelationship")
        .filter_map(|er| child(er, "observation"))
        .filter(|o| has_template(*o, REACTION))
        .filter_map(|o| {
            let manifestation = entry_concept(child(o, "value"), o, &ctx.narrative)?;
            let mut reaction = json!({ "manifestation": [manifestation] });
            if let Some(sev) = severity(o).or_else(|| severity(obs)) {
                reaction["severity"] = json!(sev);
            }
            Some(reaction)
        })
        .collect();
    if !reactions.is_empty() {
        r["reaction"] = Value::Array(reactions);
    }
    if let Some(at) = authored_at(obs) {
        r["recordedDate"] = json!(at);
    }
    if let Some(author) = author_name(obs) {
        r["recorder"] = display_reference(author);
    }
    r
}

/// The substance: its code named by displayName or originalText, else the entity's
/// `name`, else the entry's narrative text, else its code system and code.
fn allergen(obs: Node<'_, '_>, ctx: &CdaContext) -> Option<Value> {
    let entity = path(obs, &["participant", "participantRole", "playingEntity"]);
    let code = entity.and_then(|e| child(e, "code"));
    let by_code = code.and_then(|c| codeable_concept(c, &ctx.narrative));
    if by_code.as_ref().is_some_and(|c| c.get("text").is_some()) {
        return by_code;
    }
    if let Some(name) = entity
        .and_then(|e| child(e, "name"))
        .and_then(super::xml::text)
    {
        let mut cc = by_code.unwrap_or_else(|| json!({}));
        cc["text"] = json!(name);
        return Some(cc);
    }
    entry_concept(code, obs, &ctx.narrative)
}

fn verification(code: &str) -> Value {
    json!({ "coding": [{ "system": VERIFICATION, "code": code }] })
}

fn allergy_status(obs: Node<'_, '_>) -> Option<&'static str> {
    let code = children(obs, "entryRelationship")
        .filter_map(|er| child(er, "observation"))
        .find(|o| {
            has_template(
                *o,
                &[
                    "2.16.840.1.113883.10.20.22.4.28",
                    "2.16.840.1.113883.10.20.1.39",
                ],
            )
        })
        .and_then(|o| child(o, "value"))
        .and_then(|v| attr(v, "code"))?;
    Some(match code {
        "55561003" => "active",
        "73425007" => "inactive",
        "413322009" => "resolved",
        _ => "active",
    })
}

fn severity(obs: Node<'_, '_>) -> Option<&'static str> {
    let code = children(obs, "entryRelationship")
        .filter_map(|er| child(er, "observation"))
        .find(|o| has_template(*o, SEVERITY))
        .and_then(|o| child(o, "value"))
        .and_then(|v| attr(v, "code"))?;
    match code {
        "255604002" => Some("mild"),
        "6736007" | "371923003" => Some("moderate"),
        "24484000" | "399166001" | "371924009" => Some("severe"),
        _ => None,
    }
}
