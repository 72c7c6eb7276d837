//! The start page's summary at a glance: allergies, active problems, current medications,
//! the latest results (tests only: no social history or questionnaire answers) and
//! immunizations, a few of each, every card linking to its full list (`/record/<list>`).

use folio_shared::api::VaultSummary;
use folio_shared::clinical_view::{ClinicalView, Item, PatientBanner, Series, read_at_a_glance};
use std::time::Duration;

use leptos::prelude::*;
use serde_json::Value;

use crate::milestones;
use crate::offline::LogSync;
use crate::pages::record::category::List;
use crate::pages::record::summary_of;
use crate::pages::viewer::summary::MeasuredValue;
use crate::record::OpenRecord;
use crate::session::Session;
use crate::set_aside::{SetAsideNotice, SetAsideWarning};

/// Items a card shows before "and N more".
const SHOWN: usize = 3;

/// The record's medication resources and what they refer to (`id`, resource, provider), for
/// the medicines card, which checks them in a module fetched after the summary is shown
/// (`pages/record/medication_checks.rs`).
#[derive(Clone, Copy)]
pub struct GlanceMedications(pub StoredValue<Vec<(String, Value, Option<String>)>>);

/// Resource types the medicines check reads: the medicines, who prescribed them, and the
/// patient's "discussed" marks (`Basic`).
fn read_for_medicines(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "MedicationRequest"
            | "MedicationStatement"
            | "MedicationDispense"
            | "Medication"
            | "Practitioner"
            | "PractitionerRole"
            | "Basic"
    )
}

/// What the medicines check needs of the record; empty when fewer than two medicines are
/// recorded (nothing to check together, and nothing to fetch).
fn medicines_of(record: &OpenRecord) -> Vec<(String, Value, Option<String>)> {
    let kept: Vec<_> = record
        .contents
        .iter()
        .filter(|(id, _)| read_for_medicines(id.resource_type()))
        .collect();
    let medicines = kept
        .iter()
        .filter(|(id, _)| {
            matches!(
                id.resource_type(),
                "MedicationRequest" | "MedicationStatement" | "MedicationDispense"
            )
        })
        .count();
    if medicines < 2 {
        return Vec::new();
    }
    kept.into_iter()
        .map(|(id, stored)| {
            (
                id.as_str().to_owned(),
                stored.resource.clone(),
                stored
                    .source
                    .provider
                    .clone()
                    .or_else(|| stored.source.file.clone()),
            )
        })
        .collect()
}

/// What one card shows: its first few items, and how many more the full list holds.
#[derive(Clone)]
struct Card<T> {
    shown: Vec<T>,
    more: usize,
}

impl<T> Card<T> {
    fn of(mut items: Vec<T>) -> Card<T> {
        let more = items.len().saturating_sub(SHOWN);
        items.truncate(SHOWN);
        Card { shown: items, more }
    }
}

/// The cards' contents: only what they show is kept, not the whole summary, so the page
/// holds (and clones into its views) a few dozen items whatever the record's size.
#[derive(Clone)]
struct Cards {
    /// Whom the record is about, as every page names them.
    patient: Option<PatientBanner>,
    allergies: Card<Item>,
    problems: Card<Item>,
    medications: Card<Item>,
    results: Card<Series>,
    immunizations: Card<Item>,
}

impl Cards {
    /// The first items of each list in the summary's order (results and immunizations newest
    /// first).
    fn of(view: ClinicalView) -> Cards {
        Cards {
            patient: view.patient,
            allergies: Card::of(view.allergies),
            problems: Card::of(view.problems),
            medications: Card::of(view.medications),
            results: Card::of(view.results),
            immunizations: Card::of(view.immunizations),
        }
    }
}

