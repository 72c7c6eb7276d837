use folio_shared::api::account::{PasskeySummary, RenamePasskey};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::ceremonies;
use crate::components::alert::{Alert, Progress};
use crate::components::new_passkey::NewPasskeyFields;
use crate::dates;
use crate::passkey;
use crate::session::Session;
use crate::unlocking;

/// The account's passkeys: which unlock, when each was used; add, rename, remove.
#[component]
pub fn Passkeys() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        reload.track();
        api::passkeys()
    });
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<String>);
    view! {
        <section class="card" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">"Passkeys"</h2>
            <p class="muted">
                "Passkeys marked “Unlocks” also open your records when you sign in with them."
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading your passkeys…"</p> }>
                {move || list.get().map(|passkeys| match passkeys {
                    Ok(passkeys) if passkeys.is_empty() => view! {
                        <p data-testid="passkey-list">
                            "No passkeys: you sign in with your recovery code or a linked device."
                        </p>
                    }.into_any(),
                    Ok(passkeys) => view! {
                        <ul class="items" data-testid="passkey-list">
                            {passkeys
                                .into_iter()
                                .map(|passkey| view! {
                                    <PasskeyItem passkey=passkey reload=reload error=error progress=progress/>
                                })
                                .collect_view()}
                        </ul>
                    }.into_any(),
                    Err(failure) => view! { <p class="status-bad">{failure.to_string()}</p> }.into_any(),
                })}
            </Suspense>
            <Progress message=progress/>
            <Alert message=error/>
            <AddPasskey reload=reload error=error progress=progress/>
        </section>
    }
}

/// What a passkey row is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowMode {
    Showing,
    Renaming,
    ConfirmingRemoval,
}

#[component]
fn PasskeyItem(
    passkey: PasskeySummary,
    reload: RwSignal<u32>,
    error: RwSignal<Option<String>>,
    progress: RwSignal<Option<String>>,
) -> impl IntoView {
    let session = Session::expect();
    let mode = RwSignal::new(RowMode::Showing);
    let busy = RwSignal::new(false);
    let new_name = RwSignal::new(passkey.name.clone());
    let id = passkey.id;
    let name = passkey.name.clone();
    let credential_id = passkey.credential_id.clone();

    let rename = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let name = new_name.get_untracked().trim().to_owned();
        if name.is_empty() {
            error.set(Some("A passkey needs a name.".into()));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::rename_passkey(id, &RenamePasskey { name }).await {
                Ok(_) => {
                    error.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
            busy.set(false);
        });
    };
    let remove = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let announce = move |prompt: &str| progress.set(Some(prompt.to_owned()));
            match ceremonies::confirmed(announce, || api::remove_passkey(id)).await {
                Ok(()) => {
                    error.set(None);
                    reload.update(|n| *n += 1);
                }
                // The server refuses to remove the last way in (409) and says so.
                Err(failure) => {
                    error.set(Some(failure.to_string()));
                    mode.set(RowMode::Showing);
                }
            }
            progress.set(None);
            busy.set(false);
        });
    };
    let set_up_unlocking = move |_| {
        let Some(account) = session.account_identity() else {
            return;
        };
        let Some(credential_id) = unlocking::decode(&credential_id) else {
            error.set(Some("This passkey's id is unreadable.".into()));
            return;
        };
        busy.set(true);
        error.set(None);
        progress.set(Some(
            "Use this passkey once more, to set it up for unlocking.".into(),
        ));
        spawn_local(async move {
            match ceremonies::let_passkey_unlock(session, &account, &credential_id).await {
                Ok(()) => reload.update(|n| *n += 1),
                Err(failure) if failure.is_silent() => {}
                Err(failure) => error.set(Some(failure.to_string())),
            }
            progress.set(None);
            busy.set(false);
        });
    };

    let last_used = passkey
        .last_used_at
        .map(|at| format!("last used {}", dates::day(&at)))
        .unwrap_or_else(|| "never used".into());
    let can_set_up_unlocking = passkey.prf_enabled && !passkey.unlocks;
    view! {
        <li class="item">
            <div class="item-main">
                <strong class="item-name">{passkey.name.clone()}</strong>
                {passkey.unlocks.then(|| view! { <span class="badge">"Unlocks"</span> })}
                <p class="muted">
                    {format!("Added {}, {last_used}.", dates::day(&passkey.created_at))}
                </p>
            </div>
            {move || match mode.get() {
                RowMode::Showing => view! {
                    <div class="item-actions">
                        {can_set_up_unlocking.then(|| view! {
                            <button type="button" disabled=move || busy.get() on:click=set_up_unlocking.clone()>
                                "Set up unlocking"
                            </button>
                        })}
                        <button type="button" on:click=move |_| mode.set(RowMode::Renaming)>
                            "Rename"
                        </button>
                        <button type="button" class="danger" on:click=move |_| mode.set(RowMode::ConfirmingRemoval)>
                            "Remove"
                        </button>
                    </div>
                }.into_any(),
                RowMode::Renaming => view! {
                    <form class="inline-form" on:submit=rename>
                        <label for=format!("rename-{id}")>"New name"</label>
                        <input id=format!("rename-{id}") type="text" required bind:value=new_name/>
                        <button type="submit" class="primary" disabled=move || busy.get()>"Save"</button>
                        <button type="button" on:click=move |_| mode.set(RowMode::Showing)>"Cancel"</button>
                    </form>
                }.into_any(),
                RowMode::ConfirmingRemoval => view! {
                    <div class="item-actions" role="group" aria-label="Confirm removal">
                        <span>{format!("Remove “{name}”? It will no longer sign in, and wherever it signed you in is signed out.")}</span>
                        <button type="button" class="danger" disabled=move || busy.get() on:click=remove>
                            "Yes, remove"
                        </button>
                        <button type="button" on:click=move |_| mode.set(RowMode::Showing)>"Cancel"</button>
                    </div>
                }.into_any(),
            }}
        </li>
    }
}

