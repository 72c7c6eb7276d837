//! Patient-entered data: add (or edit) an allergy, a medication, a condition or a note,
//! marked patient-reported, sealed here and uploaded like any import.

use chrono::NaiveDate;
use folio_shared::clinical_view::fhir::resource_type;
use folio_shared::patient_reported::{PatientReport, ReportedKind, Severity};
use folio_shared::record::EntryId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::dates;
use crate::record::OpenRecord;

/// The form's fields, as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub editing: Option<EntryId>,
    pub kind: String,
    pub text: String,
    pub date: String,
    pub detail: String,
    pub severity: String,
}

impl Draft {
    /// A draft that edits what the patient entered before.
    pub fn editing(id: EntryId, report: &PatientReport) -> Draft {
        Draft {
            editing: Some(id),
            kind: kind_word(report.kind).into(),
            text: report.text.clone(),
            date: report.date.map(|d| d.to_string()).unwrap_or_default(),
            detail: report.detail.clone().unwrap_or_default(),
            severity: match report.severity {
                Some(Severity::Mild) => "mild",
                Some(Severity::Moderate) => "moderate",
                Some(Severity::Severe) => "severe",
                None => "",
            }
            .into(),
        }
    }

    fn report(&self) -> Result<PatientReport, String> {
        let kind = match self.kind.as_str() {
            "medication" => ReportedKind::Medication,
            "condition" => ReportedKind::Condition,
            "note" => ReportedKind::Note,
            _ => ReportedKind::Allergy,
        };
        let date = match self.date.trim() {
            "" => None,
            text => Some(
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| format!("{text} is not a date."))?,
            ),
        };
        let severity = match (kind, self.severity.as_str()) {
            (ReportedKind::Allergy, "mild") => Some(Severity::Mild),
            (ReportedKind::Allergy, "moderate") => Some(Severity::Moderate),
            (ReportedKind::Allergy, "severe") => Some(Severity::Severe),
            _ => None,
        };
        Ok(PatientReport {
            kind,
            text: self.text.clone(),
            date,
            detail: Some(self.detail.clone()).filter(|d| !d.trim().is_empty()),
            severity,
        })
    }
}

fn kind_word(kind: ReportedKind) -> &'static str {
    match kind {
        ReportedKind::Allergy => "allergy",
        ReportedKind::Medication => "medication",
        ReportedKind::Condition => "condition",
        ReportedKind::Note => "note",
    }
}

/// What the detail field asks for, by kind.
fn detail_label(kind: &str) -> &'static str {
    match kind {
        "medication" => "Dose and how often (optional)",
        "condition" => "Comment (optional)",
        "note" => "Short title (optional)",
        _ => "Reaction (optional)",
    }
}

#[component]
pub fn AddEntry(
    record: StoredValue<OpenRecord>,
    draft: RwSignal<Draft>,
    changed: RwSignal<u32>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let field = move |set: fn(&mut Draft, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            draft.update(|d| set(d, value));
        }
    };
    let save = move || {
        let current = draft.get_untracked();
        let report = match current.report() {
            Ok(report) => report,
            Err(why) => {
                error.set(Some(why));
                return;
            }
        };
        let patient = record.with_value(|r| {
            r.contents
                .iter()
                .find(|(_, s)| resource_type(&s.resource) == "Patient")
                .map(|(id, _)| id.clone())
        });
        let entry = match report.to_entry(current.editing.as_ref(), patient.as_ref(), dates::now())
        {
            Ok(entry) => entry,
            Err(why) => {
                error.set(Some(format!("Not saved: {why}.")));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let mut opened = record.get_value();
            match opened.add(vec![entry]).await {
                Ok(()) => {
                    record.set_value(opened);
                    done.set(Some(if current.editing.is_some() {
                        "Saved your change.".into()
                    } else {
                        "Added to your record, marked as reported by you.".into()
                    }));
                    draft.set(Draft::default());
                    changed.update(|n| *n += 1);
                }
                Err(why) => error.set(Some(why)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="add-title" data-testid="add-entry">
            <h2 id="add-title">{move || if draft.with(|d| d.editing.is_some()) { "Edit what you entered" } else { "Add to your record" }}</h2>
            <form class="stack" on:submit=move |ev| { ev.prevent_default(); save(); }>
                <label for="add-kind">"What is it?"</label>
                <select id="add-kind" data-testid="add-kind"
                    disabled=move || draft.with(|d| d.editing.is_some())
                    on:change=field(|d, v| d.kind = v)>
                    {[("allergy", "An allergy"), ("medication", "A medication I take"), ("condition", "A condition"), ("note", "A note")]
                        .into_iter()
                        .map(|(value, words)| view! {
                            <option value=value selected=move || draft.with(|d| d.kind == value || (d.kind.is_empty() && value == "allergy"))>{words}</option>
                        })
                        .collect_view()}
                </select>
                <label for="add-text">{move || if draft.with(|d| d.kind == "note") { "Your note" } else { "Name" }}</label>
                <textarea id="add-text" data-testid="add-text" required maxlength="2000" rows="2"
                    prop:value=move || draft.with(|d| d.text.clone())
                    on:input=field(|d, v| d.text = v)></textarea>
                <label for="add-date">{move || if draft.with(|d| d.kind == "note") { "Date" } else { "Since (optional)" }}</label>
                <input id="add-date" type="date" data-testid="add-date"
                    prop:value=move || draft.with(|d| d.date.clone())
                    on:input=field(|d, v| d.date = v)/>
                <label for="add-detail">{move || draft.with(|d| detail_label(&d.kind))}</label>
                <input id="add-detail" type="text" data-testid="add-detail" maxlength="2000"
                    prop:value=move || draft.with(|d| d.detail.clone())
                    on:input=field(|d, v| d.detail = v)/>
                {move || draft.with(|d| d.kind.is_empty() || d.kind == "allergy").then(|| view! {
                    <label for="add-severity">"How bad is the reaction? (optional)"</label>
                    <select id="add-severity" data-testid="add-severity" on:change=field(|d, v| d.severity = v)>
                        {[("", "Not sure"), ("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe")]
                            .into_iter()
                            .map(|(value, words)| view! {
                                <option value=value selected=move || draft.with(|d| d.severity == value)>{words}</option>
                            })
                            .collect_view()}
                    </select>
                })}
                <p class="actions">
                    <button type="submit" class="button primary" data-testid="add-save" disabled=move || busy.get()>
                        {move || if busy.get() { "Saving…" } else { "Save" }}
                    </button>
                    {move || draft.with(|d| d.editing.is_some()).then(|| view! {
                        <button type="button" class="button" on:click=move |_| draft.set(Draft::default())>"Cancel"</button>
                    })}
                </p>
            </form>
            {move || done.get().map(|m| view! { <p class="status-good" role="status" data-testid="add-done">{m}</p> })}
            {move || error.get().map(|e| view! { <p class="status-bad" role="alert" data-testid="add-error">{e}</p> })}
        </section>
    }
}