/// The glance at `vault`, the record the start page has just listed and unlocked.
#[component]
pub fn Glance(vault: VaultSummary) -> impl IntoView {
    let session = Session::expect();
    let own = vault.is_own_record();
    // Bumped when the owner removes what could not be opened: the record is read again.
    let reload = RwSignal::new(0u32);
    let summary = LocalResource::new(move || {
        reload.track();
        let vault = vault.clone();
        async move {
            // Only what the cards read is parsed: claims, encounters and procedures are
            // most of a record and appear on no card.
            let record = OpenRecord::open_part(session, vault, |kind| {
                read_at_a_glance(kind) || read_for_medicines(kind)
            })
            .await?;
            let cards = Cards::of(summary_of(&record));
            milestones::reached(milestones::SUMMARY_BUILT);
            let sync = record.sync;
            let set_aside = SetAsideNotice::of(&record);
            let medicines = medicines_of(&record);
            // Freeing 30,000 decrypted resources takes a while: after the cards are shown.
            set_timeout(move || drop(record), Duration::ZERO);
            Ok::<_, String>((cards, sync, set_aside, medicines))
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Decrypting your record…"</p> }>
            {move || summary.get().map(|opened| match opened {
                Ok((cards, sync, set_aside, medicines)) => {
                    let offline = matches!(sync, LogSync::KeptCopy { .. });
                    let medicines = (!medicines.is_empty()).then(|| {
                        provide_context(GlanceMedications(StoredValue::new(medicines)));
                        view! { <MedicinesCard/> }
                    });
                    view! {
                    {set_aside.map(|notice| view! {
                        <SetAsideWarning notice=notice removed=Callback::new(move |()| reload.update(|n| *n += 1))/>
                    })}
                    // Offline is worth saying first; "up to date" can wait under the cards.
                    {offline.then(|| view! { <SyncStatus sync=sync/> })}
                    {medicines}
                    <GlanceCards cards=cards own=own/>
                    {(!offline).then(|| view! { <SyncStatus sync=sync/> })}
                    }.into_any()
                }
                Err(why) => view! { <p class="status-bad" data-testid="glance-unavailable">{why}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// The medicines card, from its module: nothing while it loads, or if it cannot be
/// fetched (the start page is whole without it).
#[component]
fn MedicinesCard() -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || {
                // As `LoadedPage` does: the loader's future never leaves the page's thread.
                let card = send_wrapper::SendWrapper::new(crate::pages::on_demand::medication_card());
                Suspend::new(async move { card.await.ok() })
            }}
        </Suspense>
    }
}

/// Where the record shown came from: the server, or the copy kept on this device. How
/// much was fetched and kept is for the settings and the tests (`data-fetched`,
/// `data-kept`), not for the patient.
#[component]
fn SyncStatus(sync: LogSync) -> impl IntoView {
    let (class, text, fetched, kept) = match sync {
        LogSync::KeptCopy { kept } => (
            "notice",
            "Offline: you are seeing the copy kept on this device. Anything added elsewhere \
             since your last visit appears when Folio reconnects.",
            0,
            kept,
        ),
        LogSync::UpToDate { fetched, kept } => ("muted", "Up to date.", fetched, kept),
    };
    view! {
        <p class=class role="status" data-testid="sync-status" data-fetched=fetched data-kept=kept>
            {text}
        </p>
    }
}

#[component]
fn GlanceCards(cards: Cards, own: bool) -> impl IntoView {
    // The patient is greeted in their own record; a caregiver sees whose record it is.
    let greeting = cards
        .patient
        .as_ref()
        .and_then(|p| p.name.clone())
        .filter(|_| own)
        .map(|name| view! { <p class="glance-greeting" data-testid="glance-greeting">{format!("Hello, {name}.")}</p> });
    view! {
        {greeting}
        {cards.patient.map(|p| view! { <p class="glance-patient" data-testid="glance-patient">{patient_line(&p)}</p> })}
        <div class="glance" data-testid="glance">
            <ItemCard testid="glance-allergies" title="Allergies" list=List::Allergies card=cards.allergies
                empty="No allergies recorded."/>
            <ItemCard testid="glance-problems" title="Active problems" list=List::Problems card=cards.problems
                empty="No active problems recorded."/>
            <ItemCard testid="glance-medications" title="Current medications" list=List::Medications card=cards.medications
                empty="No current medications recorded."/>
            <ResultCard card=cards.results/>
            <ItemCard testid="glance-immunizations" title="Immunizations" list=List::Immunizations card=cards.immunizations
                empty="No immunizations recorded."/>
        </div>
    }
}

/// "The record of Myra Jones, born 1947-05-01 (78 years), female."
fn patient_line(patient: &PatientBanner) -> String {
    let mut line = format!(
        "The record of {}",
        patient
            .name
            .as_deref()
            .unwrap_or("a patient whose name is not recorded")
    );
    if let Some(born) = &patient.birth_date {
        line.push_str(&format!(", born {born}"));
        if let Some(age) = patient.age {
            line.push_str(&format!(" ({age} years)"));
        }
    }
    if let Some(sex) = patient.sex.as_deref().filter(|s| *s != "unknown") {
        line.push_str(&format!(", {sex}"));
    }
    line.push('.');
    line
}

#[component]
fn ItemCard(
    testid: &'static str,
    title: &'static str,
    list: List,
    card: Card<Item>,
    empty: &'static str,
) -> impl IntoView {
    let Card { shown: items, more } = card;
    let heading = format!("{testid}-title");
    let labelled_by = heading.clone();
    view! {
        <section class="card glance-card" data-testid=testid aria-labelledby=labelled_by>
            <h2 id=heading><a href=list.href()>{title}</a></h2>
            {if items.is_empty() {
                view! { <p class="muted">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {items.into_iter().map(|item| view! {
                            <li>
                                {item.title}
                                {item.alert.map(|a| view! { " " <span class="viewer-flag">{a}</span> })}
                                {item.date.map(|d| view! { " " <span class="viewer-date">{d.text()}</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                    <MoreLink more=more list=list/>
                }.into_any()
            }}
        </section>
    }
}

/// "and 10 more", leading to the whole list.
#[component]
fn MoreLink(more: usize, list: List) -> impl IntoView {
    (more > 0).then(|| {
        view! {
            <p class="glance-more"><a href=list.href()>{format!("and {more} more")}</a></p>
        }
    })
}

#[component]
fn ResultCard(card: Card<Series>) -> impl IntoView {
    let Card {
        shown: series,
        more,
    } = card;
    view! {
        <section class="card glance-card" data-testid="glance-results" aria-labelledby="glance-results-title">
            <h2 id="glance-results-title"><a href=List::Results.href()>"Latest results"</a></h2>
            {if series.is_empty() {
                view! { <p class="muted">"No results recorded."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {series.into_iter().map(|s| {
                            let latest = s.latest().cloned();
                            let out = latest.as_ref().is_some_and(|p| p.out_of_range);
                            view! {
                                <li>
                                    {s.name.clone()}": "
                                    <strong class=if out { "viewer-value-out" } else { "" }>
                                        {latest.clone().map(|p| view! { <MeasuredValue point=p/> })}
                                    </strong>
                                    {out.then(|| view! { " " <span class="viewer-flag">"Out of range"</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <MoreLink more=more list=List::Results/>
                }.into_any()
            }}
        </section>
    }
}
