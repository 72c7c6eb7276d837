//! One resource in full: what it is, every field in words, where it came from, its trend
//! when it is a result measured more than once, and the raw FHIR.

use folio_shared::clinical_view::Series;
use folio_shared::clinical_view::fhir::concept_key;
use folio_shared::clinical_view::search::title_of;
use folio_shared::clinical_view::words::{code_of, field_name, field_value, kind_of};
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
    let kind = kind_of(resource);
    let code = code_of(resource);
    // The series of this very test (same code), when it was measured more than once.
    let series_key = resource.get("code").and_then(concept_key);
    let trend = series.with_value(|all| {
        all.iter()
            .find(|s| Some(&s.key) == series_key.as_ref() && s.has_trend())
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
            <p class="muted" data-testid="record-detail-kind">
                {kind}
                {code.map(|code| view! { " · " <span class="search-hit-code">{code}</span> })}
            </p>
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
                <pre class="raw-fhir" data-testid="record-raw" tabindex="0" aria-label="The entry as stored (FHIR JSON)">{raw}</pre>
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
        .filter_map(|(name, value)| Some((field_name(name), field_value(value)?)))
        .collect()
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
