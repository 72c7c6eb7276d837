//! `/timeline`: the record in date order, newest first: visits with what happened in them,
//! results, medication changes, immunizations, documents, problems, allergies and
//! procedures; filtered by category and provider. Only what is on screen is in the page:
//! more groups are added as the patient scrolls near the end (or presses "Show more"), so
//! a 30,000-resource record scrolls as smoothly as a small one.

use std::collections::BTreeSet;

use folio_shared::clinical_view::timeline::{
    Timeline as RecordTimeline, TimelineCategory, TimelineEvent, TimelineGroup,
};
use leptos::prelude::*;

use crate::components::guard::RequireUnlocked;
use crate::record::OpenRecord;
use crate::session::Session;

/// Groups added at a time.
const PAGE: usize = 50;

/// How close to the end of the page (in pixels) scrolling brings the next groups.
const NEAR_END_PX: f64 = 1200.0;

#[component]
pub fn Timeline() -> impl IntoView {
    view! {
        <RequireUnlocked>
            <TimelinePage/>
        </RequireUnlocked>
    }
}

#[component]
fn TimelinePage() -> impl IntoView {
    let session = Session::expect();
    let record = OpenRecord::for_page(session);
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Opening your record…"</p> }>
            {move || record.get().map(|opened| match opened {
                Ok(record) => view! { <TimelineView timeline=RecordTimeline::new(&record.contents)/> }.into_any(),
                Err(why) => view! { <p class="status-bad" data-testid="timeline-unavailable">{why}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn TimelineView(timeline: RecordTimeline) -> impl IntoView {
    let providers: Vec<String> = timeline.providers().map(str::to_owned).collect();
    let undated = timeline.undated();
    let timeline = StoredValue::new(timeline);
    let categories = RwSignal::new(TimelineCategory::ALL.into_iter().collect::<BTreeSet<_>>());
    let provider = RwSignal::new(None::<String>);
    let shown = RwSignal::new(PAGE);
    // A change of filter starts again from the top.
    Effect::new(move |_| {
        categories.track();
        provider.track();
        shown.set(PAGE);
    });
    // Grouped once per choice of filters, not again for each page scrolled into view.
    let groups = Memo::new(move |_| {
        timeline.with_value(|t| {
            t.groups(&categories.get(), provider.get().as_deref())
                .into_iter()
                .map(ShownGroup::of)
                .collect::<Vec<_>>()
        })
    });
    let total = Memo::new(move |_| groups.with(Vec::len));
    let more = move || shown.update(|n| *n += PAGE);
    let scrolling = window_event_listener(leptos::ev::scroll, move |_| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let height = window
            .document()
            .and_then(|d| d.body())
            .map_or(0.0, |b| f64::from(b.scroll_height()));
        let bottom = window.scroll_y().unwrap_or(0.0)
            + window
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(0.0);
        if height - bottom < NEAR_END_PX && shown.get_untracked() < total.get_untracked() {
            more();
        }
    });
    // A window listener outlives the page unless removed: scrolling elsewhere would then
    // read this page's signals after they are gone (a panic).
    on_cleanup(move || scrolling.remove());
    // On a phone the filters would fill the first screen: they fold behind "Filter", and
    // start open where there is room.
    let roomy = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w >= 600.0);
    let filter_summary = move || {
        let chosen = categories.with(BTreeSet::len);
        let kinds = if chosen == TimelineCategory::ALL.len() {
            "everything".to_owned()
        } else {
            format!("{chosen} of {} kinds", TimelineCategory::ALL.len())
        };
        match provider.get() {
            Some(from) => format!("Filter: {kinds}, from {from}"),
            None => format!("Filter: {kinds}"),
        }
    };
    view! {
        <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Timeline"</h2>
            <details class="timeline-filter" open=roomy data-testid="timeline-filter">
                <summary data-testid="timeline-filter-toggle">{filter_summary}</summary>
                <fieldset class="timeline-filters">
                    <legend>"Show"</legend>
                    {TimelineCategory::ALL.into_iter().map(|category| {
                        let id = format!("timeline-{}", category.label().to_lowercase());
                        view! {
                            <label class="check">
                                <input type="checkbox" id=id data-testid="timeline-category" value=category.label()
                                    prop:checked=move || categories.with(|c| c.contains(&category))
                                    on:change=move |_| categories.update(|c| {
                                        if !c.remove(&category) {
                                            c.insert(category);
                                        }
                                    })/>
                                {category.label()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <label for="timeline-provider">"Provider"</label>
                <select id="timeline-provider" data-testid="timeline-provider"
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        provider.set((!value.is_empty()).then_some(value));
                    }>
                    <option value="">"All providers"</option>
                    {providers.into_iter().map(|p| view! { <option value=p.clone()>{p.clone()}</option> }).collect_view()}
                </select>
            </details>
            <p class="muted" role="status" data-testid="timeline-count">{move || {
                let total = total.get();
                let on_screen = shown.get().min(total);
                let mut text = format!("Showing {on_screen} of {total} entries and visits.");
                if undated > 0 {
                    text.push_str(&format!(" {undated} entries without a date are not on the timeline."));
                }
                text
            }}</p>
        </section>
        <ol class="timeline" data-testid="timeline">
            {move || groups.with(|groups| {
                groups.iter().take(shown.get()).map(group_view).collect_view()
            })}
        </ol>
        {move || (shown.get() < total.get()).then(|| view! {
            <p class="actions"><button type="button" class="button" data-testid="timeline-more"
                on:click=move |_| more()>"Show more"</button></p>
        })}
    }
}

/// A group as the page keeps it between scrolls: its own copy of what it shows.
#[derive(Debug, Clone, PartialEq)]
struct ShownGroup {
    date: String,
    visit: Option<TimelineEvent>,
    events: Vec<TimelineEvent>,
}

impl ShownGroup {
    fn of(group: TimelineGroup<'_>) -> ShownGroup {
        ShownGroup {
            date: group.date.to_owned(),
            visit: group.visit.cloned(),
            events: group.events.into_iter().cloned().collect(),
        }
    }
}

fn group_view(group: &ShownGroup) -> impl IntoView + use<> {
    let day = day_of(&group.date);
    let heading = group.visit.as_ref().map(|visit| {
        view! {
            <p class="timeline-visit"><strong>{visit.title.clone()}</strong>
                {visit.provider.clone().map(|p| format!(" · {p}"))}</p>
        }
    });
    let events = group.events.iter().map(event_view).collect_view();
    view! {
        <li class="timeline-group" data-testid="timeline-group">
            <p class="timeline-date">{day}</p>
            {heading}
            <ul class="timeline-events">{events}</ul>
        </li>
    }
}

fn event_view(event: &TimelineEvent) -> impl IntoView + use<> {
    view! {
        <li data-testid="timeline-event">
            <span class="timeline-kind">{event.category.label()}</span>" "
            {event.title.clone()}
            {event.detail.clone().map(|d| format!(": {d}"))}
            {event.provider.clone().map(|p| view! { " " <span class="muted">{format!("({p})")}</span> })}
        </li>
    }
}

fn day_of(date: &str) -> String {
    date.get(..10).unwrap_or(date).to_owned()
}
