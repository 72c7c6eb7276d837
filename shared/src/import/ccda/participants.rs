//! Who did or said something: the names of an entry's authors and performers, as FHIR
//! display-only references (C-CDA rarely gives enough to build a Practitioner resource,
//! and a display is what a reader shows).

use super::xml::{child, children, path, text};
use roxmltree::Node;
use serde_json::{Value, json};

/// A person's name as one line: prefix, given names, family name, suffix; else the
/// name's plain text.
pub(crate) fn person_name(name: Node<'_, '_>) -> Option<String> {
    let parts: Vec<String> = ["prefix", "given", "family", "suffix"]
        .iter()
        .flat_map(|part| children(name, part).filter_map(text))
        .collect();
    if parts.is_empty() {
        return text(name);
    }
    Some(parts.join(" "))
}

/// The name of the person (else the organisation) an `assignedAuthor` or
/// `assignedEntity` stands for.
fn assigned_name(assigned: Node<'_, '_>) -> Option<String> {
    path(assigned, &["assignedPerson", "name"])
        .and_then(person_name)
        .or_else(|| path(assigned, &["representedOrganization", "name"]).and_then(text))
}

/// The first author of an entry that names a person or organisation.
pub(crate) fn author_name(node: Node<'_, '_>) -> Option<String> {
    children(node, "author")
        .filter_map(|a| child(a, "assignedAuthor"))
        .find_map(assigned_name)
}

/// The first performer of an entry that names a person or organisation.
pub(crate) fn performer_name(node: Node<'_, '_>) -> Option<String> {
    children(node, "performer")
        .filter_map(|p| child(p, "assignedEntity"))
        .find_map(assigned_name)
}

/// A display-only reference.
pub(crate) fn display_reference(name: String) -> Value {
    json!({ "display": name })
}

/// When the first author wrote the entry (`author/time`).
pub(crate) fn authored_at(node: Node<'_, '_>) -> Option<String> {
    children(node, "author")
        .filter_map(|a| child(a, "time"))
        .find_map(|t| super::xml::attr(t, "value"))
        .and_then(super::datatypes::date_time)
}
