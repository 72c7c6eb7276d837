//! Folio's app: the patient app and the clinician viewer, rendered in the browser.
//!
//! Everything that touches a record (decryption, import, sharing) happens here, on the
//! user's device; the server only ever receives ciphertext.

mod api;
mod caring;
mod ceremonies;
mod components;
mod dates;
mod import_worker;
mod importing;
mod milestones;
mod offline;
mod pages;
mod passkey;
mod record;
mod session;
mod unlocking;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

fn main() {
    console_error_panic_hook::set_once();
    offline::start_service_worker();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    session::Session::provide();
    view! {
        <Router>
            <div class="shell">
                <components::masthead::Masthead/>
                <components::idle_lock::IdleLock/>
                <main id="main">
                    <Routes fallback=pages::not_found::NotFound>
                        <Route path=path!("/") view=pages::home::Home/>
                        <Route path=path!("/signup") view=pages::sign_up::SignUp/>
                        <Route path=path!("/signin") view=pages::sign_in::SignIn/>
                        <Route path=path!("/unlock") view=pages::unlock::Unlock/>
                        <Route path=path!("/recover") view=pages::recover::Recover/>
                        <Route path=path!("/settings") view=pages::settings::Settings/>
                        <Route path=path!("/import") view=pages::import::Import/>
                        <Route path=path!("/record") view=pages::record::Record/>
                        <Route path=path!("/record/:list") view=pages::record::category::Category/>
                        <Route path=path!("/timeline") view=pages::timeline::Timeline/>
                        <Route path=path!("/share") view=pages::share::Share/>
                        <Route path=path!("/care") view=pages::care::Care/>
                        <Route path=path!("/care/accept") view=pages::care::AcceptLink/>
                        <Route path=path!("/view") view=pages::viewer::Viewer/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
