//! The summary on one screen, in a clinician's order: patient, allergies, problems,
//! medications, results with trends, immunizations, vital signs, procedures, documents,
//! encounters, then the history: past medications and past problems.
//! Every section has a stable `data-testid` for the browser tests.

use folio_shared::clinical_view::{ClinicalView, Document, Item, PatientBanner, Series};
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
        problems,
        past_problems,
        medications,
        past_medications,
        results,
        immunizations,
        vital_signs,
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
        <SeriesSection testid="viewer-results" title="Recent results" series=results/>
        <ItemSection testid="viewer-immunizations" title="Immunizations" items=immunizations/>
        <SeriesSection testid="viewer-vitals" title="Vital signs" series=vital_signs/>
        <ItemSection testid="viewer-procedures" title="Procedures" items=procedures/>
        <DocumentSection documents=documents/>
        <ItemSection testid="viewer-encounters" title="Encounters" items=encounters/>
        <ItemSection testid="viewer-past-medications" title="Past medications" items=past_medications/>
        <ItemSection testid="viewer-past-problems" title="Past problems" items=past_problems/>
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
                let alert = item.alert.map(|a| view! { <span class="viewer-flag">{a}</span> });
                let date = item.date.map(|d| view! { <span class="viewer-date">{date_text(&d)}</span> });
                let details = item
                    .details
                    .into_iter()
                    .map(|d| view! { <li>{d}</li> })
                    .collect_view();
                view! {
                    <li class="viewer-item">
                        <p class="viewer-item-title"><strong>{item.title}</strong> " " {alert} " " {date}</p>
                        <ul class="viewer-details">{details}</ul>
                        <Source source=item.source/>
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
        Some(p) => (p.display, p.out_of_range, p.date, p.source),
        None => (String::new(), false, None, None),
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
                    <span class=class>{p.display.clone()}</span>
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

/// A FHIR date or dateTime as a clinician reads it: the date, and the time when given.
fn date_text(date: &str) -> String {
    match date.split_once('T') {
        Some((day, time)) => format!("{day} {}", time.get(..5).unwrap_or(time)),
        None => date.to_owned(),
    }
}
