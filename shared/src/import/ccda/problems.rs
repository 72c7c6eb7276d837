//! Problem Observation (inside a Problem Concern Act) → Condition.
//!
//! The problem itself is the observation's `value`; its `code` only says "problem" or
//! "diagnosis". Clinical status comes from the Problem Status observation when present,
//! else from the time interval: an end date means resolved.

use super::CdaContext;
use super::datatypes::{codeable_concept, effective, status_code};
use super::xml::{attr, child, children, has_template};
use roxmltree::Node;
use serde_json::{Value, json};

const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CONDITION_VER: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
const PROBLEM_STATUS: &[&str] = &[
    "2.16.840.1.113883.10.20.22.4.6",
    "2.16.840.1.113883.10.20.1.50",
];

pub(crate) fn condition(obs: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("Condition", obs, "subject");
    r["category"] =
        json!([{ "coding": [{ "system": CONDITION_CATEGORY, "code": "problem-list-item" }] }]);
    let code = child(obs, "value").and_then(codeable_concept);
    let negated = attr(obs, "negationInd") == Some("true");
    r["code"] =
        code.unwrap_or_else(|| json!({ "text": "Problem (not coded in the source document)" }));
    let when = effective(obs);
    let status_from_obs = children(obs, "entryRelationship")
        .filter_map(|er| child(er, "observation"))
        .find(|o| has_template(*o, PROBLEM_STATUS))
        .and_then(|o| child(o, "value"))
        .and_then(|v| attr(v, "code"))
        .map(|code| match code {
            "55561003" => "active",
            "73425007" => "inactive",
            "413322009" => "resolved",
            _ => "active",
        });
    let concern_completed = obs
        .ancestors()
        .skip(1)
        .find(|a| a.tag_name().name() == "act")
        .is_some_and(|act| status_code(act) == Some("completed"));
    let clinical = status_from_obs.unwrap_or(
        if when.as_ref().is_some_and(|w| w.end().is_some()) || concern_completed {
            "resolved"
        } else {
            "active"
        },
    );
    if !negated {
        r["clinicalStatus"] =
            json!({ "coding": [{ "system": CONDITION_CLINICAL, "code": clinical }] });
    }
    let verification = if negated { "refuted" } else { "confirmed" };
    r["verificationStatus"] =
        json!({ "coding": [{ "system": CONDITION_VER, "code": verification }] });
    if let Some(w) = when {
        if let Some(start) = w.start() {
            r["onsetDateTime"] = json!(start);
        }
        if let Some(end) = w.end() {
            r["abatementDateTime"] = json!(end);
        }
    }
    r
}
