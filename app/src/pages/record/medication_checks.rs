//! The record's medicines checked together (`folio_shared::medication_safety`): on the
//! medications list, each medicine once across every source with its alerts beside it, and
//! the ones Folio could not check; on the start page, a card when there is something to ask
//! about. The check and its tables live in a module of their own, fetched after the start
//! page's summary is shown, and only for a record with medicines.

use folio_shared::medication_safety::discussed::discussed_entry;
use folio_shared::medication_safety::{
    Alert, MedicationLine, MedicationSafety, MedicationStatus, RecordResource, check,
    check_contents,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::category::List;
use crate::components::alert::Alert as ErrorAlert;
use crate::dates;
use crate::pages::glance::GlanceMedications;
use crate::pages::viewer::medication_alerts::{MedicationAlerts, Reader};
use crate::record::RecordAttachments;

/// The medications list's top: alerts (each can be marked discussed with a clinician, a mark
/// kept in the record), then every current medicine once with the alerts that concern it,
/// then the medicines that could not be checked.
#[component]
pub fn CheckedTogether(safety: MedicationSafety) -> impl IntoView {
    let safety = RwSignal::new(safety);
    let error = RwSignal::new(None::<String>);
    // The list page's open record, which the mark is added to.
    let record = use_context::<RecordAttachments>();
    let mark = Callback::new(move |alert: Alert| {
        let Some(RecordAttachments(record)) = record else {
            return;
        };
        spawn_local(async move {
            let mut opened = record.get_value();
            match opened
                .add(vec![discussed_entry(&alert, dates::now())])
                .await
            {
                Ok(()) => {
                    if let Ok(checked) = check_contents(&opened.contents, dates::now().date_naive())
                    {
                        safety.set(checked);
                    }
                    record.set_value(opened);
                    error.set(None);
                }
                Err(why) => error.set(Some(why)),
            }
        });
    });
    view! {
        {move || view! { <CheckedLines safety=safety.get() on_discussed=mark/> }}
        <ErrorAlert message=error/>
    }
}

#[component]
fn CheckedLines(safety: MedicationSafety, on_discussed: Callback<Alert>) -> impl IntoView {
    let rows = active(&safety.medications)
        .map(|line| {
            let alerts: Vec<String> = safety.alerts_for(line).map(|a| a.title.clone()).collect();
            let from = line
                .sources
                .iter()
                .filter_map(|s| s.prescriber.clone().or_else(|| s.provider.clone()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <li class="viewer-item" data-testid="checked-medication">
                    <span class="item-title">{line.name.clone()}</span>
                    {(!from.is_empty()).then(|| view! { <span class="muted">{format!(" — {from}")}</span> })}
                    {alerts.into_iter().map(|title| view! {
                        " " <span class="viewer-flag" data-testid="medication-line-alert">{title}</span>
                    }).collect_view()}
                </li>
            }
        })
        .collect_view();
    let unmapped: Vec<_> = active(&safety.unmapped)
        .map(|line| view! { <li class="viewer-item" data-testid="unchecked-medication">{line.name.clone()}</li> })
        .collect();
    let has_unmapped = !unmapped.is_empty();
    view! {
        <MedicationAlerts alerts=safety.alerts.clone() reader=Reader::Patient on_discussed=on_discussed/>
        <section class="viewer-section" data-testid="checked-together" aria-labelledby="checked-together-title">
            <h2 id="checked-together-title">"Current medicines, checked together"</h2>
            <ul class="viewer-list">{rows}</ul>
            {has_unmapped.then(|| view! {
                <h3>"Not checked"</h3>
                <p class="muted">
                    "Folio could not tell what is in these, so it could not check them against \
                     the others. Ask your pharmacist."
                </p>
                <ul class="viewer-list">{unmapped}</ul>
            })}
        </section>
    }
}

fn active(lines: &[MedicationLine]) -> impl Iterator<Item = &MedicationLine> {
    lines
        .iter()
        .filter(|line| line.status == MedicationStatus::Active)
}

/// The check of a decrypted record, as of today.
pub fn check_record(resources: &[RecordResource<'_>]) -> Option<MedicationSafety> {
    check(resources, dates::now().date_naive()).ok()
}

/// The start page's card: shown only when the check finds something to ask about.
#[component]
pub fn GlanceMedicationCard() -> impl IntoView {
    let GlanceMedications(kept) = expect_context::<GlanceMedications>();
    let alerts = kept.with_value(|resources| {
        let records: Vec<RecordResource<'_>> = resources
            .iter()
            .map(|(id, resource, provider)| RecordResource {
                id,
                resource,
                provider: provider.as_deref(),
            })
            .collect();
        check_record(&records)
            .map(|safety| safety.to_act_on().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    });
    if alerts.is_empty() {
        // Checked, with nothing to act on (for the tests: the card's module has run).
        return view! { <span hidden data-testid="glance-medicines-checked"></span> }.into_any();
    }
    let list = List::Medications;
    view! {
            <section class="card glance-card medication-alerts" data-testid="glance-medication-alerts"
                aria-labelledby="glance-medication-alerts-title">
                <h2 id="glance-medication-alerts-title"><a href=list.href()>"Medicines to ask about"</a></h2>
                <ul>
                    {alerts.into_iter().map(|alert| view! {
                        <li><strong>{alert.title}</strong>" " <span class="muted">{alert.medications.join(" + ")}</span></li>
                    }).collect_view()}
                </ul>
                <p class="glance-more"><a href=list.href()>"What to ask your clinician"</a></p>
            </section>
    }
    .into_any()
}
