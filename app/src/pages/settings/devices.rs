use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use folio_shared::api::account::{DeviceSummary, Pairing, recipient_fingerprint};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::account_keys::{self, NewKeys};
use crate::api;
use crate::ceremonies;
use crate::components::alert::{Alert, Progress};
use crate::components::recovery_code::RecoveryCodeReveal;
use crate::dates;
use crate::session::Session;

/// How often the list is re-read while a pairing code is open, to catch the new device.
const PAIRING_POLL: Duration = Duration::from_secs(2);

/// A revoked device's aftermath: the new recovery code and what the patient should know.
#[derive(Clone)]
struct Revoked {
    code: String,
    words: String,
}

/// Devices with their own key (the phone app, the command-line client): link one with a
/// pairing code, and give it the account key once it has joined; revoke one, which gives
/// the account new keys and a new recovery code.
#[component]
pub fn Devices() -> impl IntoView {
    let session = Session::expect();
    let devices = RwSignal::new(None::<Vec<DeviceSummary>>);
    let pairing = RwSignal::new(None::<Pairing>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let revoked = RwSignal::new(None::<Revoked>);

    spawn_local(async move {
        match api::devices().await {
            Ok(list) => devices.set(Some(list)),
            Err(failure) => error.set(Some(failure.to_string())),
        }
    });

    let link_device = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::start_pairing().await {
                Ok(opened) => {
                    let id = opened.id;
                    pairing.set(Some(opened));
                    watch_pairing(session, id, pairing, devices, error).await;
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
            busy.set(false);
        });
    };

    let list = move || {
        view! {
            <section class="card" aria-labelledby="devices-title">
                <h2 id="devices-title">"Linked devices"</h2>
                <p class="muted">
                    "The Folio phone app and command-line client keep their own key. Once linked, "
                    "they open your records without a passkey."
                </p>
                {move || match devices.get() {
                    None => view! { <p class="muted">"Loading your devices…"</p> }.into_any(),
                    Some(list) if list.is_empty() => {
                        view! { <p data-testid="device-list">"No linked devices."</p> }.into_any()
                    }
                    Some(list) => view! {
                        <ul class="items" data-testid="device-list">
                            {list
                                .into_iter()
                                .map(|device| view! { <DeviceItem device=device devices=devices error=error revoked=revoked/> })
                                .collect_view()}
                        </ul>
                    }.into_any(),
                }}
                {move || match pairing.get() {
                    Some(open) => view! { <PairingCode pairing=open on_close=move || pairing.set(None)/> }.into_any(),
                    None => view! {
                        <button type="button" disabled=move || busy.get() on:click=link_device>
                            "Link a device"
                        </button>
                    }.into_any(),
                }}
                <Alert message=error/>
            </section>
        }
    };
    move || {
        match revoked.get() {
        Some(Revoked { code, words }) => view! {
            <RecoveryCodeReveal code=code warning=Some(words) on_continue=move || revoked.set(None)/>
        }
        .into_any(),
        None => list().into_any(),
    }
    }
}

/// What happened, in words, beside the new recovery code.
fn after_revoking(name: &str, keys: &NewKeys) -> String {
    let mut words = format!(
        "“{name}” is signed out, and your account has new keys: what that device kept opens \
         nothing added from now on. Your other linked devices were signed out too; link them \
         again. Your other passkeys ask for this new recovery code once."
    );
    if !keys.passkey_kept {
        words.push_str(
            " The passkey you used cannot unlock by itself, so enter this code when you next \
             sign in.",
        );
    }
    if !keys.records_due.is_empty() {
        words.push_str(&format!(
            " {} still need a new key: open Caregivers for each and choose “Rotate the key \
             now”.",
            keys.records_due.join(", ")
        ));
    }
    words
}

