//! HL7 v3 data types as C-CDA writes them, converted to their FHIR R4 counterparts:
//! CD/CE → CodeableConcept (OIDs to FHIR system URIs), TS → dateTime, IVL_TS → Period,
//! PQ → Quantity (UCUM), IVL_PQ → Range, and an observation's `value` → `value[x]`.

use super::narrative::Narrative;
use super::xml::{attr, child, children};
use crate::fhir::code_systems::{UCUM, system_uri_for_oid};
use roxmltree::Node;
use serde_json::{Map, Value, json};

/// A CD-like element (code, value xsi:type CD, vaccineCode…) as a CodeableConcept, with
/// its translations as further codings. Its `text` is the name the document gives: the
/// `displayName`, else the `originalText` (inline or through its narrative reference),
/// else a translation's `displayName`. None when it carries neither a code nor a name.
pub(crate) fn codeable_concept(node: Node<'_, '_>, narrative: &Narrative) -> Option<Value> {
    let mut codings: Vec<Value> = Vec::new();
    if let Some(c) = coding(node) {
        codings.push(c);
    }
    let translations: Vec<Node> = children(node, "translation").collect();
    codings.extend(translations.iter().copied().filter_map(coding));
    let display = attr(node, "displayName").map(str::trim);
    let text = display
        .filter(|d| !is_placeholder(d, attr(node, "code")))
        .map(str::to_string)
        .or_else(|| child(node, "originalText").and_then(|o| narrative.resolve(o)))
        .or_else(|| {
            translations
                .iter()
                .find_map(|t| attr(*t, "displayName"))
                .map(|d| d.trim().to_string())
        })
        .or_else(|| display.map(str::to_string));
    if codings.is_empty() && text.is_none() {
        return None;
    }
    let mut cc = Map::new();
    if !codings.is_empty() {
        cc.insert("coding".into(), Value::Array(codings));
    }
    if let Some(t) = text {
        cc.insert("text".into(), Value::String(t));
    }
    Some(Value::Object(cc))
}

/// A displayName that names no particular thing: the code itself, or a generic word some
/// vendors put there ("Unknown", "Problem") while the real name is in the originalText.
pub(crate) fn is_placeholder(display: &str, code: Option<&str>) -> bool {
    const GENERIC: &[&str] = &[
        "unknown",
        "unk",
        "problem",
        "condition",
        "diagnosis",
        "medication",
        "procedure",
        "other",
        "none",
        "no information",
    ];
    Some(display) == code.map(str::trim) || GENERIC.contains(&display.to_lowercase().as_str())
}

/// The concept naming an entry: what [`codeable_concept`] reads from `code`, named, when
/// the code itself carries no name, by the entry's own narrative text (`entry/text`), and
/// as the last resort by its code system and code ("CPT 69209"), never by a bare code.
/// None when there is neither a code nor any text.
pub(crate) fn entry_concept(
    code: Option<Node<'_, '_>>,
    entry: Node<'_, '_>,
    narrative: &Narrative,
) -> Option<Value> {
    let mut cc = code.and_then(|c| codeable_concept(c, narrative));
    let named = cc.as_ref().is_some_and(|c| c.get("text").is_some());
    if named {
        return cc;
    }
    let entry_text = child(entry, "text").and_then(|t| narrative.resolve(t));
    let fallback = entry_text.or_else(|| {
        let c = code?;
        let value = attr(c, "code")?.trim();
        let system = attr(c, "codeSystemName")
            .map(str::to_string)
            .or_else(|| {
                attr(c, "codeSystem")
                    .and_then(code_system_name)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "Code".to_string());
        Some(format!("{system} {value}"))
    })?;
    let cc = cc.get_or_insert_with(|| json!({}));
    cc["text"] = Value::String(fallback);
    Some(cc.clone())
}

/// A short, readable name of the code systems C-CDA entries use most.
fn code_system_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.16.840.1.113883.6.96" => "SNOMED CT",
        "2.16.840.1.113883.6.1" => "LOINC",
        "2.16.840.1.113883.6.88" => "RxNorm",
        "2.16.840.1.113883.12.292" => "CVX",
        "2.16.840.1.113883.6.90" => "ICD-10-CM",
        "2.16.840.1.113883.6.4" => "ICD-10-PCS",
        "2.16.840.1.113883.6.103" | "2.16.840.1.113883.6.104" => "ICD-9-CM",
        "2.16.840.1.113883.6.12" => "CPT",
        "2.16.840.1.113883.6.285" | "2.16.840.1.113883.6.14" => "HCPCS",
        "2.16.840.1.113883.6.69" => "NDC",
        _ => return None,
    })
}

fn coding(node: Node<'_, '_>) -> Option<Value> {
    let code = attr(node, "code")?;
    let mut c = Map::new();
    if let Some(oid) = attr(node, "codeSystem") {
        c.insert("system".into(), Value::String(system_uri_for_oid(oid)));
    }
    c.insert("code".into(), Value::String(code.trim().to_string()));
    if let Some(d) = attr(node, "displayName") {
        c.insert("display".into(), Value::String(d.to_string()));
    }
    Some(Value::Object(c))
}

