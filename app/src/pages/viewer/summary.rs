//! The summary on one screen, in a clinician's order: patient, allergies, problems,
//! medications, results by panel with trends, immunizations, vital signs, social history
//! and questionnaire answers, procedures, documents, encounters, then the history: past
//! medications, past problems and past allergies. Values are in the reader's units, each
//! with the value as recorded on hover when it was converted.
//! Every section has a stable `data-testid` for the browser tests.

use folio_shared::clinical_view::{
    ClinicalView, Document, Item, Panel, PatientBanner, Point, Series, date_text,
};
use leptos::prelude::*;

use super::chart::TrendChart;
use super::files::{AttachmentLink, BlobLink};
use crate::record::RecordAttachments;
use folio_shared::import::document::ATTACHMENT_URL_SCHEME;

#[component]
pub fn Summary(view: ClinicalView) -> impl IntoView {
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
    view! {
        <Banner patient=patient/>
        <ItemSection testid="viewer-allergies" title="Allergies and intolerances" items=allergies/>
        <ItemSection testid="viewer-problems" title="Active problems" items=problems/>
        <ItemSection testid="viewer-medications" title="Current medications" items=medications/>
        <PanelSection panels=panels/>
        <SeriesSection testid="viewer-results" title="Result trends" series=results/>
        <ItemSection testid="viewer-immunizations" title="Immunizations" items=immunizations/>
        <SeriesSection testid="viewer-vitals" title="Vital signs" series=vital_signs/>
        <SeriesSection testid="viewer-social-history" title="Social history" series=social_history/>
        <SeriesSection testid="viewer-assessments" title="Questionnaires and assessments" series=assessments/>
        <ItemSection testid="viewer-procedures" title="Procedures" items=procedures/>
        <DocumentSection documents=documents/>
        <ItemSection testid="viewer-encounters" title="Encounters" items=encounters/>
        <ItemSection testid="viewer-past-medications" title="Past medications" items=past_medications/>
        <ItemSection testid="viewer-past-problems" title="Past problems" items=past_problems/>
        <ItemSection testid="viewer-past-allergies" title="Past and ruled-out allergies" items=past_allergies/>
    }
}

#[component]
fn Banner(patient: Option<PatientBanner>) -> impl IntoView {
    let patient = patient.unwrap_or_default();
    let name = patient
        .name
        .clone()
        .unwrap_or_else(|| "Name not recorded".into());
    let born = patient
        .birth_date
        .clone()
        .unwrap_or_else(|| "not recorded".into());
    let age = patient
        .age
        .map(|a| format!("{a} years"))
        .unwrap_or_else(|| "unknown".into());
    let sex = patient.sex.clone().unwrap_or_else(|| "not recorded".into());
    view! {
        <section class="viewer-banner" data-testid="viewer-patient" aria-labelledby="viewer-patient-name">
            <h2 id="viewer-patient-name">{name}</h2>
            <dl class="banner-facts">
                <div><dt>"Born"</dt><dd>{born}</dd></div>
                <div><dt>"Age"</dt><dd>{age}</dd></div>
                <div><dt>"Sex"</dt><dd>{sex}</dd></div>
            </dl>
            <Source source=patient.source/>
        </section>
    }
}

#[component]
fn Source(source: Option<String>) -> impl IntoView {
    source.map(|s| view! { <p class="viewer-source">"Source: " {s}</p> })
}

#[component]
pub fn ItemSection(testid: &'static str, title: &'static str, items: Vec<Item>) -> impl IntoView {
    let heading_id = format!("{testid}-title");
    let labelled_by = heading_id.clone();
    let body = if items.is_empty() {
        view! { <p class="muted viewer-empty">"None recorded."</p> }.into_any()
    } else {
        let rows = items
            .into_iter()
            .map(|item| {
                let sources = item.sources_text();
                let alert = item.alert.map(|a| view! { <span class="viewer-flag">{a}</span> });
                let date = item.date.map(|d| view! { <span class="viewer-date">{d.text()}</span> });
                let details = item
                    .details
                    .into_iter()
                    .map(|d| view! { <li>{d}</li> })
                    .collect_view();
                view! {
                    <li class="viewer-item">
                        <p class="viewer-item-title"><strong>{item.title}</strong> " " {alert} " " {date}</p>
                        <ul class="viewer-details">{details}</ul>
                        <Source source=sources/>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="viewer-list">{rows}</ul> }.into_any()
    };
    view! {
        <section class="viewer-section" data-testid=testid aria-labelledby=labelled_by>
            <h2 id=heading_id>{title}</h2>
            {body}
        </section>
    }
}

#[component]
pub fn SeriesSection(
    testid: &'static str,
    title: &'static str,
    series: Vec<Series>,
) -> impl IntoView {
    let heading_id = format!("{testid}-title");
    let labelled_by = heading_id.clone();
    let body = if series.is_empty() {
        view! { <p class="muted viewer-empty">"None recorded."</p> }.into_any()
    } else {
        series
            .into_iter()
            .map(|s| view! { <SeriesCard series=s/> })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="viewer-section" data-testid=testid aria-labelledby=labelled_by>
            <h2 id=heading_id>{title}</h2>
            <div class="viewer-results">{body}</div>
        </section>
    }
}

#[component]
fn SeriesCard(series: Series) -> impl IntoView {
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
        <article class="viewer-result">
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
pub fn DocumentSection(documents: Vec<Document>) -> impl IntoView {
    let body = if documents.is_empty() {
        view! { <p class="muted viewer-empty">"None recorded."</p> }.into_any()
    } else {
        let rows = documents
            .into_iter()
            .map(|d| {
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
                    <li class="viewer-item">
                        <p class="viewer-item-title"><strong>{d.title.clone()}</strong> " " <span class="viewer-date">{date}</span></p>
                        <p class="muted">{kind}</p>
                        {content}
                        <Source source=d.source.clone()/>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="viewer-list">{rows}</ul> }.into_any()
    };
    view! {
        <section class="viewer-section" data-testid="viewer-documents" aria-labelledby="viewer-documents-title">
            <h2 id="viewer-documents-title">"Documents"</h2>
            {body}
        </section>
    }
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

/// Panels shown at first, and added by each "Show earlier results".
const PANELS_AT_A_TIME: usize = 12;

/// Results by panel, newest first: each report with its tests, values, ranges and flags.
/// A long record's thousands of panels are shown a dozen at a time.
#[component]
pub fn PanelSection(panels: Vec<Panel>) -> impl IntoView {
    let total = panels.len();
    let panels = StoredValue::new(panels);
    let shown = RwSignal::new(PANELS_AT_A_TIME);
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
                        on:click=move |_| shown.update(|n| *n += PANELS_AT_A_TIME)>
                        {format!("Show earlier results ({} more)", total - shown.get())}
                    </button>
                </p>
            })}
        }
        .into_any()
    };
    view! {
        <section class="viewer-section" data-testid="viewer-panels" aria-labelledby="viewer-panels-title">
            <h2 id="viewer-panels-title">"Results"</h2>
            {body}
        </section>
    }
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