/// Re-reads the device list while the pairing is open, and wraps the account key to each
/// device that joined. Stops when the code expires, is closed, or the page goes away.
async fn watch_pairing(
    session: Session,
    id: Uuid,
    pairing: RwSignal<Option<Pairing>>,
    devices: RwSignal<Option<Vec<DeviceSummary>>>,
    error: RwSignal<Option<String>>,
) {
    loop {
        // setTimeout's promise never rejects.
        let _ = sleep(PAIRING_POLL).await;
        // `try_get_untracked` is `None` once the settings page is gone.
        let Some(Some(open)) = pairing.try_get_untracked() else {
            return;
        };
        if open.id != id {
            return;
        }
        if open.expires_at.timestamp_millis() as f64 <= js_sys::Date::now() {
            pairing.set(None);
            return;
        }
        let list = match api::devices().await {
            Ok(list) => list,
            Err(failure) => {
                error.set(Some(failure.to_string()));
                continue;
            }
        };
        let waiting = list.iter().any(|device| !device.has_key);
        devices.set(Some(list.clone()));
        if !waiting {
            continue;
        }
        match ceremonies::give_key_to_new_devices(session, &list).await {
            Ok(_) => {
                if let Ok(list) = api::devices().await {
                    devices.set(Some(list));
                }
                // A pairing code is good for one device: its job is done.
                pairing.set(None);
                return;
            }
            Err(failure) => error.set(Some(failure.to_string())),
        }
    }
}

fn sleep(duration: Duration) -> wasm_bindgen_futures::JsFuture {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                duration.as_millis() as i32,
            );
        }
    });
    wasm_bindgen_futures::JsFuture::from(promise)
}

/// An open pairing code, as text to type and as a QR code to scan.
#[component]
fn PairingCode<F>(pairing: Pairing, on_close: F) -> impl IntoView
where
    F: Fn() + 'static,
{
    // The SVG goes through an <img> (the CSP allows data: images), never into the page's
    // DOM: markup from elsewhere stays inert.
    let qr = format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(pairing.qr_svg.as_bytes())
    );
    view! {
        <div class="pairing" role="group" aria-labelledby="pairing-title">
            <h3 id="pairing-title">"Link a device"</h3>
            <p>
                "In the Folio app or command-line client on the new device, enter this code or "
                "scan it. It works once, until " {dates::time(&pairing.expires_at)} "."
            </p>
            <p class="pairing-code" data-testid="pairing-code">{pairing.code.clone()}</p>
            <img class="qr" src=qr alt=format!("QR code for {}", pairing.code)/>
            <p class="muted" role="status">"Waiting for the device to join…"</p>
            <button type="button" on:click=move |_| on_close()>"Close"</button>
        </div>
    }
}

#[component]
fn DeviceItem(
    device: DeviceSummary,
    devices: RwSignal<Option<Vec<DeviceSummary>>>,
    error: RwSignal<Option<String>>,
    revoked: RwSignal<Option<Revoked>>,
) -> impl IntoView {
    let session = Session::expect();
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let progress = RwSignal::new(None::<String>);
    let id = device.id;
    let name = device.name.clone();
    // Kept apart, so the handler stays `Copy` for the view that re-creates the button.
    let stored_name = StoredValue::new(name.clone());
    let revoke = move |_| {
        busy.set(true);
        let name = stored_name.get_value();
        spawn_local(async move {
            let announce = move |prompt: &str| progress.set(Some(prompt.to_owned()));
            match account_keys::revoke_device(session, id, announce).await {
                Ok(keys) => {
                    error.set(None);
                    // Every other device was signed out with it.
                    devices.set(Some(Vec::new()));
                    revoked.set(Some(Revoked {
                        code: keys.recovery_code.to_string(),
                        words: after_revoking(&name, &keys),
                    }));
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
            progress.set(None);
            busy.set(false);
        });
    };
    let last_used = device
        .last_used_at
        .map(|at| format!("last used {}", dates::day(&at)))
        .unwrap_or_else(|| "never used".into());
    view! {
        <li class="item">
            <div class="item-main">
                <strong class="item-name">{device.name.clone()}</strong>
                {if device.has_key {
                    view! { <span class="badge">"Unlocks"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-waiting">"Waiting for its key"</span> }.into_any()
                }}
                <p class="muted">
                    {format!(
                        "Key {}. Linked {}, {last_used}.",
                        recipient_fingerprint(&device.recipient),
                        dates::day(&device.created_at),
                    )}
                </p>
            </div>
            {move || if confirming.get() {
                view! {
                    <div class="item-actions" role="group" aria-label="Confirm revoking">
                        <span>{format!(
                            "Revoke “{name}”? It loses access at once, your account gets new keys \
                             and a new recovery code, and your other devices are signed out."
                        )}</span>
                        <button type="button" class="danger" disabled=move || busy.get() on:click=revoke>
                            "Yes, revoke"
                        </button>
                        <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div class="item-actions">
                        <button type="button" class="danger" on:click=move |_| confirming.set(true)>
                            "Revoke"
                        </button>
                    </div>
                }.into_any()
            }}
            <Progress message=progress/>
        </li>
    }
}