/// HL7 TS (`YYYYMMDDHHMMSS.UUUU±ZZZZ`, any prefix of it) as a FHIR dateTime. FHIR requires
/// a time zone whenever a time is given, so a time without a zone is cut to the date
/// rather than guessed.
pub(crate) fn date_time(ts: &str) -> Option<String> {
    let ts = ts.trim();
    let (body, zone) = match ts.find(['+', '-']) {
        Some(i) => (&ts[..i], Some(&ts[i..])),
        None => (ts, None),
    };
    let digits: String = body.split('.').next()?.to_string();
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d = |a: usize, b: usize| &digits[a..b];
    // A month or day out of range ("20013031") is no date at all.
    let in_range = |a: usize, max: u32| {
        digits.len() < a + 2 || (1..=max).contains(&d(a, a + 2).parse::<u32>().unwrap_or(0))
    };
    if !in_range(4, 12) || !in_range(6, 31) {
        return None;
    }
    let date = match digits.len() {
        4..=5 => return Some(d(0, 4).into()),
        6..=7 => return Some(format!("{}-{}", d(0, 4), d(4, 6))),
        _ => format!("{}-{}-{}", d(0, 4), d(4, 6), d(6, 8)),
    };
    let zone = match zone {
        Some(z) if z.len() == 5 && z[1..].bytes().all(|b| b.is_ascii_digit()) => {
            format!("{}:{}", &z[..3], &z[3..])
        }
        _ => return Some(date),
    };
    if digits.len() < 12 {
        return Some(date);
    }
    let seconds = if digits.len() >= 14 { d(12, 14) } else { "00" };
    Some(format!("{date}T{}:{}:{seconds}{zone}", d(8, 10), d(10, 12)))
}

/// A point in time or an interval, as C-CDA's `effectiveTime` gives it.
pub(crate) enum When {
    At(String),
    Period(Value),
}

/// The first `effectiveTime` that is a TS or IVL_TS (not a PIVL frequency).
pub(crate) fn effective(node: Node<'_, '_>) -> Option<When> {
    let et = children(node, "effectiveTime").find(|e| {
        let ty = attr_local(*e, "type").unwrap_or("IVL_TS");
        ty == "IVL_TS" || ty == "TS"
    })?;
    when(et)
}

pub(crate) fn when(et: Node<'_, '_>) -> Option<When> {
    if let Some(v) = attr(et, "value").and_then(date_time) {
        return Some(When::At(v));
    }
    let start = child(et, "low")
        .and_then(|n| attr(n, "value"))
        .and_then(date_time);
    let end = child(et, "high")
        .and_then(|n| attr(n, "value"))
        .and_then(date_time);
    if start.is_none() && end.is_none() {
        return child(et, "center")
            .and_then(|n| attr(n, "value"))
            .and_then(date_time)
            .map(When::At);
    }
    let mut p = Map::new();
    if let Some(s) = start {
        p.insert("start".into(), Value::String(s));
    }
    if let Some(e) = end {
        p.insert("end".into(), Value::String(e));
    }
    Some(When::Period(Value::Object(p)))
}

impl When {
    /// Set `{prefix}DateTime` or `{prefix}Period` on a resource.
    pub(crate) fn set(self, resource: &mut Value, prefix: &str) {
        match self {
            When::At(t) => resource[format!("{prefix}DateTime")] = Value::String(t),
            When::Period(p) => resource[format!("{prefix}Period")] = p,
        }
    }

    /// As a Period: a point in time is its start.
    pub(crate) fn into_period(self) -> Value {
        match self {
            When::At(t) => json!({ "start": t }),
            When::Period(p) => p,
        }
    }

    pub(crate) fn start(&self) -> Option<String> {
        match self {
            When::At(t) => Some(t.clone()),
            When::Period(p) => p.get("start").and_then(Value::as_str).map(str::to_string),
        }
    }

    pub(crate) fn end(&self) -> Option<String> {
        match self {
            When::At(_) => None,
            When::Period(p) => p.get("end").and_then(Value::as_str).map(str::to_string),
        }
    }
}

/// `xsi:type` and similar attributes, by local name whatever the prefix.
pub(crate) fn attr_local<'a>(node: Node<'a, '_>, local: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == local)
        .map(|a| a.value())
}

/// A PQ as a Quantity; the unit is UCUM by C-CDA's rules.
pub(crate) fn quantity(node: Node<'_, '_>) -> Option<Value> {
    let value = decimal(attr(node, "value")?)?;
    let mut q = json!({ "value": value });
    if let Some(unit) = attr(node, "unit") {
        q["unit"] = Value::String(unit.to_string());
        q["system"] = Value::String(UCUM.to_string());
        q["code"] = Value::String(unit.to_string());
    }
    Some(q)
}

fn decimal(s: &str) -> Option<Value> {
    let n: serde_json::Number = s.trim().parse().ok()?;
    Some(Value::Number(n))
}

