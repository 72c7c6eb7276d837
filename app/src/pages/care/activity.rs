//! The owner's view of what caregivers did in the record and who came and went.

use folio_shared::vault::VaultId;
use leptos::prelude::*;

use crate::api;
use crate::dates;

#[component]
pub fn ActivityLog(vault: VaultId, changed: RwSignal<u32>) -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let entries = LocalResource::new(move || {
        changed.track();
        refresh.track();
        api::activity(vault)
    });
    view! {
        <details class="activity" data-testid="care-activity">
            <summary>"What caregivers did"</summary>
            <button class="button" data-testid="care-activity-refresh"
                on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || entries.get().map(|answer| match answer {
                    Err(e) => view! { <p class="status-bad">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted">"Nothing yet."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="activity-log">
                            <caption class="visually-hidden">"Caregiver activity, newest first"</caption>
                            <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|entry| view! {
                                    <tr data-testid="care-activity-entry">
                                        <td>{format!("{} {}", dates::day(&entry.at), dates::time(&entry.at))}</td>
                                        <td>{entry.actor}</td>
                                        <td>{if entry.detail.is_empty() { entry.action } else { format!("{} · {}", entry.action, entry.detail) }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </details>
    }
}
