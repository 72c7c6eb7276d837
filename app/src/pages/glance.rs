//! The start page's summary at a glance: allergies, active problems, current medications,
//! the latest results and immunizations, a few of each, every card linking to its full list
//! on the record page.

use folio_shared::api::VaultSummary;
use folio_shared::clinical_view::{ClinicalView, Item, Series};
use leptos::prelude::*;

use crate::offline::LogSync;
use crate::pages::record::summary_of;
use crate::record::OpenRecord;
use crate::session::Session;

/// Items a card shows before "and N more".
const SHOWN: usize = 3;

/// The glance at `vault`, the record the start page has just listed and unlocked.
#[component]
pub fn Glance(vault: VaultSummary) -> impl IntoView {
    let session = Session::expect();
    let summary = LocalResource::new(move || {
        let vault = vault.clone();
        async move {
            OpenRecord::open(session, vault)
                .await
                .map(|record| (summary_of(&record), record.sync))
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Decrypting your record…"</p> }>
            {move || summary.get().map(|opened| match opened {
                Ok((view, sync)) => view! { <SyncStatus sync=sync/> <Cards view=view/> }.into_any(),
                Err(why) => view! { <p class="status-bad" data-testid="glance-unavailable">{why}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// Where the record shown came from: the server, and how much of it was new here, or the
/// copy kept on this device.
#[component]
fn SyncStatus(sync: LogSync) -> impl IntoView {
    let (class, text) = match sync {
        LogSync::KeptCopy { kept } => (
            "notice",
            format!(
                "Offline: this is the copy kept on this device ({kept} encrypted batches). \
                 Anything added elsewhere since your last visit appears when the server answers."
            ),
        ),
        LogSync::UpToDate { fetched: 0, .. } => ("muted", "Up to date with the server.".into()),
        LogSync::UpToDate { fetched, kept } => (
            "muted",
            format!(
                "Up to date with the server: {fetched} new encrypted {} fetched, {kept} kept on \
                 this device already.",
                if fetched == 1 { "batch" } else { "batches" }
            ),
        ),
    };
    view! { <p class=class role="status" data-testid="sync-status">{text}</p> }
}

#[component]
fn Cards(view: ClinicalView) -> impl IntoView {
    // Immunizations are listed oldest first in the summary; the latest matter here.
    let mut immunizations = view.immunizations;
    immunizations.sort_by(|a, b| b.date.cmp(&a.date));
    view! {
        <div class="glance" data-testid="glance">
            <ItemCard testid="glance-allergies" title="Allergies" anchor="viewer-allergies" items=view.allergies
                empty="No allergies recorded."/>
            <ItemCard testid="glance-problems" title="Active problems" anchor="viewer-problems" items=view.problems
                empty="No active problems recorded."/>
            <ItemCard testid="glance-medications" title="Current medications" anchor="viewer-medications" items=view.medications
                empty="No current medications recorded."/>
            <ResultCard series=view.results/>
            <ItemCard testid="glance-immunizations" title="Immunizations" anchor="viewer-immunizations" items=immunizations
                empty="No immunizations recorded."/>
        </div>
    }
}

#[component]
fn ItemCard(
    testid: &'static str,
    title: &'static str,
    anchor: &'static str,
    items: Vec<Item>,
    empty: &'static str,
) -> impl IntoView {
    let more = items.len().saturating_sub(SHOWN);
    let heading = format!("{testid}-title");
    let labelled_by = heading.clone();
    view! {
        <section class="card glance-card" data-testid=testid aria-labelledby=labelled_by>
            <h2 id=heading><a href=format!("/record#{anchor}")>{title}</a></h2>
            {if items.is_empty() {
                view! { <p class="muted">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {items.into_iter().take(SHOWN).map(|item| view! {
                            <li>
                                {item.title}
                                {item.alert.map(|a| view! { " " <span class="viewer-flag">{a}</span> })}
                                {item.date.map(|d| view! { " " <span class="viewer-date">{d.get(..10).unwrap_or(&d).to_owned()}</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                    {(more > 0).then(|| view! { <p class="muted">{format!("and {more} more")}</p> })}
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ResultCard(series: Vec<Series>) -> impl IntoView {
    let more = series.len().saturating_sub(SHOWN);
    view! {
        <section class="card glance-card" data-testid="glance-results" aria-labelledby="glance-results-title">
            <h2 id="glance-results-title"><a href="/record#viewer-results">"Latest results"</a></h2>
            {if series.is_empty() {
                view! { <p class="muted">"No results recorded."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {series.into_iter().take(SHOWN).map(|s| {
                            let latest = s.latest().cloned();
                            let out = latest.as_ref().is_some_and(|p| p.out_of_range);
                            view! {
                                <li>
                                    {s.name.clone()}": "
                                    <strong class=if out { "viewer-value-out" } else { "" }>
                                        {latest.as_ref().map(|p| p.display.clone())}
                                    </strong>
                                    {out.then(|| view! { " " <span class="viewer-flag">"Out of range"</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    {(more > 0).then(|| view! { <p class="muted">{format!("and {more} more")}</p> })}
                }.into_any()
            }}
        </section>
    }
}
