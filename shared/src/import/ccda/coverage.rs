//! Payers: Policy Activity (inside a Coverage Activity) → Coverage. The payer is the
//! performer's organisation, the member and subscriber ids the covered party's and
//! policy holder's ids, the coverage type the policy's code.

use super::CdaContext;
use super::datatypes::{codeable_concept, status_code, when};
use super::xml::{attr, child, children, path, text};
use roxmltree::Node;
use serde_json::{Value, json};

const RELATIONSHIP: &str = "http://terminology.hl7.org/CodeSystem/subscriber-relationship";
const PAYER_PERFORMER: &str = "2.16.840.1.113883.10.20.22.4.87";

pub(crate) fn coverage(policy: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("Coverage", policy, "beneficiary");
    r["status"] = json!(match status_code(policy) {
        Some("cancelled") | Some("aborted") | Some("nullified") => "cancelled",
        _ => "active",
    });
    if let Some(ty) = child(policy, "code").and_then(|c| codeable_concept(c, &ctx.narrative)) {
        r["type"] = ty;
    }
    // payor is required: the payer performer (template 22.4.87, else any performer).
    let performers: Vec<Node> = children(policy, "performer").collect();
    let payer = performers
        .iter()
        .find(|p| super::xml::has_template(**p, &[PAYER_PERFORMER]))
        .or(performers.first())
        .and_then(|p| child(*p, "assignedEntity"));
    let payer_name = payer
        .and_then(|e| path(e, &["representedOrganization", "name"]).and_then(text))
        .or_else(|| payer.and_then(|e| path(e, &["assignedPerson", "name"]).and_then(text)))
        .unwrap_or_else(|| "Payer not named in the document".to_string());
    r["payor"] = json!([{ "display": payer_name }]);
    let covered = participant_role(policy, "COV");
    let holder = participant_role(policy, "HLD");
    if let Some(id) = holder.or(covered).and_then(member_id) {
        r["subscriberId"] = json!(id);
    }
    if let Some(holder_name) = holder
        .and_then(|h| path(h, &["playingEntity", "name"]))
        .and_then(super::participants::person_name)
    {
        r["subscriber"] = json!({ "display": holder_name });
    }
    if let Some(code) = covered
        .and_then(|c| child(c, "code"))
        .and_then(|c| attr(c, "code"))
    {
        r["relationship"] =
            json!({ "coding": [{ "system": RELATIONSHIP, "code": relationship(code) }] });
    }
    if let Some(period) = children(policy, "participant")
        .find(|p| attr(*p, "typeCode") == Some("COV"))
        .and_then(|p| child(p, "time"))
        .and_then(when)
    {
        r["period"] = period.into_period();
    }
    r
}

fn participant_role<'a, 'i>(policy: Node<'a, 'i>, type_code: &str) -> Option<Node<'a, 'i>> {
    children(policy, "participant")
        .find(|p| attr(*p, "typeCode") == Some(type_code))
        .and_then(|p| child(p, "participantRole"))
}

fn member_id(role: Node<'_, '_>) -> Option<String> {
    children(role, "id")
        .find_map(|id| attr(id, "extension"))
        .map(str::to_string)
}

/// HL7 v3 RoleCode (personal relationship) → FHIR subscriber-relationship.
fn relationship(code: &str) -> &'static str {
    match code {
        "SELF" => "self",
        "SPS" | "HUSB" | "WIFE" => "spouse",
        "DOMPART" | "SIGOTHR" => "common",
        "CHILD" | "SON" | "DAU" | "NCHILD" | "STPCHLD" | "CHLDADOPT" | "CHLDFOST" => "child",
        "FTH" | "MTH" | "PRN" | "NPRN" => "parent",
        "INJ" => "injured",
        _ => "other",
    }
}
