//! `/record`: the patient's own record (or the one the pages act in), decrypted in this
//! page: search across all of it (each hit opens its fields, sources, trend and raw FHIR),
//! the summary at a glance (allergies, problems, medications, results with trend charts,
//! immunizations, vital signs, documents, encounters), patient-entered data, and export.

mod add;
pub mod category;
mod detail;
mod export;
pub mod medication_checks;
mod search;

use folio_shared::care::Action;
use folio_shared::clinical_view::search::RecordSearch;
use folio_shared::clinical_view::{ClinicalView, ClinicalViewBuilder, Series};
use folio_shared::import::merge::{RecordItem, merged_view};
use folio_shared::patient_identity::record_patient;
use leptos::prelude::*;

use crate::components::guard::RequireUnlocked;
use crate::dates;
use crate::pages::viewer::summary::Summary;
use crate::record::{OpenRecord, RecordAttachments};
use crate::session::Session;
use crate::set_aside::{SetAsideNotice, SetAsideWarning};

/// What a patient's own entries are credited to in the summary.
const PATIENT_REPORTED: &str = "You (patient-reported)";

#[component]
pub fn Record() -> impl IntoView {
    view! {
        <RequireUnlocked>
            <RecordPage/>
        </RequireUnlocked>
    }
}

#[component]
fn RecordPage() -> impl IntoView {
    let session = Session::expect();
    let record = OpenRecord::for_page(session);
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Opening your record…"</p> }>
            {move || record.get().map(|opened| match opened {
                Ok(opened) => view! {
                    {SetAsideNotice::of(&opened).map(|notice| view! {
                        <SetAsideWarning notice=notice removed=Callback::new(move |()| record.refetch())/>
                    })}
                    <RecordView record=opened/>
                }.into_any(),
                Err(why) => view! {
                    <section class="card" aria-labelledby="record-title">
                        <h2 id="record-title">"Your record"</h2>
                        <p class="status-bad" data-testid="record-unavailable">{why}</p>
                        <p class="actions"><a class="button primary" href="/import">"Import records"</a></p>
                    </section>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// The summary of the decrypted record: the same fact from several providers once (see
/// `merged_view`), credited to every provider that reported it (or to the patient, for what
/// they entered).
pub(crate) fn summary_of(record: &OpenRecord) -> ClinicalView {
    let items: Vec<RecordItem<'_>> = record
        .contents
        .iter()
        .map(|(id, stored)| RecordItem::of(id, stored))
        .collect();
    let mut builder =
        ClinicalViewBuilder::new(dates::now().date_naive()).units(crate::units::preference());
    // The banner names the record's patient, as every page does.
    if let Some(patient) = record_patient(&record.contents) {
        let credit = if patient.stored.source.patient_reported {
            Some(PATIENT_REPORTED)
        } else {
            patient.stored.source.provider.as_deref()
        };
        builder.name_patient(&patient.stored.resource, credit);
    }
    for merged in merged_view(&items) {
        let Some(stored) = record.contents.get(&merged.primary) else {
            continue;
        };
        let mut credits: Vec<&str> = Vec::new();
        for source in &merged.sources {
            let credit = if source.patient_reported {
                Some(PATIENT_REPORTED)
            } else {
                source.provider.as_deref()
            };
            if let Some(credit) = credit.filter(|c| !credits.contains(c)) {
                credits.push(credit);
            }
        }
        builder.add_borrowed_from(&stored.resource, &credits);
    }
    builder.build()
}

/// The summary, the search index and every measured series, built from the decrypted
/// record (again after the patient adds to it).
fn build(record: &OpenRecord) -> (ClinicalView, RecordSearch, Vec<Series>) {
    let view = summary_of(record);
    let series = view
        .results
        .iter()
        .chain(&view.vital_signs)
        .chain(&view.social_history)
        .chain(&view.assessments)
        .cloned()
        .collect();
    (view, RecordSearch::new(&record.contents), series)
}

#[component]
fn RecordView(record: OpenRecord) -> impl IntoView {
    let may_write = record.may(Action::Write);
    let title = sentence_case(&record.label());
    let record = StoredValue::new(record);
    provide_context(RecordAttachments(record));
    // Bumped when the patient adds or edits an entry: everything below is built again.
    let changed = RwSignal::new(0u32);
    let draft = RwSignal::new(add::Draft::default());
    view! {
        <section class="card" aria-labelledby="record-title">
            <h2 id="record-title">{title}</h2>
            <p class="muted" data-testid="record-count">{move || {
                changed.track();
                format!("{} entries, decrypted on this device.", record.with_value(|r| r.contents.len()))
            }}</p>
        </section>
        {move || {
            changed.track();
            let (view, index, series) = record.with_value(build);
            view! {
                <section class="card" aria-labelledby="search-title">
                    <h2 id="search-title">"Search"</h2>
                    <search::Search index=index record=record series=series draft=draft may_write=may_write/>
                </section>
                <div class="viewer record-summary" data-testid="record-summary">
                    <Summary view=view/>
                </div>
            }
        }}
        {may_write.then(|| view! { <add::AddEntry record=record draft=draft changed=changed/> })}
        <export::Export record=record/>
    }
}

/// "your record" → "Your record".
fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
