//! `/settings`: the account's passkeys, recovery code and linked devices, leaving, and
//! what the server runs.
//! One module per section.

mod about;
mod account;
mod devices;
mod passkeys;
mod recovery_code;

use leptos::prelude::*;

use crate::components::guard::RequireUnlocked;

#[component]
pub fn Settings() -> impl IntoView {
    view! {
        <RequireUnlocked>
            <passkeys::Passkeys/>
            <recovery_code::RecoveryCodeSettings/>
            <devices::Devices/>
            <account::Account/>
            <about::About/>
        </RequireUnlocked>
    }
}
