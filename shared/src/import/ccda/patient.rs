//! recordTarget/patientRole → Patient, and the document's author organisation, which is
//! the provider when the user named none.

use super::datatypes::date_time;
use super::xml::{attr, child, children, path, text};
use roxmltree::Node;
use serde_json::{Map, Value, json};

pub(crate) fn patient(role: Node<'_, '_>, id: &str) -> Value {
    let mut r = json!({ "resourceType": "Patient", "id": id });
    let identifiers: Vec<Value> = children(role, "id").filter_map(identifier).collect();
    if !identifiers.is_empty() {
        r["identifier"] = Value::Array(identifiers);
    }
    let person = child(role, "patient");
    if let Some(person) = person {
        let names: Vec<Value> = children(person, "name").filter_map(human_name).collect();
        if !names.is_empty() {
            r["name"] = Value::Array(names);
        }
        if let Some(g) = child(person, "administrativeGenderCode").and_then(|g| attr(g, "code")) {
            r["gender"] = json!(match g {
                "M" => "male",
                "F" => "female",
                "UN" => "other",
                _ => "unknown",
            });
        }
        if let Some(b) = child(person, "birthTime")
            .and_then(|b| attr(b, "value"))
            .and_then(date_time)
        {
            r["birthDate"] = json!(b.get(..10).unwrap_or(&b));
        }
    }
    let addresses: Vec<Value> = children(role, "addr").filter_map(address).collect();
    if !addresses.is_empty() {
        r["address"] = Value::Array(addresses);
    }
    let telecoms: Vec<Value> = children(role, "telecom").filter_map(telecom).collect();
    if !telecoms.is_empty() {
        r["telecom"] = Value::Array(telecoms);
    }
    r
}

/// A CDA `id` (II) as a FHIR Identifier: `root` alone is itself the identifier (an OID or
/// UUID); `root` + `extension` is a value in the namespace `root`.
pub(crate) fn identifier(id: Node<'_, '_>) -> Option<Value> {
    let root = attr(id, "root")?;
    let as_uri = |r: &str| {
        if r.contains('-') {
            format!("urn:uuid:{}", r.to_ascii_lowercase())
        } else {
            format!("urn:oid:{r}")
        }
    };
    Some(match attr(id, "extension") {
        Some(ext) => json!({ "system": as_uri(root), "value": ext }),
        None => json!({ "system": "urn:ietf:rfc:3986", "value": as_uri(root) }),
    })
}

fn human_name(name: Node<'_, '_>) -> Option<Value> {
    let mut n = Map::new();
    let given: Vec<Value> = children(name, "given")
        .filter_map(text)
        .map(Value::String)
        .collect();
    if !given.is_empty() {
        n.insert("given".into(), Value::Array(given));
    }
    if let Some(f) = child(name, "family").and_then(text) {
        n.insert("family".into(), json!(f));
    }
    for (cda, fhir) in [("prefix", "prefix"), ("suffix", "suffix")] {
        let v: Vec<Value> = children(name, cda)
            .filter_map(text)
            .map(Value::String)
            .collect();
        if !v.is_empty() {
            n.insert(fhir.into(), Value::Array(v));
        }
    }
    if n.is_empty() {
        n.insert("text".into(), json!(text(name)?));
    }
    if attr(name, "use") == Some("L") {
        n.insert("use".into(), json!("official"));
    }
    Some(Value::Object(n))
}

fn address(addr: Node<'_, '_>) -> Option<Value> {
    let mut a = Map::new();
    let lines: Vec<Value> = children(addr, "streetAddressLine")
        .filter_map(text)
        .map(Value::String)
        .collect();
    if !lines.is_empty() {
        a.insert("line".into(), Value::Array(lines));
    }
    for (cda, fhir) in [
        ("city", "city"),
        ("state", "state"),
        ("postalCode", "postalCode"),
        ("country", "country"),
    ] {
        if let Some(v) = child(addr, cda).and_then(text) {
            a.insert(fhir.into(), json!(v));
        }
    }
    (!a.is_empty()).then_some(Value::Object(a))
}

fn telecom(t: Node<'_, '_>) -> Option<Value> {
    let value = attr(t, "value")?;
    let (system, v) = if let Some(v) = value.strip_prefix("tel:") {
        ("phone", v)
    } else if let Some(v) = value.strip_prefix("mailto:") {
        ("email", v)
    } else if let Some(v) = value.strip_prefix("fax:") {
        ("fax", v)
    } else {
        ("other", value)
    };
    Some(json!({ "system": system, "value": v.trim() }))
}

/// The organisation that holds or wrote the document: custodian first, then the
/// author's organisation.
pub(crate) fn document_organization(root: Node<'_, '_>) -> Option<String> {
    path(
        root,
        &[
            "custodian",
            "assignedCustodian",
            "representedCustodianOrganization",
            "name",
        ],
    )
    .and_then(text)
    .or_else(|| {
        children(root, "author").find_map(|a| {
            path(a, &["assignedAuthor", "representedOrganization", "name"]).and_then(text)
        })
    })
}
