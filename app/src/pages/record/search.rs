//! The search box and its hits; choosing a hit opens its detail below the list.

use folio_shared::clinical_view::Series;
use folio_shared::clinical_view::search::RecordSearch;
use folio_shared::record::EntryId;
use leptos::prelude::*;

use super::add::Draft;
use super::detail::Detail;
use crate::record::OpenRecord;

/// Hits shown at once; the count says how many more there are.
const SHOWN: usize = 50;

#[component]
pub fn Search(
    index: RecordSearch,
    record: StoredValue<OpenRecord>,
    series: Vec<Series>,
    draft: RwSignal<Draft>,
    may_write: bool,
) -> impl IntoView {
    let index = StoredValue::new(index);
    let series = StoredValue::new(series);
    let query = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<EntryId>);
    let results = Memo::new(move |_| index.with_value(|i| i.query(&query.get(), SHOWN)));
    view! {
        <form role="search" class="stack" on:submit=move |ev| ev.prevent_default()>
            <label for="record-search">"Search your record (words or codes)"</label>
            <input id="record-search" type="search" data-testid="record-search" autocomplete="off"
                placeholder="e.g. hemoglobin, penicillin, 4548-4"
                prop:value=move || query.get()
                on:input=move |ev| { chosen.set(None); query.set(event_target_value(&ev)); }/>
        </form>
        {move || {
            let found = results.get();
            if query.with(|q| q.trim().is_empty()) {
                return ().into_any();
            }
            let summary = match found.total {
                0 => "Nothing matches.".to_owned(),
                1 => "1 match.".to_owned(),
                n if n > found.hits.len() => format!("{n} matches; the first {} are shown.", found.hits.len()),
                n => format!("{n} matches."),
            };
            view! {
                <p role="status" data-testid="record-search-count">{summary}</p>
                <ul class="search-hits" data-testid="record-hits">
                    {found.hits.into_iter().map(|hit| {
                        let id = hit.id.clone();
                        let date = hit.date.as_deref().map(|d| d.get(..10).unwrap_or(d).to_owned());
                        view! {
                            <li>
                                <button type="button" class="link search-hit" data-testid="record-hit"
                                    on:click=move |_| chosen.set(Some(id.clone()))>
                                    <span class="search-hit-kind">{hit.kind}</span>
                                    <strong>{hit.title.clone()}</strong>
                                    {hit.value.clone().map(|v| format!(": {v}"))}
                                    {date.map(|d| format!(" · {d}"))}
                                    {hit.code.clone().map(|code| view! { <span class="search-hit-code">{code}</span> })}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {move || chosen.get().and_then(|id| record.with_value(|r| {
            r.contents.get(&id).cloned().map(|stored| view! {
                <Detail id=id.clone() stored=stored series=series draft=draft may_write=may_write
                    on_close=Callback::new(move |_| chosen.set(None))/>
            })
        }))}
    }
}
