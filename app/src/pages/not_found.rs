use leptos::prelude::*;
use leptos_router::components::A;

/// Shown for an address the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h2>"This page does not exist"</h2>
            <p>"The address may be mistyped or out of date. "<A href="/">"Go to the start page"</A>"."</p>
        </section>
    }
}
