use leptos::prelude::*;

use crate::api;

/// The landing page: what Folio is, and whether this server is ready.
#[component]
pub fn Home() -> impl IntoView {
    let health = LocalResource::new(api::health);
    view! {
        <section class="card" aria-labelledby="welcome">
            <h2 id="welcome">"Your health record, held by you"</h2>
            <p>
                "Folio gathers your records from every provider into one vault that is encrypted "
                "on this device. The server only ever stores ciphertext."
            </p>
        </section>
        <section class="card" aria-live="polite">
            <h2>"Server"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Checking the server…"</p> }>
                {move || health.get().map(|result| match result {
                    Ok(h) => view! {
                        <p class="status-ok" data-testid="server-status">
                            {format!("Connected: the server is ready ({} storage, version {}).", h.database, h.version)}
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
