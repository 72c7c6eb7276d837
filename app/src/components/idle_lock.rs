//! Locks the records after a quiet spell: nobody touched, typed or scrolled for
//! [`IDLE_LOCK`], so the account key and everything decrypted leave this page's memory, as
//! when the patient presses "Lock".

use std::time::Duration;

use leptos::prelude::*;

use crate::session::Session;
use crate::unlocking::Locked;

/// How long an unlocked page may sit unused.
pub const IDLE_LOCK: Duration = Duration::from_secs(10 * 60);

/// How often the page checks; a lock comes at most this late.
const CHECK_EVERY: Duration = Duration::from_secs(5);

#[component]
pub fn IdleLock() -> impl IntoView {
    let session = Session::expect();
    // The page's clock (`Date.now`), so the time an idle page sleeps through counts.
    let last_use = StoredValue::new(js_sys::Date::now());
    // Mounted once, for the app's life: the listeners and the timer are never removed.
    for event in ["pointerdown", "keydown", "wheel", "touchstart"] {
        let _ =
            window_event_listener_untyped(event, move |_| last_use.set_value(js_sys::Date::now()));
    }
    set_interval(
        move || {
            let idle = js_sys::Date::now() - last_use.get_value();
            if session.account_identity().is_some() && idle >= IDLE_LOCK.as_millis() as f64 {
                session.locked(Locked::Idle);
            }
        },
        CHECK_EVERY,
    );
}
