use leptos::prelude::*;

/// The app's name and mark, at the top of every page.
#[component]
pub fn Masthead() -> impl IntoView {
    view! {
        <header class="masthead">
            <img src="/icons/folio.svg" alt=""/>
            <h1>"Folio"</h1>
        </header>
    }
}
