//! The summary as a two-minute read, in the International Patient Summary's order:
//! allergies, medications, problems, results by panel and their trends, immunizations,
//! procedures, then vital signs, social history and questionnaire answers, documents,
//! encounters by year, and the history (past medications, problems and allergies). The
//! patient's banner and an index of the sections stay at the top of the screen; a long
//! section shows its first lines and "Show all". Values are in the reader's units, each
//! with the value as recorded on hover when it was converted. Printing shows everything.
//! Every section has a stable `data-testid` (also its `id`, which the index jumps to).

use folio_shared::clinical_view::{
    ClinicalView, Document, Item, Panel, PatientBanner, Point, Series, by_year, date_text,
};
use folio_shared::medication_safety::Alert;
use leptos::prelude::*;
use wasm_bindgen::JsCast as _;

use super::chart::TrendChart;
use super::files::{AttachmentLink, BlobLink};
use super::medication_alerts::{MedicationAlerts, Reader};
use crate::record::RecordAttachments;
use folio_shared::import::document::ATTACHMENT_URL_SCHEME;

/// Lines a long section shows before "Show all".
const LINES_AT_FIRST: usize = 5;
/// Trend cards a section shows before "Show all".
const CARDS_AT_FIRST: usize = 6;

/// The summary of `view`; `shared` says how it was shared (label and until when), for the
/// clinician's banner.
#[component]
pub fn Summary(
    view: ClinicalView,
    #[prop(optional_no_strip)] shared: Option<String>,
    /// Interactions and duplicates among the medications, for a clinician.
    #[prop(optional)]
    medication_alerts: Vec<Alert>,
) -> impl IntoView {
    let ClinicalView {
        patient,
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
    open_every_year_when_printing();
    let index = vec![
        ("viewer-allergies", "Allergies", allergies.len()),
        ("viewer-medications", "Medications", medications.len()),
        ("viewer-problems", "Problems", problems.len()),
        ("viewer-panels", "Results", panels.len()),
        ("viewer-results", "Trends", results.len()),
        ("viewer-immunizations", "Immunizations", immunizations.len()),
        ("viewer-procedures", "Procedures", procedures.len()),
        ("viewer-vitals", "Vital signs", vital_signs.len()),
        (
            "viewer-social-history",
            "Social history",
            social_history.len(),
        ),
        ("viewer-assessments", "Questionnaires", assessments.len()),
        ("viewer-documents", "Documents", documents.len()),
        ("viewer-encounters", "Encounters", encounters.len()),
        (
            "viewer-past-medications",
            "Past medications",
            past_medications.len(),
        ),
        ("viewer-past-problems", "Past problems", past_problems.len()),
        (
            "viewer-past-allergies",
            "Past allergies",
            past_allergies.len(),
        ),
    ];
    let allergy_names: Vec<String> = allergies.iter().map(|a| a.title.clone()).collect();
    let source = patient.as_ref().and_then(|p| p.source.clone());
    view! {
        <div class="viewer-head" data-testid="viewer-head">
            <Banner patient=patient allergies=allergy_names shared=shared/>
            <SectionIndex entries=index/>
        </div>
        <Source source=source/>
        <ItemSection testid="viewer-allergies" title="Allergies and intolerances" items=allergies/>
        <ItemSection testid="viewer-medications" title="Current medications" items=medications/>
        <MedicationAlerts alerts=medication_alerts reader=Reader::Clinician/>
        <ItemSection testid="viewer-problems" title="Active problems" items=problems/>
        <PanelSection panels=panels/>
        <SeriesSection testid="viewer-results" title="Result trends" series=results/>
        <ItemSection testid="viewer-immunizations" title="Immunizations" items=immunizations/>
        <ItemSection testid="viewer-procedures" title="Procedures" items=procedures/>
        <SeriesSection testid="viewer-vitals" title="Vital signs" series=vital_signs/>
        <SeriesSection testid="viewer-social-history" title="Social history" series=social_history/>
        <SeriesSection testid="viewer-assessments" title="Questionnaires and assessments" series=assessments/>
        <DocumentSection documents=documents/>
        <EncounterSection encounters=encounters/>
        <ItemSection testid="viewer-past-medications" title="Past medications" items=past_medications/>
        <ItemSection testid="viewer-past-problems" title="Past problems" items=past_problems/>
        <ItemSection testid="viewer-past-allergies" title="Past and ruled-out allergies" items=past_allergies/>
    }
}

/// Opens every year of the encounters before the page is printed, however printing is
/// asked for (the button or the browser's menu): a folded year would print as its
/// heading. Done on the DOM at once, since the print is laid out right after the event.
fn open_every_year_when_printing() {
    let handle = window_event_listener(leptos::ev::beforeprint, |_| {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Ok(years) = document.query_selector_all("details.viewer-year") {
            for i in 0..years.length() {
                if let Some(year) = years.item(i) {
                    let _ = year
                        .unchecked_into::<web_sys::Element>()
                        .set_attribute("open", "");
                }
            }
        }
    });
    on_cleanup(move || handle.remove());
}

/// Who the record is about, their allergies, and how it was shared: on screen while the
/// reader scrolls.
#[component]
fn Banner(
    patient: Option<PatientBanner>,
    allergies: Vec<String>,
    shared: Option<String>,
) -> impl IntoView {
    let patient = patient.unwrap_or_default();
    let name = patient
        .name
        .clone()
        .unwrap_or_else(|| "Name not recorded".into());
    let facts = [
        patient.age.map(|a| format!("{a} years")),
        patient.sex.clone(),
        patient.birth_date.clone().map(|b| format!("born {b}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    let facts = if facts.is_empty() {
        "Age and sex not recorded".to_owned()
    } else {
        facts.join(" · ")
    };
    let (allergy_class, allergy_text) = match allergies.len() {
        0 => ("banner-allergies", "No allergies recorded".to_owned()),
        n => {
            let named = allergies
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if n > 3 {
                format!(" and {} more", n - 3)
            } else {
                String::new()
            };
            (
                "banner-allergies banner-allergies-some",
                format!("Allergies ({n}): {named}{more}"),
            )
        }
    };
    view! {
        <section class="viewer-banner" data-testid="viewer-patient" aria-labelledby="viewer-patient-name">
            <h2 id="viewer-patient-name">{name}</h2>
            <p class="banner-facts" data-testid="viewer-banner-facts">{facts}</p>
            <p class=allergy_class data-testid="viewer-banner-allergies">{allergy_text}</p>
            {shared.map(|s| view! { <p class="banner-shared" data-testid="viewer-banner-shared">{s}</p> })}
        </section>
    }
}

/// Links to every section, with how many lines each holds. A link scrolls its section to
/// just below the banner and moves the focus to its heading, without touching the address
/// (the viewer's address is the link it was opened from).
#[component]
fn SectionIndex(entries: Vec<(&'static str, &'static str, usize)>) -> impl IntoView {
    let links = entries
        .into_iter()
        .map(|(id, label, count)| {
            let class = if count == 0 { "viewer-index-empty" } else { "" };
            view! {
                <li>
                    <a href=format!("#{id}") class=class data-testid="viewer-index-link"
                        on:click=move |ev| {
                            ev.prevent_default();
                            jump_to(id);
                        }>
                        {label} " " <span class="viewer-index-count">{count}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <nav class="viewer-index" aria-label="Sections of this record" data-testid="viewer-index">
            <ul>{links}</ul>
        </nav>
    }
}

/// Scrolls section `id` to just under the sticky head and focuses its heading.
fn jump_to(id: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let Some(section) = document.get_element_by_id(id) else {
        return;
    };
    let head = document
        .query_selector(".viewer-head")
        .ok()
        .flatten()
        .map_or(0.0, |head| head.get_bounding_client_rect().height());
    let top = section.get_bounding_client_rect().top() + window.scroll_y().unwrap_or(0.0);
    window.scroll_to_with_x_and_y(0.0, (top - head - 8.0).max(0.0));
    if let Some(heading) = document
        .get_element_by_id(&format!("{id}-title"))
        .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = heading.focus();
    }
}

#[component]
fn Source(source: Option<String>) -> impl IntoView {
    source.map(|s| view! { <p class="viewer-source">"Source: " {s}</p> })
}

/// A section of the summary: its card, its heading (focused by the index) and its lines.
#[component]
fn SectionFrame(testid: &'static str, title: &'static str, children: Children) -> impl IntoView {
    let heading_id = format!("{testid}-title");
    let labelled_by = heading_id.clone();
    view! {
        <section class="viewer-section" id=testid data-testid=testid aria-labelledby=labelled_by>
            <h2 id=heading_id tabindex="-1">{title}</h2>
            {children()}
        </section>
    }
}

/// "Show all N" under a section longer than `at_first`, or nothing.
#[component]
fn ShowAll(
    testid: &'static str,
    total: usize,
    at_first: usize,
    all: RwSignal<bool>,
) -> impl IntoView {
    (total > at_first).then(|| {
        view! {
            <p class="actions viewer-show-all">
                <button type="button" class="button" data-testid=format!("{testid}-all")
                    aria-expanded=move || all.get().to_string()
                    on:click=move |_| all.update(|a| *a = !*a)>
                    {move || if all.get() { "Show fewer".to_owned() } else { format!("Show all {total}") }}
                </button>
            </p>
        }
    })
}

/// The class of line `index` of a list that shows `at_first` until "Show all": the rest
/// stay in the page (printing shows them) but off screen.
fn line_class(base: &'static str, index: usize, at_first: usize) -> String {
    if index < at_first {
        base.to_owned()
    } else {
        format!("{base} viewer-more")
    }
}

fn list_class(base: &'static str, all: RwSignal<bool>) -> impl Fn() -> String {
    move || {
        if all.get() {
            base.to_owned()
        } else {
            format!("{base} viewer-collapsed")
        }
    }
}

fn item_view(item: Item, class: String) -> impl IntoView {
    let sources = item.sources_text();
    let alert = item
        .alert
        .map(|a| view! { <span class="viewer-flag">{a}</span> });
    let date = item
        .date
        .map(|d| view! { <span class="viewer-date">{d.text()}</span> });
    let details = item
        .details
        .into_iter()
        .map(|d| view! { <li>{d}</li> })
        .collect_view();
    view! {
        <li class=class>
            <p class="viewer-item-title"><strong>{item.title}</strong> " " {alert} " " {date}</p>
            <ul class="viewer-details">{details}</ul>
            <Source source=sources/>
        </li>
    }
}

/// A section of lines; `whole` (a list's own page) shows every line at once, else the
/// first [`LINES_AT_FIRST`] and "Show all".
#[component]
pub fn ItemSection(
    testid: &'static str,
    title: &'static str,
    items: Vec<Item>,
    #[prop(optional)] whole: bool,
) -> impl IntoView {
    let all = RwSignal::new(false);
    let total = items.len();
    let at_first = if whole { total } else { LINES_AT_FIRST };
    let body = if items.is_empty() {
        view! { <p class="muted viewer-empty">"None recorded."</p> }.into_any()
    } else {
        let rows = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| item_view(item, line_class("viewer-item", i, at_first)))
            .collect_view();
        view! {
            <ul class=list_class("viewer-list", all)>{rows}</ul>
            <ShowAll testid=testid total=total at_first=at_first all=all/>
        }
        .into_any()
    };
    view! { <SectionFrame testid=testid title=title>{body}</SectionFrame> }
}

/// Encounters folded by year, the newest year first: a long record's hundred visits are
/// a dozen lines until a year is opened.
#[component]
fn EncounterSection(encounters: Vec<Item>) -> impl IntoView {
    let body = if encounters.is_empty() {
        view! { <p class="muted viewer-empty">"None recorded."</p> }.into_any()
    } else {
        by_year(encounters)
            .into_iter()
            .map(|group| {
                let count = group.items.len();
                let summary = format!(
                    "{} · {count} {}",
                    group.heading(),
                    if count == 1 {
                        "encounter"
                    } else {
                        "encounters"
                    }
                );
                let rows = group
                    .items
                    .into_iter()
                    .map(|item| item_view(item, "viewer-item".to_owned()))
                    .collect_view();
                view! {
                    <details class="viewer-year" data-testid="viewer-encounter-year">
                        <summary>{summary}</summary>
                        <ul class="viewer-list">{rows}</ul>
                    </details>
                }
            })
            .collect_view()
            .into_any()
    };
    view! { <SectionFrame testid="viewer-encounters" title="Encounters">{body}</SectionFrame> }
}

#[component]
pub fn SeriesSection(
    testid: &'static str,
    title: &'static str,
    series: Vec<Series>,
    #[prop(optional)] whole: bool,
) -> impl IntoView {
    let all = RwSignal::new(false);
    let total = series.len();
    let at_first = if whole { total } else { CARDS_AT_FIRST };
    let body = if series.is_empty() {
        view! { <p class="muted viewer-empty">"None recorded."</p> }.into_any()
    } else {
        let cards = series
            .into_iter()
            .enumerate()
            .map(|(i, s)| view! { <SeriesCard series=s card_class=line_class("viewer-result", i, at_first)/> })
            .collect_view();
        view! {
            <div class=list_class("viewer-results", all)>{cards}</div>
            <ShowAll testid=testid total=total at_first=at_first all=all/>
        }
        .into_any()
    };
    view! { <SectionFrame testid=testid title=title>{body}</SectionFrame> }
}

#[component]
fn SeriesCard(series: Series, card_class: String) -> impl IntoView {
    let latest = series.latest().cloned();
    let range = series
        .range
        .as_ref()
        .and_then(|r| r.describe())
        .map(|r| view! { <span class="muted">" Reference " {r} {series.unit.clone().map(|u| format!(" {u}"))}</span> });
    let (value, out, date, source) = match latest {
        Some(p) => (
            view! { <MeasuredValue point=p.clone()/> }.into_any(),
            p.out_of_range,
            p.date,
            p.source,
        ),
        None => (().into_any(), false, None, None),
    };
    let flag = out.then(|| view! { <span class="viewer-flag">"Out of range"</span> });
    let class = if out {
        "viewer-value viewer-value-out"
    } else {
        "viewer-value"
    };
    let earlier = series
        .points
        .iter()
        .rev()
        .skip(1)
        .take(4)
        .map(|p| {
            let class = if p.out_of_range {
                "viewer-value-out"
            } else {
                ""
            };
            view! {
                <li>
                    <span class=class><MeasuredValue point=p.clone()/></span>
                    {p.out_of_range.then_some(" (out of range)")}
                    " " <span class="viewer-date">{p.date.as_deref().map(date_text)}</span>
                </li>
            }
        })
        .collect_view();
    let has_earlier = series.points.len() > 1;
    let count = series.points.len();
    view! {
        <article class=card_class>
            <h3>{series.name.clone()}</h3>
            <p>
                <span class=class>{value}</span> " " {flag} " "
                <span class="viewer-date">{date.as_deref().map(date_text)}</span>
                {range}
            </p>
            <TrendChart series=series.clone()/>
            {has_earlier.then(|| view! {
                <details class="viewer-earlier">
                    <summary>{format!("Earlier values ({} in all)", count)}</summary>
                    <ul>{earlier}</ul>
                </details>
            })}
            <Source source=source/>
        </article>
    }
}

#[component]
pub fn DocumentSection(documents: Vec<Document>, #[prop(optional)] whole: bool) -> impl IntoView {
    let all = RwSignal::new(false);
    let total = documents.len();
    let at_first = if whole { total } else { LINES_AT_FIRST };
    let body = if documents.is_empty() {
        view! { <p class="muted viewer-empty">"None recorded."</p> }.into_any()
    } else {
        let rows = documents
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let date = d.date.as_deref().map(date_text);
                let kind = d.content_type.clone().unwrap_or_else(|| "unknown type".into());
                let in_record = d.url.as_deref().and_then(|url| url.strip_prefix(ATTACHMENT_URL_SCHEME));
                let content = if d.data.is_some() {
                    view! { <BlobLink document=d.clone()/> }.into_any()
                } else if let (Some(id), Some(RecordAttachments(record))) = (in_record, use_context::<RecordAttachments>()) {
                    view! {
                        <AttachmentLink record=record attachment=id.to_owned()
                            content_type=d.content_type.clone().unwrap_or_default() title=d.title.clone()/>
                    }.into_any()
                } else if let Some(url) = d.url.clone() {
                    view! { <p class="muted">"Stored elsewhere: " {url}</p> }.into_any()
                } else {
                    view! { <p class="muted">"No content the viewer can show."</p> }.into_any()
                };
                view! {
                    <li class=line_class("viewer-item", i, at_first)>
                        <p class="viewer-item-title"><strong>{d.title.clone()}</strong> " " <span class="viewer-date">{date}</span></p>
                        <p class="muted">{kind}</p>
                        {content}
                        <Source source=d.source.clone()/>
                    </li>
                }
            })
            .collect_view();
        view! {
            <ul class=list_class("viewer-list", all)>{rows}</ul>
            <ShowAll testid="viewer-documents" total=total at_first=at_first all=all/>
        }
        .into_any()
    };
    view! { <SectionFrame testid="viewer-documents" title="Documents">{body}</SectionFrame> }
}

/// A value in the reader's units; the value as recorded, when it was converted, on hover
/// and for screen readers.
#[component]
pub fn MeasuredValue(point: Point) -> impl IntoView {
    match point.as_recorded() {
        Some(recorded) => view! {
            <span title=format!("As recorded: {recorded}")>{point.display}</span>
            <span class="visually-hidden">{format!(" (as recorded: {recorded})")}</span>
        }
        .into_any(),
        None => view! { <span>{point.display}</span> }.into_any(),
    }
}

/// Panels a list's own page shows at first, and adds by each "Show earlier results".
const PANELS_AT_A_TIME: usize = 12;

/// Results by panel, newest first: each report with its tests, values, ranges and flags.
/// A long record's thousands of panels are shown a few at a time: a dozen on the results
/// list (`whole`), as many as a section's lines in the summary.
#[component]
pub fn PanelSection(panels: Vec<Panel>, #[prop(optional)] whole: bool) -> impl IntoView {
    let step = if whole {
        PANELS_AT_A_TIME
    } else {
        LINES_AT_FIRST
    };
    let total = panels.len();
    let panels = StoredValue::new(panels);
    let shown = RwSignal::new(step);
    let body = if total == 0 {
        view! { <p class="muted viewer-empty">"None recorded."</p> }.into_any()
    } else {
        view! {
            <ul class="viewer-list">
                {move || panels.with_value(|all| {
                    all.iter().take(shown.get()).cloned().map(panel_view).collect_view()
                })}
            </ul>
            {move || (shown.get() < total).then(|| view! {
                <p class="actions">
                    <button type="button" class="button" data-testid="viewer-panels-more"
                        on:click=move |_| shown.update(|n| *n += step)>
                        {format!("Show earlier results ({} more)", total - shown.get())}
                    </button>
                </p>
            })}
        }
        .into_any()
    };
    view! { <SectionFrame testid="viewer-panels" title="Results">{body}</SectionFrame> }
}

fn panel_view(panel: Panel) -> impl IntoView {
    let date = panel.date.as_deref().map(date_text);
    let lines = panel
        .results
        .into_iter()
        .map(|r| {
            let out = r.point.out_of_range;
            let range = r.range.as_ref().and_then(|range| range.describe()).map(|text| {
                let unit = r.point.unit.clone().map(|u| format!(" {u}")).unwrap_or_default();
                view! { <span class="muted">" Reference " {text} {unit}</span> }
            });
            view! {
                <tr>
                    <th scope="row">{r.name}</th>
                    <td class=if out { "viewer-value-out" } else { "" }><MeasuredValue point=r.point/></td>
                    <td>{out.then(|| view! { <span class="viewer-flag">"Out of range"</span> })} {range}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <li class="viewer-item viewer-panel">
            <p class="viewer-item-title"><strong>{panel.title}</strong> " " <span class="viewer-date">{date}</span></p>
            <table class="viewer-panel-results"><tbody>{lines}</tbody></table>
            <Source source=panel.source/>
        </li>
    }
}
