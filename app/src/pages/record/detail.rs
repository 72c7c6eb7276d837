//! One resource in full: what it is, every field in words, where it came from, its trend
//! when it is a result measured more than once, and the raw FHIR.

use folio_shared::clinical_view::Series;
use folio_shared::clinical_view::fhir::{concept_key, concept_text, resource_type};
use folio_shared::clinical_view::search::title_of;
use folio_shared::patient_reported::PatientReport;
use folio_shared::record::EntryId;
use folio_shared::vault::StoredResource;
use leptos::prelude::*;
use serde_json::Value;

use super::add::Draft;
use crate::dates;
use crate::pages::viewer::chart::TrendChart;

/// Elements a patient does not read: identity and bookkeeping, and the generated narrative.
const HIDDEN: [&str; 5] = ["resourceType", "id", "meta", "text", "contained"];

#[component]
pub fn Detail(
    id: EntryId,
    stored: StoredResource,
    series: StoredValue<Vec<Series>>,
    draft: RwSignal<Draft>,
    may_write: bool,
    on_close: Callback<()>,
) -> impl IntoView {
    let resource = &stored.resource;
    // What the patient entered is theirs to edit; a provider's data is not.
    let editable = PatientReport::from_resource(resource)
        .filter(|_| may_write)
        .map(|report| Draft::editing(id.clone(), &report));
    let title = title_of(resource);
    let kind = resource_type(resource).to_owned();
    // The series of this very test (same code), when it was measured more than once.
    let code = resource.get("code").and_then(concept_key);
    let trend = series.with_value(|all| {
        all.iter()
            .find(|s| Some(&s.key) == code.as_ref() && s.has_trend())
            .cloned()
    });
    let fields = fields_of(resource);
    let source = &stored.source;
    let mut origin = vec![];
    if source.patient_reported {
        origin.push("Entered by you (patient-reported)".to_owned());
    }
    if let Some(provider) = &source.provider {
        origin.push(format!("Provider: {provider}"));
    }
    if let Some(file) = &source.file {
        origin.push(format!("File: {file}"));
    }
    origin.push(format!("Imported: {}", dates::day(&source.retrieved_at)));
    match (&source.verified_issuer, &source.unverified_reason) {
        (Some(issuer), _) => origin.push(format!("Signature verified: {issuer}")),
        (None, Some(why)) => origin.push(format!("Not verified: {why}")),
        (None, None) => {}
    }
    let raw = serde_json::to_string_pretty(resource).unwrap_or_default();
    view! {
        <article class="record-detail" data-testid="record-detail" aria-labelledby="record-detail-title">
            <h3 id="record-detail-title">{title}</h3>
            <p class="muted">{kind}" · "{id.to_string()}</p>
            {trend.map(|series| view! {
                <div data-testid="record-trend">
                    <TrendChart series=series/>
                </div>
            })}
            <dl class="record-fields">
                {fields.into_iter().map(|(name, value)| view! {
                    <div><dt>{name}</dt><dd>{value}</dd></div>
                }).collect_view()}
            </dl>
            <h4>"Where it came from"</h4>
            <ul data-testid="record-source">
                {origin.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
            <details>
                <summary>"Raw FHIR"</summary>
                <pre class="raw-fhir" data-testid="record-raw">{raw}</pre>
            </details>
            <p class="actions">
                {editable.map(|edit| view! {
                    <button type="button" class="button" data-testid="record-edit"
                        on:click=move |_| { draft.set(edit.clone()); focus("add-text"); }>"Edit"</button>
                })}
                <button type="button" class="button" on:click=move |_| on_close.run(())>"Close"</button>
            </p>
        </article>
    }
}

/// The top-level fields of a resource as a patient reads them: the field's name spaced
/// out, and its value in words where the type allows.
fn fields_of(resource: &Value) -> Vec<(String, String)> {
    let Value::Object(fields) = resource else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|(name, _)| !HIDDEN.contains(&name.as_str()) && !name.starts_with('_'))
        .filter_map(|(name, value)| Some((words_of_name(name), words_of_value(value)?)))
        .collect()
}

/// `effectiveDateTime` → "effective date time".
fn words_of_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn words_of_value(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "yes" } else { "no" }.into()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(words_of_value).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(fields) => {
            if let Some(text) = concept_text(value) {
                return Some(text);
            }
            if let Some(display) = fields.get("display").and_then(Value::as_str) {
                return Some(display.to_owned());
            }
            if let Some(quantity) = fields.get("value").filter(|v| v.is_number()) {
                let unit = fields
                    .get("unit")
                    .or(fields.get("code"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                return Some(format!("{quantity} {unit}").trim().to_owned());
            }
            if let Some(reference) = fields.get("reference").and_then(Value::as_str) {
                return Some(reference.to_owned());
            }
            if let (Some(start), end) = (
                fields.get("start").and_then(Value::as_str),
                fields.get("end").and_then(Value::as_str),
            ) {
                return Some(match end {
                    Some(end) => format!("{start} to {end}"),
                    None => format!("from {start}"),
                });
            }
            let parts: Vec<String> = fields
                .iter()
                .filter(|(k, _)| !k.starts_with('_') && *k != "extension")
                .filter_map(|(k, v)| Some(format!("{}: {}", words_of_name(k), words_of_value(v)?)))
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
    }
}

/// Moves the keyboard (and the screen) to the field with this id.
fn focus(id: &str) {
    use wasm_bindgen::JsCast as _;
    if let Some(field) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = field.focus();
    }
}
