//! The medication alerts of `folio_shared::medication_safety`: interactions and duplicate
//! therapy across every source, in the patient's words on their own pages and in a
//! clinician's in the viewer of a shared link.

use folio_shared::medication_safety::{Alert, AlertKind, Severity, Wording};
use leptos::prelude::*;

/// Who reads the alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Patient,
    Clinician,
}

/// Every alert, with what it is, why it matters and what to ask; nothing when there is none.
/// With `on_discussed`, the patient can mark an alert "discussed with my clinician".
#[component]
pub fn MedicationAlerts(
    alerts: Vec<Alert>,
    reader: Reader,
    #[prop(optional)] on_discussed: Option<Callback<Alert>>,
) -> impl IntoView {
    (!alerts.is_empty()).then(|| {
        let heading = match reader {
            Reader::Patient => "Medicines to ask about",
            Reader::Clinician => "Medication alerts",
        };
        let note = match reader {
            Reader::Patient => {
                "Folio checked your medicines from every source together. Do not stop \
                 or change a medicine on your own: ask the clinician who prescribed it."
            }
            Reader::Clinician => {
                "Checked in this browser across every source in this link, against the \
                 ONC high-priority interaction list and duplicate-therapy rules."
            }
        };
        view! {
            <section class="card medication-alerts" data-testid="medication-alerts"
                aria-labelledby="medication-alerts-title">
                <h2 id="medication-alerts-title">{heading}</h2>
                <p class="muted">{note}</p>
                <ul class="alert-list">
                    {alerts.into_iter().map(|alert| view! { <AlertItem alert=alert reader=reader on_discussed=on_discussed/> }).collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
fn AlertItem(alert: Alert, reader: Reader, on_discussed: Option<Callback<Alert>>) -> impl IntoView {
    let discussed = match (&alert.discussed_on, on_discussed) {
        (Some(day), _) => Some(
            view! { <p class="status-good" data-testid="alert-was-discussed">{format!("Discussed with your clinician (marked {day}).")}</p> }
                .into_any(),
        ),
        (None, Some(callback)) => {
            let marked = alert.clone();
            Some(view! {
                <button type="button" data-testid="alert-discussed" on:click=move |_| callback.run(marked.clone())>
                    "Discussed with my clinician"
                </button>
            }.into_any())
        }
        (None, None) => None,
    };
    let Wording { what, why, ask } = match reader {
        Reader::Patient => alert.patient,
        Reader::Clinician => alert.clinician,
    };
    let kind = match (alert.kind, alert.severity) {
        (AlertKind::Interaction, Severity::High) => "Serious interaction",
        (AlertKind::Interaction, Severity::Moderate) => "Interaction",
        (AlertKind::Duplicate, Severity::High) => "Serious duplicate",
        (AlertKind::Duplicate, Severity::Moderate) => "Possible duplicate",
    };
    let ask_label = match reader {
        Reader::Patient => "What to ask: ",
        Reader::Clinician => "Consider: ",
    };
    let class = match alert.severity {
        Severity::High => "medication-alert alert-high",
        Severity::Moderate => "medication-alert",
    };
    view! {
        <li class=class data-testid="medication-alert" data-rule=alert.rule.clone()>
            <p class="alert-kind">{kind}</p>
            <h3 class="alert-title">{alert.title}</h3>
            <p class="alert-medicines">{alert.medications.join(" + ")}</p>
            <p>{what}</p>
            <p>{why}</p>
            <p><strong>{ask_label}</strong>{ask}</p>
            <p class="muted alert-source">{format!("Source: {}", alert.source)}</p>
            {discussed}
        </li>
    }
}
