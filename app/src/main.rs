//! Folio's app: the patient app and the clinician viewer, rendered in the browser.
//!
//! Everything that touches a record (decryption, import, sharing) happens here, on the
//! user's device; the server only ever receives ciphertext.

mod account_keys;
mod api;
mod blob;
mod caring;
mod ceremonies;
mod clipboard;
mod components;
mod dates;
mod import_worker;
mod importing;
mod member_list;
mod milestones;
mod offline;
mod pages;
mod passkey;
mod record;
mod session;
mod set_aside;
mod units;
mod unlocking;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use pages::on_demand::{self, LoadedPage};

fn main() {
    console_error_panic_hook::set_once();
    offline::start_service_worker();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    session::Session::provide();
    components::navigation_hold::NavigationHold::provide();
    view! {
        <Router>
            <div class="shell">
                <components::masthead::Masthead/>
                <components::idle_lock::IdleLock/>
                <main id="main">
                    <Routes fallback=pages::not_found::NotFound>
                        <Route path=path!("/") view=pages::home::Home/>
                        <Route path=path!("/signin") view=pages::sign_in::SignIn/>
                        <Route path=path!("/unlock") view=pages::unlock::Unlock/>
                        // The rest load on demand (pages/on_demand.rs).
                        <Route path=path!("/signup") view=|| view! { <LoadedPage load=on_demand::sign_up/> }/>
                        <Route path=path!("/recover") view=|| view! { <LoadedPage load=on_demand::recover/> }/>
                        <Route path=path!("/settings") view=|| view! { <LoadedPage load=on_demand::settings/> }/>
                        <Route path=path!("/import") view=|| view! { <LoadedPage load=on_demand::import/> }/>
                        <Route path=path!("/record") view=|| view! { <LoadedPage load=on_demand::record/> }/>
                        <Route path=path!("/record/:list") view=|| view! { <LoadedPage load=on_demand::record_list/> }/>
                        <Route path=path!("/timeline") view=|| view! { <LoadedPage load=on_demand::timeline/> }/>
                        <Route path=path!("/share") view=|| view! { <LoadedPage load=on_demand::share/> }/>
                        <Route path=path!("/care") view=|| view! { <LoadedPage load=on_demand::care/> }/>
                        <Route path=path!("/care/accept") view=|| view! { <LoadedPage load=on_demand::care_accept/> }/>
                        <Route path=path!("/view") view=|| view! { <LoadedPage load=on_demand::viewer/> }/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
