//! Human-readable text of shared resources: the XHTML narrative of an IPS section, and
//! the names and values a preview or a table shows.
//!
//! Every string that came from a record goes through [`escape`]: a patient may type
//! `<` in a name, a source may send markup in a code's display, and a FHIR narrative
//! must be well-formed XHTML that a viewer can show without running anything. Characters
//! XML cannot carry at all (most control characters) are dropped.

use serde_json::{Value, json};

const XHTML: &str = "http://www.w3.org/1999/xhtml";

/// Escape text for XHTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A generated FHIR Narrative whose div holds `inner` (already XHTML).
pub(crate) fn narrative(inner: &str) -> Value {
    json!({
        "status": "generated",
        "div": format!("<div xmlns=\"{XHTML}\">{inner}</div>"),
    })
}

/// A paragraph of plain text.
pub(crate) fn paragraph(text: &str) -> String {
    format!("<p>{}</p>", escape(text))
}

/// A table of plain-text cells.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in headers {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{}</td>", escape(cell)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// What a CodeableConcept says to a person: its text, else a coding's display, else a
/// coding's code.
pub(crate) fn concept_text(concept: Option<&Value>) -> Option<String> {
    let concept = concept?;
    if let Some(t) = concept.get("text").and_then(Value::as_str)
        && !t.trim().is_empty()
    {
        return Some(t.to_string());
    }
    let codings = concept.get("coding").and_then(Value::as_array)?;
    codings
        .iter()
        .find_map(|c| c.get("display").and_then(Value::as_str))
        .or_else(|| {
            codings
                .iter()
                .find_map(|c| c.get("code").and_then(Value::as_str))
        })
        .map(str::to_string)
}

/// The first coding's code of a status CodeableConcept (`clinicalStatus`).
pub(crate) fn status_code(concept: Option<&Value>) -> Option<&str> {
    concept?
        .get("coding")?
        .as_array()?
        .iter()
        .find_map(|c| c.get("code").and_then(Value::as_str))
}

/// A person's name as one line: the official name, else the usual one, else the first.
pub(crate) fn human_name(person: &Value) -> Option<String> {
    let names = person.get("name").and_then(Value::as_array)?;
    let with_use = |u: &str| {
        names
            .iter()
            .find(|n| n.get("use").and_then(Value::as_str) == Some(u))
    };
    let name = with_use("official")
        .or_else(|| with_use("usual"))
        .or_else(|| names.first())?;
    if let Some(t) = name.get("text").and_then(Value::as_str)
        && !t.trim().is_empty()
    {
        return Some(t.to_string());
    }
    let mut parts: Vec<&str> = name
        .get("given")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if let Some(f) = name.get("family").and_then(Value::as_str) {
        parts.push(f);
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The date part of a FHIR date or dateTime, as written.
pub(crate) fn day_text(text: &str) -> String {
    text.split('T').next().unwrap_or(text).to_string()
}

/// A Quantity as "7.1 %", with its comparator.
pub(crate) fn quantity_text(q: &Value) -> Option<String> {
    let value = q.get("value").filter(|v| v.is_number())?.to_string();
    let comparator = q.get("comparator").and_then(Value::as_str).unwrap_or("");
    let unit = q
        .get("unit")
        .or_else(|| q.get("code"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Some(format!("{comparator}{value} {unit}").trim_end().to_string())
}

/// The `value[x]` of an Observation or one of its components, as text.
pub(crate) fn value_text(holder: &Value) -> Option<String> {
    if let Some(q) = holder.get("valueQuantity") {
        return quantity_text(q);
    }
    if let Some(c) = holder.get("valueCodeableConcept") {
        return concept_text(Some(c));
    }
    if let Some(r) = holder.get("valueRange") {
        let low = r.get("low").and_then(quantity_text).unwrap_or_default();
        let high = r.get("high").and_then(quantity_text).unwrap_or_default();
        return Some(format!("{low} – {high}"));
    }
    if let Some(r) = holder.get("valueRatio") {
        let n = r.get("numerator").and_then(quantity_text)?;
        let d = r.get("denominator").and_then(quantity_text)?;
        return Some(format!("{n} / {d}"));
    }
    for key in ["valueString", "valueDateTime", "valueTime"] {
        if let Some(s) = holder.get(key).and_then(Value::as_str) {
            return Some(s.to_string());
        }
    }
    for key in ["valueInteger", "valueBoolean"] {
        if let Some(v) = holder.get(key) {
            return Some(v.to_string());
        }
    }
    holder
        .get("dataAbsentReason")
        .and_then(|r| concept_text(Some(r)))
        .map(|r| format!("no value ({r})"))
}

/// An Observation's value, or its components' ("Systolic: 120 mmHg; Diastolic: 80 mmHg").
pub(crate) fn observation_value_text(observation: &Value) -> Option<String> {
    if let Some(v) = value_text(observation) {
        return Some(v);
    }
    let components: Vec<String> = observation
        .get("component")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let name = concept_text(c.get("code")).unwrap_or_default();
            Some(format!("{name}: {}", value_text(c)?))
        })
        .collect();
    (!components.is_empty()).then(|| components.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            escape("<b>Tom & \"Jerry\"</b>'\u{1}"),
            "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;&#39;"
        );
        let div = narrative(&table(&["a<"], &[vec!["x>y".into()]]));
        let text = div["div"].as_str().unwrap();
        let doc = roxmltree::Document::parse(text).unwrap();
        assert_eq!(doc.root_element().tag_name().namespace(), Some(XHTML));
        assert!(text.contains("<th>a&lt;</th>"));
    }

    #[test]
    fn names_and_values_read_as_people_write_them() {
        let p = json!({"name": [{"use": "old", "family": "Byron"},
            {"use": "official", "given": ["Ada", "King"], "family": "Lovelace"}]});
        assert_eq!(human_name(&p).as_deref(), Some("Ada King Lovelace"));
        let bp = json!({"component": [
            {"code": {"text": "Systolic"}, "valueQuantity": {"value": 120, "unit": "mmHg"}},
            {"code": {"text": "Diastolic"}, "valueQuantity": {"value": 80, "unit": "mmHg"}}]});
        assert_eq!(
            observation_value_text(&bp).as_deref(),
            Some("Systolic: 120 mmHg; Diastolic: 80 mmHg")
        );
        let q = json!({"valueQuantity": {"value": 5.5, "comparator": "<", "code": "%"}});
        assert_eq!(value_text(&q).as_deref(), Some("<5.5 %"));
    }
}
