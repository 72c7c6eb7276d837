//! For whoever looks after this Folio: which server answers, what it runs on, and how much
//! of the record this browser keeps for offline use.

use leptos::prelude::*;

use crate::api;
use crate::session::Session;

#[component]
pub fn About() -> impl IntoView {
    let session = Session::expect();
    let health = LocalResource::new(move || {
        // Asked again when the server comes back after an outage.
        session.is_offline();
        api::health()
    });
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    view! {
        <section class="card" aria-labelledby="about-title">
            <h2 id="about-title">"About this server"</h2>
            <p class="muted">"For whoever looks after your Folio, if something goes wrong."</p>
            <p>"Address: " {origin}</p>
            <Suspense fallback=|| view! { <p class="muted">"Asking the server…"</p> }>
                {move || health.get().map(|result| match result {
                    Ok(h) => view! {
                        <p class="status-ok" data-testid="server-status">
                            {format!("Ready: {} storage, version {}.", h.database, h.version)}
                        </p>
                    }.into_any(),
                    Err(err) => view! {
                        <p class="status-bad" data-testid="server-status">{err.to_string()}</p>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
