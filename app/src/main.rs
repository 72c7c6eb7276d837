//! Folio's app: the patient app and the clinician viewer, rendered in the browser.
//!
//! Everything that touches a record (decryption, import, sharing) happens here, on the
//! user's device; the server only ever receives ciphertext.

mod api;
mod components;
mod pages;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    view! {
        <Router>
            <div class="shell">
                <components::masthead::Masthead/>
                <main id="main">
                    <Routes fallback=pages::not_found::NotFound>
                        <Route path=path!("/") view=pages::home::Home/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
