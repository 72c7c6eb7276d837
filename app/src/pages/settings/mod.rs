//! `/settings`: the account's passkeys, recovery code and linked devices, and leaving.
//! One module per section.

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
        </RequireUnlocked>
    }
}