/// Registers another passkey: a second device, or a security key kept as a spare.
#[component]
fn AddPasskey(
    reload: RwSignal<u32>,
    error: RwSignal<Option<String>>,
    progress: RwSignal<Option<String>>,
) -> impl IntoView {
    let session = Session::expect();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let display_name = RwSignal::new(String::new());
    let passkey_name = RwSignal::new(passkey::suggested_name());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let display = display_name.get_untracked().trim().to_owned();
        let name = passkey_name.get_untracked().trim().to_owned();
        if display.is_empty() || name.is_empty() {
            error.set(Some("Fill in both names.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        progress.set(Some(
            "Follow your browser's prompt to create a passkey.".into(),
        ));
        spawn_local(async move {
            let announce = move |prompt: &str| progress.set(Some(prompt.to_owned()));
            match ceremonies::add_passkey(session, display, name, announce).await {
                Ok(added) => {
                    if let Some(failure) = added.unlock_setup_failed {
                        error.set(Some(format!(
                            "The new passkey signs you in, but could not be set up to unlock \
                             your records ({failure}). Try “Set up unlocking”."
                        )));
                    }
                    open.set(false);
                    reload.update(|n| *n += 1);
                }
                Err(failure) if failure.is_silent() => {}
                Err(failure) => error.set(Some(failure.to_string())),
            }
            progress.set(None);
            busy.set(false);
        });
    };
    move || {
        if open.get() {
            view! {
                <form class="stacked-form" on:submit=submit>
                    <NewPasskeyFields display_name=display_name passkey_name=passkey_name/>
                    <p class="actions">
                        <button type="submit" class="primary" disabled=move || busy.get()>
                            "Create passkey"
                        </button>
                        <button type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    </p>
                </form>
            }
            .into_any()
        } else {
            view! {
                <button type="button" on:click=move |_| open.set(true)>"Add a passkey"</button>
            }
            .into_any()
        }
    }
}
