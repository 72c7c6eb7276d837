//! Clinical notes as DocumentReferences with their text as a `text/plain` attachment: a
//! Note Activity, and the narrative of sections whose narrative is itself the content
//! (Hospital Course, Reason for Referral, Discharge Instructions).

use super::CdaContext;
use super::datatypes::{codeable_concept, effective};
use super::narrative::plain_text;
use super::participants::{author_name, authored_at, display_reference};
use super::xml::{attr, child, text};
use base64::Engine;
use roxmltree::Node;
use serde_json::{Value, json};

/// A Note Activity (`act` with template 2.16.840.1.113883.10.20.22.4.202).
pub(crate) fn note_activity(act: Node<'_, '_>, ctx: &CdaContext) -> Value {
    let mut r = ctx.resource("DocumentReference", act, "subject");
    r["status"] = json!("current");
    if let Some(code) = child(act, "code").and_then(|c| codeable_concept(c, &ctx.narrative)) {
        r["type"] = code;
    }
    let body = child(act, "text").and_then(|t| ctx.narrative.resolve(t));
    let date = authored_at(act).or_else(|| effective(act).and_then(|w| w.start()));
    if let Some(d) = &date {
        r["date"] = json!(d);
    }
    if let Some(author) = author_name(act) {
        r["author"] = json!([display_reference(author)]);
    }
    let title = r["type"]["text"].as_str().unwrap_or("Note").to_string();
    r["description"] = json!(title);
    r["content"] = json!([attachment(body.as_deref().unwrap_or(""), &title, date)]);
    r
}

/// The narrative of a section kept as a note; None when the narrative is blank.
pub(crate) fn section_note(section: Node<'_, '_>, ctx: &CdaContext) -> Option<Value> {
    let body = child(section, "text").and_then(plain_text)?;
    let mut r = ctx.resource("DocumentReference", section, "subject");
    r["status"] = json!("current");
    let title = child(section, "title")
        .and_then(text)
        .unwrap_or_else(|| "Note".to_string());
    if let Some(code) = child(section, "code")
        .filter(|c| attr(*c, "code").is_some())
        .and_then(|c| codeable_concept(c, &ctx.narrative))
    {
        r["type"] = code;
    }
    r["description"] = json!(title);
    if let Some(date) = &ctx.document_date {
        r["date"] = json!(date);
    }
    r["content"] = json!([attachment(&body, &title, ctx.document_date.clone())]);
    Some(r)
}

fn attachment(body: &str, title: &str, creation: Option<String>) -> Value {
    let mut a = json!({
        "contentType": "text/plain; charset=utf-8",
        "data": base64::engine::general_purpose::STANDARD.encode(body.as_bytes()),
        "title": title,
    });
    if let Some(c) = creation {
        a["creation"] = json!(c);
    }
    json!({ "attachment": a })
}
