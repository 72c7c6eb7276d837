//! The patient's links: what each shares, how long it has left, how often it was opened,
//! revoke (at once), and the access log of every request for it.

use std::time::Duration;

use folio_shared::api::share::{ShareLog, ShareStatus, ShareSummary};
use folio_shared::share::ShareCategory;
use folio_shared::vault::VaultId;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api;
use crate::components::alert::Alert;
use crate::dates;

#[component]
pub fn ShareList(vault: VaultId, changed: RwSignal<u32>) -> impl IntoView {
    let shares = LocalResource::new(move || {
        changed.track();
        api::shares(vault)
    });
    // The countdowns move once a second; nothing is fetched for it.
    let now = RwSignal::new(dates::now());
    if let Ok(ticker) =
        set_interval_with_handle(move || now.set(dates::now()), Duration::from_secs(1))
    {
        on_cleanup(move || ticker.clear());
    }
    view! {
        <section class="card" aria-labelledby="share-list-title">
            <h2 id="share-list-title">"Your links"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading your links…"</p> }>
                {move || shares.get().map(|answer| match answer {
                    Err(error) => view! { <p class="status-bad">{error.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted" data-testid="share-list-empty">"You have not shared anything yet."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="share-list" data-testid="share-list">
                            {list.into_iter().map(|share| view! { <ShareRow share=share now=now changed=changed/> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ShareRow(
    share: ShareSummary,
    now: RwSignal<chrono::DateTime<chrono::Utc>>,
    changed: RwSignal<u32>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let show_log = RwSignal::new(false);
    let id = share.id;
    let expires_at = share.expires_at;
    let status = share.status;
    let what = share
        .categories
        .iter()
        .map(|(name, n)| {
            let label = name
                .parse::<ShareCategory>()
                .map(|c| c.label().to_lowercase())
                .unwrap_or_else(|_| name.replace('_', " "));
            format!("{n} {label}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let opens = match (share.opens, share.max_opens) {
        (n, Some(max)) => format!("Opened {n} of {max} times allowed"),
        (0, None) => "Not opened yet".to_owned(),
        (1, None) => "Opened once".to_owned(),
        (n, None) => format!("Opened {n} times"),
    };
    let attempts = share
        .attempts_left
        .map(|left| format!("; {left} wrong passcodes left before it locks"));
    let revoke = move |_| {
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(
                    "Revoke this link? It stops working at once, for everyone who has it.",
                )
                .ok()
            })
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::revoke_share(id).await {
                Ok(_) => changed.update(|n| *n += 1),
                Err(failure) => error.set(Some(failure.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <li class="share-row" data-testid="share-row" data-share-id=id.to_string()>
            <h3>{share.label.clone()}</h3>
            <p>{what}</p>
            <p data-testid="share-status" class=status_class(status)>
                {move || status_text(status, &expires_at, &now.get())}
            </p>
            <p class="muted" data-testid="share-opens">{opens}{attempts}</p>
            <p class="actions">
                {(status == ShareStatus::Active).then(|| view! {
                    <button type="button" class="danger" data-testid="share-revoke"
                        disabled=move || busy.get() on:click=revoke>"Revoke"</button>
                })}
                <button type="button" aria-expanded=move || show_log.get().to_string()
                    data-testid="share-show-log" on:click=move |_| show_log.update(|s| *s = !*s)>
                    {move || if show_log.get() { "Hide the access log" } else { "Access log" }}
                </button>
            </p>
            <Alert message=error/>
            {move || show_log.get().then(|| view! { <AccessLog share=id/> })}
        </li>
    }
}

fn status_class(status: ShareStatus) -> &'static str {
    match status {
        ShareStatus::Active => "status-ok",
        _ => "status-bad",
    }
}

fn status_text(
    status: ShareStatus,
    expires_at: &chrono::DateTime<chrono::Utc>,
    now: &chrono::DateTime<chrono::Utc>,
) -> String {
    match status {
        ShareStatus::Active => match dates::remaining(expires_at, now) {
            Some(left) => format!("Active: expires in {left}"),
            None => "Expired".into(),
        },
        ShareStatus::Expired => "Expired".into(),
        ShareStatus::Revoked => "Revoked".into(),
        ShareStatus::Exhausted => "Used up: opened as many times as allowed".into(),
        ShareStatus::Locked => "Locked: too many wrong passcodes".into(),
    }
}

#[component]
fn AccessLog(share: Uuid) -> impl IntoView {
    let log = LocalResource::new(move || api::share_log(share));
    view! {
        <div class="access-log" data-testid="share-log">
            <Suspense fallback=|| view! { <p class="muted">"Reading the log…"</p> }>
                {move || log.get().map(|answer| match answer {
                    Err(error) => view! { <p class="status-bad">{error.to_string()}</p> }.into_any(),
                    Ok(log) => view! { <LogTable log=log/> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn LogTable(log: ShareLog) -> impl IntoView {
    let integrity = if log.chain_valid {
        view! { <p class="muted" data-testid="share-log-intact">"The log is intact: no entry was changed or removed."</p> }.into_any()
    } else {
        view! { <p class="status-bad" role="alert" data-testid="share-log-broken">"Warning: this log was altered. An entry was changed or removed after it was written."</p> }.into_any()
    };
    if log.entries.is_empty() {
        return view! { <p class="muted">"Nobody has asked for this link yet."</p> {integrity} }
            .into_any();
    }
    view! {
        <table>
            <thead><tr><th scope="col">"When"</th><th scope="col">"Who (as they typed it)"</th><th scope="col">"Outcome"</th></tr></thead>
            <tbody>
                {log.entries.into_iter().rev().map(|entry| view! {
                    <tr data-testid="share-log-entry">
                        <td>{format!("{} {}", dates::day(&entry.at), dates::time(&entry.at))}</td>
                        <td>{entry.recipient}</td>
                        <td>{outcome_text(&entry.outcome)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {integrity}
    }
    .into_any()
}

fn outcome_text(outcome: &str) -> String {
    match outcome {
        "opened" => "Opened".into(),
        "wrong_passcode" => "Wrong passcode".into(),
        "expired" => "Refused: expired".into(),
        "revoked" => "Refused: revoked".into(),
        "exhausted" => "Refused: used up".into(),
        "locked" => "Refused: locked".into(),
        other => other.to_owned(),
    }
}
