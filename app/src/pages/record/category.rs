//! `/record/<list>`: one kind of entry in full, where each card of the start page leads:
//! medications current and past (dose, prescriber, reason, source), problems active and
//! past, allergies current and past (severity, reaction), results by panel with their
//! trends, vital signs, social history and questionnaire answers, immunizations,
//! procedures, documents and visits.

use folio_shared::clinical_view::ClinicalView;
use folio_shared::medication_safety::check_contents;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::medication_checks::CheckedTogether;
use super::summary_of;
use crate::components::guard::RequireUnlocked;
use crate::pages::viewer::summary::{DocumentSection, ItemSection, PanelSection, SeriesSection};
use crate::record::{OpenRecord, RecordAttachments};
use crate::session::Session;

/// The lists, in the order the page's navigation offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Medications,
    Allergies,
    Problems,
    Results,
    Immunizations,
    VitalSigns,
    Procedures,
    Documents,
    Visits,
}

const LISTS: [List; 9] = [
    List::Medications,
    List::Allergies,
    List::Problems,
    List::Results,
    List::Immunizations,
    List::VitalSigns,
    List::Procedures,
    List::Documents,
    List::Visits,
];

impl List {
    /// The list's part of the address, `/record/<slug>`.
    pub fn slug(self) -> &'static str {
        match self {
            List::Medications => "medications",
            List::Allergies => "allergies",
            List::Problems => "problems",
            List::Results => "results",
            List::Immunizations => "immunizations",
            List::VitalSigns => "vital-signs",
            List::Procedures => "procedures",
            List::Documents => "documents",
            List::Visits => "visits",
        }
    }

    pub fn href(self) -> String {
        format!("/record/{}", self.slug())
    }

    fn title(self) -> &'static str {
        match self {
            List::Medications => "Medications",
            List::Allergies => "Allergies",
            List::Problems => "Problems",
            List::Results => "Results",
            List::Immunizations => "Immunizations",
            List::VitalSigns => "Vital signs",
            List::Procedures => "Procedures",
            List::Documents => "Documents",
            List::Visits => "Visits",
        }
    }

    fn from_slug(slug: &str) -> Option<List> {
        LISTS.into_iter().find(|list| list.slug() == slug)
    }
}

#[component]
pub fn Category() -> impl IntoView {
    let params = use_params_map();
    let list = Memo::new(move |_| params.with(|p| p.get("list").and_then(|s| List::from_slug(&s))));
    view! {
        <RequireUnlocked>
            <ListNav list=list/>
            {move || match list.get() {
                Some(list) => view! { <ListPage list=list/> }.into_any(),
                None => view! {
                    <section class="card" aria-labelledby="list-title">
                        <h2 id="list-title">"No such list"</h2>
                        <p class="status-bad" data-testid="list-unknown">
                            "Folio has no list at this address. Pick one above, or open the whole record."
                        </p>
                        <p class="actions"><a class="button primary" href="/record">"Open the record"</a></p>
                    </section>
                }.into_any(),
            }}
        </RequireUnlocked>
    }
}

/// Every list, the current one marked for screen readers and the eye.
#[component]
fn ListNav(list: Memo<Option<List>>) -> impl IntoView {
    view! {
        <nav class="list-nav" aria-label="Lists in your record">
            <ul>
                <li><a href="/record">"Whole record"</a></li>
                {LISTS.into_iter().map(|each| view! {
                    <li>
                        <a href=each.href()
                            aria-current=move || (list.get() == Some(each)).then_some("page")>
                            {each.title()}
                        </a>
                    </li>
                }).collect_view()}
            </ul>
        </nav>
    }
}

#[component]
fn ListPage(list: List) -> impl IntoView {
    let session = Session::expect();
    let record = OpenRecord::for_page(session);
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Opening your record…"</p> }>
            {move || record.get().map(|opened| match opened {
                Ok(record) => view! { <Lists list=list record=record/> }.into_any(),
                Err(why) => view! {
                    <section class="card" aria-labelledby="list-title">
                        <h2 id="list-title">{list.title()}</h2>
                        <p class="status-bad" data-testid="record-unavailable">{why}</p>
                        <p class="actions"><a class="button primary" href="/import">"Import records"</a></p>
                    </section>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Lists(list: List, record: OpenRecord) -> impl IntoView {
    let view = summary_of(&record);
    // Every source's medicines checked together, above the list as each source gave it.
    let checked = matches!(list, List::Medications)
        .then(|| check_contents(&record.contents, crate::dates::now().date_naive()).ok())
        .flatten();
    // The documents' attachments are fetched and opened with the record's keys.
    provide_context(RecordAttachments(StoredValue::new(record)));
    let ClinicalView {
        allergies,
        past_allergies,
        problems,
        past_problems,
        medications,
        past_medications,
        results,
        panels,
        immunizations,
        vital_signs,
        social_history,
        assessments,
        documents,
        procedures,
        encounters,
        ..
    } = view;
    let sections = match list {
        List::Medications => view! {
            {checked.map(|safety| view! { <CheckedTogether safety=safety/> })}
            <ItemSection testid="viewer-medications" title="Current medications" items=medications whole=true/>
            <ItemSection testid="viewer-past-medications" title="Past medications" items=past_medications whole=true/>
        }
        .into_any(),
        List::Allergies => view! {
            <ItemSection testid="viewer-allergies" title="Allergies and intolerances" items=allergies whole=true/>
            <ItemSection testid="viewer-past-allergies" title="Past and ruled-out allergies" items=past_allergies whole=true/>
        }
        .into_any(),
        List::Problems => view! {
            <ItemSection testid="viewer-problems" title="Active problems" items=problems whole=true/>
            <ItemSection testid="viewer-past-problems" title="Past problems" items=past_problems whole=true/>
        }
        .into_any(),
        List::Results => view! {
            <PanelSection panels=panels whole=true/>
            <SeriesSection testid="viewer-results" title="Result trends" series=results whole=true/>
            <SeriesSection testid="viewer-social-history" title="Social history" series=social_history whole=true/>
            <SeriesSection testid="viewer-assessments" title="Questionnaires and assessments" series=assessments whole=true/>
        }
        .into_any(),
        List::Immunizations => view! {
            <ItemSection testid="viewer-immunizations" title="Immunizations" items=immunizations whole=true/>
        }
        .into_any(),
        List::VitalSigns => view! {
            <SeriesSection testid="viewer-vitals" title="Vital signs" series=vital_signs whole=true/>
        }
        .into_any(),
        List::Procedures => view! {
            <ItemSection testid="viewer-procedures" title="Procedures" items=procedures whole=true/>
        }
        .into_any(),
        List::Documents => view! { <DocumentSection documents=documents whole=true/> }.into_any(),
        List::Visits => view! {
            <ItemSection testid="viewer-encounters" title="Visits" items=encounters whole=true/>
        }
        .into_any(),
    };
    view! {
        // The list navigation above marks which list this is; the heading is for screen
        // readers, so the eye does not read "Allergies" over "Allergies and intolerances".
        <h2 class="list-heading visually-hidden" data-testid="list-title">{list.title()}</h2>
        <div class="viewer record-summary" data-testid="list">{sections}</div>
    }
}