/// An IVL_PQ as a Range.
pub(crate) fn range(node: Node<'_, '_>) -> Option<Value> {
    let mut r = Map::new();
    if let Some(low) = child(node, "low").and_then(quantity) {
        r.insert("low".into(), low);
    }
    if let Some(high) = child(node, "high").and_then(quantity) {
        r.insert("high".into(), high);
    }
    (!r.is_empty()).then_some(Value::Object(r))
}

/// An observation's `value` as FHIR `value[x]`: (element suffix, value).
pub(crate) fn observation_value(
    value: Node<'_, '_>,
    narrative: &Narrative,
) -> Option<(&'static str, Value)> {
    let ty = attr_local(value, "type").unwrap_or("");
    let ty = ty.rsplit(':').next().unwrap_or(ty);
    match ty {
        "PQ" => quantity(value).map(|q| ("Quantity", q)),
        "INT" => attr(value, "value")?
            .trim()
            .parse::<i64>()
            .ok()
            .map(|i| ("Integer", json!(i))),
        "REAL" | "MO" => {
            decimal(attr(value, "value")?).map(|v| ("Quantity", json!({ "value": v })))
        }
        "IVL_PQ" => range(value).map(|r| ("Range", r)),
        "BL" => attr(value, "value").map(|v| ("Boolean", json!(v == "true"))),
        "TS" => attr(value, "value")
            .and_then(date_time)
            .map(|t| ("DateTime", json!(t))),
        "CD" | "CE" | "CV" | "CO" | "CS" => {
            codeable_concept(value, narrative).map(|c| ("CodeableConcept", c))
        }
        _ => narrative.resolve(value).map(|t| ("String", json!(t))),
    }
}

/// The `statusCode/@code` of a clinical statement.
pub(crate) fn status_code<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    child(node, "statusCode").and_then(|s| attr(s, "code"))
}

#[cfg(test)]
mod tests {
    use super::{Narrative, date_time, entry_concept};
    use roxmltree::Document;
    use serde_json::json;

    /// The concept naming the document's only `procedure` from its `code`.
    fn procedure_name(body: &str) -> Option<serde_json::Value> {
        let xml = format!(
            r##"<section xmlns="urn:hl7-org:v3"><text><td ID="p1">Cerumen Removal</td></text><entry><procedure>{body}</procedure></entry></section>"##
        );
        let doc = Document::parse(&xml).unwrap();
        let narrative = Narrative::new(&doc);
        let procedure = doc
            .descendants()
            .find(|n| n.has_tag_name("procedure"))
            .unwrap();
        let code = procedure.children().find(|n| n.has_tag_name("code"));
        entry_concept(code, procedure, &narrative)
    }

    #[test]
    fn an_entry_is_named_by_display_name_then_original_text_then_its_narrative() {
        let cpt = r#"codeSystem="2.16.840.1.113883.6.12""#;
        assert_eq!(
            procedure_name(&format!(
                r##"<code code="69209" {cpt} displayName="Removal impacted cerumen"><originalText><reference value="#p1"/></originalText></code>"##
            )),
            Some(
                json!({ "coding": [{ "system": "http://www.ama-assn.org/go/cpt", "code": "69209", "display": "Removal impacted cerumen" }], "text": "Removal impacted cerumen" })
            )
        );
        let by_original = procedure_name(&format!(
            r##"<code code="69209" {cpt}><originalText><reference value="#p1"/></originalText></code>"##
        ));
        assert_eq!(by_original.unwrap()["text"], "Cerumen Removal");
        let by_entry_text = procedure_name(&format!(
            r##"<code code="69209" {cpt}/><text><reference value="#p1"/></text>"##
        ));
        assert_eq!(by_entry_text.unwrap()["text"], "Cerumen Removal");
        let by_system = procedure_name(&format!(r#"<code code="69209" {cpt}/>"#)).unwrap();
        assert_eq!(by_system["text"], "CPT 69209");
        assert_eq!(by_system["coding"][0]["code"], "69209");
        assert_eq!(procedure_name(r#"<code nullFlavor="UNK"/>"#), None);
    }

    #[test]
    fn hl7_timestamps_become_fhir_date_times() {
        assert_eq!(date_time("2012").as_deref(), Some("2012"));
        assert_eq!(date_time("201208").as_deref(), Some("2012-08"));
        assert_eq!(date_time("20120806").as_deref(), Some("2012-08-06"));
        assert_eq!(
            date_time("20120806101500-0500").as_deref(),
            Some("2012-08-06T10:15:00-05:00")
        );
        assert_eq!(
            date_time("201208061015+0100").as_deref(),
            Some("2012-08-06T10:15:00+01:00")
        );
        // No zone: FHIR forbids a time without one, so keep only the date.
        assert_eq!(date_time("20120806101500").as_deref(), Some("2012-08-06"));
        assert_eq!(date_time("garbage"), None);
        assert_eq!(date_time("20013031"), None);
    }
}
