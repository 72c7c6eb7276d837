//! Problem Observation (inside a Problem Concern Act, or an Admission / Discharge
//! Diagnosis act) → Condition; Health Concern Act → Condition with category
//! health-concern.
//!
//! The problem itself is the observation's `value`; its `code` only says "problem" or
//! "diagnosis". Clinical status comes from the Problem Status observation when present,
//! else from the time interval: an end date means resolved.

use super::CdaContext;
use super::datatypes::{When, effective, entry_concept, is_placeholder, status_code};
use super::participants::{author_name, authored_at, display_reference, performer_name};
use super::xml::{attr, child, children, has_template};
use roxmltree::Node;
use serde_json::{Value, json};

const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CONDITION_VER: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
const US_CORE_CATEGORY: &str = "http://hl7.org/fhir/us/core/CodeSystem/condition-category";
const DIAGNOSIS_ACTS: &[&str] = &[
    "2.16.840.1.113883.10.20.22.4.33",
    "2.16.840.1.113883.10.20.22.4.34",
];
const PROBLEM_STATUS: &[&str] = &[
    "2.16.840.1.113883.10.20.22.4.6",
    "2.16.840.1.113883.10.20.1.50",
];

/// Which list a Condition belongs to (`Condition.category`).
#[derive(Clone, Copy)]
pub(crate) enum ConditionCategory {
    ProblemListItem,
    EncounterDiagnosis,
    HealthConcern,
}

impl ConditionCategory {
    fn coding(self) -> Value {
        match self {
            ConditionCategory::ProblemListItem => {
                json!({ "system": CONDITION_CATEGORY, "code": "problem-list-item" })
            }
            ConditionCategory::EncounterDiagnosis => {
                json!({ "system": CONDITION_CATEGORY, "code": "encounter-diagnosis" })
            }
            ConditionCategory::HealthConcern => {
                json!({ "system": US_CORE_CATEGORY, "code": "health-concern" })
            }
        }
    }
}

pub(crate) fn condition(
    node: Node<'_, '_>,
    ctx: &CdaContext,
    category: ConditionCategory,
) -> Value {
    let mut r = ctx.resource("Condition", node, "subject");
    r["category"] = json!([{ "coding": [category.coding()] }]);
    let negated = attr(node, "negationInd") == Some("true");
    let code = match category {
        ConditionCategory::HealthConcern => health_concern_name(node, ctx),
        _ => entry_concept(child(node, "value"), node, &ctx.narrative),
    };
    let mut code =
        code.unwrap_or_else(|| json!({ "text": "Problem (not named in the source document)" }));
    // A negated generic "Problem" is how C-CDA says the patient has no known problems.
    let generic = code["text"]
        .as_str()
        .is_none_or(|t| is_placeholder(t, None) || t.ends_with("in the source document)"));
    if negated && generic {
        code["text"] = json!("No known problems");
    }
    r["code"] = code;
    let when = effective(node);
    let clinical = problem_status(node).unwrap_or_else(|| implied_status(node, when.as_ref()));
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
    if let Some(at) = authored_at(node) {
        r["recordedDate"] = json!(at);
    }
    if let Some(author) = author_name(node) {
        r["recorder"] = display_reference(author);
    }
    if let Some(performer) = performer_name(node) {
        r["asserter"] = display_reference(performer);
    }
    r
}

/// A Health Concern Act names its concern through the observations inside it (a Problem
/// Observation's value first), else through its own narrative text.
fn health_concern_name(act: Node<'_, '_>, ctx: &CdaContext) -> Option<Value> {
    let observations: Vec<Node> = children(act, "entryRelationship")
        .filter_map(|er| child(er, "observation"))
        .collect();
    let problem = observations
        .iter()
        .find(|o| has_template(**o, &["2.16.840.1.113883.10.20.22.4.4"]));
    problem
        .into_iter()
        .chain(observations.iter())
        .find_map(|o| entry_concept(child(*o, "value"), *o, &ctx.narrative))
        .or_else(|| {
            child(act, "text")
                .and_then(|t| ctx.narrative.resolve(t))
                .map(|t| json!({ "text": t }))
        })
}

fn problem_status(node: Node<'_, '_>) -> Option<&'static str> {
    let code = children(node, "entryRelationship")
        .filter_map(|er| child(er, "observation"))
        .find(|o| has_template(*o, PROBLEM_STATUS))
        .and_then(|o| child(o, "value"))
        .and_then(|v| attr(v, "code"))?;
    Some(match code {
        "55561003" => "active",
        "73425007" => "inactive",
        "413322009" => "resolved",
        _ => "active",
    })
}

/// Without a Problem Status: an end date, or a completed concern (the act around the
/// observation, or the Health Concern Act itself), means resolved. An admission or
/// discharge diagnosis act is "completed" once recorded; that says nothing of the problem.
fn implied_status(node: Node<'_, '_>, when: Option<&When>) -> &'static str {
    let concern_completed = node
        .ancestors()
        .find(|a| a.tag_name().name() == "act")
        .filter(|act| !has_template(*act, DIAGNOSIS_ACTS))
        .is_some_and(|act| status_code(act) == Some("completed"));
    if when.is_some_and(|w| w.end().is_some()) || concern_completed {
        "resolved"
    } else {
        "active"
    }
}
